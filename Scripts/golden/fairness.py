#!/usr/bin/env python3
"""Golden values for `cohortlens fairness` from fairlearn 0.15.0 / scikit-learn 1.9.1 / NumPy.

Writes Fixtures/golden/fairness.json (and the synthetic edge-case input
Fixtures/synthetic/fairness_edge_cases.csv). Three datasets:

- lecture: EPFL lecture 12 (demographics.csv + model_predictions.csv, row-aligned); truth pass =
  grade >= 4, predicted pass = model output < 0.5; score = model output, lower is positive.
- oulad: Examples/engines/oulad_early_warning.py predictions (row-aligned with studentInfo.csv);
  truth at_risk == 1, predicted == 1, score higher is positive.
- synthetic: four groups, C has no actual positives, D a single class (all positive, all predicted
  positive), so fairlearn reports silent 0.0 rates where CohortLens reports `undefined`.
- calibration_edges: scores in tenths (on the calibration bin edges): Brier (brier_score_loss), the
  reliability table of calibration_curve(n_bins=10, strategy='uniform') and the ECE from it.
- zero_rate_components: FPR (then TPR) 0 in every group, so one component ratio of equalized odds is
  0/0; fairlearn's equalized_odds_ratio (worst_case, mean) and the bootstrap intervals with that
  component left out.

Per attribute: groups (sorted levels, '(missing)' last, missing sensitive values filled with it),
counts, fairlearn MetricFrame.by_group for selection_rate, true_positive_rate,
false_positive_rate, precision_score (PPV; default zero_division -> 0.0), NPV by hand (NaN when
undefined), the fairlearn criteria, roc_auc_score per group, Brier / reliability table / ECE per group
(brier_score_loss, calibration_curve), ABROCA of each group vs the largest
by 10,000-point grid integration (np.interp on roc_curve + trapezoid), and the bootstrap
percentile intervals of the between-groups statistics from
RandomState(seed).multinomial(n, cells/n, size=B) (cells per group in order TP, FP, TN, FN).
"""
import json
import os
import warnings

import numpy as np
import pandas as pd
import fairlearn
from fairlearn.metrics import (MetricFrame, selection_rate, true_positive_rate, false_positive_rate,
                               demographic_parity_difference, demographic_parity_ratio,
                               equalized_odds_difference, equalized_odds_ratio,
                               equal_opportunity_difference, equal_opportunity_ratio)
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, precision_score, roc_auc_score, roc_curve

warnings.filterwarnings("ignore")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MISSING = "(missing)"
SEED = 0
B = 200


def num(x):
    x = float(x)
    return None if np.isnan(x) else x


def npv(y, p):
    tn = int(((y == 0) & (p == 0)).sum())
    fn = int(((y == 1) & (p == 0)).sum())
    return np.nan if tn + fn == 0 else tn / (tn + fn)


def groups_of(values):
    levels = sorted(v for v in set(values) if v != MISSING)
    if MISSING in set(values):
        levels.append(MISSING)
    return levels


def grid_abroca(y_a, s_a, y_b, s_b, n=10000):
    fa, ta, _ = roc_curve(y_a, s_a)
    fb, tb, _ = roc_curve(y_b, s_b)
    grid = np.linspace(0, 1, n)
    d = np.abs(np.interp(grid, fa, ta) - np.interp(grid, fb, tb))
    return float(np.trapezoid(d, grid))


def calibration(y, prob, bins=10):
    """Brier score (brier_score_loss), the reliability table of calibration_curve(strategy='uniform') —
    rows per bin as scikit-learn bins them: np.searchsorted(linspace(0, 1, bins + 1)[1:-1], p), so a
    probability on an edge falls in the bin below it — and ECE = sum_b n_b / n * |mean p_b - rate_b|."""
    y = np.asarray(y).astype(int)
    prob = np.asarray(prob, dtype=float)
    ids = np.searchsorted(np.linspace(0.0, 1.0, bins + 1)[1:-1], prob)
    n = np.bincount(ids, minlength=bins)
    rate, mean = calibration_curve(y, prob, n_bins=bins, strategy="uniform")
    ece = float(np.sum(n[n > 0] / len(prob) * np.abs(mean - rate)))
    return {"brier": float(brier_score_loss(y, prob)), "n": n.tolist(), "mean_score": mean.tolist(),
            "observed_rate": rate.tolist(), "ece": ece}


