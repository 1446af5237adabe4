#!/usr/bin/env bash
# experiments/gain_law/run.sh - the gain-spread law of C4's deepening (issue 16).
#
# At random init, with every norm gain drawn as g = exp(S z), z ~ N(0,1) (`--gamma
# random:S`; S = 0 is `--gamma ones`), it runs `normsim diagnose` for every family x
# storage precision x S x seed and keeps each run's JSON (the floor p'Cp/lambda_max,
# lambda_2/lambda_max, the dead count, and g_logstd: the measured std of log g of the
# final norm). Then law.py tabulates the means and errors per (family, precision, S),
# fits log10(floor(s)/floor(0)) = a + b log10(s) per precision, states the spread the
# fit needs for 10^2, 10^3 and 10^4, places the training trajectories (track.csv files
# given in TRACKS) on the same axes, and gnuplot draws plots/gain_law.gp.
#
# Environment (all optional):
#   OUT      output folder                              (default runs/gain_law/grid)
#   ARCHS    families                                   (default "gpt2 pythia bert vit llama")
#   PRECS    storage precisions                         (default "bf16 f16 f32")
#   SPREADS  the S grid                                 (default "0 0.02 0.05 0.1 0.2 0.5 1 1.5 2")
#   SEEDS    seeds per point (weights, gains and data)  (default "1 2 3")
#   TOKENS   rows per run                               (default 2048)
#   MODEL    extra model options, e.g. "--d 64 --layers 2 --seq 32" (default none: d 128, L 4)
#   TRACKS   space-separated track.csv files to place on the law (default none)
#   NORMSIM, PYTHON (default /usr/bin/python3), GNUPLOT (default gnuplot; "" = no figure)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
NS=${NORMSIM:-$root/build/normsim}
PY=${PYTHON:-/usr/bin/python3}
GP=${GNUPLOT-gnuplot}
OUT=${OUT:-$root/runs/gain_law/grid}
ARCHS=${ARCHS:-"gpt2 pythia bert vit llama"}
PRECS=${PRECS:-"bf16 f16 f32"}
SPREADS=${SPREADS:-"0 0.02 0.05 0.1 0.2 0.5 1 1.5 2"}
SEEDS=${SEEDS:-"1 2 3"}
TOKENS=${TOKENS:-2048}
MODEL=${MODEL:-}
TRACKS=${TRACKS:-}
[ -x "$NS" ] || { echo "gain_law: $NS not found (make all first)" >&2; exit 1; }
mkdir -p "$OUT/json"
BIN=$(mktemp "${TMPDIR:-/tmp}/normsim.gainlaw.XXXXXX")
trap 'rm -f "$BIN"' EXIT
cp "$NS" "$BIN" && chmod 700 "$BIN"
{
    echo "{\"experiment\": \"gain_law\", \"date\": \"$(date -u +%FT%TZ)\","
    echo " \"commit\": \"$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)\","
    echo " \"archs\": \"$ARCHS\", \"precisions\": \"$PRECS\", \"spreads\": \"$SPREADS\","
    echo " \"seeds\": \"$SEEDS\", \"tokens\": $TOKENS, \"model\": \"$MODEL\"}"
} >"$OUT/manifest.json.tmp" && mv "$OUT/manifest.json.tmp" "$OUT/manifest.json"

t0=$EPOCHREALTIME
n=0
for arch in $ARCHS; do
  for prec in $PRECS; do
    for s in $SPREADS; do
      gamma=random:$s
      [ "$s" = 0 ] && gamma=ones
      for seed in $SEEDS; do
        n=$((n + 1))
        json="$OUT/json/${arch}_${prec}_s${s}_seed${seed}.json"
        [ -s "$json" ] && continue # a finished run (the grid can be resumed)
        # shellcheck disable=SC2086
        if ! "$BIN" diagnose --arch "$arch" $MODEL --precision "$prec" --gamma "$gamma" \
               --tokens "$TOKENS" --seed "$seed" --format json >"$json.tmp" 2>"$json.err"; then
          echo "gain_law: normsim failed on $json:" >&2; cat "$json.err" >&2
          rm -f "$json.tmp"; exit 1
        fi
        mv "$json.tmp" "$json" && rm -f "$json.err"
      done
    done
  done
  printf 'gain_law: %s done (%d runs, %.0f s)\n' "$arch" "$n" \
      "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{print b-a}')" >&2
done

# shellcheck disable=SC2086
"$PY" "$root/experiments/gain_law/law.py" "$OUT" $TRACKS
if [ -n "$GP" ] && command -v "$GP" >/dev/null; then
    "$GP" -c "$root/plots/gain_law.gp" "$OUT"
    echo "gain_law: figure in $OUT/gain_law.png and .svg" >&2
fi
