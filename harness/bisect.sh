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
#
# The two architectures walk the series at the same time, each in a
# worktree of its own ($BUILD/bisect for x86, $BUILD/bisect-s390), so that
# the serial steps of one (configuring, linking, waiting for the last big
# file of a directory) leave the cores to the other's compiles.
. "$(dirname "$0")/lib.sh"
. "$HARNESS/kbuild.sh"
exec </dev/null
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
	if [ -f "$cache" ] && [ -z "${PATCHQ_NO_CACHE:-}" ]; then
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
	if ! bisect_build_kdirs "$arch" "$blog" "${dirs[@]}"; then
		log "the base build of ${dirs[*]} failed ($arch), see $blog" >&2
		return 1
	fi
	python3 "$HARNESS/build_warnings.py" --tree "$BISECT" --touched "$TOUCHED" "$blog" \
		>"$cache.tmp" && mv "$cache.tmp" "$cache" && touch "$out/.patchq-base-built" &&
		echo "$cache"
}


# selftest_inputs <arch>: what the selftests' build reads at this commit.
selftest_inputs() {
	local karch=x86_64
	[ "$1" = s390 ] && karch=s390
	git -C "$BISECT" ls-tree -r "$at" -- tools include/uapi "arch/$karch/include/uapi" \
		scripts/headers_install.sh scripts/unifdef.c | sha1sum | cut -c1-16
}

# A prefix's result is a function of its tree, the configuration, the
# toolchain and this stage's code: a pass is kept under a key made of all
# of them ($OUT/bisect-cache, PATCHQ_NO_CACHE=1 ignores it), so that a run
# on the same series builds nothing again, and a changed patch rebuilds
# from itself on. Failures are never kept.
CACHE=$OUT/bisect-cache
mkdir -p "$CACHE"
stage_key=$({
	cat "$CONFIGS"/bisect*.config "$TOUCHED" "$HARNESS/bisect.sh" "$HARNESS/kbuild.sh" \
		"$HARNESS/sparse_touched.sh" "$HARNESS/build_warnings.py" "$HARNESS/lib.sh"
	printf '%s\n' "${kdirs[@]}" "${stdirs[@]}"
	gcc --version | head -1; s390x-linux-gnu-gcc --version | head -1; sparse --version
} | sha1sum | cut -c1-16)
# prefix_key <commit> <arch>
prefix_key() {
	{
		echo "$stage_key $2"
		git -C "$KSRC" rev-parse "$1^{tree}"
		cat "${base_warn:-/dev/null}"
	} | sha1sum | cut -c1-16
}

# kernel_inputs_changed <from> <to>: true if a file a kernel build can read
# differs between the commits: anything but the selftests, documentation
# (Kconfig files there excepted) and MAINTAINERS.
kernel_inputs_changed() {
	git -C "$KSRC" diff --no-renames --name-only "$1" "$2" | awk '
		/(^|\/)Kconfig[^\/]*$/ { f = 1 }
		!/^(tools\/testing\/|Documentation\/)/ && $0 != "MAINTAINERS" { f = 1 }
		END { exit !f }'
}

