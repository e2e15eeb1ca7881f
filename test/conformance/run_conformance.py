#!/usr/bin/env python3
"""Run the ONNX backend conformance tests against deepseek-convert.

For every selected test under the ONNX test-data root this compiles
model.onnx with BUILD/bin/deepseek-convert, runs each test_data_set_* with
BUILD/bin/deepseek-run, classifies the outcome, writes a deterministic
Markdown report and checks the results against an expected-pass list.

Standard library only, so it runs with any python3 (3.6+) without onnx or
numpy installed. See README.md next to this file.
"""

import argparse
import collections
import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

# fp32 default tolerances. rtol matches the ONNX backend test runner's
# default (1e-3); atol gives a little absolute slack (the runner's default is
# 1e-7) so outputs that round near zero do not fail on fp32 noise.
# Per-test overrides live in tolerances.txt.
DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-5

DEFAULT_DATA_ROOT = "/usr/include/onnx/backend/test/data"
DEFAULT_SUITES = ["node", "pytorch-converted", "pytorch-operator", "simple"]

SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(SCRIPT_DIR))
DEFAULT_TABLE = os.path.join(REPO_ROOT, "docs", "conformance.md")
DEFAULT_EXPECTED = os.path.join(SCRIPT_DIR, "expected-pass.txt")
DEFAULT_TOLERANCES = os.path.join(SCRIPT_DIR, "tolerances.txt")

# Every test gets exactly one of these; order is the column order in reports.
STATUSES = ["pass", "compiled", "mismatch", "run-error", "compile-error",
            "rejected", "unsupported"]
# What counts as passing: a run that matched, or with --stage compile a
# compile (and ptxas, for GPU targets) that succeeded.
PASSING = ("pass", "compiled")

DETAIL_MAX = 160
TOP_UNSUPPORTED_OPS = 50
UNSUPPORTED_OP_RE = re.compile(r"unsupported op '([^']+)'")
# Scratch files named by the tools vary per run; masked in details.
TEMP_PATH_RE = re.compile(re.escape(tempfile.gettempdir()) + r"/[^\s:'\"]+")


class Test(object):
    def __init__(self, suite, name, path):
        self.suite = suite
        self.name = name
        self.path = path  # directory holding model.onnx and the data sets

    @property
    def full_name(self):
        return self.suite + "/" + self.name


class Outcome(object):
    def __init__(self, status, detail="", ops=()):
        self.status = status
        self.detail = detail
        self.ops = list(ops)  # unsupported op names, for the frequency list


class ProcResult(object):
    def __init__(self, rc, out, err, timed_out=False):
        self.rc = rc  # None if the tool could not be executed at all
        self.out = out
        self.err = err
        self.timed_out = timed_out


class Interrupted(Exception):
    pass


# Subprocess bookkeeping so Ctrl-C can kill every running tool. Children run
# in their own session (so a timeout can kill linker/compiler grandchildren
# as a group), which also means they do not see the terminal's SIGINT.
_stop = threading.Event()
_active = set()
_active_lock = threading.Lock()


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass


def kill_all_active():
    with _active_lock:
        procs = list(_active)
    for proc in procs:
        _kill_group(proc)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt()


def run_cmd(cmd, timeout):
    if _stop.is_set():
        raise Interrupted()
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except OSError as e:
        return ProcResult(None, "", "error: cannot execute %s: %s"
                          % (os.path.basename(cmd[0]), e.strerror))
    with _active_lock:
        _active.add(proc)
    timed_out = False
    try:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
            try:
                out, err = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                # A grandchild escaped the group and holds the pipes open.
                out, err = b"", b""
    finally:
        with _active_lock:
            _active.discard(proc)
    if _stop.is_set():
        raise Interrupted()
    return ProcResult(proc.returncode, out.decode("utf-8", "replace"),
                      err.decode("utf-8", "replace"), timed_out)


# ---------------------------------------------------------------------------
# Classification helpers


def first_meaningful_line(*texts):
    """Prefer a line mentioning an error, then a mismatch, then any line."""
    lines = [l.strip() for t in texts for l in t.splitlines() if l.strip()]
    for keyword in ("error", "mismatch"):
        for line in lines:
            if keyword in line.lower():
                return line
    return lines[0] if lines else ""


