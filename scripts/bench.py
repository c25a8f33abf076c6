#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench: speed and memory figures for ratesim.

Runs the built program on generated workloads (Poisson arrivals at about 90%
of the providers' capacity, three priorities, two providers) and prints, per
run, requests/s and events/s of wall time and the peak resident memory.
10^6 and 10^7 requests side by side show that memory does not grow with
the workload's length (the reader streams). Figures only: nothing here
passes or fails on speed.

Usage: python3 scripts/bench.py build/ratesim [--quick]
"""
import json
import os
import subprocess
import sys

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/ratesim")
QUICK = "--quick" in sys.argv
OUT = os.path.join("build", "bench")

SCENARIO = """[sim]
seed = 1
queue = priority

[provider api]
algo = token_bucket
rate = 600/s
burst = 50

[provider fallback]
algo = fixed_window
rate = 500/1s
"""

# awk keeps this fast and dependency-free; srand(1) makes it reproducible.
GEN = r'''BEGIN { srand(1); t = 0; print "at,client,priority";
  for (i = 0; i < n; i++) { t += -log(1 - rand()) / 1000;
    printf "%.6f,c%d,%d\n", t, i % 50, (rand() < 0.1) ? 2 : (rand() < 0.3) }
}'''


def workload(n):
    path = os.path.join(OUT, "wl-%d.csv" % n)
    if not os.path.exists(path):
        with open(path + ".tmp", "w") as f:
            subprocess.run(["awk", "-v", "n=%d" % n, GEN], stdout=f, check=True)
        os.rename(path + ".tmp", path)
    return path


def run(label, args):
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        fd = os.open(os.path.join(OUT, "out.json"),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.dup2(devnull, 2)
        os.execv(BIN, [BIN, *args, "--json"])
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        sys.exit("bench: %s failed (status %d)" % (label, status))
    with open(os.path.join(OUT, "out.json")) as f:
        j = json.load(f)
    secs = j["wall_ms"] / 1e3
    print("%-34s %10d %12.0f %12.0f %9.1f" % (
        label, j["requests"], j["requests"] / secs, j["events"] / secs,
        usage.ru_maxrss / 1024.0))
    return j


def main():
    os.makedirs(OUT, exist_ok=True)
    scn = os.path.join(OUT, "bench.ini")
    with open(scn, "w") as f:
        f.write(SCENARIO)
    sizes = [10**5] if QUICK else [10**6, 10**7]
    print("%-34s %10s %12s %12s %9s" % ("run", "requests", "requests/s",
                                        "events/s", "RSS MiB"))
    for n in sizes:
        wl = workload(n)
        run("%.0e --db none" % n, ["run", "-w", wl, "-c", scn, "--db", "none"])
    n = sizes[0]
    wl = workload(n)
    db = os.path.join(OUT, "bench.db")
    if os.path.exists(db):
        os.remove(db)
    run("%.0e --db (SQLite)" % n, ["run", "-w", wl, "-c", scn, "--db", db])
    for a in ("fixed_window", "sliding_log", "sliding_window", "token_bucket",
              "leaky_bucket", "gcra"):
        r = subprocess.run([BIN, "run", "-w", os.devnull, "-c", scn, "--db",
                            "none", "--algo", a], capture_output=True)
        if r.returncode == 2 and b"unknown algorithm" in r.stderr:
            continue
        run("%.0e --algo %s" % (n, a), ["run", "-w", wl, "-c", scn, "--db",
                                        "none", "--algo", a])


if __name__ == "__main__":
    main()
