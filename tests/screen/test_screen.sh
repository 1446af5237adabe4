#!/usr/bin/env bash
# test_screen.sh - `normsim screen` and norm plugins as a user meets them: the issue's
# known answers (PAPER "Facts": kernel dim 1 for the LayerNorm family and centeronly, G for
# groupnorm:G, 0 for the RMS-like schemes, e_i for a zero gain), --all, --out with figures,
# the example plugin (build/examples/centred_rms.so) in screen, diagnose and export, broken
# plugins (one error line, exit 2), lying plugins (flagged loudly), and bad input.
# Last line: "screen: N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
NS=${NORMSIM:-$root/build/normsim}
EX=${NORMSIM_EXAMPLES:-$(dirname "$NS")/examples}
PY=${PYTHON:-/usr/bin/python3}
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
# expect_usage_error DESCRIPTION ARGS...: exit 2, empty stdout, exactly one "normsim: error:" line
expect_usage_error() {
    local what=$1; shift
    run "$NS" "$@"
    if [ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
        grep -q '^normsim: error: ' "$tmp/err"; then ok; else
        bad "$what: rc=$rc stdout=$(wc -c <"$tmp/out")B stderr=$(cat "$tmp/err")"; fi
}
# py FILE...: run the Python snippet on stdin with the files as arguments; pass if it exits 0
py() { if "$PY" - "$@"; then ok; else bad "check on $*"; fi; }

small=(--d 64 --layers 2 --tokens 1024 --rows 2048)

# ---- the known answers: every built-in scheme side by side (csv: one row per scheme) ----
list=layernorm,layernorm-nobias,layernorm-noaffine,centeronly,groupnorm:1,groupnorm:4,groupnorm:8
list=$list,rmsnorm,rmsnorm-1p,scalenorm,dyt,l2norm,prmsnorm:0.25
run "$NS" screen --norm $list "${small[@]}" --format csv
[ "$rc" -eq 0 ] && ok || bad "screen list exit $rc: $(cat "$tmp/err")"
cp "$tmp/out" "$tmp/known.csv"
py "$tmp/known.csv" <<'EOF'
import csv, sys
rows = {r["scheme"]: r for r in csv.DictReader(open(sys.argv[1]))}
want = {"layernorm": 1, "layernorm-nobias": 1, "layernorm-noaffine": 1, "centeronly": 1,
        "groupnorm:1": 1, "groupnorm:4": 4, "groupnorm:8": 8, "rmsnorm": 0, "rmsnorm-1p": 0,
        "scalenorm": 0, "dyt": 0, "l2norm": 0, "prmsnorm:0.25": 0}
assert set(rows) == set(want), sorted(rows)
bad = []
for s, k in want.items():
    r = rows[s]
    for col in ("dead_init", "dead_random", "declared_k_init", "declared_k_random", "class_k"):
        if int(r[col]) != k: bad.append((s, col, r[col], k))
    for inp in ("gaussian", "heavy-tailed", "shifted-mean", "low-rank"):
        if int(r["dead_random." + inp]) != k: bad.append((s, inp, r["dead_random." + inp]))
    if r["class"] != ("LN-like" if k else "RMS-like"): bad.append((s, "class", r["class"]))
    if r["disagreements"] != "0": bad.append((s, "disagreements", r["disagreements"]))
    for a in ("gpt2", "pythia", "bert"):
        if r["verdict." + a] != ("PRESENT" if k else "ABSENT"): bad.append((s, a, r["verdict." + a]))
        if int(r["dead." + a]) != k: bad.append((s, "dead." + a, r["dead." + a]))
    if k:
        if float(r["cos_angle_min"]) < 1 - 1e-10: bad.append((s, "cos", r["cos_angle_min"]))
        if float(r["kernel_rel_max"]) > 1e-14: bad.append((s, "kernel_rel", r["kernel_rel_max"]))
    if float(r["next_rel_min"]) < 1e-8: bad.append((s, "next_rel", r["next_rel_min"]))
    # a zero gain: e_i (one direction) for the RMS-like; for LN-like e_i replaces one g^-1
    if s in ("layernorm-noaffine", "l2norm"):
        if r["dead_zero_gain"] != "": bad.append((s, "zero gain should be skipped"))
    elif s == "scalenorm":
        if int(r["dead_zero_gain"]) != 64: bad.append((s, "scalar gain 0", r["dead_zero_gain"]))
    elif int(r["dead_zero_gain"]) != max(k, 1) or int(r["declared_k_zero_gain"]) != max(k, 1):
        bad.append((s, "zero gain", r["dead_zero_gain"], r["declared_k_zero_gain"]))
assert not bad, bad
EOF

# the zero-gain kernel is e_i (w_i = -1 for rmsnorm-1p): ||V e_i|| = 1 in the JSON basis
for s in layernorm rmsnorm rmsnorm-1p centeronly dyt prmsnorm:0.5; do
    run "$NS" screen --norm $s --archs none --d 48 --rows 1024 --format json
    py "$tmp/out" "$s" <<'EOF'
import json, math, sys
r = json.load(open(sys.argv[1]))["schemes"][0]
i = r["zero_channel"]
z = [p for p in r["alone"] if p["params"] == "zero-gain"]
assert len(z) == 4 and i == 16, (len(z), i)
for p in z:
    assert p["status"] == "agree" and p["measured_k"] == 1, p["status"]
    proj = math.sqrt(sum(v[i] ** 2 for v in p["kernel_basis"]))
    assert proj > 1 - 1e-10, (sys.argv[2], proj)
EOF
done

# k > 1: principal angles, and the measured basis spans g^-1 restricted to each group
run "$NS" screen --norm groupnorm:4 --archs none --d 32 --rows 1024 --format json
py "$tmp/out" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["schemes"][0]
for p in r["alone"]:
    assert p["measured_k"] == p["declared_k"] == 4 and p["status"] == "agree", p
    assert p["cos_angle"] > 1 - 1e-10, p["cos_angle"]
    if p["params"] != "zero-gain":
        assert abs(p["cos_ginv"] - 1) < 1e-10, p["cos_ginv"]
assert r["class"] == "LN-like" and r["class_k"] == 4
EOF

# ---- the detailed table of one scheme: parts a to e ----
run "$NS" screen --norm groupnorm:4 "${small[@]}"
[ "$rc" -eq 0 ] && ok || bad "table exit $rc"
for pat in '^a\. the norm alone' '^b\. in models' '^c\. after a short training run: not run' \
           '^d\. residual stream' '^e\. classification: LN-like: exact kernel of dimension 4' \
           '^gpt2 .*pre-norm .*PRESENT' '^pythia .*parallel .*PRESENT' '^bert .*post-norm .*PRESENT'; do
    grep -q "$pat" "$tmp/out" && ok || bad "table lacks /$pat/"
done
grep -q '!!' "$tmp/out" && bad "groupnorm:4 table marks a disagreement" || ok

# ---- --all: one row per registered scheme (its time is printed, not asserted: the machines
# are shared, and speed is measured in bench/) ----
start=$(date +%s)
run "$NS" screen --all --format csv
echo "screen --all took $(( $(date +%s) - start )) s"
[ "$rc" -eq 0 ] && ok || bad "--all exit $rc: $(cat "$tmp/err")"
n_norms=$("$NS" norms | grep -c '^[a-z]')
[ "$(($(wc -l <"$tmp/out") - 1))" -eq "$n_norms" ] && ok || bad "--all: $(($(wc -l <"$tmp/out") - 1)) rows for $n_norms schemes"
run "$NS" screen --all --archs none
[ "$(grep -c ' LN k=\| RMS ' "$tmp/out")" -eq "$n_norms" ] && ok || bad "--all table: one row per scheme"

# ---- --out: data files, figures, nothing half-written; reproducible ----
run "$NS" screen --norm layernorm,rmsnorm --archs gpt2 "${small[@]}" --out "$tmp/o1"
[ "$rc" -eq 0 ] && ok || bad "--out exit $rc: $(cat "$tmp/err")"
for f in summary.csv measurements.csv screen.json screen.txt spectra_layernorm.csv spectra_rmsnorm.csv; do
    [ -s "$tmp/o1/$f" ] && ok || bad "--out lacks $f"
done
if command -v gnuplot >/dev/null; then
    for f in spectra_layernorm spectra_rmsnorm summary; do
        [ "$(head -c 4 "$tmp/o1/$f.png" | tail -c 3)" = PNG ] && ok || bad "$f.png is not a PNG"
        grep -q '<svg' "$tmp/o1/$f.svg" && ok || bad "$f.svg is not an SVG"
    done
fi
[ -z "$(ls "$tmp/o1" | grep '\.tmp')" ] && ok || bad "temporary files left in --out"
cmp -s "$tmp/out" "$tmp/o1/screen.txt" && ok || bad "screen.txt differs from the table on stdout"
py "$tmp/o1/measurements.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
alone = [r for r in rows if r["part"] == "alone"]
model = [r for r in rows if r["part"] == "model"]
assert len(alone) == 24 and len(model) == 2, (len(alone), len(model))
assert {r["status"] for r in alone} == {"agree"}
EOF
run "$NS" screen --norm layernorm,rmsnorm --archs gpt2 "${small[@]}" --out "$tmp/o2"
cmp -s "$tmp/o1/summary.csv" "$tmp/o2/summary.csv" && cmp -s "$tmp/o1/screen.json" "$tmp/o2/screen.json" \
    && ok || bad "the same command gives different results"
# without gnuplot: one notice, the data still written, exit 0
mkdir -p "$tmp/nopath"
PATH="$tmp/nopath" run "$NS" screen --norm rmsnorm --archs none --d 16 --rows 64 --out "$tmp/o3"
[ "$rc" -eq 0 ] && [ -s "$tmp/o3/summary.csv" ] && [ ! -e "$tmp/o3/spectra_rmsnorm.png" ] &&
    grep -q '^normsim: notice: gnuplot not found' "$tmp/err" && ok || bad "no gnuplot: rc $rc $(cat "$tmp/err")"

# ---- the example plugin ----
plug=$EX/centred_rms.so
if [ -f "$plug" ]; then ok; else bad "example plugin $plug not built (make)"; fi
run "$NS" screen --norm-plugin "$plug" "${small[@]}" --format json
py "$tmp/out" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["schemes"][0]
assert r["norm"] == "centred-rms" and r["class"] == "LN-like" and r["class_k"] == 1, r["class"]
assert r["disagreements"] == 0 and [m["verdict"] for m in r["models"]] == ["PRESENT"] * 3
EOF
run "$NS" diagnose --norm-plugin "$plug" --d 32 --layers 1 --tokens 512 --gamma random --format json
py "$tmp/out" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]
assert r["norm"] == "centred-rms" and r["verdict"] == "PRESENT" and r["cos"] > 1 - 1e-10, r
EOF
run "$NS" diagnose --norm-plugin "$plug" --norm centred-rms,rmsnorm --d 32 --layers 1 --tokens 512 --format csv
[ "$rc" -eq 0 ] && grep -q '^gpt2,centred-rms,.*PRESENT' "$tmp/out" && grep -q '^gpt2,rmsnorm,.*ABSENT' "$tmp/out" \
    && ok || bad "diagnose with a plugin in a --norm list: $(cat "$tmp/err")"
