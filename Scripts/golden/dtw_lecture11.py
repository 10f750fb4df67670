#!/usr/bin/env python3
"""Golden values for DTW parity at radius 0, 1, 6 and unconstrained, and for the lecture 11 pipeline.

Reference: tslearn 0.10.0, dtaidistance 2.5.1 (C extension), scikit-learn 1.9.1, SciPy 1.17.1, NumPy 2.4.6.
Run:  .venv/bin/python Scripts/golden/dtw_lecture11.py  (the venv Scripts/golden/regenerate.sh creates; any Python with requirements.txt)  (writes Fixtures/golden/dtw_lecture11.json)
Floats are written with repr (shortest round-trip), so Swift parses them back bit-exactly.

Sections
- matrices: tslearn cdist_dtw (sakoe_chiba_radius = 0, 1, 6, unconstrained) on
  * hours_l2: the 30 x 27 biweekly hours of Fixtures/flipped-classroom/hours_biweek_students.csv, each series
    divided by numpy.linalg.norm (the lecture's normalisation);
  * unequal: 24 random-normal series of lengths 8..30 (d = 1), tslearn's NaN-padded dataset;
  * multi3: 20 random-normal series of length 20 with d = 3;
  * fc11: the first 40 users of Fixtures/flipped-classroom/time_series_fc.csv, 10 weeks x the 11 features
    (raw values, weeks ordered by `week`).
  Each case also holds dtaidistance's distance_matrix_fast(window = r + 1) (dtw_ndim for d > 1; window None
  for unconstrained) and its max |difference| to tslearn, documenting window = r + 1.
- lecture11: the lecture 11 pipeline on hours_biweek_students.csv for w = 0, 6, 27: L2-normalised series,
  D = cdist_dtw(sakoe_chiba_radius=w), affinity W = exp(-gamma * D**2) with gamma = 1 (get_affinity_matrix),
  SpectralClustering(n_clusters=k, affinity='precomputed', random_state=0, n_init=10) for k = 2..9, the
  ascending eigenvalues of scipy's normalised Laplacian of W, the silhouette on the spectral embedding
  (spectral_embedding(W, n_components=k, drop_first=False, random_state=RandomState(0)), the convention of
  `cohortlens cluster`), and the ARI against the expert student_type. Each k is also refitted on 16
  rounding-level perturbations W * (1 + E), |E| ~ 1e-15: label sets that differ (ARI < 0.999) are recorded as
  `alternative_labels` (the reference is ill-conditioned there; e.g. w = 27, k = 8).
"""
import json
import os
import warnings

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import dtaidistance
import numpy as np
import pandas as pd
import scipy.linalg
import sklearn
import tslearn
from dtaidistance import dtw as dtai_dtw
from dtaidistance import dtw_ndim as dtai_ndim
from scipy.sparse.csgraph import laplacian
from sklearn.cluster import SpectralClustering
from sklearn.manifold import spectral_embedding
from sklearn.metrics import adjusted_rand_score, silhouette_score
from tslearn.utils import to_time_series_dataset

# The helpers shared with the kernel goldens (this directory is first on sys.path when run as a script).
from dtw import cdist, flat, rows  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "Fixtures", "golden", "dtw_lecture11.json")
HOURS = os.path.join(ROOT, "Fixtures", "flipped-classroom", "hours_biweek_students.csv")
FC = os.path.join(ROOT, "Fixtures", "flipped-classroom", "time_series_fc.csv")
FC_FEATURES = ["sessions", "time_in_problem", "time_in_video", "lecture_delay", "content_anticipation",
               "mean_playback_speed", "relative_video_pause", "submissions", "submissions_correct",
               "clicks_weekend", "clicks_weekday"]
RADII = [0, 1, 6, None]
PERTURBATIONS = 16


def dtai(series, d, r):
    window = None if r is None else r + 1
    if d == 1:
        return np.asarray(dtai_dtw.distance_matrix_fast([np.asarray(s, dtype=np.double) for s in series],
                                                        window=window, parallel=False))
    return np.asarray(dtai_ndim.distance_matrix_fast([np.asarray(s, dtype=np.double) for s in series],
                                                     window=window, parallel=False))


def hours_wide():
    df = pd.read_csv(HOURS)
    wide = df.pivot(index="student_id", columns="biweek_of_year", values="hours").sort_index(axis=0).sort_index(axis=1)
    truth = df.groupby("student_id")["student_type"].first().loc[wide.index].to_numpy()
    return wide, truth