# walk <arch>: every prefix for one architecture in its own worktree, then
# the coverage check at the tip. Runs in a subshell of its own.
walk() {
	local arch=$1 i c name log detail t0 key kconfig_changed k h new now_warn
	local configured=0 at= st_hash= st_from= built= base_warn= k_at= k_from=
	local -a kconfigs_changed akdirs
	[ "$arch" = x86 ] || BISECT=$BUILD/bisect-$arch
	bisect_tree
	if [ ${#kdirs[@]} -gt 0 ]; then
		rm -f "$(bisect_out "$arch")/.patchq-base-built"
		base_warn=$(base_warnings "$arch") ||
			record bisect fail "base [$arch]" "configuring or building the base failed"
		# base_warnings may have checked the base out and configured it
		at=$BASE_TAG configured=0
		# If it built the base just now, the output directory holds the
		# base's build in this configuration (warnings are measured
		# against it: none is new).
		if [ -n "$base_warn" ] && [ -f "$(bisect_out "$arch")/.patchq-base-built" ]; then
			configured=1 k_at=$BASE_TAG k_from="the base"
		fi
	fi
	for i in "${!commits[@]}"; do
		c=${commits[$i]}
		name="$((i + 1))/${#commits[@]} ${names[$i]}"
		log="$LOGS/bisect-$((i + 1))-$arch.log"
		detail=()
		t0=$SECONDS
		key=$(prefix_key "$c" "$arch")
		if [ -f "$CACHE/$key" ] && [ -z "${PATCHQ_NO_CACHE:-}" ]; then
			record bisect pass "$name [$arch]" "$(cat "$CACHE/$key") (cached: the same tree, configuration and toolchain passed before)"
			configured=0 k_at=
			continue
		fi
		if [ "$at" != "$c" ]; then
			bisect_checkout "$c"
			at=$c
			# What this patch changes is compiled at this prefix, so that
			# its warnings are seen here, whatever the output directory
			# held before (a checkout leaves a file alone that is the
			# same as at the commit it comes from).
			git -C "$BISECT" diff --name-only --diff-filter=AM "$c~1" "$c" |
				(cd "$BISECT" && xargs -r touch)
		fi
		# Reconfigure when the prefix changes a Kconfig file that is not
		# another architecture's (or on first use, or after prefixes
		# taken from the cache).
		mapfile -t kconfigs_changed < <(git -C "$KSRC" diff --name-only "$c~1" "$c" | grep 'Kconfig' || true)
		kconfig_changed=0
		for k in "${kconfigs_changed[@]}"; do
			for_other_arch "$arch" "$k" || kconfig_changed=1
		done
		if [ ${#kdirs[@]} -gt 0 ] && [ -n "$k_at" ] && ! kernel_inputs_changed "$k_at" "$c"; then
			# Nothing a kernel build reads changed since $k_from,
			# which built in this output directory with no new warning:
			# the build here would be the same one.
			detail+=("kernel: no kernel source changed since $k_from, built there")
		elif [ ${#kdirs[@]} -gt 0 ]; then
			if [ $i = 0 ] || [ "$kconfig_changed" != 0 ] || [ $configured = 0 ]; then
				bisect_config "$arch" || { record bisect fail "$name [$arch]" "config failed"; continue; }
				configured=1
			fi
			mapfile -t akdirs < <(targets_for "$arch" "${kdirs[@]}" |
				while read -r d; do [ -d "$BISECT/$d" ] && echo "$d"; done)
			if ! bisect_build_kdirs "$arch" "$log" "${akdirs[@]}"; then
				grep -m3 -E 'error:|Error [0-9]' "$log" >&2
				record bisect fail "$name [$arch]" "kernel build failed: $(grep -m1 'error:' "$log")"
				continue
			fi
			if [ -z "$base_warn" ] || [ ! -f "$base_warn" ]; then
				record bisect fail "$name [$arch]" "no base warnings to compare with"
				continue
			fi
			if ! now_warn=$(python3 "$HARNESS/build_warnings.py" --tree "$BISECT" \
				--touched "$TOUCHED" "$log") ||
				! new=$(python3 "$HARNESS/build_warnings.py" --new "$base_warn" \
					<(printf '%s\n' "$now_warn")); then
				record bisect fail "$name [$arch]" "build_warnings.py failed on $log"
				continue
			fi
			if [ -n "$new" ]; then
				echo "$new" >&2
				record bisect fail "$name [$arch]" "$(echo "$new" | wc -l) new sparse/W=1 warning(s): $(echo "$new" | head -3 | tr '\n' ' ')"
				continue
			fi
			detail+=("${#akdirs[@]} kernel dir(s) with sparse and W=1, no new warning")
			k_at=$c k_from="prefix $((i + 1))"
		fi
		if [ ${#stdirs[@]} -gt 0 ]; then
			h=$(selftest_inputs "$arch")
			if [ "$st_hash" = "$h" ]; then
				detail+=("selftests: sources and uapi headers as at $st_from, built there")
			elif ! selftests_install "$arch" "$BISECT" "$(bisect_out "$arch")-selftests" \
				"$log.selftests" "${sttargets[@]}"; then
				grep -m3 -E 'error|warning' "$log.selftests" >&2
				record bisect fail "$name [$arch]" "selftests build failed: $(grep -m1 -E 'error|warning' "$log.selftests")"
				continue
			else
				st_hash=$h
				st_from=$((i + 1))
				detail+=("${#stdirs[@]} selftest dir(s) built")
			fi
		fi
		printf '%s' "$(printf '%s; ' "${detail[@]}" | sed 's/; $//')" >"$CACHE/$key"
		built=$c
		record bisect pass "$name [$arch]" "$(cat "$CACHE/$key"); $((SECONDS - t0)) s"
	done
	coverage "$arch" "$built"
}

# coverage <arch> <the commit last built>: at the tip, every kernel C file
# the series touches must have been built by the directory builds above
# (listed in a built-in.a or a module's .mod), or the prefixes were not
# really checked for it.
coverage() {
	local arch=$1 built=$2 out key tip=${commits[-1]} f o dir n=0
	local -a cfiles missing=() akdirs
	mapfile -t cfiles < <(touched_c)
	[ ${#cfiles[@]} -gt 0 ] || return 0
	out=$(bisect_out "$arch")
	key=$(prefix_key "$tip" "$arch")-coverage
	if [ -f "$CACHE/$key" ] && [ -z "${PATCHQ_NO_CACHE:-}" ]; then
		record bisect pass "coverage [$arch]" "$(cat "$CACHE/$key") (cached)"
		return
	fi
	if [ "$built" != "$tip" ]; then
		# The tip came from the cache: build it for the check.
		bisect_checkout "$tip"
		mapfile -t akdirs < <(targets_for "$arch" "${kdirs[@]}")
		bisect_config "$arch" &&
			bisect_build_kdirs "$arch" "$LOGS/bisect-tip-$arch.log" "${akdirs[@]}" ||
			{ record bisect fail "coverage [$arch]" "building the tip failed, see $LOGS/bisect-tip-$arch.log"; return; }
	fi
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
		grep -qsF -- "$o" /dev/null $(find "$out/$dir" -maxdepth 1 -name '*.mod' 2>/dev/null) ||
			grep -qsaF -- "${o#"$dir"/}/" "$out/$dir/built-in.a" ||
			missing+=("$f")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "all $n touched C files of $arch built by configs/bisect*.config" >"$CACHE/$key"
		record bisect pass "coverage [$arch]" "$(cat "$CACHE/$key")"
	else
		record bisect fail "coverage [$arch]" "not built by configs/bisect*.config: ${missing[*]}"
	fi
}

# Both architectures at once; rows are appended line by line to the same
# results file. Stopped, this script stops the walks and what they run:
# each walker is frozen first, so that it forks nothing new while its
# children are killed. A signal is passed on, so that make check stops too.
declare -A walkers=()
kill_tree() {
	local p
	for p in "$@"; do
		kill_tree $(pgrep -P "$p")
		kill "$p" 2>/dev/null
	done
}
stop_walkers() {
	local p
	for p in "${!walkers[@]}"; do
		kill -STOP "$p" 2>/dev/null
		kill_tree $(pgrep -P "$p")
		kill -TERM "$p" 2>/dev/null
		kill -CONT "$p" 2>/dev/null
	done
	walkers=()
}
trap stop_walkers EXIT
for sig in INT TERM HUP; do
	# shellcheck disable=SC2064
	trap "stop_walkers; trap - $sig; kill -$sig \$\$" "$sig"
done
for arch in "${ARCHES[@]}"; do
	walk "$arch" &
	walkers[$!]=$arch
done
for p in "${!walkers[@]}"; do
	wait "$p" ||
		record bisect fail "walk [${walkers[$p]}]" "the ${walkers[$p]} walk stopped early (exit $?): prefixes after its last row were not built, see the log above"
done
walkers=()

! grep -q '^fail' "$RESULTS/bisect.tsv"
