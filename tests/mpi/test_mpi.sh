#!/usr/bin/env bash
# test_mpi.sh - normsim-mpi under `mpirun -np K --oversubscribe`: diagnose --acts with the
# rows split across 2 and 3 ranks equals the one-process run (eigenvalues to 1e-12
# lambda_max, |cos| and lambda_max to 1e-12 relative) and is byte-identical from one run to
# the next at the same K; a rank whose share holds a NaN ends the job with its one error
# line and exit 2 (no hang: every run is under a timeout); a sweep at 1 and 2 processes gives
# the same results files, with cells run on both ranks; data-parallel train at 2 and 3 ranks
# equals one process after 50 steps (weights to 1e-10, track rows identical), reruns are
# bit-identical, and a one-process run killed between checkpoints resumes on 2 ranks to the
# same end; commands that do not split are
# refused; the plain build/normsim links no MPI. Negative control: the first half of the
# rows alone (a rank's share dropped) fails the same comparison.
# Last line: "mpi: N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
NS=${NORMSIM:-$root/build/normsim}
NSM=${NORMSIM_MPI:-$root/build/normsim-mpi}
PY=${PYTHON:-/usr/bin/python3}
if [ ! -x "$NSM" ] || ! command -v mpirun >/dev/null; then
    echo "mpi: skipped: no $NSM or no mpirun (make deps installs libopenmpi-dev openmpi-bin)" >&2
    echo "mpi: 0 passed, 0 failed"
    exit 0
fi
# Open MPI refuses to run as root without these; set here only, for this suite
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# one BLAS thread everywhere: mpirun binds each rank to a core (OpenBLAS then runs one
# thread), and results are bit-reproducible only at one thread count
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
mpi() { local np=$1; shift; timeout 120 mpirun -np "$np" --oversubscribe "$NSM" "$@"; }

# LayerNorm outputs with a random gain (kernel g^-1): float64 and float32 dumps
"$PY" - "$tmp" <<'PYEOF'
import numpy as np, sys
d = sys.argv[1]
rng = np.random.default_rng(7)
x = rng.standard_normal((6001, 40)) * np.exp(0.5 * rng.standard_normal(40))
g = np.exp(rng.standard_normal(40))
y = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True) * g + 0.1
np.save(f"{d}/acts64.npy", y)
np.save(f"{d}/acts32.npy", y.astype(np.float32))
np.save(f"{d}/half.npy", y[:3000])
np.save(f"{d}/g.npy", g)
np.save(f"{d}/b.npy", np.full(40, 0.1))
bad = y.copy(); bad[5000, 7] = np.nan   # in rank 1's share of 2
np.save(f"{d}/bad.npy", bad)
PYEOF

# compare A B: eigenvalues within 1e-12 lambda_max, |cos| and lambda_max to 1e-12 relative
compare() {
    "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
a, b = (json.load(open(p))["runs"][0] for p in sys.argv[1:3])
lm = a["lambda_max"]
err = max(abs(x - y) for x, y in zip(a["eigenvalues"], b["eigenvalues"])) / lm
assert len(a["eigenvalues"]) == len(b["eigenvalues"]) == a["d"]
assert err <= 1e-12, f"eigenvalues differ by {err:.3g} lambda_max"
assert abs(a["cos"] - b["cos"]) <= 1e-12 * a["cos"], (a["cos"], b["cos"])
assert abs(a["lambda_max"] - b["lambda_max"]) <= 1e-12 * lm
assert a["verdict"] == b["verdict"] == "PRESENT" and a["tokens"] == b["tokens"], (a["verdict"], b["verdict"])
PYEOF
}

for dt in 64 32; do
    acts=(diagnose --acts "$tmp/acts$dt.npy" --gamma "$tmp/g.npy" --beta "$tmp/b.npy" --format json)
    "$NS" "${acts[@]}" >"$tmp/one$dt.json" 2>"$tmp/err" && ok || bad "normsim f$dt: $(cat "$tmp/err")"
    for np in 2 3; do
        mpi $np "${acts[@]}" >"$tmp/k$np.json" 2>"$tmp/err" && ok || bad "-np $np f$dt exit: $(tail -3 "$tmp/err")"
        compare "$tmp/one$dt.json" "$tmp/k$np.json" && ok || bad "-np $np f$dt differs from one process"
    done
    mpi 2 "${acts[@]}" >"$tmp/k2b.json" 2>/dev/null
    cmp -s "$tmp/k2.json" "$tmp/k2b.json" && ok || bad "-np 2 f$dt: two runs are not byte-identical"
    mpi 1 "${acts[@]}" >"$tmp/k1.json" 2>/dev/null
    cmp -s "$tmp/one$dt.json" "$tmp/k1.json" && ok || bad "-np 1 f$dt is not byte-identical to normsim"
