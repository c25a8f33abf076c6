#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Rebuilds the fuzzers' seed corpora, fuzz/corpus/<reader>/, from the files
the project ships (every scenario, workload, case and log under version
control) and the hand-written edge cases below. Files are named by the
SHA-1 of their bytes, as libFuzzer names its own. Run from anywhere:

    python3 fuzz/make_seeds.py

It only adds files; delete a folder first to drop seeds that are gone.
"""
import hashlib
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_RUN = 6000          # a run seed's size; larger pairs are left out

# Scenarios the shipped files do not cover: clients and their reactions,
# every latency model, schedules, stacked limits, distributed providers.
SCENARIOS = [
    """[sim]
seed = 9
queue = wfq
route = least_loaded
until = 1h

[provider P1]
limit = token_bucket 3/s burst=2
limit = fixed_window 100/1m
concurrency = 2
latency = lognormal:20ms,0.5
fail = 0.1

[provider P2]
algo = gcra
rate = 5/s
burst = 3
mode = reject
latency = uniform:1ms..2s
schedule = off@10s, on@20s, off@1h

[client a]
quota = 5/s
quota_algo = sliding_window
on_reject = retry:expo,base=100ms,max=3,jitter=equal
weight = 3

[client b]
quota = 2/1s
on_reject = wait_reset
weight = 1

[client c]
on_reject = drop
""",
    """[sim]
queue = edf
route = round_robin

[provider api]
algo = leaky_bucket
rate = 100/s
burst = 10
nodes = 4
node_by = round_robin
shared = local
split = sync
clock = node
skew = 5ms
rtt = exp:2ms
latency = exp:20ms
""",
    """[provider P]
limit = concurrency 3
limit = sliding_log 2/500ms
latency = 1h
[client x]
quota = 1/2562047h
on_reject = retry:expo,base=1ns,max=1000,jitter=none
""",
]

WORKLOADS = [
    "# every column\nid,at,client,priority,after,cost,provider,deadline,"
    "service\n1,0,a,1,,1,P1,5,0.02\n2,0.5,b,-3,1,2,,,\n3,\"1\",\"c,d\",0,,3,"
    "P2,2,\n4,2,,,,,P1,,0.000000001\n",
    "at,cost,client,deadline,priority\n0,4611686018427387904,a,,2147483647\n"
    "0,1,b,9223372036.854775806,-2147483648\n1,9223372036854775807,c,,\n",
    "\xef\xbb\xbfat,after\r\n0,9223372036.854775806\r\n\"1\",\r\n",
]

UNITS = ["0", "12.5", "0.000000001", "1.5s", "250ms", "2m", "1h", "3/2s",
         "100/1m", "1000000000/1ns", "9223372036854775807",
         "-9223372036854775808", "9223372036.854775807", "2562047h", "290y",
         " 7 ", "1e3", ".5", "5/s"]

LOGS = [
    "time,client,path\n971211336.250,10.0.0.1,/a\n971211335,10.0.0.2,/b\n"
    "# comment\n\n\"971211337\",\"x,y\",\"/c\"\n",
    '10.0.0.1 - bob [10/Oct/2000:13:55:36.125 -0700] "GET /x HTTP/1.0" 200 '
    '2326\n10.0.0.2 - - [29/Feb/2000:00:00:00 +0000] "GET /\\"q\\" HTTP/1.0"'
    ' 500 -\n',
]


def put(reader, data):
    if isinstance(data, str):
        data = data.encode("latin-1")
    d = os.path.join(ROOT, "fuzz", "corpus", reader)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def read(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def shipped():
    out = subprocess.run(["git", "-C", ROOT, "ls-files"], check=True,
                         capture_output=True, text=True).stdout.split()
    return [p for p in out if not p.startswith("fuzz/")]


def main():
    files = shipped()
    inis = [p for p in files if p.endswith(".ini") and
            not p.endswith("case.ini")]
    csvs = [p for p in files if p.endswith(".csv") and
            not p.endswith("expected.csv")]
    for p in inis:
        put("scenario", read(p))
    for s in SCENARIOS:
        put("scenario", s)
    for p in csvs:
        put("workload", read(p))
    for w in WORKLOADS:
        put("workload", w)
    for p in files:
        if p.endswith("case.ini") or p.endswith("expected.csv"):
            put("casefile", read(p))
    for p in files:
        if p.endswith(".log"):
            put("accesslog", read(p))
    for l in LOGS:
        put("accesslog", l)
    # The values scenarios give, and the edge cases.
    for p in inis:
        for line in read(p).decode("utf-8", "replace").split("\n"):
            m = re.match(r"\s*\w+\s*=\s*([^;#]*)", line)
            if m and m.group(1).strip():
                put("units", m.group(1).strip())
    for u in UNITS:
        put("units", u)
    # Runs: a scenario, "%%", its workload. Folders that hold both, the
    # workloads/ pairs by name (x.ini with x.csv or the csv its name
    # starts with), and the hand-written scenarios with the workloads.
    pairs = []
    for p in inis:
        d, name = os.path.split(p)
        for c in csvs:
            cd, cname = os.path.split(c)
            if cd != d:
                continue
            if name == "scenario.ini" and cname == "workload.csv" or \
               name.split("-")[0].split(".")[0] == cname.split(".")[0]:
                pairs.append((read(p), read(c)))
    for s in SCENARIOS:
        for w in WORKLOADS:
            pairs.append((s.encode("latin-1"), w.encode("latin-1")))
    for s, w in pairs:
        data = s + b"%%\n" + w
        if len(data) <= MAX_RUN:
            put("run", data)


if __name__ == "__main__":
    main()
