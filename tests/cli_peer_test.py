#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ratesim against an independent model: the SimPy peer of one token bucket
(../shared/peers/simpy_token_bucket.py, copied to tests/peers/). The peer is
exact in integer nanoseconds, so ratesim must give exactly the same sum of
waits, FIFO and by priority.

Usage: python3 tests/cli_peer_test.py build/ratesim
Needs Debian's SimPy 3 (python3-simpy3, installed by scripts/install-deps.sh),
which imports only under /usr/bin/python3. Ends with "peer: N passed, N
failed".
"""
import os
import re
import sqlite3
import subprocess

import clitest
from clitest import HERE, BIN, TMP, check

PEER = os.path.join(HERE, "peers", "simpy_token_bucket.py")
PY = "/usr/bin/python3"
N = 100000


def peer(*args):
    r = subprocess.run([PY, PEER, "--engine", "simpy3", "--n", str(N), *args],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        return None, r.stderr
    return r.stdout, ""


def to_workload(src, dst, priority):
    """req_id,t_arrive_ns,priority -> at,id[,priority]: ns as exact decimal
    seconds; the peer's 0 is the most urgent, ratesim's highest is."""
    with open(src) as f, open(dst, "w") as g:
        next(f)
        g.write("at,id,priority\n" if priority else "at,id\n")
        for line in f:
            i, t, p = line.split(",")
            t = int(t)
            at = "%d.%09d" % (t // 10**9, t % 10**9)
            g.write("%s,%s,%d\n" % (at, i, 3 - int(p)) if priority
                    else "%s,%s\n" % (at, i))


SCENARIO = """[sim]
queue = %s

[provider bucket]
algo = token_bucket
rate = 1000/s
burst = 10
"""


def compare(priority):
    name = "priority" if priority else "fifo"
    extra = ["--priority"] if priority else []
    out, err = peer(*extra)
    check("peer %s runs" % name, out is not None, err)
    if out is None:
        return
    want = int(re.search(r"wait_sum_ns=(\d+)", out).group(1))
    raw = os.path.join(TMP, "peer-%s.csv" % name)
    wl = os.path.join(TMP, "wl-%s.csv" % name)
    peer(*extra, "--write-workload", raw)
    to_workload(raw, wl, priority)
    scn = os.path.join(TMP, "s-%s.ini" % name)
    with open(scn, "w") as f:
        f.write(SCENARIO % ("priority" if priority else "fifo"))
    db = os.path.join(TMP, "%s.db" % name)
    r = subprocess.run([BIN, "run", "-w", wl, "-c", scn, "--db", db],
                       capture_output=True, text=True, timeout=600)
    check("ratesim %s runs" % name, r.returncode == 0, r.stderr)
    c = sqlite3.connect(db)
    got, n = c.execute("SELECT sum(t_dispatch - t_arrive), count(*) FROM "
                       "dispatches WHERE outcome = 'ok'").fetchone()
    c.close()
    check("all %s dispatched" % name, n == N, str(n))
    check("wait sum %s equals the peer's" % name, got == want,
          "ratesim %s, peer %d" % (got, want))


def main():
    r = subprocess.run([PY, "-c", "import simpy"], capture_output=True)
    check("SimPy 3 importable by %s (python3-simpy3)" % PY, r.returncode == 0,
          r.stderr.decode())
    clitest.main("peer", [lambda: compare(False), lambda: compare(True)]
                 if r.returncode == 0 else [])


if __name__ == "__main__":
    main()
