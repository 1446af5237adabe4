#!/usr/bin/env bash
# experiments/deepening: claim C4 (PAPER.md) at our scale. Trains gpt2, pythia, bert (LN)
# and llama, gemma (RMS) on the fortunes text and vit on the digits, tracking the
# diagnostic at f64, bf16 and f16 on a fixed probe set; then tabulates, per archetype and
# precision, the deepening factor |p'Cp/lambda_max| at init over the same at the end,
# the dead-direction counts and the final loss, and plots every tracked quantity
# against step. A control separates the mechanism: the same models at init with a
# trained-like gain spread (g = exp(N(0,1))) instead of training.
#   OUT (default runs/deepening), STEPS (default 600), ARCHS, NORMSIM, PYTHON
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
NS=${NORMSIM:-$root/build/normsim}
PY=${PYTHON:-/usr/bin/python3}
OUT=${OUT:-$root/runs/deepening}
STEPS=${STEPS:-600}
ARCHS=${ARCHS:-"gpt2 pythia bert llama gemma vit"}
mkdir -p "$OUT"
{
    echo "{\"experiment\": \"deepening\", \"date\": \"$(date -u +%FT%TZ)\","
    echo " \"commit\": \"$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)\","
    echo " \"steps\": $STEPS, \"archs\": \"$ARCHS\", \"normsim\": \"$NS\"}"
} > "$OUT/manifest.json.tmp" && mv "$OUT/manifest.json.tmp" "$OUT/manifest.json"

for arch in $ARCHS; do
    dir="$OUT/$arch"
    rm -rf "$dir"
    data=text
    [ "$arch" = vit ] && data=digits
    echo "deepening: training $arch on $data for $STEPS steps" >&2
    "$NS" train --arch "$arch" --d 128 --layers 4 --batch 8 --steps "$STEPS" --lr 2e-3 \
        --data "$data" --track-every $((STEPS / 12 > 0 ? STEPS / 12 : 1)) \
        --track-precision f64,bf16,f16 --probe-tokens 2048 --out "$dir" --format json \
        > "$OUT/$arch.summary.json.tmp"
    mv "$OUT/$arch.summary.json.tmp" "$OUT/$arch.summary.json"
done

# control: the gain spread alone, at init, no training
for arch in $ARCHS; do
    for p in bf16 f16; do
        for g in ones random:1; do
            "$NS" diagnose --arch "$arch" --d 128 --layers 4 --tokens 2048 --precision "$p" \
                --gamma "$g" --format json > "$OUT/control.$arch.$p.$g.json.tmp"
            mv "$OUT/control.$arch.$p.$g.json.tmp" "$OUT/control.$arch.$p.$g.json"
        done
    done
done

"$PY" "$root/experiments/deepening/report.py" "$OUT"
if command -v gnuplot >/dev/null; then
    gnuplot -e "dir='$OUT'" "$root/plots/deepening.gp"
    echo "deepening: figures in $OUT/deepening.png and .svg" >&2
else
    echo "deepening: gnuplot not found: no figures" >&2
fi
