#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Static checks on what the series adds (sparse and W=1 run at every prefix
# in the bisect stage):
#  - scripts/checkpatch.pl --strict on every patch: no errors; every warning
#    or check accepted by an allowance of patches/checkpatch.allow that
#    names its patch, type, file and offending line, and no allowance left
#    unused (harness/checkpatch_check.py);
#  - coccinelle: "make coccicheck MODE=report" over the C files and headers
#    the series touches, at the base and at the tip: no report the base did
#    not have (compared without line numbers). The base's reports are
#    cached by everything they depend on.
. "$(dirname "$0")/lib.sh"
. "$HARNESS/kbuild.sh"
stage_begin static
# PATCHQ_NO_CACHE=1: compute the coccicheck reports again.
need_tree_applied

mapfile -t patches < <(series_patches)
python3 "$HARNESS/checkpatch_check.py" --ksrc "$KSRC" --patches "$PATCHES" \
	--allow "$PATCHES/checkpatch.allow" "${patches[@]}" >"$RESULTS/static.rows" 2>"$LOGS/checkpatch.err"
rc=$?
cat "$RESULTS/static.rows" >>"$RESULTS/static.tsv"
grep '^fail' "$RESULTS/static.rows" | cut -f2,3 | sed 's/^/  /' >&2
if [ $rc != 0 ] && ! grep -q '^fail' "$RESULTS/static.rows"; then
	record static fail "checkpatch" "checkpatch_check.py exited $rc, see $LOGS/checkpatch.err"
fi
rm -f "$RESULTS/static.rows"

# cocci_reports <commit> <out file> files...: coccicheck's reports on the
# files as they are at <commit>, one run over a directory holding just them
# (coccicheck takes one M= directory; one run per file would start every
# semantic patch once per file).
cocci_reports() {
	local commit=$1 out=$2 dir=$BISECT/.patchq-cocci f
	shift 2
	bisect_checkout "$commit"
	rm -rf "$dir"
	for f in "$@"; do
		[ -f "$BISECT/$f" ] || continue
		mkdir -p "$dir/$(dirname "$f")"
		cp "$BISECT/$f" "$dir/$f"
	done
	[ -d "$dir" ] || { : >"$out"; return 0; }
	(cd "$BISECT" && make -s coccicheck MODE=report M=.patchq-cocci J="$JOBS") \
		>"$out.log" 2>&1
	local rc=$?
	grep -E '^\.?/?\.patchq-cocci/[^ ]+:[0-9]+:' "$out.log" |
		sed -E 's|^\./||; s|^\.patchq-cocci/||; s|^([^:]+):[0-9]+:[0-9-]+:|\1:|; s/line [0-9]+/line N/g' |
		sort -u >"$out"
	rm -rf "$dir"
	if [ $rc != 0 ] || grep -q 'coccicheck failed' "$out.log"; then
		log "coccicheck failed at $commit, see $out.log"
		return 1
	fi
}

mapfile -t cfiles < <(series_files | grep -E '\.[ch]$' |
	grep -vE '^(tools|scripts|Documentation|samples|usr)/' || true)
if [ ${#cfiles[@]} -eq 0 ]; then
	record static skip coccicheck "the series touches no kernel C file or header"
else
	bisect_tree
	key=$({
		git -C "$KSRC" rev-parse "$BASE_TAG"
		printf '%s\n' "${cfiles[@]}"
		spatch --version | head -1
		declare -f cocci_reports
	} | sha1sum | cut -c1-16)
	base=$OUT/cocci-base.$key
	if [ ! -f "$base" ] || [ -n "${PATCHQ_NO_CACHE:-}" ]; then
		log "coccicheck at the base (${#cfiles[@]} files)"
		cocci_reports "$BASE_TAG" "$base.tmp" "${cfiles[@]}" && mv "$base.tmp" "$base"
	fi
	# The tip's reports, cached by the files' contents the same way.
	tipkey=$({
		echo "$key"
		git -C "$KSRC" ls-tree -r check -- "${cfiles[@]}" scripts/coccinelle scripts/coccicheck Makefile
	} | sha1sum | cut -c1-16)
	tip=$OUT/cocci-tip.$tipkey
	if [ -f "$tip" ] && [ -z "${PATCHQ_NO_CACHE:-}" ]; then
		log "coccicheck at the tip: cached (the same files)"
	elif [ -f "$base" ]; then
		log "coccicheck at the tip (${#cfiles[@]} files)"
		rm -f "$OUT"/cocci-tip.*
		cocci_reports check "$tip.tmp" "${cfiles[@]}" && mv "$tip.tmp" "$tip"
	fi
	if [ ! -f "$base" ]; then
		record static fail coccicheck "coccicheck failed at the base, see $base.tmp.log"
	elif [ ! -f "$tip" ]; then
		record static fail coccicheck "coccicheck failed at the tip, see $tip.tmp.log"
	else
		new=$(comm -13 "$base" "$tip")
		if [ -n "$new" ]; then
			echo "$new" >&2
			record static fail coccicheck "$(echo "$new" | wc -l) new report(s): $(echo "$new" | head -3 | tr '\n' ' ')"
		else
			record static pass coccicheck "${#cfiles[@]} touched C files and headers: no report the base did not have ($(wc -l <"$tip") at the tip, $(wc -l <"$base") at the base)"
		fi
	fi
fi

! grep -q '^fail' "$RESULTS/static.tsv"
