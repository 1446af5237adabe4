# plots/gain_law.gp OUT [EXTRA] - the gain-spread law of C4 (experiments/gain_law): the
# deepening factor D = F(s=0)/F(s) of the floor F = |p'Cp|/lambda_max against the final
# norm's gain spread s = std(log g), log-log. One colour per storage precision; families
# as point styles (means over seeds, error bars: the seeds' sd); the fitted law
# ln D = alpha s + beta s^2 (solid) and the power-law fit log10 D = a + b log10 s
# (dashed, fitted on S >= 0.1); training runs' tracked steps as lines (s, D) with small
# points. EXTRA: a second law folder (another model size) whose law (dash-dot) and
# training runs are drawn on the same axes. Reads OUT/plotdata (law.py); writes
# OUT/gain_law.{png,svg}.
# Run: gnuplot -c plots/gain_law.gp runs/gain_law/grid [runs/gain_law/long_grid]

if (ARGC < 1) { print "usage: gnuplot -c plots/gain_law.gp OUT [EXTRA]"; exit status 2 }
OUT = ARG1
EXTRA = ARGC >= 2 ? ARG2 : ""
load ARG0[1:strlen(ARG0) - strlen("gain_law.gp")] . "common.gp"
load OUT . "/plotdata/gain_law.vars"
xprecs = EXTRA eq "" ? "" : system("cd " . EXTRA . "/plotdata && ls fit_*.dat 2>/dev/null | sed 's/^fit_//; s/.dat$//' | tr '\\n' ' '")
xruns = EXTRA eq "" ? "" : system("cd " . EXTRA . "/plotdata && ls train_*.dat 2>/dev/null | sed 's/^train_//; s/.dat$//' | tr '\\n' ' '")

array pcol[3] = ["#d62728", "#1f77b4", "#2ca02c"]   # bf16, f16, f32
pc(p) = p eq "bf16" ? pcol[1] : p eq "f16" ? pcol[2] : pcol[3]
array fpt[6] = [7, 5, 9, 11, 13, 15]
fp(i) = fpt[(i - 1) % 6 + 1]
prec_of(r) = r[strstrt(r, "_") + 1:]
run_of(r) = r[1:strstrt(r, "_") - 1]

set logscale xy
set format y "10^{%L}"
set xrange [0.012:2.6]
set yrange [0.3:1e8]
set grid xtics ytics mxtics lc rgb "#dddddd"
set xlabel "s = std(log g) of the final norm"
set ylabel "deepening D = F(s = 0) / F(s),   F = |p'Cp| / {/Symbol l}_{max}"
set key outside right top box font ",10" spacing 1.15
do for [k in "2 3 4"] {
    set arrow from graph 0, first 10**k to graph 1, first 10**k nohead dt 3 lc rgb "#888888" back
}

# the plot command, clause by clause (gnuplot's plot-for runs an empty range once)
q = "'"
cl(f, spec) = q . f . q . " " . spec
cmd = ""
add(c) = (cmd eq "" ? c : cmd . ", " . c)
do for [p in precs] {
    cmd = add(cl(OUT . "/plotdata/fit_" . p . ".dat", "using 1:3 with lines lw 2 lc rgb '" . pc(p) . "' title 'law ln D = {/Symbol a}s + {/Symbol b}s^2, " . p . "'"))
    cmd = add(cl(OUT . "/plotdata/fit_" . p . ".dat", "using 1:2 with lines lw 1 dt 2 lc rgb '" . pc(p) . "' title 'power-law fit, " . p . "'"))
    do for [i = 1:words(archs)] {
        f = OUT . "/plotdata/pts_" . p . "_" . word(archs, i) . ".dat"
        if (system("test -s " . f . " && echo y") eq "y") {
            a = word(archs, i)
            t = p . " " . a . (strstrt(" llama mistral qwen2 gemma t5 ", " " . a . " ") ? " (RMS control: F = {/Symbol l}_{min}/{/Symbol l}_{max})" : "")
            cmd = add(cl(f, sprintf("using 1:2:($2/10**$4):($2*10**$4) with yerrorbars pt %d ps 1.2 lc rgb '%s' title '%s'", fp(i), pc(p), t))) }
    }
}
do for [j = 1:words(runs)] {
    r = word(runs, j)
    cmd = add(cl(OUT . "/plotdata/train_" . r . ".dat", "using 1:2 with linespoints lw 1.5 pt 1 ps 0.6 lc rgb '" . pc(prec_of(r)) . "' title 'train " . run_of(r) . " " . prec_of(r) . "'"))
}
do for [j = 1:words(xruns)] {
    r = word(xruns, j)
    cmd = add(cl(EXTRA . "/plotdata/train_" . r . ".dat", "using 1:2 with linespoints lw 2.5 pt 6 ps 0.7 lc rgb '" . pc(prec_of(r)) . "' title 'train " . run_of(r) . " " . prec_of(r) . "'"))
}
do for [j = 1:words(xprecs)] {
    p = word(xprecs, j)
    cmd = add(cl(EXTRA . "/plotdata/fit_" . p . ".dat", "using 1:3 with lines lw 1.5 dt 4 lc rgb '" . pc(p) . "' title 'law of the long run model, " . p . "'"))
}

do for [term in "png svg"] {
    if (term eq "png") { eval to_png(OUT . "/gain_law", 1400, 850) } else { eval to_svg(OUT . "/gain_law", 1400, 850) }
    set title "C4: the floor of p = g^{-1}/||g^{-1}|| against the gain spread (init-time grid) and where training moves"
    eval "plot " . cmd
}
