#!/usr/bin/env python3
"""A CohortLens model worker using only the Python standard library.

CohortLens (`cohortlens explain --model-command "python3 model_worker.py ..."`) starts this program
once and exchanges binary frames on stdin/stdout (docs/model-bridge.md):

  request  = b"CLQ1" + rows (uint32 LE) + cols (uint32 LE)    + rows*cols    float64 LE, row-major
  response = b"CLA1" + rows (uint32 LE) + classes (uint32 LE) + rows*classes float64 LE, row-major

Usage:
  python3 model_worker.py MODEL.json              serve a CohortLens JSON logistic model (the bridge
                                                  carries probabilities: explain a "linear" model,
                                                  whose answers are raw values, with --model)
  python3 model_worker.py --python FILE.py:FUNC   serve FUNC(rows) from FILE.py, where rows is a
                                                  list of lists of floats and FUNC returns a list
                                                  of lists of probabilities (one list per row)

Write diagnostics to stderr only: stdout carries the frames. On an error, print it to stderr and
exit non-zero; CohortLens reports the tail of stderr.
"""
import importlib.util
import json
import math
import struct
import sys
from array import array

REQUEST = b"CLQ1"
RESPONSE = b"CLA1"


def read_exactly(stream, n):
    data = bytearray()
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            return None
        data.extend(chunk)
    return bytes(data)


def serve(predict):
    """Loop: read a request frame, call predict(rows) -> rows of outputs, write a response frame."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = read_exactly(stdin, 12)
        if header is None:
            return  # CohortLens closed our stdin: done
        if header[:4] != REQUEST:
            sys.exit("model_worker: bad request magic %r" % header[:4])
        rows, cols = struct.unpack("<II", header[4:])
        payload = read_exactly(stdin, rows * cols * 8)
        if payload is None:
            sys.exit("model_worker: truncated request")
        values = array("d")
        values.frombytes(payload)
        if sys.byteorder != "little":
            values.byteswap()
        matrix = [values[i * cols:(i + 1) * cols].tolist() for i in range(rows)]
        out = predict(matrix)
        classes = len(out[0]) if out else 0
        flat = array("d", (float(v) for row in out for v in row))
        if sys.byteorder != "little":
            flat.byteswap()
        stdout.write(RESPONSE + struct.pack("<II", len(out), classes) + flat.tobytes())
        stdout.flush()


def json_model(path):
    """predict(rows) for a CohortLens JSON model (same formulas as the built-in --model)."""
    with open(path) as f:
        m = json.load(f)
    if m.get("type") == "linear":
        sys.exit("model_worker: %s is a linear model: its answers are raw values, not probabilities, and the bridge "
                 "carries probabilities in [0, 1]; explain it with the built-in --model %s" % (path, path))
    coef = m["coefficients"]
    if coef and not isinstance(coef[0], list):
        coef = [coef]
    intercept = m.get("intercept", [0.0] * len(coef))
    if not isinstance(intercept, list):
        intercept = [intercept]
    scaler = m.get("scaler")

    names = m["features"]

    def predict(rows):
        if rows and len(rows[0]) != len(names):
            sys.exit("model_worker: the model has %d features (%s), the request has %d columns"
                     % (len(names), ", ".join(names), len(rows[0])))
        out = []
        for x in rows:
            if scaler:
                x = [(v - mu) / s for v, mu, s in zip(x, scaler["mean"], scaler["scale"])]
            scores = [sum(c * v for c, v in zip(row, x)) + b for row, b in zip(coef, intercept)]
            if len(scores) == 1:
                s = scores[0]
                p = 1.0 / (1.0 + math.exp(-s)) if s >= 0 else math.exp(s) / (1.0 + math.exp(s))
                out.append([1.0 - p, p])
            else:
                top = max(scores)
                e = [math.exp(s - top) for s in scores]
                t = sum(e)
                out.append([v / t for v in e])
        return out

    return predict


def python_function(spec):
    path, _, name = spec.rpartition(":")
    loaded = importlib.util.spec_from_file_location("cohortlens_user_model", path)
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return getattr(module, name)


def main(argv):
    if len(argv) == 2 and argv[1].endswith(".json"):
        serve(json_model(argv[1]))
    elif len(argv) == 3 and argv[1] == "--python":
        serve(python_function(argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
