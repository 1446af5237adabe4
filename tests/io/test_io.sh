#!/usr/bin/env bash
# test_io.sh - real checkpoints and activation dumps (issue 6), end to end against PyTorch:
# small GPT-2 and LLaMA models written in Hugging Face naming by make_models.py, then
#   inspect                 classifies every norm, p of ln_f equals the one computed in Python
#   diagnose --acts         |cos| >= 1 - 1e-9 on PyTorch's float32 post-ln_f activations
#   diagnose --checkpoint   reproduces PyTorch's float64 activations to 1e-10 relative
# plus shards, stored dtypes, the ambiguous and Gemma cases, and every kind of bad input
# (make_bad.py): exit 2, one "normsim: error:" line, nothing on stdout, no file left.
# Last line: "io: N passed, N failed".
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
# check DESCRIPTION PYTHON-CODE [ARGS...]: the code (argv = ARGS) must exit 0; its stdout is shown
check() {
    local what=$1 code=$2; shift 2
    if "$PY" -c "$code" "$@" >"$tmp/py" 2>&1; then ok; sed "s/^/  /" "$tmp/py"; else bad "$what: $(tail -3 "$tmp/py")"; fi
}
expect_error() {
    local what=$1 want=$2; shift 2
    run "$NS" "$@"
    if [ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
        grep -q '^normsim: error: ' "$tmp/err" && grep -q -- "$want" "$tmp/err"; then
        ok
    else
        bad "$what: rc=$rc stdout=$(wc -c <"$tmp/out")B stderr=$(cat "$tmp/err") (wanted '$want')"
    fi
}

M=$tmp/m
"$PY" "$root/tests/io/make_models.py" "$M" && "$PY" "$root/tests/io/make_bad.py" "$M" && ok || {
    bad "make_models.py / make_bad.py failed"; echo "io: $pass passed, $fail failed"; exit 1; }

# ---- must show 1: inspect classifies ln_f as LayerNorm; its p is Python's ----
run "$NS" inspect "$M/gpt2/model.safetensors" --write-direction "$tmp/p.npy" --format json
cp "$tmp/out" "$tmp/inspect.json"
[ "$rc" -eq 0 ] && ok || bad "inspect gpt2: rc $rc $(cat "$tmp/err")"
check "inspect: ln_f is LayerNorm, p equals Python's" '
import json, sys, numpy as np
r = json.load(open(sys.argv[1])); f = r["final"]
assert f["name"] == "transformer.ln_f" and f["kind"] == "layernorm", f["name"]
assert r["classification"] == "LayerNorm-like" and r["family"] == "gpt2"
assert len(r["norms"]) == 7 and all(n["kind"] == "layernorm" for n in r["norms"])
p, q = np.load(sys.argv[2]), np.load(sys.argv[3])
err = np.abs(p - q).max()
assert p.shape == (64,) and err <= 1e-15, err
assert np.abs(np.array(f["direction"]) - q).max() <= 1e-15
print("inspect: ln_f LayerNorm, max |p_normsim - p_python| = %.3g, |cos(p, 1/sqrt(d))| = %.6f" % (err, f["cos_ones"]))
' "$tmp/inspect.json" "$tmp/p.npy" "$M/gpt2/p.npy"

# ---- must show 2: diagnose --acts on PyTorch's float32 activations ----
run "$NS" diagnose --acts "$M/gpt2/acts_f32.npy" --gamma "$M/gpt2/model.safetensors:transformer.ln_f.weight" --format json
cp "$tmp/out" "$tmp/acts32.json"
check "diagnose --acts f32: |cos| >= 1 - 1e-9" '
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]
assert r["verdict"] == "PRESENT" and r["precision"] == "f32" and r["tokens"] == 512, r["verdict"]
assert r["cos"] >= 1 - 1e-9, r["cos"]
print("diagnose --acts (f32): |cos| = %.17g (1 - %.2g), rayleigh p.Cp/lambda_max = %.3g" % (r["cos"], 1 - r["cos"], r["rayleigh_rel"]))
' "$tmp/acts32.json"

