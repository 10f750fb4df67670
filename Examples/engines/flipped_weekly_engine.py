#!/usr/bin/env python3
"""Example engine: a weekly early-warning model for the EPFL flipped classroom, as such engines run in production.

Every course week w = 0…9 it predicts pass (grade >= 4) from the activity seen so far: the per-student sums of the
11 weekly features of `time_series_fc.csv` over weeks 0…w, StandardScaler + LogisticRegression, with out-of-fold
probabilities (5-fold stratified cross-validation, fixed seed) so that no student is scored by a model that saw
their outcome. Sensitive attributes are not features. Writes

    Fixtures/flipped-classroom/weekly_predictions.csv    user, week, pass, p_pass, predicted_pass

which `cohortlens fairness --stratify week` (and the bundled audit) audits week by week.

    python Examples/engines/flipped_weekly_engine.py      # needs scikit-learn and pandas (Scripts/golden/requirements.txt)
"""
import os

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FC = os.path.join(ROOT, "Fixtures", "flipped-classroom")


def main():
    series = pd.read_csv(os.path.join(FC, "time_series_fc.csv"))
    grades = pd.read_csv(os.path.join(FC, "aggregated_fc.csv"))[["user", "grade"]]
    features = [c for c in series.columns if c not in ("week", "user")]
    users = np.sort(series["user"].unique())
    y = (grades.set_index("user").loc[users, "grade"].to_numpy() >= 4).astype(int)
    rows = []
    for week in sorted(series["week"].unique()):
        seen = series[series["week"] <= week].groupby("user")[features].sum().reindex(users).fillna(0.0)
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
        p = cross_val_predict(model, seen.to_numpy(), y, cv=folds, method="predict_proba")[:, 1]
        for u, truth, prob in zip(users, y, p):
            rows.append((int(u), int(week), int(truth), float(prob), int(prob >= 0.5)))
    out = os.path.join(FC, "weekly_predictions.csv")
    with open(out, "w") as f:
        f.write("user,week,pass,p_pass,predicted_pass\n")
        for r in rows:
            f.write(f"{r[0]},{r[1]},{r[2]},{r[3]!r},{r[4]}\n")
    acc = [np.mean([r[2] == r[4] for r in rows if r[1] == w]) for w in range(10)]
    print(f"wrote {out} ({len(rows)} rows); accuracy by week: " + ", ".join(f"{a:.3f}" for a in acc))


if __name__ == "__main__":
    main()
