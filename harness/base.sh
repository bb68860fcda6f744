#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Extract the pinned base kernel into $KSRC as a git repository whose first
# commit is tagged "base". Cached: redone only when the tarball changes.
. "$(dirname "$0")/lib.sh"
STAGE=base

[ -r "$TARBALL" ] || die "$TARBALL missing: run 'make deps' (installs $PACKAGE=$VERSION)"

have=$(dpkg-query -W -f='${Version}' "$PACKAGE" 2>/dev/null || true)
stamp="$BUILD/linux.base"
if [ -f "$stamp" ] && [ "$(stat -c %Y:%s "$TARBALL")" = "$(sed -n 2p "$stamp")" ] &&
	git -C "$KSRC" rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null; then
	if [ "$(head -1 "$stamp" | awk '{ print $4 }')" != "$TARBALL_SHA256" ] &&
		[ "${PATCHQ_OTHER_BASE:-}" != 1 ]; then
		die "the extracted base is $(head -1 "$stamp"), not the pinned $VERSION ($TARBALL_SHA256); PATCHQ_OTHER_BASE=1 runs on it anyway"
	fi
	log "base cached: $(head -1 "$stamp")"
	exit 0
fi

log "verifying $TARBALL"
sum=$(sha256sum "$TARBALL" | cut -d' ' -f1)
if [ "$sum" != "$TARBALL_SHA256" ]; then
	if [ "$have" = "$VERSION" ]; then
		die "$TARBALL is $PACKAGE $VERSION but its sha256 is $sum, BASE says $TARBALL_SHA256"
	fi
	[ "${PATCHQ_OTHER_BASE:-}" = 1 ] ||
		die "$TARBALL is $PACKAGE $have (sha256 $sum), not the $VERSION pinned in BASE" \
			"($TARBALL_SHA256); PATCHQ_OTHER_BASE=1 runs on it anyway"
	warn_loud "base is $PACKAGE $have (sha256 $sum), not the pinned $VERSION" \
		"($TARBALL_SHA256), as PATCHQ_OTHER_BASE=1 allows."
fi

if [ -d "$TREE" ] && ! "$HARNESS/queue.sh" export-check >/dev/null 2>&1; then
	"$HARNESS/queue.sh" export-check
	die "re-extracting the base would destroy $TREE, which holds work not in patches/"
fi
log "extracting $PACKAGE $have into $KSRC"
rm -rf "$KSRC" "$BUILD/linux.applied" "$BUILD/tree" "$BUILD/bisect" "$BUILD/bisect-s390" "$BUILD/bench-base"
mkdir -p "$KSRC"
tar -xJf "$TARBALL" -C "$KSRC" --strip-components=1 || die "extracting $TARBALL failed"
# Debian's packaging appends "ignore everything at the top level" to the
# kernel's .gitignore and its ".*" rule hides new .gitignore and .kunitconfig
# files, so git would not see files a patch adds. In the base commit only,
# drop that block and re-include those two dot-files; no patch touches the
# top-level .gitignore, so the series applies to the pristine tarball alike.
python3 - "$KSRC/.gitignore" <<'PY' || die "cannot fix up .gitignore"
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
i = lines.index("# Debian packaging: ignore everything at the top level, since it isn't")
j = lines.index("!/debian/", i)
del lines[i - 1:j + 1]
while lines and not lines[-1]:
    lines.pop()
lines += ["", "# Added by the patch queue harness: dot-files a patch may add", "!.gitignore", "!.kunitconfig", ""]
open(p, "w").write("\n".join(lines))
PY

log "committing the base"
(
	cd "$KSRC" || exit 1
	git init -q -b check
	git config core.autocrlf false
	git config gc.auto 0
	git config advice.detachedHead false
	git add -A -f
	GIT_AUTHOR_NAME=debian GIT_AUTHOR_EMAIL=debian@localhost \
		GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' \
		git commit -q -m "$PACKAGE $have" -m "sha256 $sum" \
			-m "In .gitignore only: Debian's top-level ignore-everything block dropped, .gitignore and .kunitconfig re-included."
	git tag "$BASE_TAG"
) || die "creating the base repository failed"

printf '%s %s sha256 %s\n%s\n' "$PACKAGE" "$have" "$sum" "$(stat -c %Y:%s "$TARBALL")" >"$stamp"
log "base ready at $(git -C "$KSRC" rev-parse --short=12 "$BASE_TAG")"
