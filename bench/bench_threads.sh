#!/usr/bin/env bash
# bench_threads.sh - thread scaling: 1 vs 2 (THREADS_MAX) threads, one run each, for the
# forward (bench_forward --phases forward, GPT-2-small shape), a training step (gpt2 d128
# L4 seq128, the shape of bench_train.sh) and `diagnose --acts` (an N x 768 float64 file).
# The thread count is OPENBLAS_NUM_THREADS, which normsim's own loops follow
# (sim/base/threads.h). Prints a table; a shared machine makes one run a rough number.
# Env: NORMSIM, SCALE_TOKENS (forward, default 2048), SCALE_ACTS_ROWS (default 32768),
#      TRAIN_STEPS (default 10), THREADS_MAX (default nproc).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
NS=${NORMSIM:-$root/build/normsim}
PY=${PYTHON:-/usr/bin/python3}
FWD=${BENCH_FORWARD:-$root/build/bench_forward}
TOK=${SCALE_TOKENS:-2048}
ROWS=${SCALE_ACTS_ROWS:-32768}
STEPS=${TRAIN_STEPS:-10}
TMAX=${THREADS_MAX:-$(nproc)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" -c 'import numpy as np, sys; r = np.random.default_rng(1)
np.save(sys.argv[1], r.standard_normal((int(sys.argv[2]), 768)))' "$tmp/acts.npy" "$ROWS"
now() { date +%s%N; }
for n in 1 "$TMAX"; do
    export OPENBLAS_NUM_THREADS=$n
    echo "bench_threads: $n thread(s)" >&2
    "$FWD" "$TOK" --phases forward 2>/dev/null | sed -n "s/^forward_tokens_per_s=/fwd.$n=/p" >>"$tmp/r"
    "$NS" train --arch gpt2 --d 128 --layers 4 --heads 4 --seq 128 --vocab 512 --batch 8 \
        --steps "$STEPS" --track-every "$STEPS" --probe-tokens 128 --data zipf-markov \
        --out "$tmp/run$n" --format json >"$tmp/train$n.json"
    "$PY" -c 'import json,sys; print("train.%s=%s" % (sys.argv[2], json.load(open(sys.argv[1]))["tokens_per_second"]))' \
        "$tmp/train$n.json" "$n" >>"$tmp/r"
    t0=$(now)
    "$NS" diagnose --acts "$tmp/acts.npy" --format json >/dev/null
    echo "acts.$n=$(( ($(now) - t0) / 1000000 ))e-3" >>"$tmp/r"
done
"$PY" - "$tmp/r" "$TMAX" "$TOK" "$ROWS" <<'PYEOF'
import sys
r = dict(l.strip().split("=") for l in open(sys.argv[1]) if "=" in l)
t, tok, rows = sys.argv[2], sys.argv[3], sys.argv[4]
print(f"\nthread scaling (1 vs {t} threads, one run each)")
print(f"{'':44} {'1 thread':>11} {t + ' threads':>11} {'speedup':>8}")
def line(name, k, unit, higher):
    a, b = float(r[f"{k}.1"]), float(r[f"{k}.{t}"])
    s = b / a if higher else a / b
    print(f"{name + ' (' + unit + ')':44} {a:11.1f} {b:11.1f} {s:8.2f}")
line(f"forward, GPT-2 small, {tok} tokens", "fwd", "tokens/s", True)
line("train step, gpt2 d128 L4 seq128 batch 8", "train", "tokens/s", True)
line(f"diagnose --acts, {rows} x 768 f64", "acts", "s", False)
PYEOF
