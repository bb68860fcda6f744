#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""checkpatch.pl --strict on every patch, held against patches/checkpatch.allow.

An allowance accepts one occurrence: the patch, the message type, the file
and the text of the offending line. The allow file is made of blocks:

    <patch under patches/> <TYPE> <file in the kernel tree>
    	<offending line's text, one line per occurrence>
    	...
    	# reason: <why this is accepted>

The occurrence lines are indented by one tab and compared with the line
checkpatch points at (its "#NN:" line of the patch, without the leading
'+' and surrounding blanks); a text that occurs twice needs two lines.
ERRORs cannot be allowed. A warning no allowance covers fails its patch,
and so does an allowance no warning uses (it would hide the next one).

Prints one row per patch: status<TAB>checkpatch <patch><TAB>detail<TAB>check.
"""
import argparse
import os
import re
import subprocess
import sys

MSG = re.compile(r"^(ERROR|WARNING|CHECK):([A-Z0-9_]+): (.*)$")
WHERE = re.compile(r"^#(\d+): (?:FILE: (\S+?):\d+:)?")
DIFF = re.compile(r"^diff --git a/(\S+) b/(\S+)")
CLEAN = re.compile(r" has no obvious style problems and is ready for submission\.$")


class AllowError(Exception):
    pass


def load_allow(lines, source="checkpatch.allow"):
    """{(patch, type, file): [texts]} and {same key: reason}."""
    allow, reasons = {}, {}
    key = None
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        where = f"{source}:{n}"
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("\t"):
            text = line[1:]
            if key is None:
                raise AllowError(f"{where}: an occurrence before any block header")
            if text.startswith("# reason:"):
                reasons[key] = text[len("# reason:"):].strip()
                continue
            allow[key].append(text.strip())
            continue
        parts = line.split()
        if len(parts) != 3:
            raise AllowError(f"{where}: a block header is '<patch> <TYPE> <file>'")
        if key is not None and not reasons.get(key):
            raise AllowError(f"{source}: the block {' '.join(key)} gives no '# reason:'")
        key = tuple(parts)
        if key in allow:
            raise AllowError(f"{where}: the block {' '.join(key)} is there twice")
        allow[key] = []
    if key is not None and not reasons.get(key):
        raise AllowError(f"{source}: the block {' '.join(key)} gives no '# reason:'")
    for key, texts in allow.items():
        if not texts:
            raise AllowError(f"{source}: the block {' '.join(key)} lists no occurrence")
    return allow, reasons


def occurrences(output, patch_lines):
    """(kind, type, file, text, message) of every checkpatch message, and
    the output lines that are not part of any message."""
    found, stray = [], []
    lines = output.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = MSG.match(line)
        if not m:
            if line.strip() and not CLEAN.search(line):
                stray.append(line)
            i += 1
            continue
        kind, typ, msg = m.groups()
        file = text = ""
        if i + 1 < len(lines):
            w = WHERE.match(lines[i + 1])
            if w:
                num = int(w.group(1))
                file = w.group(2) or ""
                if 0 < num <= len(patch_lines):
                    text = patch_lines[num - 1]
                    if not file:
                        for back in range(num - 1, -1, -1):
                            d = DIFF.match(patch_lines[back])
                            if d:
                                file = d.group(2)
                                break
                i += 1
        text = text[1:] if text.startswith("+") else text
        found.append((kind, typ, file or "-", text.strip(), msg))
        i += 1
        # the message's own context lines, up to the blank line after it
        while i < len(lines) and lines[i].strip():
            i += 1
    return found, stray


def check_patch(patch, output, patch_lines, allow):
    """(status, detail) for one patch's checkpatch output."""
    found, stray = occurrences(output, patch_lines)
    left = {k: list(v) for k, v in allow.items() if k[0] == patch}
    bad, n_allowed = [], 0
    for kind, typ, file, text, msg in found:
        key = (patch, typ, file)
        if kind != "ERROR" and text in left.get(key, []):
            left[key].remove(text)
            n_allowed += 1
            continue
        bad.append(f"{kind}:{typ} {file}: '{text}' ({msg})")
    for key, texts in left.items():
        for text in texts:
            bad.append(f"unused allowance {key[1]} {key[2]}: '{text}'")
    bad += [f"checkpatch printed: {s}" for s in stray]
    if bad:
        return "fail", f"{len(bad)} problem(s): " + " | ".join(bad[:5])
    return "pass", f"{n_allowed} allowed occurrence(s)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ksrc", required=True)
    ap.add_argument("--patches", required=True, help="the patches/ directory")
    ap.add_argument("--allow", required=True)
    ap.add_argument("patch", nargs="+", help="patch paths relative to --patches")
    args = ap.parse_args()
    try:
        with open(args.allow) as f:
            allow, _ = load_allow(f.readlines(), args.allow)
    except (OSError, AllowError) as e:
        print(f"fail\tcheckpatch.allow\t{e}\tcheck")
        return 1
    listed = set(args.patch)
    for key in allow:
        if key[0] not in listed:
            print(f"fail\tcheckpatch.allow\tallowances for {key[0]}, which is not in the"
                  f" series\tcheck")
    rc = 0
    for patch in args.patch:
        path = os.path.join(args.patches, patch)
        p = subprocess.run(["./scripts/checkpatch.pl", "--strict", "--show-types",
                            "--no-summary", "--quiet", path], cwd=args.ksrc,
                           capture_output=True, text=True, errors="replace")
        with open(path, errors="replace") as f:
            patch_lines = f.read().splitlines()
        status, detail = check_patch(patch, p.stdout + p.stderr, patch_lines, allow)
        if status == "fail":
            rc = 1
        print(f"{status}\tcheckpatch {patch}\t{detail}\tcheck")
        sys.stdout.flush()
    return rc


if __name__ == "__main__":
    sys.exit(main())
