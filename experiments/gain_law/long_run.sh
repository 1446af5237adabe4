#!/usr/bin/env bash
# experiments/gain_law/long_run.sh - the long training run of the gain-spread law (issue 16):
# gpt2 (d 64, 2 layers, seq 32, batch 8) for STEPS updates on the fortunes text, tracking
# the diagnostic at f64, bf16 and f16 every TRACK steps (track.csv carries g_logstd, the
# std of log g of the final norm, next to p'Cp/lambda_max). Runs under `nice -n 19` in
# segments of at most SEGMENT seconds: each segment is one `normsim train` invocation,
# stopped by `timeout` and continued with --resume from the last checkpoint (every CKPT
# steps; --resume is bit-identical and truncates track.csv to the checkpoint). Appends one
# line per invocation to DIR/invocations.log and the total wall time to DIR/wall.txt.
#   OUT (default runs/gain_law/long), STEPS (24000), TRACK (500), CKPT (1000),
#   SEGMENT (900), LR (3e-3), NORMSIM
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
NS=${NORMSIM:-$root/build/normsim}
OUT=${OUT:-$root/runs/gain_law/long}
STEPS=${STEPS:-24000}
TRACK=${TRACK:-500}
CKPT=${CKPT:-1000}
SEGMENT=${SEGMENT:-900}
LR=${LR:-3e-3}
mkdir -p "$(dirname "$OUT")"
# a private copy of the binary: the tree may be rebuilt while this runs
BIN=$(mktemp "${TMPDIR:-/tmp}/normsim.longrun.XXXXXX")
trap 'rm -f "$BIN"' EXIT
cp "$NS" "$BIN" && chmod 700 "$BIN"
opts=(--arch gpt2 --d 64 --layers 2 --seq 32 --batch 8 --steps "$STEPS" --lr "$LR"
      --track-every "$TRACK" --track-precision f64,bf16,f16 --probe-tokens 1024
      --ckpt-every "$CKPT" --format json)
t0=$EPOCHREALTIME
n=0
while :; do
    n=$((n + 1))
    if [ -f "$OUT/checkpoint.safetensors" ]; then where=(--resume "$OUT"); else where=(--out "$OUT"); fi
    t1=$EPOCHREALTIME
    timeout "$SEGMENT" nice -n 19 "$BIN" train "${where[@]}" "${opts[@]}" >"$OUT.summary.json.tmp" 2>"$OUT.stderr"
    rc=$?
    last=$(tail -n 1 "$OUT/track.csv" 2>/dev/null | cut -d, -f1)
    printf 'invocation %d: %s rc=%d %.0fs, track.csv at step %s\n' "$n" "${where[0]}" "$rc" \
        "$(awk -v a="$t1" -v b="$EPOCHREALTIME" 'BEGIN{print b-a}')" "$last" >>"$OUT/invocations.log"
    if [ "$rc" -eq 0 ]; then mv "$OUT.summary.json.tmp" "$OUT/summary.json"; break; fi
    rm -f "$OUT.summary.json.tmp"
    [ "$rc" -eq 124 ] || { echo "long_run: train failed (rc $rc):" >&2; cat "$OUT.stderr" >&2; exit 1; }
done
awk -v a="$t0" -v b="$EPOCHREALTIME" -v n="$n" 'BEGIN{printf "%.0f s wall over %d invocations\n", b-a, n}' >"$OUT/wall.txt"
cat "$OUT/wall.txt" >&2
