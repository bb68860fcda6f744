#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn a guest run into result rows (status<TAB>name<TAB>detail).

The guest's init writes to ttyS1 (--tap):
    # patchq-run: <program>        before each test program
    <the program's kselftest TAP>
    # patchq-exit: <program> <rc>  after it
    ### dmesg
    <the kernel log>
    ### end

Every "ok"/"not ok" line at the top level of a program's TAP stream is one
result; "# SKIP" results are skips, never passes. A program that exits
early, is killed or prints fewer results than its plan is a failure.

Tests print figures as "# <figure>: N" lines (FIGURES below); with
--figures, their sums and the number of kernel reports found are appended
to that file as "figure<TAB>N<TAB>run" rows for the summary.

The kernel log is one more result: it fails on any oops, BUG, WARNING,
KASAN/UBSAN/lockdep/kmemleak report or DMAR fault, unless the report lies
between "vfio-selftests: expect-begin <what>" and "... expect-end <what>"
markers a test wrote to /dev/kmsg and <what> allows it, or a line of the
allow file (--allow: "<regex>  # reason") matches it.
"""
import argparse
import re
import sys

TAP_RESULT = re.compile(r"^(not ok|ok) (\d+) ?-? ?(.*?)(?:\s+#\s*(SKIP|TODO)\b\s*(.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)")

# Reports that fail a run; the key names the kind for expect markers.
REPORTS = [
    ("dmar-fault", re.compile(r"DMAR: \[DMA (Read|Write)|DMAR: DRHD: handling fault")),
    ("oops", re.compile(r"\bOops\b|general protection fault|Kernel panic|"
                        r"BUG: unable to handle|\bBUG:|kernel BUG at")),
    ("warn", re.compile(r"^WARNING: |\bWARNING: CPU: \d+ PID")),
    ("kasan", re.compile(r"BUG: KASAN|KASAN:|UBSAN:")),
    ("lockdep", re.compile(r"possible circular locking|possible recursive locking|"
                           r"inconsistent lock state|lock held when returning|"
                           r"suspicious RCU usage|INFO: lockdep is turned off|"
                           r"BUG: sleeping function called from invalid context")),
    ("kmemleak", re.compile(r"kmemleak: \d+ new suspected memory leaks")),
    ("hung", re.compile(r"INFO: task .* blocked for more than|rcu: INFO: .* stall")),
    ("call-trace", re.compile(r"^Call Trace:")),
]
# Figures the tests print, "# <name>: N", summed over a run.
FIGURES = ("stress-sequences", "faults-injected", "bad-inputs")
FIGURE = re.compile(r"^# (" + "|".join(FIGURES) + r"): (\d+)$")
MARK = re.compile(r"vfio-selftests: expect-(begin|end) (\S+)")


def rows_for_tap(lines):
    rows = []
    prog = None
    plan = None
    seen = 0
    body = []

    def finish(rc):
        nonlocal prog
        if prog is None:
            return
        if plan is None:
            rows.append(("fail", prog, f"no TAP plan (exit {rc})"))
        elif seen < plan:
            rows.append(("fail", prog, f"stopped after {seen} of {plan} results (exit {rc})"))
        elif rc not in ("0", "4") and not any(r[0] == "fail" and r[1].startswith(prog + ":")
                                              for r in rows):
            rows.append(("fail", prog, f"exited {rc} with no failing result"))
        prog = None

    for line in lines:
        if line.startswith("# patchq-run: "):
            finish("?")
            prog = line.split(": ", 1)[1].strip()
            plan, seen, body = None, 0, []
            continue
        if line.startswith("# patchq-exit: "):
            name, rc = line.split(": ", 1)[1].split()
            if prog == name:
                finish(rc)
            continue
        if line.startswith("### dmesg"):
            finish("?")
            break
        if prog is None:
            continue
        m = PLAN.match(line)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        m = TAP_RESULT.match(line)
        if m:
            seen += 1
            status, _, name, directive, reason = m.groups()
            full = f"{prog}:{name.strip()}"
            if directive == "SKIP":
                rows.append(("skip", full, reason.strip() or "skipped"))
            elif status == "ok":
                rows.append(("pass", full, ""))
            else:
                why = next((b.strip("# ").strip() for b in reversed(body)
                            if "Expected" in b or "ASSERT" in b or "FAIL" in b), "")
                rows.append(("fail", full, why))
            body = []
        else:
            body.append(line)
    finish("?")
    return rows


def kernel_log_problems(lines, allow):
    open_marks = {}
    problems = []
    for line in lines:
        m = MARK.search(line)
        if m:
            kind = m.group(2)
            if m.group(1) == "begin":
                open_marks[kind] = open_marks.get(kind, 0) + 1
            else:
                open_marks[kind] = max(0, open_marks.get(kind, 0) - 1)
            continue
        for kind, rx in REPORTS:
            if not rx.search(line):
                continue
            if open_marks.get(kind):
                break
            if any(a.search(line) for a in allow):
                break
            problems.append(line.strip())
            break
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tap", required=True)
    ap.add_argument("--console", required=True)
    ap.add_argument("--qemu-rc", default="0")
    ap.add_argument("--allow")
    ap.add_argument("--prefix", default="")
    ap.add_argument("--figures", help="append the run's figures here")
    ap.add_argument("--kmemleak", action="store_true",
                    help="the guest must report a kmemleak scan with no leak")
    args = ap.parse_args()

    def read(path):
        try:
            with open(path, errors="replace") as f:
                return [l.rstrip("\r\n").replace("\r", "") for l in f]
        except FileNotFoundError:
            return []

    tap = read(args.tap)
    console = read(args.console)
    allow = []
    if args.allow:
        for l in read(args.allow):
            l = l.split("  #", 1)[0].strip()
            if l and not l.startswith("#"):
                allow.append(re.compile(l))

    rows = rows_for_tap(tap)
    if not any(l.startswith("# patchq-run: ") for l in tap):
        rows.append(("fail", "tests", "the guest ran no test program"))

    finished = "### end" in tap
    if "### dmesg" in tap:
        klog = tap[tap.index("### dmesg") + 1:]
        if finished:
            klog = klog[:klog.index("### end")]
    else:
        klog = console
    if not finished:
        tail = " | ".join(console[-8:])
        rows.append(("fail", "guest", f"did not finish (qemu exit {args.qemu_rc}): {tail}"))
    problems = kernel_log_problems(klog, allow)
    if problems:
        rows.append(("fail", "kernel-log", f"{len(problems)} report(s): " + " | ".join(problems[:6])))
    else:
        rows.append(("pass", "kernel-log", "no oops/WARN/BUG/KASAN/lockdep/unexpected DMAR fault"))

    leaks = 0
    if args.kmemleak:
        scans = [l for l in tap if l.startswith("# kmemleak: scanned, ")]
        objs = [l[len("# kmemleak: "):] for l in tap
                if l.startswith("# kmemleak: ") and not l.startswith("# kmemleak: scanned, ")]
        if not scans:
            why = next((l for l in tap if l.startswith("# kmemleak: ")), "no scan reported")
            rows.append(("fail", "kmemleak", why))
        elif not scans[-1].startswith("# kmemleak: scanned, 0 "):
            leaks = int(scans[-1].split()[3])
            trace = " | ".join(o.strip() for o in objs if "[<" in o or "unreferenced" in o)
            rows.append(("fail", "kmemleak", scans[-1][len("# kmemleak: "):] + ": " + trace[:600]))
        else:
            rows.append(("pass", "kmemleak", "scan after the last test: 0 unreferenced objects"))

    for status, name, detail in rows:
        print(f"{status}\t{args.prefix}{name}\t{detail}")

    if args.figures:
        sums = {}
        for l in tap:
            m = FIGURE.match(l)
            if m:
                sums[m.group(1)] = sums.get(m.group(1), 0) + int(m.group(2))
        sums["kernel-reports"] = len(problems) + leaks
        run = args.prefix.rstrip(": ") or "guest"
        with open(args.figures, "a") as f:
            for k, v in sums.items():
                f.write(f"{k}\t{v}\t{run}\n")


if __name__ == "__main__":
    sys.exit(main())
