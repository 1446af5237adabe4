#!/usr/bin/env bash
# paper-repro/run.sh - the init-time reproduction of the paper's C3, C5 and C6.
#
# For every archetype x precision {f64, bf16} x gain {ones, random:0.5} it runs
# `normsim diagnose` at random initialisation, keeps each run's JSON in $OUT/json/, then
# paper-repro/table.py builds $OUT/init_table.csv and $OUT/init_table.md, prints the
# markdown table and checks the claims, and the gnuplot scripts in plots/ draw the
# figures into $OUT/ (PNG and SVG). Exits non-zero if a run fails, a claim check fails
# or a plot cannot be drawn; the plots are drawn even when a check fails.
#
# Environment (all optional):
#   NORMSIM   the binary                       (default build/normsim)
#   OUT       output folder                    (default paper-repro/out)
#   PYTHON    Python 3 (stdlib only)           (default /usr/bin/python3)
#   GNUPLOT   gnuplot                          (default gnuplot)
#   TOKENS    tokens (image models: rows) per run; N >> d = 128 (default 4096)
#   SEED      the --seed of every run          (default 1)
#   GAMMA_S   spread S of the random gains, g = exp(S z)   (default 0.5)
#   LAW       the committed results of experiments/gain_law (C4's gain-spread law; default
#             experiments/gain_law/results): read, not recomputed; LAW_RUNS of its grid
#             runs are redone here and must match them
# Run from the repository root (`make repro` does).
set -euo pipefail

NORMSIM=${NORMSIM:-build/normsim}
OUT=${OUT:-paper-repro/out}
PYTHON=${PYTHON:-/usr/bin/python3}
GNUPLOT=${GNUPLOT:-gnuplot}
TOKENS=${TOKENS:-4096}
SEED=${SEED:-1}
GAMMA_S=${GAMMA_S:-0.5}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PLOTS=$(cd "$HERE/../plots" && pwd)

# The paper's line-up (9 LayerNorm + 5 RMSNorm), then the extra families.
LINEUP_LN="gpt2 pythia opt bloom falcon phi2 command-r bert vit"
LINEUP_RMS="llama mistral qwen2 gemma t5"
EXTRAS="olmo1 olmo2 gemma4 dinov2"
ARCHS="$LINEUP_LN $LINEUP_RMS $EXTRAS"
PRECISIONS="f64 bf16"
GAMMAS="ones random:$GAMMA_S"

elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

[ -x "$NORMSIM" ] || { echo "run.sh: $NORMSIM not found or not executable (make all first)" >&2; exit 1; }
mkdir -p "$OUT/json"
# Run a private copy: the tree may be rebuilt while this runs, and every run of one
# reproduction must come from the same binary.
BIN=$(mktemp "${TMPDIR:-/tmp}/normsim.repro.XXXXXX")
trap 'rm -f "$BIN"' EXIT
cp "$NORMSIM" "$BIN" && chmod 700 "$BIN"
"$BIN" --version >"$OUT/normsim_version.txt.tmp" && mv "$OUT/normsim_version.txt.tmp" "$OUT/normsim_version.txt"
rm -f "$OUT"/json/*.json "$OUT"/json/*.stderr

t0=$EPOCHREALTIME
n=0
total=$(( $(wc -w <<<"$ARCHS") * $(wc -w <<<"$PRECISIONS") * $(wc -w <<<"$GAMMAS") ))
for arch in $ARCHS; do
  for prec in $PRECISIONS; do
    for gamma in $GAMMAS; do
      n=$((n + 1))
      tag="${arch}_${prec}_${gamma/:/-}"
      json="$OUT/json/$tag.json"
      t1=$EPOCHREALTIME
      # stdout -> temp file, renamed only on success: no half-written JSON
      if ! "$BIN" diagnose --arch "$arch" --precision "$prec" --gamma "$gamma" \
             --tokens "$TOKENS" --seed "$SEED" --format json \
             >"$json.tmp" 2>"$json.stderr.tmp"; then
        echo "run.sh: normsim failed for $tag:" >&2
        cat "$json.stderr.tmp" >&2
        rm -f "$json.tmp"
        exit 1
      fi
      mv "$json.stderr.tmp" "$OUT/json/$tag.stderr"
      mv "$json.tmp" "$json"
      printf '[%2d/%d] %-28s %5.2fs\n' "$n" "$total" "$tag" \
        "$(elapsed "$t1")" >&2
    done
  done
done
t_runs=$(elapsed "$t0")

# C4's law: precomputed (experiments/gain_law/run.sh, minutes); two of its runs redone here
LAW=${LAW:-$HERE/../experiments/gain_law/results}
LAW_RUNS=${LAW_RUNS:-"gpt2:bf16:1:1 bert:f16:0.5:2"}
mkdir -p "$OUT/law_json"
rm -f "$OUT"/law_json/*.json
for spec in $LAW_RUNS; do
  IFS=: read -r arch prec s seed <<<"$spec"
  json="$OUT/law_json/${arch}_${prec}_s${s}_seed${seed}.json"
  if ! "$BIN" diagnose --arch "$arch" --precision "$prec" --gamma "random:$s" --tokens 2048 \
         --seed "$seed" --format json >"$json.tmp" 2>/dev/null; then
    echo "run.sh: normsim failed for the law run $spec" >&2; rm -f "$json.tmp"; exit 1
  fi
  mv "$json.tmp" "$json"
done

# Tables, plot data and the claim checks. Keep its status; draw the plots regardless.
status=0
LINEUP_LN="$LINEUP_LN" LINEUP_RMS="$LINEUP_RMS" EXTRAS="$EXTRAS" LAW_RESULTS="$LAW" \
  "$PYTHON" "$HERE/table.py" "$OUT" || status=$?
if [ ! -f "$OUT/plotdata/archs.txt" ]; then
  echo "run.sh: table.py wrote no plot data (status $status)" >&2
  exit $(( status ? status : 1 ))
fi

t2=$EPOCHREALTIME
archs_plotted=$(cat "$OUT/plotdata/archs.txt")
for fig in spectrum sigma_min cos; do
  if ! "$GNUPLOT" -c "$PLOTS/$fig.gp" "$OUT" "$archs_plotted"; then
    echo "run.sh: gnuplot failed on plots/$fig.gp" >&2
    status=1
  fi
done
t_plots=$(elapsed "$t2")
printf 'run.sh: %d runs in %.1fs, plots in %.1fs; outputs in %s\n' \
  "$total" "$t_runs" "$t_plots" "$OUT" >&2
exit "$status"
