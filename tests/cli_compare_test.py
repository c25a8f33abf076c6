#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Command-line tests of `compare` and `plot`: they run the built ratesim on
the shipped gallery workloads and check the runs it records, the reports'
tables against numbers worked out here from the database (independently of
ratesim's own SQL), every figure file, the default run of `plot`, a folder
reused by a later plot, and the failures: gnuplot missing from PATH (exit 3,
the runs kept), bad usage, a missing database or run.

Usage: python3 tests/cli_compare_test.py build/ratesim
Ends with the line "compare: N passed, N failed" and exits non-zero on any
failure.
"""
import html
import os
import re
import sqlite3
import subprocess
import xml.etree.ElementTree as ET

import clitest
from clitest import ROOT, BIN, TMP, check, run, read

WL = os.path.join(ROOT, "workloads")
ALGOS = ["fixed_window", "sliding_log", "token_bucket"]
FIGURES = ["rate", "cumulative", "wait-cdf", "queue"]


# ---------------------------------------------------------------------
# What the reports should say, from the database alone

def rank(ppm, n):
    """1-based nearest rank of quantile ppm (parts per million) of n."""
    return max(1, (ppm * n + 999999) // 1000000)


def fmt_wait(ns):
    return "0" if ns == 0 else "%.4g" % (ns / 1e9)


def worst_window(times_costs, window):
    """Most cost in any half-open interval of length window."""
    best = lo = total = 0
    for hi, (t, c) in enumerate(times_costs):
        total += c
        while times_costs[lo][0] <= t - window:
            total -= times_costs[lo][1]
            lo += 1
        best = max(best, total)
    return best


def jain(clients):
    """Jain's index of served / max-min fair share of what was served."""
    d = sorted((o, s) for o, s in clients if o > 0)
    left = float(sum(s for _, s in d))
    if left <= 0:
        return None
    xs = []
    for i, (o, s) in enumerate(d):
        share = min(float(o), left / (len(d) - i))
        left -= share
        xs.append(s / share)
    return sum(xs) ** 2 / (len(xs) * sum(x * x for x in xs))


def parse_rate(params):
    """count, window ns of the first 'algo N/Ws' in a providers.params."""
    m = re.search(r"(\d+)/([0-9.]+)s", params or "")
    if not m:
        return None
    return int(m.group(1)), round(float(m.group(2)) * 1e9)


def expected_row(db, run_id):
    c = sqlite3.connect(db)
    q = lambda sql: c.execute(sql, (run_id,)).fetchall()
    rows = q("SELECT outcome, t_dispatch, t_ready, attempt FROM dispatches "
             "WHERE run_id = ?")
    sent = [r for r in rows if r[1] is not None]
    waits = sorted(r[1] - r[2] for r in sent)
    n = len(waits)
    e = {
        "dispatched": str(len(sent)),
        "rejected": str(sum(r[0] == "rejected" for r in rows)),
        "expired": str(sum(r[0] == "expired" for r in rows)),
        "rate/s": "%.3f" % (len(sent) / (max(r[1] for r in sent) / 1e9)),
        "wait p50 (s)": fmt_wait(waits[rank(500000, n) - 1]),
        "p95 (s)": fmt_wait(waits[rank(950000, n) - 1]),
        "p99 (s)": fmt_wait(waits[rank(990000, n) - 1]),
        "max (s)": fmt_wait(waits[-1]),
    }
    provs = q("SELECT provider_id, name, params FROM providers "
              "WHERE run_id = ? ORDER BY ord")
    worst = []
    for pid, name, params in provs:
        lim = parse_rate(params)
        if lim is None:
            continue
        tc = c.execute("SELECT t_dispatch, cost FROM dispatches WHERE "
                       "run_id = ? AND provider_id = ? AND t_dispatch IS NOT "
                       "NULL ORDER BY t_dispatch", (run_id, pid)).fetchall()
        w = "%d/%d per %ss" % (worst_window(tc, lim[1]), lim[0],
                               "%g" % (lim[1] / 1e9))
        worst.append(w if len(provs) == 1 else name + " " + w)
    e["worst window / limit"] = "; ".join(worst)
    j = jain(q("SELECT sum(attempt = 1), sum(outcome = 'ok') FROM "
               "dispatches WHERE run_id = ? GROUP BY client"))
    e["Jain fairness"] = "-" if j is None else "%.3f" % j
    c.close()
    return e


# ---------------------------------------------------------------------
# Reading the reports back

def md_table(text):
    """{first cell: {header: cell}} of the first Markdown table."""
    lines = [l for l in text.split("\n") if l.startswith("|")]
    split = lambda l: [c.strip().replace("\\_", "_").replace("\\|", "|")
                       for c in re.split(r"(?<!\\)\|", l)[1:-1]]
    head = split(lines[0])
    out = {}
    for l in lines[2:]:
        if l.startswith("| run |") or not l.strip():
            break
        cells = split(l)
        if len(cells) != len(head):
            break
        out[cells[0]] = dict(zip(head, cells))
    return out


def html_table(text):
    """{first cell: {header: cell}} of the first HTML table."""
    t = re.search(r"<table>(.*?)</table>", text, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", t, re.S)
    clean = lambda s: html.unescape(re.sub(r"<[^>]+>", "",
                                           s.replace("<br>", "; "))).strip()
    head = [clean(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", rows[0])]
    out = {}
    for r in rows[1:]:
        cells = [clean(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
        out[cells[0]] = dict(zip(head, cells))
    return out


def check_figures(name, out, figures):
    for f in figures:
        png = os.path.join(out, f + ".png")
        ok = os.path.isfile(png) and os.path.getsize(png) > 1000
        data = open(png, "rb").read() if ok else b""
        check(name + ": " + f + ".png", ok and data[:8] == b"\x89PNG\r\n\x1a\n"
              and data[12:16] == b"IHDR" and
              int.from_bytes(data[16:20], "big") > 100, png)
        svg = os.path.join(out, f + ".svg")
        try:
            root = ET.parse(svg).getroot()
            ok = root.tag.endswith("svg") and len(list(root.iter())) > 20
        except (OSError, ET.ParseError) as e:
            ok = False
        check(name + ": " + f + ".svg", ok, svg)


# ---------------------------------------------------------------------

def compare_edge(db, out):
    return run("compare", "-w", os.path.join(WL, "edge.csv"),
               "-c", os.path.join(WL, "edge.ini"), "--algos",
               ",".join(ALGOS), "--db", db, "--out", out)


def test_compare():
    db, out = os.path.join(TMP, "c.db"), os.path.join(TMP, "edge")
    r = compare_edge(db, out)
    check("compare exit 0", r.returncode == 0, r.stdout + r.stderr)
    c = sqlite3.connect(db)
    runs = c.execute("SELECT run_id, label, algo, requests FROM runs "
                     "ORDER BY run_id").fetchall()
    c.close()
    check("three runs", len(runs) == 3, runs)
    check("labelled runs", [r[1] for r in runs] ==
          ["edge/" + a for a in ALGOS], runs)
    check("runs' algorithms", [r[2] for r in runs] == ALGOS, runs)
    check("runs' requests", all(r[3] == 200 for r in runs), runs)
    for a in ALGOS:
        check("stdout row " + a, re.search(r"^%s\s+\d+" % a, r.stdout, re.M)
              is not None, r.stdout)
    check("stdout names the report", out + "/report.html" in r.stdout,
          r.stdout)
    md = read(os.path.join(out, "report.md"))
    page = read(os.path.join(out, "report.html"))
    tables = {"md": md_table(md), "html": html_table(page)}
    for (run_id, label, algo, _) in runs:
        want = expected_row(db, run_id)
        for kind, table in tables.items():
            got = table.get(algo)
            check("%s row %s" % (kind, algo), got is not None, table.keys())
            for k, v in want.items():
                check("%s %s %s" % (kind, algo, k),
                      got is not None and got.get(k) == v,
                      "%s: want %r, got %r" % (k, v, got and got.get(k)))
    # The point of this workload: 2N across a fixed window's edge.
    check("fixed window lets 20 through",
          tables["md"]["fixed_window"]["worst window / limit"] ==
          "20/10 per 1s", tables["md"]["fixed_window"])
    check("sliding log holds 10",
          tables["md"]["sliding_log"]["worst window / limit"] ==
          "10/10 per 1s", tables["md"]["sliding_log"])
    check_figures("compare", out, FIGURES)
    check("no provider figure with one provider",
          not os.path.exists(os.path.join(out, "providers.png")))
    for f in FIGURES:
        check("md shows " + f, "](%s.png)" % f in md, md[:300])
    check("html inlines every figure", page.count("<svg") == len(FIGURES),
          page.count("<svg"))
    check("html is self-contained", not re.search(
        r"<(script|link|img|iframe)\b|src=|href=\"http|url\(http", page))
    ids = re.findall(r"\bid=['\"]([^'\"]+)['\"]", page)
    check("html ids are unique", len(ids) == len(set(ids)),
          sorted(i for i in ids if ids.count(i) > 1)[:5])
    check("html names the digests", all(d in page for d in
          [x[0] for x in sqlite3.connect(db).execute(
              "SELECT digest FROM runs")]))
    check("data files", all(os.path.isfile(os.path.join(out, "data", f))
                            for f in ["series.gp", "bins-1.dat", "cdf-3.dat"]))
    check("no temporary folder left", not [n for n in os.listdir(out)
                                            if n.startswith(".")],
          os.listdir(out))


def test_aggregated():
    """The data files hold bins and quantiles, never a row per request."""
    db, out = os.path.join(TMP, "agg.db"), os.path.join(TMP, "agg")
    wl = os.path.join(TMP, "big.csv")
    r = run("gen", "--pattern", "poisson", "--rate", "500/s", "--duration",
            "60s", "-o", wl)
    check("gen big", r.returncode == 0, r.stderr)
    r = run("compare", "-w", wl, "-c", os.path.join(WL, "edge.ini"),
            "--algos", "sliding_log", "--db", db, "--out", out)
    check("compare big", r.returncode == 0, r.stderr)
    lines = sum(len(read(os.path.join(out, "data", f)).split("\n"))
                for f in os.listdir(os.path.join(out, "data")))
    check("data is aggregated", lines < 2000, lines)


def test_plot():
    db = os.path.join(TMP, "c.db")
    out = os.path.join(TMP, "again")
    r = run("plot", "--db", db, "--run", "1", "--run", "2,3", "--out", out)
    check("plot exit 0", r.returncode == 0, r.stdout + r.stderr)
    check_figures("plot", out, FIGURES)
    table = md_table(read(os.path.join(out, "report.md")))
    check("plot names series by label", sorted(table) == sorted(ALGOS),
          list(table))
    check("plot numbers are compare's", table == md_table(
        read(os.path.join(TMP, "edge", "report.md"))))
    # Default: the latest run, into plots/out/ under the current folder.
    r = run("plot", "--db", db, cwd=TMP)
    check("plot latest exit 0", r.returncode == 0, r.stdout + r.stderr)
    default = os.path.join(TMP, "plots", "out", "edge")
    table = md_table(read(os.path.join(default, "report.md")))
    check("plot latest is run 3", list(table) == ["edge/token_bucket"],
          list(table))


def test_installed_plot():
    """`make install` puts the program in PREFIX/bin and its gnuplot
    templates in PREFIX/share/ratesim/plots, where the installed program
    finds them with no RATESIM_PLOTS set and nothing beside a source tree.
    (B= names the folder of the program under test and -o keeps make from
    building it again.)"""
    dest = os.path.join(TMP, "inst")
    r = subprocess.run(["make", "-s", "-C", ROOT, "-o", BIN, "install",
                        "B=" + os.path.dirname(BIN), "DESTDIR=" + dest,
                        "PREFIX=/opt/rs"], capture_output=True, text=True)
    check("make install", r.returncode == 0, r.stdout + r.stderr)
    prog = os.path.join(dest, "opt", "rs", "bin", "ratesim")
    gp = os.path.join(dest, "opt", "rs", "share", "ratesim", "plots")
    check("templates installed", os.path.isfile(os.path.join(gp, "rate.gp"))
          and os.path.isfile(os.path.join(gp, "common.gp")),
          str(os.listdir(gp) if os.path.isdir(gp) else gp))
    env = {k: v for k, v in os.environ.items() if k != "RATESIM_PLOTS"}
    out = os.path.join(TMP, "installed-out")
    r = subprocess.run([prog, "plot", "--db", os.path.join(TMP, "c.db"),
                        "--out", out], capture_output=True, text=True,
                       env=env, cwd=TMP, timeout=120)
    check("installed plot exit 0", r.returncode == 0, r.stdout + r.stderr)
    check("installed plot figures",
          os.path.isfile(os.path.join(out, "rate.png")), str(
              os.listdir(out) if os.path.isdir(out) else out))


def test_providers_and_reuse():
    """Two providers: a share figure; a later set in the same folder
    leaves none of the earlier one's files behind."""
    db, out = os.path.join(TMP, "f.db"), os.path.join(TMP, "failover")
    r = run("compare", "-w", os.path.join(WL, "failover.csv"), "-c",
            os.path.join(WL, "failover.ini"), "--algos",
            "token_bucket,sliding_log", "--db", db, "--out", out)
    check("failover compare", r.returncode == 0, r.stdout + r.stderr)
    check_figures("failover", out, FIGURES + ["providers"])
    table = md_table(read(os.path.join(out, "report.md")))
    check("worst window per provider", table.get("token_bucket", {}).get(
        "worst window / limit", "").startswith("primary "), table)
    share = read(os.path.join(out, "data", "share.dat")).split("\n")
    check("share header", share[0] == 'series "primary" "fallback"', share)
    r = run("plot", "--db", os.path.join(TMP, "c.db"), "--run", "1",
            "--out", out)
    check("plot over it", r.returncode == 0, r.stderr)
    check("stale share figure gone",
          not os.path.exists(os.path.join(out, "providers.png")))
    check("stale data gone",
          not os.path.exists(os.path.join(out, "data", "bins-2.dat")))


def test_scenarios():
    """Several scenarios: series named by what tells them apart."""
    db, out = os.path.join(TMP, "s.db"), os.path.join(TMP, "storm")
    r = run("compare", "-w", os.path.join(WL, "storm.csv"),
            "-c", os.path.join(WL, "storm-sync.ini"),
            "-c", os.path.join(WL, "storm-jitter.ini"), "--db", db,
            "--out", out)
    check("scenarios compare", r.returncode == 0, r.stdout + r.stderr)
    table = md_table(read(os.path.join(out, "report.md")))
    check("scenario series", sorted(table) == ["jitter", "sync"], table)
    check("retries column", "retries" in table.get("sync", {}), table)
    labels = [l for (l,) in sqlite3.connect(db).execute(
        "SELECT label FROM runs ORDER BY run_id")]
    check("scenario labels", labels == ["storm/sync", "storm/jitter"], labels)
    check("jitter sends more", int(table["jitter"]["dispatched"]) >
          int(table["sync"]["dispatched"]), table)


def strip_provenance(text):
    """A report without what differs between a recorded set and one not
    recorded: the line naming the database, and the runs' wall times."""
    text = re.sub(r"^(From `[^`]*`|Runs not recorded \(`--db none`\))", "",
                  text, flags=re.M)
    text = re.sub(r"(Database <code>[^<]*</code>|Runs not recorded "
                  r"\(<code>--db none</code>\))", "", text)
    text = re.sub(r"\| [0-9.]+ \|$", "|", text, flags=re.M)
    return re.sub(r"<td>[0-9.]+</td></tr>", "</tr>", text)


def test_not_recorded():
    """--db none: nothing is recorded, and the figures' data and the
    reports are the recorded set's, byte for byte (but for where the runs
    are and how long they took): the rows are aggregated in memory as they
    are simulated, in the order they finish, through the same code a
    database scan goes through."""
    cases = [
        ("edge", ["edge.ini"], ALGOS),
        ("failover", ["failover.ini"], ["token_bucket", "sliding_log"]),
        ("storm", ["storm-sync.ini", "storm-jitter.ini"], ["scenario"]),
        ("noisy", ["noisy-quota.ini", "noisy-wfq.ini"],
         ["scenario", "gcra"]),
    ]
    cwd = os.path.join(TMP, "nodb")
    os.makedirs(cwd, exist_ok=True)
    for name, scns, algos in cases:
        args = ["compare", "-w", os.path.join(WL, name + ".csv"),
                "--algos", ",".join(algos)]
        for scn in scns:
            args += ["-c", os.path.join(WL, scn)]
        db = os.path.join(TMP, "rec-%s.db" % name)
        rec, mem = (os.path.join(TMP, k + "-" + name) for k in ("rec", "mem"))
        r = run(*args, "--db", db, "--out", rec)
        check(name + ": recorded", r.returncode == 0, r.stdout + r.stderr)
        r = run(*args, "--db", "none", "--out", mem, cwd=cwd)
        check(name + ": --db none exit 0", r.returncode == 0,
              r.stdout + r.stderr)
        check(name + ": nothing recorded", os.listdir(cwd) == [],
              os.listdir(cwd))
        data = sorted(os.listdir(os.path.join(rec, "data")))
        check(name + ": same data files",
              data == sorted(os.listdir(os.path.join(mem, "data"))), data)
        for f in data:
            check("%s: data/%s" % (name, f), read(os.path.join(
                rec, "data", f)) == read(os.path.join(mem, "data", f)))
        for f in ("report.md", "report.html"):
            a, b = (read(os.path.join(d, f)) for d in (rec, mem))
            check("%s: %s says not recorded" % (name, f),
                  "--db none" in b and "--db none" not in a)
            check("%s: %s" % (name, f),
                  strip_provenance(a) == strip_provenance(b))
        check(name + ": same figures",
              sorted(os.listdir(rec)) == sorted(os.listdir(mem)))


def test_drawn_as_recorded():
    """A recorded compare draws from the runs in memory, kept under the
    ids the database gave them (here 3 to 5, after two earlier runs):
    `plot` reading those runs back from the database makes the same data
    files, byte for byte (but for the title, which compare gives), and the
    same table."""
    db = os.path.join(TMP, "drawn.db")
    args = ["compare", "-w", os.path.join(WL, "noisy.csv"),
            "-c", os.path.join(WL, "noisy-quota.ini"), "--db", db]
    r = run(*args, "--algos", "scenario,gcra", "--out",
            os.path.join(TMP, "drawn-first"))
    check("drawn: first set", r.returncode == 0, r.stdout + r.stderr)
    mem = os.path.join(TMP, "drawn-mem")
    r = run(*args, "--algos", "scenario,gcra,sliding_log", "--out", mem)
    check("drawn: second set", r.returncode == 0, r.stdout + r.stderr)
    ids = re.findall(r"^run (\d+) ", r.stdout, flags=re.M)
    check("drawn: database ids", ids == ["3", "4", "5"], r.stdout)
    md = read(os.path.join(mem, "report.md"))
    check("drawn: report names the database", "From `%s`" % db in md, md)
    back = os.path.join(TMP, "drawn-back")
    r = run("plot", "--db", db, "--run", "3,4,5", "--out", back)
    check("drawn: plot exit 0", r.returncode == 0, r.stdout + r.stderr)
    data = sorted(os.listdir(os.path.join(mem, "data")))
    check("drawn: same data files",
          data == sorted(os.listdir(os.path.join(back, "data"))), data)
    def untitled(d, f):
        return re.sub(r'^title = .*$', "", read(os.path.join(d, "data", f)),
                      flags=re.M)
    for f in data:
        check("drawn: data/" + f, untitled(mem, f) == untitled(back, f))
    table = md_table(md)
    check("drawn: three series", len(table) == 3, table)
    check("drawn: same table", table == md_table(
        read(os.path.join(back, "report.md"))))


def test_no_gnuplot():
    db, out = os.path.join(TMP, "ng.db"), os.path.join(TMP, "ng")
    env = dict(os.environ, PATH=os.path.join(TMP, "empty-bin"))
    os.makedirs(env["PATH"], exist_ok=True)
    r = subprocess.run([BIN, "compare", "-w", os.path.join(WL, "edge.csv"),
                        "-c", os.path.join(WL, "edge.ini"), "--algos",
                        ",".join(ALGOS), "--db", db, "--out", out],
                       capture_output=True, text=True, env=env, timeout=120)
    check("no gnuplot exit 3", r.returncode == 3, r.returncode)
    err = r.stderr.strip().split("\n")
    check("no gnuplot one line", len(err) == 1, r.stderr)
    check("no gnuplot names the package", "gnuplot-nox" in r.stderr,
          r.stderr)
    check("no gnuplot says where the runs are", "runs 1 to 3 are in " + db
          in r.stderr, r.stderr)
    n = sqlite3.connect(db).execute("SELECT count(*) FROM runs").fetchone()
    check("runs kept without gnuplot", n == (3,), n)
    check("nothing written without gnuplot", not os.path.exists(
        os.path.join(out, "report.html")))
    r = subprocess.run([BIN, "plot", "--db", db], capture_output=True,
                       text=True, env=env, timeout=60)
    check("plot without gnuplot", r.returncode == 3 and "gnuplot-nox" in
          r.stderr, r.stderr)


def test_usage():
    edge = ["-w", os.path.join(WL, "edge.csv"), "-c",
            os.path.join(WL, "edge.ini")]
    db = os.path.join(TMP, "u.db")
    r = run("compare", *edge, "--algos", "fixed_window,nope", "--db", db)
    check("unknown algorithm", r.returncode == 2 and "nope" in r.stderr and
          "sliding_log" in r.stderr, r.stderr)
    check("nothing run on bad usage", not os.path.exists(db))
    r = run("compare", *edge, "--algos", "gcra,gcra", "--db", db)
    check("algorithm twice", r.returncode == 2 and "twice" in r.stderr,
          r.stderr)
    r = run("compare", "-c", os.path.join(WL, "edge.ini"))
    check("workload required", r.returncode == 2 and "usage" in r.stderr,
          r.stderr)
    r = run("compare", "--help")
    check("compare --help", r.returncode == 0 and "--algos" in r.stdout)
    r = run("compare", "-w", os.path.join(TMP, "missing.csv"), "-c",
            os.path.join(WL, "edge.ini"), "--db", db)
    check("missing workload", r.returncode == 2 and "missing.csv" in
          r.stderr, r.stderr)
    r = run("plot")
    check("plot needs --db", r.returncode == 2 and "usage" in r.stderr)
    r = run("plot", "--db", os.path.join(TMP, "none.db"))
    check("plot missing db", r.returncode == 2 and "none.db" in r.stderr,
          r.stderr)
    r = run("plot", "--db", os.path.join(TMP, "c.db"), "--run", "99")
    check("plot unknown run", r.returncode == 2 and "no run 99" in r.stderr,
          r.stderr)
    r = run("plot", "--db", os.path.join(TMP, "c.db"), "--run", "x")
    check("plot bad run id", r.returncode == 2, r.stderr)
    r = run("plot", "--help")
    check("plot --help", r.returncode == 0 and "--run" in r.stdout)
    r = run("plot", "--db", os.path.join(TMP, "c.db"), "--out",
            "/dev/null/x")
    check("plot unwritable out", r.returncode == 3 and "/dev/null" in
          r.stderr, r.stderr)


def main():
    # Order matters: plot reads the database compare made.
    clitest.main("compare", [test_compare, test_plot, test_installed_plot,
                             test_aggregated, test_providers_and_reuse,
                             test_scenarios, test_not_recorded,
                             test_drawn_as_recorded,
                             test_no_gnuplot, test_usage])


if __name__ == "__main__":
    main()
