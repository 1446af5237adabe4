# screen.gp - the spectra behind `normsim screen` for one scheme: eigenvalues of the
# centred output covariance, lambda_i / lambda_max in ascending order, (left) of the norm
# alone on each input with random parameters (init and one-zero-gain on the Gaussian input
# dashed), (right) of the final norm's output in each archetype. A kernel shows as points
# at the rounding floor, far below the dashed threshold.
# Called by normsim with: data (spectra_<scheme>.csv: index, random.<input> x4,
# model.<arch> x narch, init.<input> x4 [, zero-gain.<input> x4]), name (the scheme), thr,
# narch, zero
# (1 if the zero-gain columns exist), out, fmt.
if (fmt eq 'svg') {
    set terminal svg size 1200,480 dynamic font 'Sans,11' background rgb 'white'
} else {
    set terminal pngcairo size 1200,480 font 'Sans,10'
}
set output out
set datafile separator ','
set termoption noenhanced
set logscale y
set format y '%.0e'
set yrange [1e-20:3]
set grid ytics
set key bottom right font ',9'
set xlabel 'eigenvalue index (ascending)'
set xrange [0:*]
set autoscale xfixmax
set ylabel '|lambda_i| / lambda_max'
clip(v) = abs(v) > 1e-20 ? abs(v) : 1e-20
init_g = 6 + narch
zero_g = 10 + narch
if (narch > 0) { set multiplot layout 1,2 title sprintf('normsim screen: %s', name) } else { set title sprintf('normsim screen: %s', name) }
if (narch > 0) { set title 'the norm alone (random parameters)' }
plot for [c=2:5] data using 1:(clip(column(c))) with linespoints pt 7 ps 0.35 title columnhead(c), \
     data using 1:(clip(column(init_g))) with lines dt 2 lc 'gray40' title columnhead(init_g), \
     data using 1:(zero ? clip(column(zero_g)) : 1/0) with lines dt 3 lw 2 lc 'dark-red' title 'zero-gain.gaussian', \
     thr with lines dt 4 lc 'black' title sprintf('threshold %g', thr)
if (narch > 0) {
    set title 'final norm output in models'
    plot for [c=6:5+narch] data using 1:(clip(column(c))) with linespoints pt 7 ps 0.35 title columnhead(c), \
         thr with lines dt 4 lc 'black' title sprintf('threshold %g', thr)
    unset multiplot
}
