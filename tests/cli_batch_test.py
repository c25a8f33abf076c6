#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Command-line tests of ratesim in batch: scenarios from flags (--provider,
--client, --sim, --set) and `scenario --print`; `sweep` (a grid run on
worker processes, each with its database shard, merged; its summary; jobs
for GNU parallel and Slurm); `merge`. They run the built ratesim on real
files and check what it prints, its exit code and the databases it leaves.

Usage: python3 tests/cli_batch_test.py build/ratesim
Ends with the line "batch: N passed, N failed" and exits non-zero on any
failure.
"""
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess

import clitest
from clitest import ROOT, TMP, check, run, write, tmp

DEMO_CSV = os.path.join(ROOT, "workloads", "demo.csv")
DEMO_INI = os.path.join(ROOT, "workloads", "demo.ini")


def digest_of(r):
    m = re.search(r"^digest ([0-9a-f]{32})$", r.stdout, re.M)
    return m.group(1) if m else None


def db_rows(path, sql):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def db_runs(path):
    """(label, seed, digest) of every run, sorted."""
    return sorted(db_rows(path, "SELECT label, seed, digest FROM runs"))


# A scenario with every kind of section and random streams (latency,
# failures, retry jitter), so that the seed changes the digest.
SCN = """[sim]
seed  = 5
queue = priority

[provider P1]
algo    = token_bucket
rate    = 10/s
burst   = 5
latency = exp:20ms
fail    = 0.05

[provider P2]
order = 2
algo  = fixed_window
rate  = 3/1s