def trim(text):
    text = " ".join(text.split())
    if len(text) > DETAIL_MAX:
        text = text[:DETAIL_MAX - 3] + "..."
    return text


def signal_name(rc):
    try:
        return signal.Signals(-rc).name
    except (ValueError, AttributeError):
        return "signal %d" % -rc


def failure_detail(res, timeout, sanitize):
    """One-line description of a failed tool run."""
    line = sanitize(first_meaningful_line(res.err, res.out))
    if res.timed_out:
        prefix = "timed out after %gs" % timeout
    elif res.rc is not None and res.rc < 0:
        prefix = "crashed (%s)" % signal_name(res.rc)
    elif res.rc not in (0, 1, 2) and res.rc is not None:
        prefix = "exit %d" % res.rc
    else:
        prefix = ""
    if prefix and line:
        return trim(prefix + ": " + line)
    return trim(prefix or line or "exit %s" % res.rc)


def data_sets(test):
    """test_data_set_<k> folders in numeric order."""
    sets = []
    for entry in os.listdir(test.path):
        m = re.match(r"test_data_set_(\d+)$", entry)
        if m and os.path.isdir(os.path.join(test.path, entry)):
            sets.append((int(m.group(1)), entry))
    return [entry for _, entry in sorted(sets)]


def saved_compile(outdir):
    """The compile result --stage compile left in `outdir`."""
    try:
        with open(os.path.join(outdir, "convert.rc")) as f:
            rc = f.read().strip()
        with open(os.path.join(outdir, "convert.log")) as f:
            log = f.read()
    except IOError:
        return ProcResult(None, "", "no compiled artifact in " + outdir)
    if rc == "timeout":
        return ProcResult(None, "", log, timed_out=True)
    return ProcResult(int(rc), "", log)


def assemble_ptx(outdir, ptxas, timeout):
    """Runs ptxas on every PTX file of an artifact, for the architecture
    its .target line names."""
    for name in sorted(os.listdir(outdir)):
        if not name.endswith(".ptx"):
            continue
        path = os.path.join(outdir, name)
        arch = "sm_80"
        with open(path) as f:
            for line in f:
                if line.startswith(".target"):
                    arch = line.split()[1].rstrip(",")
                    break
        res = run_cmd([ptxas, "-arch=" + arch, path, "-o", os.devnull],
                      timeout)
        if res.rc != 0 or res.timed_out:
            return res
    return ProcResult(0, "", "")


def run_test(test, tools, tolerances, args):
    """Compile and run one test; returns its Outcome."""
    rtol, atol = tolerances.get(test.full_name, (DEFAULT_RTOL, DEFAULT_ATOL))
    if args.keep_artifacts:
        outdir = os.path.join(args.keep_artifacts, test.suite, test.name)
        if args.stage != "run":
            shutil.rmtree(outdir, ignore_errors=True)
            os.makedirs(outdir)
    else:
        outdir = tempfile.mkdtemp(prefix="conformance-%s-" % test.name)

    data_root = args.data_root

    def sanitize(text):
        # Strip run-specific paths so the report stays byte-identical.
        text = text.replace(outdir, "OUTDIR").replace(data_root, "DATA")
        return TEMP_PATH_RE.sub("TMPFILE", text)

    try:
        if args.stage == "run":
            res = saved_compile(outdir)
        else:
            res = run_cmd([tools["convert"], "--input",
                           os.path.join(test.path, "model.onnx"),
                           "--output", outdir, "--emit", "lib"]
                          + args.convert_flag, args.timeout)
            if args.keep_artifacts:
                with open(os.path.join(outdir, "convert.log"), "w") as f:
                    f.write(res.out + res.err)
                with open(os.path.join(outdir, "convert.rc"), "w") as f:
                    f.write("timeout" if res.timed_out else str(res.rc))
        if res.rc == 2 and not res.timed_out:
            ops = sorted(set(UNSUPPORTED_OP_RE.findall(res.err)))
            if "unsupported" in res.err.lower():
                detail = ("unsupported op: " + ", ".join(ops) if ops
                          else failure_detail(res, args.timeout, sanitize))
                return Outcome("unsupported", trim(detail), ops)
            return Outcome("rejected",
                           failure_detail(res, args.timeout, sanitize))
        if res.rc != 0 or res.timed_out:
            return Outcome("compile-error",
                           failure_detail(res, args.timeout, sanitize))
        if args.stage != "run" and args.ptxas:
            res = assemble_ptx(outdir, args.ptxas, args.timeout)
            if res.rc != 0 or res.timed_out:
                return Outcome("compile-error", "ptxas: " + failure_detail(
                    res, args.timeout, sanitize))
        if args.stage == "compile":
            return Outcome("compiled")

        sets = data_sets(test)
        if not sets:
            return Outcome("run-error", "no test_data_set_* folders")
        # Run every data set; a run error outranks a mismatch.
        first = {}
        for ds in sets:
            ds_path = os.path.join(test.path, ds)
            res = run_cmd([tools["run"], outdir, "--inputs", ds_path,
                           "--expected", ds_path, "--rtol", repr(rtol),
                           "--atol", repr(atol)], args.timeout)
            if res.rc == 0 and not res.timed_out:
                continue
            status = ("mismatch" if res.rc == 1 and not res.timed_out
                      else "run-error")
            first.setdefault(status, trim(
                ds + ": " + failure_detail(res, args.timeout, sanitize)))
        for status in ("run-error", "mismatch"):
            if status in first:
                return Outcome(status, first[status])
        return Outcome("pass")
    finally:
        if not args.keep_artifacts:
            shutil.rmtree(outdir, ignore_errors=True)


