# SPDX-License-Identifier: MIT
# queue.gp: requests waiting at the end of each time bin, one line per
# series. Counts attempts from ready until sent (the database has no time
# for an expired request leaving). Reads data/bins-N.dat: end_s in column
# 2, waiting in 7.
if (!exists("data")) data = "."
if (!exists("tpl")) tpl = "plots"
load data."/series.gp"
out_name = "queue"
load tpl."/common.gp"

set title "Queue length over time"
set xlabel "virtual time (s)"
set ylabel "requests waiting (later sent)"
set yrange [0:*]
set xrange [0:*]
set autoscale xfixmax
set format y "%.0f"

plot for [i=1:nseries] sprintf("%s/bins-%d.dat", data, i) \
        using 2:7 with lines lw 2 dt dash[i] lc rgb color[i] title name[i]
