"""Sends half of a response frame, then exits 0."""
import struct
import sys
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import read_request

req = read_request()
sys.stdout.buffer.write(b"CLA1" + struct.pack("<II", req[0], 2) + b"\x00" * (req[0] * 8))
sys.stdout.flush()