# ---- must show 3: diagnose --checkpoint reproduces PyTorch in float64 ----
run "$NS" diagnose --checkpoint "$M/gpt2/model.safetensors" --arch gpt2 --input "$M/gpt2/tokens.npy" \
    --dump-acts "$tmp/c.npy" --format json
cp "$tmp/out" "$tmp/ckpt.json"
[ "$rc" -eq 0 ] && ok || bad "diagnose --checkpoint gpt2: rc $rc $(cat "$tmp/err")"
grep -q "warning: .*1 tensor.* not used" "$tmp/err" && bad "the tied lm_head or the attn.bias masks were reported unused" || ok
check "diagnose --checkpoint: PyTorch activations to 1e-10" '
import json, sys, numpy as np
c, t = np.load(sys.argv[1]), np.load(sys.argv[2])
rel = np.abs(c - t).max() / np.abs(t).max()
assert c.shape == t.shape == (512, 64) and rel <= 1e-10, rel
r = json.load(open(sys.argv[3]))["runs"][0]
assert r["verdict"] == "PRESENT" and r["cos"] >= 1 - 1e-10 and r["gamma"] == "checkpoint"
print("diagnose --checkpoint (f64): max rel error vs PyTorch = %.3g; |cos| = %.17g" % (rel, r["cos"]))
' "$tmp/c.npy" "$M/gpt2/acts_f64.npy" "$tmp/ckpt.json"

# the same diagnostic through diag_run (no --dump-acts) and through the dumping stream
run "$NS" diagnose --checkpoint "$M/gpt2" --tokens 600 --format csv; cp "$tmp/out" "$tmp/a.csv"
run "$NS" diagnose --checkpoint "$M/gpt2" --tokens 600 --format csv --dump-acts "$tmp/d600.npy"
cmp -s "$tmp/a.csv" "$tmp/out" && ok || bad "diag_run and the dumping stream differ"
check "dump of 600 rows" 'import numpy as np, sys; assert np.load(sys.argv[1]).shape == (600, 64)' "$tmp/d600.npy"

# ---- shards, folders, stored dtypes, no "transformer." prefix ----
for dt in sharded f32 f16 bf16; do
    run "$NS" diagnose --checkpoint "$M/gpt2_$dt" --input "$M/gpt2/tokens.npy" --dump-acts "$tmp/c_$dt.npy" --format csv
    [ "$rc" -eq 0 ] && ok || bad "gpt2_$dt: rc $rc $(cat "$tmp/err")"
    ref=$M/gpt2_$dt/acts_f64.npy; [ $dt = sharded ] && ref=$M/gpt2/acts_f64.npy
    check "gpt2_$dt matches PyTorch" '
import numpy as np, sys
c, t = np.load(sys.argv[1]), np.load(sys.argv[2])
rel = np.abs(c - t).max() / np.abs(t).max()
assert rel <= 1e-10, rel
print(f"gpt2 {sys.argv[3]}: rel error {rel:.3g}")' "$tmp/c_$dt.npy" "$ref" "$dt"
done
run "$NS" inspect "$M/gpt2_sharded/model.safetensors.index.json" --format csv
[ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 8 ] && grep -q '^transformer.ln_f,layernorm,.*,1,-1,64,F64' "$tmp/out" && ok ||
    bad "inspect of a sharded index: $(cat "$tmp/out" "$tmp/err")"
run "$NS" inspect "$M/gpt2_bf16"
[ "$rc" -eq 0 ] && grep -q '^final norm *ln_f' "$tmp/out" && grep -q 'dtype *BF16' "$tmp/out" && ok || bad "inspect bf16 folder"

