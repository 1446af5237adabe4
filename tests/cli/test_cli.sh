#!/usr/bin/env bash
# test_cli.sh - normsim's command line as a user meets it: the issue's must-show runs,
# machine-readable output, --help, and one clear error line (exit 2, empty stdout) for
# every kind of bad input. Last line: "cli: N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
NS=${NORMSIM:-$root/build/normsim}
PY=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# run CMD...: stdout -> $tmp/out, stderr -> $tmp/err, status -> $rc
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }

# expect_usage_error DESCRIPTION ARGS...: exit 2, empty stdout, one "normsim: error:" line
expect_usage_error() {
    local what=$1; shift
    run "$NS" "$@"
    local lines; lines=$(wc -l <"$tmp/err")
    if [ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$lines" -eq 1 ] && grep -q '^normsim: error: ' "$tmp/err"; then
        ok
    else
        bad "$what: rc=$rc stdout=$(wc -c <"$tmp/out")B stderr=$(cat "$tmp/err")"
    fi
}

# field FILE KEY: value of KEY in the first run of a JSON report
field() { "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1]))["runs"][int(sys.argv[3]) if len(sys.argv)>3 else 0][sys.argv[2]]; print(v)' "$@"; }
# check PYTHON-EXPR DESCRIPTION: the expression (with variables bound by the caller) is true
is_true() { "$PY" -c "import sys; sys.exit(0 if ($1) else 1)"; }

# ---- the issue's must-show runs ----
run "$NS" diagnose --arch gpt2 --norm layernorm --d 256 --layers 4 --tokens 4096 --format json
cp "$tmp/out" "$tmp/ln.json"
if [ "$rc" -eq 0 ]; then ok; else bad "diagnose layernorm d256 exit $rc: $(cat "$tmp/err")"; fi
v=$(field "$tmp/ln.json" verdict 2>/dev/null); c=$(field "$tmp/ln.json" cos 2>/dev/null)
[ "$v" = PRESENT ] && ok || bad "layernorm verdict '$v', want PRESENT"
is_true "$c >= 1 - 1e-10" && ok || bad "layernorm |cos| $c < 1 - 1e-10"

run "$NS" diagnose --arch gpt2 --norm layernorm --d 256 --layers 4 --tokens 4096 --gamma random --format json
cp "$tmp/out" "$tmp/lnr.json"
v=$(field "$tmp/lnr.json" verdict); c=$(field "$tmp/lnr.json" cos); c1=$(field "$tmp/lnr.json" cos_ones)
[ "$v" = PRESENT ] && ok || bad "random gamma verdict '$v'"
is_true "$c >= 1 - 1e-10" && ok || bad "random gamma |cos| $c"
is_true "$c1 < 0.9" && ok || bad "random gamma: |cos(p, 1/sqrt(d))| $c1 should show p is not the ones direction"
run "$NS" diagnose --norm layernorm --d 256 --tokens 4096 --gamma random
grep -q '^|cos(p, 1/sqrt(d))| *0\.[0-8]' "$tmp/out" && ok || bad "table prints |cos(p, 1/sqrt(d))| for random gamma"
grep -q '^|cos(p, v)| *[01]\.[0-9]\{12\}' "$tmp/out" && ok || bad "table prints |cos(p, v)| to 12 decimals"

run "$NS" diagnose --arch gpt2 --norm rmsnorm --d 256 --layers 4 --tokens 4096 --format json
cp "$tmp/out" "$tmp/rms.json"
v=$(field "$tmp/rms.json" verdict); lmin=$(field "$tmp/rms.json" lambda_min); lmax=$(field "$tmp/rms.json" lambda_max)
[ "$v" = ABSENT ] && ok || bad "rmsnorm verdict '$v', want ABSENT"
is_true "$lmin / $lmax > 1e-6" && ok || bad "rmsnorm smallest relative eigenvalue $lmin/$lmax not far above 1e-10"

for norm in layernorm rmsnorm; do
    run "$NS" diagnose --norm $norm --d 64 --tokens 64 --format json
    v=$(field "$tmp/out" verdict 2>/dev/null)
    [ "$rc" -eq 0 ] && [ "$v" = UNDETERMINED ] && ok || bad "$norm tokens <= d: verdict '$v' rc $rc"
    grep -q 'warning: .*not unique' "$tmp/err" && ok || bad "$norm tokens <= d: no warning on stderr"
done

# ---- output formats ----
run "$NS" diagnose --norm layernorm,rmsnorm --d 32 --layers 2 --tokens 300 --format csv
[ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 3 ] && ok || bad "csv: header + one row per norm"
"$PY" - "$tmp/out" <<'PYEOF' && ok || bad "csv columns"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [r["norm"] for r in rows] == ["layernorm", "rmsnorm"], rows
assert rows[0]["verdict"] == "PRESENT" and rows[1]["verdict"] == "ABSENT"
assert "sigma_min.2" in rows[0] and "ratio.2" in rows[0] and float(rows[0]["cos"]) > 0.999
PYEOF
run "$NS" diagnose --norm layernorm --d 32 --layers 3 --tokens 300 --format json
"$PY" - "$tmp/out" <<'PYEOF' && ok || bad "json structure"
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]
assert len(r["sigma_min"]) == 4 and len(r["sigma_ratio"]) == 3 and len(r["eigenvalues"]) == 32
assert r["eigenvalues"] == sorted(r["eigenvalues"])
PYEOF
# reproducible: same command, same bytes
run "$NS" diagnose --norm layernorm --d 32 --tokens 300 --gamma random --format csv; cp "$tmp/out" "$tmp/a"
run "$NS" diagnose --norm layernorm --d 32 --tokens 300 --gamma random --format csv
cmp -s "$tmp/a" "$tmp/out" && ok || bad "same seed should give identical output"
run "$NS" diagnose --norm layernorm --d 32 --tokens 300 --gamma random --seed 2 --format csv
cmp -s "$tmp/a" "$tmp/out" && bad "another seed should change the output" || ok
run "$NS" diagnose --norm layernorm --d 32 --tokens 300 --data zipf:1.2
[ "$rc" -eq 0 ] && grep -q 'PRESENT' "$tmp/out" && ok || bad "zipf data"

# ---- every family runs and gets its class's verdict at init ----
for a in gpt2 pythia opt bloom falcon phi2 command-r bert vit olmo1 dinov2; do
    run "$NS" diagnose --arch $a --d 64 --layers 2 --tokens 600 --format csv
    grep -q ",PRESENT" "$tmp/out" && ok || bad "$a at init: not PRESENT: $(tail -1 "$tmp/out" | cut -c1-200)"
done
for a in llama mistral qwen2 gemma t5 olmo2 gemma4; do
    run "$NS" diagnose --arch $a --d 64 --layers 2 --tokens 600 --format csv
    grep -q ",ABSENT" "$tmp/out" && ok || bad "$a at init: not ABSENT: $(tail -1 "$tmp/out" | cut -c1-200)"
done
run "$NS" archs
[ "$rc" -eq 0 ] && [ "$(grep -c '^[a-z]' "$tmp/out")" -ge 19 ] && ok || bad "archs lists every family"

# ---- help and listings ----
for cmd in diagnose norms archs export; do
    run "$NS" $cmd --help
    [ "$rc" -eq 0 ] && grep -q "usage: normsim $cmd" "$tmp/out" && ok || bad "$cmd --help"
done
run "$NS" --help; [ "$rc" -eq 0 ] && grep -q diagnose "$tmp/out" && ok || bad "normsim --help"
run "$NS" norms
[ "$rc" -eq 0 ] && grep -q '^layernorm' "$tmp/out" && grep -q '^rmsnorm' "$tmp/out" && grep -q 'kernel: *g^-1' "$tmp/out" && ok || bad "norms listing"

# ---- bad input: one line, exit 2, nothing on stdout ----
expect_usage_error "unknown arch" diagnose --arch gpt5
grep -q 'valid: .*gpt2' "$tmp/err" && ok || bad "unknown arch lists the valid names"
expect_usage_error "unknown norm" diagnose --norm batchnorm
grep -q 'valid: .*layernorm.*rmsnorm' "$tmp/err" && ok || bad "unknown norm lists the valid names"
expect_usage_error "d not divisible by heads" diagnose --d 100 --heads 3
expect_usage_error "d zero" diagnose --d 0
expect_usage_error "negative layers" diagnose --layers -2
expect_usage_error "tokens zero" diagnose --tokens 0
expect_usage_error "absurd d" diagnose --d 100000000
expect_usage_error "absurd tokens" diagnose --tokens 99999999999999
expect_usage_error "absurd model" diagnose --d 16384 --layers 512
expect_usage_error "non-numeric d" diagnose --d abc
expect_usage_error "trailing junk" diagnose --tokens 12x
expect_usage_error "non-numeric threshold" diagnose --threshold nan
expect_usage_error "unknown option" diagnose --frobnicate 3
expect_usage_error "missing value" diagnose --d
expect_usage_error "bad format" diagnose --format xml
expect_usage_error "bad gamma" diagnose --gamma sometimes
expect_usage_error "bad gamma spread" diagnose --gamma random:-1
expect_usage_error "bad data" diagnose --data shakespeare
expect_usage_error "bad zipf exponent" diagnose --data zipf:x
expect_usage_error "kv-heads not dividing heads" diagnose --arch mistral --heads 4 --kv-heads 3
expect_usage_error "kv-heads above heads" diagnose --arch llama --heads 4 --kv-heads 8
expect_usage_error "heads not dividing d (qwen2)" diagnose --arch qwen2 --d 100 --heads 8
expect_usage_error "window on a family without one" diagnose --arch gpt2 --window 8
expect_usage_error "images on a token model" diagnose --arch llama --patch 2
expect_usage_error "patch not dividing the image" diagnose --arch vit --patch 3
expect_usage_error "seq of an image model" diagnose --arch vit --seq 30
expect_usage_error "bad precision" diagnose --precision f8
expect_usage_error "digits on a colour model" diagnose --arch vit --image 8 --data digits:/nonexistent.csv.gz
expect_usage_error "unknown command" frobnicate
expect_usage_error "stray argument" norms extra
expect_usage_error "export without --out" export
expect_usage_error "export tokens not a multiple of seq" export --out "$tmp/x" --seq 16 --tokens 20
[ ! -e "$tmp/x" ] && ok || bad "a failed export leaves no folder behind"

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
