#!/usr/bin/python3
"""The gain-spread law of C4's deepening (experiments/gain_law/run.sh; issue 16).

usage: law.py OUT [LABEL=ARCH=TRACK.csv ...]

Reads OUT/json/<arch>_<prec>_s<S>_seed<n>.json (normsim diagnose at init with
g = exp(S z)) and, optionally, training runs' track.csv files (LABEL names the run, ARCH
the family of OUT's grid it is compared with). Writes into OUT:

  law_points.csv  one row per family x precision x S: the measured spread s = std(log g)
                  of the final norm, the floor F = |p'Cp|/lambda_max (LN families; for the
                  RMS control, which predicts no kernel, lambda_min/lambda_max), the
                  deepening factor D = F(s = 0) / F(s) (paired by seed: the same weights),
                  lambda_2/lambda_max and the dead count; means and standard deviations
                  over seeds (log10 quantities)
  law_runs.csv    one row per run (the grid's raw numbers: paper-repro checks them)
  law_fit.json    per precision, the fit log10 D = a + b log10 s over the LN families and
                  seeds with S >= FIT_MIN (standard errors and a bootstrap over
                  (family, seed) units), the spread it needs for D = 1e2, 1e3, 1e4, and the
                  same spreads read off the grid itself (interpolation, per family)
  law_train.csv   every tracked step of every training run: (s, D_train = F(step 0) /
                  F(step)) against the init-time law of the same family and precision at
                  that s (interpolated in s between the grid means; sigma: the seeds'
                  standard deviation there), z = (log10 D_train - log10 D_law) / sigma
  law.md          the tables and the statements, printed too
  plotdata/       the .dat files plots/gain_law.gp reads

Exit 0, or 2 on missing/bad input. Python 3 standard library only.
"""
import csv
import glob
import json
import math
import os
import random
import re
import sys

FIT_MIN = 0.1          # the fit uses S >= this (below, D is 1 within the seeds' scatter)
TARGETS = (2, 3, 4)    # log10 D the law is asked for
Z_AGREE = 2.0          # a training point agrees with the init law when |z| <= this
RMS = {"llama", "mistral", "qwen2", "gemma", "t5", "olmo2", "gemma4"}


def mean(v):
    return sum(v) / len(v) if v else math.nan


def std(v):
    if len(v) < 2:
        return 0.0 if v else math.nan
    m = mean(v)
    return math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))


def floor_of(r):
    """|p'Cp|/lambda_max, or lambda_min/lambda_max when no kernel is predicted"""
    if r.get("rayleigh_rel") is not None and r.get("predicted_k", 0) > 0:
        return abs(r["rayleigh_rel"])
    return abs(r["lambda_min"]) / r["lambda_max"]


def load_grid(out):
    runs = []
    pat = re.compile(r"^(.+)_(f64|f32|bf16|f16)_s([0-9.]+)_seed(\d+)\.json$")
    for f in sorted(glob.glob(os.path.join(out, "json", "*.json"))):
        m = pat.match(os.path.basename(f))
        if not m:
            continue
        try:
            r = json.load(open(f))["runs"][0]
        except (OSError, ValueError, KeyError, IndexError) as ex:
            sys.exit("law.py: %s: %s" % (f, ex))
        runs.append({"arch": m.group(1), "prec": m.group(2), "S": float(m.group(3)),
                     "seed": int(m.group(4)), "s": r.get("g_logstd") or 0.0,
                     "F": floor_of(r), "lam2": r["lambda_2"] / r["lambda_max"],
                     "dead": r["dead"], "verdict": r["verdict"]})
    if not runs:
        sys.exit("law.py: no runs in %s/json" % out)
    base = {(r["arch"], r["prec"], r["seed"]): r["F"] for r in runs if r["S"] == 0}
    for r in runs:
        f0 = base.get((r["arch"], r["prec"], r["seed"]))
        r["lD"] = math.log10(f0 / r["F"]) if f0 and r["F"] > 0 else math.nan
    return runs


