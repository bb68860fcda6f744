# SPDX-License-Identifier: GPL-2.0
# Build helpers shared by the static and bisect stages. Sourced after lib.sh.
#
# Both stages work in $BISECT, a worktree of $KSRC that they check out at
# the base, at each prefix of the series and at its tip, with one kbuild
# output directory per architecture ($OUT/bisect-<arch>). Moving between
# neighbouring commits rewrites only the files they change, so every build
# after the first is incremental.

BISECT=$BUILD/bisect
ARCHES=(x86 s390)

bisect_out() { echo "$OUT/bisect-$1"; }

# Kernel sources (not tools/, not docs) the whole series touches.
touched_c() {
	series_files | grep -E '\.c$' |
		grep -vE '^(tools|scripts|Documentation|samples|usr)/' || true
}

# Directories to build: those of touched C files and of touched Makefiles
# and Kconfig files, outside tools/.
touched_kdirs() {
	series_files | grep -E '\.c$|(^|/)(Makefile|Kbuild|Kconfig[^/]*)$' |
		grep -vE '^(tools|scripts|Documentation|samples|usr)/' |
		xargs -r -n1 dirname | grep -v '^\.$' | sort -u || true
}

# for_other_arch <arch> <path>: true if the path belongs to another of
# $ARCHES only: under arch/<other>/, or a file or directory named after it
# (drivers/iommu/s390-iommu.c).
for_other_arch() {
	local a
	for a in "${ARCHES[@]}"; do
		[ "$a" = "$1" ] && continue
		case /$2 in
		/arch/"$a"/* | */"$a"[-_/]*) return 0 ;;
		esac
	done
	return 1
}

# targets_for <arch> dirs-or-objects...: what to build for an architecture:
# another architecture's files are left out, and virt/kvm (which has no
# Makefile of its own) is built as part of the architecture's KVM module,
# a directory for a directory and "<dir>/" for an object.
targets_for() {
	local arch=$1 p
	shift
	for p in "$@"; do
		for_other_arch "$arch" "$p" && continue
		case $p in
		virt/kvm/*.o) echo "arch/$arch/kvm/" ;;
		virt/kvm*) echo "arch/$arch/kvm" ;;
		*) echo "$p" ;;
		esac
	done | sort -u
}

# Selftest directories the series touches (tools/testing/selftests/<x>).
touched_selftests() {
	series_files | sed -n 's|^\(tools/testing/selftests/[^/]*\)/.*|\1|p' |
		sort -u | while read -r d; do
		[ -f "$KSRC/$d/Makefile" ] && echo "$d"
	done
}

bisect_tree() {
	# A worktree whose repository was extracted again is not one any more.
	if [ -d "$BISECT" ] && [ "$(git -C "$BISECT" rev-parse --show-toplevel 2>/dev/null)" != "$(realpath "$BISECT")" ]; then
		rm -rf "$BISECT"
	fi
	if [ ! -d "$BISECT" ]; then
		git -C "$KSRC" worktree prune
		git -C "$KSRC" worktree add -q --detach "$BISECT" "$BASE_TAG" ||
			die "cannot create $BISECT"
	fi
}

# bisect_checkout <commit>
bisect_checkout() {
	git -C "$BISECT" checkout -q -f --detach "$1" && git -C "$BISECT" clean -q -fdx ||
		die "cannot check out $1 in $BISECT"
}

# bisect_config <arch>: defconfig + configs/bisect.config (+ the arch's
# fragment), through merge_config.sh. Options a fragment names that do not
# exist yet at this prefix are ignored.
bisect_config() {
	local arch=$1 out
	out=$(bisect_out "$arch")
	local frags=("$CONFIGS/bisect.config")
	[ -f "$CONFIGS/bisect-$arch.config" ] && frags+=("$CONFIGS/bisect-$arch.config")
	KDIR=$BISECT merge_config "$arch" "$out" defconfig "${frags[@]}" >/dev/null
}

# bisect_build_kdirs <arch> <log> dirs...: build directories (and modules in
# them) with W=1 and sparse on every file compiled that the series touches
# (C=1 with harness/sparse_touched.sh as CHECK; $TOUCHED lists them).
bisect_build_kdirs() {
	local arch=$1 log=$2
	shift 2
	[ $# -gt 0 ] || return 0
	local targets=()
	local d
	for d in "$@"; do targets+=("$d/"); done
	PATCHQ_TOUCHED=$TOUCHED PATCHQ_SRCTREE=$BISECT KDIR=$BISECT kmake "$arch" \
		"$(bisect_out "$arch")" C=1 CHECK="$HARNESS/sparse_touched.sh" W=1 \
		"${targets[@]}" >"$log" 2>&1
}
