#!/usr/bin/env python3
"""Example engine: the flipped-classroom pass/fail model scoring every student of the course.

Reads the exported logistic model `Fixtures/models/flipped_pass.json` (StandardScaler + LogisticRegression,
trained by Scripts/golden/lime.py on Fixtures/flipped-classroom/aggregated_fc.csv, pass = grade >= 4) and writes
what a learning-analytics engine would hand to CohortLens:

    Fixtures/flipped-classroom/pass_model_predictions.csv   user, pass (truth 0/1), p_pass, predicted_pass

Python standard library only; the same model JSON is what `cohortlens explain --model` reads, so the audit explains
exactly the model whose predictions it audits.

    python3 Examples/engines/flipped_pass_engine.py [--model M.json] [--features F.csv] [--out P.csv]
"""
import argparse
import csv
import json
import math
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=os.path.join(ROOT, "Fixtures", "models", "flipped_pass.json"))
    ap.add_argument("--features", default=os.path.join(ROOT, "Fixtures", "flipped-classroom", "aggregated_fc.csv"))
    ap.add_argument("--out", default=os.path.join(ROOT, "Fixtures", "flipped-classroom", "pass_model_predictions.csv"))
    a = ap.parse_args()
    with open(a.model) as f:
        model = json.load(f)
    assert model["type"] == "logistic" and len(model["coefficients"]) == 1, "binary logistic model expected"
    coef, b = model["coefficients"][0], model["intercept"][0]
    mean, scale = model["scaler"]["mean"], model["scaler"]["scale"]
    with open(a.features, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["user", "pass", "p_pass", "predicted_pass"])
        for r in rows:
            z = b + sum(c * (float(r[name]) - m) / s for c, name, m, s in zip(coef, model["features"], mean, scale))
            p = 1.0 / (1.0 + math.exp(-z))
            w.writerow([r["user"], int(float(r["grade"]) >= 4), repr(p), int(p >= 0.5)])
    print(f"wrote {a.out} ({len(rows)} students)")


if __name__ == "__main__":
    main()
