#!/usr/bin/env bash
# test_sweep.sh - `normsim sweep`: a 60-cell grid at --jobs 1 and --jobs 2 gives the same
# results files byte for byte; the same sweep killed half way and resumed gives them too
# (and skips the cells done); every row's numbers equal a direct `normsim diagnose` of that
# cell; the summary's verdict counts are the paper's (LN-like PRESENT, RMSNorm ABSENT); a
# failing cell is recorded with its error line and the sweep goes on (exit 1, the count in
# the message); a record is reused only for the cell's exact option set; bad usage exits 2.
# Negative control: a sweep with other fixed options gives a different results file.
# Last line: "sweep: N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
NS=${NORMSIM:-$root/build/normsim}
PY=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
same() { if cmp -s "$1" "$2"; then ok; else bad "$3: $1 and $2 differ"; fi; }
expect_usage_error() {
    local what=$1; shift
    run "$NS" "$@"
    if [ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
        grep -q '^normsim: error: ' "$tmp/err"; then ok; else
        bad "$what: rc=$rc stderr=$(cat "$tmp/err")"; fi
}

grid='arch=gpt2,llama norm=layernorm,rmsnorm,groupnorm:4 precision=f64,bf16 seed=1..5'
fixed=(--d 16 --layers 1 --heads 2 --seq 16 --vocab 64 --tokens 96)

# ---- 60 cells, one process at a time, then two ----
run "$NS" sweep --grid "$grid" --out "$tmp/a" "${fixed[@]}" --format csv
[ "$rc" -eq 0 ] && ok || bad "sweep --jobs 1 exit $rc: $(tail -2 "$tmp/err")"
cp "$tmp/out" "$tmp/summary_a.csv"
grep -q '^sweep: 60/60 cells done' "$tmp/err" && ok || bad "no final progress line 60/60"
grep -q 'ETA' "$tmp/err" && ok || bad "progress line has no ETA"
run "$NS" sweep --grid "$grid" --out "$tmp/b" --jobs 2 "${fixed[@]}" --format csv
[ "$rc" -eq 0 ] && ok || bad "sweep --jobs 2 exit $rc"
same "$tmp/a/results.csv" "$tmp/b/results.csv" "--jobs 1 vs --jobs 2 results.csv"
same "$tmp/a/results.jsonl" "$tmp/b/results.jsonl" "--jobs 1 vs --jobs 2 results.jsonl"
[ "$(wc -l <"$tmp/a/results.csv")" -eq 61 ] && ok || bad "results.csv has $(wc -l <"$tmp/a/results.csv") lines, want 61"
[ -z "$(find "$tmp/a" -name '*.tmp')" ] && ok || bad "temporary files left behind"
if command -v gnuplot >/dev/null; then [ -s "$tmp/a/sweep.png" ] && ok || bad "no sweep.png"; fi

# ---- the summary: LN-like schemes PRESENT in all 20 cells, RMSNorm ABSENT in all 20 ----
"$PY" - "$tmp/summary_a.csv" <<'PYEOF' && ok || bad "summary counts"
import csv, sys
rows = {r["scheme"]: r for r in csv.DictReader(open(sys.argv[1]))}
assert set(rows) == {"layernorm", "rmsnorm", "groupnorm:4"}, rows.keys()
for s, v in (("layernorm", "PRESENT"), ("groupnorm:4", "PRESENT"), ("rmsnorm", "ABSENT")):
    assert rows[s]["cells"] == "20" and rows[s]["failed"] == "0" and rows[s][v] == "20", rows[s]
assert float(rows["layernorm"]["worst_cos"]) > 0.999, rows["layernorm"]
assert float(rows["rmsnorm"]["floor_min"]) > 1e-3, rows["rmsnorm"]  # no kernel: the floor is O(1)
assert abs(float(rows["layernorm"]["floor_max"])) < 1e-4, rows["layernorm"]  # bf16 floor at most
PYEOF

# ---- every row equals a direct run of its cell at the same thread count (--threads, default
# 1; three cells checked, to the last digit) ----
for cell in 0 31 59; do
    "$PY" - "$tmp/a/results.jsonl" "$cell" >"$tmp/args" <<'PYEOF'
import json, sys
rec = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2])]
print(" ".join(rec["fixed"] + [f"--{k} {v}" for k, v in rec["options"].items()]))
PYEOF
    # shellcheck disable=SC2046
    OPENBLAS_NUM_THREADS=1 "$NS" diagnose $(cat "$tmp/args") --format json >"$tmp/direct.json" 2>/dev/null
    "$PY" - "$tmp/a/results.jsonl" "$cell" "$tmp/direct.json" <<'PYEOF' && ok || bad "cell $cell differs from a direct diagnose"
import json, sys
rec = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2])]
direct = json.load(open(sys.argv[3]))["runs"][0]
assert rec["status"] == "ok" and rec["result"] == direct, (rec["result"], direct)
PYEOF
done

