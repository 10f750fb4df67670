"""Real-data inputs for the Report gallery (a visual check, not a parity golden).

Computes, with the reference stack, the numbers each chart of the future `cohortlens audit` report
draws, on the bundled EPFL flipped-classroom course (Fixtures/flipped-classroom, MIT License):

- weekly video hours of 288 students over 10 weeks, DTW distances (tslearn, Sakoe-Chiba radius 2),
  a Gaussian affinity (sigma = median distance), normalised-Laplacian eigenvalues and the eigengap k,
  spectral clustering for k = 2..8 (silhouette on the DTW distances, Davies-Bouldin on the series),
  the k with the best silhouette;
- the course's grade predictions (model_predictions.csv) against the observed pass (grade >= 4) by
  gender and diploma country: ROC curves + AUC, calibration bins, selection-rate ratios with bootstrap
  intervals;
- a LIME explanation (lime 0.2.0.1) of one student under a logistic-regression pass/fail model on
  the aggregated features.

Usage: .venv/bin/python Examples/report-gallery/real_data.py OUT.json  (.venv: Scripts/golden/regenerate.sh)
Then:  COHORTLENS_REPORT_REAL_DATA=OUT.json COHORTLENS_REPORT_GALLERY=.build/report-real.html \
         swift test --filter ReportTests.DocumentTests/realDataGallery
"""
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import laplacian
from sklearn.cluster import SpectralClustering
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import davies_bouldin_score, roc_auc_score, roc_curve, silhouette_score
from tslearn.metrics import cdist_dtw
from lime.lime_tabular import LimeTabularExplainer

ROOT = Path(__file__).resolve().parents[2] / "Fixtures" / "flipped-classroom"
out_path = sys.argv[1]

# --- kinds of learners -------------------------------------------------------------------------
ts = pd.read_csv(ROOT / "time_series_fc.csv")
hours = ts.pivot(index="user", columns="week", values="time_in_video").sort_index() / 3600.0
series = hours.to_numpy()
D = cdist_dtw(series[:, :, None], global_constraint="sakoe_chiba", sakoe_chiba_radius=2)
sigma = np.median(D[np.triu_indices_from(D, 1)])
A = np.exp(-(D ** 2) / (2 * sigma ** 2))
L = laplacian(A, normed=True)
eigenvalues = np.linalg.eigvalsh(L)[:10]
gaps = np.diff(eigenvalues)
k_gap = int(np.argmax(gaps[1:8]) + 2)  # k in 2..8
ks = list(range(2, 9))
silhouette, db, labels_by_k = [], [], {}
for k in ks:
    labels = SpectralClustering(n_clusters=k, affinity="precomputed", random_state=0).fit_predict(A)
    labels_by_k[k] = labels
    silhouette.append(float(silhouette_score(D, labels, metric="precomputed")))
    db.append(float(davies_bouldin_score(series, labels)))
k = ks[int(np.argmax(silhouette))]  # chosen by silhouette; the eigengap k is reported beside it
labels = labels_by_k[k]

# --- fairness of the grade predictions ----------------------------------------------------------
pred = pd.read_csv(ROOT / "model_predictions.csv", index_col=0)["grade"]
demo = pd.read_csv(ROOT / "demographics.csv", index_col=0)
joined = demo.join(pred.rename("score"), how="inner")
joined["passed"] = (joined["grade"] >= 4).astype(int)
joined["predicted"] = (joined["score"] >= 0.5).astype(int)
roc = []
for g, part in joined.groupby("gender", dropna=True):
    fpr, tpr, _ = roc_curve(part["passed"], part["score"])
    roc.append({"name": str(g), "fpr": fpr.tolist(), "tpr": tpr.tolist(),
                "auc": float(roc_auc_score(part["passed"], part["score"]))})
calibration = []
for g, part in joined.groupby("gender", dropna=True):
    bins = np.linspace(0, 1, 6)
    idx = np.clip(np.digitize(part["score"], bins[1:-1]), 0, 4)
    rows = []
    for b in range(5):
        m = idx == b
        n = int(m.sum())
        rows.append({"predicted": float(part["score"][m].mean()) if n else None,
                     "observed": float(part["passed"][m].mean()) if n else None, "n": n})
    calibration.append({"name": str(g), "bins": rows})
rng = np.random.RandomState(0)
country = joined["country_diploma"].fillna("(missing)")
ref_rate = joined.loc[country == "Suisse", "predicted"].mean()
bars = []
for g in ["Suisse", "France", "(missing)", "Maroc", "Tunisie"]:
    part = joined[country == g]
    n, s = len(part), int(part["predicted"].sum())
    if n == 0:
        bars.append({"label": g, "value": None, "detail": "0/0", "reason": "no students in group"})
        continue
    ratio = (s / n) / ref_rate
    boots = []
    for _ in range(500):
        sample = part["predicted"].to_numpy()[rng.randint(0, n, n)]
        boots.append(sample.mean() / ref_rate)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    bars.append({"label": g, "value": float(ratio), "lower": float(lo), "upper": float(hi), "detail": f"{s}/{n}"})

# --- one explanation ------------------------------------------------------------------------------
agg = pd.read_csv(ROOT / "aggregated_fc.csv")
features = ["sessions", "time_in_problem", "time_in_video", "lecture_delay", "content_anticipation",
            "mean_playback_speed", "relative_video_pause", "submissions", "submissions_correct",
            "clicks_weekend", "clicks_weekday"]
X = agg[features].to_numpy()
y = (agg["grade"] >= 4).astype(int).to_numpy()
mean, sd = X.mean(0), X.std(0)
model = LogisticRegression(max_iter=1000).fit((X - mean) / sd, y)
explainer = LimeTabularExplainer(X, feature_names=features, class_names=["fail", "pass"],
                                 discretize_continuous=True, random_state=42)
student = int(np.argmin(model.predict_proba((X - mean) / sd)[:, 1]))
exp = explainer.explain_instance(X[student], lambda Z: model.predict_proba((Z - mean) / sd), num_features=6,
                                 labels=(0,))
lime = {"student": int(agg["user"][student]), "class": "fail",
        "probability": float(model.predict_proba(((X[student] - mean) / sd)[None])[0, 0]),
        "intercept": float(exp.intercept[0]), "score": float(exp.score),
        "weights": [{"condition": c, "weight": float(w)} for c, w in exp.as_list(label=0)]}

json.dump({
    "weeks": [int(w) + 1 for w in hours.columns], "series": series.tolist(), "dtw": D.tolist(),
    "eigenvalues": eigenvalues.tolist(), "k": k, "kGap": k_gap, "ks": ks, "silhouette": silhouette, "daviesBouldin": db,
    "labels": labels.tolist(), "roc": roc, "calibration": calibration, "bars": bars, "lime": lime,
}, open(out_path, "w"))
print(f"wrote {out_path}: {len(series)} students, k = {k}")