done
# negative control: a dropped share must fail the comparison
"$NS" diagnose --acts "$tmp/half.npy" --gamma "$tmp/g.npy" --format json >"$tmp/half.json" 2>/dev/null
compare "$tmp/one64.json" "$tmp/half.json" 2>/dev/null && bad "negative control: half the rows passed the comparison" || ok

# ---- random-init diagnose: token batches split round-robin, the tap accumulators merged ----
model=(diagnose --arch gpt2 --norm layernorm --gamma random:1 --d 32 --layers 2 --tokens 4096 --format json)
"$NS" "${model[@]}" >"$tmp/m1.json" 2>/dev/null && ok || bad "normsim diagnose (random init)"
for np in 2 3; do
    mpi $np "${model[@]}" >"$tmp/m$np.json" 2>"$tmp/err" && ok || bad "-np $np diagnose: $(tail -3 "$tmp/err")"
    compare "$tmp/m1.json" "$tmp/m$np.json" && ok || bad "-np $np random-init diagnose differs from one process"
    "$PY" - "$tmp/m1.json" "$tmp/m$np.json" <<'PYEOF' && ok || bad "-np $np: sigma_min of the residual stream differs"
import json, sys
a, b = (json.load(open(p))["runs"][0] for p in sys.argv[1:3])
assert len(a["sigma_min"]) == len(b["sigma_min"]) == 3
assert all(abs(x - y) <= 1e-12 * x for x, y in zip(a["sigma_min"], b["sigma_min"])), (a["sigma_min"], b["sigma_min"])
PYEOF
done
mpi 2 "${model[@]}" >"$tmp/m2b.json" 2>/dev/null
cmp -s "$tmp/m2.json" "$tmp/m2b.json" && ok || bad "-np 2 random-init diagnose: two runs are not byte-identical"

# ---- a rank fails mid-run: its error line, exit 2, no hang ----
mpi 2 diagnose --acts "$tmp/bad.npy" --format json >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && ok || bad "rank failure: exit $rc, want 2 (124: timed out)"
[ "$(grep -c '^normsim: error: ' "$tmp/err")" -eq 1 ] && ok || bad "rank failure: $(grep -c '^normsim: error: ' "$tmp/err") error lines"
grep -q '^normsim: error: .*row 5000 (0-based) has a non-finite value' "$tmp/err" && ok || bad "rank failure: $(grep normsim "$tmp/err")"
[ ! -s "$tmp/out" ] && ok || bad "rank failure wrote to stdout"
mpi 2 diagnose --acts "$tmp/none.npy" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && [ "$(grep -c '^normsim: error: cannot open' "$tmp/err")" -eq 1 ] && ok || bad "missing file on every rank: exit $rc, $(grep -c 'normsim: error' "$tmp/err") lines"

# ---- sweep: 1 process and 2 ranks, the same files ----
grid='arch=gpt2,llama norm=layernorm,rmsnorm seed=1..4'
fixed=(--d 16 --layers 1 --heads 2 --seq 16 --vocab 64 --tokens 96)
"$NS" sweep --grid "$grid" --out "$tmp/s1" "${fixed[@]}" >/dev/null 2>&1 && ok || bad "sweep, one process"
mpi 2 sweep --grid "$grid" --out "$tmp/s2" "${fixed[@]}" >/dev/null 2>"$tmp/err" && ok || bad "sweep -np 2: $(tail -3 "$tmp/err")"
cmp -s "$tmp/s1/results.csv" "$tmp/s2/results.csv" && ok || bad "sweep: results.csv differs at 2 ranks"
cmp -s "$tmp/s1/results.jsonl" "$tmp/s2/results.jsonl" && ok || bad "sweep: results.jsonl differs at 2 ranks"
grep -qE '^sweep: cells run per rank: 0:[0-9]+ 1:[1-9]' "$tmp/err" && ok || bad "sweep: rank 1 ran no cell: $(grep 'per rank' "$tmp/err")"

