#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The harness's own unit tests (harness/test_harness.py): its TAP, KTAP,
# manifest, checkpatch-allowance, warning and summary code on crafted
# inputs. One row per test case.
. "$(dirname "$0")/lib.sh"
stage_begin harness
export KUNIT_PY=$KSRC/tools/testing/kunit/kunit.py
python3 "$HARNESS/test_harness.py" --rows >"$RESULTS/harness.rows" 2>"$LOGS/harness.log"
rc=$?
cat "$RESULTS/harness.rows" >>"$RESULTS/harness.tsv"
[ $rc = 0 ] || grep -q '^fail' "$RESULTS/harness.rows" ||
	record harness fail "test_harness.py" "exited $rc with no failing case, see $LOGS/harness.log"
rm -f "$RESULTS/harness.rows"
log "$(grep -c '^pass' "$RESULTS/harness.tsv") of $(wc -l <"$RESULTS/harness.tsv") unit tests passed"
! grep -q '^fail' "$RESULTS/harness.tsv"
