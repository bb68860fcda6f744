# SPDX-License-Identifier: GPL-2.0
# Common definitions for the harness scripts. Sourced, never executed.
#
# Directory layout (everything below $BUILD is generated and git-ignored):
#   $BUILD/linux        base commit + the series applied (branch "check")
#   $BUILD/tree         developer worktree (make tree / make export)
#   $BUILD/bisect       worktree the bisect stage walks prefix by prefix
#   $BUILD/out/<name>   kbuild output directories (O=)
#   $BUILD/results      one <stage>.tsv per stage: status<TAB>name<TAB>detail
#   $BUILD/logs         full logs of every stage

set -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
HARNESS=$ROOT/harness
CONFIGS=$ROOT/configs
GUEST=$ROOT/guest
PATCHES=$ROOT/patches
KSRC=$BUILD/linux
TREE=$BUILD/tree
OUT=$BUILD/out
RESULTS=$BUILD/results
LOGS=$BUILD/logs
# DEV=1: build and test the working tree (build/tree, uncommitted edits
# included) instead of the applied series, with outputs of their own.
if [ -n "${DEV:-}" ]; then
	KSRC=$TREE
	OUT=$BUILD/out-dev
	RESULTS=$BUILD/results-dev
	LOGS=$BUILD/logs-dev
fi
JOBS=${JOBS:-$(nproc)}
# Debian's busybox-static for s390x, for the s390x guest (deps.sh fetches it)
S390_BUSYBOX=$BUILD/deps/s390x/busybox

# shellcheck source=../BASE
. "$ROOT/BASE"
BASE_TAG=base

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}

# no_second_cpp: on a ccache miss, compile the preprocessed output ccache
# made for its hash instead of preprocessing the source a second time
# (about a tenth less compute per miss, most of a cold run). For the
# guest and KUnit kernels, whose compiler warnings nobody reads: the
# bisect and static stages, which compare warnings, keep ccache's default
# (gcc on preprocessed input loses some macro context in its warnings).
no_second_cpp() { export CCACHE_NOCPP2=1; }
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
export KBUILD_BUILD_USER=patchq KBUILD_BUILD_HOST=patchq
# Fixed identity for commits the harness makes itself (base, git am).
export GIT_COMMITTER_NAME=patchq GIT_COMMITTER_EMAIL=patchq@localhost

# Debian's python3 first: the kernel's scripts (checkpatch's spdxcheck,
# kunit.py) use the python3-* packages deps.sh installs for it.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

export RESULTS
mkdir -p "$BUILD" "$OUT" "$RESULTS" "$LOGS"

log() { printf '[%s] %s\n' "${STAGE:-harness}" "$*" >&2; }

# no_edit_loop_filters: make check runs every configuration, whole. The
# edit loop's filters (make dev-guest, dev-kunit) would leave
# configurations out with no row saying so, and a shorter stress run is
# less of what must run: they are unset, with a line saying so.
no_edit_loop_filters() {
	local v
	for v in GUEST_CONFIGS KUNIT_CONFIGS STRESS_SEQUENCES; do
		[ -n "${!v:-}" ] &&
			log "make check runs everything: $v=${!v} is ignored (it is for make dev-guest and dev-kunit)"
		unset "$v"
	done
}
die() { printf '[%s] error: %s\n' "${STAGE:-harness}" "$*" >&2; exit 1; }
warn_loud() {
	printf '\n' >&2
	printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
	printf '!!! WARNING: %s\n' "$@" >&2
	printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
}

# record <stage> <pass|fail|skip> <name> [detail]
record() {
	local stage=$1 status=$2 name=$3 detail=${4:-}
	printf '%s\t%s\t%s\n' "$status" "$name" "${detail//$'\n'/ }" >>"$RESULTS/$stage.tsv"
	case $status in
	pass) log "PASS $name${detail:+ ($detail)}" ;;
	fail) log "FAIL $name${detail:+ ($detail)}" ;;
	skip) log "SKIP $name${detail:+ ($detail)}" ;;
	*) die "record: bad status $status" ;;
	esac
}

# Start a stage's result file afresh.
stage_begin() {
	STAGE=$1
	: >"$RESULTS/$STAGE.tsv"
	rm -f "$RESULTS/$STAGE.note" "$RESULTS/$STAGE.figures"
}

