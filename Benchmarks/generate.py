#!/usr/bin/env python3
"""Generate the benchmark inputs into Benchmarks/data/ (gitignored).

  blobs8_n{N}.csv  make_blobs(N, centers=5, n_features=8, random_state=0); columns id,x0..x7,truth; floats repr
  ingest_1m.csv    1,000,000 rows x 12 numeric columns: id, i0..i3 (ints), f0..f6 (floats '%.10g',
                   column fj ~ N(0,1) * 10^(j-3), i.e. magnitudes 1e-3 .. 1e3), ~118 MB

Existing files are kept unless --force is given (a .done marker records the generator parameters).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_blobs

HERE = Path(__file__).resolve().parent
BLOB_SIZES = [1000, 2000, 4000, 8000, 20000]
INGEST_ROWS = 1_000_000


def write_blobs(path: Path, n: int) -> None:
    X, y = make_blobs(n_samples=n, centers=5, n_features=8, random_state=0)
    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(8)])
    df.insert(0, "id", np.arange(n))
    df["truth"] = y
    df.to_csv(path, index=False)  # float64 written as repr: exact round-trip
    back = pd.read_csv(path)
    assert np.array_equal(back[[f"x{j}" for j in range(8)]].to_numpy(), X), "round-trip failed"


def write_ingest(path: Path, rows: int) -> None:
    rng = np.random.default_rng(0)
    cols = {"id": np.arange(1, rows + 1)}
    for j in range(4):
        cols[f"i{j}"] = rng.integers(0, 10 ** (j + 2), rows)
    for j in range(7):
        cols[f"f{j}"] = rng.standard_normal(rows) * 10.0 ** (j - 3)
    pd.DataFrame(cols).to_csv(path, index=False, float_format="%.10g")


def generate(out: Path, force: bool, sizes: list[int], ingest_rows: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(out / f"blobs8_n{n}.csv", f"blobs n={n}", lambda p, n=n: write_blobs(p, n)) for n in sizes]
    jobs.append((out / "ingest_1m.csv", f"ingest rows={ingest_rows}", lambda p: write_ingest(p, ingest_rows)))
    for path, tag, fn in jobs:
        marker = path.with_suffix(path.suffix + ".done")
        if not force and path.exists() and marker.exists() and marker.read_text() == tag:
            print(f"  keep {path.name}")
            continue
        t0 = time.perf_counter()
        fn(path)
        marker.write_text(tag)
        print(f"  wrote {path.name} ({path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=HERE / "data")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--sizes", default=",".join(map(str, BLOB_SIZES)))
    ap.add_argument("--ingest-rows", type=int, default=INGEST_ROWS)
    a = ap.parse_args()
    generate(a.out, a.force, [int(s) for s in a.sizes.split(",") if s], a.ingest_rows)


if __name__ == "__main__":
    main()
