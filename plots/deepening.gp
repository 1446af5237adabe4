# deepening.gp - the deepening experiment: tracked quantities against step, one line per
# archetype. usage: gnuplot -e "dir='runs/deepening'" plots/deepening.gp
# Reads dir/<arch>/track.csv (columns by name; each step has one row per tracked precision,
# in the order f64, bf16, f16, so `every 3::k` picks precision k). Log axes show |value|.
# noenhanced: titles are plain text ("lambda_max" is not lambda with a subscript m).
if (!exists("dir")) dir = "runs/deepening"
archs = system("ls -d ".dir."/*/ 2>/dev/null | xargs -n1 basename | tr '\\n' ' '")
set datafile separator ","
set key autotitle columnhead
set key bottom left font ",8"
set grid

do for [term in "pngcairo svg"] {
    if (term eq "pngcairo") { set terminal pngcairo size 1500,900 noenhanced font ",10"; set output dir."/deepening.png" } \
    else { set terminal svg size 1500,900 noenhanced font "sans,10"; set output dir."/deepening.svg" }
    set multiplot layout 2,3 title "Deepening (C4): tracked on a fixed probe set during training"
    set xlabel "step"
    unset logscale y
    set title "validation loss (nats)"
    plot for [a in archs] dir."/".a."/track.csv" every 3::0 using "step":"val_loss" with linespoints title a
    set logscale y
    set format y "%.0e"
    set title "|p'Cp| / lambda_max at bf16 (floor of the predicted direction)"
    plot for [a in archs] dir."/".a."/track.csv" every 3::1 using "step":(abs(column("rayleigh_rel"))) with linespoints title a
    set title "|p'Cp| / lambda_max at f16"
    plot for [a in archs] dir."/".a."/track.csv" every 3::2 using "step":(abs(column("rayleigh_rel"))) with linespoints title a
    set title "second-smallest eigenvalue / lambda_max (f64)"
    plot for [a in archs] dir."/".a."/track.csv" every 3::0 using "step":(abs(column("eig1_rel"))) with linespoints title a
    unset logscale y
    set format y "%g"
    set title "dead directions at bf16 (below u^2 lambda_max)"
    plot for [a in archs] dir."/".a."/track.csv" every 3::1 using "step":"dead" with linespoints title a
    set title "std of log g (final norm)"
    plot for [a in archs] dir."/".a."/track.csv" every 3::0 using "step":"g_logstd" with linespoints title a
    unset multiplot
    unset output
}
