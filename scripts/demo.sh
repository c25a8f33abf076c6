#!/bin/sh
# SPDX-License-Identifier: MIT
# make demo: simulate the shipped demo workload against the demo scenario,
# then the same traffic with each algorithm in its place; end with a
# comparison report (figures, report.html, report.md) of the gallery's
# window-edge burst (workloads/README.md).
set -eu
BIN=${1:-build/ratesim}
DB=results/demo.db
mkdir -p results
rm -f "$DB"
echo "\$ ratesim run -w workloads/demo.csv -c workloads/demo.ini --db $DB"
"$BIN" run -w workloads/demo.csv -c workloads/demo.ini --db "$DB" --label demo
echo
echo "The same traffic with every algorithm in place of the scenario's:"
for a in fixed_window sliding_log sliding_window token_bucket leaky_bucket gcra; do
  "$BIN" run -w workloads/demo.csv -c workloads/demo.ini --db "$DB" \
    --algo "$a" --label "demo-$a" --json |
    python3 -c 'import json,sys; j=json.load(sys.stdin); print("  %-15s %s; p99 wait of priority 2: %.3f s" % (j["algo"], ", ".join("%s %d" % kv for kv in j["outcomes"].items() if kv[1]), next((p["wait_p99_s"] for p in j["priorities"] if p["priority"] == 2), 0)))'
done
echo
echo "\$ sqlite3 $DB 'SELECT run_id, label, algo, requests, digest FROM runs'"
sqlite3 "$DB" 'SELECT run_id, label, algo, requests, digest FROM runs'
echo
echo "A comparison report: the window-edge burst (workloads/README.md)."
echo "\$ ratesim compare -w workloads/edge.csv -c workloads/edge.ini --algos fixed_window,sliding_log,sliding_window,token_bucket --db $DB"
"$BIN" compare -w workloads/edge.csv -c workloads/edge.ini \
  --algos fixed_window,sliding_log,sliding_window,token_bucket --db "$DB"
