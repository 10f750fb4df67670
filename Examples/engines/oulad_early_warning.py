#!/usr/bin/env python3
"""A simple OULAD early-warning engine: the "other engine" whose predictions CohortLens audits.

Predicts, at a cut-off day of the module presentation, whether a registration ends "at risk"
(final_result Fail or Withdrawn) from what is known by then:

  - assessments submitted on or before the cut-off (count, mean score, weighted score, late count),
  - num_of_prev_attempts and studied_credits from studentInfo.

The sensitive attributes (gender, age_band, imd_band, disability, region, highest_education) are NOT
features ("fairness through unawareness"), which is exactly why the model must be audited.

Model: scikit-learn LogisticRegression (standardised features), out-of-fold probabilities from
5-fold StratifiedKFold (random_state=0), so every score is a prediction for a learner the model
did not see. Output (one row per studentInfo row, same order, so `--join row` with studentInfo.csv
works): registration (module/presentation/id_student), at_risk (1/0 truth), score (P(at risk)),
predicted (1 if score >= 0.5).

Usage:
  python Examples/engines/oulad_early_warning.py [--data Fixtures/oulad] [--cutoff 60] \
      [--out Fixtures/oulad/early_warning_predictions.csv]

Data: OULAD (Kuzilek, Hlosta & Zdrahal 2017, doi:10.1038/sdata.2017.171), CC BY 4.0.
"""
import argparse
import os

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="Fixtures/oulad")
    ap.add_argument("--cutoff", type=int, default=60, help="cut-off day (assessments submitted on or before it)")
    ap.add_argument("--out", default="Fixtures/oulad/early_warning_predictions.csv")
    ap.add_argument("--assessments-results", default=None,
                    help="studentAssessment CSV (default: <data>/studentAssessment_day60.csv, else studentAssessment.csv)")
    args = ap.parse_args()

    info = pd.read_csv(os.path.join(args.data, "studentInfo.csv"), keep_default_na=False, na_values=[""])
    assessments = pd.read_csv(os.path.join(args.data, "assessments.csv"))
    results_path = args.assessments_results
    if results_path is None:
        results_path = os.path.join(args.data, "studentAssessment_day60.csv")
        if not os.path.exists(results_path) or args.cutoff > 60:
            results_path = os.path.join(args.data, "studentAssessment.csv")
    results = pd.read_csv(results_path)

    r = results.merge(assessments, on="id_assessment", how="inner")
    r = r[(r["date_submitted"] <= args.cutoff) & (r["is_banked"] == 0)]
    r = r.assign(late=(r["date"].notna() & (r["date_submitted"] > r["date"])).astype(int),
                 weighted=r["score"].fillna(0) * r["weight"] / 100.0)
    keys = ["code_module", "code_presentation", "id_student"]
    agg = r.groupby(keys).agg(n_submitted=("id_assessment", "count"), mean_score=("score", "mean"),
                              weighted_score=("weighted", "sum"), n_late=("late", "sum")).reset_index()
    due = assessments[assessments["date"].notna() & (assessments["date"] <= args.cutoff)]
    n_due = due.groupby(["code_module", "code_presentation"]).size().rename("n_due").reset_index()

    df = info.merge(agg, on=keys, how="left").merge(n_due, on=["code_module", "code_presentation"], how="left")
    df["n_submitted"] = df["n_submitted"].fillna(0)
    df["n_due"] = df["n_due"].fillna(0)
    df["missed"] = (df["n_due"] - df["n_submitted"]).clip(lower=0)
    df["mean_score"] = df["mean_score"].fillna(0)
    df["weighted_score"] = df["weighted_score"].fillna(0)
    df["n_late"] = df["n_late"].fillna(0)
    features = ["n_submitted", "missed", "mean_score", "weighted_score", "n_late", "num_of_prev_attempts",
                "studied_credits"]
    X = df[features].to_numpy(dtype=float)
    y = df["final_result"].isin(["Fail", "Withdrawn"]).astype(int).to_numpy()

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    score = cross_val_predict(model, X, y, cv=cv, method="predict_proba")[:, 1]

    out = pd.DataFrame({
        "registration": df["code_module"] + "/" + df["code_presentation"] + "/" + df["id_student"].astype(str),
        "at_risk": y,
        "score": score,
        "predicted": (score >= 0.5).astype(int),
    })
    out.to_csv(args.out, index=False, float_format="%.17g")
    acc = (out["predicted"] == out["at_risk"]).mean()
    print(f"wrote {len(out)} predictions to {args.out}; at-risk base rate {y.mean():.3f}, accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