# ---------------------------------------------------------------------------
# Inputs: tests, tolerances, expected-pass list


def discover_tests(data_root, suites, filter_re):
    tests = []
    for suite in suites:
        suite_dir = os.path.join(data_root, suite)
        if not os.path.isdir(suite_dir):
            fail("suite directory not found: %s" % suite_dir)
        for name in sorted(os.listdir(suite_dir)):
            path = os.path.join(suite_dir, name)
            if not os.path.isfile(os.path.join(path, "model.onnx")):
                continue
            test = Test(suite, name, path)
            if filter_re and not filter_re.search(test.full_name):
                continue
            tests.append(test)
    return tests


def strip_comment(line):
    return line.split("#", 1)[0].strip()


def read_tolerances(path):
    """Parse `suite/test rtol atol  # reason` lines."""
    tolerances = {}
    if not os.path.exists(path):
        return tolerances
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            fields = strip_comment(line).split()
            if not fields:
                continue
            try:
                if len(fields) != 3:
                    raise ValueError()
                tolerances[fields[0]] = (float(fields[1]), float(fields[2]))
            except ValueError:
                fail("%s:%d: expected 'suite/test rtol atol  # reason'"
                     % (path, lineno))
    return tolerances


def read_expected(path):
    if not os.path.exists(path):
        return set()
    with open(path) as f:
        return set(n for n in (strip_comment(l) for l in f) if n)


def write_expected(path, names):
    header = [
        "# Conformance tests that are expected to pass; one suite/test a line.",
        "# Generated by test/conformance/run_conformance.py --update-expected:",
        "# a listed test that stops passing is reported as a REGRESSION.",
    ]
    with open(path, "w") as f:
        f.write("\n".join(header + sorted(names)) + "\n")


def is_selected(full_name, suites, filter_re):
    suite = full_name.split("/", 1)[0]
    return suite in suites and (not filter_re or filter_re.search(full_name))


# ---------------------------------------------------------------------------
# Reporting


def count_by_suite(tests, results):
    counts = collections.OrderedDict()
    for test in tests:
        row = counts.setdefault(test.suite, collections.Counter())
        row["total"] += 1
        row[results[test.full_name].status] += 1
    total = collections.Counter()
    for row in counts.values():
        total.update(row)
    return counts, total


def md_escape(text):
    return re.sub(r"([\\|*`<>\[\]])", r"\\\1", text)


