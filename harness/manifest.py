# SPDX-License-Identifier: GPL-2.0
"""harness/expected-runs: which test cases each configuration must run.

The file is made of sections. A section's header names the configurations
its cases are reported in; each line under it is one case, which must run
(pass or fail, never skip) in every one of them unless a clause lets it
skip somewhere, with the reason its skip must give:

    [guest: x86 x86-unsafe x86-debug s390]
    vfio_type1_dma_test:ram.round_trip
    vfio_fail_nth_test:kvm.register   skip x86 x86-unsafe: no CONFIG_FAULT_INJECTION

The case name ends at the first two blanks (a KUnit parameter's name may
have single ones); clauses are separated by " ; "; the text after the colon is a Python regex
that must be found in the skip reason. "#" starts a comment line.

check() holds a configuration's result rows against it: a case that skips
where it must run, or skips for a reason its clause does not give, fails;
a case the manifest expects and the run did not report fails; a case the
run reported and the manifest does not list fails (add it).
"""
import re

CONFIGS = ("x86", "x86-unsafe", "x86-debug", "s390",
           "kunit-um", "kunit-s390", "kunit-s390-module")


class ManifestError(Exception):
    pass


class Manifest:
    def __init__(self, lines, source="expected-runs"):
        # config -> {case: None (must run) or compiled reason regex (may skip)}
        self.cases = {c: {} for c in CONFIGS}
        # config -> {case: compiled regex its output must contain}
        self.needs = {c: {} for c in CONFIGS}
        section = None
        for n, raw in enumerate(lines, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = f"{source}:{n}"
            m = re.match(r"^\[(guest|kunit):\s*([^\]]+)\]\s*$", line)
            if m:
                section = m.group(2).split()
                for c in section:
                    if c not in CONFIGS:
                        raise ManifestError(f"{where}: unknown configuration {c}")
                continue
            if section is None:
                raise ManifestError(f"{where}: a case before any [section]")
            # The case ends at the first run of two blanks (KUnit
            # parameter names have single spaces in them).
            parts = re.split(r"\s{2,}|\t", line.strip(), maxsplit=1)
            case = parts[0]
            skips, needs = {}, {}
            if len(parts) > 1:
                for clause in parts[1].split(" ; "):
                    m = re.match(r"^\s*(skip|needs)\s+([^:]+):\s*(.+?)\s*$", clause)
                    if not m:
                        raise ManifestError(f"{where}: cannot read clause '{clause.strip()}'")
                    try:
                        rx = re.compile(m.group(3))
                    except re.error as e:
                        raise ManifestError(f"{where}: bad regex: {e}")
                    for c in m.group(2).split():
                        if c not in section:
                            raise ManifestError(f"{where}: {c} is not a configuration of"
                                                f" this section ({' '.join(section)})")
                        (skips if m.group(1) == "skip" else needs)[c] = rx
            for c in section:
                if case in self.cases[c]:
                    raise ManifestError(f"{where}: {case} is listed twice for {c}")
                self.cases[c][case] = skips.get(c)
                if c in needs:
                    self.needs[c][case] = needs[c]

    @classmethod
    def load(cls, path):
        with open(path) as f:
            return cls(f.readlines(), path)


def _expand_program_skips(want, prefix, rows):
    """A program that skipped as a whole ("1..0 # SKIP reason") stands for
    each case of it the manifest lists: one skip row per case with that
    reason, judged like any other skip. A program the manifest lists no
    case of stays one row, which then fails as unlisted."""
    out = []
    for status, name, detail, kind in rows:
        prog = name[len(prefix):] if name.startswith(prefix) else name
        cases = [c for c in want if c.startswith(prog + ":")]
        if kind == "test" and status == "skip" and ":" not in prog and cases:
            out += [("skip", f"{prefix}{c}", f"{detail} (the whole of {prog}"
                     " skipped: 1..0)", kind) for c in cases]
        else:
            out.append((status, name, detail, kind))
    return out


def check(manifest, config, rows, setup_failed=False, outputs=None):
    """@rows with the manifest applied for @config.

    Rows are (status, name, detail, kind); test rows are named
    "<config>: <case>". Returns the new rows: skips where the case must
    run become failures, and a failure is added for every expected case
    missing from the rows and every reported case the manifest lacks.
    With @setup_failed the missing cases are one failure, not one each.
    @outputs maps a case to the lines it printed, for "needs" clauses.
    """
    if config not in manifest.cases:
        raise ManifestError(f"unknown configuration {config}")
    want = manifest.cases[config]
    prefix = f"{config}: "
    out = []
    seen = set()
    rows = _expand_program_skips(want, prefix, rows)
    for status, name, detail, kind in rows:
        if kind != "test":
            out.append((status, name, detail, kind))
            continue
        case = name[len(prefix):] if name.startswith(prefix) else name
        if case in seen:
            # A program run twice counts its passes twice and judges
            # "needs" on one run's output only.
            out.append(("fail", name, f"reported twice in {config}"
                        f" (again {status}{': ' + detail if detail else ''})", kind))
            continue
        seen.add(case)
        if case not in want:
            out.append(("fail", name, f"not in harness/expected-runs for {config}"
                        f" (was {status}{': ' + detail if detail else ''})", kind))
            continue
        rx = want[case]
        if status == "skip":
            if rx is None:
                out.append(("fail", name, f"must run in {config}, skipped: {detail}", kind))
                continue
            if not rx.search(detail):
                out.append(("fail", name, f"may skip in {config} only because"
                            f" '{rx.pattern}', skipped: {detail}", kind))
                continue
        need = manifest.needs[config].get(case)
        if need is not None and status == "pass":
            text = (outputs or {}).get(case, [])
            if not any(need.search(l) for l in text):
                out.append(("fail", name, f"passed without printing what {config}"
                            f" needs of it: '{need.pattern}'", kind))
                continue
        out.append((status, name, detail, kind))
    missing = [c for c in want if c not in seen]
    if missing and setup_failed:
        out.append(("fail", f"{prefix}expected cases", f"{len(missing)} expected case(s)"
                    " did not run: the setup check failed", "check"))
    else:
        for case in missing:
            out.append(("fail", f"{prefix}{case}", f"expected in {config} by"
                        " harness/expected-runs, not reported", "test"))
    return out
