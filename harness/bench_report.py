#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench: medians of the base and patched runs of guest/vfio_bench.c
and the ratio base/patched (how many times faster the patched kernel is).
Target: MAP_DMA + UNMAP_DMA of the BAR at least 100x faster."""
import re
import statistics
import sys

TARGET = 100.0


def load(path):
    rows = []
    for line in open(path):
        m = re.match(r"bench: bar_bytes=(\d+) map_ns=(\d+) unmap_ns=(\d+)", line)
        if m:
            rows.append(tuple(int(x) for x in m.groups()))
    if not rows:
        sys.exit(f"{path}: no bench lines")
    return rows


def main():
    base, patched = load(sys.argv[1]), load(sys.argv[2])
    size = base[0][0]
    print(f"MAP_DMA + UNMAP_DMA of ivshmem BAR2 ({size >> 20} MiB, mmapped through vfio-pci),"
          f" {len(base)} rounds each, same guest (q35, TCG, intel-iommu):")
    print(f"  {'':10} {'map (median)':>14} {'unmap (median)':>16} {'map+unmap':>12}")
    med = {}
    for name, rows in (("base 6.12", base), ("patched", patched)):
        m = statistics.median(r[1] for r in rows)
        u = statistics.median(r[2] for r in rows)
        t = statistics.median(r[1] + r[2] for r in rows)
        med[name] = t
        print(f"  {name:10} {m / 1e6:11.3f} ms {u / 1e6:13.3f} ms {t / 1e6:9.3f} ms")
    ratio = med["base 6.12"] / med["patched"]
    verdict = "meets" if ratio >= TARGET else "MISSES"
    print(f"  ratio base/patched: {ratio:.0f}x ({verdict} the >= {TARGET:.0f}x target)")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
