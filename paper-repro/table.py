#!/usr/bin/env python3
"""paper-repro/table.py OUT - the init-time table and the claim checks (C3, C5, C6).

Reads OUT/json/<arch>_<precision>_<gamma>.json (one `normsim diagnose --format json`
run each, written by run.sh), writes OUT/init_table.csv, OUT/init_table.md and the
plot data under OUT/plotdata/, prints the markdown to stdout, then checks the claims:
one line per check, PASS/FAIL (gating) or INFO (reported only), then
`repro: N passed, N failed`. Exit status 1 if a check failed, 2 if the input is bad.

Standard library only (json, csv). The family lists come from the environment
(LINEUP_LN, LINEUP_RMS, EXTRAS: space-separated) with the defaults below.
"""
import csv
import io
import json
import math
import os
import sys

LINEUP_LN = os.environ.get(
    "LINEUP_LN", "gpt2 pythia opt bloom falcon phi2 command-r bert vit").split()
LINEUP_RMS = os.environ.get("LINEUP_RMS", "llama mistral qwen2 gemma t5").split()
EXTRAS = os.environ.get("EXTRAS", "olmo1 olmo2 gemma4 dinov2").split()
LINEUP = LINEUP_LN + LINEUP_RMS
ARCHS = LINEUP + EXTRAS

# The true normalization class of each family (ARCHETYPES.md): what C6 must recover.
# olmo1's LN has no affine at all (kernel 1/sqrt(d)): still LN-like.
TRUE_CLASS = {a: "LN-like" for a in LINEUP_LN}
TRUE_CLASS.update({a: "RMS-like" for a in LINEUP_RMS})
TRUE_CLASS.update({"olmo1": "LN-like", "dinov2": "LN-like",
                   "olmo2": "RMS-like", "gemma4": "RMS-like"})

PRECISIONS = ["f64", "bf16"]
# expected default --threshold of each precision: max(1e-10, u^2), u = unit roundoff
THRESHOLD = {"f64": 1e-10, "bf16": 2.0 ** -16}

# Criteria (README.md explains them). 1 - |cos| is compared, not |cos| rounded.
TOL_F64 = 1e-10          # "10 decimals": |cos| >= 1 - 1e-10
TOL_BF16 = 1e-4          # "4 decimals":  |cos| >= 1 - 1e-4
TOL_BF16_ROUNDED = 5e-5  # stricter reading, reported only: |cos| rounds to 1.0000
COS_ONES_MAX = 0.99      # random g: p must differ clearly from 1/sqrt(d)
C5_BAND = (0.1, 10.0)    # C5 info (the old yardstick): every block-to-block ratio within 10x
C5_KCOS = 1e-3           # C5: the stream's bottom direction is the writer's kernel: 1-|cos| <= this
C5_DROP = 0.1            # C5: a block loses a direction when sigma_min falls by more than 10x

# Plot floors: log axes cannot show 0 or negatives.
EIG_FLOOR = 1e-20        # |lambda| / lambda_max and |p'Cp| / lambda_max
COS_FLOOR = 1e-17        # 1 - |cos| (0 when |cos| == 1 exactly in double)
SIGMA_FLOOR = 1e-9       # sigma_min (exactly 0 for rank-deficient streams)


def die(msg):
    print(f"table.py: {msg}", file=sys.stderr)
    sys.exit(2)


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def gamma_tag(g):
    return g.replace(":", "-")


def setting_name(prec, gamma):
    return f"{prec} g={'1' if gamma == 'ones' else gamma}"


def ratios(sig):
    """Block-to-block ratios sigma_min[l] / sigma_min[l-1], from sigma_min itself so
    that a zero denominator is told apart: inf (x/0, x > 0) or None (0/0)."""
    out = []
    for a, b in zip(sig, sig[1:]):
        if a is None or b is None:
            out.append(None)
        elif a == 0:
            out.append(math.inf if b > 0 else None)
        else:
            out.append(b / a)
    return out


