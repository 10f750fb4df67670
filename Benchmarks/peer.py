#!/usr/bin/env python3
"""Peer (Python reference) timings for one benchmark case; prints one JSON object on stdout.

The thread count is set by the caller through OPENBLAS_NUM_THREADS / OMP_NUM_THREADS (before NumPy loads).
Timings are in-process (interpreter start-up and imports excluded), each repeated --repeat times; the minimum
wall time and the minimum CPU time (time.process_time, all threads) are reported.

  peer.py cluster    --file F [--labels-out L.json]   pandas read_csv + rbf_kernel(gamma=1/8) + SpectralClustering fit
  peer.py silhouette --file F                         silhouette_score(X, truth)
  peer.py ingest     --file F                         pandas.read_csv(F, dtype=float64)
"""
from __future__ import annotations

import argparse
import json
import os
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.cluster import SpectralClustering
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.metrics.pairwise import rbf_kernel

COLS = [f"x{j}" for j in range(8)]


class Timer:
    def __init__(self):
        self.wall = []
        self.cpu = []

    def __enter__(self):
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall.append(time.perf_counter() - self.w0)
        self.cpu.append(time.process_time() - self.c0)

    def summary(self) -> dict:
        return dict(wall_s=min(self.wall), cpu_s=min(self.cpu), wall_all=self.wall)


def case_cluster(a) -> dict:
    total, fit, load = Timer(), Timer(), Timer()
    labels = truth = None
    for _ in range(a.repeat):
        with total:
            with load:
                df = pd.read_csv(a.file)
                X = df[COLS].to_numpy(np.float64)
                A = rbf_kernel(X, gamma=a.gamma)
            with fit:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    sc = SpectralClustering(n_clusters=a.k, affinity="precomputed", random_state=0).fit(A)
        labels = sc.labels_
        truth = df["truth"].to_numpy()
        del A, sc
    if a.labels_out:
        with open(a.labels_out, "w") as fh:
            json.dump(dict(ids=df["id"].astype(str).tolist(), labels=labels.tolist()), fh)
    return dict(n=int(len(df)), total=total.summary(), fit=fit.summary(), load_affinity=load.summary(),
                ari_truth=float(adjusted_rand_score(truth, labels)))


def case_silhouette(a) -> dict:
    df = pd.read_csv(a.file)
    X = df[COLS].to_numpy(np.float64)
    y = df["truth"].to_numpy()
    t = Timer()
    value = None
    for _ in range(a.repeat):
        with t:
            value = float(silhouette_score(X, y))
    return dict(n=int(len(df)), total=t.summary(), silhouette=value)


def case_ingest(a) -> dict:
    t = Timer()
    df = None
    for _ in range(a.repeat):
        del df
        with t:
            df = pd.read_csv(a.file, dtype=np.float64)
    size = os.path.getsize(a.file)
    return dict(n=int(len(df)), columns=int(df.shape[1]), bytes=size, total=t.summary(),
                mb_per_s=size / 1e6 / t.summary()["wall_s"], column_sums=[float(v) for v in df.sum().to_numpy()])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["cluster", "silhouette", "ingest"])
    ap.add_argument("--file", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--gamma", type=float, default=0.125)
    ap.add_argument("--labels-out")
    a = ap.parse_args()
    res = dict(case_cluster=case_cluster, case_silhouette=case_silhouette, case_ingest=case_ingest)[f"case_{a.case}"](a)
    res["threads_env"] = {v: os.environ.get(v) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    try:
        from threadpoolctl import threadpool_info
        res["blas_threads"] = max((i.get("num_threads") or 0) for i in threadpool_info())
    except Exception:  # noqa: BLE001
        res["blas_threads"] = None
    print(json.dumps(res))


if __name__ == "__main__":
    main()
