#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Command-line tests: run the built ratesim on real files and check what it
prints, its exit code and what it leaves in the database.

Usage: python3 tests/cli_test.py build/ratesim
Ends with the line "N passed, N failed" and exits non-zero on any failure.
"""
import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import time

import clitest
from clitest import HERE, BIN, TMP, check, run, write


def rows(db, run_id=None):
    c = sqlite3.connect(db)
    q = ("SELECT d.req_id, d.attempt, p.name, d.t_dispatch, d.t_done, d.outcome "
         "FROM dispatches d LEFT JOIN providers p ON p.run_id = d.run_id "
         "AND p.provider_id = d.provider_id")
    if run_id is not None:
        q += " WHERE d.run_id = %d" % run_id
    out = list(c.execute(q + " ORDER BY d.run_id, d.req_id, d.attempt"))
    c.close()
    return out


def count(db, table):
    if not os.path.exists(db):
        return 0
    c = sqlite3.connect(db)
    try:
        return c.execute("SELECT count(*) FROM " + table).fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        c.close()


SCN = """[sim]
seed = 3
queue = priority

[provider P1]
algo = token_bucket
rate = 2/s
burst = 2
"""
WL = "at,id,priority\n0,1,0\n0,2,0\n0,3,0\n0.1,4,5\n"


# ---------------------------------------------------------------------
# The worked examples of the dispatch rule (tests/examples, from shared/)

def test_examples():
    exdir = os.path.join(HERE, "examples")
    names = sorted(n for n in os.listdir(exdir)
                   if os.path.isfile(os.path.join(exdir, n, "scenario.ini")))
    check("examples present", len(names) >= 28, str(len(names)))
    for name in names:
        d = os.path.join(exdir, name)
        db = os.path.join(TMP, "ex-%s.db" % name)
        r = run("run", "-w", os.path.join(d, "workload.csv"),
                "-c", os.path.join(d, "scenario.ini"), "--db", db)
        if r.returncode != 0:
            check("example " + name, False, r.stderr.strip())
            continue
        with open(os.path.join(d, "expected.csv")) as f:
            want = [l for l in f.read().split("\n")[1:] if l]
        got = ["%d,%d,%s,%s,%s" % (a, b, p or "", "" if t is None else t, o)
               for a, b, p, t, _, o in rows(db)]
        check("example " + name, got == want,
              "\n  want %s\n  got  %s" % (want, got))
        # No latency: a row that went out completed at once.
        check("example t_done " + name,
              all(td == t for _, _, _, t, td, _ in rows(db)))


# ---------------------------------------------------------------------
# run: summary, database, determinism

def test_run_records():
    scn, wl = write("s.ini", SCN), write("w.csv", WL)
    db = os.path.join(TMP, "run.db")
    r = run("run", "-w", wl, "-c", scn, "--db", db, "--label", "first")
    check("run exit 0", r.returncode == 0, r.stderr)
    check("summary names provider", "P1" in r.stdout, r.stdout)
    check("summary has digest", "digest " in r.stdout, r.stdout)
    got = rows(db)
    check("run rows", [x[:4] for x in got] ==
          [(1, 1, "P1", 0), (2, 1, "P1", 0), (3, 1, "P1", 1000000000),
           (4, 1, "P1", 500000000)], str(got))
    c = sqlite3.connect(db)
    run_row = c.execute("SELECT label, seed, requests, digest, workload_sha256,"
                        " scenario_sha256, version FROM runs").fetchone()
    prov = c.execute("SELECT provider_id, name, ord, algo, params "
                     "FROM providers").fetchall()
    c.close()
    check("runs row", run_row[0] == "first" and run_row[1] == 3 and
          run_row[2] == 4 and len(run_row[3]) == 32 and
          len(run_row[4]) == 64 and len(run_row[5]) == 64, str(run_row))
    check("digest printed = stored", run_row[3] in r.stdout)
    check("providers row", prov == [(0, "P1", 1, "token_bucket",
                                     "token_bucket 2/1s burst=2")], str(prov))
    # Appended, never overwritten; same inputs, same digest and rows.
    r2 = run("run", "-w", wl, "-c", scn, "--db", db)
    c = sqlite3.connect(db)
    digests = [d for (d,) in c.execute("SELECT digest FROM runs ORDER BY run_id")]
    c.close()
    check("second run appended", len(digests) == 2 and r2.returncode == 0)
    check("deterministic digest", digests[0] == digests[1], str(digests))
    check("deterministic rows", rows(db, 1) == rows(db, 2))


def test_stacked_limits():
    # token_bucket 1/s burst 1 AND fixed_window 2/3s, five at 0. The bucket
    # alone would give 0,1,2,3,4; the window allows two per [0,3), [3,6):
    # 1 at 0; 2 at 1 (token back, window has room); 3 has its token at 2
    # but the window is full until 3; 4 at 4 (token; window [3,6) has 1);
    # 5 has its token at 5 but the window is full until 6.
    scn = write("stacked.ini", "[provider P]\nlimit = token_bucket 1/s "
                "burst=1\nlimit = fixed_window 2/3s\n")
    wl = write("five.csv", "at\n0\n0\n0\n0\n0\n")
    db = os.path.join(TMP, "stacked.db")
    r = run("run", "-w", wl, "-c", scn, "--db", db)
    check("stacked exit 0", r.returncode == 0, r.stderr)
    got = [t for _, _, _, t, _, _ in rows(db)]
    check("stacked schedule", got == [0, 10**9, 3 * 10**9, 4 * 10**9,
                                      6 * 10**9], str(got))
    c = sqlite3.connect(db)
    prov = c.execute("SELECT algo, params FROM providers").fetchone()
    c.close()
    check("stacked providers row", prov == ("token_bucket+fixed_window",
          "token_bucket 1/1s burst=1; fixed_window 2/3s"), str(prov))


CLIENT_SCN = """[provider api]
algo = token_bucket
rate = 1000/s
burst = 1000

