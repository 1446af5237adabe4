# screen_all.gp - the comparison figure of `normsim screen --all`: (left) measured dead
# directions of each scheme's output with random parameters (bars) against the dimension
# the scheme declares (points); (right) the largest kernel eigenvalue and the first
# eigenvalue above it, relative to lambda_max, against the threshold: LN-like schemes sit
# at the rounding floor, RMS-like ones have nothing below the threshold.
# Called by normsim with: data (summary.csv), thr, out, fmt.
if (fmt eq 'svg') {
    set terminal svg size 1300,520 dynamic font 'Sans,11' background rgb 'white'
} else {
    set terminal pngcairo size 1300,520 font 'Sans,10'
}
set output out
set datafile separator ','
set termoption noenhanced
set multiplot layout 1,2 title 'normsim screen: every scheme (norm alone, random parameters)'
set xtics rotate by -45 font ',9'
set key inside top right opaque font ',9'
set offsets 0.6, 0.6, 1, 0
set style fill solid 0.5
set boxwidth 0.6
set ylabel 'kernel dimension'
set yrange [0:*]
set title 'dead directions: measured (bars) vs declared (points)'
plot data using 0:11:xtic(1) skip 1 with boxes lc 'steelblue' title 'measured', \
     data using 0:10 skip 1 with points pt 7 ps 1.2 lc 'black' title 'declared'
set offsets 0.6, 0.6, 0, 0
set key outside right top vertical font ',9'
set logscale y
set format y '%.0e'
set yrange [1e-20:3]
set ylabel 'eigenvalue / lambda_max'
set title 'kernel eigenvalue vs first eigenvalue above it'
plot data using 0:17:xtic(1) skip 1 with points pt 9 ps 1.3 lc 'dark-red' title 'kernel (largest)', \
     data using 0:18 skip 1 with points pt 7 ps 1.1 lc 'steelblue' title 'next one above', \
     thr with lines dt 2 lc 'black' title sprintf('threshold %g', thr)
unset multiplot