def points(runs):
    """per (arch, prec, S): means and standard deviations over seeds"""
    groups = {}
    for r in runs:
        groups.setdefault((r["arch"], r["prec"], r["S"]), []).append(r)
    pts = []
    for (arch, prec, S), g in sorted(groups.items()):
        lf = [math.log10(r["F"]) for r in g if r["F"] > 0]
        lD = [r["lD"] for r in g if not math.isnan(r["lD"])]
        pts.append({"arch": arch, "prec": prec, "S": S, "n": len(g),
                    "s": mean([r["s"] for r in g]), "s_sd": std([r["s"] for r in g]),
                    "lF": mean(lf), "lF_sd": std(lf), "lD": mean(lD), "lD_sd": std(lD),
                    "lam2": 10 ** mean([math.log10(max(abs(r["lam2"]), 1e-300)) for r in g]),
                    "dead": mean([r["dead"] for r in g]),
                    "dead_min": min(r["dead"] for r in g), "dead_max": max(r["dead"] for r in g),
                    "rms": arch in RMS})
    return pts


def ols(xy):
    """least squares y = a + b x: (a, b, se_a, se_b, rms residual)"""
    n = len(xy)
    mx, my = mean([x for x, _ in xy]), mean([y for _, y in xy])
    sxx = sum((x - mx) ** 2 for x, _ in xy)
    b = sum((x - mx) * (y - my) for x, y in xy) / sxx
    a = my - b * mx
    res = [y - a - b * x for x, y in xy]
    s2 = sum(e * e for e in res) / max(n - 2, 1)
    return a, b, math.sqrt(s2 * (1 / n + mx * mx / sxx)), math.sqrt(s2 / sxx), math.sqrt(s2)


def quad(xy):
    """least squares through the origin y = al x + be x^2: (al, be, se_al, se_be, rms)"""
    s11 = sum(x * x for x, _ in xy)
    s12 = sum(x ** 3 for x, _ in xy)
    s22 = sum(x ** 4 for x, _ in xy)
    t1 = sum(x * y for x, y in xy)
    t2 = sum(x * x * y for x, y in xy)
    det = s11 * s22 - s12 * s12
    al, be = (s22 * t1 - s12 * t2) / det, (s11 * t2 - s12 * t1) / det
    res = [y - al * x - be * x * x for x, y in xy]
    s2 = sum(e * e for e in res) / max(len(xy) - 2, 1)
    return al, be, math.sqrt(s2 * s22 / det), math.sqrt(s2 * s11 / det), math.sqrt(s2)


def s_quad(al, be, k):
    """the s > 0 with al s + be s^2 = k ln 10"""
    c = k * math.log(10)
    if be == 0:
        return c / al if al > 0 else math.nan
    disc = al * al + 4 * be * c
    return (-al + math.sqrt(disc)) / (2 * be) if disc >= 0 else math.nan


def s_for(a, b, k):
    return 10 ** ((k - a) / b) if b > 0 else math.nan


def pct(v, q):
    v = sorted(x for x in v if not math.isnan(x))
    if not v:
        return math.nan
    i = min(len(v) - 1, max(0, int(round(q * (len(v) - 1)))))
    return v[i]


def interp_s(pts_f, k):
    """the s where the grid's mean log10 D first reaches k (linear in log s), or nan"""
    p = sorted((q for q in pts_f if q["S"] > 0), key=lambda q: q["s"])
    for lo, hi in zip(p, p[1:]):
        if lo["lD"] < k <= hi["lD"]:
            t = (k - lo["lD"]) / (hi["lD"] - lo["lD"])
            return 10 ** (math.log10(lo["s"]) + t * (math.log10(hi["s"]) - math.log10(lo["s"])))
    return math.nan


