# SPDX-License-Identifier: GPL-2.0
"""Strict reader of the kselftest runner's TAP (run_kselftest.sh).

The guest runs the selftests with the kernel's own runner, as installed by
"make -C tools/testing/selftests TARGETS=vfio install": an outer TAP stream
with one result per program, each program's own TAP nested in it with every
line prefixed by "# ":

    TAP version 13
    1..2
    # timeout set to 300
    # selftests: vfio: vfio_type1_dma_test
    # TAP version 13
    # 1..3
    # ok 1 ram.round_trip
    # ok 2 ram.fault # SKIP no edu device
    # not ok 3 ram.unmap
    # # Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0
    not ok 1 selftests: vfio: vfio_type1_dma_test # exit=1
    ...

kunit.py's parser cannot read this (it takes the "# " lines for
diagnostics), so this module does, strictly. Every departure is a failing
row: no plan, a plan the results do not meet or exceed, results out of
order, "Bail out!", a "# Totals:" line that disagrees with the results, a
directive other than SKIP, a program whose runner result says it failed
while all its cases passed, a program that never finished. "1..0 # SKIP
why" is one skip row for the program.

Rows are (status, name, detail, kind): status pass/fail/skip, kind "test"
for a test case, "check" for what the harness checks about the run.
"""
import re

RESULT = re.compile(r"^(not ok|ok)\s+(\d+)(?:\s+-)?(?:\s+([^#]*?))?\s*(?:#\s*(.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)\s*(?:#\s*(.*))?$")
VERSION = re.compile(r"^TAP version (\d+)$")
TOTALS = re.compile(r"^# Totals: pass:(\d+) fail:(\d+) xfail:(\d+) xpass:(\d+) "
                    r"skip:(\d+) error:(\d+)")
HEADER = re.compile(r"^# selftests: (\S+): (\S+)$")
# TAP takes any word starting with "skip" for SKIP ("# SKIPPED ...",
# "# skipping"), and so do we: read as a pass, it would hide a skip.
DIRECTIVE = re.compile(r"^(SKIP|TODO|XFAIL|XPASS|TIMEOUT)\w*:?\s*(.*)$", re.I)


class TapError(Exception):
    pass


def _directive(comment):
    """(directive or None, text) of a result line's "# ..." part."""
    if comment is None:
        return None, ""
    m = DIRECTIVE.match(comment.strip())
    if m:
        return m.group(1).upper(), m.group(2).strip()
    return None, comment.strip()


class _Program:
    """One program's nested TAP, read line by line."""

    def __init__(self, name):
        self.name = name
        self.version = None
        self.plan = None
        self.plan_skip = None
        self.results = []          # (status, case, detail)
        self.problems = []         # structural problems, each a failing check
        self.totals = None
        self.body = []             # lines since the last result (for why)
        self.bailed = None
        self.outputs = {}          # case -> the lines it printed

    def line(self, text):
        if text.startswith("Bail out!"):
            self.bailed = text
            return
        m = VERSION.match(text)
        if m and self.version is None and self.plan is None and not self.results:
            self.version = int(m.group(1))
            return
        m = PLAN.match(text)
        if m:
            if self.plan is not None:
                self.problems.append(f"a second plan line: {text}")
                return
            if self.results:
                self.problems.append(f"plan after {len(self.results)} result(s): {text}")
            self.plan = int(m.group(1))
            d, why = _directive(m.group(2))
            if self.plan == 0:
                self.plan_skip = why if d == "SKIP" else (why or "empty plan (1..0)")
            return
        m = RESULT.match(text)
        if m:
            self._result(m)
            return
        m = TOTALS.match(text)
        if m:
            self.totals = tuple(int(x) for x in m.groups())
            return
        self.body.append(text)

    def _result(self, m):
        status, num, case, comment = m.groups()
        num = int(num)
        case = (case or "").strip()
        expected = len(self.results) + 1
        if num != expected:
            self.problems.append(f"result {num} where {expected} was due: {m.group(0)}")
        if not case:
            self.problems.append(f"result {num} has no name")
            case = f"#{num}"
        if any(r[1] == case for r in self.results):
            self.problems.append(f"two results named {case}")
        d, text = _directive(comment)
        if d == "SKIP":
            row = ("skip", case, text or "skipped (no reason given)")
            if status != "ok":
                row = ("fail", case, f"'not ok' with SKIP: {text}")
        elif d is not None:
            row = ("fail", case, f"unexpected directive {d}: {text}")
        elif status == "ok":
            row = ("pass", case, text)
        else:
            why = next((b.lstrip("# ").strip() for b in reversed(self.body)
                        if re.search(r"Expected|ASSERT|FAIL|error", b)), "")
            row = ("fail", case, why or text)
        self.results.append(row)
        self.outputs[case] = self.body
        self.body = []

    def rows(self, runner_status, runner_comment, prefix):
        """Rows of the program once the runner printed its result (or never did)."""
        out = [("fail" if s == "fail" else s, f"{prefix}{self.name}:{c}", d, "test")
               for s, c, d in self.results]
        checks = []
        if self.bailed:
            checks.append(self.bailed)
        checks += self.problems
        n = len(self.results)
        if self.plan is None:
            if runner_status is None:
                checks.append(f"did not finish, no TAP plan ({n} result(s))")
            else:
                checks.append(f"no TAP plan ({n} result(s)), runner: {runner_status}"
                              f"{' # ' + runner_comment if runner_comment else ''}")
        elif self.plan == 0:
            if n:
                checks.append(f"plan 1..0 but {n} result(s)")
            else:
                # A test row: the manifest judges it for every case of
                # the program it lists (harness/manifest.py).
                out.append(("skip", f"{prefix}{self.name}", self.plan_skip, "test"))
        elif n < self.plan:
            checks.append(f"stopped after {n} of {self.plan} results"
                          f" ({'never finished' if runner_status is None else runner_status}"
                          f"{' # ' + runner_comment if runner_comment else ''})")
        elif n > self.plan:
            checks.append(f"{n} results but the plan says {self.plan}")
        if self.totals is not None and self.plan:
            p, f, xf, xp, sk, err = self.totals
            got = (sum(1 for r in self.results if r[0] == "pass"),
                   sum(1 for r in self.results if r[0] == "fail"),
                   sum(1 for r in self.results if r[0] == "skip"))
            if (p + xf + xp, f + err, sk) != got:
                checks.append(f"Totals line (pass:{p} fail:{f} skip:{sk} xfail:{xf}"
                              f" xpass:{xp} error:{err}) disagrees with the results"
                              f" (pass {got[0]}, fail {got[1]}, skip {got[2]})")
        if runner_status == "not ok" and not checks and \
                not any(r[0] == "fail" for r in self.results):
            checks.append(f"runner says not ok ({runner_comment or 'no reason'})"
                          " although no case failed")
        if checks:
            out.append(("fail", f"{prefix}{self.name}", "; ".join(checks), "check"))
        elif self.plan:
            out.append(("pass", f"{prefix}{self.name}",
                        f"{n} result(s) as planned, runner: {runner_status}", "check"))
        return out


