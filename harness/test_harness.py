#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the harness's parsers and summary, on crafted inputs.

Run by "make check" (stage harness) and alone with
    python3 harness/test_harness.py -v
Each case feeds one crafted run to the code the stages use and checks the
rows it makes; a hole in a parser shows here as a failing case.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import build_warnings  # noqa: E402
import checkpatch_check  # noqa: E402
import guest_results  # noqa: E402
import klog  # noqa: E402
import manifest  # noqa: E402
import tap  # noqa: E402


def runner(*programs, plan=None, rc=0):
    """The kselftest runner's output for (name, inner lines, result) programs,
    then the guest's line with its exit status @rc (None: no such line)."""
    out = ["TAP version 13", f"1..{len(programs) if plan is None else plan}"]
    for i, (name, inner, result) in enumerate(programs, 1):
        out.append("# timeout set to 300")
        out.append(f"# selftests: vfio: {name}")
        out += ["# " + l for l in inner]
        if result is not None:
            out.append(result.format(n=i, name=f"selftests: vfio: {name}"))
    if rc is not None:
        out.append(f"# patchq-runner-exit: {rc}")
    return out


def prog(*results, plan=None, totals=True):
    """A kselftest_harness program's TAP for results ("ok"|"not ok"|"skip", name)."""
    n = len(results) if plan is None else plan
    out = ["TAP version 13", f"1..{n}", f"# Starting {n} tests from 1 test cases."]
    cnt = {"ok": 0, "not ok": 0, "skip": 0}
    for i, (st, name) in enumerate(results, 1):
        out.append(f"#  RUN           {name} ...")
        if st == "skip":
            out.append(f"ok {i} {name} # SKIP no edu device")
        else:
            out.append(f"{st} {i} {name}")
        cnt[st] += 1
    if totals:
        out.append(f"# Totals: pass:{cnt['ok']} fail:{cnt['not ok']} xfail:0 xpass:0 "
                   f"skip:{cnt['skip']} error:0")
    return out


OK = "ok {n} {name}"
NOT_OK = "not ok {n} {name} # exit=1"
SKIP = "ok {n} {name} # SKIP"


def by_name(rows):
    return {r[1]: r for r in rows}


class TapTest(unittest.TestCase):
    def test_clean_run(self):
        rows = tap.parse_runner(runner(("t", prog(("ok", "a.x"), ("ok", "a.y")), OK)), "x86: ")
        r = by_name(rows)
        self.assertEqual(r["x86: t:a.x"][:2], ("pass", "x86: t:a.x"))
        self.assertEqual(r["x86: t"][0], "pass")
        self.assertEqual(r["x86: runner"][0], "pass")
        self.assertFalse([x for x in rows if x[0] == "fail"])

    def test_skip_is_a_skip_with_reason(self):
        rows = by_name(tap.parse_runner(runner(("t", prog(("skip", "a.x")), SKIP))))
        self.assertEqual(rows["t:a.x"][0], "skip")
        self.assertEqual(rows["t:a.x"][2], "no edu device")

    def test_skip_spelled_otherwise_is_a_skip(self):
        # TAP reads any "skip..." word as SKIP; a pass would hide it.
        for comment in ("SKIPPED no edu device", "skipping: no edu device"):
            inner = ["TAP version 13", "1..1", f"ok 1 a.x # {comment}"]
            rows = by_name(tap.parse_runner(runner(("t", inner, OK))))
            self.assertEqual(rows["t:a.x"][0], "skip", comment)
            self.assertEqual(rows["t:a.x"][2], "no edu device", comment)

    def test_empty_plan_is_a_skip_row_with_reason(self):
        inner = ["TAP version 13", "1..0 # SKIP no VFIO_KVM_IOMMU here"]
        rows = by_name(tap.parse_runner(runner(("t", inner, SKIP))))
        self.assertEqual(rows["t"][0], "skip")
        self.assertEqual(rows["t"][2], "no VFIO_KVM_IOMMU here")

    def test_more_results_than_planned_fails(self):
        inner = prog(("ok", "a.x"), ("ok", "a.y"), plan=1)
        rows = by_name(tap.parse_runner(runner(("t", inner, OK))))
        self.assertEqual(rows["t"][0], "fail")
        self.assertIn("plan says 1", rows["t"][2])

    def test_fewer_results_than_planned_fails(self):
        inner = prog(("ok", "a.x"), plan=3, totals=False)
        rows = by_name(tap.parse_runner(runner(("t", inner, NOT_OK))))
        self.assertEqual(rows["t"][0], "fail")
        self.assertIn("stopped after 1 of 3", rows["t"][2])

    def test_bail_out_fails(self):
        inner = prog(("ok", "a.x"))[:3] + ["Bail out! cannot open /dev/vfio/vfio"]
        inner += ["ok 1 a.x"]
        rows = by_name(tap.parse_runner(runner(("t", inner, OK), plan=1)))
        self.assertEqual(rows["t"][0], "fail")
        self.assertIn("Bail out!", rows["t"][2])
        rows = by_name(tap.parse_runner(runner(("t", prog(("ok", "a.x")), OK)) + ["Bail out! runner"]))
        self.assertEqual(rows["runner"][0], "fail")

    def test_no_plan_fails(self):
        rows = by_name(tap.parse_runner(runner(("t", ["ok 1 a.x"], OK))))
        self.assertEqual(rows["t"][0], "fail")
        self.assertIn("no TAP plan", rows["t"][2])

    def test_totals_disagreeing_fails(self):
        inner = prog(("ok", "a.x"), ("ok", "a.y"), totals=False)
        inner.append("# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:0 error:0")
        rows = by_name(tap.parse_runner(runner(("t", inner, OK))))
        self.assertEqual(rows["t"][0], "fail")
        self.assertIn("Totals", rows["t"][2])

    def test_out_of_order_and_duplicate_results_fail(self):
        inner = ["TAP version 13", "1..2", "ok 2 a.x", "ok 1 a.x"]
        rows = by_name(tap.parse_runner(runner(("t", inner, OK))))
        self.assertEqual(rows["t"][0], "fail")
        self.assertIn("where 1 was due", rows["t"][2])
        self.assertIn("two results named a.x", rows["t"][2])

    def test_unknown_directive_fails(self):
        inner = ["TAP version 13", "1..1", "ok 1 a.x # XFAIL known"]
        rows = by_name(tap.parse_runner(runner(("t", inner, OK))))
        self.assertEqual(rows["t:a.x"][0], "fail")

    def test_runner_failure_with_passing_cases_fails(self):
        rows = by_name(tap.parse_runner(runner(("t", prog(("ok", "a.x")), NOT_OK))))
        self.assertEqual(rows["t"][0], "fail")
        self.assertIn("runner says not ok", rows["t"][2])

    def test_timeout_fails(self):
        inner = prog(("ok", "a.x"), plan=2, totals=False)
        res = "not ok {n} {name} # TIMEOUT 300 seconds"
        rows = by_name(tap.parse_runner(runner(("t", inner, res))))
        self.assertEqual(rows["t"][0], "fail")
        self.assertIn("TIMEOUT", rows["t"][2])

    def test_truncated_run_fails(self):
        lines = runner(("t", prog(("ok", "a.x")), OK), ("u", prog(("ok", "b.x"))[:3], None))
        rows = by_name(tap.parse_runner(lines))
        self.assertEqual(rows["runner"][0], "fail")
        self.assertIn("stopped after 1 of 2 programs", rows["runner"][2])
        self.assertEqual(rows["u"][0], "fail")

    def test_more_programs_than_planned_fails(self):
        lines = runner(("t", prog(("ok", "a.x")), OK), ("u", prog(("ok", "b.x")), OK), plan=1)
        rows = by_name(tap.parse_runner(lines))
        self.assertEqual(rows["runner"][0], "fail")

    def test_runner_exit_is_read(self):
        for rc, why in ((None, "the runner never returned"),
                        (2, "the runner exited with status 2")):
            rows = by_name(tap.parse_runner(runner(("t", prog(("ok", "a.x")), OK), rc=rc)))
            self.assertEqual(rows["runner"][0], "fail", rc)
            self.assertIn(why, rows["runner"][2])
        lines = runner(("t", prog(("ok", "a.x")), OK)) + ["# patchq-runner-exit: 0"]
        self.assertIn("a second runner exit status", by_name(tap.parse_runner(lines))["runner"][2])

    def test_no_tap_at_all_fails(self):
        rows = by_name(tap.parse_runner(["# patchq-setup: ok", "### dmesg"]))
        self.assertEqual(rows["runner"][0], "fail")

    def test_case_output_is_kept(self):
        inner = ["TAP version 13", "1..1", "# DMAs: 5 landed", "ok 1 a.x"]
        outputs = {}
        tap.parse_runner(runner(("t", inner, OK)), "", outputs)
        self.assertIn("# DMAs: 5 landed", outputs["t:a.x"])


