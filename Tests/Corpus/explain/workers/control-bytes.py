"""Answers with a frame whose first bytes are 'CL', a line feed and a backslash."""
import sys
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import read_request

read_request()
sys.stdout.buffer.write(b"CL\n\\" + b"x" * 8)
sys.stdout.flush()
while sys.stdin.buffer.read(65536):
    pass
