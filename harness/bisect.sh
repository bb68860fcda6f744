#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bisectability: every prefix of the series builds, for x86_64 and s390,
# every kernel directory the whole series touches and every selftest
# directory it touches (static, warnings are errors). One result per prefix
# and architecture.
. "$(dirname "$0")/lib.sh"
. "$HARNESS/kbuild.sh"
stage_begin bisect
need_tree_applied

mapfile -t kdirs < <(touched_kdirs)
mapfile -t stdirs < <(touched_selftests)
mapfile -t commits < <(git -C "$KSRC" rev-list --reverse "$BASE_TAG"..check)
mapfile -t names < <(series_patches)
log "${#commits[@]} prefixes; kernel dirs: ${kdirs[*]:-none}; selftests: ${stdirs[*]:-none}"

bisect_tree
configured=()
akdirs=()
for i in "${!commits[@]}"; do
	c=${commits[$i]}
	name="$((i + 1))/${#commits[@]} ${names[$i]}"
	bisect_checkout "$c"
	# Reconfigure when the prefix changes Kconfig (or on first use).
	kconfig_changed=$(git -C "$BISECT" diff --name-only "$c~1" "$c" | grep -c 'Kconfig' || true)
	for arch in "${ARCHES[@]}"; do
		log="$LOGS/bisect-$((i + 1))-$arch.log"
		if [ ${#kdirs[@]} -gt 0 ]; then
			if [ -z "${configured[*]}" ] || [ "$kconfig_changed" != 0 ] ||
				[[ " ${configured[*]} " != *" $arch "* ]]; then
				bisect_config "$arch" || { record bisect fail "$name [$arch]" "config failed"; continue; }
				configured+=("$arch")
			fi
			mapfile -t akdirs < <(targets_for "$arch" "${kdirs[@]}")
			if ! bisect_build_kdirs "$arch" "$log" "${akdirs[@]}"; then
				grep -m3 -E 'error:|Error [0-9]' "$log" >&2
				record bisect fail "$name [$arch]" "kernel build failed: $(grep -m1 'error:' "$log")"
				continue
			fi
		fi
		if ! bisect_build_selftests "$arch" "$log.selftests" "${stdirs[@]}"; then
			grep -m3 -E 'error|warning' "$log.selftests" >&2
			record bisect fail "$name [$arch]" "selftests build failed: $(grep -m1 -E 'error|warning' "$log.selftests")"
			continue
		fi
		record bisect pass "$name [$arch]" "${#akdirs[@]} kernel dir(s), ${#stdirs[@]} selftest dir(s)"
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
