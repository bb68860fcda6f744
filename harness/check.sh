#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: every stage, each timed, then the summary whose last line is
# "N passed, N failed, N skipped". Stages after a failing one still run
# when they can; nothing runs on a series that does not apply.
#
#   check.sh [stage...]   stages: deps apply harness static bisect kunit guest
#
# deps, apply and harness run first, one after the other. Then three lanes
# run at the same time, each its stages in order: "static bisect", "kunit"
# and "guest". No stage reads another's output (the s390 kernel that kunit
# and guest share is built under a lock, harness/lib.sh), so the order of
# the lanes changes no result. The guest lane (the longest: four kernels
# and four TCG guests in a row) runs at normal priority, the other two
# under nice 10, so that they take what the guest lane leaves of the two
# cores. PATCHQ_SERIAL=1 runs every stage one after the other (each
# stage's time then is its cost alone).
. "$(dirname "$0")/lib.sh"

ALL=(deps apply harness static bisect kunit guest)
LANES=("static bisect" kunit guest)
LANE_NICE=(10 10 0)

# child_cpu: user + sys seconds of the waited-for children (and theirs) of
# this script ($$, not a subshell: a lane is a process of its own), from
# /proc (fields 16 and 17: cutime, cstime).
child_cpu() {
	local -a f
	read -ra f <"/proc/$$/stat"
	# fields after the command name, which may hold spaces
	local rest=${f[*]}
	read -ra f <<<"${rest##*) }"
	echo "scale=1; (${f[13]} + ${f[14]}) / $(getconf CLK_TCK)" | bc
}

# run_stage <result name> <note> command...: the note gets the stage's
# compute (user + sys of everything it ran), which in a lanes run is its
# cost, where its wall time is not.
run_stage() {
	local name=$1 note=$2 t0 c0 rc
	shift 2
	printf '\n==== %s ====\n' "$name" >&2
	t0=$(now)
	c0=$(child_cpu)
	"$@"
	rc=$?
	printf '%s\t%.1f\t%s\t%s; %.1f cpu-min\n' "$name" "$(echo "$(now) - $t0" | bc)" "$rc" "$note" \
		"$(echo "scale=2; ($(child_cpu) - $c0) / 60" | bc)" >>"$RESULTS/times.tsv"
	return $rc
}

# run_one <stage>: one stage of those after apply.
run_one() {
	case $1 in
	harness) run_stage harness "unit tests of the parsers and summary" \
		"$HARNESS/harness_tests.sh" ;;
	static) run_stage static "checkpatch, coccicheck" "$HARNESS/static.sh" ;;
	bisect) run_stage bisect "every prefix, x86 + s390, sparse + W=1" "$HARNESS/bisect.sh" ;;
	kunit) run_stage kunit "UML + s390 (QEMU)" "$HARNESS/kunit.sh" ;;
	guest) run_stage guest "x86 q35 + s390x zPCI guests, TCG" "$HARNESS/guest.sh" check ;;
	esac
}

# check.sh --lane <stage>...: one lane (started by the code below).
if [ "${1:-}" = --lane ]; then
	shift
	# setsid made this lane an autogroup of its own, and the scheduler
	# weighs autogroups by their own nice value, not by their tasks': give
	# the autogroup this lane's nice, or every lane gets an equal share.
	# Without CAP_SYS_ADMIN the kernel takes one such write per 100 ms
	# system-wide (EAGAIN otherwise), and the lanes start together: retry.
	if [ "$(nice)" != 0 ] && [ -e /proc/self/autogroup ]; then
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			{ echo "$(nice)" >/proc/self/autogroup; } 2>/dev/null && break
			sleep 0.15
		done
		grep -q "nice $(nice)\$" /proc/self/autogroup ||
			log "could not give this lane's autogroup nice $(nice): the lanes share the cores equally"
	fi
	for st in "$@"; do run_one "$st"; done
	exit 0
fi

