#!/usr/bin/env bash
# test_train.sh - normsim train as a user meets it: a short run learns and writes its
# track; a run killed between checkpoints and resumed ends bit-identical to an
# uninterrupted one; bad input is one error line, non-zero exit, no partial checkpoint.
# Last line: "train: N passed, N failed".
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
expect_error() { # expect_error DESCRIPTION ARGS...: exit != 0, one "normsim: error:" line, empty stdout
    local what=$1; shift
    run "$NS" "$@"
    if [ "$rc" -ne 0 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q '^normsim: error: ' "$tmp/err"; then
        ok
    else
        bad "$what: rc=$rc stderr=$(cat "$tmp/err") stdout=$(head -c 200 "$tmp/out")"
    fi
}

small="--arch gpt2 --d 32 --layers 2 --heads 2 --seq 32 --batch 4 --probe-tokens 256"

# ---- a short run learns and tracks ----
run "$NS" train $small --steps 30 --track-every 10 --track-precision f64,bf16 --lr 3e-3 --out "$tmp/a" --format json
[ "$rc" -eq 0 ] && ok || bad "train exit $rc: $(cat "$tmp/err")"
"$PY" - "$tmp/out" "$tmp/a/track.csv" <<'PYEOF' && ok || bad "train summary and track.csv"
import csv, json, sys
s = json.load(open(sys.argv[1]))
assert s["val_loss"] < s["val_loss_init"] - 0.5, s          # it learns
rows = list(csv.DictReader(open(sys.argv[2])))
assert [r["step"] for r in rows] == ["0", "0", "10", "10", "20", "20", "30", "30"], [r["step"] for r in rows]
assert {r["precision"] for r in rows} == {"f64", "bf16"}
f64 = [r for r in rows if r["precision"] == "f64"]
assert all(r["verdict"] == "PRESENT" and float(r["cos"]) > 1 - 1e-9 for r in f64), f64
assert all(float(r["eig0_rel"]) <= float(r["eig7_rel"]) for r in rows)
assert "sigma_min.2" in rows[0] and "g_logstd" in rows[0]
PYEOF
[ -f "$tmp/a/checkpoint.safetensors" ] && [ ! -e "$tmp/a/checkpoint.safetensors.tmp" ] && ok || bad "final checkpoint"

# ---- resume: kill between checkpoints, resume, compare with an uninterrupted run ----
opts="$small --steps 60 --track-every 10 --ckpt-every 10"
"$NS" train $opts --out "$tmp/full" >/dev/null 2>&1
"$NS" train $opts --out "$tmp/killed" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do  # wait for the step-30 checkpoint's track row, then kill -9
    n=$(grep -c '^[0-9]' "$tmp/killed/track.csv" 2>/dev/null)
    [ "${n:-0}" -ge 4 ] && break
    sleep 0.02
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
run "$NS" train $opts --resume "$tmp/killed"
[ "$rc" -eq 0 ] && ok || bad "resume exit $rc: $(cat "$tmp/err")"
cmp -s "$tmp/full/checkpoint.safetensors" "$tmp/killed/checkpoint.safetensors" && ok || bad "resumed weights differ from the uninterrupted run's"
cmp -s "$tmp/full/track.csv" "$tmp/killed/track.csv" && ok || bad "resumed track.csv differs"
expect_error "resume with other model options" train $opts --d 48 --resume "$tmp/killed"
expect_error "a new run over an old one" train $opts --out "$tmp/full"

# ---- bad input ----
: > "$tmp/empty.txt"
printf 'short' > "$tmp/short.txt"
expect_error "missing data file" train $small --steps 2 --data text:"$tmp/nope.txt" --out "$tmp/b1"
expect_error "empty data file" train $small --steps 2 --data text:"$tmp/empty.txt" --out "$tmp/b2"
expect_error "text shorter than a sequence" train $small --steps 2 --data text:"$tmp/short.txt" --out "$tmp/b3"
printf 'not a token file at all, just text' > "$tmp/bad.bin"
expect_error "token file with a bad header" train $small --steps 2 --data tokens:"$tmp/bad.bin" --out "$tmp/b4"
expect_error "non-writable output folder" train $small --steps 2 --out /proc/normsim-test
expect_error "unknown data" train $small --steps 2 --data poetry --out "$tmp/b5"
expect_error "resume without a run" train $small --steps 2 --resume "$tmp/none"
cp -r "$tmp/full" "$tmp/trunc"
head -c 5000 "$tmp/full/checkpoint.safetensors" > "$tmp/trunc/checkpoint.safetensors"
expect_error "truncated checkpoint" train $opts --resume "$tmp/trunc"
printf 'garbage' > "$tmp/trunc/checkpoint.safetensors"
expect_error "corrupt checkpoint" train $opts --resume "$tmp/trunc"
[ -z "$(find "$tmp" -name '*.tmp')" ] && ok || bad "a failed run left a temp file: $(find "$tmp" -name '*.tmp')"
left=0
for d in b1 b2 b3 b4 b5; do [ ! -e "$tmp/$d" ] || left=1; done
[ "$left" -eq 0 ] && ok || bad "a run that failed before training left its folder behind"

echo "train: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
