#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Apply patches/series to the base in $KSRC (branch "check"), one commit per
# patch with git am: no fuzz, no 3-way merge. A patch that does not apply
# fails the stage with its name. Cached on the hash of BASE + series.
. "$(dirname "$0")/lib.sh"
stage_begin apply

# The summary names the base the series was applied to.
base_note() {
	local b
	b=$(head -1 "$BUILD/linux.base" 2>/dev/null)
	if [ "$(echo "$b" | awk '{ print $4 }')" = "$TARBALL_SHA256" ]; then
		stage_note "base ${b% sha256 *} (as pinned in BASE, sha256 ${TARBALL_SHA256:0:12})"
	else
		stage_note "base ${b:-unknown}: NOT the $VERSION pinned in BASE (PATCHQ_OTHER_BASE=1)"
	fi
}
base_note

hash=$(series_hash)
if [ -f "$BUILD/linux.applied" ] && [ "$(cat "$BUILD/linux.applied")" = "$hash" ] &&
	[ -z "$(git -C "$KSRC" status --porcelain)" ]; then
	n=$(series_patches | wc -l)
	log "series already applied ($n patches)"
	series_patches | while read -r p; do record apply pass "$p" "applied (cached)"; done
	exit 0
fi

rm -f "$BUILD/linux.applied"
cd "$KSRC" || die "no base tree: run harness/base.sh"
git am --abort >/dev/null 2>&1
# Reset to the base; git only rewrites files that differ, so kbuild keeps
# its incremental state for everything the series does not touch.
git checkout -q -f -B check "$BASE_TAG" || die "cannot reset $KSRC to $BASE_TAG"
git clean -q -fdx

failed=0
while read -r p; do
	f="$PATCHES/$p"
	if [ ! -f "$f" ]; then
		record apply fail "$p" "listed in series but missing"
		failed=1
		break
	fi
	if out=$(git am -q --no-3way --whitespace=error-all "$f" 2>&1); then
		record apply pass "$p"
	else
		git am --abort >/dev/null 2>&1
		record apply fail "$p" "does not apply: $(echo "$out" | head -3)"
		echo "$out" >&2
		failed=1
		break
	fi
done < <(series_patches)

[ $failed = 0 ] || exit 1
echo "$hash" >"$BUILD/linux.applied"
log "applied $(git rev-list --count "$BASE_TAG"..check) patches"
