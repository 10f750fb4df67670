#!/usr/bin/env python3
"""DTW benchmark: `cohortlens dtw` vs dtaidistance and tslearn on the same L2-normalised random walks.

    Benchmarks/dtw_bench.py [--binary .build/release/cohortlens] [--repeat 3] [--tslearn-rows 200] [--quick] [--fsync]

Needs numpy, tslearn 0.10.0 and dtaidistance 2.5.1 (C extension) in the running interpreter
(e.g. .venv/bin/python from Scripts/golden/regenerate.sh, or any venv with Scripts/golden/requirements.txt).

Cases (issue "DTW engine", section 7):
  A  N = 2000, L = 27,  r = 6, d = 1   full matrix   targets: >= 10x dtaidistance, >= 100x tslearn, <= 0.5 ns/cell/core
  B  N = 1000, L = 210, r = 6, d = 1   full matrix   target <= 3.5 ns/cell/core
  C  N = 300,  L = 27,  r = 6, d = 25  full matrix   target <= 3.5 ns/cell/core
  K  N = 20000, L = 27, r = 6, --knn 10              peak RSS < 1 GiB, time reported

Data: random walks (cumulative sums of N(0, 1) steps, numpy RandomState(2026)), each series divided by its L2 norm,
written with repr (exact) to Benchmarks/data/dtw_*.csv; cohortlens reads them with --normalize none, so all three
tools see identical doubles. cohortlens wall time includes process start, CSV parsing and writing D.npy
(atomically: temporary file + rename; run with --no-fsync unless --fsync is given, because dtaidistance and
tslearn return the matrix in memory and write nothing — the header line says which was used).
dtaidistance: distance_matrix_fast(window = r + 1, parallel=True) (dtw_ndim for d > 1), i.e. the same band.
tslearn: cdist_dtw(sakoe_chiba_radius = r) on the first --tslearn-rows rows against all series, extrapolated
to the full upper triangle by pair count (marked "(x)"); pass --tslearn-rows 0 to run it in full.
A "cell" is one band cell of one pair i < j; ns/cell/core = time x cores / cells, for the whole process (wall) and
for the DTW stage alone (from the --progress time stamps). Timings are the minimum over
--repeat runs (the machine may be shared). The cohortlens matrix is checked against dtaidistance (max |diff|).
"""
import argparse
import os
import resource
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(HERE, "data")


def band_cells(L, r):
    return sum(min(L - 1, i + r) - max(0, i - r) + 1 for i in range(L))


def walks(n, L, d, seed):
    rs = np.random.RandomState(seed)
    x = np.cumsum(rs.standard_normal((n, L, d)), axis=1)
    norms = np.sqrt((x.reshape(n, -1) ** 2).sum(axis=1))
    return x / norms[:, None, None]


def write_csv(path, x):
    n, L, d = x.shape
    with open(path, "w") as f:
        if d == 1:
            f.write("id," + ",".join(f"s{t}" for t in range(L)) + "\n")
            for i in range(n):
                f.write(f"u{i}," + ",".join(repr(float(v)) for v in x[i, :, 0]) + "\n")
        else:
            f.write("id,t," + ",".join(f"f{k}" for k in range(d)) + "\n")
            for i in range(n):
                for t in range(L):
                    f.write(f"u{i},{t}," + ",".join(repr(float(v)) for v in x[i, t]) + "\n")


def run_cohortlens(binary, path, d, r, extra, out, fsync=False):
    if d == 1:
        args = [binary, "dtw", "--series", path, "--id", "id", "--wide"]
    else:
        args = [binary, "dtw", "--series", path, "--id", "id", "--time", "t",
                "--value", ",".join(f"f{k}" for k in range(d))]
    args += ["--normalize", "none", "--radius", str(r), "--progress"] + extra + ["--output", out]
    if not fsync:
        args.append("--no-fsync")
    # Peak RSS via /usr/bin/time: the ru_maxrss that wait4 reports for a child forked from this Python process
    # includes the parent's RSS at fork time (Linux carries the old mm's high-water mark across execve), i.e.
    # numpy/tslearn/dtaidistance and their data — not cohortlens's memory.
    rss_file = os.path.join(DATA, "rss.txt")
    timer = ["/usr/bin/time", "-f", "%M", "-o", rss_file] if os.path.exists("/usr/bin/time") else []
    start = time.perf_counter()
    p = subprocess.Popen(timer + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    err = p.stderr.read().decode()
    p.stderr.close()
    if status != 0:
        sys.exit(f"cohortlens failed ({status}): {err}")
    # Compute time of the DTW stage from the progress lines ("cohortlens [t s]: DTW matrix of …" → "matrix computed").
    stamps = {}
    for line in err.splitlines():
        if "]: " not in line or "[" not in line:
            continue
        t = float(line[line.index("[") + 1:line.index(" s]")])
        message = line[line.index("]: ") + 3:]
        if message.startswith("DTW matrix of"):
            stamps["start"] = t
        elif message.startswith("matrix computed"):
            stamps["end"] = t
    compute = stamps["end"] - stamps["start"] if len(stamps) == 2 else float("nan")
    rss = usage.ru_maxrss  # KiB on Linux
    if timer:
        with open(rss_file) as f:
            rss = int(f.read().split()[-1])
    return wall, rss / 1024.0, compute  # MiB


def best(f, repeat):
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - t0)
    return min(times), result