def bootstrap(cells, seed=SEED, b=B, q=(0.025, 0.975)):
    """cells: list of [tp, fp, tn, fn] per group. Between-groups statistics per replicate."""
    cells = np.array(cells, dtype=np.int64)
    n = int(cells.sum())
    p = cells.reshape(-1) / n
    draws = np.random.RandomState(seed).multinomial(n, p, size=b).reshape(b, len(cells), 4)
    out = {}
    with np.errstate(all="ignore"):
        tp, fp, tn, fn = (draws[:, :, k].astype(float) for k in range(4))
        rates = {"selection_rate": (tp + fp) / (tp + fp + tn + fn), "tpr": tp / (tp + fn), "fpr": fp / (fp + tn),
                 "ppv": tp / (tp + fp), "npv": tn / (tn + fn), "accuracy": (tp + tn) / (tp + fp + tn + fn)}
        stats = {}
        zero = {}
        for m, r in rates.items():
            mx, mn = r.max(axis=1), r.min(axis=1)  # NaN propagates: replicate undefined
            stats[m] = (mx - mn, np.where(mx > 0, mn / mx, np.nan))
            zero[m] = mx == 0  # rate 0 in every group: ratio 0/0 (False where NaN)

        def two(a, b, mean):
            """Two-rate criterion: worst (max difference, min ratio) or mean; a 0/0 ratio is left out
            and the other ratio stands alone (fairlearn: min() over [tpr, fpr] skips a NaN in second
            place, agg='mean' is a NaN-skipping pandas mean)."""
            (da, ra), (db, rb) = stats[a], stats[b]
            d = (da + db) / 2 if mean else np.maximum(da, db)
            both = (ra + rb) / 2 if mean else np.minimum(ra, rb)
            r = np.where(zero[a] & ~np.isnan(rb), rb, np.where(zero[b] & ~np.isnan(ra), ra, both))
            return d, r

    combos = {"demographic_parity": stats["selection_rate"],
              "equal_opportunity": stats["tpr"],
              "equalized_odds": two("tpr", "fpr", False),
              "equalized_odds_mean": two("tpr", "fpr", True),
              "predictive_value_parity": two("ppv", "npv", False),
              "accuracy_parity": stats["accuracy"]}
    for name, (d, r) in combos.items():
        d = d[~np.isnan(d)]
        r = r[~np.isnan(r)]
        out[name] = {"difference": [float(np.quantile(d, qq)) for qq in q] if len(d) else None,
                     "ratio": [float(np.quantile(r, qq)) for qq in q] if len(r) else None}
    out["first_draw"] = draws[0].reshape(-1).tolist()
    return out


