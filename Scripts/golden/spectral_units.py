#!/usr/bin/env python3
"""Unit-level golden values for CohortLens's spectral pipeline.

Reference: scikit-learn 1.9.1, SciPy 1.17.1, NumPy 2.4.6.
Writes Fixtures/golden/spectral_units.json (floats as shortest round-trip repr).

Run:  .venv/bin/python Scripts/golden/spectral_units.py  (the venv Scripts/golden/regenerate.sh creates; any Python with requirements.txt)
"""
import json
import pathlib

import numpy as np
import scipy
import scipy.linalg
import sklearn
from scipy.sparse import csgraph
from sklearn.manifold import spectral_embedding
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.neighbors import kneighbors_graph
from sklearn.preprocessing import MinMaxScaler, Normalizer, StandardScaler
from sklearn.utils.validation import check_symmetric

OUT = pathlib.Path(__file__).resolve().parents[2] / "Fixtures" / "golden" / "spectral_units.json"


def mat(a):
    return np.asarray(a, dtype=np.float64).tolist()


def main():
    rng = np.random.default_rng(20261123)

    # --- feature scaling: 15 x 6, column 2 constant, column 4 tiny spread at a large offset
    x = rng.normal(size=(15, 5)) * np.array([3.0, 0.5, 0.0, 10.0, 1e-9]) + np.array([5.0, -1.0, 2.5, 100.0, 1e3])
    x[:, 2] = 2.5
    # column 5: 1000 plus a few ulps -> flagged constant by `_is_constant_feature` (scale 1, only centred)
    ulp = np.spacing(1000.0)
    x = np.hstack([x, (1000.0 + ulp * rng.integers(0, 3, size=15))[:, None]])
    x_norm = x.copy()
    x_norm[3, :] = 0.0  # zero row for the Normalizer
    scaling = {
        "x": mat(x),
        "standard": mat(StandardScaler().fit_transform(x)),
        "standard_scale": mat(StandardScaler().fit(x).scale_),
        "minmax": mat(MinMaxScaler().fit_transform(x)),
        "x_norm": mat(x_norm),
        "l2": mat(Normalizer().fit_transform(x_norm)),
    }

    # --- affinity on standardised features (three loose groups, 30 x 3)
    centers = np.array([[0.0, 0.0, 0.0], [3.0, 3.0, 0.0], [0.0, 4.0, 3.0]])
    pts = np.vstack([c + rng.normal(scale=0.9, size=(10, 3)) for c in centers])
    xs = StandardScaler().fit_transform(pts)
    s_default = rbf_kernel(xs)  # gamma = 1 / n_features
    s_07 = rbf_kernel(xs, gamma=0.7)
    eps = 0.5
    w_eps = (s_07 > eps).astype(np.float64)
    knn = kneighbors_graph(xs, n_neighbors=4, include_self=True).toarray()
    w_knn = 0.5 * (knn + knn.T)
    affinity = {
        "x": mat(xs),
        "rbf_default": mat(s_default),
        "rbf_gamma": 0.7,
        "rbf_07": mat(s_07),
        "epsilon": eps,
        "epsilon_graph": mat(w_eps),
        "knn_k": 4,
        "knn_graph": mat(w_knn),
    }

    # asymmetric precomputed affinity -> check_symmetric repair
    a = rng.uniform(size=(6, 6))
    a_sym = check_symmetric(a, raise_warning=False)
    precomputed = {"a": mat(a), "symmetrized": mat(a_sym)}

    # --- Laplacians: W with a non-zero diagonal and an isolated node (node 4)
    w = rbf_kernel(xs[:8], gamma=0.3)
    w[4, :] = 0.0
    w[:, 4] = 0.0
    w[4, 4] = 0.7  # self-loop on the isolated node: ignored by the Laplacian
    l_norm, dd = csgraph.laplacian(w, normed=True, return_diag=True)
    l_un, deg = csgraph.laplacian(w, normed=False, return_diag=True)
    laplacian = {
        "w": mat(w),
        "normalized": mat(l_norm),
        "dd": mat(dd),
        "unnormalized": mat(l_un),
        "degree": mat(deg),
        "eigenvalues_normalized": mat(scipy.linalg.eigh(l_norm, eigvals_only=True)),
    }

    # --- spectral embedding on a connected, non-degenerate graph
    s = rbf_kernel(xs, gamma=0.25)
    k = 4
    emb = spectral_embedding(s, n_components=k, drop_first=False, random_state=0)
    emb_un = spectral_embedding(s, n_components=k, drop_first=False, norm_laplacian=False, random_state=0)
    l_s = csgraph.laplacian(s, normed=True)
    lam = scipy.linalg.eigh(l_s, eigvals_only=True)
    lam_un = scipy.linalg.eigh(csgraph.laplacian(s, normed=False), eigvals_only=True)
    # same graph with node 5 isolated (only its self-loop left): sklearn sets its diagonal to 1, so
    # it carries eigenvalue 1 and the 3 lowest eigenvectors come from the rest of the graph
    s_iso = s.copy()
    s_iso[5, :] = 0.0
    s_iso[:, 5] = 0.0
    s_iso[5, 5] = 1.0
    k_iso = 3
    emb_iso = spectral_embedding(s_iso, n_components=k_iso, drop_first=False, random_state=0)
    lam_iso = scipy.linalg.eigh(csgraph.laplacian(s_iso, normed=True), eigvals_only=True)
    embedding = {
        "affinity_isolated": mat(s_iso),
        "k_isolated": k_iso,
        "embedding_isolated": mat(emb_iso),
        "eigenvalues_isolated": mat(lam_iso),
        "affinity": mat(s),
        "k": k,
        "embedding": mat(emb),
        "embedding_unnormalized": mat(emb_un),
        "eigenvalues": mat(lam),
        "eigenvalues_unnormalized": mat(lam_un),
    }

    # --- eigengap: k = argmax(diff(lambda[:kmax+1])) + 1, first maximum on ties
    gap_cases = []
    for lst, kmax in [
        ([0.0, 0.0, 0.0, 0.5, 0.6, 0.7], 5),
        ([0.0, 0.25, 0.5, 0.75, 1.0], 4),  # all gaps tied -> 1
        ([0.0, 0.1, 0.2, 0.6, 0.7, 1.1, 1.2], 6),  # tie between gap 2 and gap 4 -> 3
        ([0.0, 0.9, 0.95, 1.0], 3),  # k = 1
        ([0.0, 0.01, 0.02, 0.03, 0.9, 1.5], 3),  # truncated at kmax+1 = 4 values -> 1
        ([0.0, 1e-12, 2e-12, 0.4, 0.41, 0.42, 0.43, 0.9], 5),
        (lam[:9].tolist(), 8),
        (lam_iso[:9].tolist(), 8),
    ]:
        vals = np.asarray(lst[: kmax + 1])
        gaps = np.diff(vals)
        gap_cases.append({"eigenvalues": lst, "kmax": kmax, "gaps": gaps.tolist(), "k": int(np.argmax(gaps)) + 1})

    doc = {
        "versions": {"sklearn": sklearn.__version__, "scipy": scipy.__version__, "numpy": np.__version__},
        "scaling": scaling,
        "affinity": affinity,
        "precomputed": precomputed,
        "laplacian": laplacian,
        "embedding": embedding,
        "eigengap": gap_cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    print("eigenvalues (normalized):", lam[:8])
    print("eigenvalues (isolated node 5):", lam_iso[:6])


if __name__ == "__main__":
    main()
