#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn a KUnit run's kernel log into result rows (status<TAB>name<TAB>detail<TAB>kind).

The log is the whole kernel output kunit.py kept (<build dir>/test.log).
Rows: every case as kunit.py parse reads it and ktap.py checks it, held
against harness/expected-runs for the configuration; then the kernel log
(klog.py: WARN, BUG, oops, lockdep, KASAN, sleeping in atomic, ...) as one
check. Any exception is a failing row and exit status 1.

With --figures, "faults-injected" (the fail-nth cases' "# <case>:
faults-injected: N" lines) and "kernel-reports" are appended to that file.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import klog  # noqa: E402
import ktap  # noqa: E402
import manifest  # noqa: E402
from rows import emit  # noqa: E402

INJECTED = re.compile(r"# [a-z0-9_]+: faults-injected: (\d+)")


def kunit_rows(log_path, config, expected, allow, kunit_py):
    rows = ktap.rows(kunit_py, log_path, config)
    rows = manifest.check(expected, config, rows)
    with open(log_path, errors="replace") as f:
        log = f.read().splitlines()
    found = klog.problems(log, allow)
    if found:
        rows.append(("fail", f"{config}: kernel-log",
                     f"{len(found)} report(s): " + " | ".join(found[:6]), "check"))
    else:
        rows.append(("pass", f"{config}: kernel-log",
                     "no oops/WARN/BUG/KASAN/lockdep/sleeping-in-atomic report", "check"))
    sums = {"faults-injected": sum(int(m.group(1)) for l in log for m in [INJECTED.search(l)] if m),
            "kernel-reports": len(found)}
    return rows, sums


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True, help="the run's test.log")
    ap.add_argument("--config", required=True, choices=manifest.CONFIGS)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--kunit-py", required=True)
    ap.add_argument("--allow")
    ap.add_argument("--figures")
    args = ap.parse_args()

    def compute():
        expected = manifest.Manifest.load(args.manifest)
        allow = []
        if args.allow:
            with open(args.allow) as f:
                allow = klog.load_allow(f.readlines())
        return kunit_rows(args.log, args.config, expected, allow, args.kunit_py)
    return emit(args.config, compute, args.figures,
                     keep=lambda k, v: v or k == "kernel-reports")


if __name__ == "__main__":
    sys.exit(main())