def audit(y, p, s, attr, score=None, lower_is_positive=False):
    y = np.asarray(y).astype(int)
    p = np.asarray(p).astype(int)
    a = pd.Series(attr).fillna(MISSING).astype(str).to_numpy()
    levels = groups_of(a)
    mf = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate,
                              "ppv": precision_score},
                     y_true=y, y_pred=p, sensitive_features=pd.Series(a, name="g"))
    bg = mf.by_group
    res = {"groups": levels, "counts": [], "fairlearn_by_group": {}, "npv": []}
    for m in ["selection_rate", "tpr", "fpr", "ppv"]:
        res["fairlearn_by_group"][m] = [num(bg.loc[g, m]) for g in levels]
    cells = []
    for g in levels:
        k = a == g
        tp = int(((y == 1) & (p == 1) & k).sum()); fp = int(((y == 0) & (p == 1) & k).sum())
        tn = int(((y == 0) & (p == 0) & k).sum()); fn = int(((y == 1) & (p == 0) & k).sum())
        res["counts"].append({"tp": tp, "fp": fp, "tn": tn, "fn": fn})
        cells.append([tp, fp, tn, fn])
        res["npv"].append(num(npv(y[k], p[k])))
    sf = pd.Series(a)
    res["fairlearn"] = {
        "demographic_parity_difference": num(demographic_parity_difference(y, p, sensitive_features=sf)),
        "demographic_parity_ratio": num(demographic_parity_ratio(y, p, sensitive_features=sf)),
        "equalized_odds_difference": num(equalized_odds_difference(y, p, sensitive_features=sf)),
        "equalized_odds_difference_mean": num(equalized_odds_difference(y, p, sensitive_features=sf, agg="mean")),
        "equalized_odds_ratio": num(equalized_odds_ratio(y, p, sensitive_features=sf)),
        "equalized_odds_ratio_mean": num(equalized_odds_ratio(y, p, sensitive_features=sf, agg="mean")),
        "equal_opportunity_difference": num(equal_opportunity_difference(y, p, sensitive_features=sf)),
        "equal_opportunity_ratio": num(equal_opportunity_ratio(y, p, sensitive_features=sf)),
    }
    res["bootstrap"] = {"seed": SEED, "replicates": B, "confidence": 0.95, **bootstrap(cells)}
    if score is not None:
        s = np.asarray(score, dtype=float)
        ranked = -s if lower_is_positive else s
        res["auc"] = []
        for g in levels:
            k = a == g
            res["auc"].append(float(roc_auc_score(y[k], ranked[k])) if len(set(y[k])) == 2 else None)
        sizes = [int((a == g).sum()) for g in levels]
        ref = levels[int(np.argmax(sizes))]
        kr = a == ref
        res["abroca_reference"] = ref
        res["abroca_grid"] = {}
        for g in levels:
            k = a == g
            if g == ref or len(set(y[k])) < 2:
                continue
            res["abroca_grid"][g] = grid_abroca(y[k], ranked[k], y[kr], ranked[kr])
        prob = 1 - s if lower_is_positive else s
        if ((prob >= 0) & (prob <= 1)).all():
            res["calibration"] = [calibration(y[a == g], prob[a == g]) for g in levels]
    return res