# ---- LLaMA: RMSNorm, GQA, rope_theta and rms_norm_eps from config.json ----
run "$NS" diagnose --checkpoint "$M/llama" --input "$M/llama/tokens.npy" --dump-acts "$tmp/l.npy" --format json
cp "$tmp/out" "$tmp/llama.json"
check "llama matches PyTorch" '
import json, numpy as np, sys
c, t = np.load(sys.argv[1]), np.load(sys.argv[2])
rel = np.abs(c - t).max() / np.abs(t).max()
r = json.load(open(sys.argv[3]))["runs"][0]
assert rel <= 1e-10, rel
assert r["arch"] == "llama" and r["norm"] == "rmsnorm" and r["verdict"] == "ABSENT" and r["predicted_k"] == 0
print("llama (GQA 4/2, eps 1e-5, theta 5e5): rel error %.3g, verdict %s" % (rel, r["verdict"]))
' "$tmp/l.npy" "$M/llama/acts_f64.npy" "$tmp/llama.json"
for f in mistral qwen2; do
    run "$NS" diagnose --checkpoint "$M/$f" --input "$M/$f/tokens.npy" --dump-acts "$tmp/$f.npy" --format csv
    [ "$rc" -eq 0 ] && grep -q "^$f,rmsnorm,64,2,4,32,97,192,file," "$tmp/out" && ok || bad "$f: rc $rc $(cat "$tmp/out" "$tmp/err")"
    check "$f matches PyTorch" '
import numpy as np, sys
c, t = np.load(sys.argv[1]), np.load(sys.argv[2])
rel = np.abs(c - t).max() / np.abs(t).max()
assert rel <= 1e-10, rel
print("%s: rel error %.3g" % (sys.argv[3], rel))' "$tmp/$f.npy" "$M/$f/acts_f64.npy" "$f"
done
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["rms_norm_eps"]=1e-2; json.dump(c,open(sys.argv[2],"w"))' \
    "$M/llama/config.json" "$tmp/eps.json"
run "$NS" diagnose --checkpoint "$M/llama/model.safetensors" --config "$tmp/eps.json" --input "$M/llama/tokens.npy" --dump-acts "$tmp/l2.npy"
check "the eps is read from config.json (another eps, other activations)" '
import numpy as np, sys
c, t = np.load(sys.argv[1]), np.load(sys.argv[2])
assert np.abs(c - t).max() / np.abs(t).max() > 1e-6' "$tmp/l2.npy" "$M/llama/acts_f64.npy"
run "$NS" inspect "$M/llama" --format json
check "inspect llama: RMSNorm-like" '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["final"]["name"] == "model.norm" and r["final"]["kind"] == "rmsnorm" and r["classification"] == "RMSNorm-like"
assert r["final"]["predicted_k"] == 0 and r["final"]["direction"] == []' "$tmp/out"

# ---- scale-only norms: ambiguous until config.json or --norm decides; Gemma's 1 + w ----
run "$NS" inspect "$M/cohere_like" --format json
check "scale only, no config: ambiguous" '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["final"]["kind"] is None and r["classification"] == "ambiguous" and "config.json" in r["final"]["resolved_by"]
' "$tmp/out"
echo '{"model_type": "cohere", "layer_norm_eps": 1e-5}' >"$tmp/cohere.json"
echo '{"rms_norm_eps": 1e-6}' >"$tmp/rms.json"
echo '{"layer_norm_eps": 1e-5}' >"$tmp/ln.json"
for c in cohere:layernorm-nobias rms:rmsnorm ln:layernorm-nobias; do
    run "$NS" inspect "$M/cohere_like" --config "$tmp/${c%%:*}.json" --format json
    check "scale only with $c" 'import json, sys; r = json.load(open(sys.argv[1])); assert r["final"]["kind"] == sys.argv[2], r["final"]["kind"]' \
        "$tmp/out" "${c#*:}"
done
run "$NS" inspect "$M/cohere_like" --norm layernorm-nobias --write-direction "$tmp/pc.npy"
check "--norm layernorm-nobias: p = g^-1/||g^-1||" 'import numpy as np, sys; assert np.abs(np.load(sys.argv[1]) - np.load(sys.argv[2])).max() <= 1e-15' \
    "$tmp/pc.npy" "$M/cohere_like/p.npy"
