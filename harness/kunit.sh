#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# KUnit: the suites of every .kunitconfig the series adds or changes, run
# with the kernel's own tools/testing/kunit/kunit.py under UML and under
# QEMU s390x. Each test case is one result. Until the series has a
# .kunitconfig this stage reports "0 suites".
. "$(dirname "$0")/lib.sh"
stage_begin kunit
need_tree_applied

mapfile -t kconfigs < <(series_files | grep -E '(^|/)\.kunitconfig$' || true)
if [ ${#kconfigs[@]} -eq 0 ]; then
	log "0 suites: the series adds no .kunitconfig yet"
	stage_note "0 suites: the series has no .kunitconfig yet"
	exit 0
fi
log "kunitconfigs: ${kconfigs[*]}"

# kunit_args <arch>: the --kunitconfig options for an architecture; a
# .kunitconfig under arch/<a>/ is only for architecture <a>.
kunit_args() {
	local k
	args=()
	for k in "${kconfigs[@]}"; do
		case $k in
		arch/"$1"/*) ;;
		arch/*) continue ;;
		esac
		args+=(--kunitconfig="$KSRC/$k")
	done
}

# run_kunit <label> <build dir> kunit.py args...
run_kunit() {
	local label=$1 bdir=$2
	shift 2
	local json=$LOGS/kunit-$label.json log=$LOGS/kunit-$label.log
	rm -f "$json"
	(cd "$KSRC" && ./tools/testing/kunit/kunit.py run --build_dir="$bdir" \
		--jobs="$JOBS" --timeout=900 --json="$json" "${args[@]}" "$@") >"$log" 2>&1
	local rc=$?
	if [ ! -s "$json" ]; then
		tail -25 "$log" >&2
		record kunit fail "$label" "kunit.py produced no results (exit $rc), see $log"
		return
	fi
	python3 - "$json" "$label" "$bdir/test.log" >>"$RESULTS/kunit.tsv" <<-'PY'
	import json, re, sys
	doc = json.load(open(sys.argv[1]))
	label = sys.argv[2]
	# kunit.py's JSON drops skip reasons; the raw KTAP has them.
	reasons = {}
	try:
	    for line in open(sys.argv[3], errors="replace"):
	        m = re.search(r"\bok \d+ (\S+) # SKIP (.*)", line)
	        if m:
	            reasons[m.group(1)] = m.group(2).strip()
	except FileNotFoundError:
	    pass
	def walk(group, path):
	    for case in group.get("test_cases", []):
	        name = f"{label} {path}.{case['name']}"
	        st = case.get("status", "")
	        if st == "PASS":
	            print(f"pass\t{name}\t")
	        elif st == "SKIP":
	            print(f"skip\t{name}\t{reasons.get(case['name'], 'skipped')}")
	        else:
	            print(f"fail\t{name}\t{st}")
	    for sub in group.get("sub_groups", []):
	        walk(sub, f"{path}.{sub['name']}" if path else sub["name"])
	walk(doc, "")
	PY
	# Fault injection tests log "<case>: faults-injected: N": a figure.
	local injected
	injected=$(grep -oE '# [a-z0-9_]+: faults-injected: [0-9]+' "$bdir/test.log" 2>/dev/null |
		awk '{ n += $NF } END { print n + 0 }')
	[ "$injected" -gt 0 ] &&
		printf 'faults-injected\t%s\t%s\n' "$injected" "$label" >>"$RESULTS/kunit.figures"
	grep -E '^(pass|fail|skip)' "$RESULTS/kunit.tsv" | grep -c "	$label " |
		xargs -I{} echo "[kunit] $label: {} test case(s)" >&2
	[ $rc = 0 ] || grep -q "	$label " "$RESULTS/kunit.tsv" ||
		record kunit fail "$label" "kunit.py exited $rc"
}

kunit_args um
run_kunit um "$OUT/kunit-um" --arch=um --make_options CC="ccache gcc"
# s390: QEMU adds a zPCI function (virtio-rng-pci, no driver for it in
# these kernels) that the KVM-VFIO suite binds to vfio-pci.
S390_ARGS=(--arch=s390 --cross_compile=s390x-linux-gnu-
	--make_options CC="ccache s390x-linux-gnu-gcc"
	--qemu_args="-device virtio-rng-pci")
kunit_args s390
run_kunit s390 "$OUT/kunit-s390" "${S390_ARGS[@]}"
# Again with the VFIO_KVM_IOMMU backend a module KUnit never loads: KVM's
# symbol_get()s of it fail (suites that need the backend skip).
args=(--kunitconfig="$CONFIGS/kunit-s390-backend-module.kunitconfig")
run_kunit s390-backend-module "$OUT/kunit-s390-backend-module" "${S390_ARGS[@]}"

! grep -q '^fail' "$RESULTS/kunit.tsv"
