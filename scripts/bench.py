#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench: speed and memory figures for ratesim, one line each.

Every timed figure is the median of RUNS runs (default 5), so a noisy
machine moves it less; ratios are taken within this one run of the bench.
Lines 2 and 5 are timed interleaved, round by round (the peer once, then
ratesim three times), so that both meet the same minutes of a shared
machine: line 2 is the median of 3 * RUNS runs, line 5 of RUNS.
  1. kernel: the event heap's hold model (10^4 pending events);
  2. end to end, --db none, on the reference workload: the SimPy peer's
     (tests/peers/simpy_token_bucket.py: one token bucket 1000/s burst 10,
     10^6 Poisson arrivals at 900/s, seed 42), parsing included;
  3. recording: dispatch rows/s into SQLite, beside this machine's bare
     SQLite insert rate into the same table (the sqlite3 shell, one
     transaction): into a new file as it comes (a rollback journal), into
     one in WAL mode as ratesim keeps its database (so that several runs
     can append at once), and into WAL without SQLite evaluating the
     outcome's CHECK, as ratesim's own connection writes (its rows name
     only valid outcomes): the like-for-like ceiling. The bare rows hold
     times as the reference run's do (nanoseconds over some 1100 s, six
     bytes a value), so the files come out the same size;
  4. peak RSS for 10^6 and 10^7 requests (the reader streams);
  5. the peer itself in SimPy 3 when python3-simpy3 is installed, and the
     ratio;
  6. `compare` of three algorithms on the same 10^6 requests, figures
     (gnuplot) included: recording every dispatch, and with --db none
     (aggregated in memory, nothing recorded);
then requests/s of each algorithm on the same 10^6 requests.
Figures only: nothing here passes or fails on speed.

Usage: python3 scripts/bench.py build/ratesim [--quick]
"""
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/ratesim")
QUICK = "--quick" in sys.argv
RUNS = 3 if QUICK else 5
N = 10**5 if QUICK else 10**6
OUT = os.path.join("build", "bench")
PEER = os.path.join("tests", "peers", "simpy_token_bucket.py")
DEBIAN_PY = "/usr/bin/python3"

SCENARIO = """[sim]
queue = fifo

