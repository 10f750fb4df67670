#!/usr/bin/env python3
"""Golden values for CohortLens' LIME explainer (`cohortlens explain --lime-compat`).

Reference: lime 0.2.0.1 (LimeTabularExplainer, discretize_continuous=True, quartile discretizer),
scikit-learn 1.9.1, scipy 1.17.1, numpy 2.4.6.
Run:  .venv/bin/python Scripts/golden/lime.py  (the venv Scripts/golden/regenerate.sh creates; any Python with requirements.txt)
Writes:
  Fixtures/models/flipped_pass.json      logistic pass/fail model (StandardScaler + LogisticRegression)
                                         on Fixtures/flipped-classroom/aggregated_fc.csv, pass = grade >= 4
  Fixtures/synthetic/lime_random40.csv   random 300 x 40 table (zero-inflated counts, rates, normals, ties)
  Fixtures/models/random40.json          logistic model on it (no scaler)
  Fixtures/golden/lime.json              explanations of 5 students per case, num_features 5 and 10
Floats are written with repr (shortest round-trip).

For each (case, num_features) one explainer with random_state=SEED explains the 5 students in the
order listed (lime's random stream continues from one student to the next), labels=(1,).
"""
import json
import os
import sys

# This file is called lime.py: keep its folder off the path so `import lime` finds the package.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import lime  # noqa: E402
import lime.lime_tabular
import numpy as np
import pandas as pd
import scipy
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FIX = os.path.join(ROOT, "Fixtures")
SEED = 42

FC_FEATURES = ["sessions", "time_in_problem", "time_in_video", "lecture_delay", "content_anticipation",
               "mean_playback_speed", "relative_video_pause", "submissions", "submissions_correct",
               "clicks_weekend", "clicks_weekday"]


def model_json(features, coef, intercept, classes, scaler=None):
    out = {"type": "logistic", "features": list(features),
           "coefficients": [[float(v) for v in row] for row in np.atleast_2d(coef)],
           "intercept": [float(v) for v in np.atleast_1d(intercept)],
           "classes": list(classes)}
    if scaler is not None:
        out["scaler"] = {"mean": [float(v) for v in scaler.mean_], "scale": [float(v) for v in scaler.scale_]}
    return out


def flipped_case():
    df = pd.read_csv(os.path.join(FIX, "flipped-classroom", "aggregated_fc.csv"))
    X = df[FC_FEATURES].to_numpy(dtype=float)
    y = (df["grade"].to_numpy() >= 4).astype(int)
    scaler = StandardScaler().fit(X)
    clf = LogisticRegression(max_iter=5000).fit(scaler.transform(X), y)

    def predict(rows):
        return clf.predict_proba(scaler.transform(rows))

    model = model_json(FC_FEATURES, clf.coef_, clf.intercept_, ["fail", "pass"], scaler)
    ids = [str(v) for v in df["user"].tolist()]
    return X, ids, predict, model, ["fail", "pass"]


def random_case():
    rs = np.random.RandomState(2024)
    n, p = 300, 40
    cols = []
    for j in range(p):
        kind = j % 4
        if kind == 0:    # zero-inflated counts (quartiles collapse)
            c = np.where(rs.random_sample(n) < 0.6, 0.0, rs.poisson(4.0, n).astype(float))
        elif kind == 1:  # rates in [0, 1]
            c = rs.beta(2.0, 5.0, n)
        elif kind == 2:  # normals
            c = rs.normal(10.0, 3.0, n)
        else:            # small integer scale with ties
            c = rs.randint(0, 6, n).astype(float)
        cols.append(c)
    X = np.column_stack(cols)
    names = ["f%02d" % j for j in range(p)]
    logit = X[:, 0] * 0.3 - X[:, 1] * 2.0 + (X[:, 2] - 10) * 0.2 + X[:, 5] * 1.5 - X[:, 7] * 0.4 + rs.normal(0, 1, n)
    y = (logit > np.median(logit)).astype(int)
    clf = LogisticRegression(max_iter=5000).fit(X, y)
    df = pd.DataFrame(X, columns=names)
    df.insert(0, "id", ["s%03d" % i for i in range(n)])
    df.to_csv(os.path.join(FIX, "synthetic", "lime_random40.csv"), index=False, float_format="%.17g")
    # Re-read so the values are exactly what the CSV holds.
    X = pd.read_csv(os.path.join(FIX, "synthetic", "lime_random40.csv"))[names].to_numpy(dtype=float)
    model = model_json(names, clf.coef_, clf.intercept_, ["0", "1"])
    return X, list(df["id"]), clf.predict_proba, model, names


