#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench: the report of guest/vfio_bench.c's runs on two kernels.

    bench_report.py <base lines> <patched lines> [--date D] [--source S]

--source says what was measured (the commit, the series' hash, the base).

Each ratio says what it compares. type1 / shadow-od pins per map on both
sides (the same work for the page and the run; a refresh still makes one
batched ioctl against type1's two per entry); type1 / shadow leaves the shadow's pins to
the registration of the memory, which has a row of its own (once per VM).
Each time is the median of the rounds with their minimum and maximum; a
ratio is the ratio of the medians, with the lowest and highest ratio of
one round's pair (the shadow paths run in the same round as type1, on the
same kernel, taking turns at running first) or, across the two kernels
(the PFNMAP bench, and type1 on RAM base against patched), of the
extremes (base min / patched max, base max / patched min). Counts (per
operation, from the function profiler and /proc/vmstat) and the IOMMU
page sizes (from intel-iommu's debugfs dump of the page table, read in
every round and the same in all) do not depend on TCG.

Targets:
  1. strict PFNMAP: MAP_DMA + UNMAP_DMA of the BAR at least 100x faster
     patched than base;
  2. a guest refresh of scattered entries, shadowed by KVM (in the kernel,
     memory pinned at registration) against QEMU's type1 emulation (an
     UNMAP_DMA and a MAP_DMA per entry): at least 10x cheaper;
  3. shadow entries mapped with page-sized IOPTEs only (a 4 MiB run of
     huge pages too), so that removing one page never unmaps another;
  4. a global refresh over live entries none of which changed: no IOMMU
     map or unmap call, no IOTLB sync or invalidation, no pin or unpin.
