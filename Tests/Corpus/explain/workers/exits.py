"""Reads the first request, complains on stderr and exits with status 3 without answering."""
import sys
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import read_request

read_request()
sys.stderr.write("corpus worker: out of licences\n")
sys.exit(3)
