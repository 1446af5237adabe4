#!/usr/bin/env bash
# test_interrupt.sh - SIGINT/SIGTERM at random moments (RANDOM seeded, so a failure can be
# replayed) during train, export, diagnose --dump-acts and screen --out: exit 130 (or 0 if
# the run had already finished), nothing half-written (no *.tmp file, no DIR.tmp-* folder,
# an output either absent or equal to an uninterrupted run's), and every interrupted train
# resumes to the uninterrupted run's checkpoint and track.csv, bit for bit. Negative
# control: kill -9 (which no handler sees) leaves a DIR.tmp-* folder, and the check finds it.
# Last line: "interrupt: N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
NS=${NORMSIM:-$root/build/normsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
RANDOM=${INTERRUPT_SEED:-17}
echo "interrupt: RANDOM seed ${INTERRUPT_SEED:-17}"

# leftovers DIR: temporaries under DIR (none may be left after a handled signal)
leftovers() { find "$1" \( -name '*.tmp' -o -name '*.tmp-*' \) 2>/dev/null; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# timed CMD...: run CMD once, uninterrupted; span = its wall time in ms
timed() { local t0; t0=$(now_ms); "$@" >/dev/null 2>&1 || bad "uninterrupted $*"; span=$(($(now_ms) - t0 + 1)); }
# interrupt SIG CMD...: start CMD in the background, send SIG after a random 30 ms ..
# span ms (30 ms: past the handler's installation; a background job starts with SIGINT
# ignored, so an earlier SIGINT would be lost), wait; sets rc, ms, and n_int (+1 on 130)
n_int=0
interrupt() {
    local sig=$1; shift
    "$@" >"$tmp/out" 2>"$tmp/err" &
    local pid=$!
    ms=$((30 + RANDOM % span))
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    kill -"$sig" "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    [ "$rc" -eq 130 ] && n_int=$((n_int + 1))
}
# some_interrupted WHAT: at least one trial was stopped by the signal (else the test is vacuous)
some_interrupted() { [ "$n_int" -gt 0 ] && ok || bad "$1: no trial was interrupted"; n_int=0; }

# ---- train: interrupted at random moments, resumed: bit-identical to one run ----
small="--arch gpt2 --d 32 --layers 2 --heads 2 --seq 32 --batch 4 --probe-tokens 256 --steps 40"
timed "$NS" train $small --out "$tmp/full"
for i in 1 2 3 4; do
    sig=INT; [ "$i" -eq 3 ] && sig=TERM
    interrupt $sig "$NS" train $small --out "$tmp/t$i"
    if [ "$rc" -eq 130 ] && grep -q "^normsim: error: interrupted after the last step (40): .*finished run" "$tmp/err"; then
        ok; ok; ok # the signal came after the last update: the checkpoint is the finished run's
    elif [ "$rc" -eq 130 ]; then
        grep -q "^normsim: error: interrupted after step [0-9]* of 40: .*--resume" "$tmp/err" && ok ||
            bad "train SIG$sig at ${ms} ms: message $(cat "$tmp/err")"
        [ -z "$(leftovers "$tmp/t$i")" ] && ok || bad "train SIG$sig left $(leftovers "$tmp/t$i")"
        "$NS" train $small --resume "$tmp/t$i" >/dev/null 2>"$tmp/err2"
        r2=$?
        [ "$r2" -eq 0 ] && ok || bad "resume after SIG$sig at ${ms} ms: exit $r2 $(cat "$tmp/err2")"
    elif [ "$rc" -eq 0 ]; then
        ok; ok; ok # finished before the signal
    else
        bad "train SIG$sig at ${ms} ms: exit $rc $(cat "$tmp/err")"
        continue
    fi
    cmp -s "$tmp/full/checkpoint.safetensors" "$tmp/t$i/checkpoint.safetensors" && ok ||
        bad "train SIG$sig at ${ms} ms: resumed checkpoint differs from the uninterrupted run's"
    cmp -s "$tmp/full/track.csv" "$tmp/t$i/track.csv" && ok ||
        bad "train SIG$sig at ${ms} ms: resumed track.csv differs"
done
some_interrupted train

# ---- export: the folder appears whole or not at all ----
ex="export --d 128 --layers 2 --seq 128 --tokens 1024 --grads"
timed "$NS" $ex --out "$tmp/e_full"
for i in 1 2 3 4; do
    interrupt INT "$NS" $ex --out "$tmp/e$i"
    if [ "$rc" -eq 130 ]; then
        [ ! -e "$tmp/e$i" ] && ok || bad "export SIGINT at ${ms} ms: $tmp/e$i exists after exit 130"
        grep -qx "normsim: interrupted" "$tmp/err" && ok || bad "export SIGINT message: $(cat "$tmp/err")"
    elif [ "$rc" -eq 0 ]; then
        diff -r "$tmp/e_full" "$tmp/e$i" >/dev/null && ok || bad "export finished but differs"
        ok
    else
        bad "export SIGINT at ${ms} ms: exit $rc"
    fi
    [ -z "$(leftovers "$tmp")" ] && ok || bad "export SIGINT at ${ms} ms left $(leftovers "$tmp")"
    rm -rf "$tmp/e$i"
done
some_interrupted export
# the rerun after an interrupt is not refused
"$NS" $ex --out "$tmp/e1" >/dev/null 2>&1 && diff -r "$tmp/e_full" "$tmp/e1" >/dev/null && ok ||
    bad "export rerun after an interrupt"

# negative control: kill -9 is not handled, so its temporary folder stays - and is found
"$NS" $ex --out "$tmp/e_killed" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 500); do [ -n "$(leftovers "$tmp")" ] && break; sleep 0.01; done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ -n "$(leftovers "$tmp")" ] && [ ! -e "$tmp/e_killed" ] && ok || bad "negative control: kill -9 left no temporary (check blind?)"
rm -rf "$tmp"/e_killed*

