#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench: the report of guest/vfio_bench.c's runs on two kernels.

    bench_report.py <base lines> <patched lines> [--date D]

Every ratio compares the same work on both sides. Each time is the median
of the rounds with their minimum and maximum; a ratio is the ratio of the
medians, with the lowest and highest ratio of one round's pair (the shadow
paths run in the same round as type1, on the same kernel) or, across the
two kernels of the PFNMAP bench, of the extremes (base min / patched max,
base max / patched min). Counts (per operation, from the function profiler
and /proc/vmstat) and the IOMMU page sizes (from intel-iommu's debugfs
dump of the page table) do not depend on TCG.

Targets:
  1. strict PFNMAP: MAP_DMA + UNMAP_DMA of the BAR at least 100x faster
     patched than base;
  2. a guest refresh of scattered entries, shadowed by KVM (in the kernel,
     memory pinned at registration) against QEMU's type1 emulation (an
     UNMAP_DMA and a MAP_DMA per entry): at least 10x cheaper; and a
     shadowed 4 MiB run mapped with large IOMMU pages only.
Exit status 1 if a target is missed or a run's lines are missing or bad.
"""
import re
import statistics
import sys

PFNMAP_TARGET = 100.0
REFRESH_TARGET = 10.0


class Bad(Exception):
    pass


def parse(path):
    """{'time': {(case, path): [(ns, {part: ns})]}, 'count': {...}, ...}"""
    out = {"time": {}, "count": {}, "pgsize": {}, "meta": {}, "other": []}
    for line in open(path, errors="replace"):
        line = line.strip()
        if not line.startswith("bench: "):
            continue
        words = line[len("bench: "):].split()
        kind = words[0]
        if kind == "error:":
            raise Bad(f"{path}: {line}")
        if kind == "meta":
            out["meta"].update(kv(words[1:], line))
        elif kind == "time" and len(words) >= 4:
            parts = kv(words[4:], line)
            out["time"].setdefault((words[1], words[2]), []).append((int(words[3]), parts))
        elif kind in ("count", "pgsize") and len(words) >= 3:
            key = (words[1], words[2])
            if key in out[kind]:
                raise Bad(f"{path}: two {kind} lines for {' '.join(key)}")
            out[kind][key] = kv(words[3:], line)
        else:
            out["other"].append(line)
    return out


def kv(words, line):
    d = {}
    for w in words:
        k, sep, v = w.partition("=")
        if not sep:
            raise Bad(f"cannot read {line!r}")
        d[k] = float(v)
    return d


def spread(values):
    return statistics.median(values), min(values), max(values)


def fmt_time(values):
    m, lo, hi = spread(values)
    unit, div = ("ms", 1e6) if m >= 1e7 else ("us", 1e3)
    return f"{m / div:9.2f} {unit} ({lo / div:.2f} .. {hi / div:.2f})"


def fmt_count(c):
    keys = ("pins", "unpins", "map", "unmap", "sync", "sync_map", "qi", "ioctls")
    return "  ".join(f"{k}={c[k]:g}" for k in keys)


def fmt_pgsize(p):
    return f"4k={p['4k']:g} 2m={p['2m']:g} 1g={p['1g']:g}"


def meta(d, key, path):
    if key not in d["meta"]:
        raise Bad(f"{path}: no meta {key}")
    return int(d["meta"][key])


def need(d, key, what, path):
    if key not in d or not d[key]:
        raise Bad(f"{path}: no {what} for {' '.join(key)}")
    return d[key]


def ratio_line(label, num, den, target=None):
    """num, den: per-round lists of the same length (same rounds)."""
    r = statistics.median(num) / statistics.median(den)
    pairs = [a / b for a, b in zip(num, den)]
    text = f"  {label:58} {r:8.1f}x  (rounds {min(pairs):.1f}x .. {max(pairs):.1f}x)"
    ok = True
    if target is not None:
        ok = r >= target
        text += f"  {'meets' if ok else 'MISSES'} the >= {target:.0f}x target"
    print(text)
    return ok


def pfnmap(base, patched, bpath, ppath):
    ok = True
    key = ("bar", "type1")
    b, p = need(base["time"], key, "time", bpath), need(patched["time"], key, "time", ppath)
    size = meta(patched, "bar_bytes", ppath)
    if meta(base, "bar_bytes", bpath) != size:
        raise Bad(f"the BAR is {meta(base, 'bar_bytes', bpath)} bytes on base, {size} patched")
    for d, rows, path in ((base, b, bpath), (patched, p, ppath)):
        if len(rows) != meta(d, "rounds", path):
            raise Bad(f"{path}: {len(rows)} BAR rounds, meta says {meta(d, 'rounds', path)}")
    print(f"1. Strict PFNMAP: VFIO_IOMMU_MAP_DMA + UNMAP_DMA of ivshmem's BAR2 ({size >> 20} MiB,"
          f" mmapped through vfio-pci) on a type1 container; base {len(b)}, patched {len(p)} rounds,"
          " median (min .. max)")
    for name, rows in (("base 6.12", b), ("patched", p)):
        print(f"  {name:10} map {fmt_time([r[1]['map'] for r in rows])}"
              f"   unmap {fmt_time([r[1]['unmap'] for r in rows])}")
    bt, pt = [r[0] for r in b], [r[0] for r in p]
    r = statistics.median(bt) / statistics.median(pt)
    lo, hi = min(bt) / max(pt), max(bt) / min(pt)
    ok = r >= PFNMAP_TARGET
    print(f"  map + unmap, base / patched: {r:.0f}x (extremes {lo:.0f}x .. {hi:.0f}x),"
          f" {'meets' if ok else 'MISSES'} the >= {PFNMAP_TARGET:.0f}x target")
    for name, d, path in (("base 6.12", base, bpath), ("patched", patched, ppath)):
        c = need(d["count"], key, "counts", path)
        g = need(d["pgsize"], key, "IOMMU page sizes", path)
        print(f"  {name:10} per map + unmap: {fmt_count(c)}")
        print(f"  {'':10} IOPTEs mapping the BAR (intel-iommu debugfs): {fmt_pgsize(g)}")
    return ok


CASES = (
    ("page", "one 4 KiB page: map + unmap, one ioctl each",
     ("type1", "shadow", "shadow-od")),
    ("run", "one 4 MiB run of 2 MiB pages: map + unmap, one ioctl each",
     ("type1", "shadow", "shadow-od")),
    ("refresh", "a guest refresh of {n} scattered entries, each changed",
     ("type1", "shadow", "shadow-od", "shadow-ioctl")),
)
PATHS = {
    "type1": "type1 MAP_DMA/UNMAP_DMA (QEMU's emulation today)",
    "shadow": "shadow, memory pinned at registration",
    "shadow-od": "shadow, memory pinned on demand (per map, as type1)",
    "shadow-ioctl": "shadow, pinned, one test ioctl per entry",
}


def shadow(d, path):
    if any(line == "bench: unsupported shadow" for line in d["other"]):
        raise Bad(f"{path}: the patched kernel has no VFIO_KVM_IOMMU")
    n, rounds = meta(d, "refresh_entries", path), meta(d, "rounds", path)
    print(f"\n2. VFIO_KVM_IOMMU shadowing against type1, patched kernel, edu in the container,"
          f" {rounds} rounds, every path in each round; per operation, median (min .. max)")
    ok = True
    for case, title, paths in CASES:
        print(f"\n  {title.format(n=n)}:")
        times = {p: [r[0] for r in need(d["time"], (case, p), "times", path)] for p in paths}
        for p in paths:
            if len(times[p]) != rounds:
                raise Bad(f"{path}: {case}: {len(times[p])} {p} rounds, meta says {rounds}")
        for p in paths:
            print(f"    {PATHS[p]:52} {fmt_time(times[p])}")
            print(f"    {'':52} {fmt_count(need(d['count'], (case, p), 'counts', path))}")
            if case == "run":
                g = need(d["pgsize"], (case, p), "IOMMU page sizes", path)
                print(f"    {'':52} IOPTEs: {fmt_pgsize(g)}")
                if p == "shadow":
                    large = g["2m"] + g["1g"] > 0 and g["4k"] == 0
                    ok &= large
                    print(f"    {'':52} the run in large IOMMU pages only:"
                          f" {'yes' if large else 'NO'} (target)")
        for p in paths[1:]:
            if len(times[p]) != len(times["type1"]):
                raise Bad(f"{path}: {case}: {len(times['type1'])} type1 rounds,"
                          f" {len(times[p])} {p} rounds")
            target = REFRESH_TARGET if (case, p) == ("refresh", "shadow") else None
            ok &= ratio_line(f"type1 / {p}", times["type1"], times[p], target)
    return ok


def main():
    args = sys.argv[1:]
    date = None
    if "--date" in args:
        i = args.index("--date")
        if i + 1 >= len(args):
            sys.exit(__doc__)
        date = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    bpath, ppath = args
    try:
        base, patched = parse(bpath), parse(ppath)
        if date:
            print(f"make bench, {date} (QEMU TCG, q35 with intel-iommu, one vCPU)\n")
        ok = pfnmap(base, patched, bpath, ppath)
        ok &= shadow(patched, ppath)
    except (Bad, ValueError, KeyError, ZeroDivisionError) as e:
        print(f"bench report: {e}")
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
