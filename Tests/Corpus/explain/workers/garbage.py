"""Answers the first request with text instead of a CLA1 frame, then waits for EOF."""
import sys
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import read_request

read_request()
sys.stdout.buffer.write(b"Hello! prediction = 0.73 for everyone\n" * 4)
sys.stdout.flush()
while sys.stdin.buffer.read(65536):
    pass
