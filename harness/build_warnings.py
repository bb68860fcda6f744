#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compiler and sparse warnings of a kernel build log, normalised.

    build_warnings.py --tree DIR --touched FILE LOG...
        prints "path: warning text" for every warning or error in the logs
        whose file is one of the series' touched files (--touched, one path
        per line), paths relative to the tree, without line and column
        numbers (so that a patch moving code does not make old warnings new),
        sorted and unique.
    build_warnings.py --new BASE CURRENT
        prints the lines of CURRENT that BASE does not have.
"""
import argparse
import os
import re
import sys

WARNING = re.compile(r"^(\S+?):\d+(?::\d+)?: (?:sparse: )?(warning|error): (.*)$")


def warnings(lines, tree, touched):
    out = set()
    tree = os.path.realpath(tree)
    for line in lines:
        m = WARNING.match(line.strip())
        if not m:
            continue
        path = m.group(1)
        if os.path.isabs(path):
            path = os.path.realpath(path)
            if not path.startswith(tree + "/"):
                continue
            path = path[len(tree) + 1:]
        else:
            path = os.path.normpath(path)
        if touched is not None and path not in touched:
            continue
        out.add(f"{path}: {m.group(2)}: {m.group(3)}")
    return sorted(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree")
    ap.add_argument("--touched")
    ap.add_argument("--new", nargs=2, metavar=("BASE", "CURRENT"))
    ap.add_argument("logs", nargs="*")
    args = ap.parse_args()
    if args.new:
        with open(args.new[0]) as f:
            base = set(l.rstrip("\n") for l in f)
        with open(args.new[1]) as f:
            for l in f:
                if l.strip() and l.rstrip("\n") not in base:
                    print(l.rstrip("\n"))
        return 0
    touched = None
    if args.touched:
        with open(args.touched) as f:
            touched = set(l.strip() for l in f if l.strip())
    lines = []
    for path in args.logs:
        with open(path, errors="replace") as f:
            lines += f.read().splitlines()
    for w in warnings(lines, args.tree, touched):
        print(w)
    return 0


if __name__ == "__main__":
    sys.exit(main())
