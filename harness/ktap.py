# SPDX-License-Identifier: GPL-2.0
"""KUnit results: the kernel's own "kunit.py parse", checked strictly.

The verdicts come from tools/testing/kunit/kunit.py parse --json, run on
the kernel log a KUnit run left in its build directory (test.log); any
"[ERROR]" it prints (a missing subtest, a crash, no KTAP at all) or a
non-JSON answer fails the run. What kunit.py lets pass is checked here on
the raw KTAP, read by indentation: at every level, more results than the
plan, fewer, results out of order, a block with no result line closing it
and "Bail out!" fail; "1..0" is a skip of its block, with its reason; every
"# <name>: pass:N fail:N skip:N total:N" line (suites, parameterised
cases, "# Totals") must agree with the results below it; kunit.py's cases
and the raw KTAP's must be the same, with the same verdicts. The raw KTAP
also gives the skip reasons, which kunit.py's JSON drops.

Rows are (status, "<config>: <suite>.<case>[.<param>]", detail, "test"),
plus one check row for the run ("<config>: ktap").
"""
import json
import os
import re
import subprocess
import tempfile

VERSION = re.compile(r"^K?TAP version \d+$")
RESULT = re.compile(r"^(not ok|ok)\s+(\d+)(?:\s+-)?(?:\s+([^#]*?))?\s*(?:#\s*(.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)\s*(?:#\s*(.*))?$")
SUBTEST = re.compile(r"^# Subtest: (.+)$")
COUNTS = re.compile(r"^# (.+?): pass:(\d+) fail:(\d+) skip:(\d+) total:(\d+)$")
SKIP = re.compile(r"^SKIP\b\s*(.*)$", re.I)
END = re.compile(r"kunit executor: |reboot: System halted|reboot: Power down|"
                 r"reboot: Restarting system")


def extract(log):
    """The KTAP lines of a kernel log, the console prefix cut as kunit.py does."""
    out, prefix = [], None
    for line in log:
        line = line.rstrip("\r\n")
        if prefix is None:
            m = re.search(r"K?TAP version \d+", line)
            if m:
                prefix = m.start()
                out.append(line[prefix:])
            continue
        if END.search(line):
            break
        out.append(line[prefix:].rstrip())
    return out


class Result:
    def __init__(self, num, status, name, reason, children):
        self.num, self.status, self.name = num, status, name
        self.reason, self.children = reason, children


def _is_ktap(text):
    return bool(VERSION.match(text) or SUBTEST.match(text) or PLAN.match(text) or
                COUNTS.match(text) or RESULT.match(text) or text.startswith("Bail out!"))


def _block(items, i, indent, problems, where):
    """Parse the block at @indent from items[i]: (results, plan, name, i, plan_skip)."""
    results, plan, name, counts, child = [], None, None, [], None
    plan_skip = None
    while i < len(items):
        ind, text = items[i]
        if ind < indent:
            break
        if ind > indent:
            if child is not None:
                problems.append(f"{where}: a block after '{child[2] or 'a block'}'"
                                " has no result line")
            child = _block(items, i, ind, problems, child_where(where, name))
            i = child[3]
            continue
        i += 1
        if text.startswith("Bail out!"):
            problems.append(f"{name or where}: {text}")
            continue
        if VERSION.match(text):
            continue
        m = SUBTEST.match(text)
        if m:
            if name is None and not results:
                name = m.group(1).strip()
            continue
        m = PLAN.match(text)
        if m:
            if plan is not None:
                problems.append(f"{name or where}: a second plan")
            plan = int(m.group(1))
            if plan == 0:
                sk = SKIP.match((m.group(2) or "").strip())
                plan_skip = sk.group(1).strip() if sk else "empty plan (1..0)"
            continue
        m = COUNTS.match(text)
        if m:
            counts.append((m.group(1), tuple(int(x) for x in m.groups()[1:])))
            continue
        m = RESULT.match(text)
        status, num, rname, comment = m.groups()
        rname = (rname or "").strip()
        sk = SKIP.match((comment or "").strip())
        children = []
        if child is not None:
            children, cname = child[0], child[2]
            if cname and cname != rname:
                problems.append(f"{where}: block '{cname}' closed by result '{rname}'")
            if child[1] == 0 and not children and not sk:
                problems.append(f"{rname}: plan 1..0 ({child[4]}) but result '{status}'"
                                " without SKIP")
            child = None
        res = Result(int(num), "skip" if sk and status == "ok" else
                     "pass" if status == "ok" else "fail",
                     rname, sk.group(1).strip() if sk else "", children)
        if children:
            bad = any(r.status == "fail" for _, r in _leaves(children))
            if res.status == "fail" and not bad:
                problems.append(f"'{rname}' is 'not ok' although none of its cases failed")
            elif res.status != "fail" and bad:
                problems.append(f"'{rname}' is 'ok' although a case of it failed")
        for label, c in counts:
            if label == "Totals":
                _check_counts(label, c, [r for _, r in _leaves([res])], problems)
            elif label == rname:
                _check_counts(label, c, res.children, problems)
            else:
                problems.append(f"'# {label}: ...' counts before the result of '{rname}'")
        counts = []
        if res.num != len(results) + 1:
            problems.append(f"{name or where}: result {res.num} ({rname})"
                            f" where {len(results) + 1} was due")
        results.append(res)
    if child is not None:
        problems.append(f"{child_where(where, name)}: '{child[2] or 'a block'}'"
                        " ended without a result line")
    if plan is not None and len(results) > plan:
        problems.append(f"{name or where}: {len(results)} results but the plan says {plan}")
    elif plan is not None and len(results) < plan:
        problems.append(f"{name or where}: {len(results)} of {plan} planned results")
    for label, c in counts:
        problems.append(f"'# {label}: ...' counts with no result after them")
    return results, plan, name, i, plan_skip or ""