MANIFEST = """
# a crafted manifest
[guest: x86 x86-debug s390]
t:a.x
t:a.y   skip s390: no edu device
t:a.z   skip x86 s390: no CONFIG_FAULT_INJECTION ; needs x86-debug: faults-injected: [1-9]
""".splitlines()


class ManifestTest(unittest.TestCase):
    def setUp(self):
        self.m = manifest.Manifest(MANIFEST)

    def rows(self, config, *cases):
        return [(st, f"{config}: {c}", why, "test") for st, c, why in cases]

    def test_all_as_expected(self):
        rows = self.rows("s390", ("pass", "t:a.x", ""), ("skip", "t:a.y", "no edu device"),
                         ("skip", "t:a.z", "no CONFIG_FAULT_INJECTION in this kernel"))
        out = manifest.check(self.m, "s390", rows)
        self.assertFalse([r for r in out if r[0] == "fail"])

    def test_skip_where_it_must_run_fails_naming_reason(self):
        rows = self.rows("x86", ("skip", "t:a.x", "no PCI function bound to vfio-pci"),
                         ("pass", "t:a.y", ""), ("skip", "t:a.z", "no CONFIG_FAULT_INJECTION"))
        out = by_name(manifest.check(self.m, "x86", rows))
        self.assertEqual(out["x86: t:a.x"][0], "fail")
        self.assertIn("no PCI function bound to vfio-pci", out["x86: t:a.x"][2])

    def test_skip_for_another_reason_fails(self):
        rows = self.rows("s390", ("pass", "t:a.x", ""), ("skip", "t:a.y", "no group"),
                         ("skip", "t:a.z", "no CONFIG_FAULT_INJECTION"))
        out = by_name(manifest.check(self.m, "s390", rows))
        self.assertEqual(out["s390: t:a.y"][0], "fail")

    def test_missing_case_fails(self):
        rows = self.rows("x86", ("pass", "t:a.x", ""), ("skip", "t:a.z", "no CONFIG_FAULT_INJECTION"))
        out = by_name(manifest.check(self.m, "x86", rows))
        self.assertEqual(out["x86: t:a.y"][0], "fail")
        self.assertIn("not reported", out["x86: t:a.y"][2])

    def test_program_skipped_as_a_whole(self):
        # "1..0 # SKIP why" stands for each listed case of the program.
        skip = [("skip", "x86: t", "no edu device", "test")]
        out = by_name(manifest.check(self.m, "x86", skip))
        for c in ("t:a.x", "t:a.y"):
            self.assertEqual(out[f"x86: {c}"][0], "fail", out)
            self.assertIn("no edu device", out[f"x86: {c}"][2])
        # where each case may skip for that reason, they are skips
        skip = [("skip", "s390: t", "no edu device, no CONFIG_FAULT_INJECTION", "test")]
        out = manifest.check(self.m, "s390", skip)
        self.assertEqual([r for r in out if r[0] == "fail"],
                         [r for r in out if r[1] == "s390: t:a.x"], out)
        # a program the manifest does not know fails, whatever it says
        rows = self.rows("x86", ("pass", "t:a.x", ""), ("pass", "t:a.y", ""),
                         ("skip", "t:a.z", "no CONFIG_FAULT_INJECTION"),
                         ("skip", "newprog", "nothing to do here"))
        out = by_name(manifest.check(self.m, "x86", rows))
        self.assertEqual(out["x86: newprog"][0], "fail")

    def test_case_reported_twice_fails(self):
        # A program run twice would count its passes twice.
        rows = self.rows("x86", ("pass", "t:a.x", ""), ("pass", "t:a.y", ""),
                         ("skip", "t:a.z", "no CONFIG_FAULT_INJECTION"), ("pass", "t:a.x", ""))
        out = manifest.check(self.m, "x86", rows)
        fails = [r for r in out if r[0] == "fail"]
        self.assertEqual(len(fails), 1, out)
        self.assertIn("reported twice", fails[0][2])

    def test_unlisted_case_fails(self):
        rows = self.rows("x86", ("pass", "t:a.x", ""), ("pass", "t:a.y", ""),
                         ("skip", "t:a.z", "no CONFIG_FAULT_INJECTION"), ("pass", "t:new", ""))
        out = by_name(manifest.check(self.m, "x86", rows))
        self.assertEqual(out["x86: t:new"][0], "fail")

    def test_needs_clause(self):
        rows = self.rows("x86-debug", ("pass", "t:a.x", ""), ("pass", "t:a.y", ""),
                         ("pass", "t:a.z", ""))
        out = by_name(manifest.check(self.m, "x86-debug", rows,
                                     outputs={"t:a.z": ["# faults-injected: 0"]}))
        self.assertEqual(out["x86-debug: t:a.z"][0], "fail")
        out = by_name(manifest.check(self.m, "x86-debug", rows,
                                     outputs={"t:a.z": ["# faults-injected: 12"]}))
        self.assertEqual(out["x86-debug: t:a.z"][0], "pass")

    def test_setup_failure_is_one_row(self):
        out = manifest.check(self.m, "x86", [("fail", "x86: setup", "edu unbound", "check")], True)
        fails = [r for r in out if r[0] == "fail"]
        self.assertEqual(len(fails), 2)

    def test_the_repository_manifest_loads(self):
        m = manifest.Manifest.load(os.path.join(HERE, "expected-runs"))
        for config in manifest.CONFIGS:
            self.assertTrue(m.cases[config], f"nothing expected of {config}")

    def test_bad_manifests_are_refused(self):
        for text in (["t:a.x"], ["[guest: x86]", "t:a.x  skip s390: why"],
                     ["[guest: x86]", "t:a.x", "t:a.x"], ["[guest: nowhere]"],
                     ["[guest: x86]", "t:a.x  sometimes"]):
            with self.assertRaises(manifest.ManifestError, msg=text):
                manifest.Manifest(text)


