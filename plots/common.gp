# SPDX-License-Identifier: MIT
# common.gp: what every ratesim figure shares, loaded by each template
# after it has set `out_name` (the figure's file name without extension).
#
# Variables (ratesim sets them with gnuplot -e; defaults let you run a
# template by hand, e.g.
#   gnuplot -e "data='plots/out/demo/data'; outdir='/tmp'" plots/rate.gp):
#   data    the folder with series.gp and the .dat files
#   outdir  where the figure goes
#   fmt     'png' (pngcairo) or 'svg'
#   tpl     this folder, for common.gp
# One gnuplot draws every figure in turn: start each from scratch (reset
# keeps variables, the terminal and the output).
reset
if (!exists("outdir")) outdir = "."
if (!exists("fmt")) fmt = "png"

# noenhanced: names like fixed_window must not turn into subscripts.
if (fmt eq "svg") {
    set terminal svg size 960,540 font "Helvetica,14" noenhanced \
        background rgb "white"
} else {
    set terminal pngcairo size 1200,675 font "Sans,13" noenhanced \
        background rgb "white"
}
set output sprintf("%s/%s.%s", outdir, out_name, fmt)

set border 3 lc rgb "#555555"
set tics nomirror textcolor rgb "#333333"
set grid xtics ytics lc rgb "#e6e6e6" lt 1
# The key goes under the plot, clear of the lines, with room above it for
# the x label.
set key below center horizontal Left reverse noautotitle \
    samplen 2.5 spacing 1.3 width 1 height 1
set title font ",16"
set format y "%.3g"
set format x "%.3g"
