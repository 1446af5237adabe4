# plots/common.gp - shared settings for the paper-repro figures (loaded by the others).
# Picks pngcairo when this gnuplot has it, else png; defines the colours of the four
# settings (f64 g=1, bf16 g=1, f64 random g, bf16 random g) and of the archetypes.

png_term = strstrt(GPVAL_TERMINALS, "pngcairo") ? "pngcairo" : "png"

# Switch to PNG or SVG at the given size; name = output path without extension.
# usage: eval to_png(name, w, h) / eval to_svg(name, w, h)
to_png(name, w, h) = sprintf("set terminal %s size %d,%d enhanced font 'DejaVu Sans,11'; set output '%s.png'", png_term, w, h, name)
to_svg(name, w, h) = sprintf("set terminal svg size %d,%d enhanced font 'DejaVu Sans,11' background rgb 'white'; set output '%s.svg'", w, h, name)

# the four settings, in the column order table.py writes
array setcol[4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
array setpt[4]  = [7, 5, 9, 13]

# 18 archetype colours (line-up LN, line-up RMS, extras: order of archs.txt)
array archcol[18] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", \
                     "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", \
                     "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", \
                     "#000000", "#7b4173", "#e7ba52", "#31a354"]