def guest_tap(setup=("# patchq-setup: edu 0000:00:03.0 bound", "# patchq-setup: ok"),
              body=None, dmesg=("[    0.0] Linux version 6.12",), end=True):
    lines = list(setup)
    lines += body if body is not None else runner(("t", prog(("ok", "a.x"), ("ok", "a.y"),
                                                             ("skip", "a.z")), OK))
    lines += ["### dmesg"] + list(dmesg)
    if end:
        lines.append("### end")
    return lines


class GuestTest(unittest.TestCase):
    def setUp(self):
        self.m = manifest.Manifest(["[guest: x86]", "t:a.x", "t:a.y",
                                    "t:a.z  skip x86: no edu device"])

    def run_guest(self, tapl, **kw):
        rows, sums = guest_results.guest_rows(tapl, ["console tail"], "x86", self.m, [], **kw)
        return by_name(rows), sums

    def test_clean(self):
        rows, sums = self.run_guest(guest_tap())
        self.assertFalse([r for r in rows.values() if r[0] == "fail"], rows)
        self.assertEqual(sums["kernel-reports"], 0)

    def test_broken_binding_fails_setup_and_runs_nothing(self):
        setup = ("# patchq-setup: FAIL edu 0000:00:03.0 is bound to no driver, not vfio-pci",)
        rows, _ = self.run_guest(guest_tap(setup=setup, body=[]))
        self.assertEqual(rows["x86: setup"][0], "fail")
        self.assertIn("not vfio-pci", rows["x86: setup"][2])
        self.assertEqual(rows["x86: expected cases"][0], "fail")

    def test_no_setup_line_fails(self):
        rows, _ = self.run_guest(guest_tap(setup=()))
        self.assertEqual(rows["x86: setup"][0], "fail")

    def test_unfinished_guest_fails(self):
        rows, _ = self.run_guest(guest_tap(end=False), qemu_rc="124")
        self.assertEqual(rows["x86: guest"][0], "fail")
        self.assertIn("did not finish (timed out)", rows["x86: guest"][2])
        rows, _ = self.run_guest(guest_tap(end=False), qemu_rc="0")
        self.assertEqual(rows["x86: guest"][0], "fail")

    def test_kernel_report_fails(self):
        rows, sums = self.run_guest(guest_tap(dmesg=("[ 1.0] WARNING: CPU: 0 PID: 1 at x.c:1",)))
        self.assertEqual(rows["x86: kernel-log"][0], "fail")
        self.assertEqual(sums["kernel-reports"], 1)

    def test_report_after_the_snapshot_fails(self):
        rows, _ = guest_results.guest_rows(guest_tap(), ["[ 9.0] Oops: 0000 [#1] SMP"], "x86",
                                           self.m, [])
        self.assertEqual(by_name(rows)["x86: kernel-log"][0], "fail")

    def test_qemu_failing_after_the_tests_fails(self):
        rows, _ = self.run_guest(guest_tap(), qemu_rc="124")
        self.assertEqual(rows["x86: guest"][0], "fail")

    def test_kernel_log_that_lost_its_start_fails(self):
        rows, _ = self.run_guest(guest_tap(dmesg=("[ 99.0] vfio-pci 0000:00:03.0: something",)))
        self.assertEqual(rows["x86: kernel-log-complete"][0], "fail")

    def test_declared_dmar_fault_passes(self):
        dmesg = ("vfio-selftests: expect-begin dmar-fault", "DMAR: [DMA Write NO_PASID] fault",
                 "vfio-selftests: expect-end dmar-fault")
        rows, _ = self.run_guest(guest_tap(dmesg=dmesg))
        self.assertEqual(rows["x86: kernel-log"][0], "pass")
        rows, _ = self.run_guest(guest_tap(dmesg=dmesg[1:2]))
        self.assertEqual(rows["x86: kernel-log"][0], "fail")

    def test_kmemleak(self):
        leak = guest_tap()[:-3] + ["# kmemleak: scanned, 1 unreferenced object(s)",
                                   "# kmemleak: unreferenced object 0xffff (size 64):",
                                   "### dmesg", "### end"]
        rows, sums = self.run_guest(leak, kmemleak=True)
        self.assertEqual(rows["x86: kmemleak"][0], "fail")
        self.assertEqual(sums["kernel-reports"], 1)
        rows, _ = self.run_guest(guest_tap(), kmemleak=True)
        self.assertEqual(rows["x86: kmemleak"][0], "fail")

    def test_figures_inside_the_runner(self):
        inner = ["TAP version 13", "1..1", "# stress-sequences: 64", "ok 1 a.x"]
        body = runner(("t", inner, OK))
        _, sums = self.run_guest(guest_tap(body=body))
        self.assertEqual(sums["stress-sequences"], 64)

    def test_parser_exception_is_a_failing_row(self):
        with tempfile.TemporaryDirectory() as d:
            tapf = os.path.join(d, "tap.log")
            with open(tapf, "w") as f:
                f.write("\n".join(guest_tap()) + "\n")
            man = os.path.join(d, "expected-runs")
            with open(man, "w") as f:
                f.write("[guest: x86]\nt:a.x  skip x86: (unclosed\n")
            p = subprocess.run([sys.executable, os.path.join(HERE, "guest_results.py"),
                                "--tap", tapf, "--console", tapf, "--config", "x86",
                                "--manifest", man], capture_output=True, text=True)
            self.assertEqual(p.returncode, 1)
            self.assertTrue(p.stdout.startswith("fail\tx86: results\t"), p.stdout)


KUNIT_PY = os.environ.get("KUNIT_PY") or os.path.join(
    HERE, "..", "build", "linux", "tools", "testing", "kunit", "kunit.py")

# The shape of a 6.12 KUnit run (see testdata/kunit-um.log, a real one): a
# suite's "# <suite>:" line counts its direct results, each "# Totals:" the
# leaves of the suite after it; kernel messages interleave at indent 0.
KTAP_GOOD = """\
[    0.500000] KTAP version 1
[    0.500000] 1..2
[    0.500001]     KTAP version 1
[    0.500001]     # Subtest: suite_a
[    0.500001]     # module: suite_a_kunit
[    0.500001]     1..3
[    0.500002]     ok 1 case_one
[    0.500003]         KTAP version 1
[    0.500003]         # Subtest: param_case
[    0.500003]         ok 1 small
[    0.500003] suite_a: kunit_try_catch[59]: a kernel message between results
[    0.500003]         ok 2 large
[    0.500003]     # param_case: pass:2 fail:0 skip:0 total:2
[    0.500003]     ok 2 param_case
[    0.500004]     ok 3 case_three # SKIP no zPCI function
[    0.500005] # suite_a: pass:2 fail:0 skip:1 total:3
[    0.500005] # Totals: pass:3 fail:0 skip:1 total:4
[    0.500005] ok 1 suite_a
[    0.500006]     KTAP version 1
[    0.500006]     # Subtest: suite_b
[    0.500006]     1..1
[    0.500007]     ok 1 only_case
[    0.500008] # suite_b: pass:1 fail:0 skip:0 total:1
[    0.500008] # Totals: pass:1 fail:0 skip:0 total:1
[    0.500008] ok 2 suite_b
[    0.600000] reboot: System halted
"""