run "$NS" inspect "$M/gemma_like" --format json --write-direction "$tmp/e5.npy"
check "gemma: (1 + w), w_5 = -1 is the trivial kernel e_5" '
import json, numpy as np, sys
r = json.load(open(sys.argv[1])); f = r["final"]
assert f["kind"] == "rmsnorm-1p" and f["one_plus_w"] and f["zeros"] == 1 and f["zero_indices"] == [5]
assert f["g_min"] == 0.0 and r["classification"] == "RMSNorm-like"
w = np.load(sys.argv[2]); g = 1 + w
assert abs(f["g_max"] - g.max()) < 1e-15 and abs(f["g_std"] - g.std()) < 1e-12
e = np.load(sys.argv[3]); assert e.shape == (32,) and e[5] == 1 and np.abs(e).sum() == 1
' "$tmp/out" "$M/gemma_like/w.npy" "$tmp/e5.npy"
expect_error "inspect: odd names, no pattern" "norm-pattern" inspect "$M/bad/odd_names.safetensors"
run "$NS" inspect "$M/bad/odd_names.safetensors" --norm-pattern 'rescale_gain|prescale_g$' --norm layernorm-nobias --format csv
[ "$rc" -eq 0 ] && grep -q '^head.prescale_g,layernorm-nobias,.*,1,' "$tmp/out" && grep -q '^blk.0.rescale_gain,' "$tmp/out" && ok ||
    bad "--norm-pattern: $(cat "$tmp/out" "$tmp/err")"

# ---- every family of shared/ARCHETYPES.md by its Hugging Face tensor names ----
"$PY" "$root/tests/io/make_families.py" "$tmp/fam" && ok || bad "make_families.py failed"
for f in $("$PY" -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))))' "$tmp/fam/expect.json"); do
    run "$NS" inspect "$tmp/fam/$f" --format json; cp "$tmp/out" "$tmp/fam_$f.json"; cp "$tmp/err" "$tmp/fam_$f.err"
    run "$NS" inspect "$tmp/fam/$f" --no-config --format json
    check "inspect family $f" '
import json, sys
want = json.load(open(sys.argv[1]))[sys.argv[2]]
try:
    r = json.load(open(sys.argv[3]))
except ValueError:
    sys.exit("no JSON: " + open(sys.argv[3] + "").read() + open(sys.argv[4]).read())
f = r["final"]
assert f["name"] == want["final"], (f["name"], want["final"])
assert f["kind"] == want["kind"], (f["kind"], want["kind"])
assert len(r["norms"]) == want["norms"], len(r["norms"])
ln = want["kind"].startswith("layernorm")
assert r["classification"] == ("LayerNorm-like" if ln else "RMSNorm-like"), r["classification"]
if want["kind_nocfg"] == "error":
    assert int(sys.argv[6]) == 2, "expected exit 2 without config.json"
else:
    g = json.load(open(sys.argv[5]))["final"]
    assert g["kind"] == want["kind_nocfg"], ("no config", g["kind"], want["kind_nocfg"])
' "$tmp/fam/expect.json" "$f" "$tmp/fam_$f.json" "$tmp/fam_$f.err" "$tmp/out" "$rc"
done

