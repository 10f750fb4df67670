#!/usr/bin/env python3
"""Golden values for `cluster --series --graph knn:K`: the kNN graph of DTW distances.

Reference: tslearn 0.10.0, scikit-learn 1.9.1, SciPy 1.17.1, NumPy 2.4.6.
Run:  /work/venv/bin/python Scripts/golden/dtw_knn_graph.py  (writes Fixtures/golden/dtw_knn_graph.json)
Floats are written with repr (shortest round-trip), so Swift parses them back bit-exactly.

On Fixtures/flipped-classroom/hours_biweek_students.csv (30 learners x 27 biweeks, rows by student_id):
series normalised as `--normalize` says (none: raw hours; l2: each series / numpy.linalg.norm), D = tslearn
cdist_dtw (sakoe_chiba_radius = radius, or unconstrained), A = kneighbors_graph(D, K, metric='precomputed',
include_self=True), W = 0.5 (A + A^T), then for every k: SpectralClustering(n_clusters=k, affinity='precomputed',
random_state=0, n_init=10).fit(W).labels_, and the ascending eigenvalues of scipy's normalised Laplacian of W.
`neighbours` lists, per learner, the K column indices of row i of A (ascending). Each case asserts that no
learner's K-th and (K+1)-th smallest distances tie (the neighbour sets are then defined without a tie rule), and
records how many learners the affinity exp(-D^2) would rank differently (`rank_by_affinity_differs`): there the
affinity underflows to 0 or rounds to 1 and ties what the distances separate.
"""
import json
import os
import warnings

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np
import pandas as pd
import scipy.linalg
import sklearn
import tslearn
from scipy.sparse.csgraph import laplacian
from sklearn.cluster import SpectralClustering
from sklearn.neighbors import kneighbors_graph
from tslearn.metrics import cdist_dtw

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "Fixtures", "golden", "dtw_knn_graph.json")
HOURS = os.path.join(ROOT, "Fixtures", "flipped-classroom", "hours_biweek_students.csv")
CASES = [("none", 6, 5, [2, 3, 4]), ("l2", 6, 5, [2, 3, 4, 5]), ("l2", None, 8, [2, 3, 4])]


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=float).ravel()]


def main():
    df = pd.read_csv(HOURS)
    wide = df.pivot(index="student_id", columns="biweek_of_year", values="hours").sort_index(axis=0).sort_index(axis=1)
    raw = wide.to_numpy(dtype=float)
    cases = []
    for normalize, radius, K, ks in CASES:
        X = raw if normalize == "none" else np.array([s / np.linalg.norm(s) for s in raw])
        kw = {} if radius is None else dict(global_constraint="sakoe_chiba", sakoe_chiba_radius=radius)
        D = cdist_dtw(X[:, :, None], **kw)
        srt = np.sort(D, axis=1)
        assert (srt[:, K - 1] < srt[:, K]).all(), "a tie at the K-th neighbour"
        A = kneighbors_graph(D, K, metric="precomputed", include_self=True).toarray()
        assert (np.diag(A) == 1).all()
        W = 0.5 * (A + A.T)
        S = np.exp(-D ** 2)
        by_affinity = np.argsort(-S, axis=1, kind="stable")[:, :K]
        differs = sum(set(by_affinity[i]) != set(np.nonzero(A[i])[0]) for i in range(len(D)))
        ev = scipy.linalg.eigh(laplacian(W, normed=True), eigvals_only=True)
        per_k = []
        for k in ks:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                labels = SpectralClustering(n_clusters=k, affinity="precomputed", random_state=0,
                                            n_init=10).fit(W).labels_.astype(int)
            per_k.append({"k": k, "labels": labels.tolist()})
        cases.append({
            "normalize": normalize, "radius": radius, "knn": K,
            "neighbours": [sorted(np.nonzero(A[i])[0].tolist()) for i in range(len(D))],
            "rank_by_affinity_differs": int(differs),
            "eigenvalues": flat(ev[:12]), "per_k": per_k,
        })
    doc = {
        "reference": {"tslearn": tslearn.__version__, "scikit-learn": sklearn.__version__, "numpy": np.__version__},
        "ids": [str(int(v)) for v in wide.index],
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")
    for c in cases:
        print(c["normalize"], c["radius"], c["knn"], "rank_by_affinity_differs", c["rank_by_affinity_differs"])


if __name__ == "__main__":
    main()
