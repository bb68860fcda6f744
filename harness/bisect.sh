#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bisectability and warnings at every prefix: for x86_64 and s390, every
# prefix of the series builds every kernel directory the whole series
# touches with sparse (C=1: every file kbuild recompiles) and W=1, with no
# warning in a file the series touches that the base did not have; and
# the selftest directories it touches build (the selftests' own "make
# install", static, warnings are errors). One result per prefix and
# architecture.
#
# The base's warnings come from a full build of the same directories at
# the base (cached by everything they depend on), compared without line
# numbers (build_warnings.py).
. "$(dirname "$0")/lib.sh"
. "$HARNESS/kbuild.sh"
stage_begin bisect
need_tree_applied

mapfile -t kdirs < <(touched_kdirs)
mapfile -t stdirs < <(touched_selftests)
mapfile -t commits < <(git -C "$KSRC" rev-list --reverse "$BASE_TAG"..check)
mapfile -t names < <(series_patches)
log "${#commits[@]} prefixes; kernel dirs: ${kdirs[*]:-none}; selftests: ${stdirs[*]:-none}"
TOUCHED=$OUT/bisect-touched.txt
series_files >"$TOUCHED"
sttargets=("${stdirs[@]#tools/testing/selftests/}")

bisect_tree

# base_warnings <arch>: the file holding the base's normalised warnings in
# the touched files, built now unless cached.
base_warnings() {
	local arch=$1 out key cache d dirs=()
	out=$(bisect_out "$arch")
	key=$({
		git -C "$KSRC" rev-parse "$BASE_TAG"
		cat "$CONFIGS"/bisect*.config "$TOUCHED"
		printf '%s\n' "${kdirs[@]}"
		gcc --version | head -1; s390x-linux-gnu-gcc --version | head -1; sparse --version
		cat "$HARNESS/build_warnings.py" "$HARNESS/sparse_touched.sh" "$HARNESS/kbuild.sh"
	} | sha1sum | cut -c1-16)
	cache=$OUT/bisect-$arch-base-warnings.$key
	[ -f "$cache" ] || rm -f "$OUT/bisect-$arch-base-warnings."*
	if [ -f "$cache" ]; then
		echo "$cache"
		return
	fi
	log "base warnings ($arch): full sparse + W=1 build of the touched directories at the base" >&2
	bisect_checkout "$BASE_TAG"
	bisect_config "$arch" || return 1
	mapfile -t dirs < <(targets_for "$arch" "${kdirs[@]}" |
		while read -r d; do [ -d "$BISECT/$d" ] && echo "$d"; done)
	# Every object of those directories is compiled again, so that
	# every warning the base has is seen.
	for d in "${dirs[@]}"; do
		[ -d "$out/$d" ] && find "$out/$d" -name '*.o' -delete
	done
	local blog=$LOGS/bisect-base-$arch.log
	bisect_build_kdirs "$arch" "$blog" "${dirs[@]}" ||
		log "note: the base build of ${dirs[*]} failed ($arch), see $blog" >&2
	python3 "$HARNESS/build_warnings.py" --tree "$BISECT" --touched "$TOUCHED" "$blog" \
		>"$cache.tmp" && mv "$cache.tmp" "$cache" && echo "$cache"
}