def matrix_case(name, n, L, d, r, args, cores):
    from dtaidistance import dtw as dtai_dtw
    from dtaidistance import dtw_ndim
    from tslearn.metrics import cdist_dtw

    x = walks(n, L, d, 2026)
    path = os.path.join(DATA, f"dtw_{name}_{n}x{L}x{d}.csv")
    if not os.path.exists(path):
        write_csv(path, x)
    out = os.path.join(DATA, f"dtw_{name}.npy")
    cells = n * (n - 1) // 2 * band_cells(L, r)

    runs = [run_cohortlens(args.binary, path, d, r, [], out, args.fsync) for _ in range(args.repeat)]
    cl = min(w for w, _, _ in runs)
    compute = min(c for _, _, c in runs)
    D = np.load(out)

    series = [np.ascontiguousarray(x[i, :, 0] if d == 1 else x[i]) for i in range(n)]
    if d == 1:
        dt, A = best(lambda: np.asarray(dtai_dtw.distance_matrix_fast(series, window=r + 1, parallel=True)), args.repeat)
    else:
        dt, A = best(lambda: np.asarray(dtw_ndim.distance_matrix_fast(series, window=r + 1, parallel=True)), args.repeat)
    diff = float(np.max(np.abs(D - A)))

    rows = n if args.tslearn_rows <= 0 else min(n, args.tslearn_rows)
    cdist_dtw(x[:3], x[:3], global_constraint="sakoe_chiba", sakoe_chiba_radius=r)  # numba JIT warm-up
    t0 = time.perf_counter()
    T = cdist_dtw(x[:rows], x, global_constraint="sakoe_chiba", sakoe_chiba_radius=r)
    ts_block = time.perf_counter() - t0
    if rows == n:
        ts, ts_mark = ts_block, ""
        ts_diff = float(np.max(np.abs(D - T)))
    else:
        # cdist_dtw(dataset1, dataset2) computes all rows x n pairs; cdist_dtw(X) computes n(n-1)/2.
        ts, ts_mark = ts_block * (n * (n - 1) / 2) / (rows * n), " (x)"
        ts_diff = float(np.max(np.abs(D[:rows] - T)))
    return {
        "case": f"{name}: N={n} L={L} r={r} d={d}", "cells": cells,
        "cohortlens": cl, "dtaidistance": dt, "tslearn": ts, "tslearn_mark": ts_mark,
        "ns_cell_core": cl * cores * 1e9 / cells, "dtai_ns_cell_core": dt * cores * 1e9 / cells,
        "compute": compute, "compute_ns_cell_core": compute * cores * 1e9 / cells,
        "diff_dtai": diff, "diff_tslearn": ts_diff,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "cohortlens"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tslearn-rows", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="smaller N (smoke test)")
    ap.add_argument("--no-knn", action="store_true")
    ap.add_argument("--fsync", action="store_true", help="let cohortlens fsync its output (its default)")
    args = ap.parse_args()
    os.makedirs(DATA, exist_ok=True)
    cores = os.cpu_count() or 1
    scale = 4 if args.quick else 1
    results = [
        matrix_case("A", 2000 // scale, 27, 1, 6, args, cores),
        matrix_case("B", 1000 // scale, 210, 1, 6, args, cores),
        matrix_case("C", 300 // scale, 27, 25, 6, args, cores),
    ]
    sync = "fsync" if args.fsync else "--no-fsync"
    print(f"DTW benchmark ({cores} cores, min of {args.repeat}; cohortlens = wall incl. process, CSV read and .npy write, {sync})\n")
    print("| case | band cells | cohortlens wall s (DTW stage s) | dtaidistance s | tslearn s | vs dtai | vs tslearn | ns/cell/core: wall, DTW stage (dtai) | max abs diff dtai / tslearn |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['case']} | {r['cells']:.3g} | {r['cohortlens']:.3f} ({r['compute']:.3f}) | {r['dtaidistance']:.3f} | "
              f"{r['tslearn']:.2f}{r['tslearn_mark']} | {r['dtaidistance'] / r['cohortlens']:.1f}x | "
              f"{r['tslearn'] / r['cohortlens']:.0f}x{r['tslearn_mark']} | {r['ns_cell_core']:.3f}, {r['compute_ns_cell_core']:.3f} ({r['dtai_ns_cell_core']:.2f}) | "
              f"{r['diff_dtai']:.1e} / {r['diff_tslearn']:.1e} |")
    if not args.no_knn:
        n = 20000 // scale
        x = walks(n, 27, 1, 7)
        path = os.path.join(DATA, f"dtw_K_{n}x27x1.csv")
        if not os.path.exists(path):
            write_csv(path, x)
        out = os.path.join(DATA, "dtw_K_neighbours.csv")
        runs = [run_cohortlens(args.binary, path, 1, 6, ["--knn", "10"], out, args.fsync) for _ in range(args.repeat)]
        wall = min(w for w, _, _ in runs)
        rss = max(m for _, m, _ in runs)
        print(f"\nknn: N={n} L=27 r=6 --knn 10: wall {wall:.2f} s (min of {args.repeat}), peak RSS {rss:.0f} MiB "
              f"({'<' if rss < 1024 else '>='} 1 GiB)")


if __name__ == "__main__":
    main()
