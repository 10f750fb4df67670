#!/usr/bin/env python3
"""Serve a pickled scikit-learn classifier (anything with predict_proba) to CohortLens.

  cohortlens explain ... --model-command "python3 Examples/engines/sklearn_worker.py model.pkl"

Frames as in docs/model-bridge.md (b"CLQ1"/b"CLA1", uint32 LE counts, float64 LE values); NumPy
reads and writes them without copies. Only load pickles you trust: unpickling runs code.
"""
import pickle
import struct
import sys

import numpy as np

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


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: sklearn_worker.py MODEL.pkl")
    with open(argv[1], "rb") as f:
        model = pickle.load(f)
    if not hasattr(model, "predict_proba"):
        sys.exit("sklearn_worker: %s has no predict_proba" % type(model).__name__)
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
        X = np.frombuffer(payload, dtype="<f8").reshape(rows, cols)
        P = np.ascontiguousarray(model.predict_proba(X), dtype="<f8")
        stdout.write(RESPONSE + struct.pack("<II", P.shape[0], P.shape[1]))
        stdout.write(P.tobytes())
        stdout.flush()


if __name__ == "__main__":
    main(sys.argv)