def fit(runs, pts, prec):
    units = sorted({(r["arch"], r["seed"]) for r in runs if r["prec"] == prec and r["arch"] not in RMS})
    data = {u: [(math.log10(r["s"]), r["lD"]) for r in runs
                if (r["arch"], r["seed"]) == u and r["prec"] == prec and r["S"] >= FIT_MIN
                and r["s"] > 0 and not math.isnan(r["lD"])] for u in units}
    xy = [p for u in units for p in data[u]]
    if len(xy) < 3:
        return None
    a, b, se_a, se_b, rms = ols(xy)
    rng = random.Random(16)
    boot = []
    for _ in range(400):
        sample = [p for _ in units for p in data[rng.choice(units)]]
        if len({x for x, _ in sample}) > 1:
            boot.append(ols(sample)[:2])
    f = {"precision": prec, "n_points": len(xy), "families": sorted({u[0] for u in units}),
         "fit_range": "S >= %g" % FIT_MIN, "intercept": a, "slope": b, "se_intercept": se_a,
         "se_slope": se_b, "rms_residual": rms,
         "slope_boot68": [pct([x[1] for x in boot], 0.16), pct([x[1] for x in boot], 0.84)]}
    for k in TARGETS:
        sb = [s_for(x[0], x[1], k) for x in boot]
        f["s_for_1e%d" % k] = s_for(a, b, k)
        f["s_for_1e%d_boot68" % k] = [pct(sb, 0.16), pct(sb, 0.84)]
        f["s_for_1e%d_grid" % k] = {q["arch"]: interp_s([p for p in pts if p["arch"] == q["arch"]
                                                         and p["prec"] == prec], k)
                                    for q in pts if q["prec"] == prec and not q["rms"] and q["S"] == 0}
    # ln D = al s + be s^2 over every S > 0 (D(0) = 1 by construction; see law.md)
    qd = {u: [(r["s"], r["lD"] * math.log(10)) for r in runs
              if (r["arch"], r["seed"]) == u and r["prec"] == prec and r["S"] > 0
              and not math.isnan(r["lD"])] for u in units}
    qxy = [p for u in units for p in qd[u]]
    al, be, se_al, se_be, qrms = quad(qxy)
    qboot = [quad([p for _ in units for p in qd[rng.choice(units)]])[:2] for _ in range(400)]
    f["quad"] = {"alpha": al, "beta": be, "se_alpha": se_al, "se_beta": se_be,
                 "rms_residual_ln": qrms, "n_points": len(qxy),
                 "beta_boot68": [pct([x[1] for x in qboot], 0.16), pct([x[1] for x in qboot], 0.84)]}
    for k in TARGETS:
        sb = [s_quad(x[0], x[1], k) for x in qboot]
        f["quad"]["s_for_1e%d" % k] = s_quad(al, be, k)
        f["quad"]["s_for_1e%d_boot68" % k] = [pct(sb, 0.16), pct(sb, 0.84)]
    # curvature: the same fit on the lower and upper halves of the range
    lo = [p for p in xy if p[0] <= math.log10(0.5) + 1e-9]
    hi = [p for p in xy if p[0] >= math.log10(0.5) - 1e-9]
    f["slope_low"] = ols(lo)[1] if len({x for x, _ in lo}) > 1 else math.nan
    f["slope_high"] = ols(hi)[1] if len({x for x, _ in hi}) > 1 else math.nan
    return f


def law_at(pts, arch, prec, s):
    """the grid's mean log10 D and seed sd at spread s (linear in s between grid means)"""
    p = sorted((q for q in pts if q["arch"] == arch and q["prec"] == prec), key=lambda q: q["s"])
    if not p or s < p[0]["s"] or s > p[-1]["s"]:
        return math.nan, math.nan
    for lo, hi in zip(p, p[1:]):
        if lo["s"] <= s <= hi["s"]:
            t = (s - lo["s"]) / (hi["s"] - lo["s"]) if hi["s"] > lo["s"] else 0.0
            return lo["lD"] + t * (hi["lD"] - lo["lD"]), lo["lD_sd"] + t * (hi["lD_sd"] - lo["lD_sd"])
    return p[-1]["lD"], p[-1]["lD_sd"]


def trajectories(pts, specs):
    rows = []
    for spec in specs:
        try:
            label, arch, path = spec.split("=", 2)
            track = list(csv.DictReader(open(path)))
        except (ValueError, OSError) as ex:
            sys.exit("law.py: track spec %r: %s" % (spec, ex))
        for prec in ("bf16", "f16", "f32"):
            t = [r for r in track if r["precision"] == prec]
            if not t:
                continue
            f0 = abs(float(t[0]["rayleigh_rel"]))
            for r in t:
                F, s = abs(float(r["rayleigh_rel"])), float(r["g_logstd"])
                lD = math.log10(f0 / F) if F > 0 and f0 > 0 else math.nan
                law, sd = law_at(pts, arch, prec, s)
                # sigma: the init-time seeds' scatter, at least the scatter of the step-0 floor
                sig = max(sd, 0.05) if not math.isnan(sd) else math.nan
                z = (lD - law) / sig if not math.isnan(law) else math.nan
                rows.append({"run": label, "arch": arch, "precision": prec, "step": int(r["step"]),
                             "s": s, "floor": F, "log10_D_train": lD, "log10_D_law": law,
                             "sigma": sig, "z": z, "agree": "" if math.isnan(z) else
                             ("yes" if abs(z) <= Z_AGREE else "no")})
    return rows


