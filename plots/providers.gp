# SPDX-License-Identifier: MIT
# providers.gp: which provider took the sent requests, one stacked bar per
# series. Reads data/share.dat: a header row (series, then the provider
# names), then per series its name and each provider's percentage.
if (!exists("data")) data = "."
if (!exists("tpl")) tpl = "plots"
load data."/series.gp"
out_name = "providers"
load tpl."/common.gp"

set title "Share of sent requests per provider"
set ylabel "share of sent requests (%)"
set yrange [0:100]
set grid noxtics
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border rgb "white"
set boxwidth 0.6
set xtics scale 0
set format x "%s"

plot for [k=1:nproviders] sprintf("%s/share.dat", data) \
        using (column(k + 1)):xtic(1) title columnheader(k + 1) \
        lc rgb pcolor[(k - 1) % 6 + 1]