# ---- train, data-parallel: the same 50 steps as one process with the same global batch ----
topts=(--arch gpt2 --d 32 --layers 2 --heads 4 --seq 16 --vocab 256 --batch 4 --steps 50 --track-every 10
       --ckpt-every 10 --probe-tokens 256)
"$NS" train "${topts[@]}" --out "$tmp/t1" >/dev/null 2>&1 && ok || bad "train, one process"
# weights to 1e-10 of the largest weight (a key bias has zero gradient: its ~1e-15 values are
# noise, so no per-element relative test), tensors above 1e-8 each to 1e-10 relative; the
# track rows (loss, val loss, |cos|, ... at 10 digits) identical
ckcmp() {
    "$PY" - "$1/checkpoint.safetensors" "$2/checkpoint.safetensors" <<'PYEOF'
import json, struct, sys, numpy as np
def load(p):
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n])
    return {k: np.frombuffer(b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], "<f8")
            for k, v in h.items() if k != "__metadata__" and v["dtype"] == "F64"}, h["__metadata__"]
(a, ma), (b, mb) = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys() and len(a) > 10 and ma["normsim.step"] == mb["normsim.step"] == "50"
top = max(np.abs(v).max() for v in a.values())
err = max(np.abs(a[k] - b[k]).max() for k in a) / top
assert err <= 1e-10, f"weights differ by {err:.3g} of the largest"
for k in a:
    m = np.abs(a[k]).max()
    if m > 1e-8 * top:
        assert np.abs(a[k] - b[k]).max() <= 1e-10 * m, k
PYEOF
}
# (rayleigh_rel and eig0_rel sit at the rounding floor, ~1e-17: noise, not compared)
trackcmp() { cmp -s <(cut -d, -f1-9,11 "$1/track.csv") <(cut -d, -f1-9,11 "$2/track.csv"); }
for np in 2 3; do
    mpi $np train "${topts[@]}" --out "$tmp/t$np" >/dev/null 2>"$tmp/err" && ok || bad "train -np $np: $(tail -3 "$tmp/err")"
    ckcmp "$tmp/t1" "$tmp/t$np" && ok || bad "train -np $np: weights differ from one process"
    trackcmp "$tmp/t1" "$tmp/t$np" && ok || bad "train -np $np: track.csv differs from one process"
done
mpi 2 train "${topts[@]}" --out "$tmp/t2b" >/dev/null 2>&1
cmp -s "$tmp/t2/checkpoint.safetensors" "$tmp/t2b/checkpoint.safetensors" && ok || bad "train -np 2: reruns not bit-identical"
# negative control: another global batch is another run
"$NS" train "${topts[@]}" --batch 2 --out "$tmp/tneg" >/dev/null 2>&1
ckcmp "$tmp/t1" "$tmp/tneg" 2>/dev/null && bad "negative control: --batch 2 passed the weight comparison" || ok
# --resume at another K: one process killed between checkpoints, resumed on 2 ranks
"$NS" train "${topts[@]}" --out "$tmp/tk" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    n=$(grep -c '^[0-9]' "$tmp/tk/track.csv" 2>/dev/null)
    [ "${n:-0}" -ge 4 ] && break
    sleep 0.02
done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
mpi 2 train "${topts[@]}" --resume "$tmp/tk" >/dev/null 2>"$tmp/err" && ok || bad "resume on 2 ranks: $(tail -2 "$tmp/err")"
ckcmp "$tmp/t1" "$tmp/tk" && ok || bad "resumed on 2 ranks: weights differ from the uninterrupted run"
trackcmp "$tmp/t1" "$tmp/tk" && ok || bad "resumed on 2 ranks: track.csv differs"

# ---- what does not split is refused; normsim itself has no MPI ----
mpi 2 export --out "$tmp/x" >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "^normsim: error: normsim-mpi runs sweep, diagnose and train" "$tmp/err" && ok || bad "export under 2 ranks: exit $rc"
ldd "$NS" | grep -qi 'libmpi' && bad "build/normsim links MPI" || ok

echo "mpi: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
