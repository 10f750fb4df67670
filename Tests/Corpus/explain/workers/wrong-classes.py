"""Answers three classes per row when the run expects two (--class-names fail,pass)."""
import sys
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import answer, read_request

while (req := read_request()) is not None:
    answer(req[0], 3, 1.0 / 3.0)
