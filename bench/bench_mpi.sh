#!/usr/bin/env bash
# bench_mpi.sh - the distributed engine's speed, in one run (not part of make test: the dump
# is 1 GiB). (1) diagnose --acts on a 262144 x 1024 float32 dump: normsim in one process,
# normsim-mpi on 2 ranks, and NumPy (a chunked Chan loop + np.linalg.eigh: np.cov would
# need the whole 2 GiB float64 copy) on the same warm file, all at one BLAS thread per
# process; wall time, GB/s and peak RSS of every process (GNU time). (2) sweep --jobs 2 vs
# --jobs 1 on 20 cells. The load (uptime) is printed next to the numbers: on a shared
# machine they say what they say only at that load.
# usage: bash bench/bench_mpi.sh [DIR]   (DIR: where the dump goes, default build/bench-mpi)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
NS=$root/build/normsim
NSM=$root/build/normsim-mpi
PY=${PYTHON:-/usr/bin/python3}
dir=${1:-$root/build/bench-mpi}
rows=${BENCH_ROWS:-262144} d=${BENCH_D:-1024}
mkdir -p "$dir"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ -x "$NSM" ] || { echo "bench_mpi: no $NSM (make deps all, with Open MPI)" >&2; exit 1; }
dump=$dir/acts_${rows}x${d}.npy
if [ ! -s "$dump" ]; then
    echo "bench_mpi: writing $dump" >&2
    "$PY" - "$dump" "$rows" "$d" <<'PYEOF'
import numpy as np, sys
path, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = np.lib.format.open_memmap(path + ".tmp", mode="w+", dtype=np.float32, shape=(n, d))
rng = np.random.default_rng(1)
g = np.exp(rng.standard_normal(d))
for i in range(0, n, 16384):  # LayerNorm outputs with a random gain
    x = rng.standard_normal((min(16384, n - i), d))
    out[i:i + len(x)] = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True) * g
out.flush(); del out
import os; os.replace(path + ".tmp", path)
np.save(path.replace(".npy", "_g.npy"), g)
PYEOF
fi
gamma=${dump%.npy}_g.npy
bytes=$(stat -c %s "$dump")
cat "$dump" >/dev/null # warm the page cache: every reader below sees the same warm file
load() { uptime | sed 's/.*load average: /load /'; }
# t_rss LOGFILE...: "wall s, max RSS MiB" from GNU time -v logs (wall of the first)
secs() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s; exit}' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024; exit}' "$1"; }

echo "== diagnose --acts, ${rows} x ${d} float32 ($(awk -v b="$bytes" 'BEGIN{printf "%.2f GiB", b/2^30}')), $(getconf _NPROCESSORS_ONLN) cores, $(load)"
/usr/bin/time -v "$NS" diagnose --acts "$dump" --gamma "$gamma" --format json >"$dir/one.json" 2>"$dir/one.time"
t1=$(secs "$dir/one.time")
echo "normsim, 1 process:   $t1 s, $(awk -v b="$bytes" -v t="$t1" 'BEGIN{printf "%.2f", b/t/1e9}') GB/s, peak RSS $(rss "$dir/one.time") MiB   ($(load))"
start=$(date +%s.%N)
mpirun -np 2 --oversubscribe sh -c 'exec /usr/bin/time -v -o "$0/rank.$OMPI_COMM_WORLD_RANK.time" "$@"' "$dir" \
    "$NSM" diagnose --acts "$dump" --gamma "$gamma" --format json >"$dir/two.json" 2>"$dir/two.err" ||
    { cat "$dir/two.err"; exit 1; }
t2=$(echo "$(date +%s.%N) - $start" | bc)
echo "normsim-mpi, 2 ranks: $t2 s (mpirun start-up included), $(awk -v b="$bytes" -v t="$t2" 'BEGIN{printf "%.2f", b/t/1e9}') GB/s, peak RSS rank 0 $(rss "$dir/rank.0.time") MiB, rank 1 $(rss "$dir/rank.1.time") MiB   ($(load))"
echo "ratio 1 process / 2 ranks: $(echo "scale=2; $t1 / $t2" | bc)"
/usr/bin/time -v "$PY" - "$dump" >"$dir/numpy.out" 2>"$dir/numpy.time" <<'PYEOF'
import numpy as np, sys
x = np.load(sys.argv[1], mmap_mode="r")
n, d = x.shape
mean, M2, cnt = np.zeros(d), np.zeros((d, d)), 0
for i in range(0, n, 16384):  # Chan's merge of chunk statistics, float64
    c = np.asarray(x[i:i + 16384], dtype=np.float64)
    m = c.mean(0); cc = c - m; S = cc.T @ cc; k = len(c)
    delta = m - mean; tot = cnt + k
    M2 += S + np.outer(delta, delta) * cnt * k / tot
    mean += delta * k / tot; cnt = tot
w = np.linalg.eigh(M2 / cnt)[0]
print(w[0], w[-1])
PYEOF
tn=$(secs "$dir/numpy.time")
echo "numpy (chunked Chan + eigh), 1 thread: $tn s, $(awk -v b="$bytes" -v t="$tn" 'BEGIN{printf "%.2f", b/t/1e9}') GB/s, peak RSS $(rss "$dir/numpy.time") MiB   ($(load))"
echo "normsim 1 process vs numpy: $(echo "scale=2; $tn / $t1" | bc)x faster"
"$PY" - "$dir/one.json" "$dir/two.json" "$dir/numpy.out" <<'PYEOF'
import json, sys
a, b = (json.load(open(p))["runs"][0] for p in sys.argv[1:3])
lo, hi = map(float, open(sys.argv[3]).read().split())
print(f"lambda_max: normsim {a['lambda_max']:.12g}, 2 ranks {b['lambda_max']:.12g}, numpy {hi:.12g}; "
      f"|cos| {a['cos']:.12f} / {b['cos']:.12f}; verdicts {a['verdict']} / {b['verdict']}")
PYEOF
echo "budget: 64 MiB + d^2 doubles = $(echo "64 + $d * $d * 8 / 1048576" | bc) MiB per rank"

echo "== sweep, 20 cells, $(load)"
grid='arch=gpt2,llama norm=layernorm,rmsnorm seed=1..5'
fixed=(--d 64 --layers 2 --tokens 4096)
for j in 1 2; do
    rm -rf "$dir/sweep$j"
    s=$(date +%s.%N)
    "$NS" sweep --grid "$grid" --out "$dir/sweep$j" --jobs $j "${fixed[@]}" >/dev/null 2>&1
    eval "ts$j=$(echo "$(date +%s.%N) - $s" | bc)"
done
cmp -s "$dir/sweep1/results.csv" "$dir/sweep2/results.csv" && same=same || same=DIFFERENT
echo "sweep --jobs 1: $ts1 s, --jobs 2: $ts2 s, speed-up $(echo "scale=2; $ts1 / $ts2" | bc) (results.csv $same)   ($(load))"
