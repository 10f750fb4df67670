#!/usr/bin/env python3
"""Fairness benchmark: `cohortlens fairness` vs fairlearn 0.15 MetricFrame on 1,000,000 rows.

Workload (docs/fairness.md, /reference semantics): y ~ Bernoulli(0.5); prediction = y with
probability 0.8; gender in {F, M, X} (p = .48/.48/.04) x age_band in 4 levels (p = .4/.3/.2/.1),
intersected = 12 groups; NumPy default_rng(42). Written once to Benchmarks/data/fairness_1m.csv.

- fairlearn: MetricFrame(metrics={selection_rate, tpr, fpr, ppv, npv}, sensitive_features=[gender,
  age_band]) then .by_group, .difference(), .ratio() — no bootstrap (with bootstrap it takes ~25 CPU-s
  per replicate at this size).
- CohortLens: `cohortlens fairness ... --by gender,age_band --intersect --bootstrap 1000`: three audits
  (3, 4 and 12 groups), every rate with Wilson intervals, every criterion with 1000 bootstrap
  replicates, JSON output. Compute time = from the "auditing" to the "done" progress line (includes
  JSON rendering); whole = process wall time including the CSV parse.

Prints a Markdown table (min over --repeat runs; wall and CPU seconds) and the ratios.

  python Benchmarks/fairness_bench.py [--binary .build/release/cohortlens] [--repeat 3] [--rows 1000000] [--skip-fairlearn]
"""
import argparse
import os
import re
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def generate(path, rows):
    if os.path.exists(path):
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = np.random.default_rng(42)
    y = (rng.random(rows) < 0.5).astype(int)
    keep = rng.random(rows) < 0.8
    yhat = np.where(keep, y, 1 - y)
    gender = rng.choice(np.array(["F", "M", "X"]), size=rows, p=[0.48, 0.48, 0.04])
    age = rng.choice(np.array(["0-25", "26-35", "36-55", "55+"]), size=rows, p=[0.4, 0.3, 0.2, 0.1])
    pd.DataFrame({"id": np.arange(rows), "y": y, "yhat": yhat, "gender": gender, "age_band": age}).to_csv(path, index=False)


def run_fairlearn(path):
    from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate, false_positive_rate
    from sklearn.metrics import precision_score
    df = pd.read_csv(path)
    y, p = df["y"].to_numpy(), df["yhat"].to_numpy()

    def ppv(a, b):
        return precision_score(a, b, zero_division=np.nan)

    def npv(a, b):
        return precision_score(1 - a, 1 - b, zero_division=np.nan)

    w0, c0 = time.perf_counter(), time.process_time()
    mf = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate,
                              "fpr": false_positive_rate, "ppv": ppv, "npv": npv},
                     y_true=y, y_pred=p, sensitive_features=df[["gender", "age_band"]])
    _ = (mf.by_group, mf.difference(), mf.ratio())
    return time.perf_counter() - w0, time.process_time() - c0, mf.difference()


def run_cohortlens(binary, path):
    args = [binary, "fairness", "--predictions", path, "--label", "y", "--positive", "1", "--prediction", "yhat",
            "--by", "gender,age_band", "--intersect", "--bootstrap", "1000", "--format", "json", "--output",
            os.path.join(HERE, "data", "fairness_1m.json"), "--progress"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    wall = time.perf_counter() - w0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(proc.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stamps = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"cohortlens \[([0-9.]+) s\]: (\w+)", line)
        if m:
            stamps.setdefault(m.group(2), float(m.group(1)))
    compute = stamps["done"] - stamps["auditing"]
    return wall, cpu, compute


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "cohortlens"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--skip-fairlearn", action="store_true")
    args = ap.parse_args()
    path = os.path.join(HERE, "data", "fairness_1m.csv" if args.rows == 1_000_000 else f"fairness_{args.rows}.csv")
    generate(path, args.rows)

    ours = [run_cohortlens(args.binary, path) for _ in range(args.repeat)]
    o_wall, o_cpu, o_compute = min(o[0] for o in ours), min(o[1] for o in ours), min(o[2] for o in ours)
    rows = [("cohortlens fairness (3 audits, 1000 bootstrap), whole command", o_wall, o_cpu),
            ("cohortlens fairness, compute only (audit + JSON)", o_compute, None)]
    if not args.skip_fairlearn:
        theirs = [run_fairlearn(path) for _ in range(args.repeat)]
        f_wall, f_cpu = min(t[0] for t in theirs), min(t[1] for t in theirs)
        rows.append(("fairlearn 0.15 MetricFrame, 5 metrics, no bootstrap", f_wall, f_cpu))
    print(f"Fairness benchmark: {args.rows:,} rows, 12 intersectional groups, min of {args.repeat} run(s)\n")
    print("| run | wall s | CPU s |")
    print("|---|---:|---:|")
    for name, w, c in rows:
        print(f"| {name} | {w:.3f} | {'' if c is None else f'{c:.3f}'} |")
    if not args.skip_fairlearn:
        print(f"\nRatios: fairlearn CPU / cohortlens whole-command CPU = {f_cpu / o_cpu:.1f}x; "
              f"fairlearn wall / cohortlens wall = {f_wall / o_wall:.1f}x; "
              f"fairlearn wall / cohortlens compute = {f_wall / o_compute:.1f}x")
    print(f"Targets: compute < 1 s ({'met' if o_compute < 1 else 'NOT met'}), "
          f"whole command < 3 s ({'met' if o_wall < 3 else 'NOT met'})")


if __name__ == "__main__":
    main()
