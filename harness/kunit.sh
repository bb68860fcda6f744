#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# KUnit: the suites of every .kunitconfig the series adds or changes, built
# and run by the kernel's own tools/testing/kunit/kunit.py under UML and
# under QEMU s390x, then read from the kernel log the run left (test.log) by
# kunit_results.py: "kunit.py parse" for the verdicts, checked strictly
# (ktap.py), held against harness/expected-runs, and the whole log searched
# for kernel reports (klog.py). Each test case is one result.
#
# Configurations (the names harness/expected-runs uses):
#   kunit-um           UML, the .kunitconfig files outside arch/, with
#                      configs/kunit-um.kunitconfig (lockdep, atomic-sleep
#                      checks, DEBUG_VM)
#   kunit-s390         QEMU s390x, all of them, with configs/kunit-debug.kunitconfig
#                      (lockdep, atomic-sleep checks, DEBUG_VM, KASAN); the
#                      same kernel is the s390 guest's (lib.sh)
#   kunit-s390-module  QEMU s390x, configs/kunit-s390-backend-module.kunitconfig
#                      (VFIO_KVM_IOMMU a module KUnit never loads) with the
#                      same debug options
#
# KUNIT_CONFIGS="kunit-um kunit-s390" picks configurations for the edit loop.
. "$(dirname "$0")/lib.sh"
no_second_cpp
stage_begin kunit
read -ra KUNIT_LIST <<<"${KUNIT_CONFIGS:-kunit-um kunit-s390 kunit-s390-module}"
wanted() { [[ " ${KUNIT_LIST[*]} " == *" $1 "* ]]; }
need_tree_applied

files=$(series_files) || die "cannot list the files the series touches"
mapfile -t kconfigs < <(echo "$files" | grep -E '(^|/)\.kunitconfig$' || true)
if [ ${#kconfigs[@]} -eq 0 ]; then
	log "0 suites: the series adds no .kunitconfig yet"
	stage_note "0 suites: the series has no .kunitconfig yet"
	exit 0
fi
log "kunitconfigs: ${kconfigs[*]}"

# run_kunit <config> <build dir> kunit.py args...
run_kunit() {
	local config=$1 bdir=$2
	shift 2
	wanted "$config" || return 0
	local log=$LOGS/$config.log t0=$SECONDS
	rm -f "$bdir/test.log"
	(cd "$KSRC" && python3 "$KUNIT_PY" run --build_dir="$bdir" \
		--jobs="$JOBS" --timeout="${KUNIT_TIMEOUT:-600}" "$@") >"$log" 2>&1
	local rc=$?
	log "$config: kunit.py exited $rc after $((SECONDS - t0)) s"
	if [ ! -s "$bdir/test.log" ]; then
		tail -25 "$log" >&2
		record kunit fail "$config: build and boot" "kunit.py left no kernel log (exit $rc), see $log"
		return
	fi
	cp "$bdir/test.log" "$LOGS/$config-test.log"
	record kunit pass "$config: build and boot" "kernel built and booted, log in $LOGS/$config-test.log"
	python3 "$HARNESS/kunit_results.py" --log "$bdir/test.log" --config "$config" \
		--manifest "$HARNESS/expected-runs" --kunit-py "$KUNIT_PY" \
		--allow "$GUEST/kernel-log.allow" --figures "$RESULTS/kunit.figures" \
		>"$RESULTS/kunit.rows" 2>"$LOGS/$config-results.err"
	local prc=$?
	cat "$RESULTS/kunit.rows" >>"$RESULTS/kunit.tsv"
	if [ $prc != 0 ] && ! grep -q '^fail' "$RESULTS/kunit.rows"; then
		record kunit fail "$config: results" "kunit_results.py exited $prc, see $LOGS/$config-results.err"
	fi
	rm -f "$RESULTS/kunit.rows"
	log "$config: $(grep -c "	$config: .*	test$" "$RESULTS/kunit.tsv") test case(s)"
}

kunit_args um
run_kunit kunit-um "$OUT/kunit-um" --arch=um --make_options CC="ccache gcc" \
	--kunitconfig="$CONFIGS/kunit-um.kunitconfig" "${kargs[@]}"
# s390: the kernel the s390 guest boots too (lib.sh, s390_kunit_args).
s390_kunit_args kunit-s390
(
	flock 9
	run_kunit kunit-s390 "$S390_KUNIT_OUT" "${kargs[@]}" \
		--kernel_args="$KUNIT_KERNEL_ARGS"
	# Again with the VFIO_KVM_IOMMU backend a module KUnit never loads:
	# KVM's symbol_get()s of it fail (suites that need the backend skip).
	# It starts from a copy of the first s390 build, so that only what
	# its configuration changes is compiled again.
	if wanted kunit-s390-module && [ ! -e "$OUT/kunit-s390-backend-module/vmlinux" ] &&
		[ -e "$S390_KUNIT_OUT/vmlinux" ]; then
		log "seeding $OUT/kunit-s390-backend-module from $S390_KUNIT_OUT"
		rm -rf "$OUT/kunit-s390-backend-module"
		cp -a "$S390_KUNIT_OUT" "$OUT/kunit-s390-backend-module"
	fi
) 9>"$S390_KUNIT_OUT.lock"
s390_kunit_args kunit-s390-module
run_kunit kunit-s390-module "$OUT/kunit-s390-backend-module" "${kargs[@]}" \
	--kernel_args="$KUNIT_KERNEL_ARGS"

! grep -q '^fail' "$RESULTS/kunit.tsv"
