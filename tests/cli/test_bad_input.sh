#!/usr/bin/env bash
# test_bad_input.sh - the bad-input catalogue: every way a user can get a command wrong,
# each asserting the exit code (2 bad input, 1 failure while running), exactly one line
# "normsim: error: ..." on stderr, nothing on stdout, and no file left behind (the listing
# of the scratch folder is the same before and after). Then the write errors of stdout
# (a full disk, a closed pipe): exit 1 and one line. A negative control checks that the
# checker itself fails on a case that prints two lines. Last line: "badinput: N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
NS=${NORMSIM:-$root/build/normsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 cases=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
listing() { (cd "$tmp" && find . -path ./o -prune -o -print | LC_ALL=C sort); }

# verdict CODE: the last run ended with exit CODE, one error line, empty stdout, no new file
verdict() {
    local want=$1
    [ "$rc" -eq "$want" ] && [ ! -s "$tmp/o/out" ] && [ "$(wc -l <"$tmp/o/err")" -eq 1 ] &&
        grep -q '^normsim: error: ' "$tmp/o/err" && [ "$(listing)" = "$before" ]
}
# c CODE DESCRIPTION ARGS...: one catalogue case, run in the scratch folder
c() {
    local want=$1 what=$2; shift 2
    cases=$((cases + 1))
    before=$(listing)
    (cd "$tmp/w" && "$NS" "$@" >"$tmp/o/out" 2>"$tmp/o/err" </dev/null); rc=$?
    if verdict "$want"; then ok; else
        bad "$what: want exit $want, got $rc; stderr: $(head -c 300 "$tmp/o/err"); stdout: $(head -c 100 "$tmp/o/out"); new files: $(diff <(echo "$before") <(listing) | grep '^>' | head -3)"
    fi
}

mkdir -p "$tmp/o" "$tmp/w" "$tmp/dir"
small="--arch gpt2 --d 16 --layers 1 --heads 2 --seq 16 --vocab 64"
tsmall="--arch gpt2 --d 16 --layers 1 --heads 2 --seq 16"
"$NS" train $tsmall --steps 4 --batch 2 --probe-tokens 64 --out "$tmp/run" >/dev/null 2>&1 || bad "setup: train"
"$NS" export $small --tokens 64 --out "$tmp/exp" >/dev/null 2>&1 || bad "setup: export"
CK=$tmp/run/checkpoint.safetensors ACTS=$tmp/exp/taps/final.out.npy
: >"$tmp/empty.npy"
: >"$tmp/empty.safetensors"
printf 'hello, this is text\n' >"$tmp/text.npy"
printf 'hello, this is text\n' >"$tmp/text.safetensors"
printf '{"model_type": "gpt2", "n_head": "x"}' >"$tmp/badcfg.json"
printf '\x93NUMPY\x01\x00\x20\x00{"descr": "<f8", "fortran_order": False, "shape": (4, 4), }\n' >"$tmp/short.npy"
head -c 300 "$CK" >"$tmp/trunc.safetensors"
printf 'x' >"$tmp/afile"
mkdir -p "$tmp/exists"

# ---- usage: commands, options, values ----
c 2 "unknown command" frobnicate
c 2 "stray argument" norms extra
c 2 "archs stray argument" archs --d 3
c 2 "unknown option" diagnose --frobnicate 3
c 2 "missing value" diagnose --d
c 2 "-- is not an option terminator" diagnose -- --d 16
c 2 "non-numeric d" diagnose --d abc
c 2 "trailing junk" diagnose --tokens 12x
c 2 "d zero" diagnose --d 0
c 2 "negative layers" diagnose --layers -2
c 2 "tokens zero" diagnose --tokens 0
c 2 "absurd d" diagnose --d 100000000
c 2 "absurd tokens" diagnose --tokens 99999999999999
c 2 "absurd model" diagnose --d 16384 --layers 512
c 2 "hex d" diagnose --d 0x10
c 2 "empty d" diagnose --d ""
c 2 "d=value form, bad" diagnose --d=abc
c 2 "nan threshold" diagnose --threshold nan
c 2 "inf threshold" diagnose --threshold inf
c 2 "negative threshold" diagnose --threshold -1
c 2 "bad format" diagnose --format xml
c 2 "bad gamma" diagnose --gamma sometimes
c 2 "bad gamma spread" diagnose --gamma random:-1
c 2 "bad data" diagnose --data shakespeare
c 2 "bad zipf exponent" diagnose --data zipf:x
c 2 "unknown arch" diagnose --arch gpt5
c 2 "unknown norm" diagnose --norm batchnorm
c 2 "empty norm" diagnose --norm ""
c 2 "empty item in a norm list" diagnose --norm layernorm,,rmsnorm
c 2 "trailing comma in a norm list" screen --norm rmsnorm,
c 2 "empty item in --track-precision" train --out x --track-precision f64,
c 2 "d not divisible by heads" diagnose --d 100 --heads 3
c 2 "kv-heads not dividing heads" diagnose --arch mistral --heads 4 --kv-heads 3
c 2 "kv-heads above heads" diagnose --arch llama --heads 4 --kv-heads 8
c 2 "window on a family without one" diagnose --arch gpt2 --window 8
c 2 "images on a token model" diagnose --arch llama --patch 2
c 2 "patch not dividing the image" diagnose --arch vit --patch 3
c 2 "seq of an image model" diagnose --arch vit --seq 30
c 2 "bad precision" diagnose --precision f8
c 2 "negative perturb" diagnose --perturb -1
c 2 "bad seed" diagnose --seed -1
c 2 "norm plugin missing" diagnose --norm-plugin "$tmp/none.so"
c 2 "norm plugin not a shared object" diagnose --norm-plugin "$tmp/afile"
c 2 "digits on a colour model" diagnose --arch vit --image 8 --data digits:/nonexistent.csv.gz
# ---- diagnose --acts ----
c 2 "acts: missing file" diagnose --acts "$tmp/none.npy"
c 2 "acts: empty file" diagnose --acts "$tmp/empty.npy"
c 2 "acts: text named .npy" diagnose --acts "$tmp/text.npy"
c 2 "acts: a folder" diagnose --acts "$tmp/dir"
c 2 "acts: truncated npy" diagnose --acts "$tmp/short.npy"
c 2 "acts: empty safetensors" diagnose --acts "$tmp/empty.safetensors"
c 2 "acts: text safetensors" diagnose --acts "$tmp/text.safetensors"
c 2 "acts: truncated safetensors" diagnose --acts "$tmp/trunc.safetensors"
c 2 "acts: with a model option" diagnose --acts "$ACTS" --layers 3
c 2 "acts: bad gamma file" diagnose --acts "$ACTS" --gamma "$tmp/none.npy"
c 2 "acts: write-bottom a folder" diagnose --acts "$ACTS" --write-bottom "$tmp/dir"
c 2 "acts: write-bottom under a missing folder" diagnose --acts "$ACTS" --write-bottom "$tmp/no/such/b.npy"
c 2 "acts: write-bottom under a file" diagnose --acts "$ACTS" --write-bottom "$tmp/afile/b.npy"
c 2 "acts: write-bottom empty" diagnose --acts "$ACTS" --write-bottom ""
c 2 "acts: bad format" diagnose --acts "$ACTS" --format yaml
c 2 "acts: config missing" diagnose --acts "$ACTS" --gamma "$CK" --config "$tmp/none.json"
# ---- diagnose --checkpoint ----
c 2 "checkpoint: missing" diagnose --checkpoint "$tmp/none.safetensors"
c 2 "checkpoint: empty" diagnose --checkpoint "$tmp/empty.safetensors"
c 2 "checkpoint: text" diagnose --checkpoint "$tmp/text.safetensors"
c 2 "checkpoint: truncated" diagnose --checkpoint "$tmp/trunc.safetensors"
c 2 "checkpoint: an npy" diagnose --checkpoint "$ACTS"
c 2 "checkpoint: empty folder" diagnose --checkpoint "$tmp/dir"
c 2 "checkpoint: dump-acts a folder" diagnose --checkpoint "$CK" --dump-acts "$tmp/dir"
c 2 "checkpoint: dump-acts under a missing folder" diagnose --checkpoint "$CK" --dump-acts "$tmp/no/d.npy"
c 2 "checkpoint: bad input file" diagnose --checkpoint "$CK" --input "$tmp/text.npy"
c 2 "checkpoint: bad arch" diagnose --checkpoint "$CK" --arch gpt7
c 2 "checkpoint: bad config" diagnose --checkpoint "$CK" --config "$tmp/none.json"
c 2 "checkpoint: and acts" diagnose --checkpoint "$CK" --acts "$ACTS"
# ---- export ----
c 2 "export without --out" export
c 2 "export: tokens not a multiple of seq" export --out "$tmp/w/x" --seq 16 --tokens 20
c 2 "export: --out exists" export $small --out "$tmp/exists"
c 2 "export: --out is a file" export $small --out "$tmp/afile"
c 2 "export: --out under a missing folder" export $small --out "$tmp/no/such"
c 2 "export: --out under a file" export $small --out "$tmp/afile/x"
c 2 "export: --out in /proc" export $small --out /proc/normsim-x
c 2 "export: bad data" export $small --out "$tmp/w/x" --data poetry
c 2 "export: tokens zero" export $small --out "$tmp/w/x" --tokens 0
c 2 "export: unknown option" export $small --out "$tmp/w/x" --frob
# ---- train ----
c 2 "train without --out" train $small
c 2 "train: --out over a run" train $small --out "$tmp/run"
c 2 "train: --out is a file" train $small --out "$tmp/afile"
c 2 "train: --out under a missing folder" train $small --out "$tmp/no/such"
c 2 "train: resume without a run" train $small --resume "$tmp/none"
c 2 "train: resume an empty folder" train $small --resume "$tmp/dir"
c 2 "train: resume and out differ" train $small --resume "$tmp/run" --out "$tmp/w/other"
c 2 "train: resume with another d" train --arch gpt2 --d 32 --layers 1 --heads 2 --seq 16 --steps 4 --batch 2 --probe-tokens 64 --resume "$tmp/run"
c 2 "train: resume at its end" train $tsmall --steps 4 --batch 2 --probe-tokens 64 --resume "$tmp/run"
c 2 "train: steps zero" train $small --steps 0 --out "$tmp/w/x"
c 2 "train: batch zero" train $small --batch 0 --out "$tmp/w/x"
c 2 "train: lr zero" train $small --lr 0 --out "$tmp/w/x"
c 2 "train: lr nan" train $small --lr nan --out "$tmp/w/x"
c 2 "train: min-lr-frac above 1" train $small --min-lr-frac 2 --out "$tmp/w/x"
c 2 "train: bad track precision" train $small --track-precision f64,f9 --out "$tmp/w/x"
c 2 "train: five track precisions" train $small --track-precision f64,f32,bf16,f16,f64 --out "$tmp/w/x"
c 2 "train: json only or table" train $small --format csv --out "$tmp/w/x"
c 2 "train: non-f64 precision" train $small --precision bf16 --out "$tmp/w/x"
c 2 "train: missing text" train $small --data text:"$tmp/none.txt" --out "$tmp/w/x"
c 2 "train: empty text" train $small --data text:"$tmp/empty.npy" --out "$tmp/w/x"
c 2 "train: bad token file" train $small --data tokens:"$tmp/text.npy" --out "$tmp/w/x"
c 2 "train: unknown data" train $small --data poetry --out "$tmp/w/x"
# ---- inspect ----
c 2 "inspect without a file" inspect
c 2 "inspect: missing file" inspect "$tmp/none.safetensors"
c 2 "inspect: empty file" inspect "$tmp/empty.safetensors"
c 2 "inspect: text file" inspect "$tmp/text.safetensors"
c 2 "inspect: truncated" inspect "$tmp/trunc.safetensors"
c 2 "inspect: an npy" inspect "$ACTS"
c 2 "inspect: empty folder" inspect "$tmp/dir"
c 2 "inspect: two files" inspect "$CK" "$CK"
c 2 "inspect: bad regex" inspect "$CK" --norm-pattern "("
c 2 "inspect: bad zero-tol" inspect "$CK" --zero-tol -1
c 2 "inspect: write-direction a folder" inspect "$CK" --write-direction "$tmp/dir"
c 2 "inspect: write-direction under a missing folder" inspect "$CK" --write-direction "$tmp/no/p.npy"
c 2 "inspect: bad format" inspect "$CK" --format xml
# ---- screen ----
c 2 "screen: unknown norm" screen --norm batchnorm
c 2 "screen: --out exists" screen --norm rmsnorm --archs none --d 16 --rows 64 --out "$tmp/exists"
c 2 "screen: --out is a file" screen --norm rmsnorm --archs none --d 16 --rows 64 --out "$tmp/afile"
c 2 "screen: --out under a missing folder" screen --norm rmsnorm --archs none --d 16 --rows 64 --out "$tmp/no/s"
c 2 "screen: rows not above d" screen --norm rmsnorm --archs none --d 16 --rows 8
c 2 "screen: unknown arch" screen --norm rmsnorm --archs gpt9
c 2 "screen: bad format" screen --norm rmsnorm --format xml
# ---- fisher ----
c 2 "fisher: stray argument" fisher extra
c 2 "fisher: missing checkpoint" fisher --checkpoint "$tmp/none.safetensors"
c 2 "fisher: text checkpoint" fisher --checkpoint "$tmp/text.safetensors"
c 2 "fisher: bad regex" fisher --checkpoint "$CK" --tensors "("
c 2 "fisher: save-dir missing" fisher --checkpoint "$CK" --save-dir "$tmp/no/such"
c 2 "fisher: directions zero" fisher --checkpoint "$CK" --directions 0
# ---- demo, norms ----
c 2 "demo: unknown option" demo --fast
c 2 "demo: png folder missing" demo --no-pause --png "$tmp/no/such"
c 2 "norms: unknown option" norms --all

# ---- the catalogue's size, and a negative control of the checker ----
[ "$cases" -ge 100 ] && ok || bad "the catalogue has $cases cases (< 100)"
before=$(listing)
(printf 'x\n' >"$tmp/o/out"; printf 'normsim: error: a\nnormsim: error: b\n' >"$tmp/o/err"); rc=2
verdict 2 && bad "negative control: two error lines and stdout passed the checker" || ok
echo "badinput: catalogue of $cases cases"

# ---- stdout that cannot be written: exit 1, one line ----
for cmd in "norms" "archs" "diagnose $small --tokens 64" "inspect $CK" "train $tsmall --steps 2 --batch 2 --probe-tokens 64 --out $tmp/full_out" "norms --help"; do
    "$NS" $cmd >/dev/full 2>"$tmp/o/err"; rc=$?
    [ "$rc" -eq 1 ] && [ "$(wc -l <"$tmp/o/err")" -eq 1 ] && grep -q '^normsim: error: cannot write the results to standard output' "$tmp/o/err" && ok ||
        bad "$cmd > /dev/full: exit $rc, $(cat "$tmp/o/err")"
done
# a closed pipe: the reader has gone before normsim writes
"$NS" diagnose $small --tokens 64 2>"$tmp/o/err" | true; rc=${PIPESTATUS[0]}
[ "$rc" -eq 1 ] && grep -q 'Broken pipe' "$tmp/o/err" && ok || bad "closed pipe: exit $rc, $(cat "$tmp/o/err")"

# ---- non-seekable --acts: '-' and a FIFO stream (one open), the same numbers as the file ----
"$NS" diagnose --acts "$ACTS" --format csv >"$tmp/o/file.csv" 2>/dev/null
"$NS" diagnose --acts - --format csv <"$ACTS" >"$tmp/o/stdin.csv" 2>/dev/null; rc=$?
[ "$rc" -eq 0 ] && [ -s "$tmp/o/file.csv" ] && cmp -s "$tmp/o/file.csv" "$tmp/o/stdin.csv" && ok || bad "--acts - (exit $rc) differs from the file"
mkfifo "$tmp/o/fifo"
(cat "$ACTS" >"$tmp/o/fifo" &)
timeout 60 "$NS" diagnose --acts "$tmp/o/fifo" --format csv >"$tmp/o/fifo.csv" 2>/dev/null; rc=$?
[ "$rc" -eq 0 ] && cmp -s "$tmp/o/file.csv" "$tmp/o/fifo.csv" && ok || bad "--acts FIFO: exit $rc (124: it hung)"
head -c 1000 "$ACTS" | "$NS" diagnose --acts - >"$tmp/o/out" 2>"$tmp/o/err"; rc=$?
[ "$rc" -eq 1 ] && [ ! -s "$tmp/o/out" ] && grep -q 'short read' "$tmp/o/err" && ok || bad "--acts - truncated: exit $rc $(cat "$tmp/o/err")"

# ---- --resume names every differing option with both values ----
"$NS" train $tsmall --steps 8 --batch 2 --probe-tokens 64 --resume "$tmp/run" --lr 3e-3 >/dev/null 2>"$tmp/o/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q -- 'options differ from the checkpoint.s: --lr 0.003 (checkpoint: 0.001)$' "$tmp/o/err" && ok ||
    bad "resume mismatch message: exit $rc $(cat "$tmp/o/err")"
"$NS" train --arch gpt2 --d 32 --layers 2 --heads 2 --seq 16 --steps 8 --batch 2 --probe-tokens 64 --resume "$tmp/run" >/dev/null 2>"$tmp/o/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q 'd 32 (checkpoint: 16), layers 2 (checkpoint: 1)' "$tmp/o/err" && [ "$(wc -c <"$tmp/o/err")" -lt 300 ] && ok ||
    bad "resume model mismatch message: exit $rc $(cat "$tmp/o/err")"
# a --data path holding a quote and a backslash: checkpoints still written, and resumable
cp "$root/README.md" "$tmp/o/q\"x\\y.txt"
"$NS" train $tsmall --steps 4 --batch 2 --probe-tokens 64 --ckpt-every 2 --data "text:$tmp/o/q\"x\\y.txt" --out "$tmp/o/qrun" >/dev/null 2>"$tmp/o/err"; rc=$?
[ "$rc" -eq 0 ] && ok || bad "--data with a quote: exit $rc $(cat "$tmp/o/err")"
"$NS" train $tsmall --steps 6 --batch 2 --probe-tokens 64 --ckpt-every 2 --data "text:$tmp/o/q\"x\\y.txt" --resume "$tmp/o/qrun" >/dev/null 2>"$tmp/o/err"; rc=$?
[ "$rc" -eq 0 ] && ok || bad "--data with a quote, resume: exit $rc $(cat "$tmp/o/err")"

# ---- warnings for legal but unintended configurations; a diverging loss stops (exit 1) ----
"$NS" train $tsmall --steps 4 --batch 2 --probe-tokens 64 --warmup 1000 --out "$tmp/o/wu" >/dev/null 2>"$tmp/o/err"; rc=$?
[ "$rc" -eq 0 ] && grep -q 'warning: --warmup 1000 >= --steps 4' "$tmp/o/err" && ok || bad "warmup warning: exit $rc $(cat "$tmp/o/err")"
"$NS" train $tsmall --steps 4 --batch 2 --probe-tokens 64 --out "$tmp/o/nowu" >/dev/null 2>"$tmp/o/err"
! grep -q 'warning' "$tmp/o/err" && ok || bad "a warning without cause: $(cat "$tmp/o/err")"
"$NS" diagnose $small --tokens 64 --perturb 100 >/dev/null 2>"$tmp/o/err"
grep -q 'warning: --perturb 100' "$tmp/o/err" && ok || bad "perturb warning: $(cat "$tmp/o/err")"
"$NS" train $tsmall --steps 30 --batch 2 --probe-tokens 64 --lr 5 --clip 0 --ckpt-every 1 --out "$tmp/o/dv" >"$tmp/o/out" 2>"$tmp/o/err"; rc=$?
[ "$rc" -eq 1 ] && [ ! -s "$tmp/o/out" ] && grep -q 'the loss diverged: .* lower --lr; the checkpoint of step [0-9]* is kept' "$tmp/o/err" &&
    [ -f "$tmp/o/dv/checkpoint.safetensors" ] && ok || bad "diverging loss: exit $rc $(cat "$tmp/o/err")"

echo "badinput: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
