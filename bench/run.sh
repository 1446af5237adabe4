#!/usr/bin/env bash
# bench/run.sh - `make bench`: speed and memory of the diagnostic on a GPT-2-small-shaped
# model (d 768, 12 layers, 12 heads, seq 256, vocab 50257, float64), side by side with
# PyTorch in one run. Prints one table (ratios, not absolute times, are the point: the
# machine is shared) and writes bench/out/bench.csv. Never a timed test: PASS/WARN only,
# exit status non-zero only when something fails to build or run.
#
#   BENCH_TOKENS=8192          the main size: normsim (all phases) and PyTorch
#   BENCH_TOKENS_BIG=65536     the memory check: peak RSS may grow <= 10% over the main size
#   BENCH_BIG_PHASES=dgemm,cov,eig   phases of the big run (add ",forward" for a separate
#                              forward pass; by default its forward is the cov pass's, net
#                              of the taps: the whole bench then takes an estimated 6-7 minutes on
#                              an idle 2-core machine, and longer when others load it)
#   BENCH_PROFILE_TOKENS=2048  tokens of the profiled forward (where the time goes); 0: skip
# A quick run: BENCH_TOKENS=1024 BENCH_TOKENS_BIG=4096 BENCH_PROFILE_TOKENS=1024 make bench
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-/usr/bin/python3}
CC=${CC:-cc}
# OpenMP's idle threads sleep between parallel regions (libgomp's default spins them, and
# a spinning thread takes the core another thread needs: on a loaded 2-core machine a
# 2-thread training run went 2-3x slower that way). Both normsim and PyTorch see it.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
N=${BENCH_TOKENS:-8192}
NBIG=${BENCH_TOKENS_BIG:-65536}
NPROF=${BENCH_PROFILE_TOKENS:-2048}
BIG_PHASES=${BENCH_BIG_PHASES:-dgemm,cov,eig}
OUT=bench/out
LIB=build/libnormsim.a
# link flags as the Makefile's LDLIBS (it may gain libraries), this as a fallback
LIBS=$(sed -n 's/^LDLIBS *[?:]*= *//p' Makefile | head -n 1)
LIBS=${LIBS:--llapacke -lopenblas -lcjson -lz -lm}
CFLAGS_BENCH="-O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I."

[ -f "$LIB" ] || { echo "bench: $LIB missing; run make all first" >&2; exit 1; }
mkdir -p "$OUT"

# the timed build, and the profiled one (see "profile" in bench_forward.c): level 2
# wraps ops of sim/model/ops.h and sim/model/attention.h by today's signatures; when those move it
# falls back to level 1 (dgemm and norms only), and without that to no breakdown.
$CC $CFLAGS_BENCH bench/bench_forward.c "$LIB" -o build/bench_forward $LIBS
prof_build() { # level, wrapped symbols
    $CC $CFLAGS_BENCH -DBENCH_PROFILE="$1" bench/bench_forward.c "$LIB" \
        -o build/bench_forward_prof "-Wl,--wrap=${2//,/,--wrap=}" $LIBS 2>"$OUT/profile_build.log"
}
if [ "$NPROF" -gt 0 ]; then
    if ! prof_build 2 cblas_dgemm,matmul_forward,attention_forward,bias_activation_forward,norm_forward_par &&
       ! { echo "bench: note: profile level 2 does not build (ops moved?), see" \
                "$OUT/profile_build.log; trying level 1" >&2; prof_build 1 cblas_dgemm; }; then
        echo "bench: note: no profiled build; no time breakdown" >&2
        NPROF=0
    fi
fi

started=$(date +%s)
step() { echo "bench: $1 ($(( $(date +%s) - started )) s)" >&2; }

step "normsim, $N tokens"
build/bench_forward "$N" >"$OUT/normsim_small.txt"
step "normsim, $NBIG tokens ($BIG_PHASES)"
build/bench_forward "$NBIG" --phases "$BIG_PHASES" >"$OUT/normsim_big.txt"
if [ "$NPROF" -gt 0 ]; then
    step "normsim profiled forward, $NPROF tokens"
    build/bench_forward_prof "$NPROF" --phases forward >"$OUT/normsim_profile.txt"
else
    : >"$OUT/normsim_profile.txt"
fi
step "PyTorch, $N tokens"
"$PY" bench/bench_torch.py "$N" --ops-tokens "$NPROF" >"$OUT/torch_small.txt"
step "done"

"$PY" bench/report.py --small "$OUT/normsim_small.txt" --big "$OUT/normsim_big.txt" \
    --profile "$OUT/normsim_profile.txt" --torch "$OUT/torch_small.txt" --csv "$OUT/bench.csv"

# training speed, gpt2 d128 L4 seq128, against PyTorch in the same run
step "training: normsim and PyTorch"
NORMSIM="$PWD/build/normsim" PYTHON="$PY" bash bench/bench_train.sh | tee "$OUT/train.txt"

# thread scaling: 1 vs all threads for the forward, a training step and diagnose --acts
step "thread scaling"
NORMSIM="$PWD/build/normsim" PYTHON="$PY" bash bench/bench_threads.sh | tee "$OUT/threads.txt"
step "done"