@unittest.skipUnless(os.path.exists(KUNIT_PY), f"no kunit.py at {KUNIT_PY} (make check-apply)")
class KtapTest(unittest.TestCase):
    def rows(self, text):
        import ktap
        with tempfile.NamedTemporaryFile("w", suffix=".log") as f:
            f.write(text)
            f.flush()
            return by_name(ktap.rows(KUNIT_PY, f.name, "kunit-um"))

    def test_real_run(self):
        with open(os.path.join(HERE, "testdata", "kunit-um.log")) as f:
            rows = self.rows(f.read())
        self.assertEqual(rows["kunit-um: ktap"][0], "pass", rows["kunit-um: ktap"])
        self.assertEqual(len([r for r in rows.values() if r[3] == "test"]), 23)
        self.assertEqual(rows["kunit-um: vfio_p2p.vfio_p2p_region_pfn_test.zero length"][0],
                         "pass")

    def test_good(self):
        rows = self.rows(KTAP_GOOD)
        self.assertEqual(rows["kunit-um: ktap"][0], "pass", rows["kunit-um: ktap"])
        self.assertEqual(rows["kunit-um: suite_a.param_case.large"][0], "pass")
        self.assertEqual(rows["kunit-um: suite_a.case_three"][:3],
                         ("skip", "kunit-um: suite_a.case_three", "no zPCI function"))
        self.assertEqual(len([r for r in rows.values() if r[3] == "test"]), 5)

    def test_more_results_than_planned_fails(self):
        text = KTAP_GOOD.replace("    ok 1 only_case", "    ok 1 only_case\n[    0.500007]     ok 2 extra")
        rows = self.rows(text)
        self.assertEqual(rows["kunit-um: ktap"][0], "fail")
        self.assertIn("plan says 1", rows["kunit-um: ktap"][2])

    def test_fewer_results_than_planned_fails(self):
        rows = self.rows(KTAP_GOOD.replace("[    0.500006]     1..1", "[    0.500006]     1..2"))
        self.assertEqual(rows["kunit-um: ktap"][0], "fail")

    def test_empty_plan_is_a_skip_with_reason(self):
        text = KTAP_GOOD.replace(
            "[    0.500006]     1..1\n[    0.500007]     ok 1 only_case\n"
            "[    0.500008] # suite_b: pass:1 fail:0 skip:0 total:1\n"
            "[    0.500008] # Totals: pass:1 fail:0 skip:0 total:1\n"
            "[    0.500008] ok 2 suite_b\n",
            "[    0.500006]     1..0 # SKIP no zPCI function\n"
            "[    0.500008] ok 2 suite_b # SKIP no zPCI function\n")
        rows = self.rows(text)
        self.assertEqual(rows["kunit-um: suite_b"][0], "skip", rows)
        self.assertIn("no zPCI function", rows["kunit-um: suite_b"][2])

    def test_bail_out_fails(self):
        rows = self.rows(KTAP_GOOD.replace("[    0.500004]     ok 3",
                                           "[    0.500004]     Bail out! oops\n[    0.500004]     ok 3"))
        self.assertEqual(rows["kunit-um: ktap"][0], "fail")
        self.assertIn("Bail out!", rows["kunit-um: ktap"][2])

    def test_crash_mid_suite_fails(self):
        cut = KTAP_GOOD.index("[    0.500004]")
        rows = self.rows(KTAP_GOOD[:cut] + "[    0.6] Kernel panic - not syncing: x\n")
        self.assertEqual(rows["kunit-um: ktap"][0], "fail")

    def test_counts_line_disagreeing_fails(self):
        rows = self.rows(KTAP_GOOD.replace("# suite_b: pass:1 fail:0", "# suite_b: pass:0 fail:1"))
        self.assertEqual(rows["kunit-um: ktap"][0], "fail")
        self.assertIn("suite_b", rows["kunit-um: ktap"][2])

    def test_not_ok_suite_over_passing_cases_fails(self):
        rows = self.rows(KTAP_GOOD.replace("] ok 2 suite_b", "] not ok 2 suite_b"))
        self.assertEqual(rows["kunit-um: ktap"][0], "fail")
        self.assertIn("none of its cases failed", rows["kunit-um: ktap"][2])

    def test_kunit_py_errors_fail(self):
        # Only kunit.py looks at the version: its "[ERROR]" must fail the run.
        rows = self.rows(KTAP_GOOD.replace("[    0.500006]     KTAP version 1",
                                           "[    0.500006]     KTAP version 9"))
        self.assertEqual(rows["kunit-um: ktap"][0], "fail")
        self.assertIn("version", rows["kunit-um: ktap"][2])

    def test_no_ktap_fails(self):
        rows = self.rows("[    0.1] Linux version 6.12\n[    0.2] reboot: System halted\n")
        self.assertEqual(rows["kunit-um: ktap"][0], "fail")

    def test_failed_case(self):
        rows = self.rows(KTAP_GOOD.replace("    ok 1 case_one", "    not ok 1 case_one")
                         .replace("# suite_a: pass:2 fail:0", "# suite_a: pass:1 fail:1")
                         .replace("# Totals: pass:3 fail:0", "# Totals: pass:2 fail:1")
                         .replace("] ok 1 suite_a", "] not ok 1 suite_a"))
        self.assertEqual(rows["kunit-um: suite_a.case_one"][0], "fail")
        self.assertEqual(rows["kunit-um: ktap"][0], "pass", rows["kunit-um: ktap"])


PATCH = """\
diff --git a/tools/testing/selftests/vfio/t.c b/tools/testing/selftests/vfio/t.c
new file mode 100644
index 000000000000..1111111111111
--- /dev/null
+++ b/tools/testing/selftests/vfio/t.c
@@ -0,0 +1,3 @@
+static int a(FIXTURE_DATA(t) *self)
+static int b(FIXTURE_DATA(t) *self)
+static int c(FIXTURE_DATA(t) *self)
""".splitlines()


def cp_out(*nums):
    out = []
    for n in nums:
        out += ["CHECK:SPACING: spaces preferred around that '*' (ctx:WxV)",
                f"#{n}: FILE: tools/testing/selftests/vfio/t.c:{n - 6}:",
                PATCH[n - 1], "                    ^", ""]
    return "\n".join(out)


ALLOW = """\
# comment
p.patch SPACING tools/testing/selftests/vfio/t.c
\tstatic int a(FIXTURE_DATA(t) *self)
\tstatic int b(FIXTURE_DATA(t) *self)
\t# reason: the harness's type macro
""".splitlines(True)


