"""Answers one row fewer than requested (valid probabilities)."""
import sys
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import answer, read_request

while (req := read_request()) is not None:
    answer(req[0] - 1, 2, 0.5)