# A line the summary prints next to the stage.
stage_note() { echo "$*" >"$RESULTS/$STAGE.note"; }

# Patches of the series, in order, as paths relative to patches/.
series_patches() {
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$PATCHES/series"
}

# sha256 over BASE, the series file and every patch it lists.
series_hash() {
	{
		cat "$ROOT/BASE" "$PATCHES/series"
		series_patches | while read -r p; do cat "$PATCHES/$p"; done
	} | sha256sum | cut -d' ' -f1
}

# Files the whole series touches (needs an applied $KSRC).
series_files() {
	if [ -n "${DEV:-}" ]; then
		git -C "$KSRC" diff --name-only "$BASE_TAG"
		git -C "$KSRC" ls-files --others --exclude-standard
	else
		git -C "$KSRC" diff --name-only "$BASE_TAG" check
	fi
}

need_tree_applied() {
	[ -n "${DEV:-}" ] && { [ -d "$TREE" ] || die "DEV=1 needs build/tree: make tree"; return 0; }
	[ -f "$BUILD/linux.applied" ] && [ "$(cat "$BUILD/linux.applied")" = "$(series_hash)" ] ||
		die "the series is not applied in $KSRC: run 'make check-apply' first"
}

# Kernel make for an architecture: kmake <x86|s390|um> <outdir> args...
# HOSTCC stays kbuild's own: merge_config.sh configures with it, and
# another host compiler here would rebuild fixdep and kconfig after every
# reconfiguration.
kmake() {
	local arch=$1 out=$2
	shift 2
	case $arch in
	x86) make -C "${KDIR:-$KSRC}" O="$out" ARCH=x86_64 CC="ccache gcc" \
		-j"$JOBS" "$@" ;;
	s390) make -C "${KDIR:-$KSRC}" O="$out" ARCH=s390 \
		CROSS_COMPILE=s390x-linux-gnu- CC="ccache s390x-linux-gnu-gcc" \
		-j"$JOBS" "$@" ;;
	*) die "kmake: unknown arch $arch" ;;
	esac
}

