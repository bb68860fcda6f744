# SPDX-License-Identifier: GPL-2.0
"""The result rows the stages' readers print, and their failure mode.

emit() runs a reader and prints its rows as status<TAB>name<TAB>detail<TAB>
kind; any exception is one failing row and exit status 1, never rows lost
silently. Figures go to a file as figure<TAB>N<TAB>configuration.
"""
import traceback


def emit(config, compute, figures=None, keep=lambda name, value: True):
    """Print the rows of compute() -> (rows, figures dict); return the exit status."""
    try:
        rows, sums = compute()
    except Exception:  # any reader failure fails the stage, visibly
        last = traceback.format_exc().strip().splitlines()[-1]
        print(f"fail\t{config}: results\tthe results parser failed: {last}\tcheck")
        traceback.print_exc()
        return 1
    for status, name, detail, kind in rows:
        detail = detail.replace("\t", " ")
        print(f"{status}\t{name}\t{detail}\t{kind}")
    if figures:
        with open(figures, "a") as f:
            for k, v in sums.items():
                if keep(k, v):
                    f.write(f"{k}\t{v}\t{config}\n")
    return 0
