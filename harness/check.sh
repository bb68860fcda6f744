#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: every stage in order, each timed, then the summary whose last
# line is "N passed, N failed, N skipped". Stages after a failing one still
# run when they can; nothing runs on a series that does not apply.
#
#   check.sh [stage...]   stages: deps apply harness static bisect kunit guest
. "$(dirname "$0")/lib.sh"

ALL=(deps apply harness static bisect kunit guest)
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=("${ALL[@]}")

: >"$RESULTS/times.tsv"
for st in "${ALL[@]}"; do rm -f "$RESULTS/$st.tsv"; done

# run_stage <result name> <note> command...
run_stage() {
	local name=$1 note=$2 t0 rc
	shift 2
	printf '\n==== %s ====\n' "$name" >&2
	t0=$(now)
	"$@"
	rc=$?
	printf '%s\t%.1f\t%s\t%s\n' "$name" "$(echo "$(now) - $t0" | bc)" "$rc" "$note" \
		>>"$RESULTS/times.tsv"
	return $rc
}

applied=1
for st in "${stages[@]}"; do
	case $st in
	deps) run_stage deps "apt packages" "$HARNESS/deps.sh" || break ;;
	apply)
		run_stage apply "base + git am" bash -c "'$HARNESS/base.sh' && '$HARNESS/apply.sh'" ||
			applied=0
		;;
	harness | static | bisect | kunit | guest)
		if [ $applied = 0 ]; then
			log "skipping $st: the series does not apply"
			continue
		fi
		case $st in
		harness) run_stage harness "unit tests of the parsers and summary" \
			"$HARNESS/harness_tests.sh" ;;
		static) run_stage static "checkpatch, coccicheck" "$HARNESS/static.sh" ;;
		bisect) run_stage bisect "every prefix, x86 + s390, sparse + W=1" "$HARNESS/bisect.sh" ;;
		kunit) run_stage kunit "UML + s390 (QEMU)" "$HARNESS/kunit.sh" ;;
		guest) run_stage guest "x86 q35 + s390x zPCI guests, TCG" "$HARNESS/guest.sh" check ;;
		esac
		;;
	*) die "unknown stage $st (stages: ${ALL[*]})" ;;
	esac
done

python3 "$HARNESS/summary.py"
