#!/usr/bin/env bash
# experiments/gain_law/checkpoints.sh - the gain spread s = std(log|g|) of the final norm
# of every checkpoint `normsim inspect` reads in the tests (tests/io/make_models.py and
# make_families.py, written to a temporary folder), plus any normsim checkpoints given as
# arguments (LABEL=PATH, e.g. trained runs), and what the init-time law (LAW, a law_fit.json)
# predicts for the deepening at that s. The computation: `normsim inspect CKPT --format json`
# reports, for the final norm, g_logstd = the population std of log|g_i| over the g_i != 0
# (for a Gemma-style (1 + w) scale, g = 1 + w). Writes OUT/checkpoints.csv and .md.
#   OUT (default runs/gain_law), LAW (default OUT/grid/law_fit.json), NORMSIM, PYTHON
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
NS=${NORMSIM:-$root/build/normsim}
PY=${PYTHON:-/usr/bin/python3}
OUT=${OUT:-$root/runs/gain_law}
LAW=${LAW:-$OUT/grid/law_fit.json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$OUT"
"$PY" "$root/tests/io/make_models.py" "$tmp/m" >/dev/null
"$PY" "$root/tests/io/make_families.py" "$tmp/f" >/dev/null
list=()
for d in "$tmp"/m/* "$tmp"/f/*; do
    [ -d "$d" ] && list+=("test:$(basename "$(dirname "$d")")/$(basename "$d")=$d")
done
for spec in "$@"; do list+=("$spec"); done
for spec in "${list[@]}"; do
    label=${spec%%=*} path=${spec#*=}
    if "$NS" inspect "$path" --format json >"$tmp/one.json" 2>"$tmp/err"; then
        "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["label"]=sys.argv[2]; print(json.dumps(d))' \
            "$tmp/one.json" "$label" >>"$tmp/all.jsonl"
    else
        echo "checkpoints: inspect $label: $(cat "$tmp/err")" >&2
        echo "{\"label\": \"$label\", \"error\": $("$PY" -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read().strip()))' "$tmp/err")}" >>"$tmp/all.jsonl"
    fi
done
"$PY" - "$tmp/all.jsonl" "$LAW" "$OUT" <<'PYEOF'
import csv, json, math, os, sys
rows, law = [json.loads(l) for l in open(sys.argv[1])], None
if os.path.isfile(sys.argv[2]):
    law = json.load(open(sys.argv[2]))["fits"]
def D(s, prec):
    q = law[prec]["quad"] if law and prec in law else None
    return math.exp(q["alpha"] * s + q["beta"] * s * s) if q and s == s else math.nan
out = []
for r in rows:
    fin = r.get("final") or next((n for n in r.get("norms", []) if n.get("final")), None)
    if "error" in r or not fin:
        out.append({"checkpoint": r["label"], "family": r.get("family", "-"), "final_norm": "-",
                    "kind": "-", "d": "-", "s": math.nan, "D_bf16": math.nan, "note": r.get("error", "no final norm found")[:120]})
        continue
    s = fin.get("g_logstd")
    s = math.nan if s is None else s
    out.append({"checkpoint": r["label"], "family": r.get("family", "-"), "final_norm": fin["name"],
                "kind": fin["kind"], "d": fin["d"], "s": s, "D_bf16": D(s, "bf16"), "note": ""})
cols = ["checkpoint", "family", "final_norm", "kind", "d", "s", "D_bf16", "note"]
with open(os.path.join(sys.argv[3], "checkpoints.csv.tmp"), "w", newline="") as fh:
    w = csv.writer(fh, lineterminator="\n"); w.writerow(cols)
    for o in out:
        w.writerow(["%.4g" % o[c] if isinstance(o[c], float) else o[c] for c in cols])
os.replace(os.path.join(sys.argv[3], "checkpoints.csv.tmp"), os.path.join(sys.argv[3], "checkpoints.csv"))
s3 = law["bf16"]["quad"]["s_for_1e3"] if law and "bf16" in law else math.nan
md = ["# The gain spread of the final norm, checkpoint by checkpoint", "",
      "s = std(log|g|) of the final norm (`normsim inspect --format json`, field g_logstd); "
      "D_bf16 = the init-time law's deepening at that s (ln D = alpha s + beta s^2, bf16); "
      "the law needs s = %.2f for D = 10^3." % s3, "",
      "| checkpoint | family | final norm | kind | d | s | D (law, bf16) | note |", "|---|---|---|---|---|---|---|---|"]
for o in out:
    md.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
        o["checkpoint"], o["family"], o["final_norm"], o["kind"], o["d"],
        "-" if o["s"] != o["s"] else "%.3f" % o["s"], "-" if o["D_bf16"] != o["D_bf16"] else "%.3g" % o["D_bf16"], o["note"]))
open(os.path.join(sys.argv[3], "checkpoints.md"), "w").write("\n".join(md) + "\n")
print("\n".join(md))
PYEOF