def write_table(path, tests, results, tolerances):
    tests = sorted(tests, key=lambda t: (t.suite, t.name))
    counts, total = count_by_suite(tests, results)
    cols = ["total"] + STATUSES
    out = [
        "# ONNX backend conformance",
        "",
        "Generated by `test/conformance/run_conformance.py`; do not edit by "
        "hand.",
        "",
        "## Summary",
        "",
        "| suite | " + " | ".join(cols) + " |",
        "|---|" + "---:|" * len(cols),
    ]
    for suite, row in list(counts.items()) + [("**all**", total)]:
        out.append("| %s | %s |" % (suite, " | ".join(
            str(row[c]) for c in cols)))

    out += ["", "## Tolerances", "",
            "Default: rtol %g, atol %g (fp32; rtol matches the ONNX backend "
            "runner)." % (DEFAULT_RTOL, DEFAULT_ATOL), ""]
    names = set(t.full_name for t in tests)
    overrides = sorted(n for n in tolerances if n in names)
    if overrides:
        out += ["| test | rtol | atol |", "|---|---:|---:|"]
        out += ["| %s | %g | %g |" % ((n,) + tolerances[n]) for n in overrides]
    else:
        out.append("No per-test overrides.")

    op_counts = collections.Counter()
    for test in tests:
        op_counts.update(results[test.full_name].ops)
    out += ["", "## Most frequent unsupported ops", "",
            "Number of tests rejected because of each op.", ""]
    if op_counts:
        ranked = sorted(op_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        out += ["| op | tests |", "|---|---:|"]
        out += ["| %s | %d |" % (md_escape(op), n)
                for op, n in ranked[:TOP_UNSUPPORTED_OPS]]
        if len(ranked) > TOP_UNSUPPORTED_OPS:
            out += ["", "... and %d more." % (len(ranked) - TOP_UNSUPPORTED_OPS)]
    else:
        out.append("None.")

    out += ["", "## Tests", "", "| suite | test | status | detail |",
            "|---|---|---|---|"]
    for test in tests:
        r = results[test.full_name]
        out.append("| %s | %s | %s | %s |" % (test.suite, test.name, r.status,
                                              md_escape(r.detail)))
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        os.makedirs(parent)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def print_summary(tests, results):
    counts, total = count_by_suite(tests, results)
    cols = ["total"] + STATUSES
    width = max([len(s) for s in counts] + [5])
    print("\n%-*s %s" % (width, "suite",
                         " ".join("%13s" % c for c in cols)))
    for suite, row in list(counts.items()) + [("total", total)]:
        print("%-*s %s" % (width, suite,
                           " ".join("%13d" % row[c] for c in cols)))


# ---------------------------------------------------------------------------


def fail(message):
    sys.stderr.write("run_conformance.py: error: %s\n" % message)
    sys.exit(2)


def default_ptxas():
    found = shutil.which("ptxas")
    if not found and os.access("/usr/local/cuda/bin/ptxas", os.X_OK):
        found = "/usr/local/cuda/bin/ptxas"
    return found or ""


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Run the ONNX backend conformance tests against "
                    "deepseek-convert / deepseek-run.")
    p.add_argument("--build", help="build directory containing bin/")
    p.add_argument("--suites", default=",".join(DEFAULT_SUITES),
                   help="comma-separated suites (default: %(default)s)")
    p.add_argument("--data-root", default=DEFAULT_DATA_ROOT,
                   help="ONNX test data root (default: %(default)s)")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                   help="parallel tests (default: CPU count)")
    p.add_argument("--filter", help="regex searched in suite/test names")
    p.add_argument("--expected-pass", default=DEFAULT_EXPECTED,
                   help="expected-pass list (default: %(default)s)")
    p.add_argument("--update-expected", action="store_true",
                   help="rewrite the expected-pass list from this run")
    p.add_argument("--table", help="Markdown report to write (default: "
                   "docs/conformance.md, unless --filter is given)")
    p.add_argument("--tolerances", default=DEFAULT_TOLERANCES,
                   help="per-test tolerance overrides (default: %(default)s)")
    p.add_argument("--timeout", type=float, default=300,
                   help="seconds per compile / per data set run "
                        "(default: %(default)s)")
    p.add_argument("--keep-artifacts", metavar="DIR",
                   help="keep each compiled test in DIR/suite/test")
    p.add_argument("--convert-flag", action="append", default=[],
                   metavar="FLAG",
                   help="extra deepseek-convert flag, e.g. --no-fusion "
                        "(repeatable; write --convert-flag=--no-fusion)")
    p.add_argument("--list-only", action="store_true",
                   help="print the selected test names and exit")
    p.add_argument("--stage", choices=["all", "compile", "run"],
                   default="all",
                   help="compile: compile (into --keep-artifacts) and stop, "
                        "status 'compiled'; run: run what a compile stage "
                        "left in --keep-artifacts, as on a GPU machine "
                        "without the compiler (default: both)")
    p.add_argument("--ptxas", default=default_ptxas(),
                   help="ptxas to assemble the PTX of GPU artifacts with "
                        "(default: the one on PATH or in /usr/local/cuda; "
                        "'' for none): %(default)s")
    args = p.parse_args(argv)
    if args.stage != "all" and not args.keep_artifacts:
        p.error("--stage %s needs --keep-artifacts" % args.stage)
    if args.jobs < 1:
        p.error("-j must be at least 1")
    if not args.list_only and not args.build:
        p.error("--build is required")
    return args


