#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make series: the series as it would be posted, one folder per topic in
# build/series/<topic>/: git format-patch output with a cover letter from
# patches/<topic>/cover-letter.txt (first line: subject; then the body),
# To/Cc from the kernel's scripts/get_maintainer.pl.
. "$(dirname "$0")/lib.sh"
STAGE=series
need_tree_applied

DEST=$BUILD/series
rm -rf "$DEST"
mapfile -t commits < <(git -C "$KSRC" rev-list --reverse "$BASE_TAG"..check)
mapfile -t names < <(series_patches)
[ ${#commits[@]} = ${#names[@]} ] || die "series and $KSRC disagree: run make check-apply"

# Topics in series order, each with its first and last commit.
prev= first= i=0 earlier=()
emit() {
	local topic=$1 from=$2 to=$3 cover=$PATCHES/$1/cover-letter.txt
	[ -f "$cover" ] || die "$cover missing: every topic needs a cover letter"
	local to_list cc_list args=()
	local mbox
	mbox=$(mktemp)
	git -C "$KSRC" format-patch --stdout "$from~1..$to" >"$mbox"
	to_list=$(cd "$KSRC" && ./scripts/get_maintainer.pl --no-rolestats --no-git \
		--no-git-fallback "$mbox")
	rm -f "$mbox"
	while read -r m; do
		[ -n "$m" ] || continue
		case $m in *@vger.kernel.org | *@lists.*) args+=(--cc="$m") ;; *) args+=(--to="$m") ;; esac
	done <<<"$to_list"
	env -u GIT_COMMITTER_NAME -u GIT_COMMITTER_EMAIL \
		git -C "$KSRC" -c core.abbrev=12 format-patch -q --cover-letter --thread=shallow \
		--zero-commit --no-signature "${args[@]}" \
		-o "$DEST/$topic" "$from~1..$to" || die "format-patch failed for $topic"
	local subject body
	subject=$(head -1 "$cover")
	body=$(tail -n +3 "$cover")
	if [ ${#earlier[@]} -gt 0 ]; then
		body+=$'\n\n'"Applies on top of: ${earlier[*]} (earlier topics of this queue)."
	fi
	body+=$'\n\n'"Based on Linux $KERNELVERSION (Debian $PACKAGE $VERSION)."
	python3 - "$DEST/$topic/0000-cover-letter.patch" "$subject" "$body" <<-'PY'
	import sys
	p, subject, body = sys.argv[1:]
	s = open(p).read()
	s = s.replace("*** SUBJECT HERE ***", subject).replace("*** BLURB HERE ***", body)
	open(p, "w").write(s)
	PY
	log "$topic: $(ls "$DEST/$topic" | wc -l) mails in $DEST/$topic"
}

for i in "${!commits[@]}"; do
	topic=${names[$i]%%/*}
	if [ "$topic" != "$prev" ]; then
		[ -n "$prev" ] && { emit "$prev" "$first" "${commits[$((i - 1))]}"; earlier+=("$prev"); }
		first=${commits[$i]}
		prev=$topic
	fi
done
[ -n "$prev" ] && emit "$prev" "$first" "${commits[-1]}"
