#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise build/results/<stage>.tsv files.

Each row is "status<TAB>name<TAB>detail[<TAB>kind]" with status pass, fail
or skip and kind "test" (a test case) or "check" (what a stage checks
itself: a patch applies, a prefix builds, a guest's setup, a kernel log;
the default).
build/results/times.tsv holds "stage<TAB>seconds<TAB>exit-status<TAB>note"
per stage run by check.sh, in the order the stages finished; they are
shown in the order of ORDER. build/results/wall.tsv, when there,
holds "seconds<TAB>how<TAB>how busy the cores were" for the whole run: the stages after harness run
in lanes at the same time ("lanes: static bisect | kunit | guest") or
one after the other ("serial"),
and the total's time is that wall time, not the sum of the stages'.
The last line printed is always
"N passed, N failed, N skipped". Figures (build/results/<stage>.figures,
"figure<TAB>N<TAB>run") are summed over the runs and printed before it.
"""
import argparse
import os
import sys

RESULTS = os.environ.get("RESULTS") or os.path.join(
    os.environ.get("BUILD", os.path.join(os.path.dirname(__file__), "..", "build")), "results")


ORDER = ["deps", "apply", "harness", "static", "bisect", "kunit", "guest"]


def load(stage):
    rows = []
    try:
        with open(os.path.join(RESULTS, stage + ".tsv")) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) >= 2:
                    rows.append((parts[0], parts[1], parts[2] if len(parts) > 2 else "",
                                 parts[3] if len(parts) > 3 else "check"))
    except FileNotFoundError:
        pass
    return rows


FIGURES = [
    ("stress-sequences", "randomized stress sequences run"),
    ("faults-injected", "allocation failures injected (fail-nth)"),
    ("bad-inputs", "bad inputs tried"),
    ("kernel-reports", "kernel reports found (oops/WARN/KASAN/lockdep/leaks)"),
]


def figures(stages):
    """Lines for the figures of @stages: total, then the runs it came from."""
    got = {}
    for st in stages:
        try:
            with open(os.path.join(RESULTS, st + ".figures")) as f:
                for line in f:
                    parts = line.rstrip("\n").split("\t")
                    if len(parts) == 3 and parts[1].isdigit():
                        got.setdefault(parts[0], []).append((int(parts[1]), f"{st} {parts[2]}"))
        except FileNotFoundError:
            pass
    lines = []
    for key, text in FIGURES:
        if key in got:
            runs = ", ".join(f"{r} {v}" for v, r in got[key])
            lines.append(f"  {sum(v for v, _ in got[key]):>7}  {text}  [{runs}]")
    return lines


# The stages whose rows harness/expected-runs covers, with the variable
# that picks some of their configurations for the edit loop.
MANIFEST_STAGES = {"kunit": ("kunit-", "KUNIT_CONFIGS"), "guest": ("", "GUEST_CONFIGS")}


def unreported(stage, rows):
    """Failures for the configurations of @stage that reported nothing."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import manifest
    prefix, var = MANIFEST_STAGES[stage]
    m = manifest.Manifest.load(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "expected-runs"))
    picked = os.environ.get(var, "").split()
    out = []
    for config, cases in m.cases.items():
        if not cases or config.startswith("kunit-") != (stage == "kunit"):
            continue
        if picked and config not in picked:
            continue
        if not any(name.startswith(f"{config}: ") for _, name, _, _ in rows):
            out.append(("fail", f"{config}: results", f"no result, although"
                        f" harness/expected-runs lists {len(cases)} case(s)", "check"))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", action="append", help="only these stages")
    ap.add_argument("--brief", action="store_true", help="one stage's rows, no table")
    args = ap.parse_args()

    times = []
    try:
        with open(os.path.join(RESULTS, "times.tsv")) as f:
            times = [l.rstrip("\n").split("\t") for l in f if l.strip()]
    except FileNotFoundError:
        pass
    stages = args.stage or sorted(
        dict.fromkeys(t[0] for t in times),
        key=lambda st: ORDER.index(st) if st in ORDER else len(ORDER))
    wall = None
    try:
        with open(os.path.join(RESULTS, "wall.tsv")) as f:
            wall = f.read().rstrip("\n").split("\t")
    except FileNotFoundError:
        pass

    total = {"pass": 0, "fail": 0, "skip": 0, "test": 0, "check": 0}
    out = []
    failures, skips = [], []
    for st in stages:
        rows = load(st)
        if st in MANIFEST_STAGES:
            rows += unreported(st, rows)
        if not rows:
            rows = [("fail", "results", "the stage recorded no result", "check")]
        c = {"pass": 0, "fail": 0, "skip": 0, "test": 0, "check": 0}
        for status, name, detail, kind in rows:
            if status not in ("pass", "fail", "skip"):
                status, detail = "fail", f"bad result row status '{status}': {detail}"
            c[status] = c.get(status, 0) + 1
            if status == "pass":
                c["test" if kind == "test" else "check"] += 1
            if status == "fail":
                failures.append(f"  [{st}] {name}: {detail}")
            elif status == "skip":
                skips.append(f"  [{st}] {name}: {detail}")
        for k in total:
            total[k] += c[k]
        t = next((x for x in times if x[0] == st), None)
        secs = f"{float(t[1]):7.1f}s" if t else "      -"
        note = t[3] if t and len(t) > 3 else ""
        try:
            with open(os.path.join(RESULTS, st + ".note")) as f:
                note = (note + "; " if note else "") + f.read().strip()
        except FileNotFoundError:
            pass
        rc = t[2] if t else "0"
        if rc != "0" and c["fail"] == 0:
            # A stage that failed without recording why still fails.
            failures.append(f"  [{st}] stage exited {rc}: {note or 'see build/logs'}")
            total["fail"] += 1
            c["fail"] += 1
        out.append(f"  {st:<14} {c['pass']:>6} {c['test']:>6} {c['check']:>6} {c['fail']:>6}"
                   f" {c['skip']:>7}  {secs}  {note}")

    if not args.brief:
        print("\n==== summary " + "=" * 58)
        print(f"  {'stage':<14} {'passed':>6} {'tests':>6} {'checks':>6} {'failed':>6}"
              f" {'skipped':>7}  {'time':>8}")
        print("\n".join(out))
        if times:
            if wall and not args.stage:
                secs = float(wall[0])
                lanes = wall[1] if len(wall) > 1 else ""
                how = (f"wall time; at the same time: {lanes[len('lanes:'):].strip()}"
                       if lanes.startswith("lanes:") else "wall time")
                if len(wall) > 2:
                    how += "; " + wall[2]
            else:
                secs = sum(float(t[1]) for t in times if t[0] in stages)
                how = "sum of the stages"
            print(f"  {'total':<14} {total['pass']:>6} {total['test']:>6} {total['check']:>6}"
                  f" {total['fail']:>6} {total['skip']:>7}  {secs:7.1f}s  {how}")
    fig = figures(stages)
    if fig and not args.brief:
        print("figures:")
        print("\n".join(fig))
    if skips:
        print("skipped:")
        print("\n".join(skips))
    if failures:
        print("failed:")
        print("\n".join(failures))
    print(f"passed: {total['test']} test cases, {total['check']} stage checks")
    print(f"{total['pass']} passed, {total['fail']} failed, {total['skip']} skipped")
    return 1 if total["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
