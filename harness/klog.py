# SPDX-License-Identifier: GPL-2.0
"""Kernel log reports that fail a run, for the guests and for KUnit alike.

A report fails the run unless it lies between "vfio-selftests: expect-begin
<what>" and "... expect-end <what>" markers that a test wrote to /dev/kmsg
and <what> is its kind, or a line of an allow file ("<regex>  # reason")
matches it. A WARN or BUG comes as a block, from "[ cut here ]" to
"---[ end trace" (or the next "[ cut here ]", or 300 lines): its
"Call Trace:" is part of the report the block starts with, not a second
one; every other report line in it is judged on its own. A window still
open at the end of the log, or an end with no begin, is a report too (a
test that stopped inside its window would leave the rest of the log
unchecked).

IOMMU faults are also counted, because intel-iommu rate-limits its fault
lines ("dmar_fault: N callbacks suppressed" stands for faults nobody can
place). Each "dmar-fault" marker carries the fault interrupts taken so far
("irqs=N", from /proc/interrupts), and the guest ends its log with the
final count ("patchq: iommu-fault-irqs N"). Interrupts taken while no
dmar-fault window is open are reports. With that count in the log, a
"callbacks suppressed" line is no report of its own; without it (no
count: an older test library, or no DMAR unit) it stays one.
"""
import re

# Reports that fail a run; the key names the kind for expect markers.
# The specific kinds come before "oops", whose "BUG:" they also match.
REPORTS = [
    # A suppressed fault cannot be told apart from one outside a window.
    ("dmar-fault", re.compile(r"DMAR: \[DMA (Read|Write)|DMAR: DRHD: handling fault|"
                              r"dmar_fault: \d+ callbacks suppressed")),
    ("zpci-error", re.compile(r"zpci: .*(reports an error for PCI function|"
                              r"Automatic recovery failed|is not operational)")),
    ("kasan", re.compile(r"BUG: KASAN|KASAN:|UBSAN:")),
    ("lockdep", re.compile(r"possible circular locking|possible recursive locking|"
                           r"inconsistent lock state|lock held when returning|"
                           r"suspicious RCU usage|INFO: lockdep is turned off|"
                           r"BUG: sleeping function called from invalid context|"
                           r"BUG: scheduling while atomic|"
                           r"DEBUG_LOCKS_WARN_ON|bad unlock balance|"
                           r"held lock freed|lock\(\) on an unlocked")),
    ("debug-vm", re.compile(r"page dumped because|VM_BUG_ON|VM_WARN_ON|BUG: Bad page")),
    ("kmemleak", re.compile(r"kmemleak: \d+ new suspected memory leaks")),
    ("hung", re.compile(r"INFO: task .* blocked for more than|rcu: INFO: .* stall")),
    ("oops", re.compile(r"\bOops\b|general protection fault|Kernel panic|"
                        r"BUG: unable to handle|\bBUG:|kernel BUG at")),
    ("warn", re.compile(r"^(\[[ \d.]+\] )?WARNING: |\bWARNING: CPU: \d+ PID")),
    ("call-trace", re.compile(r"(^|\] )Call Trace:")),
]
MARK = re.compile(r"vfio-selftests: expect-(begin|end) (\S+)(?: irqs=(\d+))?")
FINAL_IRQS = re.compile(r"patchq: iommu-fault-irqs (\d+)")
SUPPRESSED = re.compile(r"dmar_fault: \d+ callbacks suppressed")
CUT = re.compile(r"------------\[ cut here \]------------")
END = re.compile(r"---\[ end trace [0-9a-f]* \]---")


def load_allow(lines):
    """Compiled regexes of an allow file's lines ("<regex>  # reason")."""
    allow = []
    for line in lines:
        line = line.split("  #", 1)[0].strip()
        if line and not line.startswith("#"):
            allow.append(re.compile(line))
    return allow


def problems(lines, allow=()):
    """The report lines of a kernel log that nothing declared or allowed."""
    open_marks = {}
    found = []
    block = None    # None outside a cut-here block, else its first verdict
    block_len = 0
    counted = any(FINAL_IRQS.search(l) for l in lines)
    irqs, since = 0, "boot"     # the last fault interrupt count, and where

    def fault_irqs(n, line):
        # Fault interrupts since the last count, taken outside any window.
        nonlocal irqs, since
        where = line.strip()
        if n < irqs:
            found.append(f"IOMMU fault interrupts went down from {irqs} to {n}: {where}")
        elif n > irqs and not open_marks.get("dmar-fault"):
            found.append(f"{n - irqs} IOMMU fault interrupt(s) outside any dmar-fault"
                         f" window, between '{since}' and '{where}'")
        irqs, since = n, where

    for line in lines:
        m = FINAL_IRQS.search(line)
        if m:
            fault_irqs(int(m.group(1)), line)
            continue
        m = MARK.search(line)
        if m:
            kind = m.group(2)
            if m.group(3) is not None:
                counted = True
                fault_irqs(int(m.group(3)), line)
            if m.group(1) == "begin":
                open_marks[kind] = open_marks.get(kind, 0) + 1
            elif open_marks.get(kind, 0) > 0:
                open_marks[kind] -= 1
            else:
                found.append(f"expect-end {kind} without a begin: {line.strip()}")
            continue
        if CUT.search(line):
            block, block_len = "open", 0
            continue
        if block is not None:
            block_len += 1
            if END.search(line) or block_len > 300:
                block = None
                continue
        if counted and SUPPRESSED.search(line):
            continue
        for kind, rx in REPORTS:
            if not rx.search(line):
                continue
            if kind == "call-trace" and block in ("allowed", "reported"):
                break
            ok = open_marks.get(kind) or any(a.search(line) for a in allow)
            if block == "open" and kind != "call-trace":
                block = "allowed" if ok else "reported"
            if not ok:
                found.append(line.strip())
            break
    for kind, n in open_marks.items():
        if n:
            found.append(f"expect-begin {kind} never ended ({n} window(s) open at the end)")
    if counted and not any(FINAL_IRQS.search(l) for l in lines):
        found.append("the dmar-fault markers count fault interrupts but the log has no"
                     " final count ('patchq: iommu-fault-irqs N'): faults after the last"
                     " window go uncounted")
    return found
