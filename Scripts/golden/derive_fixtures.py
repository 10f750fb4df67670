#!/usr/bin/env python3
"""Derive the fixture tables that are not plain copies of the source data.

Writes (paths relative to the repository root):
  Fixtures/flipped-classroom/effort_features.csv  lecture-10 "effort" features of the EPFL flipped-classroom course
  Fixtures/synthetic/blobs_separated.csv           make_blobs(n=300, centers=4, 2-D, cluster_std=0.6, random_state=0)
  Fixtures/synthetic/blobs_overlapping.csv         make_blobs(n=300, centers=5, 2-D, cluster_std=2.5, random_state=1)
  Fixtures/synthetic/moons.csv                     make_moons(n=300, noise=0.06, random_state=0)

Floats are written with repr() so that every value round-trips exactly to the same IEEE double.
Run from anywhere; paths are resolved from this file's location.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_blobs, make_moons

ROOT = Path(__file__).resolve().parents[2]
FC = ROOT / "Fixtures" / "flipped-classroom"
SYN = ROOT / "Fixtures" / "synthetic"


def fmt_float(v: float) -> str:
    v = float(v)
    if math.isnan(v):
        return ""
    return repr(v)


def fmt_str(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def write_effort_features() -> Path:
    src = pd.read_csv(FC / "aggregated_extended_fc.csv")
    effort_time = src["ch_time_in_prob_sum"].to_numpy(np.float64) + src["ch_time_in_video_sum"].to_numpy(np.float64)
    effort_clicks = (src["ch_total_clicks_weekend"].to_numpy(np.float64)
                     + src["ch_total_clicks_weekday"].to_numpy(np.float64))
    grade = src["grade"].to_numpy(np.float64)
    out = FC / "effort_features.csv"
    with out.open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["user", "effort_time", "effort_clicks", "grade", "gender", "category", "pass"])
        for i in range(len(src)):
            w.writerow([
                int(src["user"].iloc[i]),
                fmt_float(effort_time[i]),
                fmt_float(effort_clicks[i]),
                fmt_float(grade[i]),
                fmt_str(src["gender"].iloc[i]),
                fmt_str(src["category"].iloc[i]),
                1 if grade[i] >= 4 else 0,
            ])
    return out


def write_points(path: Path, X: np.ndarray, y: np.ndarray) -> Path:
    d = X.shape[1]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["id"] + [f"x{j}" for j in range(d)] + ["truth"])
        for i in range(X.shape[0]):
            w.writerow([f"s{i:03d}"] + [fmt_float(v) for v in X[i]] + [int(y[i])])
    return path


def write_synthetic() -> list[Path]:
    SYN.mkdir(parents=True, exist_ok=True)
    X1, y1 = make_blobs(n_samples=300, centers=4, n_features=2, cluster_std=0.6, random_state=0)
    X2, y2 = make_blobs(n_samples=300, centers=5, n_features=2, cluster_std=2.5, random_state=1)
    X3, y3 = make_moons(n_samples=300, noise=0.06, random_state=0)
    return [
        write_points(SYN / "blobs_separated.csv", X1, y1),
        write_points(SYN / "blobs_overlapping.csv", X2, y2),
        write_points(SYN / "moons.csv", X3, y3),
    ]


def main() -> None:
    paths = [write_effort_features()] + write_synthetic()
    for p in paths:
        print(f"wrote {p.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
