# sweep.gp - the figure of `normsim sweep`: the floor lambda_min / lambda_max of every cell
# (log scale), one colour per scheme; LN-like schemes sit at the rounding floor of their
# precision, RMS-like ones near the top. Called by normsim with: data (floor.csv),
# nschemes, names (the schemes, space-separated), out, fmt. |floor|: a kernel eigenvalue
# may come out a tiny negative number (rounding).
if (fmt eq 'svg') {
    set terminal svg size 1000,520 dynamic font 'Sans,11' background rgb 'white'
} else {
    set terminal pngcairo size 1000,520 font 'Sans,10'
}
set output out
set datafile separator ','
set termoption noenhanced
set title 'normsim sweep: the floor of every cell, by scheme'
set xlabel 'cell'
set ylabel 'lambda_min / lambda_max'
set logscale y
set format y '%.0e'
set key outside right top vertical font ',9'
set grid ytics
plot for [i=0:nschemes-1] data using 1:(column(2) == i && column(4) != 0 ? abs(column(4)) : 1/0) skip 1 \
     with points pt 7 ps 1.0 lc i+1 title word(names, i+1)