[client web]
quota     = 100/1m
on_reject = retry:expo,base=100ms,max=2,jitter=full
"""

SCN_FLAGS = [
    "--provider", "P1:token_bucket:10/s:burst=5:latency=exp:20ms:fail=0.05",
    "--provider", "P2:fixed_window:3/1s:order=2",
    "--client", "web:quota=100/1m:on_reject=retry:expo,base=100ms,max=2,"
    "jitter=full",
    "--sim", "seed=5,queue=priority",
]


# ---------------------------------------------------------------------
# Scenarios from flags

def test_flags_equal_ini():
    scn = write("flags.ini", SCN)
    a = run("run", "-w", DEMO_CSV, "-c", scn, "--db", "none")
    b = run("run", "-w", DEMO_CSV, *SCN_FLAGS, "--db", "none")
    check("flags run ok", a.returncode == 0 and b.returncode == 0,
          a.stderr + b.stderr)
    check("flags digest = ini digest", digest_of(a) and
          digest_of(a) == digest_of(b), (digest_of(a), digest_of(b)))
    # The demo scenario, every key from flags.
    c = run("run", "-w", DEMO_CSV, "--db", "none",
            "--provider", "primary:token_bucket:10/s:burst=5:order=1",
            "--provider", "fallback:fixed_window:3/1s:order=2",
            "--sim", "seed=42,queue=priority,route=ordered")
    d = run("run", "-w", DEMO_CSV, "-c", DEMO_INI, "--db", "none")
    check("demo from flags", digest_of(c) and digest_of(c) == digest_of(d),
          c.stderr)
    # A concurrency-only provider: the third item is its n.
    e = run("run", "-w", DEMO_CSV, "--db", "none", "--provider",
            "P:concurrency:2:latency=50ms")
    f = run("run", "-w", DEMO_CSV, "--db", "none", "-c", write(
        "conc.ini", "[provider P]\nalgo = concurrency\nconcurrency = 2\n"
        "latency = 50ms\n"))
    check("concurrency from flags", digest_of(e) and
          digest_of(e) == digest_of(f), e.stderr + f.stderr)


def test_print_replays():
    r = run("scenario", "--print", *SCN_FLAGS)
    check("print ok", r.returncode == 0, r.stderr)
    check("print is INI", "[provider P1]" in r.stdout and
          "fail = 0.05" in r.stdout and "[client web]" in r.stdout,
          r.stdout)
    saved = write("saved.ini", r.stdout)
    a = run("run", "-w", DEMO_CSV, "-c", saved, "--db", "none")
    b = run("run", "-w", DEMO_CSV, *SCN_FLAGS, "--db", "none")
    check("printed scenario replays", digest_of(a) and
          digest_of(a) == digest_of(b), a.stderr)
    # A file without flags prints as it is.
    p = run("scenario", "--print", "-c", DEMO_INI)
    with open(DEMO_INI) as f:
        check("file prints unchanged", p.stdout == f.read(), p.stdout)
    q = run("scenario", "-c", DEMO_INI)
    check("scenario checks", q.returncode == 0 and "2 providers" in q.stdout,
          q.stdout + q.stderr)
    # The run of a flag-built scenario records the printed text's hash.
    db = tmp("print.db")
    run("run", "-w", DEMO_CSV, *SCN_FLAGS, "--db", db)
    sha = hashlib.sha256(r.stdout.encode()).hexdigest()
    got = db_rows(db, "SELECT scenario_sha256 FROM runs")
    check("scenario_sha256 of flags", got == [(sha,)], (got, sha))


def changed_lines(before, after):
    a, b = before.split("\n"), after.split("\n")
    if len(a) != len(b):
        return None
    return [(x, y) for x, y in zip(a, b) if x != y]


def test_set_changes_one_key():
    scn = write("set.ini", SCN)
    base = run("scenario", "--print", "-c", scn).stdout
    for flag, old, new in [
            ("P1.burst=20", "burst   = 5", "burst = 20"),
            ("sim.seed=7", "seed  = 5", "seed = 7"),
            ("web.quota=200/1m", "quota     = 100/1m", "quota = 200/1m"),
            ("provider.P2.rate=4/1s", "rate  = 3/1s", "rate = 4/1s")]:
        r = run("scenario", "--print", "-c", scn, "--set", flag)
        check("set %s ok" % flag, r.returncode == 0, r.stderr)
        check("set %s changes one line" % flag,
              changed_lines(base, r.stdout) == [(old, new)],
              changed_lines(base, r.stdout))
    # A key the section does not have: one line added, in its section.
    r = run("scenario", "--print", "-c", scn, "--set", "P2.latency=5ms")
    lines = r.stdout.split("\n")
    check("set adds one line", len(lines) == len(base.split("\n")) + 1 and
          lines.index("rate  = 3/1s") + 1 == lines.index("latency = 5ms")
          < lines.index("[client web]"), r.stdout + r.stderr)
    # The run with --set is the run of the hand-edited file.
    edited = write("edited.ini", SCN.replace("burst   = 5", "burst = 20"))
    a = run("run", "-w", DEMO_CSV, "-c", scn, "--set", "P1.burst=20",
            "--db", "none")
    b = run("run", "-w", DEMO_CSV, "-c", edited, "--db", "none")
    c = run("run", "-w", DEMO_CSV, "-c", scn, "--db", "none")
    check("set run = edited run", digest_of(a) and
          digest_of(a) == digest_of(b) and digest_of(a) != digest_of(c),
          (digest_of(a), digest_of(b), digest_of(c)))
    # --set reaches a --provider given after it; --seed is sim.seed.
    r = run("scenario", "--print", "--set", "Q.burst=3", "--provider",
            "Q:gcra:2/s", "--seed", "9")
    check("set before provider", r.returncode == 0 and "burst = 3" in
          r.stdout and "seed = 9" in r.stdout, r.stdout + r.stderr)


def test_bad_flags():
    scn = write("bad.ini", SCN)
    cases = [
        (["--provider", "P1:token_bucket:fast"],
         "--provider P1:token_bucket:fast: rate: "),
        (["--provider", "P1:nosuch:5/s"],
         "--provider P1:nosuch:5/s: algo: unknown algorithm"),
        (["--provider", "P1:token_bucket:5/s:burst=0"],
         "--provider P1:token_bucket:5/s:burst=0: burst: "),
        (["--provider", "P1:token_bucket:5/s:x:y"],
         "--provider P1:token_bucket:5/s:x:y: unexpected \"x\""),
        (["--provider", "P1:fixed_window:5/s:burst=3"],
         "--provider P1:fixed_window:5/s:burst=3: burst: fixed_window "
         "takes no burst"),
        (["--provider", "P1:token_bucket:5/s", "--client",
          "web:quota=lots"], "--client web:quota=lots: quota: "),
        (["--provider", "P1:token_bucket:5/s", "--sim", "queue=lifo"],
         "--sim queue=lifo: queue: expected one of"),
        (["-c", scn, "--set", "P1.burst=-2"], "--set P1.burst=-2: burst: "),
        (["-c", scn, "--set", "P1.colour=red"],
         "--set P1.colour=red: colour: unknown key in [provider P1]"),
        (["-c", scn, "--set", "P9.burst=2"],
         "--set P9.burst=2: no provider or client named \"P9\""),
        (["-c", scn, "--set", "burst=2"], "--set burst=2: expected "
         "SECTION.KEY=VALUE"),
        (["-c", scn, "--set", "P1.burst=2\n[provider X]"],
         "--set: a value cannot hold a line break"),
        (["-c", scn, "--provider", "P1:gcra:1/s"],
         "--provider P1:gcra:1/s: provider: duplicate name \"P1\" (first "
         "at %s:5)" % scn),
    ]
    for args, want in cases:
        r = run("run", "-w", DEMO_CSV, "--db", "none", *args)
        check("bad %s exit 2" % args[-1], r.returncode == 2, r.returncode)
        check("bad %s located" % args[-1], want in r.stderr and
              r.stderr.count("\n") == 1, r.stderr)
    both = write("both.ini", "[provider X]\nalgo = gcra\nrate = 1/s\n"
                 "[client X]\nweight = 2\n")
    r = run("run", "-w", DEMO_CSV, "--db", "none", "-c", both, "--set",
            "X.weight=3")
    check("ambiguous name", r.returncode == 2 and "write provider.X.weight "
          "or client.X.weight" in r.stderr, r.stderr)
    r = run("run", "-w", DEMO_CSV, "--db", "none", "-c", both, "--set",
            "client.X.weight=3")
    check("client.NAME form", r.returncode == 0, r.stderr)
    r = run("run", "-w", DEMO_CSV, "--db", "none")
    check("no scenario at all", r.returncode == 2 and "--provider" in
          r.stderr, r.stderr)


# ---------------------------------------------------------------------
# Sweeps

GRID = ["--grid", "P1.rate=5/s,10/s,20/s", "--grid", "P1.burst=1,5,10",
        "--seeds", "1,2"]


def separate_runs(scn):
    """(label, seed, digest) of the 3x3x2 grid, each point a `run`."""
    out = []
    for rate in ["5/s", "10/s", "20/s"]:
        for burst in ["1", "5", "10"]:
            for seed in [1, 2]:
                r = run("run", "-w", DEMO_CSV, "-c", scn, "--set",
                        "P1.rate=" + rate, "--set", "P1.burst=" + burst,
                        "--seed", str(seed), "--db", "none")
                out.append(("P1.rate=%s P1.burst=%s" % (rate, burst), seed,
                            digest_of(r)))
    return sorted(out)


def test_sweep_equals_runs():
    scn = write("sweep.ini", SCN)
    want = separate_runs(scn)
    check("seeds matter", len(set(d for _, _, d in want)) == 18, want)
    for j in ["2", "1"]:
        db = tmp("sweep-j%s.db" % j)
        r = run("sweep", "-w", DEMO_CSV, "-c", scn, *GRID, "-j", j,
                "--db", db)
        check("sweep -j %s ok" % j, r.returncode == 0, r.stderr)
        check("sweep -j %s: 18 runs" % j, len(db_runs(db)) == 18,
              db_runs(db))
        check("sweep -j %s = separate runs" % j, db_runs(db) == want,
              (db_runs(db), want))
        check("sweep -j %s output" % j, r.stdout.count("\nrun ") == 17 and
              "18 runs, 9 points" in r.stdout and
              "%s process" % j in r.stdout, r.stdout)
        ids = db_rows(db, "SELECT run_id, label, seed FROM runs ORDER BY "
                      "run_id")
        check("sweep -j %s ids in grid order" % j,
              [x[0] for x in ids] == list(range(1, 19)) and
              ids[0][1:] == ("P1.rate=5/s P1.burst=1", 1) and
              ids[17][1:] == ("P1.rate=20/s P1.burst=10", 2), ids)
        check("sweep -j %s no shards left" % j, not [
            n for n in os.listdir(TMP) if n.startswith(".ratesim-sweep")],
            os.listdir(TMP))
    counts = [db_rows(tmp("sweep-j%s.db" % j), "SELECT (SELECT count(*) FROM"
                      " dispatches), (SELECT count(*) FROM providers), "
                      "(SELECT count(*) FROM provider_stats)")
              for j in ["1", "2"]]
    check("sweep -j 1 and -j 2 same rows", counts[0] == counts[1] and
          counts[0][0][1] == 36 and counts[0][0][2] == 36, counts)
    # Again into the same database: nothing new.
    r = run("sweep", "-w", DEMO_CSV, "-c", scn, *GRID, "-j", "2",
            "--db", tmp("sweep-j2.db"))
    check("sweep again: all there", "0 new, 18 already there" in r.stdout
          and len(db_runs(tmp("sweep-j2.db"))) == 18, r.stdout)


def test_sweep_flags_and_algos():
    db = tmp("algos.db")
    r = run("sweep", "-w", DEMO_CSV, "--provider", "P1:token_bucket:10/s",
            "--grid", "P1.rate=5/s|10/s", "--algos", "gcra,scenario",
            "--label", "cmp", "--db", db)
    check("flags sweep ok", r.returncode == 0, r.stderr)
    got = db_rows(db, "SELECT label, algo FROM runs ORDER BY run_id")
    check("algo labels", got == [
        ("cmp/P1.rate=5/s algo=gcra", "gcra"),
        ("cmp/P1.rate=5/s algo=scenario", None),
        ("cmp/P1.rate=10/s algo=gcra", "gcra"),
        ("cmp/P1.rate=10/s algo=scenario", None)], got)
    a = run("run", "-w", DEMO_CSV, "--provider", "P1:token_bucket:5/s",
            "--algo", "gcra", "--db", "none")
    d = db_rows(db, "SELECT digest FROM runs WHERE run_id = 1")
    check("algo run = run --algo", d == [(digest_of(a),)], (d, a.stdout))
    r = run("sweep", "-w", DEMO_CSV, "--provider", "P1:token_bucket:10/s",
            "--grid", "P1.burst=1..3", "--db", tmp("range.db"))
    got = db_rows(tmp("range.db"), "SELECT label FROM runs ORDER BY run_id")
    check("integer range", got == [("P1.burst=1",), ("P1.burst=2",),
                                   ("P1.burst=3",)], got)


def test_sweep_summary():
    scn = write("summary.ini", SCN)
    db = tmp("summary.db")
    r = run("sweep", "-w", DEMO_CSV, "-c", scn, *GRID, "--db", db,
            "--summary")
    lines = r.stdout.strip().split("\n")
    check("summary ok", r.returncode == 0, r.stderr)
    check("summary rows", len(lines) == 1 + 9 + 2 and
          lines[0].startswith("point") and "p99 wait (s)" in lines[0],
          r.stdout)
    r = run("sweep", "-w", DEMO_CSV, "-c", scn, *GRID, "--db", db,
            "--json", "--best", "dispatched")
    try:
        js = json.loads(r.stdout)
    except ValueError:
        js = None
    check("json parses", js is not None, r.stdout)
    if not js:
        return
    pts = js["points"]
    check("json points", len(pts) == 9 and all(p["runs"] == 2 for p in pts)
          and js["already"] == 18, js)
    disp = [p["dispatched"] for p in pts]
    check("best first", disp == sorted(disp, reverse=True), disp)
    # A point's figures are its runs' pooled.
    p = pts[0]
    ids = ",".join(str(i) for i in p["run_ids"])
    n = db_rows(db, "SELECT count(*) FROM dispatches WHERE run_id IN (%s) "
                "AND t_dispatch IS NOT NULL" % ids)[0][0]
    waits = [w for (w,) in db_rows(
        db, "SELECT t_dispatch - t_ready FROM dispatches WHERE run_id IN "
        "(%s) AND t_dispatch IS NOT NULL ORDER BY 1" % ids)]
    rank = -(-99 * len(waits) // 100)
    check("pooled dispatched", p["dispatched"] == n, (p, n))
    check("pooled p99", abs(p["p99_wait_s"] - waits[rank - 1] / 1e9) < 1e-9,
          (p["p99_wait_s"], waits[rank - 1]))
    check("digests by point", sorted(p["digests"]) == sorted(
        d for l, s, d in db_runs(db) if l == p["label"]), p)


def test_sweep_bad_input():
    scn = write("badsweep.ini", SCN)
    db = tmp("badsweep.db")
    r = run("sweep", "-w", DEMO_CSV, "-c", scn, "--grid",
            "P1.burst=1,0,5", "--db", db)
    check("bad grid value exit 2", r.returncode == 2, r.returncode)
    check("bad grid value located", "--grid P1.burst=0: burst: " in
          r.stderr, r.stderr)
    check("bad grid value: nothing run", not os.path.exists(db), db)
    for args, want in [(["--grid", "burst=1"], "expected SECTION.KEY"),
                       (["--seeds", "x"], "--seeds: expected"),
                       (["--algos", "nope"], "--algos: unknown"),
                       (["--best", "speed"], "--best: unknown"),
                       (["-j", "0"], "-j: expected")]:
        r = run("sweep", "-w", DEMO_CSV, "-c", scn, *args, "--db", db)
        check("sweep %s" % args, r.returncode == 2 and want in r.stderr,
              r.stderr)
    # A workload that breaks at a row fails the sweep; --db is untouched.
    bad = write("bad.csv", "at,priority\n0,1\n0.5,hi\n")
    r = run("sweep", "-w", bad, "-c", scn, "--grid", "P1.burst=1,2,3,4",
            "-j", "2", "--db", db)
    check("bad workload exit 2", r.returncode == 2 and "bad.csv:3: "
          "priority" in r.stderr, r.stderr)
    check("bad workload: no database", not os.path.exists(db), db)
    check("bad workload: no shards", not [
        n for n in os.listdir(TMP) if n.startswith(".ratesim-sweep")],
        os.listdir(TMP))


# ---------------------------------------------------------------------
# Jobs for GNU parallel and Slurm

def test_emit_jobs_parallel():
    scn = write("jobs.ini", SCN)
    db = tmp("par.db")
    jobs = tmp("jobs.txt")
    r = run("sweep", "-w", DEMO_CSV, "-c", scn, *GRID, "--db", db,
            "--emit-jobs", jobs, "--label", "it's a sweep")
    check("emit ok", r.returncode == 0 and "ratesim merge" in r.stdout,
          r.stderr)
    with open(jobs) as f:
        lines = f.read().splitlines()
    check("one job a run", len(lines) == 18 and all(
        " run -w " in l and "par.shards/run-" in l for l in lines), lines)
    check("emit ran nothing", not os.path.exists(db), db)
    if not shutil.which("parallel"):
        check("GNU parallel installed", False, "parallel not found")
        return
    with open(jobs) as f:
        p = subprocess.run(["parallel", "--will-cite", "-j", "2"], stdin=f,
                           capture_output=True, text=True, timeout=300)
    check("parallel ok", p.returncode == 0, p.stderr)
    shards = sorted(os.path.join(tmp("par.shards"), n)
                    for n in os.listdir(tmp("par.shards")))
    check("18 shards", len(shards) == 18, shards)
    m = run("merge", db, *shards)
    check("merge ok", m.returncode == 0 and "18 copied" in m.stdout,
          m.stdout + m.stderr)
    # The built-in sweep under the same label: the same runs.
    own = tmp("own.db")
    s = run("sweep", "-w", DEMO_CSV, "-c", scn, *GRID, "--db", own,
            "--label", "it's a sweep")
    check("parallel = sweep", db_runs(db) == db_runs(own) and
          len(db_runs(db)) == 18, (db_runs(db), db_runs(own), s.stderr))
    m = run("merge", own, *shards)
    check("parallel runs already in the sweep's database",
          "0 copied, 18 already there" in m.stdout, m.stdout + m.stderr)


def test_emit_slurm():
    scn = write("slurm.ini", SCN)
    db = tmp("slurm.db")
    script = tmp("sweep.sbatch")
    r = run("sweep", "-w", DEMO_CSV, "-c", scn, "--grid", "P1.rate=5/s,9/s",
            "--seeds", "3..4", "--db", db, "--emit-slurm", script,
            "--shards", tmp("sl"))
    check("slurm ok", r.returncode == 0, r.stderr)
    with open(script) as f:
        text = f.read()
    check("slurm array", "#SBATCH --array=1-4\n" in text and
          text.startswith("#!/bin/bash\n"), text)
    # What a Slurm node would do for tasks 1..4.
    for k in range(1, 5):
        p = subprocess.run(["bash", script], capture_output=True, text=True,
                           env=dict(os.environ, SLURM_ARRAY_TASK_ID=str(k)),
                           timeout=120)
        check("slurm task %d" % k, p.returncode == 0, p.stderr)
    m = run("merge", db, *sorted(os.path.join(tmp("sl"), n)
                                 for n in os.listdir(tmp("sl"))))
    own = tmp("slurm-own.db")
    run("sweep", "-w", DEMO_CSV, "-c", scn, "--grid", "P1.rate=5/s,9/s",
        "--seeds", "3..4", "--db", own)
    check("slurm = sweep", m.returncode == 0 and db_runs(db) ==
          db_runs(own) and len(db_runs(own)) == 4, (db_runs(db), m.stderr))


# ---------------------------------------------------------------------
# merge

def table_counts(db):
    return db_rows(db, "SELECT (SELECT count(*) FROM runs), (SELECT count(*)"
                   " FROM providers), (SELECT count(*) FROM provider_stats),"
                   " (SELECT count(*) FROM dispatches)")[0]


def test_merge_twice():
    scn = write("merge.ini", SCN)
    a, b, out = tmp("shard-a.db"), tmp("shard-b.db"), tmp("merged.db")
    for seed in ["1", "2"]:
        run("run", "-w", DEMO_CSV, "-c", scn, "--seed", seed, "--db", a,
            "--label", "a")
    for seed in ["1", "3"]:
        run("run", "-w", DEMO_CSV, "-c", scn, "--seed", seed, "--db", b,
            "--label", "b")
    ca, cb = table_counts(a), table_counts(b)
    m1 = run("merge", out, a, b)
    check("merge ok", m1.returncode == 0 and "4 copied, 0 already" in
          m1.stdout, m1.stdout + m1.stderr)
    first = table_counts(out)
    check("merge copies all four tables", first == tuple(
        x + y for x, y in zip(ca, cb)), (first, ca, cb))
    m2 = run("merge", out, a, b)
    check("merge twice: no duplicates", m2.returncode == 0 and
          table_counts(out) == first and "0 copied, 4 already" in m2.stdout,
          (table_counts(out), m2.stdout))
    ids = db_rows(out, "SELECT run_id, label, seed FROM runs ORDER BY run_id")
    check("fresh ids in input order", ids == [
        (1, "a", 1), (2, "a", 2), (3, "b", 1), (4, "b", 3)], ids)
    # The rows moved with their run, under its new id.
    src = db_rows(b, "SELECT req_id, attempt, outcome, t_dispatch FROM "
                  "dispatches WHERE run_id = 2 ORDER BY 1, 2")
    dst = db_rows(out, "SELECT req_id, attempt, outcome, t_dispatch FROM "
                  "dispatches WHERE run_id = 4 ORDER BY 1, 2")
    check("rows follow the run", src == dst and len(src) > 300, len(src))
    # Same digest under another label is another run.
    c = tmp("shard-c.db")
    run("run", "-w", DEMO_CSV, "-c", scn, "--seed", "1", "--db", c,
        "--label", "c")
    m3 = run("merge", out, c, c)
    check("label counts; a run twice in the inputs is copied once",
          "1 copied, 1 already" in m3.stdout, m3.stdout)


def test_merge_refuses():
    out = tmp("refuse.db")
    good = tmp("good.db")
    run("run", "-w", DEMO_CSV, "-c", DEMO_INI, "--db", good)
    run("merge", out, good)
    before = table_counts(out)
    v2 = tmp("v2.db")
    shutil.copy(good, v2)
    con = sqlite3.connect(v2)
    con.execute("PRAGMA user_version = 2")
    con.commit()
    con.close()
    r = run("merge", out, good, v2)
    check("other version refused", r.returncode == 2 and
          "v2.db: schema version 2; this ratesim reads version 1" in
          r.stderr, r.stderr)
    odd = tmp("odd.db")
    con = sqlite3.connect(odd)
    con.execute("CREATE TABLE runs(run_id INTEGER PRIMARY KEY, label TEXT)")
    con.commit()
    con.close()
    r = run("merge", out, odd)
    check("other columns refused", r.returncode == 2 and "odd.db: table "
          "runs:" in r.stderr, r.stderr)
    junk = write("junk.db", "not a database\n" * 100)
    r = run("merge", out, junk)
    check("not a database", r.returncode == 2 and "junk.db: " in r.stderr,
          r.stderr)
    r = run("merge", out, tmp("missing.db"))
    check("missing input", r.returncode == 2 and "missing.db: No such file"
          in r.stderr, r.stderr)
    # merge checks outcomes once an input, not by the CHECK on every row
    # copied: an outcome the CHECK would refuse is refused by name, on
    # either path (the 11th input is staged).
    lost = tmp("lost.db")
    shutil.copy(good, lost)
    con = sqlite3.connect(lost)
    con.execute("PRAGMA ignore_check_constraints = ON")
    con.execute("UPDATE dispatches SET outcome = 'lost' WHERE req_id = 3")
    con.commit()
    con.close()
    for inputs in ([lost], [good] * 10 + [lost]):
        r = run("merge", out, *inputs)
        check("bad outcome refused (%d inputs)" % len(inputs),
              r.returncode == 2 and 'lost.db: dispatches: outcome "lost" is'
              ' not one of ok, failed, rejected, expired, dropped' in
              r.stderr, r.stderr)
    check("refusals leave out alone", table_counts(out) == before,
          table_counts(out))
    check("merged rows pass the CHECK", db_rows(
        out, "PRAGMA integrity_check") == [("ok",)],
        db_rows(out, "PRAGMA integrity_check"))
    r = run("merge", out)
    check("merge usage", r.returncode == 2 and "usage" in r.stderr, r.stderr)
    check("version stamped", db_rows(good, "PRAGMA user_version") == [(1,)],
          db_rows(good, "PRAGMA user_version"))


def test_help():
    for cmd in ["sweep", "merge", "scenario"]:
        r = run(cmd, "--help")
        check("%s --help" % cmd, r.returncode == 0 and "usage" in r.stdout,
              r.stderr)
    r = run("--help")
    check("commands listed", all(c in r.stdout for c in
                                 ["sweep", "merge", "scenario"]), r.stdout)


def main():
    clitest.main("batch", clitest.tests_of(globals()))


if __name__ == "__main__":
    main()
