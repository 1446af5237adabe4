# plots/sigma_min.gp OUT "ARCH ..." - sigma_min of the centred residual stream at every
# block boundary (resid.0 = embeddings .. resid.L = after the last block), all
# archetypes on one figure: four panels, f64/bf16 x g=1/random g. Line-up LayerNorm
# families solid, line-up RMSNorm dashed, extras dotted.
# Reads OUT/plotdata/sigma_min_<precision>_<gamma>.dat and settings.txt (table.py);
# writes OUT/sigma_min.{png,svg}.
# Run: gnuplot -c plots/sigma_min.gp paper-repro/out "gpt2 llama ..."

if (ARGC < 2) { print "usage: gnuplot -c plots/sigma_min.gp OUT 'ARCH ...'"; exit status 2 }
OUT = ARG1
ARCHS = ARG2
load ARG0[1:strlen(ARG0) - strlen("sigma_min.gp")] . "common.gp"

n = words(ARCHS)
nlineup_ln = 9
nlineup = 14
dtof(i) = (i <= nlineup_ln ? 1 : (i <= nlineup ? 2 : 3))
ptof(i) = (i <= nlineup_ln ? 7 : (i <= nlineup ? 5 : 9))

# the settings, in table.py's order, and their file tags
settings = system(sprintf("tr ' ' '~' < %s/plotdata/settings.txt", OUT))
file(i) = sprintf("%s/plotdata/sigma_min_%s.dat", OUT, \
  (i == 1 ? "f64_ones" : i == 2 ? "bf16_ones" : \
   i == 3 ? "f64_".tag : "bf16_".tag))
title_of(i) = system(sprintf("sed -n %dp %s/plotdata/settings.txt", i, OUT))
g3 = title_of(3)
tag = g3[strstrt(g3, "g=") + 2:]
tag = tag[1:strstrt(tag, ":") - 1] . "-" . tag[strstrt(tag, ":") + 1:]

set datafile missing "NaN"
set logscale y
set format y "10^{%L}"
set yrange [5e-10:1e3]
set grid ytics lc rgb "#dddddd"
set xlabel "block boundary l (resid.l; 0 = embeddings, L = after the last block)"
set ylabel "{/Symbol s}_{min}(centred resid.l)"
set xtics 1
set xrange [-0.2:6.2]

# top row: the four settings, full range (rounding floors and exact zeros included);
# bottom: f64 g=1 zoomed on the stream proper, where the line-up families crowd
do for [t = 1:2] {
  if (t == 1) { eval to_png(sprintf("%s/sigma_min", OUT), 1800, 1350) } \
  else        { eval to_svg(sprintf("%s/sigma_min", OUT), 1800, 1350) }
  set multiplot title "Smallest singular value of the centred residual stream by block (C5), N = 4096 tokens: solid line-up LayerNorm, dashed line-up RMSNorm, dotted extras\n{/=11 exact zeros (rank-deficient stream: vit/dinov2 patch embeddings at block 0) drawn at 10^{-9}; bert's stream is a LayerNorm output at every block and bloom's at block 0 (embedding LN): there it sits at the rounding floor}" font ",13"
  unset key
  set xrange [-0.3:6.3]
  do for [i = 1:4] {
    set origin (i - 1) * 0.205, 0.50
    set size 0.205, 0.44
    set title title_of(i) font ",12"
    set ylabel (i == 1 ? "{/Symbol s}_{min}(centred resid.l)" : "")
    set xlabel "block boundary l" font ",10"
    plot for [j = 1:n] file(i) using 1:(column(j + 1)) with linespoints lw 2 dt dtof(j) \
         pt ptof(j) ps 0.7 lc rgb archcol[j] notitle
  }
  set origin 0.0, 0.0
  set size 0.82, 0.50
  set yrange [0.2:300]
  set format y "%g"
  set ytics (0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200)
  set xrange [-0.1:6.1]
  set title "f64 g=1, zoomed on 0.2 .. 300 (below this scale: bert, vit and dinov2 at every block, bloom at l = 0)" font ",12"
  set ylabel "{/Symbol s}_{min}(centred resid.l)"
  set xlabel "block boundary l (resid.l; 0 = embeddings, L = after the last block)" font ",11"
  set key at screen 0.835, screen 0.93 left top box font ",11" spacing 1.15 samplen 3
  plot for [j = 1:n] file(1) using 1:(column(j + 1)) with linespoints lw 2.5 dt dtof(j) \
       pt ptof(j) ps 1.0 lc rgb archcol[j] title word(ARCHS, j)
  unset multiplot
  set yrange [5e-10:1e3]
  set format y "10^{%L}"
  set ytics autofreq
  set output
}
