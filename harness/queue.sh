#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The developer's patch-queue workflow around $TREE:
#
#   queue.sh tree          git worktree of the base with one commit per patch
#   queue.sh export        write the tree's commits back into patches/ + series
#   queue.sh export-check  non-zero, naming it, if the tree holds work that is
#                          not in patches/ (uncommitted edits or commits)
#
# Each commit's topic (its folder under patches/) is a git note in
# refs/notes/topic. A commit without a note inherits the topic of the commit
# before it; start a new topic with
#   git -C build/tree notes --ref=topic add -m <topic> <commit>
# Notes follow commits through rebase and amend (notes.rewriteRef).
. "$(dirname "$0")/lib.sh"
STAGE=queue

export GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME_USER:-$(git config user.name || echo patchq)}

tree_git() { git -C "$TREE" "$@"; }

# export_to <dir>: format the tree's commits into <dir>/series + <dir>/<topic>/.
export_to() {
	local dir=$1 topic= prev= n=0 c note
	mkdir -p "$dir"
	# Keep the series file's preamble and per-topic "### <topic>: text" lines.
	local header
	header=$(sed -n '/^###/q;p' "$PATCHES/series" 2>/dev/null)
	printf '%s\n' "$header" >"$dir/series"
	while read -r c; do
		note=$(tree_git notes --ref=topic show "$c" 2>/dev/null | head -1)
		topic=${note:-$prev}
		[ -n "$topic" ] || die "commit $(tree_git log -1 --format='%h %s' "$c") has no topic note"
		if [ "$topic" != "$prev" ]; then
			local title
			title=$(grep -m1 "^### $topic:" "$PATCHES/series" 2>/dev/null)
			printf '\n%s\n' "${title:-### $topic:}" >>"$dir/series"
			n=$(find "$dir/$topic" -name '*.patch' 2>/dev/null | wc -l)
		fi
		n=$((n + 1))
		mkdir -p "$dir/$topic"
		local f
		f=$(tree_git -c core.abbrev=12 -c diff.algorithm=myers -c diff.renames=true \
			format-patch -1 "$c" --zero-commit --no-signature --no-numbered \
			--abbrev=12 --start-number "$n" -o "$dir/$topic") || die "format-patch $c failed"
		echo "$topic/$(basename "$f")" >>"$dir/series"
		prev=$topic
	done < <(tree_git rev-list --reverse "$BASE_TAG"..HEAD)
}

# Differences between <dir> and patches/ in what export writes (series and
# *.patch; cover letters and the checkpatch allow file are not exported).
compare_to_patches() {
	local dir=$1 f
	{
		(cd "$dir" && find . -name '*.patch' -o -name series)
		(cd "$PATCHES" && find . -name '*.patch' -o -name series)
	} | sed 's|^\./||' | sort -u | while read -r f; do
		if [ ! -e "$PATCHES/$f" ]; then
			echo "not exported: $f"
		elif [ ! -e "$dir/$f" ]; then
			echo "only in patches/ (not in the tree): $f"
		elif ! cmp -s "$dir/$f" "$PATCHES/$f"; then
			echo "differs from patches/: $f"
		fi
	done
}

cmd_tree() {
	"$HARNESS/base.sh" || exit 1
	if [ -d "$TREE" ]; then
		if ! cmd_export_check >/dev/null 2>&1 && [ -z "${FORCE:-}" ]; then
			cmd_export_check
			die "$TREE holds work not in patches/: 'make export' it, or FORCE=1 to discard"
		fi
		git -C "$KSRC" worktree remove --force "$TREE"
	fi
	git -C "$KSRC" worktree prune
	git -C "$KSRC" worktree add -q -f -B dev "$TREE" "$BASE_TAG" || die "worktree add failed"
	tree_git config notes.rewriteRef refs/notes/topic
	tree_git config notes.rewrite.amend true
	tree_git config notes.rewrite.rebase true
	tree_git notes --ref=topic prune >/dev/null 2>&1
	local p
	while read -r p; do
		GIT_COMMITTER_NAME=$GIT_COMMITTER_NAME tree_git am -q --no-3way "$PATCHES/$p" ||
			{ tree_git am --abort; die "$p does not apply"; }
		tree_git notes --ref=topic add -f -m "${p%%/*}" HEAD
	done < <(series_patches)
	log "$TREE: $(tree_git rev-list --count "$BASE_TAG"..HEAD) commits on $BASE_TAG (branch dev)"
	log "edit and commit there, then 'make export'"
}

cmd_export() {
	[ -d "$TREE" ] || die "no $TREE: run 'make tree' first"
	local dirty
	dirty=$(tree_git status --porcelain)
	[ -z "$dirty" ] || die "uncommitted changes in $TREE, commit them first:"$'\n'"$dirty"
	local tmp
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	export_to "$tmp"
	# Replace patches/ by the fresh export, keeping files that are not patches.
	find "$PATCHES" -name '*.patch' -delete
	cp "$tmp/series" "$PATCHES/series"
	(cd "$tmp" && find . -name '*.patch' -exec cp --parents {} "$PATCHES/" \;)
	find "$PATCHES" -mindepth 1 -type d -empty -delete
	log "exported $(series_patches | wc -l) patches; review with 'git diff -- patches/'"
}

cmd_export_check() {
	if [ ! -d "$TREE" ]; then
		log "no working tree ($TREE): nothing to lose"
		return 0
	fi
	local bad=0 dirty tmp diffs
	dirty=$(tree_git status --porcelain)
	if [ -n "$dirty" ]; then
		echo "uncommitted in $TREE:"
		echo "$dirty" | sed 's/^/  /'
		bad=1
	fi
	tmp=$(mktemp -d)
	export_to "$tmp" 2>/dev/null || { echo "cannot export $TREE"; bad=1; }
	diffs=$(compare_to_patches "$tmp")
	rm -rf "$tmp"
	if [ -n "$diffs" ]; then
		echo "committed in $TREE but not exported to patches/:"
		echo "$diffs" | sed 's/^/  /'
		bad=1
	fi
	[ $bad = 0 ] && log "tree and patches/ agree"
	return $bad
}

case ${1:-} in
tree) cmd_tree ;;
export) cmd_export ;;
export-check) cmd_export_check ;;
*) die "usage: $0 tree|export|export-check" ;;
esac
