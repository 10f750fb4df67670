#!/usr/bin/env python3
"""Golden per-group comparisons for `cohortlens fairness --compare largest|GROUP` (fairlearn 0.15.0).

Writes Fixtures/golden/fairness_compare.json. Aequitas-style disparities: for every group g and the
reference group r, `difference = metric_g - metric_r` and `ratio = metric_g / metric_r`, with the
per-group metrics from fairlearn `MetricFrame.by_group` (selection_rate, true_positive_rate,
false_positive_rate, precision_score with zero_division=nan for PPV, accuracy_score) and NPV by
hand. Undefined rates are NaN (fairlearn's silent 0.0 for TPR/FPR of a group without positives or
negatives is replaced by NaN from the confusion counts) and written as null, as is a ratio whose
reference value is 0.

Cases: lecture 12 (demographics.csv + model_predictions.csv, row-aligned; truth pass = grade >= 4,
predicted pass = output < 0.5) by gender against the largest group and against 'F'; OULAD
(early_warning_predictions.csv row-aligned with studentInfo.csv) by imd_band against the largest
group and against '90-100%'; the synthetic edge cases (Fixtures/synthetic/fairness_edge_cases.csv,
written by fairness.py) by group against the largest group (C has no actual positives, D a single
class) against the largest group and against 'C' (the reference's TPR is undefined and its PPV
is 0, so PPV ratios are undefined). Missing sensitive values form the '(missing)' group. No suppression (min group size 0).
"""
import json
import os
import warnings

import numpy as np
import pandas as pd
import fairlearn
from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate, false_positive_rate
from sklearn.metrics import accuracy_score, precision_score
from functools import partial

warnings.filterwarnings("ignore")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MISSING = "(missing)"
RATES = ["selection_rate", "tpr", "fpr", "ppv", "npv", "accuracy"]


def num(x):
    x = float(x)
    return None if np.isnan(x) else x


def compare(y, p, attr, reference):
    y = np.asarray(y).astype(int)
    p = np.asarray(p).astype(int)
    a = pd.Series(attr).fillna(MISSING).astype(str).to_numpy()
    levels = sorted(v for v in set(a) if v != MISSING) + ([MISSING] if MISSING in set(a) else [])
    sizes = {g: int((a == g).sum()) for g in levels}
    # Largest group; ties go to the first in level order.
    ref = max(levels, key=lambda g: (sizes[g], -levels.index(g))) if reference is None else reference
    mf = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate,
                              "ppv": partial(precision_score, zero_division=np.nan), "accuracy": accuracy_score},
                     y_true=y, y_pred=p, sensitive_features=pd.Series(a, name="g"))
    bg = mf.by_group
    values = {}
    for g in levels:
        k = a == g
        tp = int(((y == 1) & (p == 1) & k).sum()); fp = int(((y == 0) & (p == 1) & k).sum())
        tn = int(((y == 0) & (p == 0) & k).sum()); fn = int(((y == 1) & (p == 0) & k).sum())
        v = {m: float(bg.loc[g, m]) for m in ["selection_rate", "tpr", "fpr", "ppv", "accuracy"]}
        # fairlearn reports 0.0 for TPR/FPR without positives/negatives: undefined here.
        if tp + fn == 0:
            v["tpr"] = np.nan
        if fp + tn == 0:
            v["fpr"] = np.nan
        v["npv"] = np.nan if tn + fn == 0 else tn / (tn + fn)
        values[g] = v
    out = {"reference": ref, "groups": [], "sizes": sizes}
    for g in levels:
        if g == ref:
            continue
        entry = {"group": g, "rates": {}}
        for m in RATES:
            vg, vr = values[g][m], values[ref][m]
            d = vg - vr
            r = vg / vr if (not np.isnan(vr) and vr > 0) else np.nan
            entry["rates"][m] = {"group": num(vg), "reference": num(vr), "difference": num(d), "ratio": num(r)}
        out["groups"].append(entry)
    return out


def main():
    out = {"generator": "Scripts/golden/fairness_compare.py", "fairlearn": fairlearn.__version__, "cases": []}
    fc = os.path.join(ROOT, "Fixtures", "flipped-classroom")
    demo = pd.read_csv(os.path.join(fc, "demographics.csv"))
    pred = pd.read_csv(os.path.join(fc, "model_predictions.csv"))
    y = (demo["grade"] >= 4).astype(int).to_numpy()
    p = (pred["grade"] < 0.5).astype(int).to_numpy()
    for ref in [None, "F"]:
        out["cases"].append({"dataset": "lecture", "attribute": "gender", "compare": ref or "largest",
                             **compare(y, p, demo["gender"].to_numpy(dtype=object), ref)})
    od = os.path.join(ROOT, "Fixtures", "oulad")
    info = pd.read_csv(os.path.join(od, "studentInfo.csv"), keep_default_na=False, na_values=[""])
    ew = pd.read_csv(os.path.join(od, "early_warning_predictions.csv"))
    for ref in [None, "90-100%"]:
        out["cases"].append({"dataset": "oulad", "attribute": "imd_band", "compare": ref or "largest",
                             **compare(ew["at_risk"], ew["predicted"], info["imd_band"].to_numpy(dtype=object), ref)})
    syn = pd.read_csv(os.path.join(ROOT, "Fixtures", "synthetic", "fairness_edge_cases.csv"))
    for ref in [None, "C"]:
        out["cases"].append({"dataset": "synthetic", "attribute": "group", "compare": ref or "largest",
                             **compare(syn["truth"], syn["predicted"], syn["group"].to_numpy(dtype=object), ref)})
    path = os.path.join(ROOT, "Fixtures", "golden", "fairness_compare.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()
