#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Static checks on what the series adds:
#  - scripts/checkpatch.pl --strict on every patch: no errors; every warning
#    or check is listed in patches/checkpatch.allow with a reason;
#  - sparse (C=2) and W=1 on every kernel object the series touches, for
#    x86_64 and s390: no warning that the same object did not have at the
#    base (compared with line numbers stripped).
. "$(dirname "$0")/lib.sh"
. "$HARNESS/kbuild.sh"
stage_begin static
need_tree_applied

ALLOW=$PATCHES/checkpatch.allow

# allowed <patch> <TYPE>: is this warning type listed for this patch?
allowed() {
	[ -f "$ALLOW" ] || return 1
	awk -v p="$1" -v t="$2" '
		/^[[:space:]]*(#|$)/ { next }
		$1 == p && $2 == t && NF >= 4 && $3 == "#" { found = 1 }
		END { exit !found }' "$ALLOW"
}

checkpatch() {
	local p out bad n_allowed line type
	while read -r p; do
		out=$(cd "$KSRC" && ./scripts/checkpatch.pl --strict --show-types --terse \
			--no-summary "$PATCHES/$p" 2>&1)
		bad=()
		n_allowed=0
		while read -r line; do
			[ -n "$line" ] || continue
			type=$(echo "$line" | sed -nE 's/.*: (ERROR|WARNING|CHECK):([A-Z0-9_]+):.*/\1 \2/p')
			if [ -z "$type" ]; then
				bad+=("$line")
			elif [ "${type%% *}" = ERROR ]; then
				bad+=("${line#"$PATCHES/"}")
			elif allowed "$p" "${type#* }"; then
				n_allowed=$((n_allowed + 1))
			else
				bad+=("${line#"$PATCHES/"}")
			fi
		done <<<"$out"
		if [ ${#bad[@]} -eq 0 ]; then
			record static pass "checkpatch $p" "$n_allowed allowed warning(s)"
		else
			printf '  %s\n' "${bad[@]}" >&2
			record static fail "checkpatch $p" "${#bad[@]} problem(s): ${bad[0]}"
		fi
	done < <(series_patches)
}

# Warnings of a build log, normalised: "file: warning text" without line
# and column numbers, sorted.
warnings_of() {
	grep -E '(warning|error):' "$1" | sed -E 's/:[0-9]+:[0-9]+:/:/; s/:[0-9]+:/:/' |
		sed -E "s|$BISECT/||g" | sort -u
}

sparse_w1() {
	local arch=$1 objs=("${@:2}") out log_base log_tip o
	out=$(bisect_out "$arch")
	log_base=$LOGS/static-$arch-base.log
	log_tip=$LOGS/static-$arch-tip.log

	bisect_checkout "$BASE_TAG"
	bisect_config "$arch" || { record static fail "sparse+W=1 $arch" "config failed"; return; }
	local base_objs=()
	for o in "${objs[@]}"; do
		[ -f "$BISECT/${o%.o}.c" ] || [ -d "$BISECT/$o" ] && base_objs+=("$o")
	done
	: >"$log_base"
	if [ ${#base_objs[@]} -gt 0 ]; then
		KDIR=$BISECT kmake "$arch" "$out" C=2 W=1 "${base_objs[@]}" >"$log_base" 2>&1 ||
			log "note: base build of ${base_objs[*]} failed ($arch)"
	fi

	bisect_checkout check
	bisect_config "$arch" || { record static fail "sparse+W=1 $arch" "config failed"; return; }
	if ! KDIR=$BISECT kmake "$arch" "$out" C=2 W=1 "${objs[@]}" >"$log_tip" 2>&1; then
		grep -E 'error|No rule' "$log_tip" | head -5 >&2
		record static fail "sparse+W=1 $arch" "build failed (an object not enabled by configs/bisect*.config?), see $log_tip"
		return
	fi
	local new
	new=$(comm -13 <(warnings_of "$log_base") <(warnings_of "$log_tip"))
	if [ -n "$new" ]; then
		echo "$new" >&2
		record static fail "sparse+W=1 $arch" "$(echo "$new" | wc -l) new warning(s): $(echo "$new" | head -1)"
	else
		record static pass "sparse+W=1 $arch" "${#objs[@]} object(s), no new warnings"
	fi
}

checkpatch

mapfile -t objs < <(touched_c | sed 's/\.c$/.o/')
if [ ${#objs[@]} -eq 0 ]; then
	log "the series touches no kernel C file: sparse and W=1 have nothing to check"
else
	bisect_tree
	for arch in "${ARCHES[@]}"; do
		mapfile -t aobjs < <(targets_for "$arch" "${objs[@]}")
		sparse_w1 "$arch" "${aobjs[@]}"
	done
fi

! grep -q '^fail' "$RESULTS/static.tsv"