# ---- killed half way, then resumed: the same files ----
"$NS" sweep --grid "$grid" --out "$tmp/c" --jobs 2 "${fixed[@]}" >/dev/null 2>"$tmp/c.err" &
pid=$!
for _ in $(seq 1 600); do
    n=$(ls "$tmp/c/cells" 2>/dev/null | grep -c '\.json$')
    [ "$n" -ge 30 ] && break
    sleep 0.02
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
sleep 0.5 # orphaned cells in flight end; they write no record
n=$(ls "$tmp/c/cells" | grep -c '\.json$')
if [ "$n" -ge 30 ] && [ "$n" -lt 60 ] && [ ! -e "$tmp/c/results.csv" ]; then ok; else
    bad "kill half way: $n records, results.csv $( [ -e "$tmp/c/results.csv" ] && echo present || echo absent)"; fi
run "$NS" sweep --grid "$grid" --out "$tmp/c" --jobs 2 "${fixed[@]}"
[ "$rc" -eq 0 ] && ok || bad "resume exit $rc"
grep -q "^sweep: $n of 60 cells already done" "$tmp/err" && ok || bad "resume did not skip the $n done cells: $(head -2 "$tmp/err")"
same "$tmp/a/results.csv" "$tmp/c/results.csv" "uninterrupted vs killed+resumed results.csv"
same "$tmp/a/results.jsonl" "$tmp/c/results.jsonl" "uninterrupted vs killed+resumed results.jsonl"

# ---- a job array: three --part tasks, then one run that gathers (examples/slurm) ----
for i in 0 1 2; do
    "$NS" sweep --grid "$grid" --out "$tmp/p" --part $i/3 --jobs 2 "${fixed[@]}" >/dev/null 2>&1 || bad "part $i/3"
done
[ ! -e "$tmp/p/results.csv" ] && ok || bad "--part wrote results.csv"
run "$NS" sweep --grid "$grid" --out "$tmp/p" "${fixed[@]}"
grep -q '^sweep: 60 of 60 cells already done' "$tmp/err" && ok || bad "gather after parts: $(head -2 "$tmp/err")"
same "$tmp/a/results.csv" "$tmp/p/results.csv" "one sweep vs three --part tasks results.csv"
expect_usage_error "bad --part" sweep --grid 'seed=1' --out "$tmp/f" --part 3/3

# ---- records are matched by the full option set, not position ----
run "$NS" sweep --grid 'seed=1..5 precision=f64,bf16 norm=layernorm,rmsnorm,groupnorm:4 arch=gpt2,llama' \
    --out "$tmp/a" "${fixed[@]}"
grep -q '^sweep: 60 of 60 cells already done' "$tmp/err" && ok || bad "axes reordered: cells not reused"
run "$NS" sweep --grid "arch=gpt2 norm=layernorm seed=1..2" --out "$tmp/a" --d 16 --layers 1 --heads 2 --seq 16 --vocab 64 --tokens 80
grep -q 'already done' "$tmp/err" && bad "other --tokens reused a record" || ok
# negative control: other fixed options, other numbers
run "$NS" sweep --grid "$grid" --out "$tmp/d" --jobs 2 --d 16 --layers 1 --heads 2 --seq 16 --vocab 64 --tokens 80
cmp -s "$tmp/a/results.csv" "$tmp/d/results.csv" && bad "negative control: --tokens 80 gave the same file" || ok

# ---- a failing cell: recorded, the others go on ----
run "$NS" sweep --grid 'norm=layernorm,nosuchnorm,rmsnorm' --out "$tmp/e" "${fixed[@]}"
[ "$rc" -eq 1 ] && ok || bad "failing cell: exit $rc, want 1"
grep -q '^normsim: error: 1 of 3 cells failed' "$tmp/err" && ok || bad "failing cell: $(tail -1 "$tmp/err")"
"$PY" - "$tmp/e/results.csv" <<'PYEOF' && ok || bad "failed cell's row"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [r["status"] for r in rows] == ["ok", "failed", "ok"], rows
assert rows[1]["exit"] == "2" and "unknown norm 'nosuchnorm'" in rows[1]["error"], rows[1]
assert rows[0]["verdict"] == "PRESENT" and rows[2]["verdict"] == "ABSENT"
PYEOF

# ---- bad usage ----
expect_usage_error "no --out" sweep --grid 'seed=1..2'
expect_usage_error "no grid" sweep --out "$tmp/f"
expect_usage_error "axis without =" sweep --grid 'seed' --out "$tmp/f"
expect_usage_error "empty value" sweep --grid 'norm=layernorm,,rmsnorm' --out "$tmp/f"
expect_usage_error "axis twice" sweep --grid 'seed=1 seed=2' --out "$tmp/f"
expect_usage_error "axis and fixed" sweep --grid 'd=16,32' --out "$tmp/f" --d 16
expect_usage_error "format axis" sweep --grid 'format=csv' --out "$tmp/f"
expect_usage_error "bad command" sweep --grid 'seed=1' --out "$tmp/f" --command train
expect_usage_error "missing grid file" sweep --grid-file "$tmp/none" --out "$tmp/f"
printf 'arch=gpt2 # the family\nnorm=layernorm,rmsnorm\n' >"$tmp/grid.txt"
run "$NS" sweep --grid-file "$tmp/grid.txt" --out "$tmp/g" "${fixed[@]}"
[ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/g/results.csv")" -eq 3 ] && ok || bad "grid file: exit $rc"

echo "sweep: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