def load(out):
    jdir = os.path.join(out, "json")
    if not os.path.isdir(jdir):
        die(f"{jdir}: no such folder (run paper-repro/run.sh)")
    runs = {}
    gammas = []
    for name in sorted(os.listdir(jdir)):
        if not name.endswith(".json"):
            continue
        parts = name[:-5].split("_")
        if len(parts) != 3:
            die(f"{name}: expected <arch>_<precision>_<gamma>.json")
        arch, prec, _ = parts
        with open(os.path.join(jdir, name)) as f:
            try:
                doc = json.load(f)
            except json.JSONDecodeError as e:
                die(f"{name}: {e}")
        if len(doc.get("runs", [])) != 1:
            die(f"{name}: expected exactly one run")
        r = doc["runs"][0]
        if r["arch"] != arch:
            die(f"{name}: arch is {r['arch']}")
        if prec not in THRESHOLD or r["threshold"] != THRESHOLD[prec]:
            die(f"{name}: threshold {r['threshold']} is not the {prec} default")
        r["precision"] = prec
        r["ratio"] = ratios(r["sigma_min"])
        if "resid_kernel_cos" not in r:
            die(f"{name}: no resid_kernel_cos (a normsim older than the C5 fields?)")
        r["c5"] = c5_labels(r)
        r["c5_verdict"] = c5_verdict(r)
        # the binary's own ratios must agree wherever it gives one
        for mine, its in zip(r["ratio"], r["sigma_ratio"]):
            if its is not None and mine is not None and \
                    abs(mine - its) > 1e-12 * max(1.0, abs(its)):
                die(f"{name}: sigma_ratio {its} != sigma_min ratio {mine}")
        if r["gamma"] not in gammas:
            gammas.append(r["gamma"])
        runs[(arch, prec, r["gamma"])] = r
    gammas.sort(key=lambda g: (g != "ones", g))
    missing = [f"{a}_{p}_{gamma_tag(g)}" for a in ARCHS for p in PRECISIONS
               for g in gammas if (a, p, g) not in runs]
    if not gammas or missing:
        die("missing runs: " + (" ".join(missing) or "all"))
    return runs, gammas


def fmt(x, spec):
    if x is None:
        return ""
    if isinstance(x, float) and math.isinf(x):
        return "inf"
    return format(x, spec)


def one_minus_cos(r):
    return None if r["cos"] is None else 1.0 - r["cos"]


def inferred_class(r):
    return "LN-like" if r["predicted_k"] >= 1 else "RMS-like"


def ratio_span(r):
    vals = [x for x in r["ratio"] if x is not None]
    undefined = sum(1 for x in r["ratio"] if x is None)
    if not vals:
        return None, None, undefined
    return min(vals), max(vals), undefined


def c5_labels(r):
    """One label per block boundary l of the residual stream (README, "C5"): thin means
    lambda_min/lambda_max of resid.<l> below the run's dead threshold.
      K  thin, and its bottom direction is the kernel of the norm that writes resid.<l>
         (embedding LN at l = 0, post-LN after block l-1): 1 - |cos| <= C5_KCOS
      I  thin at l = 0 with no norm writing it: the embedding itself lacks a direction
      T  thin at l >= 1, inherited: the previous boundary was thin too and sigma_min did
         not fall by more than 1/C5_DROP across the block
      D  thin at l >= 1 and not K or T: the block lost a direction (a genuine dead one)
      P  not thin (sigma_min preserved)"""
    lam, kc, thr = r["resid_lambda_rel"], r["resid_kernel_cos"], r["threshold"]
    out = []
    for l, x in enumerate(lam):
        thin = x is None or x < thr
        if not thin:
            out.append("P")
        elif kc[l] is not None and 1.0 - kc[l] <= C5_KCOS:
            out.append("K")
        elif l == 0:
            out.append("I")
        else:
            rat = r["ratio"][l - 1]
            out.append("T" if out[-1] != "P" and (rat is None or rat >= C5_DROP) else "D")
    return out


