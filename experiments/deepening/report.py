#!/usr/bin/python3
"""Tabulate the deepening experiment (experiments/deepening/run.sh).

usage: report.py OUT

Reads OUT/<arch>/track.csv, OUT/<arch>.summary.json and OUT/control.*.json; writes
OUT/deepening.csv and OUT/deepening.md and prints the markdown. Per archetype and
precision: |p'Cp/lambda_max| at init and at the end and their ratio (the deepening
factor), the dead-direction count at init and at the end, the second-smallest
eigenvalue over lambda_max (a new near-dead direction), the spread of log g, and the
final losses. The control table: the same quantities at init with g = 1 and with a
trained-like spread g = exp(N(0,1)).
"""
import csv
import glob
import json
import math
import os
import sys


def fnum(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return math.nan


def fmt(v, f="%.3g"):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f % v


def main(out):
    rows, ctrl = [], []
    for summ in sorted(glob.glob(os.path.join(out, "*.summary.json"))):
        arch = os.path.basename(summ)[: -len(".summary.json")]
        s = json.load(open(summ))
        track = list(csv.DictReader(open(os.path.join(out, arch, "track.csv"))))
        for prec in ("f64", "bf16", "f16"):
            t = [r for r in track if r["precision"] == prec]
            if not t:
                continue
            a, b = t[0], t[-1]
            ri, re_ = abs(fnum(a["rayleigh_rel"])), abs(fnum(b["rayleigh_rel"]))
            rows.append({
                "arch": arch, "norm": s["norm"], "precision": prec, "steps": s["steps"],
                "rayleigh_init": ri, "rayleigh_end": re_,
                "deepening": ri / re_ if re_ > 0 else math.nan,
                "dead_init": int(a["dead"]), "dead_end": int(b["dead"]),
                "eig1_init": fnum(a["eig1_rel"]), "eig1_end": fnum(b["eig1_rel"]),
                "g_logstd_end": fnum(b["g_logstd"]), "verdict_end": b["verdict"],
                "val_loss_init": s["val_loss_init"], "val_loss": s["val_loss"],
                "train_loss": s["train_loss"], "unigram_entropy": s.get("unigram_entropy"),
            })
    for f in sorted(glob.glob(os.path.join(out, "control.*.json"))):
        _, arch, prec, gamma, _ = os.path.basename(f).split(".", 4) if f.count(".") >= 5 else (None,) * 5
        r = json.load(open(f))["runs"][0]
        e = r["eigenvalues"]
        ctrl.append({"arch": r["arch"], "precision": r.get("precision", prec), "gamma": r["gamma"],
                     "rayleigh_rel": abs(r["rayleigh_rel"]) if r["rayleigh_rel"] is not None else math.nan,
                     "eig1_rel": e[1] / e[-1], "dead": r["dead"], "verdict": r["verdict"]})
    with open(os.path.join(out, "deepening.csv.tmp"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()) if rows else ["arch"])
        w.writeheader()
        w.writerows(rows)
    os.replace(os.path.join(out, "deepening.csv.tmp"), os.path.join(out, "deepening.csv"))
    md = ["# Deepening (claim C4) at normsim's scale", "",
          "| arch | norm | prec | steps | p'Cp/λmax init | end | deepening | dead init→end | λ2/λmax init→end | std log g (end) | val loss init→end |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        md.append(f"| {r['arch']} | {r['norm']} | {r['precision']} | {r['steps']} | {fmt(r['rayleigh_init'])} | "
                  f"{fmt(r['rayleigh_end'])} | {fmt(r['deepening'])} | {r['dead_init']}→{r['dead_end']} | "
                  f"{fmt(r['eig1_init'])}→{fmt(r['eig1_end'])} | {fmt(r['g_logstd_end'], '%.3f')} | "
                  f"{fmt(r['val_loss_init'], '%.3f')}→{fmt(r['val_loss'], '%.3f')} |")
    ent = [r["unigram_entropy"] for r in rows if r.get("unigram_entropy")]
    if ent:
        md += ["", f"Unigram entropy of the training bytes: {ent[0]:.4f} nats."]
    if ctrl:
        md += ["", "## Control: the gain spread alone, at init", "",
               "| arch | prec | gamma | p'Cp/λmax | λ2/λmax | dead | verdict |", "|---|---|---|---|---|---|---|"]
        for c in ctrl:
            md.append(f"| {c['arch']} | {c['precision']} | {c['gamma']} | {fmt(c['rayleigh_rel'])} | "
                      f"{fmt(c['eig1_rel'])} | {c['dead']} | {c['verdict']} |")
    text = "\n".join(md) + "\n"
    with open(os.path.join(out, "deepening.md.tmp"), "w") as fh:
        fh.write(text)
    os.replace(os.path.join(out, "deepening.md.tmp"), os.path.join(out, "deepening.md"))
    print(text)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