# KUnit configurations: kunit.py's arguments and the one s390 kernel.
#
# kunit_args <arch>: the --kunitconfig options (in the array kargs) for the
# .kunitconfig files the series adds or changes; one under arch/<a>/ is
# only for architecture <a>.
kunit_args() {
	local k
	kargs=()
	while read -r k; do
		case $k in
		arch/"$1"/*) ;;
		arch/*) continue ;;
		esac
		# a .kunitconfig the series deletes is listed too
		[ -f "$KSRC/$k" ] && kargs+=(--kunitconfig="$KSRC/$k")
	done < <(series_files | grep -E '(^|/)\.kunitconfig$')
}

# The s390 KUnit kernel is the s390 guest's kernel too, so that one s390
# build serves both: kunit.py builds it (in $OUT/kunit-s390) from the
# series' .kunitconfig files, configs/kunit-debug.kunitconfig (lockdep,
# KASAN, ...), configs/s390-guest.config and the vfio selftests' config;
# harness/kunit.sh runs its suites, harness/guest.sh boots it with
# kunit.enable=0 and the selftests' initramfs. Whoever builds or copies it
# holds $OUT/kunit-s390.lock (the stages may run at the same time).
S390_KUNIT_OUT=$OUT/kunit-s390
# The s390 KUnit kernels boot with memory in ZONE_MOVABLE, so that the
# suites can test what a long-term pin does with memory it must migrate
# first (harness/kunit.sh gives it to "kunit.py run"; "build" takes no
# kernel arguments). UML parses early parameters only after its zones are
# set up, so movablecore= does nothing there (harness/expected-runs).
KUNIT_KERNEL_ARGS=movablecore=256M
KUNIT_PY=$KSRC/tools/testing/kunit/kunit.py
# s390_kunit_args <kunit-s390|kunit-s390-module>: kunit.py's common
# arguments for an s390 configuration, in the array kargs. QEMU adds two
# zPCI functions (virtio-rng-pci) that the KVM-VFIO suite binds to
# vfio-pci (the second for attach_one_group).
s390_kunit_args() {
	kunit_args s390
	kargs+=(--arch=s390 --cross_compile=s390x-linux-gnu-
		--make_options CC="ccache s390x-linux-gnu-gcc"
		--qemu_args="-device virtio-rng-pci -device virtio-rng-pci"
		--kunitconfig="$CONFIGS/kunit-debug.kunitconfig"
		--kunitconfig="$CONFIGS/s390-guest.config")
	case $1 in
	kunit-s390) kargs+=(--kunitconfig="$KSRC/tools/testing/selftests/vfio/config") ;;
	kunit-s390-module)
		# Only the module fragment's own choices differ from kunit-s390.
		local a k=("${kargs[@]}")
		kargs=()
		for a in "${k[@]}"; do
			[[ $a == --kunitconfig=$KSRC/* ]] || kargs+=("$a")
		done
		kargs+=(--kunitconfig="$CONFIGS/kunit-s390-backend-module.kunitconfig")
		;;
	esac
}

# s390_kunit_build <log> <image>: build (or bring up to date) the s390
# KUnit and guest kernel, without running it, and copy its bzImage to
# <image> under the lock (a later KUnit run may relink it in place).
s390_kunit_build() {
	local kargs
	s390_kunit_args kunit-s390
	(
		flock 9
		cd "$KSRC" && python3 "$KUNIT_PY" build --build_dir="$S390_KUNIT_OUT" \
			--jobs="$JOBS" "${kargs[@]}" &&
			mkdir -p "$(dirname "$2")" &&
			cp "$S390_KUNIT_OUT/arch/s390/boot/bzImage" "$2"
	) 9>"$S390_KUNIT_OUT.lock" >"$1" 2>&1
}

# Compiler for userspace test programs of an architecture.
user_cc() {
	case $1 in
	x86) echo gcc ;;
	s390) echo s390x-linux-gnu-gcc ;;
	*) die "user_cc: unknown arch $1" ;;
	esac
}

# selftests_install <arch> <kernel tree> <work dir> <log> <target>...: the
# one way the harness builds kselftests (the guest and bisect stages both
# call it). The tree's uapi headers go to <work dir>/hdr, then the
# selftests' own "make install" builds the targets (names under
# tools/testing/selftests, e.g. vfio) statically for <arch> and installs
# them with the kernel's runner (run_kselftest.sh, kselftest-list.txt) into
# <work dir>/install. A compiler warning fails it.
selftests_install() {
	local arch=$1 src=$2 work=$3 log=$4 karch=x86_64 cross=
	shift 4
	[ "$arch" = s390 ] && karch=s390 cross=s390x-linux-gnu-
	: >"$log"
	make -C "$src" O="$work/hdr" ARCH=$karch CROSS_COMPILE=$cross \
		INSTALL_HDR_PATH="$work/hdr/usr" headers_install >>"$log" 2>&1 || return 1
	rm -rf "$work/install" "$work/obj"
	make -C "$src/tools/testing/selftests" ARCH=$karch CROSS_COMPILE=$cross \
		TARGETS="$*" FORCE_TARGETS=1 O="$work/obj" INSTALL_PATH="$work/install" \
		KHDR_INCLUDES="-isystem $work/hdr/usr/include" LDFLAGS=-static \
		install >>"$log" 2>&1 || return 1
	if grep -q 'warning:' "$log"; then
		grep -A3 'warning:' "$log" | head -20 >&2
		return 1
	fi
}

# merge_config <arch> <outdir> <base: defconfig target|allnoconfig> fragments...
# Runs the kernel's own scripts/kconfig/merge_config.sh. Prints the options a
# fragment asked for that did not make it into .config.
merge_config() {
	local arch=$1 out=$2 base=$3
	shift 3
	local karch=x86_64 cross=
	[ "$arch" = s390 ] && karch=s390 cross=s390x-linux-gnu-
	mkdir -p "$out"
	(
		cd "${KDIR:-$KSRC}" || exit 1
		export ARCH=$karch CROSS_COMPILE=$cross
		if [ "$base" = allnoconfig ]; then
			scripts/kconfig/merge_config.sh -n -O "$out" /dev/null "$@"
		else
			make O="$out" "$base" >/dev/null &&
				scripts/kconfig/merge_config.sh -O "$out" "$out/.config" "$@"
		fi
	) >"$out/merge_config.log" 2>&1 || { cat "$out/merge_config.log" >&2; return 1; }
	grep -A2 '^Value requested for' "$out/merge_config.log" || true
}

# Seconds since the epoch, with fractions (stage times).
now() { date +%s.%N; }
