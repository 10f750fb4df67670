#!/usr/bin/env python3
"""Serve a pickled scikit-learn classifier (anything with predict_proba) to CohortLens.

  cohortlens explain ... --model-command "python3 Examples/engines/sklearn_worker.py model.pkl"

Frames as in docs/model-bridge.md (b"CLQ1"/b"CLA1", uint32 LE counts, float64 LE values); NumPy
reads and writes them without copies. Without NumPy (or with COHORTLENS_WORKER_NO_NUMPY=1) the
standard library is used: predict_proba then receives a list of lists of floats and must return
one list of probabilities per row. Only load pickles you trust: unpickling runs code.
"""
import os
import pickle
import struct
import sys
from array import array

try:
    if os.environ.get("COHORTLENS_WORKER_NO_NUMPY"):
        raise ImportError("disabled by COHORTLENS_WORKER_NO_NUMPY")
    import numpy as np
except ImportError:
    np = None

REQUEST = b"CLQ1"
RESPONSE = b"CLA1"


def read_exactly(stream, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = stream.readinto(view[got:])
        if not k:
            return None
        got += k
    return buf


def predict_numpy(model, payload, rows, cols):
    X = np.frombuffer(payload, dtype="<f8").reshape(rows, cols)
    P = np.ascontiguousarray(model.predict_proba(X), dtype="<f8")
    if P.ndim != 2:
        sys.exit("sklearn_worker: predict_proba returned shape %r; expected (rows, classes)" % (P.shape,))
    return P.shape[0], P.shape[1], P.tobytes()


def predict_stdlib(model, payload, rows, cols):
    flat = array("d")
    flat.frombytes(bytes(payload))
    if sys.byteorder != "little":
        flat.byteswap()
    X = [flat[i * cols:(i + 1) * cols].tolist() for i in range(rows)]
    P = [[float(v) for v in row] for row in model.predict_proba(X)]
    classes = len(P[0]) if P else 0
    if any(len(row) != classes for row in P):
        sys.exit("sklearn_worker: predict_proba returned rows of different lengths")
    out = array("d", [v for row in P for v in row])
    if sys.byteorder != "little":
        out.byteswap()
    return len(P), classes, out.tobytes()


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: sklearn_worker.py MODEL.pkl")
    with open(argv[1], "rb") as f:
        model = pickle.load(f)
    if not hasattr(model, "predict_proba"):
        sys.exit("sklearn_worker: %s has no predict_proba" % type(model).__name__)
    predict = predict_numpy if np is not None else predict_stdlib
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = read_exactly(stdin, 12)
        if header is None:
            return
        if bytes(header[:4]) != REQUEST:
            sys.exit("sklearn_worker: bad request magic %r" % bytes(header[:4]))
        rows, cols = struct.unpack("<II", header[4:])
        payload = read_exactly(stdin, rows * cols * 8)
        if payload is None:
            sys.exit("sklearn_worker: truncated request")
        out_rows, classes, body = predict(model, payload, rows, cols)
        stdout.write(RESPONSE + struct.pack("<II", out_rows, classes))
        stdout.write(body)
        stdout.flush()


if __name__ == "__main__":
    main(sys.argv)
