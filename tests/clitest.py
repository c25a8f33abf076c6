# SPDX-License-Identifier: MIT
"""The command-line tests' shared harness (tests/cli_*.py).

Each test file runs the built program on real files and checks its output
and its database. What they all need is here: the program under test (the
first argument, default build/ratesim), a scratch folder, check() counting
what passed and what failed (a failure prints one "FAIL name detail"
line), run() of the program, write()/read() of scratch files, and main(),
which runs a file's tests and ends with the line "NAME: N passed, N
failed" and a non-zero exit status on any failure.
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/ratesim")
TMP = tempfile.mkdtemp(prefix="ratesim-%s-" % os.path.basename(
    sys.argv[0]).replace("_test.py", "").replace("cli_", ""))
_counts = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    if cond:
        _counts["passed"] += 1
    else:
        _counts["failed"] += 1
        print("FAIL %s %s" % (name, str(detail)[:2000]))


def run(*args, stdin=None, cwd=None, env=None, timeout=300, binary=False,
        **kw):
    """The program with args; its output as text (bytes with binary)."""
    return subprocess.run([BIN, *args], input=stdin, capture_output=True,
                          text=not binary, cwd=cwd, env=env,
                          timeout=timeout, **kw)


def tmp(name):
    return os.path.join(TMP, name)


def write(name, text):
    """A scratch file holding text; returns its path."""
    path = tmp(name)
    with open(path, "w") as f:
        f.write(text)
    return path


def read(path):
    with open(path) as f:
        return f.read()


def tests_of(namespace):
    """A file's test_* functions, by name."""
    return [fn for name, fn in sorted(namespace.items())
            if name.startswith("test_") and callable(fn)]


def main(suite, tests):
    for fn in tests:
        fn()
    shutil.rmtree(TMP, ignore_errors=True)
    print("%s: %d passed, %d failed" % (suite, _counts["passed"],
                                        _counts["failed"]))
    sys.exit(1 if _counts["failed"] else 0)