run "$NS" export --norm-plugin "$plug" --d 16 --layers 1 --seq 8 --vocab 32 --tokens 8 --out "$tmp/exp"
[ "$rc" -eq 0 ] && ls "$tmp/exp/weights" | grep -q 'norm_final.weight' && ok || bad "export with a plugin: rc $rc $(cat "$tmp/err")"
run "$NS" screen --all --archs none --norm-plugin "$plug" --format csv
grep -q '^centred-rms,centred-rms,' "$tmp/out" && ok || bad "--all lists the plugin's scheme"

# ---- broken plugins: one error line, exit 2 ----
for v in NO_SYMBOL BAD_ABI NO_BACKWARD NULL_TABLE HIDES_KERNEL INVENTS_KERNEL; do
    "$CC" -std=c11 -Wall -Wextra -Werror -shared -fPIC -I "$root/norms" -D$v \
        "$root/tests/screen/bad_plugins.c" -o "$tmp/$v.so" -lm || bad "cannot build test plugin $v"
done
expect_usage_error "plugin without the symbol" screen --norm-plugin "$tmp/NO_SYMBOL.so"
grep -q 'does not export normsim_norm_plugin' "$tmp/err" && ok || bad "no-symbol message: $(cat "$tmp/err")"
expect_usage_error "plugin with a wrong ABI" diagnose --norm-plugin "$tmp/BAD_ABI.so"
grep -q 'ABI version 42, this normsim needs 1' "$tmp/err" && ok || bad "ABI message: $(cat "$tmp/err")"
expect_usage_error "plugin without backward" screen --norm-plugin "$tmp/NO_BACKWARD.so"
grep -q 'lacks a required function' "$tmp/err" && ok || bad "missing-function message: $(cat "$tmp/err")"
expect_usage_error "plugin returning NULL" export --norm-plugin "$tmp/NULL_TABLE.so" --out "$tmp/never"
[ ! -e "$tmp/never" ] && ok || bad "a failed export left $tmp/never"
expect_usage_error "missing plugin file" screen --norm-plugin "$tmp/nope.so"
expect_usage_error "not a shared object" diagnose --norm-plugin "$root/Makefile"
expect_usage_error "a plugin loaded twice" screen --norm-plugin "$plug" --norm-plugin "$plug"