def explain(X, ids, predict, names, students, k, discretizer="quartile"):
    if discretizer == "none":
        explainer = lime.lime_tabular.LimeTabularExplainer(
            X, feature_names=names, class_names=None, discretize_continuous=False, random_state=SEED)
    else:
        explainer = lime.lime_tabular.LimeTabularExplainer(
            X, feature_names=names, class_names=None, discretize_continuous=True, discretizer=discretizer,
            random_state=SEED)
    out = []
    for s in students:
        i = ids.index(s)
        seen = {}

        def fn(rows):
            seen["rows"] = rows.copy()
            return predict(rows)

        exp = explainer.explain_instance(X[i], fn, num_features=k, labels=(1,))
        rows = seen["rows"]
        out.append({
            "student": s,
            "probability": float(exp.predict_proba[1]),
            "intercept": float(exp.intercept[1]),
            "score": float(exp.score),
            "local_prediction": float(np.ravel(exp.local_pred)[0]),
            "features": [{"index": int(f), "feature": names[int(f)], "weight": float(w)} for f, w in exp.as_map()[1]],
            "conditions": [c for c, _ in exp.as_list(label=1)],
            "samples_head": [[float(v) for v in r] for r in rows[1:3]],
            "sample_column_sums": [float(v) for v in rows.sum(axis=0)],
        })
    return out


def main():
    os.makedirs(os.path.join(FIX, "models"), exist_ok=True)
    os.makedirs(os.path.join(FIX, "golden"), exist_ok=True)
    golden = {"format": "cohortlens-golden-lime/1", "generator": "Scripts/golden/lime.py",
              "versions": {"lime": "0.2.0.1", "sklearn": sklearn.__version__, "scipy": scipy.__version__,
                           "numpy": np.__version__},
              "seed": SEED, "num_samples": 5000, "label": 1, "cases": []}
    X, ids, predict, model, classes = flipped_case()
    with open(os.path.join(FIX, "models", "flipped_pass.json"), "w") as f:
        json.dump(model, f, indent=1)
    students = ["1", "7", "42", "100", "250"]
    for k in (5, 10):
        golden["cases"].append({"name": "flipped", "features_file": "flipped-classroom/aggregated_fc.csv",
                                "id": "user", "columns": FC_FEATURES, "model": "models/flipped_pass.json",
                                "num_features": k, "discretizer": "quartile", "students": students,
                                "explanations": explain(X, ids, predict, FC_FEATURES, students, k)})
    flipped = (X, ids, predict)
    X, ids, predict, model, names = random_case()
    with open(os.path.join(FIX, "models", "random40.json"), "w") as f:
        json.dump(model, f, indent=1)
    students = ["s003", "s017", "s101", "s202", "s299"]
    for k in (5, 10):
        golden["cases"].append({"name": "random40", "features_file": "synthetic/lime_random40.csv",
                                "id": "id", "columns": names, "model": "models/random40.json",
                                "num_features": k, "discretizer": "quartile", "students": students,
                                "explanations": explain(X, ids, predict, names, students, k)})
    # Other discretizers on the flipped-classroom case (appended, so the cases above keep their index).
    X, ids, predict = flipped
    students = ["1", "7", "42", "100", "250"]
    for disc, k in (("decile", 5), ("decile", 10), ("none", 5), ("none", 10)):
        golden["cases"].append({"name": "flipped-" + disc, "features_file": "flipped-classroom/aggregated_fc.csv",
                                "id": "user", "columns": FC_FEATURES, "model": "models/flipped_pass.json",
                                "num_features": k, "discretizer": disc, "students": students,
                                "explanations": explain(X, ids, predict, FC_FEATURES, students, k, disc)})
    with open(os.path.join(FIX, "golden", "lime.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