def c5_verdict(r):
    """(verdict, reason) for one run from c5_labels: DEAD > KERNEL > INPUT > PRESERVED"""
    lab = r["c5"]
    at = lambda c: ",".join(str(l) for l, x in enumerate(lab) if x == c)
    lam = [x for x in r["resid_lambda_rel"] if x is not None]
    if "D" in lab:
        return "DEAD", (f"resid.{at('D')}: lambda_min/lambda_max below {r['threshold']:.3g} after a "
                        f"block, not the kernel of a norm: a genuine dead direction")
    if "K" in lab:
        who = "the embedding LN" if lab[0] == "K" and lab.count("K") == 1 else \
              "the post-LN that writes it" if lab[0] != "K" else "the embedding LN / post-LN"
        worst = min(r["resid_kernel_cos"][l] for l, x in enumerate(lab) if x == "K")
        rest = "; elsewhere preserved" if "P" in lab else ""
        return "KERNEL", (f"resid.{at('K')}: sigma_min is the exact kernel g^-1 of {who} "
                          f"(|cos| >= {worst:.6f}){rest}")
    if "I" in lab:
        tail = f"; inherited, not lost, at resid.{at('T')}" if "T" in lab else "; restored by the blocks"
        return "INPUT", f"resid.0 rank-deficient (the embedding, lambda_min/lambda_max {lam[0]:.2g}){tail}"
    return "PRESERVED", f"lambda_min/lambda_max >= {r['threshold']:.3g} at every boundary (min {min(lam):.2g})"


def row_fields(r):
    lo, hi, undef = ratio_span(r)
    lm = r["lambda_max"]
    return {
        "family": r["arch"],
        "line_up": "yes" if r["arch"] in LINEUP else "extra",
        "norm": r["norm"],
        "d": r["d"],
        "layers": r["layers"],
        "tokens": r["tokens"],
        "data": r["data"],
        "precision": r["precision"],
        "gamma": r["gamma"],
        "predicted_k": r["predicted_k"],
        "cos": fmt(r["cos"], ".10f"),
        "one_minus_cos": fmt(one_minus_cos(r), ".3e"),
        "cos_ones": fmt(r["cos_ones"], ".6f"),
        "rayleigh_rel": fmt(r["rayleigh_rel"], ".3e"),
        "lambda_min_rel": fmt(r["lambda_min"] / lm, ".3e"),
        "lambda_2_rel": fmt(r["lambda_2"] / lm, ".3e"),
        "threshold": fmt(r["threshold"], ".3g"),
        "dead": r["dead"],
        "verdict": r["verdict"],
        "sigma_min": r["sigma_min"],
        "ratio_min": fmt(lo, ".4g"),
        "ratio_max": fmt(hi, ".4g"),
        "ratio_undefined": undef,
        "class_inferred": inferred_class(r),
        "class_true": TRUE_CLASS.get(r["arch"], "?"),
        "c6_ok": "yes" if inferred_class(r) == TRUE_CLASS.get(r["arch"]) else "NO",
        "warning": r.get("warning", ""),
        "c5_labels": "".join(r["c5"]),
        "c5_verdict": r["c5_verdict"][0],
        "c5_reason": r["c5_verdict"][1],
    }


def ordered(runs, gammas):
    """Rows grouped by setting (f64 g=1, bf16 g=1, f64 random g, bf16 random g), each
    in line-up order then the extras."""
    for g in gammas:
        for p in PRECISIONS:
            for a in ARCHS:
                yield runs[(a, p, g)]


def write_csv(out, runs, gammas):
    lmax = max(r["layers"] for r in runs.values())
    cols = ["family", "line_up", "norm", "class_true", "d", "layers", "tokens", "data",
            "precision", "gamma", "predicted_k", "class_inferred", "c6_ok", "cos",
            "one_minus_cos", "cos_ones", "rayleigh_rel", "lambda_min_rel",
            "lambda_2_rel", "threshold", "dead", "verdict"]
    sig_cols = [f"sigma_min.{l}" for l in range(lmax + 1)]
    cols2 = ["ratio_min", "ratio_max", "ratio_undefined", "c5_labels", "c5_verdict", "c5_reason",
             "warning"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols + sig_cols + cols2)
    for r in ordered(runs, gammas):
        f = row_fields(r)
        sig = [fmt(x, ".6e") for x in f["sigma_min"]]
        sig += [""] * (len(sig_cols) - len(sig))
        w.writerow([f[c] for c in cols] + sig + [f[c] for c in cols2])
    write_atomic(os.path.join(out, "init_table.csv"), buf.getvalue())