def main(argv):
    args = parse_args(argv)
    args.data_root = os.path.abspath(args.data_root)
    suites = [s for s in args.suites.split(",") if s]
    try:
        filter_re = re.compile(args.filter) if args.filter else None
    except re.error as e:
        fail("bad --filter regex: %s" % e)

    tests = discover_tests(args.data_root, suites, filter_re)
    if args.list_only:
        for test in tests:
            print(test.full_name)
        return 0 if tests else 1

    bin_dir = os.path.join(os.path.abspath(args.build), "bin")
    tools = {"convert": os.path.join(bin_dir, "deepseek-convert"),
             "run": os.path.join(bin_dir, "deepseek-run")}
    needed = [tools["run"]] if args.stage == "run" else list(tools.values())
    for path in needed:
        if not os.access(path, os.X_OK):
            fail("%s not found or not executable; build the tools first"
                 % path)
    if args.keep_artifacts:
        args.keep_artifacts = os.path.abspath(args.keep_artifacts)
    tolerances = read_tolerances(args.tolerances)
    expected = read_expected(args.expected_pass)

    if not tests:
        sys.stderr.write("run_conformance.py: no tests selected\n")

    # Treat SIGTERM (CI timeouts) like Ctrl-C so running tools get killed.
    signal.signal(signal.SIGTERM, _raise_interrupt)

    results = {}
    total = len(tests)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs)
    futures = {pool.submit(run_test, t, tools, tolerances, args): t
               for t in tests}
    try:
        for done, future in enumerate(
                concurrent.futures.as_completed(futures), 1):
            test = futures[future]
            try:
                outcome = future.result()
            except Interrupted:
                continue
            except Exception as e:  # harness bug or I/O error: keep going
                outcome = Outcome("run-error", trim("harness: %r" % e))
            results[test.full_name] = outcome
            print("[%d/%d] %s %s" % (done, total, outcome.status,
                                     test.full_name), flush=True)
    except KeyboardInterrupt:
        # Stop queued tests, kill running tools, report nothing partial.
        _stop.set()
        for future in futures:
            future.cancel()
        kill_all_active()
        pool.shutdown(wait=True)
        sys.stderr.write("\ninterrupted; no report written\n")
        return 130
    pool.shutdown(wait=True)

    if args.table or not args.filter:
        write_table(args.table or DEFAULT_TABLE, tests, results, tolerances)

    passing = set(n for n, r in results.items() if r.status in PASSING)
    for name in sorted(passing - expected):
        print("NEW PASS %s" % name)
    print_summary(tests, results)
    regressions = 0
    for name in sorted(expected):
        if not is_selected(name, suites, filter_re) or name in passing:
            continue
        r = results.get(name, Outcome("missing", "test not found in data root"))
        print("REGRESSION %s: %s %s" % (name, r.status, r.detail))
        regressions += 1

    if args.update_expected:
        kept = set(n for n in expected
                   if not is_selected(n, suites, filter_re))
        write_expected(args.expected_pass, kept | passing)
        print("updated %s (%d tests)" % (args.expected_pass,
                                         len(kept | passing)))
        regressions = 0  # the new list is the accepted baseline

    print("%d passed, %d failed" % (len(passing), len(results) - len(passing)))
    return 1 if regressions or not results else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
