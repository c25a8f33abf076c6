# SPDX-License-Identifier: MIT
# cumulative.gp: requests arrived and sent so far. The thick grey line is
# the arrivals (once per workload: compared runs share theirs); the gap
# to a series' line is its backlog plus what it refused or let expire.
# Reads data/bins-N.dat: end_s in column 2, arrived so far in 5, sent so
# far in 6.
if (!exists("data")) data = "."
if (!exists("tpl")) tpl = "plots"
load data."/series.gp"
out_name = "cumulative"
load tpl."/common.gp"

set title "Cumulative arrivals and dispatches"
set xlabel "virtual time (s)"
set ylabel "requests"
set yrange [0:*]
set xrange [0:*]
set autoscale xfixmax
set format y "%.0f"

plot for [j=1:narrivals] sprintf("%s/bins-%d.dat", data, arrival[j]) \
        using 2:5 with lines lw 6 lc rgb "#c8c8c8" \
        title (narrivals == 1 ? "arrived" : "arrived: " . name[arrival[j]]), \
     for [i=1:nseries] sprintf("%s/bins-%d.dat", data, i) \
        using 2:6 with lines lw 2 dt dash[i] lc rgb color[i] \
        title "sent: " . name[i]