# ---- diagnose --acts: no gamma, gamma + beta, gamma from a checkpoint, 3-D, safetensors ----
run "$NS" diagnose --acts "$M/gpt2/acts_f64.npy" --format json --write-bottom "$tmp/bottom.npy"
check "no gamma: spectrum and the bottom direction (= p)" '
import json, numpy as np, sys
r = json.load(open(sys.argv[1]))["runs"][0]
assert r["verdict"] == "NO-PREDICTION" and r["predicted_k"] == -1 and len(r["eigenvalues"]) == 64
v, p = np.array(r["bottom"]), np.load(sys.argv[2])
assert abs(abs(v @ p) - 1) < 1e-9 and np.abs(v - np.load(sys.argv[3])).max() < 1e-15
' "$tmp/out" "$M/gpt2/p.npy" "$tmp/bottom.npy"
run "$NS" diagnose --acts "$M/gpt2/acts_f64.npy" --gamma "$M/gpt2/gamma.npy" --beta "$M/gpt2/beta.npy" --format csv
[ "$rc" -eq 0 ] && grep -q ',PRESENT,' "$tmp/out" && [ ! -s "$tmp/err" ] && ok || bad "gamma + beta .npy: $(cat "$tmp/out" "$tmp/err")"
run "$NS" diagnose --acts "$M/gpt2/acts_f64.npy" --gamma "$M/gpt2/gamma.npy" --beta "$M/gpt2/p.npy" --format csv
[ "$rc" -eq 0 ] && grep -q "warning: .*beta does not match" "$tmp/err" && ok || bad "a wrong beta is not flagged"
run "$NS" diagnose --acts "$M/gpt2/acts_f32.npy" --gamma "$M/gpt2" --format csv
[ "$rc" -eq 0 ] && grep -q '^acts,layernorm,64,.*,PRESENT,' "$tmp/out" && ok || bad "gamma from a checkpoint folder: $(cat "$tmp/out" "$tmp/err")"
run "$NS" diagnose --acts "$M/llama/acts_f64.npy" --gamma "$M/llama" --format csv
[ "$rc" -eq 0 ] && grep -q '^acts,rmsnorm,64,.*,ABSENT,' "$tmp/out" && ok || bad "llama acts: $(cat "$tmp/out" "$tmp/err")"
"$PY" -c 'import sys, numpy as np; np.save(sys.argv[2], np.load(sys.argv[1]).reshape(16, 32, 64))' \
    "$M/gpt2/acts_f64.npy" "$tmp/acts3d.npy" && ok || bad "writing 3-D activations"
run "$NS" diagnose --acts "$tmp/acts3d.npy" --gamma "$M/gpt2/gamma.npy" --format csv; cp "$tmp/out" "$tmp/3d.csv"
run "$NS" diagnose --acts "$M/gpt2/acts_f64.npy" --gamma "$M/gpt2/gamma.npy" --format csv
cmp -s "$tmp/3d.csv" "$tmp/out" && ok || bad "(16, 32, 64) acts differ from (512, 64)"
run "$NS" diagnose --acts "$M/gpt2/acts_f64.npy" --norm layernorm --format csv
[ "$rc" -eq 0 ] && grep -q ',init,.*,MISMATCH,' "$tmp/out" && ok || bad "--norm alone predicts 1/sqrt(d): MISMATCH expected"
"$PY" - "$M" "$tmp" "$root" <<'PYEOF' && ok || bad "writing safetensors activations"
import sys, numpy as np, torch
sys.path.insert(0, sys.argv[3] + "/tests/io")
from make_models import write_safetensors
y = torch.from_numpy(np.load(sys.argv[1] + "/gpt2/acts_f64.npy"))
write_safetensors(sys.argv[2] + "/acts.safetensors", {"y64": y, "y16": ("BF16", y)})
PYEOF
run "$NS" diagnose --acts "$tmp/acts.safetensors:y64" --gamma "$M/gpt2/gamma.npy" --format csv
[ "$rc" -eq 0 ] && grep -q '^acts,layernorm-nobias,64,.*,safetensors F64,.*,PRESENT,' "$tmp/out" && ok || bad "safetensors F64 acts: $(cat "$tmp/out" "$tmp/err")"
run "$NS" diagnose --acts "$tmp/acts.safetensors:y16" --gamma "$M/gpt2/gamma.npy" --format json
check "bf16 activations: the bf16 threshold" '
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]
assert r["precision"] == "bf16" and abs(r["threshold"] - 2.0 ** -16) < 1e-20 and r["tokens"] == 512, r
assert r["cos"] > 0.999, r["cos"]
print("bf16 activations: |cos| = %.9f, p.Cp/lambda_max = %.2g (threshold %.2g): %s" % (r["cos"], r["rayleigh_rel"], r["threshold"], r["verdict"]))
' "$tmp/out"
run "$NS" diagnose --acts "$tmp/c.npy" --gamma "$M/gpt2/model.safetensors:transformer.ln_f.weight" --format csv
[ "$rc" -eq 0 ] && grep -q ',PRESENT,' "$tmp/out" && ok || bad "normsim's own dump as --acts"
# --gamma CHECKPOINT:TENSOR takes the kind from the checkpoint: llama's model.norm is RMSNorm (no
# kernel: ABSENT), not the LayerNorm-without-bias default (which answers MISMATCH on these rows)
run "$NS" diagnose --checkpoint "$M/llama" --dump-acts "$tmp/la.npy" --tokens 512 --format csv
run "$NS" diagnose --acts "$tmp/la.npy" --gamma "$M/llama/model.safetensors:model.norm.weight" --format csv
[ "$rc" -eq 0 ] && grep -q '^acts,rmsnorm,.*,checkpoint,.*,ABSENT,' "$tmp/out" && ok || bad "--gamma CKPT:TENSOR kind: $(cat "$tmp/out" "$tmp/err")"
run "$NS" diagnose --acts "$tmp/la.npy" --gamma "$M/llama/model.safetensors:model.norm.weight" --norm layernorm-nobias --format csv
[ "$rc" -eq 0 ] && grep -q ',MISMATCH,' "$tmp/out" && ok || bad "--gamma CKPT:TENSOR with --norm: the given kind wins"

