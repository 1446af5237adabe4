# plots/cos.gp OUT - 1 - |cos(p, v)| per archetype with a predicted kernel, at each
# setting (f64/bf16 x g=1/random g), on a log axis: |cos| itself is ~1 everywhere, so
# its distance from 1 is what can be seen. p = the kernel predicted from the final
# norm's parameters, v = the measured bottom eigenvector. Exactly 1 in double (1 - |cos|
# = 0) is drawn at 10^-17. The C3 criteria are the dashed lines: 1e-10 (f64, "10
# decimals") and 1e-4 (bf16, "4 decimals"). RMS-like families predict no kernel: absent.
# Reads OUT/plotdata/cos.dat (table.py); writes OUT/cos.{png,svg}.
# Run: gnuplot -c plots/cos.gp paper-repro/out

if (ARGC < 1) { print "usage: gnuplot -c plots/cos.gp OUT"; exit status 2 }
OUT = ARG1
load ARG0[1:strlen(ARG0) - strlen("cos.gp")] . "common.gp"

f = sprintf("%s/plotdata/cos.dat", OUT)
stats f using 1 nooutput
nk = STATS_records
title_of(i) = system(sprintf("sed -n %dp %s/plotdata/settings.txt", i, OUT))

set logscale y
set format y "10^{%L}"
set yrange [3e-18:1]
set ytics 1e-17, 100, 1
set grid ytics lc rgb "#dddddd"
set xrange [-0.6:nk - 0.4]
set bmargin 6
set xtics rotate by -30 left font ",12" nomirror
set ylabel "1 - |cos(p, v)|   (log axis; 10^{-17}: |cos| = 1 exactly in double)"
set key outside right top box font ",11" spacing 1.3
set arrow 1 from graph 0, first 1e-10 to graph 1, first 1e-10 nohead dt 2 lw 1.5 lc rgb "#1f77b4" back
set arrow 2 from graph 0, first 1e-4 to graph 1, first 1e-4 nohead dt 2 lw 1.5 lc rgb "#d62728" back
set label 1 "C3 f64: |cos| >= 1 - 10^{-10}" at graph 0.01, first 2.5e-10 tc rgb "#1f77b4" font ",10"
set label 2 "C3 bf16: |cos| >= 1 - 10^{-4}" at graph 0.01, first 2.5e-4 tc rgb "#d62728" font ",10"
set label 3 "1 - |cos| = 0 (|cos| = 1 exactly in double): drawn at 10^{-17}" at graph 0.01, first 3e-16 tc rgb "#555555" font ",10"
# the line-up LayerNorm families first (table.py order), then the extras
set arrow 3 from 8.5, graph 0 to 8.5, graph 1 nohead lc rgb "#999999" dt 3
set label 4 "extras" at 9.5, graph 0.96 center font ",11" tc rgb "#555555"
set label 5 "paper line-up (9 LayerNorm)" at 4, graph 0.96 center font ",11" tc rgb "#555555"
set title "1 - |cos(p, v)| per archetype and precision: predicted kernel p (from the final norm's parameters) vs measured bottom eigenvector v\n{/=11 |cos| is close to 1 everywhere, so its distance from 1 is plotted on a log axis; RMS-like families predict no kernel and are not shown}" font ",13"

off(i) = (i - 2.5) * 0.16
do for [t = 1:2] {
  if (t == 1) { eval to_png(sprintf("%s/cos", OUT), 1500, 750) } \
  else        { eval to_svg(sprintf("%s/cos", OUT), 1500, 750) }
  plot f using 1:(NaN):xtic(2) notitle, \
       for [i = 1:4] f using ($1 + off(i)):(column(i + 2)) with points \
         pt setpt[i] ps 2.0 lc rgb setcol[i] title title_of(i)
  set output
}