Without a target, the release of a 4 GiB registration with 100k scattered
shadow entries: its time, and the unpins, unmap calls and IOTLB syncs it
made. The backend gathers a removal's invalidations per domain, but
intel-iommu syncs before adding a page apart from the gathered range, so
scattered entries cost a sync each; fewer syncs than unmap calls is all
that can be asked of it.
Exit status 1 if a target is missed or a run's lines are missing or bad.
"""
import io
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
        elif kind == "count" and len(words) >= 3:
            key = (words[1], words[2])
            if key in out[kind]:
                raise Bad(f"{path}: two {kind} lines for {' '.join(key)}")
            out[kind][key] = kv(words[3:], line)
        elif kind == "pgsize" and len(words) >= 3:
            # one per round but the counted one
            out[kind].setdefault((words[1], words[2]), []).append(kv(words[3:], line))
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


def pgsize(d, key, path):
    """The IOPTE sizes of @key, read in each of the rounds: all the same."""
    seen = need(d["pgsize"], key, "IOMMU page sizes", path)
    want = meta(d, "rounds", path) + 1     # the warm-up and every timed round
    if len(seen) != want:
        raise Bad(f"{path}: {' '.join(key)}: page sizes read in {len(seen)} rounds, not {want}")
    if any(g != seen[0] for g in seen):
        raise Bad(f"{path}: {' '.join(key)}: the page sizes differ between rounds: "
                  + ", ".join(fmt_pgsize(g) for g in seen))
    return seen[0], len(seen)


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
        g, n = pgsize(d, key, path)
        print(f"  {name:10} per map + unmap: {fmt_count(c)}")
        print(f"  {'':10} IOPTEs mapping the BAR (intel-iommu debugfs, the same in all"
              f" {n} rounds read): {fmt_pgsize(g)}")
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
    "type1-base": "type1 on the base 6.12 kernel",
    "shadow": "shadow, memory pinned at registration",
    "shadow-od": "shadow, memory pinned on demand (per map, as type1)",
    "shadow-ioctl": "shadow, pinned, one test ioctl per entry",
}
# What each ratio against type1 compares.
RATIOS = {
    "shadow": "type1 / shadow (shadow's pins made at registration)",
    "shadow-od": "type1 / shadow-od (both pin per map)",
    "shadow-ioctl": "type1 / shadow-ioctl (pins at registration)",
}


def rounds_of(d, key, path):
    times = [r[0] for r in need(d["time"], key, "times", path)]
    if len(times) != meta(d, "rounds", path):
        raise Bad(f"{path}: {' '.join(key)}: {len(times)} rounds, meta says"
                  f" {meta(d, 'rounds', path)}")
    return times


def shadow(base, d, bpath, path):
    if any(line == "bench: unsupported shadow" for line in d["other"]):
        raise Bad(f"{path}: the patched kernel has no VFIO_KVM_IOMMU")
    n, rounds = meta(d, "refresh_entries", path), meta(d, "rounds", path)
    for key in ("page_reps", "run_bytes", "run_reps", "refresh_entries"):
        if meta(base, key, bpath) != meta(d, key, path):
            raise Bad(f"{key} is {meta(base, key, bpath)} on base, {meta(d, key, path)} patched")
    print(f"\n2. VFIO_KVM_IOMMU shadowing against type1, edu in the container, {rounds}"
          " rounds on the patched kernel, every path in each round (each round starting with"
          " another), and type1 alone on the base kernel; per operation, median (min .. max)")
    ok = True
    print(f"\n  registering the {meta(d, 'run_bytes', path) >> 20} MiB of guest memory"
          " (once per VM; type1 has no registration):")
    for p in ("shadow", "shadow-od"):
        print(f"    {PATHS[p]:52} {fmt_time(rounds_of(d, ('register', p), path))}")
        print(f"    {'':52} {fmt_count(need(d['count'], ('register', p), 'counts', path))}")
    for case, title, paths in CASES:
        print(f"\n  {title.format(n=n)}:")
        times = {p: rounds_of(d, (case, p), path) for p in paths}
        base_t1 = rounds_of(base, (case, "type1"), bpath)
        for p in ("type1-base",) + paths:
            src, srcpath, key = (base, bpath, "type1") if p == "type1-base" else (d, path, p)
            print(f"    {PATHS[p]:52} {fmt_time(base_t1 if p == 'type1-base' else times[p])}")
            print(f"    {'':52} {fmt_count(need(src['count'], (case, key), 'counts', srcpath))}")
            if case == "run":
                g, nr = pgsize(src, (case, key), srcpath)
                print(f"    {'':52} IOPTEs (the same in all {nr} rounds read): {fmt_pgsize(g)}")
                if key == "type1" and g["2m"] + g["1g"] == 0:
                    # type1 maps huge pages large: without them the
                    # page-size target below would prove nothing
                    raise Bad(f"{srcpath}: type1 maps the 4 MiB run with 4 KiB IOPTEs only:"
                              " no huge pages behind it")
                if p in ("shadow", "shadow-od"):
                    small = g["2m"] + g["1g"] == 0 and g["4k"] > 0
                    ok &= small
                    print(f"    {'':52} page-sized IOPTEs only, each page removable:"
                          f" {'yes' if small else 'NO'} (target)")
        for p in paths[1:]:
            target = REFRESH_TARGET if (case, p) == ("refresh", "shadow") else None
            label = RATIOS[p]
            if case == "refresh" and p == "shadow-od":
                # one batched ioctl against two per entry: not the same work
                label = "type1 / shadow-od (both pin per map; ioctls differ)"
            ok &= ratio_line(label, times["type1"], times[p], target)
        # two kernels, two boots: no round pairs, the extremes instead
        r = statistics.median(base_t1) / statistics.median(times["type1"])
        print(f"  {'type1 on RAM, base / patched':58}"
              f" {r:8.2f}x  (extremes {min(base_t1) / max(times['type1']):.2f}x .."
              f" {max(base_t1) / min(times['type1']):.2f}x)")
    ok &= refresh_same(d, path)
    release(d, path)
    return ok


# A refresh of unchanged entries must leave them alone: none of these.
UNTOUCHED = ("pins", "unpins", "map", "unmap", "sync", "sync_map", "qi")


def refresh_same(d, path):
    n = meta(d, "same_entries", path)
    # The counters count: the changed refresh of the same run maps,
    # unmaps, syncs and (on demand) pins; and the refresh is one ioctl.
    for p, keys in (("shadow", ("map", "unmap", "sync", "qi")), ("shadow-od", ("pins",))):
        c = need(d["count"], ("refresh", p), "counts", path)
        if not all(c[k] > 0 for k in keys):
            raise Bad(f"{path}: refresh {p} counted no {'/'.join(keys)}: the counters"
                      " cannot show that refresh-same makes none")
    print(f"\n  a global refresh over {n} live entries, none of them changed (the guest's"
          " recovery after \"insufficient resources\"), one test ioctl; QEMU's type1 emulation"
          " skips unchanged entries in userspace, so it has no row:")
    ok = True
    for p in ("shadow", "shadow-od"):
        times = rounds_of(d, ("refresh-same", p), path)
        c = need(d["count"], ("refresh-same", p), "counts", path)
        m, lo, hi = spread(times)
        print(f"    {PATHS[p]:52} {fmt_time(times)}")
        print(f"    {'':52} per entry {m / n:.0f} ns ({lo / n:.0f} .. {hi / n:.0f}),"
              " the ioctl's time, the entries' copy in included")
        print(f"    {'':52} {fmt_count(c)}")
        if c["ioctls"] != 1:
            raise Bad(f"{path}: refresh-same {p} counted {c['ioctls']:g} ioctls, not 1")
        touched = [k for k in UNTOUCHED if c[k]]
        ok &= not touched
        print(f"    {'':52} no pin, IOMMU call or IOTLB sync: "
              + ("yes (target)" if not touched else "NO: " + ", ".join(touched) + " (target)"))
    return ok


def release(d, path):
    n, size = meta(d, "release_entries", path), meta(d, "release_bytes", path)
    print(f"\n  VFIO_IOMMU_UNMAP_DMA of a {size >> 30} GiB registration (pinned on demand) that"
          f" {n} shadow entries use, scattered over it; \"other\": of a one-page registration"
          " with one entry while those stay (what the one pass over every entry costs it):")
    for case, entries in (("release", n), ("release-other", 1)):
        times = rounds_of(d, (case, "shadow-od"), path)
        c = need(d["count"], (case, "shadow-od"), "counts", path)
        m, lo, hi = spread(times)
        print(f"    {case:14} {fmt_time(times)}, per entry removed {m / entries:.0f} ns")
        print(f"    {'':14} {fmt_count(c)}")
        # The counters must have seen the removal, or the figures mean nothing.
        if c["unpins"] < entries or c["unmap"] < entries:
            raise Bad(f"{path}: {case} counted {c['unpins']:g} unpins and {c['unmap']:g}"
                      f" unmap calls for {entries} entries")
        if c["sync"] > c["unmap"]:
            raise Bad(f"{path}: {case} counted {c['sync']:g} IOTLB syncs for"
                      f" {c['unmap']:g} unmap calls: more than one per removed page")
        print(f"    {'':14} IOTLB syncs: {c['sync']:g} (intel-iommu syncs before each page"
              " apart from the gathered range)")


def main():
    args = sys.argv[1:]
    opts = {}
    for opt in ("--date", "--source"):
        if opt in args:
            i = args.index(opt)
            if i + 1 >= len(args):
                sys.exit(__doc__)
            opts[opt] = args[i + 1]
            del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    bpath, ppath = args
    # Nothing of a bad run is printed but why it is bad.
    report, sys.stdout = sys.stdout, io.StringIO()
    try:
        base, patched = parse(bpath), parse(ppath)
        if "--date" in opts:
            print(f"make bench, {opts['--date']} (QEMU TCG, q35 with intel-iommu, one vCPU)")
        if "--source" in opts:
            print(opts["--source"])
        if opts:
            print()
        ok = pfnmap(base, patched, bpath, ppath)
        ok &= shadow(base, patched, bpath, ppath)
    except (Bad, ValueError, KeyError, ZeroDivisionError) as e:
        sys.stdout = report
        print(f"bench report: {e}")
        return 1
    text, sys.stdout = sys.stdout.getvalue(), report
    print(text, end="")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