[provider bucket]
algo = token_bucket
rate = 1000/s
burst = 10
"""

SCHEMA = """CREATE TABLE dispatches(
  run_id INTEGER, req_id INTEGER, attempt INTEGER, client TEXT,
  priority INTEGER, cost INTEGER, t_arrive INTEGER, t_ready INTEGER,
  t_dispatch INTEGER, t_done INTEGER, provider_id INTEGER,
  outcome TEXT CHECK(outcome IN ('ok','failed','rejected','expired','dropped')),
  PRIMARY KEY(run_id, req_id, attempt));"""


def line(label, value, note=""):
    print("%-44s %16s  %s" % (label, value, note))


def peer_workload(n):
    """The peer's workload as a ratesim CSV (exact decimal seconds)."""
    path = os.path.join(OUT, "peer-%d.csv" % n)
    if os.path.exists(path):
        return path
    raw = path + ".raw"
    py = DEBIAN_PY if os.path.exists(DEBIAN_PY) else sys.executable
    subprocess.run([py, PEER, "--n", str(n), "--write-workload", raw],
                   check=True)
    with open(raw) as f, open(path + ".tmp", "w") as g:
        next(f)
        g.write("at,id\n")
        for row in f:
            i, t, _ = row.split(",")
            t = int(t)
            g.write("%d.%09d,%s\n" % (t // 10**9, t % 10**9, i))
    os.remove(raw)
    os.rename(path + ".tmp", path)
    return path


def big_workload(n):
    """n arrivals at 900/s (awk: fast, reproducible), for memory only."""
    path = os.path.join(OUT, "big-%d.csv" % n)
    if not os.path.exists(path):
        gen = (r'BEGIN { srand(1); t = 0; print "at"; for (i = 0; i < n; i++)'
               r' { t += -log(1 - rand()) / 900; printf "%.6f\n", t } }')
        with open(path + ".tmp", "w") as f:
            subprocess.run(["awk", "-v", "n=%d" % n, gen], stdout=f,
                           check=True)
        os.rename(path + ".tmp", path)
    return path


def ratesim(args):
    """Runs ratesim --json; returns (summary, peak RSS in MiB), the summary
    with the whole process's wall time (commit included) as "wall_s"."""
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.path.join(OUT, "out.json"),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        os.execv(BIN, [BIN, *args, "--json"])
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    if status != 0:
        sys.exit("bench: ratesim %s failed (status %d)" % (args, status))
    with open(os.path.join(OUT, "out.json")) as f:
        j = json.load(f)
    j["wall_s"] = wall
    return j, usage.ru_maxrss / 1024.0


def median_run(args, db=None):
    walls = []
    for _ in range(RUNS):
        if db and os.path.exists(db):
            os.remove(db)
        j, _ = ratesim(args)
        walls.append(j["wall_s"])
    return statistics.median(walls), j


def kernel():
    exe = os.path.join(OUT, "hold")
    subprocess.run(["cc", "-O2", "-std=c11", "-D_POSIX_C_SOURCE=200809L",
                    "-I.", "bench/hold.c", "build/libratesim.a", "-lm", "-o",
                    exe], check=True)
    rates = []
    for _ in range(RUNS):
        out = subprocess.run([exe, "2000000" if QUICK else "20000000"],
                             capture_output=True, text=True, check=True).stdout
        rates.append(float(re.search(r"([\d.]+) events/s", out).group(1)))
    line("1. kernel: hold model, 10^4 pending", "%.1f M ev/s"
         % (statistics.median(rates) / 1e6))


def bare_sqlite(n, wal=False, check=True):
    """Rows/s of the sqlite3 shell inserting n rows in one transaction,
    with ratesim's journal settings when wal, and without evaluating the
    CHECK when not check."""
    db = os.path.join(OUT, "bare.db")
    pre = "PRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\n"
    if not check:
        pre += "PRAGMA ignore_check_constraints = ON;\n"
    sql = ((pre if wal else "") + SCHEMA + "\nBEGIN;\nINSERT INTO dispatches SELECT 1, value, 1, "
           "'default', 0, 1, value * 1111111, value * 1111111, "
           "value * 1111111 + 7, value * 1111111 + 7, 0, 'ok' "
           "FROM generate_series(1, %d);\nCOMMIT;\n" % n)
    walls = []
    for _ in range(RUNS):
        for f in (db, db + "-wal", db + "-shm"):
            if os.path.exists(f):
                os.remove(f)
        t = datetime.datetime.now()
        subprocess.run(["sqlite3", db], input=sql, text=True, check=True,
                       stdout=subprocess.DEVNULL)
        walls.append((datetime.datetime.now() - t).total_seconds())
    return n / statistics.median(walls)


def compare(wl, scn, record=True):
    """Wall time of `ratesim compare` of three algorithms, figures made,
    into a fresh database (or none)."""
    db = os.path.join(OUT, "compare.db") if record else "none"
    out = os.path.join(OUT, "compare")
    walls = []
    for _ in range(RUNS):
        for f in (db, db + "-wal", db + "-shm") if record else ():
            if os.path.exists(f):
                os.remove(f)
        t0 = time.monotonic()
        subprocess.run([BIN, "compare", "-w", wl, "-c", scn, "--algos",
                        "token_bucket,sliding_log,gcra", "--db", db, "--out",
                        out], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        walls.append(time.monotonic() - t0)
    return statistics.median(walls)


def have_simpy():
    return os.path.exists(DEBIAN_PY) and subprocess.run(
        [DEBIAN_PY, "-c", "import simpy"], capture_output=True).returncode == 0


def simpy_peer(n):
    """The peer's own loop time (sim_loop_s), one run."""
    out = subprocess.run([DEBIAN_PY, PEER, "--engine", "simpy3", "--n",
                          str(n)], capture_output=True, text=True,
                         check=True).stdout
    return float(re.search(r"sim_loop_s=([\d.]+)", out).group(1))


def end_to_end(wl, scn):
    """Lines 2 and 5, interleaved: (ratesim's median wall, its last
    summary, the peer's median loop time or None)."""
    walls, peers, simpy = [], [], have_simpy()
    for _ in range(RUNS):
        if simpy:
            peers.append(simpy_peer(N))
        for _ in range(3):
            j, _ = ratesim(["run", "-w", wl, "-c", scn, "--db", "none"])
            walls.append(j["wall_s"])
    return (statistics.median(walls), j,
            statistics.median(peers) if peers else None)


def main():
    os.makedirs(OUT, exist_ok=True)
    scn = os.path.join(OUT, "peer.ini")
    with open(scn, "w") as f:
        f.write(SCENARIO)
    print("ratesim bench, %s, %s, %d cores, median of %d runs" % (
        datetime.date.today().isoformat(), platform.machine(),
        os.cpu_count(), RUNS))
    kernel()
    wl = peer_workload(N)
    wall, j, peer = end_to_end(wl, scn)
    line("2. run --db none, %.0e requests" % N, "%.3f s" % wall,
         "%.2f M req/s, %.2f M ev/s" % (N / wall / 1e6,
                                        j["events"] / wall / 1e6))
    db = os.path.join(OUT, "bench.db")
    rec, _ = median_run(["run", "-w", wl, "-c", scn, "--db", db], db)
    bare, bare_wal = bare_sqlite(N), bare_sqlite(N, True)
    bare_nock = bare_sqlite(N, True, False)
    line("3. run --db FILE (rows/s)", "%.0f k rows/s" % (N / rec / 1e3),
         "bare SQLite insert %.0f k rows/s: %.0f%%" % (
             bare / 1e3, 100 * (N / rec) / bare))
    line("", "", "bare, WAL as ratesim's %.0f k rows/s: %.0f%%" % (
        bare_wal / 1e3, 100 * (N / rec) / bare_wal))
    line("", "", "bare, WAL, CHECK not evaluated %.0f k rows/s: %.0f%%" % (
        bare_nock / 1e3, 100 * (N / rec) / bare_nock))
    for n in ([10**5] if QUICK else [10**6, 10**7]):
        _, rss = ratesim(["run", "-w", big_workload(n), "-c", scn, "--db",
                          "none"])
        line("4. peak RSS, %.0e requests" % n, "%.1f MiB" % rss)
    if peer is None:
        line("5. SimPy 3 peer", "-", "python3-simpy3 not installed")
    else:
        line("5. SimPy 3 peer (lean), same workload", "%.3f s" % peer,
             "ratesim is %.1fx faster" % (peer / wall))
    line("6. compare, 3 algorithms, figures included", "%.2f s"
         % compare(wl, scn), "recording every dispatch")
    line("   the same, --db none", "%.2f s" % compare(wl, scn, False),
         "aggregated in memory, nothing recorded")
    for a in ("fixed_window", "sliding_log", "sliding_window", "token_bucket",
              "leaky_bucket", "gcra"):
        w, _ = median_run(["run", "-w", wl, "-c", scn, "--db", "none",
                           "--algo", a])
        line("   --algo %s" % a, "%.2f M req/s" % (N / w / 1e6))


if __name__ == "__main__":
    main()
