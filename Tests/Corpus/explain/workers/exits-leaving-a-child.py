"""Starts a helper that inherits its stdout and stderr, then exits with status 7 without answering. The open pipe
gives no end-of-file: the exit must still be noticed at once, not after --timeout."""
import subprocess, sys
subprocess.Popen(["sleep", "4"])
sys.stderr.write("corpus worker: failed to load the model\n")
sys.stderr.flush()
sys.exit(7)
