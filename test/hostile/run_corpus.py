"""Runs deepseek-convert on every case of a corpus from make_corpus.py and
checks that each is rejected cleanly: exit code 2 (no signal, no timeout),
exactly one line on stderr, `deepseek-convert: error:`, naming the model
file and matching the case's expectation, and nothing written (no output
directory, no staging directory beside it). `deepseek-convert inspect`
reads each too: it may summarize what it can or refuse (exit 0 or 2), but
not crash or hang.

Usage: run_corpus.py DEEPSEEK_CONVERT CORPUS_DIR
Prints one line per failing case and a summary; exits 1 if any failed.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

convert, corpus = sys.argv[1], sys.argv[2]
cases = json.load(open(os.path.join(corpus, "cases.json")))
failures = []
scratch = tempfile.mkdtemp(prefix="hostile-")
for case in cases:
    out = os.path.join(scratch, case["name"])
    try:
        proc = subprocess.run([convert, "--input", case["model"], "--output",
                               out], capture_output=True, text=True,
                              errors="replace", timeout=120)
    except subprocess.TimeoutExpired:
        failures.append("%s: timed out" % case["name"])
        continue
    lines = proc.stderr.splitlines()
    problem = None
    if proc.returncode != 2:
        problem = "exit code %d" % proc.returncode
    elif len(lines) != 1:
        problem = "%d lines on stderr" % len(lines)
    elif not lines[0].startswith("deepseek-convert: error: "):
        problem = "not an error line"
    elif case["model"] not in lines[0]:
        problem = "the file is not named"
    elif not re.search(case["expect"], lines[0], re.IGNORECASE):
        problem = "does not match /%s/" % case["expect"]
    elif os.listdir(scratch):
        problem = "output left behind: %s" % os.listdir(scratch)
    if problem:
        failures.append("%s: %s: %s" % (case["name"], problem,
                                         proc.stderr.strip()[:300]))
        continue
    try:
        inspected = subprocess.run([convert, "inspect", case["model"]],
                                   capture_output=True, text=True,
                                   errors="replace", timeout=120)
    except subprocess.TimeoutExpired:
        failures.append("%s: inspect timed out" % case["name"])
        continue
    if inspected.returncode not in (0, 2):
        failures.append("%s: inspect exit code %d: %s" % (
            case["name"], inspected.returncode, inspected.stderr.strip()[:300]))
shutil.rmtree(scratch, ignore_errors=True)
for failure in failures:
    print("FAIL " + failure)
print("%d of %d hostile cases rejected cleanly" %
      (len(cases) - len(failures), len(cases)))
sys.exit(1 if failures else 0)
