#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Command-line tests of ratesim in batch: scenarios from flags (--provider,
--client, --sim, --set) and `scenario --print`; `merge`. They run the built
ratesim on real files and check what it prints, its exit code and the
databases it leaves.

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
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/ratesim")
TMP = tempfile.mkdtemp(prefix="ratesim-batch-")
DEMO_CSV = os.path.join(ROOT, "workloads", "demo.csv")
DEMO_INI = os.path.join(ROOT, "workloads", "demo.ini")
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL %s %s" % (name, str(detail)[:2000]))


def run(*args, cwd=None, timeout=300):
    return subprocess.run([BIN, *args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def tmp(name):
    return os.path.join(TMP, name)


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
    check("refusals leave out alone", table_counts(out) == before,
          table_counts(out))
    r = run("merge", out)
    check("merge usage", r.returncode == 2 and "usage" in r.stderr, r.stderr)
    check("version stamped", db_rows(good, "PRAGMA user_version") == [(1,)],
          db_rows(good, "PRAGMA user_version"))


def test_help():
    for cmd in ["merge", "scenario"]:
        r = run(cmd, "--help")
        check("%s --help" % cmd, r.returncode == 0 and "usage" in r.stdout,
              r.stderr)
    r = run("--help")
    check("commands listed", all(c in r.stdout for c in
                                 ["merge", "scenario"]), r.stdout)


def main():
    for name, fn in sorted(globals().items()):
        if name.startswith("test_") and callable(fn):
            fn()
    shutil.rmtree(TMP, ignore_errors=True)
    print("batch: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