def md_table(rows):
    head = ["family", "norm", "class (true / C6)", "d", "L", "N", "\\|cos(p,v)\\|",
            "1-\\|cos\\|", "cos(p,1)", "p'Cp/λmax", "λ2/λmax", "dead", "verdict",
            "σmin resid.0..L", "ratio min / max", "C5"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        f = row_fields(r)
        extra = "" if f["line_up"] == "yes" else " (extra)"
        cls = f"{f['class_true']} / {f['class_inferred']}"
        if f["c6_ok"] != "yes":
            cls += " **WRONG**"
        sig = " ".join(fmt(x, ".3g") if x is not None else "-" for x in f["sigma_min"])
        span = f"{f['ratio_min'] or '-'} / {f['ratio_max'] or '-'}"
        if f["ratio_undefined"]:
            span += f" ({f['ratio_undefined']} undef.)"
        verdict = f["verdict"] + (" ⚠" if f["warning"] else "")
        cells = [f["family"] + extra, f["norm"], cls, f["d"], f["layers"], f["tokens"],
                 f["cos"] or "-", f["one_minus_cos"] or "-", f["cos_ones"] or "-",
                 f["rayleigh_rel"] or "-", f["lambda_2_rel"], f["dead"], verdict, sig,
                 span, f"{f['c5_verdict']} ({f['c5_labels']})"]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------- checks

class Checks:
    def __init__(self):
        self.lines = []
        self.passed = self.failed = 0

    def gate(self, name, ok, detail):
        self.lines.append(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def info(self, name, detail):
        self.lines.append(f"INFO  {name}: {detail}")


def worst(rows, key):
    """The row with the largest key (for reporting the margin)."""
    rows = [r for r in rows if key(r) is not None]
    return max(rows, key=key) if rows else None


def check_kernel(ck, name, runs, archs, prec, gamma, tol, need_not_ones=False):
    rows = [runs[(a, prec, gamma)] for a in archs]
    bad = []
    for r in rows:
        e = one_minus_cos(r)
        why = []
        if r["verdict"] != "PRESENT":
            why.append(r["verdict"])
        if e is None or e > tol:
            why.append(f"1-|cos|={fmt(e, '.2e')}")
        if need_not_ones and (r["cos_ones"] is None or r["cos_ones"] >= COS_ONES_MAX):
            why.append(f"cos(p,1)={fmt(r['cos_ones'], '.6f')}")
        if why:
            bad.append(f"{r['arch']} ({', '.join(why)})")
    w = worst(rows, one_minus_cos)
    detail = (f"{len(rows) - len(bad)}/{len(rows)} PRESENT with 1-|cos| <= {tol:g}"
              + (f" and cos(p,1) < {COS_ONES_MAX}" if need_not_ones else "")
              + (f"; worst 1-|cos| = {one_minus_cos(w):.2e} ({w['arch']})"
                 if one_minus_cos(w) > 0 else "; every |cos| == 1 in double"))
    if need_not_ones:
        cmax = max(r["cos_ones"] for r in rows if r["cos_ones"] is not None)
        detail += f"; max cos(p,1) = {cmax:.6f}"
    if bad:
        detail += "; failing: " + ", ".join(bad)
    ck.gate(name, not bad, detail)


def check_absent(ck, name, runs, archs, prec, gamma):
    rows = [runs[(a, prec, gamma)] for a in archs]
    bad = [f"{r['arch']} ({r['verdict']}, dead={r['dead']})" for r in rows
           if r["verdict"] != "ABSENT"]
    lo = min(rows, key=lambda r: r["lambda_min"] / r["lambda_max"])
    detail = (f"{len(rows) - len(bad)}/{len(rows)} ABSENT; smallest lambda_min/lambda_max"
              f" = {lo['lambda_min'] / lo['lambda_max']:.2e} ({lo['arch']}),"
              f" threshold {lo['threshold']:.3g}")
    if bad:
        detail += "; failing: " + ", ".join(bad)
    ck.gate(name, not bad, detail)


def run_checks(runs, gammas):
    ck = Checks()
    g1 = "ones"
    rand = [g for g in gammas if g != "ones"]
    n_ln, n_rms = len(LINEUP_LN), len(LINEUP_RMS)

    # C3 at init (g = 1)
    check_kernel(ck, f"C3 LayerNorm f64 g=1 ({n_ln}/{n_ln}, 10 decimals)",
                 runs, LINEUP_LN, "f64", g1, TOL_F64)
    check_kernel(ck, f"C3 LayerNorm bf16 g=1 ({n_ln}/{n_ln}, 4 decimals)",
                 runs, LINEUP_LN, "bf16", g1, TOL_BF16)
    for p in PRECISIONS:
        check_absent(ck, f"C3 RMSNorm {p} g=1 ({n_rms}/{n_rms} ABSENT)",
                     runs, LINEUP_RMS, p, g1)
    rows = [runs[(a, "bf16", g1)] for a in LINEUP_LN]
    strict = [r["arch"] for r in rows if one_minus_cos(r) >= TOL_BF16_ROUNDED]
    ck.info("C3 bf16 g=1, stricter reading (|cos| rounds to 1.0000, 1-|cos| < 5e-5)",
            f"{n_ln - len(strict)}/{n_ln}" + (f"; not: " + ", ".join(
                f"{a} (1-|cos|={one_minus_cos(runs[(a, 'bf16', g1)]):.2e})"
                for a in strict) if strict else ""))

    # the kernel follows g^-1, not the ones vector (random g)
    for g in rand:
        check_kernel(ck, f"C1/C3 LayerNorm f64 g={g} ({n_ln}/{n_ln}: p = g^-1/||g^-1||,"
                     f" not 1/sqrt(d))", runs, LINEUP_LN, "f64", g, TOL_F64,
                     need_not_ones=True)
        check_absent(ck, f"C3 RMSNorm f64 g={g} ({n_rms}/{n_rms} ABSENT)",
                     runs, LINEUP_RMS, "f64", g)
        rows = [runs[(a, "bf16", g)] for a in LINEUP_LN]
        parts = []
        for r in rows:
            s = f"{r['arch']} {r['verdict']} 1-|cos|={one_minus_cos(r):.2e} dead={r['dead']}"
            if r.get("warning"):
                s += " (warning)"
            parts.append(s)
        n4 = sum(1 for r in rows if one_minus_cos(r) <= TOL_BF16)
        ck.info(f"bf16 g={g}, line-up LayerNorm (reported, not gated)",
                f"{n4}/{n_ln} with 1-|cos| <= 1e-4; " + "; ".join(parts))
        rows = [runs[(a, "bf16", g)] for a in LINEUP_RMS]
        ck.info(f"bf16 g={g}, line-up RMSNorm (reported, not gated)",
                f"{sum(r['verdict'] == 'ABSENT' for r in rows)}/{n_rms} ABSENT")

    # C6: the class from the parameters alone, every setting of every line-up family
    def c6(archs):
        bad = []
        for a in archs:
            for p in PRECISIONS:
                for g in gammas:
                    r = runs[(a, p, g)]
                    if inferred_class(r) != TRUE_CLASS[a]:
                        bad.append(f"{a} {setting_name(p, g)}: {inferred_class(r)}")
        ok = len({b.split()[0] for b in bad})
        return len(archs) - ok, bad
    good, bad = c6(LINEUP)
    ck.gate(f"C6 class from parameters ({len(LINEUP)}/{len(LINEUP)} line-up families,"
            f" all {len(PRECISIONS) * len(gammas)} settings each)", not bad,
            f"{good}/{len(LINEUP)} right (predicted_k >= 1 -> LN-like, 0 -> RMS-like)"
            + ("; wrong: " + ", ".join(bad) if bad else ""))
    good, bad = c6(EXTRAS)
    ck.info(f"C6 extras ({', '.join(f'{a} {TRUE_CLASS[a]}' for a in EXTRAS)})",
            f"{good}/{len(EXTRAS)} right" + ("; wrong: " + ", ".join(bad) if bad else ""))

    # C5: reported with a factor-10 band, not gated
    for p in PRECISIONS:
        rows = [runs[(a, p, g1)] for a in LINEUP]
        inside, outside = 0, []
        for r in rows:
            vals = r["ratio"]
            if all(x is not None and C5_BAND[0] <= x <= C5_BAND[1] for x in vals):
                inside += 1
            else:
                outside.append(r["arch"] + " [" + ", ".join(
                    "undef" if x is None else fmt(x, ".3g") for x in vals) + "]")
        ck.info(f"C5 {p} g=1: every block-to-block sigma_min ratio in"
                f" [{C5_BAND[0]:g}, {C5_BAND[1]:g}]",
                f"{inside}/{len(rows)} line-up rows"
                + ("; outside: " + "; ".join(outside) if outside else ""))

    # C5 sharpened: one verdict per family, with its reason (README, "C5")
    for p in PRECISIONS:
        for g in gammas:
            rows = [runs[(a, p, g)] for a in ARCHS]
            dead = [r["arch"] for r in rows if r["c5_verdict"][0] == "DEAD" and r["arch"] in LINEUP]
            counts = {}
            for r in rows:
                counts.setdefault(r["c5_verdict"][0], []).append(r["arch"])
            detail = "; ".join(f"{v} {len(a)}: {' '.join(a)}" for v, a in sorted(counts.items()))
            if p == "f64" and g == g1:
                ck.gate(f"C5 f64 g=1: no line-up family loses a direction at a block (DEAD)",
                        not dead, detail + ("; DEAD: " + " ".join(dead) if dead else ""))
            else:
                ck.info(f"C5 verdicts {setting_name(p, g)}", detail)
    for r in (runs[(a, "f64", g1)] for a in ARCHS):
        if r["c5_verdict"][0] != "PRESERVED":
            ck.info(f"C5 {r['arch']} f64 g=1", f"{r['c5_verdict'][0]}: {r['c5_verdict'][1]}")

    warned = [f"{r['arch']} {setting_name(r['precision'], r['gamma'])}"
              for r in ordered(runs, gammas) if r.get("warning")]
    ck.info("runs with a warning", ", ".join(warned) if warned else "none")
    return ck


# ---------------------------------------------------------------- C4: the gain-spread law

def law_checks(ck, law_dir, out):
    """C4's law from the committed results of experiments/gain_law (law_dir): the fitted
    slope's sign and the spread for 10^3, checked against runs redone here (OUT/law_json),
    and whether the training runs fall on the init-time law. Returns markdown lines."""
    def fnum(x):
        try:
            return float(x)
        except (TypeError, ValueError):
            return math.nan
    models = [(name, os.path.join(law_dir, sub)) for name, sub in
              (("d128 L4 grid", ""), ("long-run model d64 L2", "long_model"))
              if os.path.isfile(os.path.join(law_dir, sub, "law_fit.json"))]
    if not models:
        ck.gate("C4 law: committed results", False, f"no law_fit.json in {law_dir}")
        return []
    md = ["## C4: the gain-spread law (experiments/gain_law/results)", "",
          "| grid | prec | power-law slope b (se) | s for 1e3 (power law) | law ln D = a s + b s^2: beta (se) | s for 1e2 / 1e3 / 1e4 |",
          "|---|---|---|---|---|---|"]
    for name, d in models:
        fits = json.load(open(os.path.join(d, "law_fit.json")))["fits"]
        ok, parts = True, []
        for prec in ("bf16", "f16"):
            f = fits.get(prec)
            if not f:
                ok = False
                parts.append(f"{prec} missing")
                continue
            q = f["quad"]
            good = f["slope"] > 0 and q["beta"] > 0 and math.isfinite(q["s_for_1e3"])
            ok = ok and good
            parts.append(f"{prec} slope {f['slope']:+.2f} +- {f['se_slope']:.2f}, s(1e3) {q['s_for_1e3']:.2f} "
                         f"[{q['s_for_1e3_boot68'][0]:.2f}, {q['s_for_1e3_boot68'][1]:.2f}]")
            md.append(f"| {name} | {prec} | {f['slope']:.2f} ({f['se_slope']:.2f}) | {f['s_for_1e3']:.2f} | "
                      f"{q['beta']:.2f} ({q['se_beta']:.2f}) | {q['s_for_1e2']:.2f} / {q['s_for_1e3']:.2f} / "
                      f"{q['s_for_1e4']:.2f} |")
        ck.gate(f"C4 law, {name}: D grows with the gain spread (slope > 0) and reaches 1e3",
                ok, "; ".join(parts))
    # the committed numbers come from this normsim: runs redone here must match them
    committed = {}
    with open(os.path.join(law_dir, "law_runs.csv")) as fh:
        for r in csv.DictReader(fh):
            committed[(r["arch"], r["prec"], float(r["S"]), int(r["seed"]))] = r
    jdir, redone, bad = os.path.join(out, "law_json"), 0, []
    for name in sorted(os.listdir(jdir)) if os.path.isdir(jdir) else []:
        arch, prec, S, seed = name[:-5].split("_")
        key = (arch, prec, float(S[1:]), int(seed[4:]))
        r = json.load(open(os.path.join(jdir, name)))["runs"][0]
        c = committed.get(key)
        F = abs(r["rayleigh_rel"])
        if c is None or abs(F - float(c["F"])) > 1e-8 * F or abs(r["g_logstd"] - float(c["s"])) > 1e-8:
            bad.append(f"{name}: F {F:.10g} vs {c['F'] if c else 'none'}")
        redone += 1
    ck.gate("C4 law: committed grid runs reproduce with this normsim", redone > 0 and not bad,
            f"{redone - len(bad)}/{redone} redone runs match law_runs.csv to 1e-8" +
            ("; " + "; ".join(bad) if bad else ""))
    # training points against the init-time law
    md += ["", "| grid | run | prec | tracked steps within 2 sigma | s at end | log10 D train / law at end | verdict |",
           "|---|---|---|---|---|---|---|"]
    agree_all, lines = True, []
    for name, d in models:
        path = os.path.join(d, "law_train.csv")
        if not os.path.isfile(path):
            continue
        rows = [r for r in csv.DictReader(open(path)) if int(r["step"]) > 0 and r["agree"]]
        for run, prec in sorted({(r["run"], r["precision"]) for r in rows}):
            t = [r for r in rows if (r["run"], r["precision"]) == (run, prec)]
            n_ok, e = sum(r["agree"] == "yes" for r in t), t[-1]
            verdict = "AGREE" if n_ok == len(t) else "DO NOT AGREE"
            agree_all = agree_all and n_ok == len(t)
            lines.append(f"{run} {prec} {n_ok}/{len(t)}")
            md.append(f"| {name} | {run} | {prec} | {n_ok}/{len(t)} | {fnum(e['s']):.3f} | "
                      f"{fnum(e['log10_D_train']):.2f} / {fnum(e['log10_D_law']):.2f} +- {fnum(e['sigma']):.2f} | {verdict} |")
    msg = "tracked steps within 2 sigma of the init-time law of their family and precision: " + ", ".join(lines)
    if agree_all:
        ck.gate("C4 law vs training: training points fall on the init-time law", True, msg)
    else:
        ck.info("C4 law vs training: training points and the init-time law DO NOT AGREE (see the table)", msg)
    return md + [""]


# ---------------------------------------------------------------- plot data

def write_plotdata(out, runs, gammas):
    pdir = os.path.join(out, "plotdata")
    os.makedirs(pdir, exist_ok=True)
    settings = [(p, g) for g in gammas for p in PRECISIONS]
    titles = [setting_name(p, g) for p, g in settings]

    def clamp(x, floor):
        return max(abs(x), floor) if x is not None else float("nan")

    for a in ARCHS:
        rs = [runs[(a, p, g)] for p, g in settings]
        d = rs[0]["d"]
        lines = ["# index " + " ".join(f'"{t}"' for t in titles),
                 f"# max(|lambda_i| / lambda_max, {EIG_FLOOR:g}), ascending"]
        for i in range(d):
            lines.append(f"{i + 1} " + " ".join(
                f"{clamp(r['eigenvalues'][i] / r['lambda_max'], EIG_FLOOR):.6e}"
                for r in rs))
        write_atomic(os.path.join(pdir, f"spectrum_{a}.dat"), "\n".join(lines) + "\n")
        r0 = rs[0]
        v = [f'arch = "{a}"', f'norm = "{r0["norm"]}"', f"d = {d}",
             f"layers = {r0['layers']}", f"tokens = {r0['tokens']}",
             f'data = "{r0["data"]}"', f"has_k = {1 if r0['predicted_k'] >= 1 else 0}",
             f"nset = {len(settings)}"]
        for i, (r, t) in enumerate(zip(rs, titles), 1):
            rq = r["rayleigh_rel"]
            v.append(f"rq{i} = {clamp(rq, EIG_FLOOR) if rq is not None else 0:.6e}")
            v.append(f'title{i} = "{t}"')
            v.append(f"thr{i} = {r['threshold']:.6e}")
            v.append(f"dead{i} = {r['dead']}")
        write_atomic(os.path.join(pdir, f"spectrum_{a}.vars"), "\n".join(v) + "\n")

    # sigma_min by block boundary, one column per archetype, one file per setting
    lmax = max(r["layers"] for r in runs.values())
    for p, g in settings:
        lines = ["# block " + " ".join(ARCHS),
                 f"# sigma_min of centred resid.<l>, max(., {SIGMA_FLOOR:g}); NaN: no block"]
        for l in range(lmax + 1):
            cells = []
            for a in ARCHS:
                s = runs[(a, p, g)]["sigma_min"]
                cells.append(f"{clamp(s[l], SIGMA_FLOOR):.6e}" if l < len(s) else "NaN")
            lines.append(f"{l} " + " ".join(cells))
        write_atomic(os.path.join(pdir, f"sigma_min_{p}_{gamma_tag(g)}.dat"),
                     "\n".join(lines) + "\n")

    # 1 - |cos| per archetype with a predicted kernel, one column per setting
    ks = [a for a in ARCHS if runs[(a, "f64", "ones")]["predicted_k"] >= 1]
    lines = ["# i arch " + " ".join(f'"{t}"' for t in titles),
             f"# max(1 - |cos(p, v)|, {COS_FLOOR:g})"]
    for i, a in enumerate(ks):
        lines.append(f"{i} {a} " + " ".join(
            f"{max(one_minus_cos(runs[(a, p, g)]), COS_FLOOR):.6e}" for p, g in settings))
    write_atomic(os.path.join(pdir, "cos.dat"), "\n".join(lines) + "\n")
    write_atomic(os.path.join(pdir, "settings.txt"),
                 "\n".join(titles) + "\n")
    # last: run.sh takes this file as "plot data complete"
    write_atomic(os.path.join(pdir, "archs.txt"), " ".join(ARCHS) + "\n")


def main():
    if len(sys.argv) != 2:
        die("usage: table.py OUT")
    out = sys.argv[1]
    runs, gammas = load(out)
    try:
        os.remove(os.path.join(out, "plotdata", "archs.txt"))
    except FileNotFoundError:
        pass
    write_csv(out, runs, gammas)
    ck = run_checks(runs, gammas)
    law_md = law_checks(ck, os.environ["LAW_RESULTS"], out) if os.environ.get("LAW_RESULTS") else []

    any_r = next(iter(runs.values()))
    md = ["# normsim: the paper's claims at random initialisation", "",
          f"Generated by paper-repro/run.sh (normsim diagnose, seed {any_r['seed']});"
          " columns in paper-repro/README.md. `p'Cp/λmax` is the predicted direction's"
          " Rayleigh quotient relative to λmax (rounding can make it a tiny negative);"
          " `cos(p,1)` is |cos(p, 1/sqrt(d))|; σmin is the smallest singular value of"
          " the centred residual stream at each block boundary; ⚠ marks a run with a"
          " warning (see init_table.csv).", ""]
    for g in gammas:
        for p in PRECISIONS:
            rows = [runs[(a, p, g)] for a in ARCHS]
            md += [f"## {setting_name(p, g)} (threshold {rows[0]['threshold']:.3g})", "",
                   md_table(rows), ""]
    md += law_md
    tables = "\n".join(md)
    summary = f"repro: {ck.passed} passed, {ck.failed} failed"
    md += ["## Checks", "", "```"] + ck.lines + [summary, "```", ""]
    write_atomic(os.path.join(out, "init_table.md"), "\n".join(md))
    write_plotdata(out, runs, gammas)

    sys.stdout.write(tables)
    for line in ck.lines:
        print(line)
    print(summary)
    sys.exit(1 if ck.failed else 0)


if __name__ == "__main__":
    main()
