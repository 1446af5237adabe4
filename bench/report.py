"""report.py - the table of `make bench` from the key=value outputs of bench_forward
(main size, big size, profiled forward) and bench_torch.py; also writes it as CSV with
columns section, metric, tokens, normsim, torch, ratio, ratio_load_normalised, status."""
import argparse
import csv
import sys

FRAC_MIN = 0.85   # forward GFLOP/s over dgemm's (issue 15)
RSS_GROWTH = 10.0  # percent, big size over main size
DIAG_MIN = 1.3     # the diagnostic's speed-up over PyTorch float64 (issue 15)


def load(path):
    d = {}
    try:
        with open(path) as f:
            for line in f:
                k, sep, v = line.strip().partition("=")
                if sep:
                    d[k] = v
    except FileNotFoundError:
        pass
    return d


def num(d, k):
    try:
        return float(d[k])
    except (KeyError, ValueError):
        return None


def fmt(v, spec):
    return "" if v is None else format(v, spec)


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0.0) else None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for k in ("small", "big", "profile", "torch", "csv"):
        p.add_argument("--" + k, required=True)
    a = p.parse_args()
    S, B, P, T = load(a.small), load(a.big), load(a.profile), load(a.torch)
    if "forward_s" not in S or "peak_rss_kib" not in B:
        sys.exit("bench: missing results (see bench/out/*.txt)")
    rows = []  # section, metric, tokens, normsim, torch, ratio, load-normalised ratio, status, spec

    def row(section, metric, tokens, ns, th=None, status="", spec=".3f", r=True, norm=None):
        rows.append((section, metric, tokens, ns, th, ratio(ns, th) if r else None, norm, status,
                     spec))

    # Load-normalised work: seconds x the GFLOP/s of the reference dgemm run next to them,
    # i.e. seconds in units of "what a dgemm would have done meanwhile"; the forward's is
    # its GFLOP over its median forward/dgemm fraction. Their normsim/torch ratio holds
    # when the two processes saw different load.
    def work(d, phase):
        if phase == "forward":
            return ratio(num(d, "forward_gflop"), num(d, "forward_frac_dgemm"))
        s_, g = num(d, phase + "_s"), num(d, "cov_dgemm_inter_gflops")
        return None if None in (s_, g) else s_ * g

    wk = {ph: ratio(work(S, ph), work(T, ph)) for ph in ("forward", "cov", "eig")}
    w_s = [work(S, ph) for ph in ("forward", "cov", "eig")]
    w_t = [work(T, ph) for ph in ("forward", "cov", "eig")]
    wk["total"] = ratio(sum(w_s), sum(w_t)) if None not in w_s + w_t else None

    n, nb = S["tokens"], B["tokens"]
    # speed, main size, side by side
    sec = "speed"
    row(sec, "forward (s)", n, num(S, "forward_s"), num(T, "forward_s"), norm=wk["forward"])
    row(sec, f"covariance, {S.get('cov_taps', '?')} taps (s)", n, num(S, "cov_s"), num(T, "cov_s"),
        norm=wk["cov"])
    row(sec, f"eigensolves, {S.get('cov_taps', '?')} of d x d (s)", n, num(S, "eig_s"),
        num(T, "eig_s"), norm=wk["eig"])
    tot = [sum(x) if None not in x else None for x in
           ([num(S, "forward_s"), num(S, "cov_s"), num(S, "eig_s")],
            [num(T, "forward_s"), num(T, "cov_s"), num(T, "eig_s")])]
    sp = ratio(tot[1], tot[0])  # PyTorch's seconds over normsim's
    row(sec, f"diagnostic = forward + covariance + eig (s; aim torch/ns >= {DIAG_MIN})", n, tot[0],
        tot[1], "" if sp is None else ("PASS" if sp >= DIAG_MIN else "WARN") + f" ({sp:.2f}x)",
        norm=wk["total"])
    row(sec, "forward GFLOP/s", n, num(S, "forward_gflops"), num(T, "forward_gflops"), spec=".1f")
    row(sec, f"dgemm {S.get('dgemm_inter_shape', '')} next to each batch, GFLOP/s", n,
        num(S, "dgemm_inter_gflops"), num(T, "dgemm_inter_gflops"), spec=".1f")
    fr = num(S, "forward_frac_dgemm")
    st = "" if fr is None else ("PASS" if fr >= FRAC_MIN else "WARN")
    row(sec, f"forward / dgemm, median over batches (aim >= {FRAC_MIN})", n, fr,
        num(T, "forward_frac_dgemm"), st + (" (< %g)" % FRAC_MIN if st == "WARN" else ""))
    row(sec, f"forward / dgemm {S.get('dgemm_shape', '')} standalone (better of before/after)", n,
        num(S, "forward_frac_dgemm_standalone"), num(T, "forward_frac_dgemm_standalone"))
    row(sec, f"dgemm {S.get('dgemm_shape', '')} standalone before, GFLOP/s (same-load check)", n,
        num(S, "dgemm_gflops"), num(T, "dgemm_gflops"), spec=".1f")
    row(sec, "covariance GFLOP/s (~d^2 per tap and token)", n, num(S, "cov_gflops"), None, spec=".1f")

    # where the forward's time goes
    sec = "time"
    if P:
        np_ = P["tokens"]
        lvl = P.get("profile_level", "?")
        tt = {k: num(T, f"ops_{k}_frac") for k in
              ("embed", "norm", "qkv", "attn", "proj", "fc", "gelu", "fcproj")}
        lin_t = None if None in (tt["qkv"], tt["proj"], tt["fc"], tt["fcproj"]) else \
            tt["qkv"] + tt["proj"] + tt["fc"] + tt["fcproj"]
        whole = lvl == "2"  # ops timed whole, else their dgemms only
        row(sec, f"linear layers ({'dgemm + bias' if whole else 'their dgemm only'}), "
            "fraction of forward", np_,
            num(P, "time_linear_frac") if whole else num(P, "time_linear_gemm_frac"), lin_t, r=False)
        if whole:
            row(sec, "  of which dgemm", np_, num(P, "time_linear_gemm_frac"), None, r=False)
        row(sec, "attention " + ("(scores, mask, softmax, values)" if whole else
                                 "(its dgemms only)"), np_,
            num(P, "time_attention_frac") if whole else num(P, "time_attention_gemm_frac"),
            tt["attn"], r=False)
        if whole:
            row(sec, "  of which dgemm", np_, num(P, "time_attention_gemm_frac"), None, r=False)
            row(sec, "activation (tanh-GELU)", np_, num(P, "time_activation_frac"), tt["gelu"],
                r=False)
        row(sec, "norms", np_, num(P, "time_norm_frac"), tt["norm"], r=False)
        row(sec, "other (" + ("embeddings, residual adds, copies" if whole else
                              "GELU, softmax, bias and residual adds, embeddings") + ")", np_,
            num(P, "time_other_frac"), tt["embed"], r=False)
        row(sec, "dgemm of the linear layers, GFLOP/s", np_,
            num(P, "time_linear_gemm_gflops"), None, spec=".1f")
        row(sec, "dgemm of attention (T x T x hd), GFLOP/s", np_,
            num(P, "time_attention_gemm_gflops"), None, spec=".1f")
        row(sec, "profiled forward / its interleaved dgemm", np_, num(P, "forward_frac_dgemm"),
            None, r=False)

    # the big size: memory, and its speed on its own
    sec = "memory"
    r_s, r_b = num(S, "peak_rss_kib"), num(B, "peak_rss_kib")
    row(sec, "peak RSS (MiB)", n, r_s / 1024, (num(T, "peak_rss_kib") or 0) / 1024 or None, spec=".1f")
    row(sec, "peak RSS (MiB)", nb, r_b / 1024, None, spec=".1f")
    row(sec, "  of which parameters (MiB)", n, num(S, "params_mib"), None, spec=".1f")
    growth = 100.0 * (r_b - r_s) / r_s
    row(sec, f"peak RSS growth {n} -> {nb} tokens (%)", nb, growth, None,
        ("PASS" if growth <= RSS_GROWTH else "WARN") + f" (bound {RSS_GROWTH:g}%)", spec="+.2f")
    sec = "big"
    big_fwd = "forward_s" if "forward_s" in B else "forward_net_s"
    row(sec, "forward (s)" + ("" if big_fwd == "forward_s" else ", net of taps"), nb,
        num(B, big_fwd), None)
    row(sec, "covariance (s)", nb, num(B, "cov_s"), None)
    row(sec, "eigensolves (s)", nb, num(B, "eig_s"), None)
    fb = num(B, "forward_frac_dgemm")
    row(sec, "forward / dgemm, median over batches", nb, fb, None,
        "" if fb is None else ("PASS" if fb >= FRAC_MIN else "WARN"))
    row(sec, "seconds per token vs main size (1 = linear scaling)", nb,
        ratio(ratio(num(B, big_fwd), float(nb)), ratio(num(S, "forward_s"), float(n))), None)

    # print
    print(f"\nnormsim vs PyTorch {T.get('torch_version', '?')}: float64, d {S['d']}, "
          f"{S['layers']} layers, {S['heads']} heads, seq {S['seq']}, vocab {S['vocab']}, "
          f"{S['norm']}; batches of {S.get('batch_rows', '?')} tokens; "
          f"BLAS threads {S.get('blas_threads', '?')}, torch threads {T.get('torch_threads', '?')}")
    w = max(len(r[1]) for r in rows)
    head = (f"{'metric':<{w}} {'tokens':>6} {'normsim':>10} {'torch':>10} {'ns/torch':>9} "
            f"{'load-norm':>9}  status")
    last = None
    for sec_, metric, tok, ns, th, rt, nr, status, spec in rows:
        if sec_ != last:
            print(f"\n[{sec_}]\n{head}")
            last = sec_
        print(f"{metric:<{w}} {tok:>6} {fmt(ns, spec):>10} {fmt(th, spec):>10} "
              f"{fmt(rt, '.2f'):>9} {fmt(nr, '.2f'):>9}  {status}")
    print("\nns/torch > 1: normsim slower (seconds) or higher (rates, RSS). The machine is "
          "shared, so the two processes may see different load (see the same-load check row); "
          "load-norm is the seconds ratio with each side's seconds weighted by the dgemm rate "
          "measured next to them (> 1: normsim slower). Time fractions: normsim from a "
          "profiled build (its ops wrapped), torch from per-op laps.")
    with open(a.csv, "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["section", "metric", "tokens", "normsim", "torch", "ratio",
                     "ratio_load_normalised", "status"])
        for sec_, metric, tok, ns, th, rt, nr, status, spec in rows:
            wr.writerow([sec_, metric, tok, fmt(ns, ".6g"), fmt(th, ".6g"), fmt(rt, ".4g"),
                         fmt(nr, ".4g"), status])
    print(f"written: {a.csv}")


if __name__ == "__main__":
    main()
