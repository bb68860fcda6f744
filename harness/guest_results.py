#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn a guest run into result rows (status<TAB>name<TAB>detail<TAB>kind).

The guest's init writes to its test console (--tap):
    # patchq-setup: <what it found>   one line per expected function
    # patchq-setup: ok                (or "# patchq-setup: FAIL <why>")
    <the kselftest runner's TAP>      (tap.py reads it, strictly)
    # patchq-runner-exit: <rc>
    ### dmesg
    <the kernel log>
    ### end

Rows: one per test case (kind "test"), held against harness/expected-runs
for the configuration (--config), and checks (kind "check"): the setup,
each program's TAP, the runner, the guest finishing, the kernel log
(klog.py), kmemleak where asked. Any exception here is one more failing
row and exit status 1, never lost rows.

Tests print figures as "# <figure>: N" lines (FIGURES below); with
--figures, their sums and the number of kernel reports found are appended
to that file as "figure<TAB>N<TAB>run" rows for the summary.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import klog  # noqa: E402
import manifest  # noqa: E402
from rows import emit  # noqa: E402
import tap  # noqa: E402

FIGURES = ("stress-sequences", "faults-injected", "bad-inputs")
FIGURE = re.compile(r"^(?:# )+(" + "|".join(FIGURES) + r"): (\d+)$")
SETUP = "# patchq-setup: "


def read(path):
    try:
        with open(path, errors="replace") as f:
            return [l.rstrip("\r\n").replace("\r", "") for l in f]
    except FileNotFoundError:
        return []


def setup_rows(lines, prefix):
    """The setup check's row, and whether it failed."""
    setup = [l[len(SETUP):] for l in lines if l.startswith(SETUP)]
    bad = [s[len("FAIL "):] for s in setup if s.startswith("FAIL")]
    if bad:
        return [("fail", f"{prefix}setup", "; ".join(bad), "check")], True
    if "ok" not in setup:
        return [("fail", f"{prefix}setup", "the guest reported no setup check", "check")], True
    found = "; ".join(s for s in setup if s != "ok")
    return [("pass", f"{prefix}setup", found or "no device expected", "check")], False


def kmemleak_rows(lines, prefix):
    scans = [l for l in lines if l.startswith("# kmemleak: scanned, ")]
    objs = [l[len("# kmemleak: "):] for l in lines
            if l.startswith("# kmemleak: ") and not l.startswith("# kmemleak: scanned, ")]
    if not scans:
        why = next((l for l in lines if l.startswith("# kmemleak: ")), "no scan reported")
        return [("fail", f"{prefix}kmemleak", why, "check")], 0
    if not scans[-1].startswith("# kmemleak: scanned, 0 "):
        leaks = int(scans[-1].split()[3])
        trace = " | ".join(o.strip() for o in objs if "[<" in o or "unreferenced" in o)
        return [("fail", f"{prefix}kmemleak",
                 scans[-1][len("# kmemleak: "):] + ": " + trace[:600], "check")], leaks
    return [("pass", f"{prefix}kmemleak",
             "scan after the last test: 0 unreferenced objects", "check")], 0


def guest_rows(tapl, console, config, expected, allow, qemu_rc="0", kmemleak=False):
    """All rows of one guest run, and its figures."""
    prefix = f"{config}: "
    rows, setup_failed = setup_rows(tapl, prefix)
    outputs = {}
    if not setup_failed:
        rows += tap.parse_runner(tapl, prefix, outputs)
    rows = manifest.check(expected, config, rows, setup_failed, outputs)

    finished = "### end" in tapl
    if "### dmesg" in tapl:
        log = tapl[tapl.index("### dmesg") + 1:]
        if finished:
            log = log[:log.index("### end")]
    else:
        log = console
    why = "timed out" if qemu_rc == "124" else f"qemu exit {qemu_rc}"
    tail = " | ".join(console[-8:])
    if not finished:
        rows.append(("fail", f"{prefix}guest", f"did not finish ({why}): {tail}", "check"))
    elif qemu_rc != "0":
        rows.append(("fail", f"{prefix}guest", f"finished its tests, then {why}: {tail}",
                     "check"))
    if "### dmesg" in tapl and not any("Linux version" in l for l in log[:3]):
        rows.append(("fail", f"{prefix}kernel-log-complete", "the kernel log does not start"
                     " at boot (dmesg buffer overrun?): the scan would miss its start",
                     "check"))
    found = klog.problems(log, allow)
    # The console has the whole log, up to the power-off after the dmesg
    # snapshot: what it reports beyond the snapshot counts too.
    seen = {re.sub(r"^\[[ \d.]+\] ", "", p) for p in found}
    for p in klog.problems(console, allow) if log is not console else []:
        if re.sub(r"^\[[ \d.]+\] ", "", p) not in seen:
            found.append(p)
    if found:
        rows.append(("fail", f"{prefix}kernel-log",
                     f"{len(found)} report(s): " + " | ".join(found[:6]), "check"))
    else:
        rows.append(("pass", f"{prefix}kernel-log",
                     "no oops/WARN/BUG/KASAN/lockdep/unexpected DMAR fault", "check"))
    leaks = 0
    if kmemleak:
        krows, leaks = kmemleak_rows(tapl, prefix)
        rows += krows

    sums = {}
    for l in tapl:
        m = FIGURE.match(l)
        if m:
            sums[m.group(1)] = sums.get(m.group(1), 0) + int(m.group(2))
    sums["kernel-reports"] = len(found) + leaks
    return rows, sums


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tap", required=True)
    ap.add_argument("--console", required=True)
    ap.add_argument("--config", required=True, choices=manifest.CONFIGS)
    ap.add_argument("--manifest", required=True, help="harness/expected-runs")
    ap.add_argument("--qemu-rc", default="0")
    ap.add_argument("--allow")
    ap.add_argument("--figures", help="append the run's figures here")
    ap.add_argument("--kmemleak", action="store_true",
                    help="the guest must report a kmemleak scan with no leak")
    args = ap.parse_args()

    def compute():
        expected = manifest.Manifest.load(args.manifest)
        allow = klog.load_allow(read(args.allow)) if args.allow else []
        return guest_rows(read(args.tap), read(args.console), args.config,
                          expected, allow, args.qemu_rc, args.kmemleak)
    return emit(args.config, compute, args.figures)


if __name__ == "__main__":
    sys.exit(main())
