#!/usr/bin/env python3
"""Golden values for CohortLens' χ² test of independence and Cramér's V.

Reference: scipy 1.17.1 `scipy.stats.chi2_contingency` (default correction=True: Yates when dof == 1) and
`scipy.stats.contingency.association(method="cramer")`; `scipy.special.gammaincc` for the incomplete gamma.
Run:  python Scripts/golden/contingency.py   (writes Fixtures/golden/contingency.json)
"""
import json
import os

import numpy as np
import scipy
from scipy.special import gammaincc
from scipy.stats import chi2_contingency
from scipy.stats.contingency import association

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Fixtures", "golden", "contingency.json")

rng = np.random.RandomState(12)
tables = [
    [[10, 20], [30, 25]],                        # 2 x 2: Yates
    [[3, 1], [1, 3]],                            # 2 x 2 small counts, |O-E| = 1
    [[12, 5, 7], [3, 9, 14], [8, 8, 2]],         # 3 x 3
    [[40, 2], [38, 1], [10, 30], [5, 25]],       # 4 x 2, strong association
    rng.randint(0, 60, size=(5, 4)).tolist(),    # random 5 x 4
    [[100, 100, 100], [100, 100, 101]],          # nearly independent
    [[500, 20], [20, 500]],                      # tiny p-value
]
cases = []
for t in tables:
    obs = np.asarray(t)
    res = chi2_contingency(obs)
    cases.append(dict(
        counts=[[int(v) for v in row] for row in t],
        statistic=float(res.statistic), pvalue=float(res.pvalue), dof=int(res.dof),
        expected=[[float(v) for v in row] for row in res.expected_freq],
        cramers_v=float(association(obs, method="cramer")),
    ))
gamma = []
for a, x in [(0.5, 0.1), (0.5, 3.0), (1.0, 2.0), (2.5, 1.0), (4.0, 10.0), (6.0, 5.5), (12.0, 30.0), (50.0, 45.0), (0.5, 40.0)]:
    gamma.append(dict(a=a, x=x, q=float(gammaincc(a, x))))
with open(OUT, "w") as f:
    json.dump(dict(reference=f"scipy {scipy.__version__}", tables=cases, gammaincc=gamma), f, indent=1)
    f.write("\n")
print("wrote", OUT)
