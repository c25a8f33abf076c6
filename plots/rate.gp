# SPDX-License-Identifier: MIT
# rate.gp: dispatch rate over time, one line per series, the limits as
# dashed lines. When the time bins are shorter than the limit's window W,
# the rate at each instant is what was sent in the trailing W (the very
# count the limit bounds, so a line above the limit is a burst the
# algorithm let through); otherwise it is each bin's average.
# Reads data/bins-N.dat (one row per time bin): start_s end_s sent_per_s
# permits_per_s arrived sent waiting sent_per_s_over_W permits_per_s_over_W
# and data/series.gp.
if (!exists("data")) data = "."
if (!exists("tpl")) tpl = "plots"
load data."/series.gp"
out_name = "rate"
load tpl."/common.gp"

set title "Dispatch rate over time"
set xlabel "virtual time (s)"
# With costs above 1 the limits count permits, so the lines do too.
what = costly ? "permits sent per second" : "requests sent per second"
set ylabel what . (moving > 1 ? " (over the trailing " . ratewindow . ")" \
                              : " (bins of " . binwidth . ")")
set yrange [0:*]
set xrange [0:*]
set autoscale xfixmax
col = moving > 1 ? (costly ? 9 : 8) : (costly ? 4 : 3)

# The limits go first, so a series running at its limit is drawn on top.
if (moving > 1) {
    plot for [k=1:nlimits] limit[k] with lines lw 2 dt k+1 \
            lc rgb "#222222" title limitname[k], \
         for [i=1:nseries] sprintf("%s/bins-%d.dat", data, i) \
            using 2:col with lines lw 2 dt dash[i] \
            lc rgb color[i] title name[i]
} else {
    # A bin's average is drawn flat across the bin.
    plot for [k=1:nlimits] limit[k] with lines lw 2 dt k+1 \
            lc rgb "#222222" title limitname[k], \
         for [i=1:nseries] sprintf("%s/bins-%d.dat", data, i) \
            using (($1 + $2) / 2):col with histeps lw 2 dt dash[i] \
            lc rgb color[i] title name[i]
}