# ---- diagnose --dump-acts: no .npy.tmp; the dump whole or absent ----
ck="$tmp/full/checkpoint.safetensors"
timed "$NS" diagnose --checkpoint "$ck" --tokens 60000 --dump-acts "$tmp/d_full.npy"
for i in 1 2 3; do
    interrupt INT "$NS" diagnose --checkpoint "$ck" --tokens 60000 --dump-acts "$tmp/d$i.npy"
    if [ "$rc" -eq 130 ]; then
        [ ! -e "$tmp/d$i.npy" ] && ok || bad "dump SIGINT at ${ms} ms: the .npy exists"
        [ ! -s "$tmp/out" ] && ok || bad "dump SIGINT: results printed"
    elif [ "$rc" -eq 0 ]; then
        cmp -s "$tmp/d_full.npy" "$tmp/d$i.npy" && ok || bad "dump finished but differs"
        ok
    else
        bad "dump SIGINT at ${ms} ms: exit $rc"
    fi
    [ -z "$(leftovers "$tmp")" ] && ok || bad "dump SIGINT at ${ms} ms left $(leftovers "$tmp")"
done
some_interrupted "diagnose --dump-acts"

# ---- screen --out: whole or absent ----
sc="screen --norm layernorm,rmsnorm --archs gpt2 --d 32 --layers 1 --heads 2 --seq 32 --vocab 64 --rows 2000 --tokens 2000"
timed "$NS" $sc --out "$tmp/s_full"
for i in 1 2 3; do
    interrupt TERM "$NS" $sc --out "$tmp/s$i"
    if [ "$rc" -eq 130 ]; then
        [ ! -e "$tmp/s$i" ] && ok || bad "screen SIGTERM at ${ms} ms: $tmp/s$i exists"
    elif [ "$rc" -eq 0 ]; then
        [ -s "$tmp/s$i/summary.csv" ] && [ -s "$tmp/s$i/spectra_rmsnorm.csv" ] && ok || bad "screen finished but incomplete"
    else
        bad "screen SIGTERM at ${ms} ms: exit $rc"
    fi
    [ -z "$(leftovers "$tmp")" ] && ok || bad "screen SIGTERM at ${ms} ms left $(leftovers "$tmp")"
done
some_interrupted screen

echo "interrupt: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
