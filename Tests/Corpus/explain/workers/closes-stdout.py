"""Reads the first request, closes its stdout and keeps running (reading its input until EOF)."""
import os, sys
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import read_request

read_request()
os.close(1)
while sys.stdin.buffer.read(65536):
    pass
