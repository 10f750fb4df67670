"""Shared frame helpers for the corpus workers (standard library only; docs/model-bridge.md)."""
import struct
import sys
from array import array


def read_exactly(stream, n):
    data = bytearray()
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            return None
        data.extend(chunk)
    return bytes(data)


def read_request():
    """Returns (rows, cols) of the next request (its payload read and dropped), or None at EOF."""
    header = read_exactly(sys.stdin.buffer, 12)
    if header is None:
        return None
    rows, cols = struct.unpack("<II", header[4:])
    read_exactly(sys.stdin.buffer, rows * cols * 8)
    return rows, cols


def answer(rows, classes, value):
    """Writes a response frame of `rows` × `classes` copies of `value` (float or a function of (r, k))."""
    values = array("d", (value(r, k) if callable(value) else value for r in range(rows) for k in range(classes)))
    if sys.byteorder != "little":
        values.byteswap()
    out = sys.stdout.buffer
    out.write(b"CLA1" + struct.pack("<II", rows, classes))
    out.write(values.tobytes())
    out.flush()