def main():
    out = {"generator": "Scripts/golden/fairness.py", "fairlearn": fairlearn.__version__, "datasets": {}}

    # Lecture 12.
    fc = os.path.join(ROOT, "Fixtures", "flipped-classroom")
    demo = pd.read_csv(os.path.join(fc, "demographics.csv"))
    pred = pd.read_csv(os.path.join(fc, "model_predictions.csv"))
    y = (demo["grade"] >= 4).astype(int).to_numpy()
    p = (pred["grade"] < 0.5).astype(int).to_numpy()
    out["datasets"]["lecture"] = {a: audit(y, p, None, demo[a].to_numpy(dtype=object), score=pred["grade"].to_numpy(),
                                           lower_is_positive=True)
                                  for a in ["gender", "country_diploma"]}

    # OULAD engine.
    od = os.path.join(ROOT, "Fixtures", "oulad")
    info = pd.read_csv(os.path.join(od, "studentInfo.csv"), keep_default_na=False, na_values=[""])
    ew = pd.read_csv(os.path.join(od, "early_warning_predictions.csv"))
    out["datasets"]["oulad"] = {a: audit(ew["at_risk"], ew["predicted"], None, info[a].to_numpy(dtype=object),
                                         score=ew["score"].to_numpy())
                                for a in ["gender", "age_band", "imd_band", "disability"]}

    # Synthetic edge cases.
    rng = np.random.RandomState(7)
    rows = []
    for g, n in [("A", 120), ("B", 90), ("C", 40), ("D", 30)]:
        for i in range(n):
            if g == "C":
                t = 0
            elif g == "D":
                t = 1
            else:
                t = int(rng.random_sample() < (0.5 if g == "A" else 0.35))
            sc = float(np.clip(rng.normal(0.62 if t else 0.38, 0.18), 0.0, 1.0))
            pr = 1 if g == "D" else int(sc >= 0.5)
            rows.append((f"{g}{i:03d}", g, t, round(sc, 6), pr))
    syn = pd.DataFrame(rows, columns=["id", "group", "truth", "score", "predicted"])
    syn_path = os.path.join(ROOT, "Fixtures", "synthetic", "fairness_edge_cases.csv")
    syn.to_csv(syn_path, index=False)
    syn = pd.read_csv(syn_path)
    out["datasets"]["synthetic"] = {"group": audit(syn["truth"], syn["predicted"], None, syn["group"].to_numpy(dtype=object),
                                                   score=syn["score"].to_numpy())}

    # A rate that is 0 in every group (its ratio 0/0): fairlearn leaves that component out of the
    # equalized odds ratio. FPR 0 everywhere (no false positives): worst_case and mean are the TPR
    # ratio. TPR 0 everywhere (no true positives): agg='mean' is the FPR ratio, but worst_case is NaN
    # (Python's min() over the Series [nan, fpr_ratio] keeps the NaN in first place); CohortLens uses
    # the FPR ratio there too (recorded as cohortlens_ratio). Rows are stored so the test rebuilds them.
    zr = np.random.RandomState(11)
    out["zero_rate_components"] = {}
    for case in ["fpr_zero", "tpr_zero"]:
        g, t, pr = [], [], []
        for grp, n, base in [("A", 40, 0.5), ("B", 30, 0.4), ("C", 20, 0.6)]:
            for i in range(n):
                yi = int(zr.random_sample() < base)
                hit = int(zr.random_sample() < (0.7 if grp != "B" else 0.55))
                g.append(grp)
                t.append(yi)
                pr.append(yi * hit if case == "fpr_zero" else (1 - yi) * hit)
        y, p, sf = np.array(t), np.array(pr), pd.Series(g)
        eo = MetricFrame(metrics={"tpr": true_positive_rate, "fpr": false_positive_rate}, y_true=y, y_pred=p,
                         sensitive_features=sf)
        component = eo.ratio()
        kept = "tpr" if case == "fpr_zero" else "fpr"
        cells = []
        for grp in ["A", "B", "C"]:
            k = sf.to_numpy() == grp
            cells.append([int(((y == 1) & (p == 1) & k).sum()), int(((y == 0) & (p == 1) & k).sum()),
                          int(((y == 0) & (p == 0) & k).sum()), int(((y == 1) & (p == 0) & k).sum())])
        out["zero_rate_components"][case] = {
            "group": g, "truth": t, "predicted": pr,
            "by_group": {m: [float(eo.by_group.loc[grp, m]) for grp in ["A", "B", "C"]] for m in ["tpr", "fpr"]},
            "component_ratio": {m: num(component[m]) for m in ["tpr", "fpr"]},
            "fairlearn": {
                "equalized_odds_ratio": num(equalized_odds_ratio(y, p, sensitive_features=sf)),
                "equalized_odds_ratio_mean": num(equalized_odds_ratio(y, p, sensitive_features=sf, agg="mean")),
                "equalized_odds_difference": num(equalized_odds_difference(y, p, sensitive_features=sf)),
                "equalized_odds_difference_mean": num(equalized_odds_difference(y, p, sensitive_features=sf, agg="mean")),
            },
            "cohortlens_ratio": num(component[kept]),
            "bootstrap": {"seed": SEED, "replicates": B, "confidence": 0.95, **bootstrap(cells)},
        }

    # Calibration with probabilities on the bin edges (scores in tenths, as a rounded model writes them):
    # scikit-learn's calibration_curve puts 0.5 in the bin (0.4, 0.5], not [0.5, 0.6). Rows are stored
    # so the test rebuilds them.
    ce = np.random.RandomState(5)
    g, t, sc = [], [], []
    for grp, n in [("A", 60), ("B", 45)]:
        for i in range(n):
            p_i = round(float(ce.randint(0, 11)) / 10, 1)
            g.append(grp)
            sc.append(p_i)
            t.append(int(ce.random_sample() < p_i))
    y, sc_ = np.array(t), np.array(sc)
    out["calibration_edges"] = {"group": g, "truth": t, "score": sc,
                                "calibration": [calibration(y[np.array(g) == grp], sc_[np.array(g) == grp])
                                                for grp in ["A", "B"]]}

    # Raw multinomial check of the sampler.
    out["multinomial"] = {"seed": 123, "n": 1000, "p": [0.5, 0.2, 0.15, 0.1, 0.05, 0.0],
                          "draws": np.random.RandomState(123).multinomial(1000, [0.5, 0.2, 0.15, 0.1, 0.05, 0.0], size=5).tolist()}
    out["multinomial_large"] = {"seed": 9, "n": 1000000, "p": [0.3, 0.01, 0.2, 0.49],
                                "draws": np.random.RandomState(9).multinomial(1000000, [0.3, 0.01, 0.2, 0.49], size=5).tolist()}

    path = os.path.join(ROOT, "Fixtures", "golden", "fairness.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
    print("wrote", path)


if __name__ == "__main__":
    main()