class CheckpatchTest(unittest.TestCase):
    def setUp(self):
        self.allow, _ = checkpatch_check.load_allow(ALLOW)

    def test_allowed_occurrences_pass(self):
        st, detail = checkpatch_check.check_patch("p.patch", cp_out(7, 8), PATCH, self.allow)
        self.assertEqual(st, "pass", detail)
        self.assertIn("2 allowed", detail)

    def test_new_warning_of_an_allowed_type_fails(self):
        st, detail = checkpatch_check.check_patch("p.patch", cp_out(7, 8, 9), PATCH, self.allow)
        self.assertEqual(st, "fail")
        self.assertIn("static int c(FIXTURE_DATA(t) *self)", detail)

    def test_unused_allowance_fails(self):
        st, detail = checkpatch_check.check_patch("p.patch", cp_out(7), PATCH, self.allow)
        self.assertEqual(st, "fail")
        self.assertIn("unused allowance", detail)

    def test_errors_are_never_allowed(self):
        out = cp_out(7, 8).replace("CHECK:SPACING", "ERROR:SPACING", 1)
        st, _ = checkpatch_check.check_patch("p.patch", out, PATCH, self.allow)
        self.assertEqual(st, "fail")

    def test_stray_output_fails(self):
        st, detail = checkpatch_check.check_patch("p.patch", "Traceback: no module ply\n" +
                                                  cp_out(7, 8), PATCH, self.allow)
        self.assertEqual(st, "fail")
        self.assertIn("Traceback", detail)

    def test_file_level_warning_names_the_file(self):
        out = ("WARNING:FILE_PATH_CHANGES: added, moved or deleted file(s), does MAINTAINERS"
               " need updating?\n#2: \nnew file mode 100644\n")
        found, _ = checkpatch_check.occurrences(out, PATCH)
        self.assertEqual(found[0][1:4], ("FILE_PATH_CHANGES", "tools/testing/selftests/vfio/t.c",
                                         "new file mode 100644"))

    def test_allow_file_without_reason_is_refused(self):
        with self.assertRaises(checkpatch_check.AllowError):
            checkpatch_check.load_allow(ALLOW[:-1])


class BuildWarningsTest(unittest.TestCase):
    def test_normalised_and_filtered(self):
        log = ["/t/arch/x86/kvm/../../../virt/kvm/vfio.c:12:3: warning: unused variable 'x'"
               " [-Wunused-variable]",
               "/t/drivers/iommu/intel/iommu.c:5:1: warning: something else",
               "/t/drivers/vfio/vfio_main.c:99: sparse: warning: context imbalance",
               "/elsewhere/x.c:1:1: warning: outside the tree"]
        got = build_warnings.warnings(log, "/t", {"virt/kvm/vfio.c", "drivers/vfio/vfio_main.c"})
        self.assertEqual(got, ["drivers/vfio/vfio_main.c: warning: context imbalance",
                               "virt/kvm/vfio.c: warning: unused variable 'x' [-Wunused-variable]"])


class SummaryTest(unittest.TestCase):
    def summary(self, files):
        with tempfile.TemporaryDirectory() as d:
            for name, text in files.items():
                with open(os.path.join(d, name), "w") as f:
                    f.write(text)
            p = subprocess.run([sys.executable, os.path.join(HERE, "summary.py")],
                               env=dict(os.environ, RESULTS=d), capture_output=True, text=True)
            return p.returncode, p.stdout.strip().splitlines()

    def test_counts_tests_and_checks(self):
        rc, out = self.summary({
            "times.tsv": "a\t1.0\t0\tnote\n",
            "a.tsv": "pass\tx: t:a\t\ttest\npass\tx: setup\tok\tcheck\n"
                     "pass\told three-column row\tdetail\nskip\tx: t:b\tno edu\ttest\n"})
        self.assertEqual(rc, 0)
        self.assertEqual(out[-1], "3 passed, 0 failed, 1 skipped")
        self.assertEqual(out[-2], "passed: 1 test cases, 2 stage checks")

    def test_stage_failing_without_rows_fails(self):
        rc, out = self.summary({"times.tsv": "a\t1.0\t2\tnote\n", "a.tsv": "pass\tx\t\n"})
        self.assertEqual(rc, 1)
        self.assertEqual(out[-1], "1 passed, 1 failed, 0 skipped")

    def test_stage_without_rows_fails(self):
        rc, out = self.summary({"times.tsv": "a\t1.0\t0\tnote\n"})
        self.assertEqual(rc, 1)
        self.assertEqual(out[-1], "0 passed, 1 failed, 0 skipped")

    def test_configuration_without_rows_fails(self):
        # guest ran, but only x86 reported: the others in expected-runs fail
        rc, out = self.summary({"times.tsv": "guest\t1.0\t0\tnote\n",
                                "guest.tsv": "pass\tx86: setup\tok\tcheck\n"})
        self.assertEqual(rc, 1)
        self.assertTrue(any("x86-debug: results" in l for l in out), out)

    def test_lanes_total_is_wall_time_and_stages_in_order(self):
        # Stages finish out of order when lanes overlap; the total is the
        # wall time, not the sum.
        rc, out = self.summary({
            "times.tsv": "bisect\t50.0\t0\tb\nstatic\t40.0\t0\ts\n",
            "wall.tsv": "60.0\tlanes: static bisect | kunit\t90% of 2 cores busy\n",
            "static.tsv": "pass\tcheckpatch\tok\n",
            "bisect.tsv": "pass\t1/1 x [x86]\tok\n"})
        self.assertEqual(rc, 0, out)
        rows = [l.split()[0] for l in out if l.startswith("  ") and l.split()[0] in
                ("bisect", "static", "total")]
        self.assertEqual(rows, ["static", "bisect", "total"])
        total = next(l for l in out if l.startswith("  total"))
        self.assertIn("60.0s", total)
        self.assertIn("at the same time: static bisect | kunit; 90% of 2 cores busy", total)

    def test_total_without_wall_is_the_sum(self):
        rc, out = self.summary({"times.tsv": "a\t1.5\t0\tn\nb\t2.0\t0\tn\n",
                                "a.tsv": "pass\tx\t\n", "b.tsv": "pass\ty\t\n"})
        self.assertEqual(rc, 0)
        self.assertIn("3.5s", next(l for l in out if l.startswith("  total")))

    def test_bad_status_fails(self):
        rc, out = self.summary({"times.tsv": "a\t1.0\t0\tnote\n", "a.tsv": "PASS\tx\t\n"})
        self.assertEqual(rc, 1)
        self.assertEqual(out[-1], "0 passed, 1 failed, 0 skipped")


class EditLoopFilterTest(unittest.TestCase):
    def test_make_check_ignores_the_edit_loop_filters(self):
        env = dict(os.environ, GUEST_CONFIGS="x86", KUNIT_CONFIGS="kunit-um",
                   STRESS_SEQUENCES="2", STRESS_SEED="7")
        p = subprocess.run(["bash", "-c", f". '{HERE}/lib.sh' && no_edit_loop_filters && "
                            "echo \"[${GUEST_CONFIGS-}|${KUNIT_CONFIGS-}|${STRESS_SEQUENCES-}|"
                            "${STRESS_SEED-}]\""], env=env, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "[|||7]")
        self.assertIn("GUEST_CONFIGS=x86 is ignored", p.stderr)