RUNNER_EXIT = re.compile(r"^# patchq-runner-exit: (\d+)$")


def parse_runner(lines, prefix="", outputs=None):
    """Rows for the kselftest runner's output @lines (already without CRs).

    Lines before "TAP version" are the guest's own (setup) lines and are
    ignored here; reading stops at "### dmesg". With @outputs (a dict),
    each case's printed lines are stored there as "<program>:<case>".
    The guest's "# patchq-runner-exit: <rc>" line, after the runner
    returned, must be there and say 0 (the runner's own errors: no such
    test, a shell error).
    """
    rows = []
    version = plan = None
    outer = 0
    prog = None
    problems = []
    started = False

    def close(status, comment):
        nonlocal prog
        if prog is not None:
            rows.extend(prog.rows(status, comment, prefix))
            if outputs is not None:
                for case, text in prog.outputs.items():
                    outputs[f"{prog.name}:{case}"] = text
        prog = None

    runner_exit = None
    for line in lines:
        if line.startswith("### dmesg"):
            break
        m = RUNNER_EXIT.match(line)
        if m:
            # The guest's init, once the runner returned.
            if runner_exit is not None:
                problems.append("a second runner exit status")
            runner_exit = int(m.group(1))
            close(None, None)
            continue
        if not started:
            m = VERSION.match(line)
            if m:
                started = True
                version = int(m.group(1))
            elif line.startswith("Bail out!"):
                problems.append(line)
            continue
        if line.startswith("Bail out!"):
            problems.append(line)
            continue
        if line.startswith("# "):
            inner = line[2:]
            m = HEADER.match(line)
            if m:
                close(None, None)
                prog = _Program(m.group(2))
                continue
            if prog is not None:
                prog.line(inner)
            continue
        if line == "#":
            continue
        m = PLAN.match(line)
        if m:
            if plan is not None:
                problems.append(f"a second runner plan: {line}")
            plan = int(m.group(1))
            continue
        m = RESULT.match(line)
        if m:
            status, num, name, comment = m.groups()
            outer += 1
            if int(num) != outer:
                problems.append(f"runner result {num} where {outer} was due")
            pname = (name or "").strip().split(": ")[-1]
            if prog is None or prog.name != pname:
                # A result without its header: the program printed nothing.
                close(None, None)
                prog = _Program(pname)
            close(status, (comment or "").strip())
            continue
        if line.strip():
            problems.append(f"unexpected line in the runner's TAP: {line[:120]}")
    close(None, None)

    if not started:
        problems.append("no TAP from the kselftest runner")
    elif plan is None:
        problems.append("the runner printed no plan")
    elif outer < plan:
        problems.append(f"the runner stopped after {outer} of {plan} programs")
    elif outer > plan:
        problems.append(f"the runner reported {outer} programs but planned {plan}")
    if runner_exit is None:
        problems.append("the runner never returned (no '# patchq-runner-exit:' line)")
    elif runner_exit != 0:
        problems.append(f"the runner exited with status {runner_exit}")
    if version is not None and version not in (13, 14):
        problems.append(f"TAP version {version}")
    if problems:
        rows.append(("fail", f"{prefix}runner", "; ".join(problems), "check"))
    else:
        rows.append(("pass", f"{prefix}runner", f"{outer} of {plan} programs reported", "check"))
    return rows
