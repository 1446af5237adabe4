#!/usr/bin/env bash
# test_threads.sh - results do not depend on the thread count (sim/base/threads.h):
# `diagnose` (model, --acts) prints byte-identical JSON and `train` writes byte-identical
# checkpoints and track.csv with --threads 1 and --threads 2, over families that reach
# every threaded op (LN / RMS / sandwich / parallel blocks, GELU / SwiGLU / GeGLU / ReLU,
# learned / RoPE / ALiBi / T5 bias, MHA / GQA / window / bidirectional, f64 and bf16).
# Negative controls: a changed seed must change the bytes (the comparison can fail), and
# --threads 0 is bad usage. Last line: "threads: N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
NS=${NORMSIM:-$root/build/normsim}
PY=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# same WHAT FILE1 FILE2: byte-identical and not empty
same() { [ -s "$2" ] && cmp -s "$2" "$3" && ok || bad "$1: $2 and $3 differ (or are empty)"; }

# ---- diagnose on a model: 1 vs 2 threads ----
shape="--d 64 --layers 2 --heads 4 --seq 64 --tokens 1536 --format json"
i=0
for case in "gpt2" "llama" "mistral --kv-heads 2 --window 16" "t5" "bloom" "pythia" "gemma" \
            "bert" "falcon" "olmo2" "gpt2 --precision bf16" "llama --gamma random --perturb 0.1"; do
    i=$((i + 1))
    for n in 1 2; do
        "$NS" diagnose --arch $case $shape --threads "$n" >"$tmp/diag$i.$n.json" 2>"$tmp/err" ||
            bad "diagnose --arch $case --threads $n: $(cat "$tmp/err")"
    done
    same "diagnose --arch $case" "$tmp/diag$i.1.json" "$tmp/diag$i.2.json"
done
"$NS" diagnose --arch vit --d 64 --layers 2 --heads 4 --tokens 1700 --format json --threads 1 >"$tmp/vit.1.json" 2>/dev/null
"$NS" diagnose --arch vit --d 64 --layers 2 --heads 4 --tokens 1700 --format json --threads 2 >"$tmp/vit.2.json" 2>/dev/null
same "diagnose --arch vit" "$tmp/vit.1.json" "$tmp/vit.2.json"

# ---- diagnose --acts: 1 vs 2 threads ----
"$PY" -c 'import numpy as np; r = np.random.default_rng(3); np.save("'"$tmp"'/acts.npy", r.standard_normal((3000, 96)) @ r.standard_normal((96, 96)))'
for n in 1 2; do
    "$NS" diagnose --acts "$tmp/acts.npy" --format json --threads "$n" >"$tmp/acts.$n.json" 2>"$tmp/err" ||
        bad "diagnose --acts --threads $n: $(cat "$tmp/err")"
done
same "diagnose --acts" "$tmp/acts.1.json" "$tmp/acts.2.json"

# ---- train: checkpoints and track.csv, 1 vs 2 threads ----
tshape="--d 64 --layers 2 --heads 4 --seq 64 --batch 8 --steps 4 --track-every 2 --probe-tokens 512"
i=0
for case in "gpt2" "llama" "t5" "gemma --kv-heads 2" "pythia"; do
    i=$((i + 1))
    for n in 1 2; do
        "$NS" train --arch $case $tshape --threads "$n" --out "$tmp/train$i.$n" >/dev/null 2>"$tmp/err" ||
            bad "train --arch $case --threads $n: $(cat "$tmp/err")"
    done
    same "train --arch $case checkpoint" "$tmp/train$i.1/checkpoint.safetensors" "$tmp/train$i.2/checkpoint.safetensors"
    same "train --arch $case track.csv" "$tmp/train$i.1/track.csv" "$tmp/train$i.2/track.csv"
done

# ---- negative controls ----
"$NS" train --arch gpt2 $tshape --threads 2 --seed 2 --out "$tmp/seed2" >/dev/null 2>&1
if cmp -s "$tmp/train1.2/checkpoint.safetensors" "$tmp/seed2/checkpoint.safetensors"; then
    bad "a different seed gave the same checkpoint: the comparison cannot fail"
else ok; fi
"$NS" diagnose --arch gpt2 $shape --threads 2 --seed 2 >"$tmp/seed2.json" 2>/dev/null
if cmp -s "$tmp/diag1.2.json" "$tmp/seed2.json"; then
    bad "a different seed gave the same diagnose JSON"
else ok; fi
"$NS" diagnose --arch gpt2 --threads 0 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] && grep -q '^normsim: error: --threads' "$tmp/err" && ok ||
    bad "--threads 0: rc=$rc $(cat "$tmp/err")"

echo "threads: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
