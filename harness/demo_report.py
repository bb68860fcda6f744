#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make run: print the demo guest's report, then what the host sees.

The demo (guest/vfio_demo.c) prints its steps to ttyS1; lines
"host: expect <offset> <text>" ask the host to look for <text> in
ivshmem's memory, which is a file here, after the guest powered off.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from klog import problems as kernel_log_problems  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tap", required=True)
    ap.add_argument("--console", required=True)
    ap.add_argument("--ivshmem", required=True)
    args = ap.parse_args()
    lines = [l.rstrip("\r\n").replace("\r", "") for l in open(args.tap, errors="replace")]
    if "### dmesg" not in lines:
        print("the demo guest did not finish; console tail:")
        print("\n".join(open(args.console, errors="replace").read().splitlines()[-20:]))
        return 1
    cut = lines.index("### dmesg")
    demo, klog = lines[:cut], lines[cut + 1:]
    expects = []
    for l in demo:
        if l.startswith("host: expect "):
            off, text = l[len("host: expect "):].split(" ", 1)
            expects.append((int(off, 16), text))
        elif l.startswith("# patchq-setup: FAIL"):
            print("the demo guest's setup is wrong: " + l[len("# patchq-setup: FAIL "):])
            return 1
        elif l.startswith("# patchq-setup: "):
            if l != "# patchq-setup: ok":
                print(l[len("# patchq-setup: "):])
        elif not l.startswith("# patchq-exit"):
            print(l)
    mem = open(args.ivshmem, "rb").read()
    print("host (after the guest powered off), ivshmem memory file %s:" % args.ivshmem)
    for off, text in expects:
        got = mem[off:off + len(text)].decode(errors="replace")
        verdict = "present" if got == text else "absent"
        print("  %-58s %s" % ("+0x%x: \"%s\"" % (off, text), verdict))
    faults = [l for l in klog if "DMAR: [DMA" in l]
    print("kernel log: %d DMAR fault(s), all inside the demo's declared windows"
          % len(faults) if not kernel_log_problems(klog, []) else
          "kernel log: UNEXPECTED REPORTS:\n  " + "\n  ".join(kernel_log_problems(klog, [])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