# ---- lying plugins: flagged loudly, still exit 0 ----
run "$NS" screen --norm-plugin "$tmp/HIDES_KERNEL.so" --archs gpt2 --d 32 --rows 512 --tokens 512
[ "$rc" -eq 0 ] && ok || bad "undeclared kernel: exit $rc"
grep -q '^!! 13 DISAGREEMENTS' "$tmp/out" && grep -q '!! UNDECLARED-KERNEL' "$tmp/out" && ok || bad "undeclared kernel not marked"
[ "$(grep -c '^normsim: warning: ln-hides-kernel: UNDECLARED-KERNEL' "$tmp/err")" -eq 12 ] && ok || bad "undeclared kernel warnings"
grep -q 'LN-like: exact kernel of dimension 1, measured basis g^-1/||g^-1||; the scheme declares' "$tmp/out" \
    && ok || bad "undeclared kernel classification"
run "$NS" screen --norm-plugin "$tmp/INVENTS_KERNEL.so" --archs none --d 32 --rows 512 --format csv
py "$tmp/out" <<'EOF'
import csv, sys
r = next(csv.DictReader(open(sys.argv[1])))
assert r["class"] == "RMS-like" and int(r["disagreements"]) == 12, (r["class"], r["disagreements"])
EOF
grep -q 'DECLARED-KERNEL-MISSING with random params' "$tmp/err" && grep -q 'DECLARED-BASIS-INVALID with zero-gain' "$tmp/err" \
    && ok || bad "invented kernel warnings: $(head -3 "$tmp/err")"

