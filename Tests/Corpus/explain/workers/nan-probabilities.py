"""Answers NaN for class 0 of row 5 of every request, 0.5 everywhere else."""
import sys
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import answer, read_request

while (req := read_request()) is not None:
    answer(req[0], 2, lambda r, k: float("nan") if (r == 5 and k == 0) else 0.5)
