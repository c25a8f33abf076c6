#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hardening tests: run the built ratesim where things go wrong and check
that it fails cleanly (one located line, exit 2 or 3) or does the right
thing, and that a database it appends to is never corrupted nor left with
part of a run.

  integer edges  rates, durations, costs and times near the int64 limits
  signals        SIGINT / SIGTERM mid-run (130 / 143, rolled back);
                 SIGKILL mid-run and mid-commit, on the recorder's direct
                 and staged paths (integrity ok, no partial run)
  concurrency    4 runs appending to one database at once; runs waiting
                 longer than the old 5 s timeout for a lock held elsewhere
  faults         read-only database file and directory, a full disk
                 (RLIMIT_FSIZE), a workload or scenario that is a directory,
                 /dev/stdin and "-" as the workload, stdout on a full device

Permission tests run ratesim as nobody (uid 65534) when the tests run as
root, which file modes do not stop.

Usage: python3 tests/cli_hardening_test.py build/ratesim
Ends with the line "hardening: N passed, N failed" and exits non-zero on
any failure.
"""
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import threading
import time

import clitest
from clitest import BIN, TMP, check, run, write


I64 = 2**63 - 1
NEVER = "9223372036.854775807"      # 2^63 - 1 ns: the engine's "never"
LAST = "9223372036.854775806"       # the latest time a workload may give

SCN = """[sim]
seed = 3

