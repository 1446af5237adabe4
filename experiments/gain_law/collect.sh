#!/usr/bin/env bash
# experiments/gain_law/collect.sh - put the law, the training trajectories and the figure
# together and copy what is committed into experiments/gain_law/results/ (paper-repro's
# law check reads it there). Expects:
#   RUNS/grid        run.sh with the defaults (d 128, L 4: the deepening runs' model)
#   RUNS/long_model  run.sh with ARCHS=gpt2 TOKENS=1024 MODEL="--d 64 --layers 2 --seq 32"
#   RUNS/long        long_run.sh (any progress; its track.csv so far is used)
#   DEEP/<arch>      experiments/deepening/run.sh (track.csv of gpt2, pythia, bert, vit)
#   RUNS (default runs/gain_law), DEEP (default runs/deepening), RES (default
#   experiments/gain_law/results), PYTHON, GNUPLOT
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
GP=${GNUPLOT:-gnuplot}
RUNS=${RUNS:-$root/runs/gain_law}
DEEP=${DEEP:-$root/runs/deepening}
RES=${RES:-$root/experiments/gain_law/results}
tracks=()
for a in gpt2 pythia bert vit; do
    [ -f "$DEEP/$a/track.csv" ] && tracks+=("deep-$a=$a=$DEEP/$a/track.csv")
done
"$PY" "$root/experiments/gain_law/law.py" "$RUNS/grid" "${tracks[@]}" >/dev/null
"$PY" "$root/experiments/gain_law/law.py" "$RUNS/long_model" "long=gpt2=$RUNS/long/track.csv" >/dev/null
"$GP" -c "$root/plots/gain_law.gp" "$RUNS/grid" "$RUNS/long_model"
mkdir -p "$RES/long_model" "$RES/long_run" "$RES/deepening"
cp "$RUNS"/grid/{law_points.csv,law_runs.csv,law_train.csv,law_fit.json,law.md,manifest.json,gain_law.png,gain_law.svg} "$RES/"
cp "$RUNS"/long_model/{law_points.csv,law_runs.csv,law_train.csv,law_fit.json,law.md,manifest.json} "$RES/long_model/"
cp "$RUNS"/long/track.csv "$RES/long_run/"
for f in invocations.log wall.txt summary.json; do
    [ -f "$RUNS/long/$f" ] && cp "$RUNS/long/$f" "$RES/long_run/"
done
for a in gpt2 pythia bert vit; do
    [ -f "$DEEP/$a/track.csv" ] && cp "$DEEP/$a/track.csv" "$RES/deepening/$a.track.csv"
done
[ -f "$RUNS/checkpoints.md" ] && cp "$RUNS"/checkpoints.{md,csv} "$RES/"
echo "collect: results in $RES" >&2
