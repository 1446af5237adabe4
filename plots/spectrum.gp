# plots/spectrum.gp OUT "ARCH ..." - the sorted eigenvalue spectrum of the
# post-final-norm covariance (tap final.out), per archetype, relative to lambda_max, on a
# log axis, at the four settings (f64/bf16 x g=1/random g); the predicted direction's
# Rayleigh quotient p'Cp/lambda_max is an open circle at index 1 (where it should sit
# on the smallest eigenvalue), the dead thresholds T are dashed grey lines.
# Reads OUT/plotdata/spectrum_<arch>.{dat,vars} (paper-repro/table.py).
# Writes OUT/spectrum_<arch>.{png,svg} and the overview grid OUT/spectrum_all.{png,svg}.
# Run: gnuplot -c plots/spectrum.gp paper-repro/out "gpt2 llama ..."

if (ARGC < 2) { print "usage: gnuplot -c plots/spectrum.gp OUT 'ARCH ...'"; exit status 2 }
OUT = ARG1
ARCHS = ARG2
load ARG0[1:strlen(ARG0) - strlen("spectrum.gp")] . "common.gp"

floor = 1e-20
note = "|{/Symbol l}_i| / {/Symbol l}_{max}"
floornote = "negative {/Symbol l} (rounding) plotted by magnitude; values below 10^{-20} drawn at 10^{-20}; log x axis to spread the bottom"

set logscale y
set format y "10^{%L}"
set yrange [1e-21:10]
set ytics 1e-20, 1e4, 1
set mytics 1
set grid ytics lc rgb "#dddddd"
set xlabel "eigenvalue index (1 = smallest; log axis)"
set logscale x
set xtics (1, 2, 3, 5, 10, 20, 50, 128)

# one archetype: per-setting curves, thresholds, circles at p'Cp/lambda_max
# (vars file defines arch, norm, d, has_k, rq1..4, title1..4, thr1..4, dead1..4)
setup_arch = "unset arrow; unset label; set xrange [0.85:d * 1.1]; \
  set arrow 1 from graph 0, first thr1 to graph 1, first thr1 nohead dt 2 lw 1.5 lc rgb '#888888' front; \
  set arrow 2 from graph 0, first thr2 to graph 1, first thr2 nohead dt 2 lw 1.5 lc rgb '#888888' front; \
  set label 1 'T (f64) = 10^{-10}' at graph 0.99, first thr1 * 3 right tc rgb '#666666' font ',9'; \
  set label 2 sprintf('T (bf16) = %.2g', thr2) at graph 0.99, first thr2 * 3 right tc rgb '#666666' font ',9'; \
  if (has_k) { \
    do for [i = 1:4] { set label 10 + i '' at 1, first value(sprintf('rq%d', i)) point pt 6 ps 2.6 lw 2 lc rgb setcol[i] front } \
  } else { set label 20 'no kernel predicted (RMS-like): no p to mark' at graph 0.5, graph 0.12 center font ',11' }"

do for [a in ARCHS] {
  load sprintf("%s/plotdata/spectrum_%s.vars", OUT, a)
  f = sprintf("%s/plotdata/spectrum_%s.dat", OUT, a)
  eval setup_arch
  set key bottom right box opaque font ",10" spacing 1.1
  set ylabel note font ",12"
  set title sprintf("{/:Bold %s} (%s, d %d, %d layers, N %d %s): spectrum of the post-final-norm covariance\n{/=10 %s; thick: f64, thin: bf16}\n{/=9 %s}", \
    arch, norm, d, layers, tokens, data, \
    has_k ? "circles at index 1: the predicted direction's Rayleigh quotient p'Cp / {/Symbol l}_{max} (same colour as its setting)" \
          : "RMS-like: the final norm's parameters predict no kernel", floornote)
  do for [t = 1:2] {
    if (t == 1) { eval to_png(sprintf("%s/spectrum_%s", OUT, a), 1100, 750) } \
    else        { eval to_svg(sprintf("%s/spectrum_%s", OUT, a), 1100, 750) }
    # f64 (i = 1, 3) thick underneath, bf16 (i = 2, 4) thin on top: they coincide
    # everywhere but at the bottom
    plot for [i = 1:4] f using 1:(column(i + 1)) with linespoints \
           lw (i % 2 ? 5 : 1.5) pt setpt[i] ps (i % 2 ? 0.9 : 0.5) \
           lc rgb setcol[i] title sprintf("%s (dead: %d)", value(sprintf("title%d", i)), value(sprintf("dead%d", i))), \
         NaN with points pt 6 ps 2 lw 2 lc rgb "black" title (has_k ? "p'Cp / {/Symbol l}_{max}" : "")
    set output
  }
}

# overview: all archetypes on one grid, same axes
n = words(ARCHS)
cols = 4
rows = int((n + cols - 1) / cols)
do for [t = 1:2] {
  if (t == 1) { eval to_png(sprintf("%s/spectrum_all", OUT), 1800, 380 * rows + 80) } \
  else        { eval to_svg(sprintf("%s/spectrum_all", OUT), 1800, 380 * rows + 80) }
  set multiplot layout rows, cols title "Sorted eigenvalues of the post-final-norm covariance / {/Symbol l}_{max} (|{/Symbol l}|, floor 10^{-20}; log x); circles at index 1: p'Cp/{/Symbol l}_{max}; dashed: T(f64), T(bf16)\nthick blue: f64 g=1,  thin red: bf16 g=1,  thick green: f64 random g,  thin purple: bf16 random g" font ",13"
  unset key
  set ylabel ""
  set xlabel ""
  do for [a in ARCHS] {
    load sprintf("%s/plotdata/spectrum_%s.vars", OUT, a)
    f = sprintf("%s/plotdata/spectrum_%s.dat", OUT, a)
    eval setup_arch
    unset label 1
    unset label 2
    unset label 20
    set title sprintf("{/:Bold %s} (%s)", arch, norm) font ",11"
    plot for [i = 1:4] f using 1:(column(i + 1)) with linespoints lw (i % 2 ? 3.5 : 1.2) \
           pt setpt[i] ps (i % 2 ? 0.6 : 0.35) lc rgb setcol[i] notitle
  }
  unset multiplot
  set output
}
