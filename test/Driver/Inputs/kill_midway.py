"""Starts a deepseek-convert command and kills it with SIGKILL mid-compile:
once its staging directory (OUTPUT.tmp-*) exists, after DELAY more seconds.

Usage: kill_midway.py DELAY COMMAND... (COMMAND holds --output OUTPUT)
Fails if the command finished before it could be killed (the test would
prove nothing) or never started staging.
"""
import glob
import signal
import subprocess
import sys
import time

delay, command = float(sys.argv[1]), sys.argv[2:]
output = command[command.index("--output") + 1]
proc = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
deadline = time.monotonic() + 60
while not glob.glob(output + ".tmp-*"):
    if proc.poll() is not None or time.monotonic() > deadline:
        sys.exit("the compile ended (%s) before staging its output" %
                 proc.poll())
    time.sleep(0.01)
time.sleep(delay)
if proc.poll() is not None:
    sys.exit("the compile finished before the kill; give it a bigger model")
proc.send_signal(signal.SIGKILL)
proc.wait()
print("killed mid-compile")