def child_where(where, name):
    return name or where


def _leaves(results, path=()):
    for r in results:
        p = path + (r.name,)
        if r.children:
            yield from _leaves(r.children, p)
        else:
            yield ".".join(p), r


def _check_counts(label, counts, results, problems):
    p, f, s, t = counts
    got = {"pass": 0, "fail": 0, "skip": 0}
    for r in results:
        got[r.status] += 1
    if (p, f, s) != (got["pass"], got["fail"], got["skip"]) or t != sum(got.values()):
        problems.append(f"'# {label}: pass:{p} fail:{f} skip:{s} total:{t}' but the"
                        f" results are pass:{got['pass']} fail:{got['fail']}"
                        f" skip:{got['skip']}")


def raw(ktap):
    """({case path: Result} of the leaves, [problems]) of extracted KTAP lines."""
    problems = []
    # Only KTAP's own lines make the structure: kernel messages land at
    # any indentation between them.
    items = [(len(l) - len(l.lstrip(" ")), l.strip()) for l in ktap
             if l.strip() and _is_ktap(l.strip())]
    if not items:
        return {}, ["no KTAP output"]
    results, plan, _, i, _ = _block(items, 0, items[0][0], problems, "top level")
    if i < len(items):
        problems.append(f"KTAP goes on below its first level: {items[i][1][:80]}")
    leaves = {}
    for path, r in _leaves(results):
        if path in leaves:
            problems.append(f"two results named {path}")
        leaves[path] = r
    return leaves, problems


def json_cases(doc):
    """{case path: status} of kunit.py's JSON."""
    out = {}

    def walk(group, path):
        for case in group.get("test_cases", []):
            out[".".join(path + (case["name"],))] = case.get("status", "")
        for sub in group.get("sub_groups", []):
            walk(sub, path + (sub["name"],))
    walk(doc, ())
    return out


def kunit_parse(kunit_py, log_path):
    """(JSON document or None, [ERROR lines], exit status) of kunit.py parse."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "results.json")
        p = subprocess.run(["python3", kunit_py, "parse", f"--json={out}", os.path.abspath(log_path)],
                           capture_output=True, text=True, errors="replace")
        errors = [re.sub(r"^\[[\d:]+\] ", "", l).strip() for l in p.stdout.splitlines()
                  if "[ERROR]" in l]
        doc = None
        try:
            with open(out) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            errors.append(f"kunit.py parse wrote no JSON ({e}); exit {p.returncode}")
    return doc, errors, p.returncode


JSON_STATUS = {"PASS": "pass", "SKIP": "skip"}


def rows(kunit_py, log_path, config):
    """Result rows of one KUnit run's kernel log."""
    prefix = f"{config}: "
    with open(log_path, errors="replace") as f:
        log = f.read().splitlines()
    leaves, problems = raw(extract(log))
    doc, errors, rc = kunit_parse(kunit_py, log_path)
    problems = errors + problems
    out = []
    cases = json_cases(doc) if doc else {}
    for path, st in cases.items():
        status = JSON_STATUS.get(st, "fail")
        r = leaves.get(path)
        if r is None:
            problems.append(f"kunit.py reports {path}, the raw KTAP does not")
            detail = st
        else:
            if r.status != status:
                problems.append(f"{path}: kunit.py says {st}, the KTAP line {r.status}")
            detail = r.reason if status == "skip" else ("" if status == "pass" else st)
        if status == "skip" and not detail:
            detail = "skipped (no reason given)"
        out.append((status, prefix + path, detail, "test"))
    # kunit.py parse exits 1 when a case failed; otherwise it must not.
    if rc != 0 and not errors and not any(r[0] == "fail" for r in out):
        problems.append(f"kunit.py parse exited {rc} although no case failed")
    for path in leaves:
        if path not in cases:
            problems.append(f"the raw KTAP has {path}, kunit.py does not")
    if problems:
        out.append(("fail", prefix + "ktap", "; ".join(problems[:8]) +
                    (f" (+{len(problems) - 8} more)" if len(problems) > 8 else ""), "check"))
    else:
        out.append(("pass", prefix + "ktap", f"{len(cases)} case(s), KTAP consistent", "check"))
    return out
