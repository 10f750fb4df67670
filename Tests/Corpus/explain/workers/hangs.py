"""Writes its pid to argv[1], then never answers (sleeps): the caller's --timeout must kill it.

The corpus starts it as `sh -c 'echo $$ > PIDFILE; exec python3 hangs.py PIDFILE'`, so the pid is on file
even when a loaded machine takes longer than the timeout to start Python (exec keeps the pid)."""
import os
import sys
import time
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import read_request

with open(sys.argv[1], "w") as f:
    f.write(str(os.getpid()))
read_request()
sys.stderr.write("corpus worker: loading weights...\n")
sys.stderr.flush()
time.sleep(300)
