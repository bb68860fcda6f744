# SPDX-License-Identifier: GPL-2.0
"""Kernel log reports that fail a run, for the guests and for KUnit alike.

A report fails the run unless it lies between "vfio-selftests: expect-begin
<what>" and "... expect-end <what>" markers that a test wrote to /dev/kmsg
and <what> is its kind, or a line of an allow file ("<regex>  # reason")
matches it. A WARN or BUG comes as a block, from "[ cut here ]" to
"---[ end trace"; the block is one report, judged by its first report line
(so an allowed WARN's own "Call Trace:" is not a second report).
"""
import re

# Reports that fail a run; the key names the kind for expect markers.
REPORTS = [
    ("dmar-fault", re.compile(r"DMAR: \[DMA (Read|Write)|DMAR: DRHD: handling fault")),
    ("oops", re.compile(r"\bOops\b|general protection fault|Kernel panic|"
                        r"BUG: unable to handle|\bBUG:|kernel BUG at")),
    ("warn", re.compile(r"^(\[[ \d.]+\] )?WARNING: |\bWARNING: CPU: \d+ PID")),
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
    ("call-trace", re.compile(r"(^|\] )Call Trace:")),
]
MARK = re.compile(r"vfio-selftests: expect-(begin|end) (\S+)")
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
    block = None    # None outside a cut-here block, else its verdict so far

    for line in lines:
        m = MARK.search(line)
        if m:
            kind = m.group(2)
            if m.group(1) == "begin":
                open_marks[kind] = open_marks.get(kind, 0) + 1
            else:
                open_marks[kind] = max(0, open_marks.get(kind, 0) - 1)
            continue
        if CUT.search(line):
            block = "open"
            continue
        if block is not None and END.search(line):
            block = None
            continue
        for kind, rx in REPORTS:
            if not rx.search(line):
                continue
            if block in ("allowed", "reported"):
                break
            ok = open_marks.get(kind) or any(a.search(line) for a in allow)
            if block == "open":
                block = "allowed" if ok else "reported"
            if not ok:
                found.append(line.strip())
            break
    return found