# ---- bad input ----
expect_usage_error "no scheme" screen
expect_usage_error "groupnorm without G" screen --norm groupnorm
expect_usage_error "G not dividing d" screen --norm groupnorm:3
expect_usage_error "G not whole" screen --norm groupnorm:2.5
expect_usage_error "P out of range" screen --norm prmsnorm:1.5
expect_usage_error "P zero" screen --norm prmsnorm:0
expect_usage_error "argument to a plain scheme" screen --norm dyt:2
expect_usage_error "unknown scheme" screen --norm nosuch
expect_usage_error "--all with --norm" screen --all --norm layernorm
expect_usage_error "--arch instead of --archs" screen --norm layernorm --arch gpt2
expect_usage_error "unknown archetype" screen --norm layernorm --archs gpt2,nosuch
expect_usage_error "rows <= d" screen --norm layernorm --rows 128
expect_usage_error "tokens <= d" screen --norm layernorm --tokens 100
expect_usage_error "--out under a missing folder" screen --norm layernorm --out "$tmp/no/such"
expect_usage_error "--out is a file" screen --norm layernorm --out "$root/Makefile"
expect_usage_error "bad format" screen --norm layernorm --format xml
expect_usage_error "unknown option" screen --norm layernorm --bogus
expect_usage_error "groupnorm in diagnose without G" diagnose --norm groupnorm
run "$NS" screen --help
[ "$rc" -eq 0 ] && grep -q '^usage: normsim screen' "$tmp/out" && ok || bad "screen --help"

# part c (opt-in): a short training run per archetype, tracked at bf16
run "$NS" screen --norm layernorm --d 32 --layers 2 --heads 2 --archs gpt2 --train 20 --format json
"$PY" - "$tmp/out" <<'PYEOF' && ok || bad "screen --train: part c numbers"
import json, math, sys
s = json.load(open(sys.argv[1]))["schemes"][0]
t = s["trained"]
assert isinstance(t, list) and len(t) == 1 and t[0]["arch"] == "gpt2" and t[0]["steps"] == 20, t
assert t[0]["val_loss"] < t[0]["val_loss_init"], t            # it trained
assert t[0]["dead_init"] >= 1 and t[0]["deepening"] is not None and t[0]["deepening"] > 0, t
PYEOF
run "$NS" screen --norm layernorm --archs gpt2 --format json
"$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["schemes"][0]["trained"] is None' "$tmp/out" && ok || bad "part c is opt-in"
expect_usage_error "bad --train" screen --norm layernorm --train 0

echo "screen: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
