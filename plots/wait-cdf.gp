# SPDX-License-Identifier: MIT
# wait-cdf.gp: the distribution of waits (ready to sent), one step line
# per series, on a log time axis. A log axis has no 0: waits of 0 are drawn
# one decade left of the smallest wait (wfloor, a power of ten), where the
# axis says "0". Reads data/cdf-N.dat: wait_s fraction, at fixed quantiles
# (every 0.5%, finer in the tail).
if (!exists("data")) data = "."
if (!exists("tpl")) tpl = "plots"
load data."/series.gp"
out_name = "wait-cdf"
load tpl."/common.gp"

zero = wfloor / 10.0
set title "Wait from ready to sent: cumulative distribution"
set xlabel "wait (s, log scale)"
set ylabel "fraction of sent requests"
set logscale x 10
set format x "%g"
set xtics add ("0" zero)
set xrange [zero / 2:*]
set yrange [0:1.02]
set ytics 0.1
set format y "%.1f"

plot for [i=1:nseries] sprintf("%s/cdf-%d.dat", data, i) \
        using ($1 < wfloor ? zero : $1):2 with steps lw 2 dt dash[i] \
        lc rgb color[i] title name[i]
