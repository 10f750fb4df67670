#!/usr/bin/env python3
"""Golden values for CohortLens' NumPy RandomState, k-means and cluster scores.

Reference: numpy 2.4.6 legacy RandomState, scikit-learn 1.9.1.
Run:  .venv/bin/python Scripts/golden/kmeans.py  (the venv Scripts/golden/regenerate.sh creates; any Python with requirements.txt)  (writes Fixtures/golden/kmeans.json)
Floats are written with repr (shortest round-trip), so Swift parses them back bit-exactly.
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.datasets import make_blobs
from sklearn.manifold import spectral_embedding
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_samples,
    silhouette_score,
)
from sklearn.metrics.pairwise import euclidean_distances, rbf_kernel
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Fixtures", "golden", "kmeans.json")


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=float).ravel()]


def random_section():
    out = {"seeds": []}
    for seed in [0, 1, 42, 4294967295]:
        rs = np.random.RandomState(seed)
        # randint over the full 32-bit range returns the raw MT19937 outputs
        u32 = [int(v) for v in rs.randint(0, 2**32, size=20, dtype=np.uint64)]
        rs = np.random.RandomState(seed)
        samples = flat(rs.random_sample(20))
        rs = np.random.RandomState(seed)
        gauss = flat(rs.standard_normal(21))
        rs = np.random.RandomState(seed)
        unif = flat(rs.uniform(-1, 1, 7))
        rs = np.random.RandomState(seed)
        perm = [int(v) for v in rs.permutation(20)]
        rs = np.random.RandomState(seed)
        p = np.array([0.1, 0.0, 0.25, 0.05, 0.3, 0.3])
        choices = [int(rs.choice(6, p=p)) for _ in range(30)]
        rs = np.random.RandomState(seed)
        ints = [int(v) for v in rs.randint(0, 1000, size=20)]
        rs = np.random.RandomState(seed)
        ints40 = [int(v) for v in rs.randint(0, 2**40 + 5, size=6)]
        rs = np.random.RandomState(seed)
        rs.uniform(-1, 1, 333)
        after_skip = flat(rs.random_sample(5))
        out["seeds"].append(
            {
                "seed": seed,
                "uint32": u32,
                "random_sample": samples,
                "gauss": gauss,
                "uniform_m1_1": unif,
                "permutation20": perm,
                "choice_p": flat(p),
                "choice": choices,
                "randint1000": ints,
                "randint_2_40_plus_5": ints40,
                "after_skip333": after_skip,
            }
        )
    # the raw MT19937 state words after seeding, for a direct check of init_genrand
    st = np.random.RandomState(42).get_state()
    out["state42_first8"] = [int(v) for v in st[1][:8]]
    return out


def kmeans_case(name, X, k, seed, n_init=10, check_spectral=None):
    rs = np.random.RandomState(seed)
    rs.uniform(-1, 1, X.shape[0])  # sklearn's ARPACK v0 draw in spectral_embedding
    km = KMeans(n_clusters=k, n_init=n_init, random_state=rs, algorithm="lloyd").fit(X)
    case = {
        "name": name,
        "rows": X.shape[0],
        "columns": X.shape[1],
        "x": flat(X),
        "k": k,
        "seed": seed,
        "n_init": n_init,
        "labels": [int(v) for v in km.labels_],
        "inertia": float(km.inertia_),
        "n_iter": int(km.n_iter_),
        "centers": flat(km.cluster_centers_),
    }
    if check_spectral is not None:
        assert np.array_equal(check_spectral, km.labels_), name
        case["equals_spectral_clustering"] = True
    return case


def kmeans_section():
    cases = []
    X1, _ = make_blobs(n_samples=500, n_features=8, centers=5, cluster_std=1.5, random_state=7)
    cases.append(kmeans_case("blobs8d_k5", X1, 5, 0))
    cases.append(kmeans_case("blobs8d_k7", X1, 7, 123))
    X2, _ = make_blobs(n_samples=400, n_features=2, centers=4, cluster_std=2.5, random_state=3)
    for k in range(2, 9):
        cases.append(kmeans_case(f"overlap2d_k{k}", X2, k, 1000 + k))
    # a real spectral embedding (sklearn's SpectralClustering path, affinity precomputed)
    X3, _ = make_blobs(n_samples=300, n_features=3, centers=4, cluster_std=1.2, random_state=11)
    A = rbf_kernel(X3, gamma=0.3)
    for seed in [0, 5]:
        sc = SpectralClustering(n_clusters=4, affinity="precomputed", random_state=seed).fit(A)
        maps = spectral_embedding(A, n_components=4, random_state=np.random.RandomState(seed), drop_first=False)
        cases.append(kmeans_case(f"spectral_embedding_seed{seed}", maps, 4, seed, check_spectral=sc.labels_))
    # duplicate points (ties, possibly empty clusters)
    rng = np.random.RandomState(99)
    X4 = np.repeat(rng.normal(size=(12, 2)).round(1), 5, axis=0)
    cases.append(kmeans_case("duplicates_k6", X4, 6, 4))
    # uniform noise, k=10, 5-D
    X5 = np.random.RandomState(5).uniform(size=(600, 5))
    cases.append(kmeans_case("uniform5d_k10", X5, 10, 77))
    # several chunks of 256 rows (OpenMP split of the centre sums), overlapping clusters
    X6, _ = make_blobs(n_samples=3000, n_features=10, centers=6, cluster_std=4.0, random_state=17)
    cases.append(kmeans_case("blobs10d_n3000_k8", X6, 8, 2024))
    # a sweep of seeds on the overlapping 2-D data
    for seed in range(20):
        cases.append(kmeans_case(f"overlap2d_k5_seed{seed}", X2, 5, 50000 + seed))
    return cases


def scores_case(name, X, labels):
    labels = np.asarray(labels)
    return {
        "name": name,
        "rows": X.shape[0],
        "columns": X.shape[1],
        "x": flat(X),
        "labels": [int(v) for v in labels],
        "silhouette_samples": flat(silhouette_samples(X, labels)),
        "silhouette_score": float(silhouette_score(X, labels)),
        "silhouette_precomputed": flat(
            silhouette_samples(euclidean_distances(X), labels, metric="precomputed")
        ),
        "davies_bouldin": float(davies_bouldin_score(X, labels)),
        "calinski_harabasz": float(calinski_harabasz_score(X, labels)),
    }


def scores_section():
    cases = []
    X1, y1 = make_blobs(n_samples=300, n_features=8, centers=5, cluster_std=2.0, random_state=21)
    cases.append(scores_case("blobs8d_true", X1, y1))
    X2, y2 = make_blobs(n_samples=150, n_features=2, centers=3, cluster_std=3.0, random_state=2)
    y2 = y2.copy()
    y2[17] = 7  # singleton cluster
    cases.append(scores_case("blobs2d_singleton", X2, y2))
    rng = np.random.RandomState(8)
    X3 = rng.normal(size=(97, 4)) * 50 + 1000
    y3 = rng.randint(0, 6, size=97) * 3 + 2  # non-contiguous label values
    cases.append(scores_case("shifted_random_labels", X3, y3))
    X4 = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    cases.append(scores_case("identical_points", X4, [0, 0, 1, 1, 1]))

    ari = []
    r = np.random.RandomState(3)
    pairs = [
        ([0, 0, 1, 1], [0, 0, 1, 1]),
        ([0, 0, 1, 1], [1, 1, 0, 0]),
        ([0, 0, 0, 0], [1, 1, 1, 1]),
        ([0, 1, 2, 3], [5, 6, 7, 8]),
        ([0, 0, 1, 2], [0, 0, 1, 1]),
        ([0, 0, 1, 1], [0, 1, 0, 1]),
        (list(r.randint(0, 5, 1000)), list(r.randint(0, 7, 1000))),
        (list(y1), list(KMeans(5, n_init=3, random_state=0).fit(X1).labels_)),
        (list(r.randint(0, 3, 50000)), list(r.randint(0, 4, 50000))),
    ]
    for a, b in pairs:
        ari.append({"a": [int(v) for v in a], "b": [int(v) for v in b], "ari": float(adjusted_rand_score(a, b))})
    return cases, ari


def main():
    scores, ari = scores_section()
    data = {
        "versions": {"numpy": np.__version__, "sklearn": sklearn.__version__},
        "openmp_threads": _openmp_effective_n_threads(),
        "random": random_section(),
        "kmeans": kmeans_section(),
        "scores": scores,
        "ari": ari,
    }
    with open(OUT, "w") as f:
        json.dump(data, f, separators=(",", ":"))
    print(OUT, os.path.getsize(OUT), "bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
