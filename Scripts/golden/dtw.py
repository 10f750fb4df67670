#!/usr/bin/env python3
"""Golden values for CohortLens' DTW kernel and pairwise engine (Sources/TimeSeries).

Reference: tslearn 0.10.0 (numba), numpy 2.4.6, pandas.
Run:  .venv/bin/python Scripts/golden/dtw.py  (the venv Scripts/golden/regenerate.sh creates; any Python with requirements.txt)  (writes Fixtures/golden/dtw.json)
Floats are written with repr (shortest round-trip), so Swift parses them back bit-exactly.

Sections
- flipped: the 30 learners x 27 biweeks of Fixtures/flipped-classroom/hours_biweek_students.csv
  (long -> wide, columns ordered by biweek_of_year, rows by student_id), raw and L2-normalised
  (each series divided by numpy.linalg.norm, the lecture's normalisation), plus tslearn's
  TimeSeriesScalerMeanVariance of the raw series; cdist_dtw for radius 0, 1, 3 and unconstrained.
- pairs: random unequal-length pairs (lengths 5..30, d = 1 and 3), tslearn dtw for radius 0, 2, 5, full,
  in both argument orders.
- worked: the worked examples of the DTW reference note (x, y, z).
- zscore: TimeSeriesScalerMeanVariance on random series (lengths 5..300, d = 1..3, one constant feature).
- zscore_unequal: TimeSeriesScalerMeanVariance().fit_transform(to_time_series_dataset(series)) on datasets of
  unequal lengths (tslearn pads with NaN to the longest series; NumPy's nanmean/nanstd sum the padded zeros), the
  z-scores of each series without the padding, and cdist_dtw of the scaled dataset (unconstrained and radius 2).
"""
import json
import os

import numpy as np
import pandas as pd
import tslearn
from tslearn.metrics import cdist_dtw, dtw
from tslearn.preprocessing import TimeSeriesScalerMeanVariance
from tslearn.utils import to_time_series_dataset

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "Fixtures", "golden", "dtw.json")
CSV = os.path.join(ROOT, "Fixtures", "flipped-classroom", "hours_biweek_students.csv")

RADII = [0, 1, 3, None]  # None = unconstrained


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=float).ravel()]


def rows(a):
    return [flat(r) for r in np.asarray(a, dtype=float)]


def cdist(x, r):
    if r is None:
        return cdist_dtw(x)
    return cdist_dtw(x, global_constraint="sakoe_chiba", sakoe_chiba_radius=r)


def pair(x, y, r):
    if r is None:
        return float(dtw(x, y))
    return float(dtw(x, y, global_constraint="sakoe_chiba", sakoe_chiba_radius=r))


def flipped_section():
    df = pd.read_csv(CSV)
    wide = df.pivot(index="student_id", columns="biweek_of_year", values="hours")
    wide = wide.sort_index(axis=0).sort_index(axis=1)
    assert not wide.isna().any().any()
    raw = wide.to_numpy(dtype=float)
    l2 = np.array([s / np.linalg.norm(s) for s in raw])
    z = TimeSeriesScalerMeanVariance().fit_transform(raw[:, :, None])[:, :, 0]
    out = {
        "ids": [int(v) for v in wide.index],
        "biweeks": [int(v) for v in wide.columns],
        "raw": rows(raw),
        "l2": rows(l2),
        "zscore": rows(z),
        "cases": [],
    }
    for name, data in [("raw", raw), ("l2", l2)]:
        for r in RADII:
            out["cases"].append({"input": name, "radius": r, "matrix": rows(cdist(data, r))})
    return out


def pairs_section():
    rs = np.random.RandomState(20261123)
    out = []
    for d in [1, 3]:
        for _ in range(6):
            n, m = (int(v) for v in rs.randint(5, 31, size=2))
            x = rs.standard_normal((n, d))
            y = rs.standard_normal((m, d))
            for r in [0, 2, 5, None]:
                out.append({
                    "d": d, "radius": r, "x": flat(x), "y": flat(y),
                    "xy": pair(x, y, r), "yx": pair(y, x, r),
                })
    return out


def worked_section():
    x = np.array([0, 1, 3, 2, 0, -1, 0, 2], dtype=float)
    y = np.array([1, 0, 0, 2, 3, 1, -1, 0], dtype=float)
    z = np.array([1, 0, 2, 3, 1, -1], dtype=float)
    out = []
    for a, b, an, bn in [(x, y, "x", "y"), (x, z, "x", "z"), (z, x, "z", "x")]:
        for r in [0, 1, 2, 3, None]:
            out.append({"a": an, "b": bn, "radius": r, "value": pair(a, b, r)})
    return {"x": flat(x), "y": flat(y), "z": flat(z), "cases": out}


def zscore_section():
    """TimeSeriesScalerMeanVariance on multivariate series of several lengths (per series, per feature)."""
    rs = np.random.RandomState(7)
    out = []
    for L, d in [(5, 2), (27, 3), (100, 1), (300, 1), (150, 2)]:
        x = rs.standard_normal((3, L, d)) * 100 + rs.standard_normal((3, 1, d)) * 1000
        x[0, :, 0] = 4.25  # a constant feature: std 0 -> 1
        z = TimeSeriesScalerMeanVariance().fit_transform(x)
        out.append({"d": d, "series": rows(x.reshape(3, L * d)), "zscore": rows(z.reshape(3, L * d))})
    return out


def zscore_unequal_section():
    """TimeSeriesScalerMeanVariance on NaN-padded datasets of unequal lengths, and cdist_dtw of the result."""
    rs = np.random.RandomState(20261124)
    out = []
    # (name, d, lengths): lengths below 8, between 8 and 128 and above 128 (NumPy's pairwise blocks), the
    # longest series first, last or in between.
    specs = [
        ("lengths_9_20_13_17", 1, [9, 20, 13, 17]),
        ("lengths_5_to_300", 1, [300, 5, 7, 8, 9, 16, 17, 127, 128, 129, 200, 255, 256, 257, 31]),
        ("multivariate_d3", 3, [12, 40, 7, 25, 33]),
    ]
    for name, d, lengths in specs:
        series = [rs.uniform(0, 10, (n, d)).round(3) for n in lengths]
        z = TimeSeriesScalerMeanVariance().fit_transform(to_time_series_dataset(series))
        unpadded = [z[i, :n, :] for i, n in enumerate(lengths)]
        assert all(not np.isnan(u).any() for u in unpadded)
        out.append({
            "name": name, "d": d, "series": [flat(s) for s in series], "zscore": [flat(u) for u in unpadded],
            "dtw_full": rows(cdist(z, None)), "dtw_radius2": rows(cdist(z, 2)),
        })
    return out


def main():
    doc = {
        "reference": {"tslearn": tslearn.__version__, "numpy": np.__version__},
        "flipped": flipped_section(),
        "pairs": pairs_section(),
        "worked": worked_section(),
        "zscore": zscore_section(),
        "zscore_unequal": zscore_unequal_section(),
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