[client alice]
quota = 60/1m
on_reject = %s
"""


def test_client_quota():
    wl = write("alice.csv", "at,client\n" + "0,alice\n" * 100 + "0,bob\n")
    for react, rows_want, ok_at in (("drop", 101, {0: 61}),
                                    ("wait_reset", 102, {0: 61, 60: 40})):
        scn = write("q.ini", CLIENT_SCN % react)
        db = os.path.join(TMP, "q-%s.db" % react)
        r = run("run", "-w", wl, "-c", scn, "--db", db, "--json")
        check("quota %s exit 0" % react, r.returncode == 0, r.stderr)
        got = rows(db)
        sent = {}
        for _, _, _, t, _, o in got:
            if o == "ok":
                sent[t // 10**9] = sent.get(t // 10**9, 0) + 1
        check("quota %s rows" % react, len(got) == rows_want, str(len(got)))
        check("quota %s schedule" % react, sent == ok_at, str(sent))
        j = json.loads(r.stdout) if r.returncode == 0 else {}
        alice = [c for c in j.get("clients", []) if c["name"] == "alice"]
        check("quota %s client line" % react, alice and
              alice[0]["offered"] == 100 and alice[0]["rejected"] >= 1,
              str(alice))
    r = run("run", "-w", wl, "-c", scn, "--db", "none")
    check("summary has client lines", "alice" in r.stdout and
          "retries" in r.stdout, r.stdout)


def test_distributed_stats_recorded():
    # A read-then-write store over 8 nodes over-admits; the summary and the
    # provider_stats table say by how much, and agree.
    scn = os.path.join(HERE, "..", "workloads", "distributed-race.ini")
    wl = os.path.join(HERE, "..", "results", "distributed-race",
                      "workload.csv")
    db = os.path.join(TMP, "dist.db")
    r = run("run", "-w", wl, "-c", scn, "--db", db, "--json")
    check("distributed run", r.returncode == 0, r.stderr)
    j = json.loads(r.stdout) if r.returncode == 0 else {"providers": [{}]}
    p = j["providers"][0]
    c = sqlite3.connect(db)
    got = c.execute("SELECT over_admitted, denials, decisions, worst_window "
                    "FROM provider_stats").fetchone()
    c.close()
    check("distributed over-admits", p.get("over_admitted", 0) > 0, str(p))
    check("provider_stats = summary", got == (p.get("over_admitted"),
          p.get("denials"), p.get("decisions"), p.get("worst_window")),
          "%s vs %s" % (got, p))


def test_json_and_none():
    scn, wl = write("s.ini", SCN), write("w.csv", WL)
    r = run("run", "-w", wl, "-c", scn, "--db", "none", "--json")
    check("json exit 0", r.returncode == 0, r.stderr)
    try:
        j = json.loads(r.stdout)
    except ValueError:
        j = {}
    check("json run_id null", j.get("run_id", 0) is None, r.stdout)
    check("json outcomes", j.get("outcomes", {}).get("ok") == 4, r.stdout)
    check("json provider", j.get("providers", [{}])[0].get("dispatched") == 4)
    check("json priorities", [p["priority"] for p in j.get("priorities", [])]
          == [5, 0], r.stdout)
    check("json worst window", j.get("providers", [{}])[0].get("worst_window")
          == 3, r.stdout)


def test_stdin_and_algo():
    scn = write("s.ini", SCN)
    r = run("run", "-w", "-", "-c", scn, "--db", "none", "--json",
            "--algo", "fixed_window", stdin=WL)
    check("stdin + --algo exit 0", r.returncode == 0, r.stderr)
    j = json.loads(r.stdout) if r.returncode == 0 else {}
    # fixed_window 2/1s: 1, 2 at 0; priority-5 request 4 at 1; 3 at 1.
    check("--algo fixed_window", j.get("algo") == "fixed_window" and
          j.get("virtual_s") == 1.0, r.stdout)


def test_default_db_location():
    scn, wl = write("s.ini", SCN), write("w.csv", WL)
    d = tempfile.mkdtemp(dir=TMP)
    r = run("run", "-w", wl, "-c", scn, cwd=d)
    check("default db", r.returncode == 0 and
          count(os.path.join(d, "results", "ratesim.db"), "runs") == 1,
          r.stderr)


def test_help_and_usage():
    r = run("--help")
    check("--help exit 0", r.returncode == 0 and "run" in r.stdout)
    r = run("run", "--help")
    check("run --help", r.returncode == 0 and "--algo" in r.stdout and
          "--db" in r.stdout and "burst" in r.stdout, r.stdout)
    r = run("run", "-w", "x.csv")
    check("run missing -c", r.returncode == 2 and "usage" in r.stderr)
    r = run("frobnicate")
    check("unknown command", r.returncode == 2)
    r = run("run", "--bogus")
    check("unknown option", r.returncode == 2 and "--bogus" in r.stderr)


# ---------------------------------------------------------------------
# schedule: K calls at time 0

def test_schedule():
    def sched(*a):
        r = run("schedule", *a)
        return r.returncode, r.stdout.strip(), r.stderr.strip()
    check("schedule default", sched("--limit", "2/1s", "--count", "5") ==
          (0, "[0,0,1,1,2]", ""))
    check("schedule token_bucket", sched("--limit", "2/1s", "--count", "5",
          "--algo", "token_bucket", "--burst", "2") ==
          (0, "[0,0,0.5,1,1.5]", ""))
    check("schedule exact", sched("--limit", "3/s", "--count", "4", "--algo",
          "gcra", "--burst", "1") == (0, "[0,0.333333334,0.666666667,1]", ""))
    check("schedule leaky refuses", sched("--limit", "2/s", "--count", "5",
          "--algo", "leaky_bucket", "--burst", "2") ==
          (0, "[0,0.5,1,null,null]", ""))
    check("schedule zero", sched("--limit", "2/s", "--count", "0") ==
          (0, "[]", ""))
    code, out, err = sched("--limit", "2/s", "--count", "3", "--burst", "4",
                           "--algo", "fixed_window")
    check("schedule burst not taken", code == 2 and "--burst" in err, err)
    code, out, err = sched("--limit", "fast", "--count", "3")
    check("schedule bad limit", code == 2 and "--limit" in err, err)
    code, out, err = sched("--limit", "2/s")
    check("schedule missing count", code == 2 and "usage" in err, err)
    code, out, err = sched("--help")
    check("schedule --help", code == 0 and "[0,0,1,1,2]" in out)


# ---------------------------------------------------------------------
# Bad input: one located line, exit 2 (3 for the database), no run kept

def bad(name, wl_text, scn_text, want_code, want_msg, db_path=None):
    wl = write("bad.csv", wl_text) if wl_text is not None else \
        os.path.join(TMP, "missing.csv")
    scn = write("bad.ini", scn_text)
    db = db_path or os.path.join(TMP, "bad.db")
    r = run("run", "-w", wl, "-c", scn, "--db", db)
    err = r.stderr.strip()
    check("bad %s: exit" % name, r.returncode == want_code,
          "%d %s" % (r.returncode, err))
    check("bad %s: message" % name, want_msg in err and len(err.split("\n")) == 1,
          repr(err))
    if db_path is None:
        check("bad %s: nothing recorded" % name, count(db, "runs") == 0 and
              count(db, "dispatches") == 0)


def test_bad_inputs():
    wl = "at,id\n0,1\n1,2\n"
    bad("malformed row", "at,id\n0,1\n1,2,3\n", SCN, 2, "bad.csv:3:")
    bad("non-numeric", "at,priority\n0,hi\n", SCN, 2,
        'bad.csv:2: priority: expected an integer, got "hi"')
    bad("time backwards", "at\n0\n5\n3\n", SCN, 2, "bad.csv:4: at:")
    bad("late bad row", "at\n0\n1\n2\nx\n", SCN, 2, "bad.csv:5: at:")
    bad("unknown algorithm", wl, SCN.replace("token_bucket", "magic"), 2,
        "bad.ini:6: algo:")
    bad("zero rate", wl, SCN.replace("2/s", "0/s"), 2, "bad.ini:7: rate:")
    bad("unknown key", wl, SCN + "colour = red\n", 2, "bad.ini:9: colour:")
    bad("missing workload", None, SCN, 2, "missing.csv")
    bad("unknown provider", "at,provider\n0,P9\n", SCN, 2,
        "bad.csv:2: provider:")
    bad("unknown client key", wl, SCN + "[client a]\nmood = calm\n", 2,
        "bad.ini:10: mood: unknown key in [client a]")
    bad("bad schedule", wl, SCN + "schedule = off@x\n", 2,
        "bad.ini:9: schedule:")
    bad("schedule backwards", wl, SCN + "schedule = off@20s, on@10s\n", 2,
        "bad.ini:9: schedule:")
    bad("fail outside [0,1]", wl, SCN + "fail = 1.5\n", 2,
        "bad.ini:9: fail:")
    bad("retry without max", wl, SCN + "[client a]\n"
        "on_reject = retry:expo,base=1s\n", 2, "bad.ini:10: on_reject:")
    bad("burst 0", wl, SCN.replace("burst = 2", "burst = 0"), 2,
        "bad.ini:8: burst:")
    bad("window 0", wl, SCN.replace("2/s", "2/0s"), 2, "bad.ini:7: rate:")
    bad("unknown limit algo", wl, SCN.replace(
        "algo = token_bucket\nrate = 2/s\nburst = 2\n",
        "limit = magic 2/s\n"), 2, "bad.ini:6: limit:")
    bad("negative cost", "at,cost\n0,-1\n", SCN, 2, "bad.csv:2: cost:")
    bad("unwritable db", wl, SCN, 3, "/nonexistent-dir/x.db",
        db_path="/nonexistent-dir/x.db")
    r = run("run", "-w", write("w.csv", wl), "-c", os.path.join(TMP, "no.ini"))
    check("missing scenario", r.returncode == 2 and "no.ini" in r.stderr)


def test_interrupt_rolls_back():
    scn = write("s.ini", SCN)
    db = os.path.join(TMP, "int.db")
    p = subprocess.Popen([BIN, "run", "-w", "-", "-c", scn, "--db", db],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    p.stdin.write("at\n")
    # An endless stream of arrivals: the run only ends by the signal.
    t = 0
    deadline = time.time() + 1.0
    try:
        while time.time() < deadline:
            p.stdin.write("".join("%d\n" % (t + i) for i in range(1000)))
            t += 1000
        p.send_signal(signal.SIGINT)
        p.stdin.close()
    except BrokenPipeError:
        pass
    code = p.wait(timeout=30)
    check("SIGINT exit 130", code == 130, str(code))
    check("SIGINT rolled back", count(db, "runs") == 0 and
          count(db, "dispatches") == 0)


def stream_for(p, seconds):
    """Feeds p an endless run of arrivals for so many seconds, then EOF."""
    p.stdin.write(b"at\n")
    t, deadline = 0, time.time() + seconds
    try:
        while time.time() < deadline:
            p.stdin.write("".join("%d\n" % (t + i)
                                  for i in range(1000)).encode())
            t += 1000
        p.stdin.close()
    except BrokenPipeError:
        pass


def test_progress_on_terminal():
    import pty
    scn = write("s.ini", SCN)
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN, "run", "-w", "-", "-c", scn, "--db", "none"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=slave)
    os.close(slave)
    stream_for(p, 1.6)
    code = p.wait(timeout=60)
    out = b""
    try:
        while True:
            chunk = os.read(master, 4096)
            if not chunk:
                break
            out += chunk
    except OSError:
        pass
    os.close(master)
    check("progress run exit 0", code == 0, str(code))
    check("progress shown on a terminal", b"ratesim: virtual" in out, out)
    p = subprocess.Popen([BIN, "run", "-w", "-", "-c", scn, "--db", "none"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    stream_for(p, 1.6)
    err = p.stderr.read()
    p.wait(timeout=60)
    check("no progress when stderr is no terminal", err == b"", err)


def test_read_ahead_until():
    """A workload file is read ahead on a second thread: a run cut short by
    `until` must still count exactly the requests that arrived before it,
    give the same digest every time, and record the whole file's SHA-256,
    however far the reader had got."""
    import hashlib
    lines = ["at,client"] + ["%d.%06d,c%d" % (i // 1000, i % 1000, i % 13)
                             for i in range(300000)]
    text = "\n".join(lines) + "\n"
    wl = write("ahead.csv", text)
    scn = write("ahead.ini", "[sim]\nuntil = 10s\n[provider P]\n"
                "algo = token_bucket\nrate = 50/s\nburst = 5\n")
    db = os.path.join(TMP, "ahead.db")
    digests = set()
    for _ in range(3):
        r = run("run", "-w", wl, "-c", scn, "--db", db, "--json")
        check("read-ahead run exit 0", r.returncode == 0, r.stderr)
        j = json.loads(r.stdout) if r.returncode == 0 else {}
        check("read-ahead: requests before until", j.get("requests") ==
              10000, str(j.get("requests")))
        digests.add(j.get("digest"))
    check("read-ahead: one digest", len(digests) == 1, str(digests))
    c = sqlite3.connect(db)
    shas = [x[0] for x in c.execute("SELECT workload_sha256 FROM runs")]
    c.close()
    want = hashlib.sha256(text.encode()).hexdigest()
    check("read-ahead: whole file's sha", shas == [want] * 3, str(shas))


def main():
    clitest.main("cli", clitest.tests_of(globals()))


if __name__ == "__main__":
    main()