def matrices_section():
    cases = []
    wide, _ = hours_wide()
    raw = wide.to_numpy(dtype=float)
    hours_l2 = [s / np.linalg.norm(s) for s in raw]
    rs = np.random.RandomState(11)
    lengths = rs.randint(8, 31, size=24)
    unequal = [rs.standard_normal(int(n)) for n in lengths]
    multi3 = [rs.standard_normal((20, 3)) for _ in range(20)]
    fc = pd.read_csv(FC)
    users = sorted(fc["user"].unique())[:40]
    fc11 = []
    for u in users:
        part = fc[fc["user"] == u].sort_values("week")
        fc11.append(part[FC_FEATURES].to_numpy(dtype=float))
    specs = [
        ("hours_l2", 1, [str(int(v)) for v in wide.index], hours_l2),
        ("unequal", 1, [str(i) for i in range(len(unequal))], unequal),
        ("multi3", 3, [str(i) for i in range(len(multi3))], multi3),
        ("fc11", 11, [str(int(u)) for u in users], fc11),
    ]
    for name, d, ids, series in specs:
        data = to_time_series_dataset([np.asarray(s).reshape(len(s), d) for s in series])
        entry = {"name": name, "d": d, "ids": ids, "series": [flat(s) for s in series], "cases": []}
        for r in RADII:
            t = cdist(data, r)
            a = dtai(series, d, r)
            entry["cases"].append({
                "radius": r, "tslearn": rows(t), "dtaidistance_window": None if r is None else r + 1,
                "dtaidistance": rows(a), "dtaidistance_max_abs_diff": float(np.max(np.abs(a - t))),
            })
        cases.append(entry)
    return cases


def lecture_section():
    wide, truth = hours_wide()
    X = wide.to_numpy(dtype=float)
    X = np.array([s / np.linalg.norm(s) for s in X])
    out = []
    for w in [0, 6, 27]:
        D = cdist(X, w)
        W = np.exp(-1.0 * D ** 2)
        L = laplacian(W, normed=True)
        ev = scipy.linalg.eigh(L, eigvals_only=True)
        per_k = []
        for k in range(2, 10):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                labels = SpectralClustering(n_clusters=k, affinity="precomputed", random_state=0,
                                            n_init=10).fit(W).labels_.astype(int)
                maps = spectral_embedding(W, n_components=k, drop_first=False, random_state=np.random.RandomState(0))
                # Conditioning: refit on W * (1 + E) with E symmetric, |E| ~ 1e-15 (rounding-level noise, as a
                # different BLAS thread count or eigensolver produces). Label sets not equal to `labels` are
                # listed: the reference itself is not determined beyond them.
                alternatives = []
                noise = np.random.RandomState(1)
                for _ in range(PERTURBATIONS):
                    e = noise.standard_normal(W.shape) * 1e-15
                    alt = SpectralClustering(n_clusters=k, affinity="precomputed", random_state=0,
                                             n_init=10).fit(W * (1 + (e + e.T) / 2)).labels_.astype(int)
                    if adjusted_rand_score(labels, alt) < 0.999 and all(
                            adjusted_rand_score(a, alt) < 0.999 for a in alternatives):
                        alternatives.append(alt.tolist())
                alt_silhouettes = [float(silhouette_score(maps, np.array(a))) for a in alternatives]
            per_k.append({
                "k": k, "labels": labels.tolist(), "silhouette": float(silhouette_score(maps, labels)),
                "ari_truth": float(adjusted_rand_score(truth, labels)),
                "stable_under_1e-15_perturbation": not alternatives,
                "alternative_labels": alternatives, "alternative_silhouettes": alt_silhouettes,
            })
        out.append({"radius": w, "eigenvalues": flat(ev[:20]), "per_k": per_k})
    return {"ids": [str(int(v)) for v in wide.index], "truth": [int(v) for v in truth], "gamma": 1.0, "cases": out}


def main():
    doc = {
        "reference": {"tslearn": tslearn.__version__, "dtaidistance": dtaidistance.__version__,
                      "scikit-learn": sklearn.__version__, "numpy": np.__version__},
        "matrices": matrices_section(),
        "lecture11": lecture_section(),
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
