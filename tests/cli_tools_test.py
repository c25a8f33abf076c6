#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Command-line tests of the tools around a run: `check` (stored regression
cases), `gen` (generated workloads) and `import` (access logs). They run the
built ratesim on real files and check what it prints, its exit code and the
files it leaves.

Usage: python3 tests/cli_tools_test.py build/ratesim
Ends with the line "tools: N passed, N failed" and exits non-zero on any
failure.
"""
import datetime
import json
import os
import re
import shutil
import tempfile

import clitest
from clitest import HERE, ROOT, TMP, check, run, write, read

SAMPLE = os.path.join(HERE, "data", "sample_access.log")


def data_rows(csv_text):
    """The rows of a workload CSV after its comments and header."""
    lines = [l for l in csv_text.split("\n") if l and not l.startswith("#")]
    return [l.split(",") for l in lines[1:]]


SCN = """[sim]
seed = 3

[provider P1]
algo = token_bucket
rate = 5/s
burst = 5
"""


# ---------------------------------------------------------------------
# check

def shipped_cases():
    d = os.path.join(ROOT, "results")
    return sorted(n for n in os.listdir(d)
                  if os.path.isfile(os.path.join(d, n, "case.ini")))


def copy_case(name, new):
    dst = os.path.join(TMP, new)
    shutil.copytree(os.path.join(ROOT, "results", name), dst)
    return dst


def test_check_shipped():
    names = shipped_cases()
    check("cases shipped", len(names) >= 16, str(names))
    for algo in ("fixed-window", "sliding-log", "sliding-window",
                 "token-bucket", "leaky-bucket", "gcra", "concurrency"):
        check("case for " + algo, "algo-" + algo in names)
    r = run("check", cwd=ROOT)
    check("check exit 0", r.returncode == 0, r.stdout + r.stderr)
    oks = [l for l in r.stdout.split("\n") if l.startswith("ok ")]
    check("one ok per case", oks == ["ok " + n for n in names], r.stdout)
    check("check tally", "%d cases: %d ok" % (len(names), len(names))
          in r.stdout, r.stdout)
    r = run("check", "priorities", "deadlines", cwd=ROOT)
    check("check named cases", r.returncode == 0 and
          r.stdout.startswith("ok priorities\nok deadlines\n"), r.stdout)
    r = run("check", os.path.join(ROOT, "results", "failover"))
    check("check by path", r.returncode == 0 and "ok " in r.stdout,
          r.stdout + r.stderr)


def test_check_difference():
    d = copy_case("priorities", "edited")
    exp = os.path.join(d, "expected.csv")
    original = read(exp)
    lines = original.split("\n")
    # row 4 (req 4): move its dispatch by 1 ns
    check("row to edit", lines[4].startswith("4,1,P,2500000000,"), lines[4])
    lines[4] = lines[4].replace("4,1,P,2500000000,", "4,1,P,2500000001,")
    with open(exp, "w") as f:
        f.write("\n".join(lines))
    r = run("check", d)
    out = r.stdout
    check("difference exit 1", r.returncode == 1, out + r.stderr)
    check("difference names case", ("FAIL " + d) in out, out)
    check("difference counts rows", "1 row differs" in out, out)
    check("difference names row", "req_id 4, attempt 1" in out and
          "expected.csv line 5" in out, out)
    check("difference side by side", re.search(
        r"> t_dispatch\s+2500000001\s+2500000000", out) is not None, out)
    check("difference full rows", "expected: 4,1,P,2500000001,2500000000,ok"
          in out and "actual:   4,1,P,2500000000,2500000000,ok" in out, out)
    # --update restores the stored expectation from a fresh run
    r = run("check", "--update", d)
    check("update exit 0", r.returncode == 0 and "updated" in r.stdout,
          r.stdout + r.stderr)
    check("update restores row", read(exp) == original)
    r = run("check", d)
    check("check after update", r.returncode == 0 and
          r.stdout.strip() == "ok " + d, r.stdout)


def test_check_missing_and_extra_rows():
    d = copy_case("deadlines", "fewer")
    exp = os.path.join(d, "expected.csv")
    lines = read(exp).rstrip("\n").split("\n")
    with open(exp, "w") as f:
        f.write("\n".join(lines[:-2]) + "\n")      # drop reqs 5 and 6
    r = run("check", d)
    check("missing rows exit 1", r.returncode == 1, r.stdout)
    check("missing rows counted", "2 rows differ (expected 4 rows, got 6)"
          in r.stdout, r.stdout)
    check("missing row shown", "actual:   5,1,P,3000000000,3000000000,ok"
          in r.stdout and "expected: (no such row)" in r.stdout, r.stdout)


def test_check_digest():
    d = copy_case("costs", "digest")
    ini = os.path.join(d, "case.ini")
    text = re.sub(r"digest\s*=\s*[0-9a-f]+", "digest = " + "0" * 32,
                  read(ini))
    with open(ini, "w") as f:
        f.write(text)
    r = run("check", d)
    check("digest difference exit 1", r.returncode == 1 and
          "digest differs" in r.stdout, r.stdout)


def test_check_broken():
    d = copy_case("priorities", "broken")
    ini = os.path.join(d, "case.ini")
    with open(ini, "w") as f:
        f.write("[case]\nscenario = scenario.ini\n")
    r = run("check", d)
    check("broken ini exit 2", r.returncode == 2, r.stdout + r.stderr)
    check("broken ini message", "case.ini: workload: missing" in r.stderr,
          r.stderr)
    with open(ini, "w") as f:
        f.write("[case]\nscenario = scenario.ini\nworkload = gone.csv\n")
    r = run("check", d)
    check("missing workload exit 2", r.returncode == 2 and
          "gone.csv" in r.stderr, r.stderr)
    with open(ini, "w") as f:
        f.write("[case]\nscenario = scenario.ini\nworkload = workload.csv\n")
    with open(os.path.join(d, "scenario.ini"), "a") as f:
        f.write("colour = red\n")
    r = run("check", d)
    check("bad scenario exit 2", r.returncode == 2 and
          "scenario.ini:" in r.stderr and "colour" in r.stderr, r.stderr)
    d2 = copy_case("priorities", "badexp")
    with open(os.path.join(d2, "expected.csv"), "a") as f:
        f.write("7,1,P,soon,,ok\n")
    r = run("check", d2)
    check("bad expected exit 2", r.returncode == 2 and
          "expected.csv:8: t_dispatch:" in r.stderr, r.stderr)
    r = run("check", "no-such-case", cwd=ROOT)
    check("unknown case exit 2", r.returncode == 2 and
          "no-such-case" in r.stderr, r.stderr)
    # the worst outcome decides the exit code; every case is still run
    ok = os.path.join(ROOT, "results", "costs")
    r = run("check", ok, d2)
    check("ok + broken exit 2", r.returncode == 2 and "ok " + ok in r.stdout,
          r.stdout)
    r = run("check", "--update", d)
    check("update broken exit 2", r.returncode == 2)


def test_check_new():
    wl = write("new-w.csv", "at\n0\n0\n0\n0.5\n")
    scn = write("new-s.ini", SCN.replace("burst = 5", "burst = 2"))
    d = os.path.join(TMP, "cases", "fresh")
    os.makedirs(os.path.dirname(d))
    r = run("check", "--new", d, "-w", wl, "-c", scn, "--algo", "gcra",
            "--seed", "9", "--description", "three at 0, one at 0.5")
    check("new exit 0", r.returncode == 0, r.stdout + r.stderr)
    check("new files", all(os.path.isfile(os.path.join(d, f)) for f in
                           ("case.ini", "expected.csv", "workload.csv",
                            "scenario.ini")))
    ini = read(os.path.join(d, "case.ini")) if r.returncode == 0 else ""
    check("new case.ini", "algo        = gcra" in ini and
          "seed        = 9" in ini and "digest" in ini and
          "three at 0" in ini, ini)
    exp = read(os.path.join(d, "expected.csv")) if r.returncode == 0 else ""
    # gcra 5/s burst 2: 0, 0, 0.2; the one at 0.5 goes at 0.5
    check("new expected", exp.split("\n")[1:5] ==
          ["1,1,P1,0,0,ok", "2,1,P1,0,0,ok", "3,1,P1,200000000,200000000,ok",
           "4,1,P1,500000000,500000000,ok"], exp)
    r = run("check", d)
    check("new checks ok", r.returncode == 0, r.stdout + r.stderr)
    r = run("check", "--new", d, "-w", wl, "-c", scn)
    check("new refuses existing", r.returncode == 2 and
          "already a case" in r.stderr, r.stderr)
    bad = os.path.join(TMP, "cases", "bad")
    r = run("check", "--new", bad, "-w", wl, "-c",
            write("bad-s.ini", SCN + "colour = red\n"))
    check("new bad scenario exit 2", r.returncode == 2, r.stderr)
    check("new bad leaves nothing", not os.path.exists(bad))
    # a name without a slash goes under results/ of the working directory
    cwd = tempfile.mkdtemp(dir=TMP)
    r = run("check", "--new", "mine", "-w", "-", "-c", scn, cwd=cwd,
            stdin="at\n0\n1\n")
    check("new under results/", r.returncode == 0 and os.path.isfile(
        os.path.join(cwd, "results", "mine", "expected.csv")), r.stderr)
    r = run("check", cwd=cwd)
    check("check all in cwd", r.returncode == 0 and
          r.stdout.strip() == "ok mine", r.stdout)
    r = run("check", cwd=tempfile.mkdtemp(dir=TMP))
    check("no results/ exit 2", r.returncode == 2 and "results" in r.stderr)


def test_check_usage():
    r = run("check", "--help")
    check("check --help", r.returncode == 0 and "--update" in r.stdout and
          "--new" in r.stdout and "case.ini" in r.stdout)
    r = run("check", "--bogus")
    check("check unknown option", r.returncode == 2 and "usage" in r.stderr)
    r = run("check", "--new", "x")
    check("check --new without -w", r.returncode == 2 and "-w" in r.stderr)
    r = run("check", "-w", "x.csv")
    check("check -w without --new", r.returncode == 2)


# ---------------------------------------------------------------------
# gen

GEN = ["gen", "--pattern", "poisson", "--rate", "50/s", "--duration", "20s",
       "--clients", "3", "--priorities", "0:70,1:20,2:10", "--costs",
       "1:90,2:10", "--after", "0..1s", "--deadline", "5s", "--seed", "7"]


def test_gen_deterministic():
    a = run(*GEN, binary=True)
    b = run(*GEN, binary=True)
    check("gen exit 0", a.returncode == 0, a.stderr)
    check("gen same bytes", a.stdout == b.stdout and len(a.stdout) > 10000)
    out = os.path.join(TMP, "g.csv")
    r = run(*GEN, "-o", out, binary=True)
    check("gen -o same bytes", r.returncode == 0 and
          open(out, "rb").read() == a.stdout)
    c = run(*GEN[:-1], "8", binary=True)
    check("gen other seed differs", c.returncode == 0 and
          c.stdout != a.stdout)
    text = a.stdout.decode()
    lines = text.split("\n")
    check("gen comment", lines[0].startswith("# ratesim gen --pattern "
                                             "poisson --rate 50/s"), lines[0])
    check("gen header", lines[1] ==
          "at,id,client,priority,cost,after,deadline", lines[1])
    rows = data_rows(text)
    ats = [float(r[0]) for r in rows]
    check("gen sorted", ats == sorted(ats) and ats[-1] < 20)
    check("gen rate", 900 < len(rows) < 1100, str(len(rows)))
    check("gen columns", all(r[2] in ("c1", "c2", "c3") and
                             r[3] in ("0", "1", "2") and r[4] in ("1", "2")
                             for r in rows))
    check("gen after/deadline", all(
        0 <= float(r[5]) - float(r[0]) <= 1.000000001 and
        abs(float(r[6]) - float(r[5]) - 5) < 1e-6 for r in rows))


def test_gen_streams():
    plain = run("gen", "--pattern", "poisson", "--rate", "50/s",
                "--duration", "20s", "--seed", "7")
    mixed = run(*GEN)
    check("gen plain exit 0", plain.returncode == 0, plain.stderr)
    a = [r[0] for r in data_rows(plain.stdout)]
    b = [r[0] for r in data_rows(mixed.stdout)]
    check("gen options do not move arrivals", a == b and len(a) > 0)


def test_gen_patterns():
    r = run("gen", "--pattern", "constant", "--rate", "3/s", "--duration",
            "2s")
    check("gen constant exact", r.returncode == 0 and data_rows(r.stdout) ==
          [["0", "1"], ["0.333333334", "2"], ["0.666666667", "3"],
           ["1", "4"], ["1.333333334", "5"], ["1.666666667", "6"]], r.stdout)
    r = run("gen", "--pattern", "onoff", "--rate", "100/s", "--duration",
            "60s", "--on", "1s", "--off", "4s")
    ats = [float(x[0]) for x in data_rows(r.stdout)]
    check("gen onoff quiet when off", r.returncode == 0 and len(ats) > 0 and
          all(t % 5 < 1 for t in ats), r.stderr)
    r = run("gen", "--pattern", "diurnal", "--rate", "10/s", "--duration",
            "1h", "--period", "1h", "--depth", "0.9")
    ats = [float(x[0]) for x in data_rows(r.stdout)]
    night = sum(1 for t in ats if t < 900 or t >= 2700)
    check("gen diurnal", r.returncode == 0 and 34000 < len(ats) < 38000 and
          night < 0.3 * len(ats), "%d %d" % (len(ats), night))
    r = run("gen", "--pattern", "pareto", "--rate", "10/s", "--duration",
            "10s", "--shape", "2.5")
    check("gen pareto", r.returncode == 0 and len(data_rows(r.stdout)) > 10)


def test_gen_runs():
    g = run(*GEN)
    scn = write("gen.ini", SCN.replace("rate = 5/s", "rate = 40/s"))
    r = run("run", "-w", "-", "-c", scn, "--db", "none", stdin=g.stdout)
    n = len(data_rows(g.stdout))
    check("gen output runs", r.returncode == 0 and
          ("requests %d " % n) in r.stdout, r.stdout + r.stderr)


def test_gen_usage():
    r = run("gen", "--help")
    check("gen --help", r.returncode == 0 and "diurnal" in r.stdout)
    for args, want in (
            (["--pattern", "poisson", "--rate", "5/s"], "required"),
            (["--pattern", "wavy", "--rate", "5/s", "--duration", "1s"],
             "--pattern"),
            (["--pattern", "poisson", "--rate", "fast", "--duration", "1s"],
             "--rate"),
            (["--pattern", "poisson", "--rate", "5/s", "--duration", "1s",
              "--on", "1s"], "--on goes with --pattern onoff"),
            (["--pattern", "onoff", "--rate", "5/s", "--duration", "1s"],
             "--on"),
            (["--pattern", "poisson", "--rate", "5/s", "--duration", "1s",
              "--priorities", "0:x"], "--priorities"),
            (["--pattern", "poisson", "--rate", "5/s", "--duration", "1s",
              "--costs", "0:1"], "--costs"),
            (["--pattern", "poisson", "--rate", "5/s", "--duration", "1s",
              "--after", "2s..1s"], "--after")):
        r = run("gen", *args)
        check("gen usage %s" % want, r.returncode == 2 and want in r.stderr
              and r.stdout == "", r.stderr)
    r = run("gen", "--pattern", "poisson", "--rate", "5/s", "--duration",
            "1s", "-o", "/nonexistent-dir/w.csv")
    check("gen unwritable exit 3", r.returncode == 3 and
          "/nonexistent-dir/w.csv" in r.stderr, r.stderr)


# ---------------------------------------------------------------------
# import

def sample_times():
    """The sample log read independently: (line number, UTC seconds)."""
    out = []
    for i, line in enumerate(read(SAMPLE).split("\n"), 1):
        m = re.match(r'\S+ \S+ \S+ \[([^\]]+)\] "(?:[^"\\]|\\.)*" '
                     r'\d{3} (\d+|-)( "[^"]*" "[^"]*")?$', line)
        if not m:
            continue
        try:
            when = m.group(1)
            frac = 0.0
            fm = re.match(r"(.*:\d\d)(\.\d+)( .*)$", when)
            if fm:
                when, frac = fm.group(1) + fm.group(3), float(fm.group(2))
            t = datetime.datetime.strptime(when, "%d/%b/%Y:%H:%M:%S %z")
        except ValueError:
            continue
        out.append((i, t.timestamp() + frac, m.group(3) is not None))
    return out


def test_import_sample():
    out = os.path.join(TMP, "imported.csv")
    r = run("import", "--format", "clf", "-o", out, SAMPLE)
    check("import exit 0", r.returncode == 0, r.stderr)
    err = r.stderr
    for line in (13, 19, 26, 30, 34):
        check("import reports line %d" % line,
              "sample_access.log:%d: " % line in err, err)
    check("import reports out of order",
          "sample_access.log:48: time: 17s earlier" in err, err)
    check("import summary", "53 lines, 46 imported, 5 malformed, 1 out of "
          "order" in err, err)
    check("import good lines silent", "sample_access.log:41:" not in err)
    text = read(out) if r.returncode == 0 else ""
    check("import time 0", text.startswith("# ratesim import --format clf "
                                           "--client ip: time 0 is "
                                           "971211336 "), text[:100])
    rows = data_rows(text)
    check("import rows", len(rows) == 46, str(len(rows)))
    # every good line but the late one (48), in time order, relative to
    # the earliest; read here with Python's own time zone handling
    good = [(i, t) for i, t, _ in sample_times() if i != 48]
    t0 = min(t for _, t in good)
    want = sorted(round(t - t0, 3) for _, t in good)
    got = [round(float(x[0]), 3) for x in rows]
    check("import relative times", got == want, "\n%s\n%s" % (got, want))
    # lines 1 (-0700) and 2 (+0200) were written at the same instant
    check("import time zones", rows[0] == ["0", "127.0.0.1"] and
          rows[1] == ["0", "10.0.0.7"], str(rows[:2]))
    check("import fraction", ["7.25", "10.0.0.9"] in rows, str(rows))
    # the imported workload runs
    scn = write("imp.ini", SCN)
    r = run("run", "-w", out, "-c", scn, "--db", "none", "--json")
    try:
        summary = json.loads(r.stdout)
    except ValueError:
        summary = {}
    check("imported workload runs", r.returncode == 0 and
          summary.get("requests") == 46 and
          summary.get("outcomes", {}).get("ok") == 46,
          r.stdout[:300] + r.stderr)


def test_import_formats():
    r = run("import", "--format", "combined", "--client", "user", SAMPLE)
    check("combined exit 0", r.returncode == 0, r.stderr)
    check("combined needs agent", "sample_access.log:41: referer:"
          in r.stderr and "45 imported, 6 malformed" in r.stderr, r.stderr)
    clients = set(x[1] for x in data_rows(r.stdout))
    check("client user", clients == {"", "alice", "frank"}, str(clients))
    r = run("import", "--format", "clf", "--client", "none", "--window", "0",
            SAMPLE)
    check("window 0", r.returncode == 0 and "out of order" in r.stderr and
          data_rows(r.stdout)[0] == ["0"], r.stderr)
    n_late = len(re.findall(r"earlier than a line already imported",
                            r.stderr))
    check("window 0 rejects more", n_late > 1, r.stderr)
    csv = write("times.csv", "time,client,path\n1700000001.5,b,/x\n"
                "1700000000,a,\"/y,z\"\n1700000003,,/\n")
    r = run("import", "--format", "csv", csv)
    check("csv import", r.returncode == 0 and data_rows(r.stdout) ==
          [["0", "a"], ["1.5", "b"], ["3", ""]], r.stdout + r.stderr)
    r = run("import", "--format", "csv", "-", stdin=read(csv))
    check("csv from stdin", r.returncode == 0 and len(data_rows(r.stdout))
          == 3, r.stderr)


def test_import_bad():
    junk = write("junk.log", "".join("junk line %d\n" % i for i in range(15)))
    out = os.path.join(TMP, "none.csv")
    r = run("import", "--format", "clf", "-o", out, junk)
    check("nothing imported exit 2", r.returncode == 2 and
          "nothing could be imported" in r.stderr, r.stderr)
    check("nothing imported no file", not os.path.exists(out))
    shown = len(re.findall(r"junk\.log:\d+: ", r.stderr))
    check("first few reported", shown == 10 and "not shown" in r.stderr and
          "15 lines, 0 imported, 15 malformed" in r.stderr, r.stderr)
    r = run("import", "--format", "clf", os.path.join(TMP, "missing.log"))
    check("missing log exit 2", r.returncode == 2 and "missing.log" in
          r.stderr, r.stderr)
    r = run("import", "--format", "w3c", SAMPLE)
    check("bad format exit 2", r.returncode == 2 and "--format" in r.stderr)
    r = run("import", SAMPLE)
    check("format required", r.returncode == 2 and "usage" in r.stderr)
    r = run("import", "--help")
    check("import --help", r.returncode == 0 and "combined" in r.stdout)
    r = run("import", "--format", "csv", write("nocol.csv", "when\n1\n"))
    check("csv without time", r.returncode == 2 and "nocol.csv:1: header:"
          in r.stderr, r.stderr)


def main():
    clitest.main("tools", clitest.tests_of(globals()))


if __name__ == "__main__":
    main()