[provider P1]
algo = token_bucket
rate = 1000/s
burst = 50
"""


def one_line(err):
    return len(err.strip().split("\n")) == 1 and err.strip() != ""


def q(db, sql):
    c = sqlite3.connect(db)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def q1(db, sql):
    return q(db, sql)[0][0]


def intact(db):
    """integrity_check is ok and every run is whole: as many rows as its
    requests (one attempt each in these tests)."""
    c = sqlite3.connect(db)
    try:
        ok = c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        runs = c.execute(
            "SELECT r.run_id, r.requests, r.digest,"
            " (SELECT count(*) FROM dispatches d WHERE d.run_id = r.run_id),"
            " (SELECT count(*) FROM providers p WHERE p.run_id = r.run_id)"
            " FROM runs r").fetchall()
        orphans = c.execute(
            "SELECT count(*) FROM dispatches WHERE run_id NOT IN"
            " (SELECT run_id FROM runs)").fetchone()[0]
    finally:
        c.close()
    whole = all(n == req and digest and np >= 1
                for _, req, digest, n, np in runs)
    return ok and whole and orphans == 0, runs


def gen(n, name, rate="1000/s", clients=1):
    """A workload of about n requests at rate, from ratesim gen."""
    path = os.path.join(TMP, name)
    if not os.path.exists(path):
        per_s = int(rate.split("/")[0])
        r = run("gen", "--pattern", "constant", "--rate", rate, "--duration",
                "%ds" % max(1, n // per_s), "--clients", str(clients),
                "-o", path)
        assert r.returncode == 0, r.stderr
    return path


def rows(db, run_id=1):
    return q(db, "SELECT req_id, cost, t_arrive, t_dispatch, t_done, outcome"
                 " FROM dispatches WHERE run_id = %d ORDER BY req_id, attempt"
                 % run_id)


# ---------------------------------------------------------------------
# Integer edges: a located error or the right answer, never a wrap-around.
# (Under `make test SAN=1` UBSan turns any signed overflow into a failure.)

ALGOS = ["token_bucket", "fixed_window", "sliding_log", "sliding_window",
         "leaky_bucket", "gcra"]


def edge_run(name, scn, wl, *extra):
    db = os.path.join(TMP, "edge-%s.db" % name)
    if os.path.exists(db):
        os.remove(db)
    r = run("run", "-w", write("edge.csv", wl), "-c", write("edge.ini", scn),
            "--db", db, *extra)
    return r, db


def test_rate_per_nanosecond():
    # 1000000000/1ns: a billion permits a nanosecond; burst defaults to N.
    scn = "[provider P]\nalgo = token_bucket\nrate = 1000000000/1ns\n"
    wl = "at\n0\n0\n0\n1\n%s\n" % LAST
    for a in ALGOS:
        r, db = edge_run("ns-" + a, scn, wl, "--algo", a)
        check("1e9/1ns %s exit 0" % a, r.returncode == 0, r.stderr)
        if r.returncode == 0:
            # Within a nanosecond of arriving (a leaky bucket paces them
            # 1e-9 ns apart, rounded up to whole ns).
            got = rows(db)
            check("1e9/1ns %s goes at once" % a, len(got) == 5 and
                  all(o == "ok" and 0 <= t - at <= 1
                      for _, _, at, t, _, o in got), got)
    # The largest rate and window there are, with every algorithm.
    for rate in ("9223372036854775807/1ns", "9223372036854775807/2562047h",
                 "1/2562047h"):
        scn = "[provider P]\nalgo = token_bucket\nrate = %s\n" % rate
        for a in ALGOS:
            r, db = edge_run("max", scn, wl, "--algo", a)
            check("rate %s %s exit 0" % (rate, a), r.returncode == 0,
                  r.stderr)


def test_slow_rate_never_admits_in_time():
    # 1 per 2562047 h (292 years): the second request goes at 2562047 h,
    # the last whole window in int64 ns; the third's turn is past the end
    # of time. It must not wrap to a time in the past: it waits, then
    # expires when nothing is left that could serve it (a leaky bucket of
    # burst 1 refuses it at once instead: two would be ahead of it).
    scn = "[provider P]\nalgo = fixed_window\nrate = 1/2562047h\n"
    last = 2562047 * 3600 * 10**9
    for a in ALGOS:
        r, db = edge_run("slow-" + a, scn, "at\n0\n1\n2\n", "--algo", a)
        check("1/2562047h %s exit 0" % a, r.returncode == 0, r.stderr)
        if r.returncode == 0:
            got = [(x[3], x[5]) for x in rows(db)]
            check("1/2562047h %s: at 0, at 2562047 h or never" % a,
                  got[0] == (0, "ok") and got[2][0] is None and
                  got[2][1] in ("expired", "rejected") and
                  got[1] in ((last, "ok"), (None, "expired")), got)


def test_until_limits():
    wl = "at\n0\n"

    def until(v):
        return SCN.replace("seed = 3", "seed = 3\nuntil = %s" % v)
    r, _ = edge_run("until-y", until("290y"), wl)
    check("until 290y: located error", r.returncode == 2 and one_line(r.stderr)
          and "edge.ini:3: until: unknown unit" in r.stderr, r.stderr)
    # 290 years in hours fits in int64 ns; one hour past 2^63 ns does not.
    r, db = edge_run("until-h", until("2540400h"), wl)
    check("until 2540400h (290 y) runs", r.returncode == 0 and
          rows(db)[0][5] == "ok", r.stderr)
    r, _ = edge_run("until-big", until("2562048h"), wl)
    check("until 2562048h: too large", r.returncode == 2 and
          "edge.ini:3: until: too large" in r.stderr, r.stderr)
    r, _ = edge_run("until-ns", until("9223372036854775808ns"), wl)
    check("until 2^63 ns: too large", r.returncode == 2 and
          "until: too large" in r.stderr, r.stderr)


def test_cost_2_62():
    c = 2**62
    # A limit of 2^62 a second: the first takes all, the second waits a
    # second (exact refill or the next window), none wraps.
    scn = "[provider P]\nalgo = token_bucket\nrate = %d/1s\n" % c
    wl = "at,cost\n0,%d\n0,%d\n0,1\n" % (c, c)
    for a in ALGOS:
        r, db = edge_run("cost-" + a, scn, wl, "--algo", a)
        check("cost 2^62 %s exit 0" % a, r.returncode == 0, r.stderr)
        if r.returncode != 0:
            continue
        got = rows(db)
        check("cost 2^62 %s first at 0" % a, got[0][3] == 0 and
              got[0][1] == c and got[0][5] == "ok", got)
        check("cost 2^62 %s second waits" % a,
              got[1][3] is not None and 0 < got[1][3] <= 2 * 10**9 and
              got[1][5] == "ok", got)
    # Too big for a 5/s provider: refused at once, not queued forever.
    r, db = edge_run("cost-refused", SCN.replace("1000/s", "5/s"),
                     "at,cost\n0,%d\n0,1\n" % c)
    got = rows(db) if r.returncode == 0 else None
    check("cost 2^62 beyond every limit: refused", r.returncode == 0 and
          got[0][5] == "rejected" and got[1][5] == "ok", (r.stderr, got))
    # 2^63 is past int64: a located error.
    r, _ = edge_run("cost-2-63", SCN, "at,cost\n0,%d\n" % 2**63)
    check("cost 2^63: located error", r.returncode == 2 and
          one_line(r.stderr) and "edge.csv:2: cost: too large" in r.stderr,
          r.stderr)
    # Many large costs waiting at once: their sum passes 2^63.
    scn = ("[provider P]\nalgo = leaky_bucket\nrate = %d/1s\nburst = %d\n"
           % (I64, I64))
    r, db = edge_run("cost-sum", scn, "at,cost\n" + "0,%d\n" % c * 6)
    check("six costs of 2^62 waiting: exit 0", r.returncode == 0, r.stderr)


def test_times_near_the_end():
    r, _ = edge_run("t-never", SCN, "at\n%s\n" % NEVER)
    check("at = 2^63-1 ns: located error", r.returncode == 2 and
          one_line(r.stderr) and "edge.csv:2: at: too large" in r.stderr,
          r.stderr)
    r, _ = edge_run("t-past", SCN, "at\n9223372036.854775808\n")
    check("at past int64: located error", r.returncode == 2 and
          "edge.csv:2: at: too large" in r.stderr, r.stderr)
    r, db = edge_run("t-last", SCN, "at,deadline\n0,%s\n%s,\n" % (LAST, LAST))
    check("at = 2^63-2 ns runs", r.returncode == 0 and
          [x[3] for x in rows(db)] == [0, I64 - 1], r.stderr)
    # A fixed window whose next window would start past 2^63 - 1 ns.
    r, db = edge_run("t-window", "[provider P]\nalgo = fixed_window\n"
                     "rate = 1/4611686018.427387904s\n",
                     "at\n4611686018.427387904\n4611686018.427387904\n")
    check("window past the end: exit 0", r.returncode == 0, r.stderr)
    # Back-offs that double past 2^63 (retry max 1000, base 1h).
    scn = SCN.replace("1000/s", "1/1h") + (
        "[client a]\nquota = 1/2562047h\n"
        "on_reject = retry:expo,base=1h,max=1000,jitter=full\n")
    r, _ = edge_run("t-backoff", scn, "at,client\n0,a\n0,a\n")
    check("back-off past 2^63: exit 0", r.returncode == 0, r.stderr)


# ---------------------------------------------------------------------
# Signals: a run is one transaction.

def baseline_db(name):
    """A database holding one complete small run."""
    db = os.path.join(TMP, name)
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    r = run("run", "-w", gen(2000, "small.csv"), "-c", write("s.ini", SCN),
            "--db", db)
    assert r.returncode == 0, r.stderr
    return db


def feed_forever(p, stop, fed):
    """Writes arrivals into p's stdin until stop is set; fed[0] counts the
    bytes written (the pipe holds 64 KiB, so most were read)."""
    t = 0
    try:
        p.stdin.write(b"at\n")
        while not stop.is_set():
            chunk = "".join("%d.%03d\n" % divmod(t + i, 1000)
                            for i in range(5000)).encode()
            p.stdin.write(chunk)
            p.stdin.flush()
            fed[0] += len(chunk)
            t += 5000
    except (BrokenPipeError, ValueError, OSError):
        pass


def start_endless(db, args=("run",)):
    """ratesim ARGS -w - -c s.ini --db DB, fed arrivals without end."""
    p = subprocess.Popen([BIN, *args, "-w", "-", "-c",
                          write("s.ini", SCN), "--db", db],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    stop, fed = threading.Event(), [0]
    th = threading.Thread(target=feed_forever, args=(p, stop, fed),
                          daemon=True)
    th.start()
    return p, stop, th, fed


def stop_endless(p, stop, th, fed, sig):
    """Signals p once it has read 2 MB of arrivals: midway through the
    run, however slowly it started (valgrind)."""
    deadline = time.time() + 300
    while fed[0] < 2 * 1024 * 1024 and p.poll() is None and \
            time.time() < deadline:
        time.sleep(0.01)
    p.send_signal(sig)
    code = p.wait(timeout=300)
    stop.set()
    try:
        p.stdin.close()
    except OSError:
        pass
    th.join(timeout=10)
    err = p.stderr.read().decode()
    p.stdout.close()
    p.stderr.close()
    return code, err


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])      # utime + stime


def wait_idle(p, quiet=0.6):
    """Returns once p has used no CPU for `quiet` seconds: it sleeps (here:
    waiting for a lock), however long its start took."""
    last, still = -1, 0.0
    deadline = time.time() + 300
    while p.poll() is None and still < quiet and time.time() < deadline:
        now = cpu_ticks(p.pid)
        still = still + 0.1 if now == last else 0.0
        last = now
        time.sleep(0.1)


def test_signals_roll_back():
    for sig, want in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        db = baseline_db("sig-%d.db" % sig)
        before = q1(db, "SELECT count(*) FROM dispatches")
        p, stop, th, fed = start_endless(db)
        code, err = stop_endless(p, stop, th, fed, sig)
        name = signal.Signals(sig).name
        check("%s mid-run exits %d" % (name, want), code == want,
              (code, err))
        check("%s says it rolled back" % name,
              "interrupted; the run was rolled back" in err and
              one_line(err), err)
        ok, runs = intact(db)
        check("%s leaves the database whole" % name, ok and len(runs) == 1
              and q1(db, "SELECT count(*) FROM dispatches") == before, runs)


def test_signal_compare_not_recorded():
    """compare --db none interrupted: 130/143, a line saying so, and no
    report folder (the figures are made only after every run)."""
    for sig, want in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        out = os.path.join(TMP, "cmp-sig-%d" % sig)
        p, stop, th, fed = start_endless("none", ("compare", "--algos",
                                                  "token_bucket", "--out",
                                                  out))
        code, err = stop_endless(p, stop, th, fed, sig)
        name = signal.Signals(sig).name
        check("compare --db none %s exits %d" % (name, want), code == want,
              (code, err))
        check("compare --db none %s says so" % name,
              "interrupted; nothing was recorded" in err and one_line(err),
              err)
        check("compare --db none %s writes no report" % name,
              not os.path.exists(out))


def test_sigkill_mid_run():
    db = baseline_db("kill-run.db")
    p, stop, th, fed = start_endless(db)
    code, _ = stop_endless(p, stop, th, fed, signal.SIGKILL)
    check("SIGKILL mid-run: killed", code == -signal.SIGKILL, code)
    ok, runs = intact(db)
    check("SIGKILL mid-run: integrity ok, no partial run",
          ok and len(runs) == 1, runs)
    r = run("run", "-w", gen(2000, "small.csv"), "-c", write("s.ini", SCN),
            "--db", db)
    check("SIGKILL mid-run: next run appends", r.returncode == 0 and
          intact(db)[0] and len(intact(db)[1]) == 2, r.stderr)


def kill_when_wal_grows(db, big, holder=None):
    """Runs big into db and kills it once the WAL has grown 256 KiB: inside
    its write transaction. With holder (a connection holding the write
    lock) the run stages; the lock is let go once it waits at its commit,
    so the WAL grows as it copies. Returns whether it was killed, after
    checking the database."""
    wal = db + "-wal"
    base = os.path.getsize(wal) if os.path.exists(wal) else 0
    p = subprocess.Popen([BIN, "run", "-w", big, "-c", write("s.ini", SCN),
                          "--db", db], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    if holder is not None:
        wait_idle(p)
        holder.execute("COMMIT")
        holder.close()
    killed = False
    while p.poll() is None:
        if os.path.exists(wal) and os.path.getsize(wal) > base + 256 * 1024:
            p.kill()
            killed = True
            break
        time.sleep(0.002)
    code = p.wait(timeout=300)
    ok, runs = intact(db)
    if code == -signal.SIGKILL:
        check("SIGKILL mid-commit: integrity ok, no partial run",
              ok and len(runs) == 1, runs)
    else:
        check("SIGKILL mid-commit: finished first, whole", code == 0 and
              ok and len(runs) == 2, (code, runs))
    return killed


def test_sigkill_mid_commit():
    """Kills a run while its rows go into the database. A run that found
    the write lock free writes them as it simulates (the WAL grows all
    along); one that found it taken stages them and copies them at its
    commit (the WAL grows only then). Both are caught."""
    big = gen(600000, "big.csv", rate="10000/s")
    for path in ("direct", "staged"):
        caught = 0
        for attempt in range(3):
            db = baseline_db("kill-commit-%s-%d.db" % (path, attempt))
            holder = None
            if path == "staged":
                holder = sqlite3.connect(db, isolation_level=None)
                holder.execute("BEGIN IMMEDIATE")
            caught += kill_when_wal_grows(db, big, holder)
            if caught:
                break
        check("SIGKILL mid-commit (%s): caught a write in progress" % path,
              caught > 0)


# ---------------------------------------------------------------------
# Concurrent writers

def test_four_writers_at_once():
    db = os.path.join(TMP, "four.db")
    wl = gen(200000, "mid.csv", rate="10000/s", clients=3)
    scn = write("s.ini", SCN)
    procs = [subprocess.Popen([BIN, "run", "-w", wl, "-c", scn, "--db", db,
                               "--label", "w%d" % i, "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for i in range(4)]
    outs = [p.communicate(timeout=600) for p in procs]
    codes = [p.returncode for p in procs]
    check("4 writers: all exit 0", codes == [0] * 4,
          [(c, e) for c, (_, e) in zip(codes, outs)])
    ok, runs = intact(db)
    check("4 writers: 4 whole runs", ok and len(runs) == 4 and
          len({d for _, _, d, _, _ in runs}) == 1, runs)
    ids = sorted(int(o.split('"run_id":')[1].split(",")[0])
                 for o, _ in outs if '"run_id":' in o)
    check("4 writers: each told its own run id", ids == [1, 2, 3, 4], ids)
    labels = sorted(x for (x,) in q(db, "SELECT label FROM runs"))
    check("4 writers: every label", labels == ["w0", "w1", "w2", "w3"],
          labels)


def test_writers_wait_past_5s():
    """Another connection holds the write lock: runs that finish meanwhile
    wait for it, here 6 s from when the last of them began to wait (the
    old recorder gave up after 5 s), then all commit; one interrupted
    while waiting rolls back with 130."""
    db = baseline_db("locked.db")
    scn = write("s.ini", SCN)
    wl = gen(2000, "small.csv")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    procs = [subprocess.Popen([BIN, "run", "-w", wl, "-c", scn, "--db", db],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    for p in procs:
        wait_idle(p)
    victim = procs.pop()
    victim.send_signal(signal.SIGINT)
    _, verr = victim.communicate(timeout=60)
    check("interrupted while waiting: 130", victim.returncode == 130,
          (victim.returncode, verr))
    check("interrupted while waiting: says so", one_line(verr) and
          "interrupted; the run was rolled back" in verr, verr)
    time.sleep(6)
    alive = [p.poll() is None for p in procs]
    holder.execute("COMMIT")
    holder.close()
    outs = [p.communicate(timeout=300) for p in procs]
    check("waited past 5 s: still waiting after 6 s", all(alive), alive)
    check("waited past 5 s: all exit 0", [p.returncode for p in procs] ==
          [0] * 3, [e for _, e in outs])
    ok, runs = intact(db)
    check("waited past 5 s: 1 + 3 whole runs", ok and len(runs) == 4, runs)


# ---------------------------------------------------------------------
# Disk and permission faults

def as_nobody():
    """preexec_fn for ratesim as an unprivileged user (when we are root)."""
    if os.geteuid() != 0:
        return None

    def drop():
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    return drop


def nobody_dir(name):
    """A directory nobody can reach, holding a copy of the scenario and a
    small workload."""
    d = os.path.join(TMP, name)
    os.makedirs(d, exist_ok=True)
    os.chmod(TMP, 0o755)
    os.chmod(d, 0o755)
    for f in ("s.ini", "small.csv"):
        src = write("s.ini", SCN) if f == "s.ini" else gen(2000, f)
        shutil.copy(src, os.path.join(d, f))
        os.chmod(os.path.join(d, f), 0o644)
    return d


def run_nobody(d, db):
    return run("run", "-w", os.path.join(d, "small.csv"), "-c",
               os.path.join(d, "s.ini"), "--db", db, preexec_fn=as_nobody())


def test_read_only_database():
    d = nobody_dir("ro-file")
    db = os.path.join(d, "ro.db")
    shutil.copy(baseline_db("ro-src.db"), db)
    os.chmod(db, 0o444)
    os.chmod(d, 0o777)
    r = run_nobody(d, db)
    check("read-only db file: exit 3", r.returncode == 3, r.stderr)
    check("read-only db file: one line naming it", one_line(r.stderr) and
          db in r.stderr and "read" in r.stderr.lower(), r.stderr)
    os.chmod(db, 0o644)
    check("read-only db file: untouched", intact(db)[0] and
          len(intact(db)[1]) == 1)


def test_read_only_directory():
    d = nobody_dir("ro-dir")
    new = os.path.join(d, "new.db")
    os.chmod(d, 0o555)
    r = run_nobody(d, new)
    check("read-only dir, new db: exit 3", r.returncode == 3, r.stderr)
    check("read-only dir, new db: one line naming it", one_line(r.stderr) and
          new in r.stderr, r.stderr)
    check("read-only dir, new db: no file", not os.path.exists(new))
    # An existing, writable file in a read-only directory: SQLite cannot
    # make its -wal and -shm files there.
    os.chmod(d, 0o755)
    old = os.path.join(d, "old.db")
    src = baseline_db("ro-dir-src.db")
    c = sqlite3.connect(src)
    c.execute("PRAGMA journal_mode = DELETE")
    c.close()
    shutil.copy(src, old)
    os.chmod(old, 0o666)
    os.chmod(d, 0o555)
    r = run_nobody(d, old)
    os.chmod(d, 0o755)
    check("read-only dir, existing db: exit 3", r.returncode == 3, r.stderr)
    check("read-only dir, existing db: one line", one_line(r.stderr) and
          old in r.stderr, r.stderr)
    check("read-only dir, existing db: untouched", intact(old)[0] and
          len(intact(old)[1]) == 1)


def limit_fsize(nbytes):
    def f():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return f


def test_full_disk():
    """RLIMIT_FSIZE stands in for a full filesystem: writes past it fail
    with EFBIG (SIGXFSZ ignored), as they would with ENOSPC."""
    db = baseline_db("full.db")
    c = sqlite3.connect(db)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    size = os.path.getsize(db)
    wl = gen(200000, "mid.csv", rate="10000/s", clients=3)
    r = run("run", "-w", wl, "-c", write("s.ini", SCN), "--db", db,
            preexec_fn=limit_fsize(size + 64 * 1024))
    check("full disk: exit 3", r.returncode == 3, (r.returncode, r.stderr))
    check("full disk: one line naming the db", one_line(r.stderr) and
          db in r.stderr, r.stderr)
    ok, runs = intact(db)
    check("full disk: database whole, nothing of the run", ok and
          len(runs) == 1, runs)
    r = run("run", "-w", wl, "-c", write("s.ini", SCN), "--db", db)
    check("full disk: the next run (with room) appends", r.returncode == 0
          and len(intact(db)[1]) == 2, r.stderr)
    # A new database that cannot even get its first pages.
    new = os.path.join(TMP, "full-new.db")
    r = run("run", "-w", wl, "-c", write("s.ini", SCN), "--db", new,
            preexec_fn=limit_fsize(2048))
    check("full disk, new db: exit 3 one line", r.returncode == 3 and
          one_line(r.stderr), (r.returncode, r.stderr))


def test_stdout_full():
    r = subprocess.run("%s run -w %s -c %s --db none > /dev/full" %
                       (BIN, gen(2000, "small.csv"), write("s.ini", SCN)),
                       shell=True, capture_output=True, text=True)
    check("stdout on a full device: exit 3", r.returncode == 3 and
          "stdout" in r.stderr and one_line(r.stderr), r.stderr)


def test_inputs_that_are_directories():
    d = os.path.join(TMP, "a-directory")
    os.makedirs(d, exist_ok=True)
    r = run("run", "-w", d, "-c", write("s.ini", SCN), "--db", "none")
    check("workload is a directory: exit 2 one line", r.returncode == 2 and
          one_line(r.stderr) and d in r.stderr, r.stderr)
    r = run("run", "-w", gen(2000, "small.csv"), "-c", d, "--db", "none")
    check("scenario is a directory: exit 2 one line", r.returncode == 2 and
          one_line(r.stderr) and d in r.stderr, r.stderr)
    r = run("run", "-w", gen(2000, "small.csv"), "-c", write("s.ini", SCN),
            "--db", d)
    check("database is a directory: exit 3 one line", r.returncode == 3 and
          one_line(r.stderr) and d in r.stderr, r.stderr)


def test_stdin_workloads():
    wl = gen(2000, "small.csv")
    scn = write("s.ini", SCN)
    with open(wl) as f:
        text = f.read()
    want = run("run", "-w", wl, "-c", scn, "--db", "none", "--json")
    for name in ("-", "/dev/stdin"):
        with open(wl) as f:
            r = subprocess.run([BIN, "run", "-w", name, "-c", scn, "--db",
                                "none", "--json"], stdin=f,
                               capture_output=True, text=True, timeout=120)
        check("workload %s from a file: exit 0" % name, r.returncode == 0,
              r.stderr)
        digest = lambda s: s.split('"digest":"')[1][:32] if '"digest":"' \
            in s else None
        check("workload %s: same digest as the file" % name,
              digest(r.stdout) == digest(want.stdout) and digest(r.stdout))
        r = run("run", "-w", name, "-c", scn, "--db", "none", "--json",
                stdin=text)
        check("workload %s from a pipe: same digest" % name,
              r.returncode == 0 and digest(r.stdout) == digest(want.stdout),
              r.stderr)
    r = run("run", "-w", "/dev/stdin", "-c", scn, "--db", "none", stdin="")
    check("empty /dev/stdin: exit 2 one line", r.returncode == 2 and
          one_line(r.stderr) and "empty" in r.stderr, r.stderr)


def main():
    clitest.main("hardening", clitest.tests_of(globals()))


if __name__ == "__main__":
    main()