no_edit_loop_filters

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=("${ALL[@]}")
for st in "${stages[@]}"; do
	[[ " ${ALL[*]} " == *" $st "* ]] || die "unknown stage $st (stages: ${ALL[*]})"
done
wanted() { [[ " ${stages[*]} " == *" $1 "* ]]; }

# One run at a time per results directory: the lanes inherit the lock, so
# that a run whose lanes outlived it (check.sh killed with SIGKILL) cannot
# mix its rows into the next run's.
exec 8>"$RESULTS/.check.lock"
flock -n 8 || die "another make check (or what is left of one) still runs on $RESULTS: wait for it, or stop it"

: >"$RESULTS/times.tsv"
rm -f "$RESULTS/wall.tsv"
for st in "${ALL[@]}"; do rm -f "$RESULTS/$st.tsv"; done
t_start=$(now)
# cpu_ticks: busy and total jiffies of all cores, from /proc/stat.
cpu_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
read -r busy0 all0 < <(cpu_ticks)

# Each lane is a session of its own, so that stopping make check (Ctrl-C
# reaches only this script: a background job ignores SIGINT) stops each
# lane's stages and what they started, by their TERM traps.
declare -A lane_pids=()
stop_lanes() {
	local p n
	for p in "${!lane_pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
	# A stage's TERM trap runs when its current child has exited: give
	# them a minute, then kill what is left.
	for n in $(seq 300); do
		for p in "${!lane_pids[@]}"; do
			kill -0 -- "-$p" 2>/dev/null && break
			p=
		done
		[ -n "$p" ] || break
		sleep 0.2
	done
	for p in "${!lane_pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null; done
	lane_pids=()
}
for sig in INT TERM HUP; do
	# shellcheck disable=SC2064
	trap "stop_lanes; trap - $sig; kill -$sig \$\$" "$sig"
done

applied=1
wanted deps && { run_stage deps "apt packages" "$HARNESS/deps.sh" || applied=0; }
if [ $applied = 1 ] && wanted apply; then
	run_stage apply "base + git am" bash -c "'$HARNESS/base.sh' && '$HARNESS/apply.sh'" ||
		applied=0
fi
if [ $applied = 0 ]; then
	log "skipping the other stages: the packages did not install or the series does not apply"
else
	wanted harness && run_one harness
	lanes_run=()
	for i in "${!LANES[@]}"; do
		lane=()
		for st in ${LANES[$i]}; do wanted "$st" && lane+=("$st"); done
		[ ${#lane[@]} -gt 0 ] || continue
		if [ -n "${PATCHQ_SERIAL:-}" ]; then
			for st in "${lane[@]}"; do run_one "$st"; done
			continue
		fi
		setsid nice -n "${LANE_NICE[$i]}" "$0" --lane "${lane[@]}" &
		lane_pids[$!]=${lane[*]}
		lanes_run+=("${lane[*]}")
	done
	# A lane that stopped early (killed) leaves a stage without its
	# times row: it fails, rather than vanishing from the summary.
	for p in "${!lane_pids[@]}"; do
		wait "$p"
		rc=$?
		[ $rc = 0 ] && continue
		for st in ${lane_pids[$p]}; do
			cut -f1 "$RESULTS/times.tsv" | grep -qxF "$st" ||
				printf '%s\t0\t%s\t%s\n' "$st" "$rc" "its lane stopped (exit $rc) before the stage finished" \
					>>"$RESULTS/times.tsv"
		done
	done
	nlanes=${#lane_pids[@]}
	lane_pids=()
fi
read -r busy1 all1 < <(cpu_ticks)
printf '%.1f\t%s\t%s\n' "$(echo "$(now) - $t_start" | bc)" \
	"$([ "${nlanes:-0}" -gt 1 ] && { printf 'lanes:'; printf ' %s |' "${lanes_run[@]}"; } | sed 's/ |$//' || echo serial)" \
	"$(( (busy1 - busy0) * 100 / (all1 - all0 + 1) ))% of $(nproc) cores busy" >"$RESULTS/wall.tsv"

python3 "$HARNESS/summary.py"