def g(v, f="%.3g"):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f % v


def write_csv(path, rows, cols, num="%.6g"):
    with open(path + ".tmp", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([num % r[c] if isinstance(r[c], float) else r[c] for c in cols])
    os.replace(path + ".tmp", path)


def plotdata(out, pts, fits, trows):
    pd = os.path.join(out, "plotdata")
    os.makedirs(pd, exist_ok=True)
    for p in pts:  # one file per family x precision: s, D, D's error bar (factor)
        if p["S"] == 0:
            continue
        fn = os.path.join(pd, "pts_%s_%s.dat" % (p["prec"], p["arch"]))
        mode = "a" if os.path.exists(fn + ".part") else "w"
        with open(fn + ".part", mode) as fh:
            fh.write("%.6g %.6g %.6g %.6g\n" % (p["s"], 10 ** p["lD"], p["s_sd"], p["lD_sd"]))
    for fn in glob.glob(os.path.join(pd, "*.part")):
        os.replace(fn, fn[:-5])
    for prec, f in fits.items():
        with open(os.path.join(pd, "fit_%s.dat" % prec), "w") as fh:
            for i in range(61):
                s = 10 ** (math.log10(0.01) + i / 60 * (math.log10(2.2) - math.log10(0.01)))
                q = f["quad"]
                fh.write("%.6g %.6g %.6g\n" % (s, 10 ** (f["intercept"] + f["slope"] * math.log10(s)),
                                               math.exp(q["alpha"] * s + q["beta"] * s * s)))
    runs = sorted({(r["run"], r["precision"]) for r in trows})
    for run, prec in runs:
        with open(os.path.join(pd, "train_%s_%s.dat" % (run, prec)), "w") as fh:
            for r in trows:
                if (r["run"], r["precision"]) == (run, prec) and r["step"] > 0:
                    fh.write("%.6g %.6g %d\n" % (r["s"], 10 ** r["log10_D_train"], r["step"]))
    with open(os.path.join(pd, "gain_law.vars"), "w") as fh:
        fh.write("precs = \"%s\"\n" % " ".join(sorted({p["prec"] for p in pts})))
        fh.write("archs = \"%s\"\n" % " ".join(sorted({p["arch"] for p in pts})))
        fh.write("runs = \"%s\"\n" % " ".join("%s_%s" % x for x in runs))


def report(pts, fits, trows):
    L = ["# The gain-spread law of C4's deepening (init-time grid)", "",
         "D = F(s=0)/F(s), F = |p'Cp|/lambda_max (RMS control: lambda_min/lambda_max, no kernel "
         "predicted); s = std(log g) of the final norm, measured; means +- sd over seeds.", "",
         "| family | prec | S | s | log10 F | log10 D | lambda_2/lambda_max | dead (min-max) |",
         "|---|---|---|---|---|---|---|---|"]
    for p in pts:
        L.append("| %s | %s | %g | %.3f | %s +- %s | %s +- %s | %s | %s (%d-%d) |" % (
            p["arch"] + (" (RMS)" if p["rms"] else ""), p["prec"], p["S"], p["s"],
            g(p["lF"], "%.2f"), g(p["lF_sd"], "%.2f"), g(p["lD"], "%.2f"), g(p["lD_sd"], "%.2f"),
            g(p["lam2"]), g(p["dead"], "%.1f"), p["dead_min"], p["dead_max"]))
    L += ["", "## The fit log10 D = a + b log10 s (LN families, every seed, %s)" % ("S >= %g" % FIT_MIN), "",
          "| prec | points | slope b (se; bootstrap 68%) | intercept a (se) | rms resid | slope S<=0.5 / S>=0.5 | s for 1e2 | 1e3 (bootstrap 68%) | 1e4 |",
          "|---|---|---|---|---|---|---|---|---|"]
    for prec, f in sorted(fits.items()):
        L.append("| %s | %d | %.2f (%.2f; %.2f-%.2f) | %.2f (%.2f) | %.2f | %.2f / %.2f | %.2f | %.2f (%.2f-%.2f) | %.2f |" % (
            prec, f["n_points"], f["slope"], f["se_slope"], f["slope_boot68"][0], f["slope_boot68"][1],
            f["intercept"], f["se_intercept"], f["rms_residual"], f["slope_low"], f["slope_high"],
            f["s_for_1e2"], f["s_for_1e3"], f["s_for_1e3_boot68"][0], f["s_for_1e3_boot68"][1],
            f["s_for_1e4"]))
    L += ["", "## The law ln D = alpha s + beta s^2 (LN families, every seed, every S > 0)", "",
          "| prec | points | alpha (se) | beta (se; bootstrap 68%) | rms resid (log10) | s for 1e2 | 1e3 (bootstrap 68%) | 1e4 |",
          "|---|---|---|---|---|---|---|---|"]
    for prec, f in sorted(fits.items()):
        q = f["quad"]
        L.append("| %s | %d | %.2f (%.2f) | %.2f (%.2f; %.2f-%.2f) | %.2f | %.2f | %.2f (%.2f-%.2f) | %.2f |" % (
            prec, q["n_points"], q["alpha"], q["se_alpha"], q["beta"], q["se_beta"],
            q["beta_boot68"][0], q["beta_boot68"][1], q["rms_residual_ln"] / math.log(10),
            q["s_for_1e2"], q["s_for_1e3"], q["s_for_1e3_boot68"][0], q["s_for_1e3_boot68"][1],
            q["s_for_1e4"]))
    L += ["", "Read off the grid (no fit), the spread where the mean D first reaches 10^3:", ""]
    for prec, f in sorted(fits.items()):
        L.append("- %s: %s" % (prec, ", ".join("%s %s" % (a, g(v, "%.2f")) for a, v in
                                               sorted(f["s_for_1e3_grid"].items()))))
    if trows:
        L += ["", "## Training runs against the init-time law (same family and precision)", "",
              "| run | prec | tracked steps | s at end | log10 D train at end | law at that s | agree (|z| <= %g) | max |z| |" % Z_AGREE,
              "|---|---|---|---|---|---|---|---|"]
        for run, prec in sorted({(r["run"], r["precision"]) for r in trows}):
            t = [r for r in trows if (r["run"], r["precision"]) == (run, prec) and r["step"] > 0]
            ok = [r for r in t if r["agree"]]
            e = t[-1]
            L.append("| %s | %s | %d | %.3f | %.2f | %s +- %s | %d/%d | %s |" % (
                run, prec, len(t), e["s"], e["log10_D_train"], g(e["log10_D_law"], "%.2f"),
                g(e["sigma"], "%.2f"), sum(r["agree"] == "yes" for r in ok), len(ok),
                g(max((abs(r["z"]) for r in ok), default=math.nan), "%.1f")))
    return "\n".join(L) + "\n"


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[1]
    runs = load_grid(out)
    pts = points(runs)
    fits = {}
    for prec in sorted({r["prec"] for r in runs}):
        f = fit(runs, pts, prec)
        if f:
            fits[prec] = f
    trows = trajectories(pts, argv[2:])
    write_csv(os.path.join(out, "law_points.csv"), pts,
              ["arch", "prec", "S", "n", "s", "s_sd", "lF", "lF_sd", "lD", "lD_sd", "lam2",
               "dead", "dead_min", "dead_max"])
    write_csv(os.path.join(out, "law_runs.csv"), runs,
              ["arch", "prec", "S", "seed", "s", "F", "lam2", "dead", "verdict", "lD"], "%.10g")
    write_csv(os.path.join(out, "law_train.csv"), trows,
              ["run", "arch", "precision", "step", "s", "floor", "log10_D_train", "log10_D_law",
               "sigma", "z", "agree"])
    with open(os.path.join(out, "law_fit.json.tmp"), "w") as fh:
        json.dump({"fits": fits, "z_agree": Z_AGREE}, fh, indent=1, allow_nan=True)
    os.replace(os.path.join(out, "law_fit.json.tmp"), os.path.join(out, "law_fit.json"))
    plotdata(out, pts, fits, trows)
    md = report(pts, fits, trows)
    with open(os.path.join(out, "law.md.tmp"), "w") as fh:
        fh.write(md)
    os.replace(os.path.join(out, "law.md.tmp"), os.path.join(out, "law.md"))
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
