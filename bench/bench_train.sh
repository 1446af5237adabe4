#!/usr/bin/env bash
# bench_train.sh - training tokens per second of the gpt2 archetype (d 128, 4 layers,
# seq 128) in normsim and in PyTorch float64, same threads, in one run: the ratio is the
# result (absolute times on a shared machine mean little). Env: NORMSIM, PYTHON,
# TRAIN_STEPS (default 30), THREADS (default: nproc, given to both OpenBLAS and torch).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
NS=${NORMSIM:-$root/build/normsim}
PY=${PYTHON:-/usr/bin/python3}
STEPS=${TRAIN_STEPS:-30}
THREADS=${THREADS:-$(nproc)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OPENBLAS_NUM_THREADS=$THREADS
"$NS" train --arch gpt2 --d 128 --layers 4 --heads 4 --seq 128 --vocab 512 --batch 8 \
    --steps "$STEPS" --track-every "$STEPS" --probe-tokens 128 --data zipf-markov \
    --out "$tmp/run" --format json > "$tmp/ns.json"
ns=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["tokens_per_second"])' "$tmp/ns.json")
pt=$("$PY" "$root/bench/train_torch.py" 128 4 4 128 512 8 "$STEPS" "$THREADS" | sed -n 's/^tokens_per_second=//p')
"$PY" - "$ns" "$pt" "$THREADS" <<'PYEOF'
import sys
ns, pt, th = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
print(f"training gpt2 d128 L4 seq128 batch 8, {th} threads (float64)")
print(f"  normsim  {ns:10.0f} tokens/s")
print(f"  pytorch  {pt:10.0f} tokens/s")
print(f"  ratio    {ns / pt:10.2f}  (aim: >= 2.5)")
PYEOF