class GuestTimeoutTest(unittest.TestCase):
    """guest/init's /usr/bin/timeout, which the kselftest runner uses."""
    HANG = ("import os, time\n"
            "if os.fork() == 0:\n"
            "    os.setpgid(0, 0)  # as kselftest_harness does per test\n"
            "    time.sleep(1000)\n"
            "os.wait()\n")

    def wrapper(self, d):
        with open(os.path.join(HERE, "..", "guest", "init")) as f:
            text = f.read()
        body = text.split("cat >/usr/bin/timeout <<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0]
        path = os.path.join(d, "timeout")
        with open(path, "w") as f:
            f.write(body + "\n")
        return path

    def run_nested(self, secs, *prog):
        # as tools/testing/selftests/kselftest/runner.sh calls it:
        # timeout --foreground T timeout T prog
        with tempfile.TemporaryDirectory() as d:
            w = self.wrapper(d)
            os.chmod(w, 0o755)
            t0 = time.monotonic()
            # stdout is a pipe that a surviving test child would hold open
            p = subprocess.run(["busybox", "sh", w, "--foreground", secs, w, secs, *prog],
                               stdout=subprocess.PIPE, timeout=60,
                               env=dict(os.environ, PATH=f"{d}:{os.environ['PATH']}"))
            return p.returncode, p.stdout, time.monotonic() - t0

    def test_a_timeout_stops_the_tests_the_program_forked(self):
        if not shutil.which("busybox") or not shutil.which("setsid"):
            self.skipTest("needs busybox and setsid")
        for _ in range(3):
            rc, _, secs = self.run_nested("1", sys.executable, "-c", self.HANG)
            self.assertEqual(rc, 124)
            self.assertLess(secs, 20)

    def test_what_a_finished_program_left_running_is_stopped(self):
        if not shutil.which("busybox") or not shutil.which("setsid"):
            self.skipTest("needs busybox and setsid")
        left = self.HANG.replace("os.wait()\n", "print('done', flush=True)\n")
        rc, out, secs = self.run_nested("30", sys.executable, "-c", left)
        self.assertEqual((rc, out), (0, b"done\n"))
        self.assertLess(secs, 20)

    def test_the_program_status_passes_through(self):
        if not shutil.which("busybox") or not shutil.which("setsid"):
            self.skipTest("needs busybox and setsid")
        rc, out, _ = self.run_nested("30", "sh", "-c", "echo out; exit 3")
        self.assertEqual((rc, out), (3, b"out\n"))
        rc, out, _ = self.run_nested("0", "sh", "-c", "sleep 2; echo out")
        self.assertEqual((rc, out), (0, b"out\n"))


class KlogTest(unittest.TestCase):
    def test_patterns(self):
        for line in ("[  1.2] BUG: KASAN: slab-use-after-free in vkm_x+0x1/0x2",
                     "[  1.2] WARNING: possible circular locking dependency detected",
                     "[  1.2] BUG: sleeping function called from invalid context at x.c:1",
                     "[  1.2] Kernel panic - not syncing: Fatal exception",
                     "[  1.2] kmemleak: 2 new suspected memory leaks",
                     "[  1.2] Call Trace:",
                     "[  1.2] ------------[ cut here ]------------",
                     ):
            if "cut here" in line:
                self.assertEqual(klog.problems([line]), [])
            else:
                self.assertEqual(len(klog.problems([line])), 1, line)

    def test_a_warn_block_is_one_report(self):
        block = ["------------[ cut here ]------------",
                 "WARNING: CPU: 0 PID: 1 at arch/um/drivers/virt-pci.c:1005 um_pci_init+0xc7",
                 "Call Trace:", " [<6002b090>] ? um_set_signals+0x0/0x50",
                 "---[ end trace 0000000000000000 ]---"]
        self.assertEqual(len(klog.problems(block)), 1)
        allow = klog.load_allow([r"at arch/um/drivers/virt-pci\.c:\d+ um_pci_init  # why"])
        self.assertEqual(klog.problems(block, allow), [])
        # ... but only that block: a later trace is reported again
        self.assertEqual(len(klog.problems(block + ["Call Trace:"], allow)), 1)

    def test_specific_kinds_before_oops(self):
        log = ["vfio-selftests: expect-begin oops",
               "BUG: KASAN: slab-use-after-free in x", "vfio-selftests: expect-end oops"]
        self.assertEqual(len(klog.problems(log)), 1)

    def test_unbalanced_windows_fail(self):
        self.assertEqual(len(klog.problems(["vfio-selftests: expect-begin dmar-fault",
                                            "DMAR: [DMA Read NO_PASID] fault"])), 1)
        self.assertEqual(len(klog.problems(["vfio-selftests: expect-end dmar-fault"])), 1)

    def test_suppressed_faults_outside_a_window_fail(self):
        self.assertEqual(len(klog.problems(["dmar_fault: 23 callbacks suppressed"])), 1)

    def test_fault_interrupts_are_counted(self):
        B, E = "vfio-selftests: expect-begin dmar-fault", "vfio-selftests: expect-end dmar-fault"
        good = [f"{B} irqs=0", "DMAR: [DMA Write NO_PASID] fault", f"{E} irqs=3",
                "dmar_fault: 23 callbacks suppressed", f"{B} irqs=3", f"{E} irqs=30",
                "patchq: iommu-fault-irqs 30"]
        # A suppressed line is no report once every interrupt is placed.
        self.assertEqual(klog.problems(good), [])
        # A fault between windows shows only in the count (its line was
        # suppressed): the gap between the windows took one.
        gap = good[:4] + [f"{B} irqs=4", f"{E} irqs=30", "patchq: iommu-fault-irqs 30"]
        found = klog.problems(gap)
        self.assertEqual(len(found), 1, found)
        self.assertIn("1 IOMMU fault interrupt(s) outside any dmar-fault window", found[0])
        # ... after the last window, and before the first
        self.assertEqual(len(klog.problems(good[:-1] + ["patchq: iommu-fault-irqs 31"])), 1)
        self.assertEqual(len(klog.problems([f"{B} irqs=2"] + good[1:])), 1)
        found = klog.problems(good[:2] + [f"{E} irqs=3", f"{B} irqs=1"] + good[5:])
        self.assertIn("went down", found[0])
        # counts in the markers but no final count: the tail is unchecked
        found = klog.problems(good[:-1])
        self.assertEqual(len(found), 1)
        self.assertIn("no final count", found[0])
        # nested windows: the outer one still covers the count
        nested = [f"{B} irqs=0", f"{B} irqs=0", f"{E} irqs=2", f"{E} irqs=5",
                  "patchq: iommu-fault-irqs 5"]
        self.assertEqual(klog.problems(nested), [])

    def test_a_warn_inside_an_allowed_block_is_judged_alone(self):
        log = ["vfio-selftests: expect-begin dmar-fault", "------------[ cut here ]------------",
               "DMAR: DRHD: handling fault status reg 2",
               "WARNING: CPU: 0 PID: 77 at drivers/iommu/intel/iommu.c:1 x", "Call Trace:",
               "---[ end trace 0000000000000000 ]---", "vfio-selftests: expect-end dmar-fault"]
        self.assertEqual(len(klog.problems(log)), 1)

    def test_zpci_error_events(self):
        self.assertEqual(len(klog.problems(
            ["zpci: 0000:00:00.0: Event 0x3a reports an error for PCI function 0x1"])), 1)

    def test_allow_file(self):
        allow = klog.load_allow(["# comment", r"WARNING: harmless  # because"])
        self.assertEqual(klog.problems(["WARNING: harmless thing"], allow), [])


class BenchReportTest(unittest.TestCase):
    """bench_report.py: like-for-like ratios with spreads, bad runs fail."""

    META = ("bench: meta rounds=3 page_reps=256 run_bytes=4194304 run_reps=8 refresh_entries=256"
            " same_entries=65536")
    SAME = "pins=0 unpins=0 map=0 unmap=0 sync=0 sync_map=0 qi=0 ioctls=1"
    RELEASE = "pins=0 unpins=100000 map=0 unmap=100000 sync=100000 sync_map=0 qi=100000 ioctls=1"

    @staticmethod
    def shadow_lines(paths, type1=30000, shadow=10000, refresh_shadow=1000000, rounds=3):
        out = []
        for r in range(rounds):
            for p, t in (("type1", type1), ("shadow", shadow), ("shadow-od", 2 * shadow)):
                if p not in paths:
                    continue
                out.append(f"bench: time page {p} {t + r}")
                out.append(f"bench: time run {p} {t + r}")
                out.append(f"bench: time refresh {p} {refresh_shadow * (12 if p == 'type1' else 1) + r}")
                if p != "type1":
                    out.append(f"bench: time register {p} {5 * t + r}")
                    out.append(f"bench: time refresh-same {p} {65536 * 500 + r}")
                if p == "shadow-od":
                    out.append(f"bench: time release {p} {100000 * 800 + r}")
                    out.append(f"bench: time release-other {p} {20000000 + r}")
            if "shadow" in paths:
                out.append(f"bench: time refresh shadow-ioctl {2 * refresh_shadow + r}")
        for p in paths:
            run_pgsize = "4k=0 2m=2 1g=0" if p == "type1" else "4k=1024 2m=0 1g=0"
            out += [f"bench: pgsize run {p} {run_pgsize} bytes=4194304"] * (rounds + 1)
            for c in ("page", "run", "refresh") + (() if p == "type1" else ("register",)):
                out.append(f"bench: count {c} {p} pins=1 unpins=1 map=1 unmap=1 sync=1 sync_map=1 qi=1 ioctls=2")
            if p != "type1":
                out.append(f"bench: count refresh-same {p} {BenchReportTest.SAME}")
            if p == "shadow-od":
                out.append(f"bench: count release {p} {BenchReportTest.RELEASE}")
                out.append(f"bench: count release-other {p} pins=0 unpins=1 map=0 unmap=1 sync=1"
                           " sync_map=0 qi=1 ioctls=1")
        if "shadow" in paths:
            out.append("bench: count refresh shadow-ioctl pins=0 unpins=0 map=1 unmap=1 sync=1 sync_map=1 qi=1 ioctls=256")
        return out

    @classmethod
    def patched(cls, type1=30000, shadow=10000, refresh_shadow=1000000, rounds=3,
                drop=None, extra=()):
        out = ["bench: meta bar_bytes=1073741824 rounds=3",
               "bench: count bar type1 pins=0 unpins=0 map=1 unmap=1 sync=1 sync_map=1 qi=1 ioctls=2",
               cls.META, "bench: meta release_entries=100000 release_bytes=4294967296"]
        out += ["bench: pgsize bar type1 4k=0 2m=0 1g=1 bytes=1073741824"] * (rounds + 1)
        out += [f"bench: time bar type1 {90000 + r} map=20000 unmap={70000 + r}" for r in range(rounds)]
        out += cls.shadow_lines(("type1", "shadow", "shadow-od"), type1, shadow, refresh_shadow,
                                rounds)
        out = [l for l in out if not (drop and drop in l)]
        return out + list(extra)

    BAR_BASE = ["bench: meta bar_bytes=1073741824 rounds=3",
                "bench: count bar type1 pins=0 unpins=0 map=262144 unmap=1 sync=1 sync_map=1 qi=1 ioctls=2",
                "bench: time bar type1 2000000000 map=1900000000 unmap=100000000",
                "bench: time bar type1 2100000000 map=2000000000 unmap=100000000",
                "bench: time bar type1 1900000000 map=1800000000 unmap=100000000"] + \
        ["bench: pgsize bar type1 4k=262144 2m=0 1g=0 bytes=1073741824"] * 4
    BASE = BAR_BASE + ["bench: unsupported shadow", META] + \
        shadow_lines.__func__(("type1",), type1=27000)

    def report(self, patched, base=None, extra=()):
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for name, lines in (("base", base or self.BASE), ("patched", patched)):
                paths.append(os.path.join(d, name))
                with open(paths[-1], "w") as f:
                    f.write("\n".join(lines) + "\n")
            p = subprocess.run([sys.executable, os.path.join(HERE, "bench_report.py"),
                                "--date", "today", *extra, *paths], capture_output=True,
                               text=True)
            return p.returncode, p.stdout

    def test_ratios_spreads_counts_and_page_sizes(self):
        rc, out = self.report(self.patched())
        self.assertEqual(rc, 0, out)
        self.assertIn("make bench, today", out)
        # refresh: type1 10x the shadow per round: the target is met
        self.assertRegex(out, r"type1 / shadow \(shadow's pins made at registration\) +12\.0x"
                         r"  \(rounds 12\.0x \.\. 12\.0x\)  meets")
        self.assertRegex(out, r"base / patched: \d+x \(extremes \d+x \.\. \d+x\)")
        self.assertIn("IOPTEs mapping the BAR (intel-iommu debugfs, the same in all 4 rounds"
                      " read): 4k=262144 2m=0 1g=0", out)
        self.assertIn("ioctls=256", out)
        # a time: median (min .. max) over the rounds
        self.assertIn("30.00 us (30.00 .. 30.00)", out)

    def test_release_of_a_registration(self):
        rc, out = self.report(self.patched())
        self.assertEqual(rc, 0, out)
        self.assertIn("UNMAP_DMA of a 4 GiB registration (pinned on demand) that 100000 shadow"
                      " entries use", out)
        self.assertRegex(out, r"release +80\.00 ms \(80\.00 \.\. 80\.00\), per entry removed 800 ns")
        self.assertIn("IOTLB syncs: 100000 (intel-iommu syncs before each page", out)
        # rows, counts or the meta missing: no report
        for drop in ("time release shadow-od", "count release-other", "release_entries"):
            rc, out = self.report(self.patched(drop=drop))
            self.assertEqual(rc, 1, drop)
            self.assertNotIn("IOTLB syncs", out)
        # counters that saw no removal prove nothing
        rc, out = self.report(self.patched(drop="count release shadow-od", extra=[
            "bench: count release shadow-od pins=0 unpins=0 map=0 unmap=0 sync=0 sync_map=0"
            " qi=0 ioctls=2"]))
        self.assertEqual(rc, 1, out)
        self.assertIn("release counted 0 unpins and 0 unmap calls for 100000 entries", out)
        # more syncs than pages removed: the counters are wrong
        rc, out = self.report(self.patched(drop="count release shadow-od", extra=[
            "bench: count release shadow-od " + self.RELEASE.replace("sync=100000", "sync=100001")]))
        self.assertEqual(rc, 1, out)
        self.assertIn("release counted 100001 IOTLB syncs for 100000 unmap calls", out)

    def test_missed_refresh_target_fails(self):
        # type1 only 3x the shadow path's refresh
        rc, out = self.report([l.replace("refresh type1 1200000", "refresh type1 300000")
                               for l in self.patched()])
        self.assertEqual(rc, 1, out)
        self.assertIn("MISSES the >= 10x target", out)

    def test_error_line_fails(self):
        rc, out = self.report(self.patched(extra=["bench: error: MAP_DMA of 4096 bytes: EFAULT"]))
        self.assertEqual(rc, 1)
        self.assertIn("MAP_DMA of 4096 bytes", out)

    def test_missing_counts_or_page_sizes_fail(self):
        for drop in ("count bar", "pgsize bar", "time refresh shadow ", "count run shadow-od",
                     "pgsize run shadow ", "time refresh shadow-ioctl"):
            rc, out = self.report(self.patched(drop=drop))
            self.assertEqual(rc, 1, (drop, out))

    def test_rounds_out_of_step_fail(self):
        lines = [l for l in self.patched() if l != "bench: time page shadow 10002"]
        rc, out = self.report(lines)
        self.assertEqual(rc, 1, out)
        self.assertIn("page shadow: 2 rounds, meta says 3", out)
        # and a bad run prints no figure, only why
        self.assertNotIn("us (", out)

    def test_shadow_run_in_large_pages_fails(self):
        rc, out = self.report(self.patched())
        self.assertEqual(rc, 0, out)
        self.assertIn("page-sized IOPTEs only, each page removable: yes", out)
        # a large IOPTE could only be removed whole, neighbours and all
        for p in ("shadow", "shadow-od"):
            rc, out = self.report([l.replace(f"pgsize run {p} 4k=1024 2m=0",
                                             f"pgsize run {p} 4k=512 2m=1")
                                   for l in self.patched()])
            self.assertEqual(rc, 1, (p, out))
            self.assertIn("page-sized IOPTEs only, each page removable: NO", out)
        # without huge pages behind the run the target proves nothing
        rc, out = self.report([l.replace("pgsize run type1 4k=0 2m=2", "pgsize run type1 4k=1024 2m=0")
                               for l in self.patched()])
        self.assertEqual(rc, 1, out)
        self.assertIn("no huge pages behind it", out)

    def test_refresh_of_unchanged_entries_must_touch_nothing(self):
        rc, out = self.report(self.patched())
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"a global refresh over 65536 live entries, none of them changed")
        self.assertRegex(out, r"per entry 500 ns \(500 \.\. 500\)")
        self.assertIn("no pin, IOMMU call or IOTLB sync: yes (target)", out)
        # today's code unmapped, synced, unpinned and mapped every entry again
        today = "pins=1 unpins=1 map=1 unmap=1 sync=1 sync_map=1 qi=1 ioctls=1"
        rc, out = self.report([l.replace(f"refresh-same shadow-od {self.SAME}",
                                         f"refresh-same shadow-od {today}")
                               for l in self.patched()])
        self.assertEqual(rc, 1, out)
        self.assertIn("NO: pins, unpins, map, unmap, sync, sync_map, qi (target)", out)
        # its figures are required, and so is the number of entries
        for drop in ("time refresh-same shadow ", "count refresh-same shadow-od"):
            rc, out = self.report(self.patched(drop=drop))
            self.assertEqual(rc, 1, (drop, out))
        rc, out = self.report([l.replace(" same_entries=65536", "") for l in self.patched()])
        self.assertEqual(rc, 1, out)
        self.assertIn("no meta same_entries", out)
        # counters that count nothing cannot prove "none"
        rc, out = self.report([l.replace("count refresh shadow pins=1 unpins=1 map=1",
                                         "count refresh shadow pins=1 unpins=1 map=0")
                               for l in self.patched()])
        self.assertEqual(rc, 1, out)
        self.assertIn("cannot show that refresh-same makes none", out)
        rc, out = self.report([l.replace(f"refresh-same shadow {self.SAME}",
                                         f"refresh-same shadow {self.SAME[:-1]}2")
                               for l in self.patched()])
        self.assertEqual(rc, 1, out)
        self.assertIn("counted 2 ioctls, not 1", out)

    def test_rounds_other_than_meta_fail(self):
        lines = [l for l in self.patched() if "time bar type1 90002" not in l]
        rc, out = self.report(lines)
        self.assertEqual(rc, 1, out)
        self.assertIn("2 BAR rounds, meta says 3", out)

    def test_like_for_like_labels_registration_and_base_type1(self):
        rc, out = self.report(self.patched(), extra=["--source", "main abc123, series sha256 f00"])
        self.assertEqual(rc, 0, out)
        self.assertIn("main abc123, series sha256 f00", out)
        self.assertIn("type1 / shadow-od (both pin per map)", out)
        self.assertIn("type1 / shadow-od (both pin per map; ioctls differ)", out)
        self.assertIn("type1 / shadow (shadow's pins made at registration)", out)
        self.assertRegex(out, r"registering the 4 MiB of guest memory.*\n +shadow, memory pinned"
                         r" at registration +50\.00 us")
        # type1 on the base kernel: its own row, and base / patched by extremes
        self.assertRegex(out, r"type1 on the base 6\.12 kernel +27\.00 us")
        self.assertRegex(out, r"type1 on RAM, base / patched +0\.90x  \(extremes 0\.90x \.\. 0\.90x\)")

    def test_page_sizes_must_agree_in_every_round(self):
        lines = self.patched()
        i = lines.index("bench: pgsize run shadow 4k=1024 2m=0 1g=0 bytes=4194304")
        lines[i + 2] = "bench: pgsize run shadow 4k=512 2m=1 1g=0 bytes=4194304"
        rc, out = self.report(lines)
        self.assertEqual(rc, 1, out)
        self.assertIn("the page sizes differ between rounds", out)
        # ... and are read in every round
        lines = self.patched()
        lines.remove("bench: pgsize bar type1 4k=0 2m=0 1g=1 bytes=1073741824")
        rc, out = self.report(lines)
        self.assertEqual(rc, 1, out)
        self.assertIn("page sizes read in 3 rounds, not 4", out)

    def test_base_without_type1_figures_fails(self):
        rc, out = self.report(self.patched(), base=self.BAR_BASE + ["bench: unsupported shadow"])
        self.assertEqual(rc, 1, out)

    def test_patched_kernel_without_shadow_fails(self):
        rc, out = self.report(self.BAR_BASE + ["bench: unsupported shadow"])
        self.assertEqual(rc, 1)
        self.assertIn("no VFIO_KVM_IOMMU", out)


def rows_main():
    """Run every case and print one result row each (the harness stage)."""
    class Rows(unittest.TestResult):
        def __init__(self):
            super().__init__()
            self.rows = []

        def addSuccess(self, test):
            self.rows.append(("pass", test.id().split(".", 1)[1], ""))

        def addFailure(self, test, err):
            super().addFailure(test, err)
            msg = self._exc_info_to_string(err, test).strip().splitlines()[-1]
            self.rows.append(("fail", test.id().split(".", 1)[1], msg))

        addError = addFailure

        def addSkip(self, test, reason):
            self.rows.append(("skip", test.id().split(".", 1)[1], reason))

    result = Rows()
    unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__]).run(result)
    for status, name, detail in result.rows:
        detail = detail.replace("\t", " ")
        print(f"{status}\tharness: {name}\t{detail}\ttest")
    for test, err in result.failures + result.errors:
        print(err, file=sys.stderr)
    return 1 if any(r[0] == "fail" for r in result.rows) else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--rows"]:
        sys.exit(rows_main())
    unittest.main()