# ---- streaming: a 51 MB float32 file with a peak RSS far below its size (d = 32: O(d^2)) ----
"$PY" -c 'import numpy as np, sys; np.save(sys.argv[1], np.random.default_rng(0).standard_normal((400000, 32), dtype=np.float32))' "$tmp/big.npy"
check "streamed: peak memory below the file size" '
import resource, subprocess, sys
r = subprocess.run([sys.argv[1], "diagnose", "--acts", sys.argv[2], "--format", "csv"], capture_output=True, text=True)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
assert r.returncode == 0 and ",400000,npy <f4," in r.stdout, r.stderr
assert rss < 45, rss
print("diagnose --acts on a 51 MB file (400000 x 32 f32): peak RSS %.1f MB" % rss)
' "$NS" "$tmp/big.npy"
rm -f "$tmp/big.npy"

# ---- bad input: one line, exit 2, nothing on stdout ----
for c in truncated:out.of.range truncated_header:larger.than tiny:truncated header_len:larger.than \
    invalid_json:"invalid JSON" out_of_range:"out of range" overlap:overlap unknown_dtype:"unknown dtype" \
    shape_mismatch:"needs 520 bytes" not_safetensors:"GGUF version 0 is not supported" not_any:"not a safetensors, GGUF or .npy file" non_float:"float dtype" \
    newline_name:"'a?b': unknown dtype"; do
    expect_error "inspect ${c%%:*}.safetensors" "${c#*:}" inspect "$M/bad/${c%%:*}.safetensors"
done
expect_error "checkpoint truncated" "out of range" diagnose --checkpoint "$M/bad/truncated.safetensors" --arch gpt2 --heads 4
expect_error "acts from a bad safetensors" "overlap" diagnose --acts "$M/bad/overlap.safetensors:transformer.wte.weight"
for c in fortran:Fortran bigendian:big-endian nan_row17:"row 17 " inf_row300:"row 300 " few_rows:UNDETERMINED \
    equal_rows:UNDETERMINED one_d:"2 dimensions" ints:floats complex:"unsupported dtype" truncated:"file holds" \
    shape_mismatch:"file holds"; do
    expect_error "acts ${c%%:*}.npy" "${c#*:}" diagnose --acts "$M/bad/${c%%:*}.npy"