declare -A base_warn st_hash st_from
for arch in "${ARCHES[@]}"; do
	[ ${#kdirs[@]} -gt 0 ] || break
	base_warn[$arch]=$(base_warnings "$arch") ||
		{ record bisect fail "base [$arch]" "configuring or building the base failed"; }
done

# selftest_inputs <arch>: what the selftests' build reads at this commit.
selftest_inputs() {
	local karch=x86_64
	[ "$1" = s390 ] && karch=s390
	git -C "$BISECT" ls-tree -r HEAD -- tools include/uapi "arch/$karch/include/uapi" \
		scripts/headers_install.sh scripts/unifdef.c | sha1sum | cut -c1-16
}

configured=()
for i in "${!commits[@]}"; do
	c=${commits[$i]}
	name="$((i + 1))/${#commits[@]} ${names[$i]}"
	bisect_checkout "$c"
	# Reconfigure an architecture when the prefix changes a Kconfig file
	# that is not another architecture's (or on first use).
	mapfile -t kconfigs_changed < <(git -C "$BISECT" diff --name-only "$c~1" "$c" | grep 'Kconfig' || true)
	for arch in "${ARCHES[@]}"; do
		log="$LOGS/bisect-$((i + 1))-$arch.log"
		detail=()
		t0=$SECONDS
		kconfig_changed=0
		for k in "${kconfigs_changed[@]}"; do
			for_other_arch "$arch" "$k" || kconfig_changed=1
		done
		if [ ${#kdirs[@]} -gt 0 ]; then
			if [ $i = 0 ] || [ "$kconfig_changed" != 0 ] ||
				[[ " ${configured[*]} " != *" $arch "* ]]; then
				bisect_config "$arch" || { record bisect fail "$name [$arch]" "config failed"; continue; }
				configured+=("$arch")
			fi
			mapfile -t akdirs < <(targets_for "$arch" "${kdirs[@]}" |
				while read -r d; do [ -d "$BISECT/$d" ] && echo "$d"; done)
			if ! bisect_build_kdirs "$arch" "$log" "${akdirs[@]}"; then
				grep -m3 -E 'error:|Error [0-9]' "$log" >&2
				record bisect fail "$name [$arch]" "kernel build failed: $(grep -m1 'error:' "$log")"
				continue
			fi
			new=$(python3 "$HARNESS/build_warnings.py" --new "${base_warn[$arch]:-/dev/null}" \
				<(python3 "$HARNESS/build_warnings.py" --tree "$BISECT" --touched "$TOUCHED" "$log"))
			if [ -n "$new" ]; then
				echo "$new" >&2
				record bisect fail "$name [$arch]" "$(echo "$new" | wc -l) new sparse/W=1 warning(s): $(echo "$new" | head -3 | tr '\n' ' ')"
				continue
			fi
			detail+=("${#akdirs[@]} kernel dir(s) with sparse and W=1, no new warning")
		fi
		if [ ${#stdirs[@]} -gt 0 ]; then
			h=$(selftest_inputs "$arch")
			if [ "${st_hash[$arch]:-}" = "$h" ]; then
				detail+=("selftests: sources and uapi headers as at ${st_from[$arch]}, built there")
			elif ! selftests_install "$arch" "$BISECT" "$(bisect_out "$arch")-selftests" \
				"$log.selftests" "${sttargets[@]}"; then
				grep -m3 -E 'error|warning' "$log.selftests" >&2
				record bisect fail "$name [$arch]" "selftests build failed: $(grep -m1 -E 'error|warning' "$log.selftests")"
				continue
			else
				st_hash[$arch]=$h
				st_from[$arch]=$((i + 1))
				detail+=("${#stdirs[@]} selftest dir(s) built")
			fi
		fi
		record bisect pass "$name [$arch]" "$(printf '%s; ' "${detail[@]}")$((SECONDS - t0)) s"
	done
done

# At the tip, every kernel C file the series touches must have been built
# by the directory builds above (listed in a built-in.a or a module's .mod),
# or the prefixes were not really checked for it.
mapfile -t cfiles < <(touched_c)
if [ ${#cfiles[@]} -gt 0 ]; then
	for arch in "${ARCHES[@]}"; do
		out=$(bisect_out "$arch")
		missing=()
		n=0
		for f in "${cfiles[@]}"; do
			o=${f%.c}.o
			dir=$(dirname "$f")
			for_other_arch "$arch" "$f" && continue
			case $f in
			virt/kvm/*) dir=arch/$arch/kvm ;;
			esac
			n=$((n + 1))
			# .mod files list objects by path; a thin built-in.a names
			# its members relative to its directory, ending in '/'.
			grep -qsF -- "$o" $(find "$out/$dir" -maxdepth 1 -name '*.mod' 2>/dev/null) ||
				grep -qsaF -- "${o#"$dir"/}/" "$out/$dir/built-in.a" ||
				missing+=("$f")
		done
		if [ ${#missing[@]} -eq 0 ]; then
			record bisect pass "coverage [$arch]" "all $n touched C files of $arch built by configs/bisect*.config"
		else
			record bisect fail "coverage [$arch]" "not built by configs/bisect*.config: ${missing[*]}"
		fi
	done
fi

! grep -q '^fail' "$RESULTS/bisect.tsv"