done
for c in c_attn_shape:"(64, 192)" missing_tensor:lacks config_mismatch:n_embd no_heads:--heads bad_activation:swish \
    rope_scaling:rope_scaling index_lacks:lacks index_missing_shard:"cannot open" index_traversal:"'..'"; do
    expect_error "checkpoint ${c%%:*}" "${c#*:}" diagnose --checkpoint "$M/bad/${c%%:*}" --tokens 100
done
expect_error "index invalid JSON" "invalid JSON" inspect "$M/bad/index_invalid.json"
expect_error "gamma length" "63 values" diagnose --acts "$M/gpt2/acts_f64.npy" --gamma "$M/bad/gamma_short.npy"
expect_error "gamma tensor missing" "no tensor 'nope'" diagnose --acts "$M/gpt2/acts_f64.npy" --gamma "$M/gpt2/model.safetensors:nope"
expect_error "beta alone" "needs --gamma" diagnose --acts "$M/gpt2/acts_f64.npy" --beta "$M/gpt2/beta.npy"
expect_error "model option with --acts" "does not apply" diagnose --acts "$M/gpt2/acts_f64.npy" --d 5
expect_error "model option with --checkpoint" "does not apply" diagnose --checkpoint "$M/gpt2" --gamma random
expect_error "--acts and --checkpoint" "exclude" diagnose --acts "$M/gpt2/acts_f64.npy" --checkpoint "$M/gpt2"
expect_error "acts without a tensor name" "name one" diagnose --acts "$M/gpt2/model.safetensors"
expect_error "acts missing" "cannot open" diagnose --acts "$tmp/none.npy"
expect_error "--arch against model_type" "model_type 'gpt2' is normsim's gpt2" diagnose --checkpoint "$M/gpt2" --arch bert
expect_error "import of a family without HF naming" "no Hugging Face naming for --arch 'gemma4'" diagnose --checkpoint "$M/gpt2" --arch gemma4 --no-config
expect_error "gpt2 naming read as llama" "embed_tokens" diagnose --checkpoint "$M/gpt2" --arch llama --heads 4 --no-config
expect_error "seq beyond the positions" "exceeds" diagnose --checkpoint "$M/gpt2" --seq 64
expect_error "--input with --tokens" "--input sets" diagnose --checkpoint "$M/gpt2" --input "$M/gpt2/tokens.npy" --tokens 5
for c in tokens_vocab:"sequence 3, position 5" tokens_long:"--seq" tokens_float:"not an id"; do
    expect_error "tokens ${c%%:*}" "${c#*:}" diagnose --checkpoint "$M/gpt2" --input "$M/bad/${c%%:*}.npy" --dump-acts "$tmp/x.npy"
done
[ ! -e "$tmp/x.npy" ] && [ ! -e "$tmp/x.npy.tmp" ] && ok || bad "a failed --dump-acts left a file"
expect_error "inspect without a checkpoint" "needs a CHECKPOINT" inspect
expect_error "inspect of a missing file" "cannot open" inspect "$tmp/nothing.safetensors"
expect_error "inspect --norm unknown" "not a norm kind" inspect "$M/gpt2" --norm batchnorm
expect_error "inspect bad regex" "not a valid regular expression" inspect "$M/gpt2" --norm-pattern '('
expect_error "inspect --final unknown" "--final" inspect "$M/gpt2" --final nope
expect_error "inspect unwritable direction" "--write-direction /nonexistent/p.npy: cannot use /nonexistent" inspect "$M/gpt2" --write-direction /nonexistent/p.npy
run "$NS" inspect --help
[ "$rc" -eq 0 ] && grep -q "usage: normsim inspect" "$tmp/out" && ok || bad "inspect --help"
run "$NS" diagnose --help
[ "$rc" -eq 0 ] && grep -q -- "--acts FILE" "$tmp/out" && grep -q -- "--checkpoint PATH" "$tmp/out" && ok || bad "diagnose --help lists --acts and --checkpoint"

echo "io: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
