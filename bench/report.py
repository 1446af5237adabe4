"""report.py - the table of `make bench` from the key=value outputs of bench_forward
(main size, big size, profiled forward) and bench_torch.py; also writes it as CSV with
columns section, metric, tokens, normsim, torch, ratio, status."""
import argparse
import csv
import sys

FRAC_MIN = 0.7    # forward GFLOP/s over dgemm's
RSS_GROWTH = 10.0  # percent, big size over main size


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
    rows = []  # section, metric, tokens, normsim, torch, ratio, status, spec

    def row(section, metric, tokens, ns, th=None, status="", spec=".3f", r=True):
        rows.append((section, metric, tokens, ns, th, ratio(ns, th) if r else None, status, spec))

    n, nb = S["tokens"], B["tokens"]
    # speed, main size, side by side
    sec = "speed"
    row(sec, "forward (s)", n, num(S, "forward_s"), num(T, "forward_s"))
    row(sec, f"covariance, {S.get('cov_taps', '?')} taps (s)", n, num(S, "cov_s"), num(T, "cov_s"))
    row(sec, f"eigensolves, {S.get('cov_taps', '?')} of d x d (s)", n, num(S, "eig_s"),
        num(T, "eig_s"))
    tot = [sum(x) if None not in x else None for x in
           ([num(S, "forward_s"), num(S, "cov_s"), num(S, "eig_s")],
            [num(T, "forward_s"), num(T, "cov_s"), num(T, "eig_s")])]
    row(sec, "diagnostic = forward + covariance + eig (s)", n, tot[0], tot[1])
    row(sec, "forward GFLOP/s", n, num(S, "forward_gflops"), num(T, "forward_gflops"), spec=".1f")
    row(sec, f"dgemm {S.get('dgemm_inter_shape', '')} next to each batch, GFLOP/s", n,
        num(S, "dgemm_inter_gflops"), num(T, "dgemm_inter_gflops"), spec=".1f")
    fr = num(S, "forward_frac_dgemm")
    st = "" if fr is None else ("PASS" if fr >= FRAC_MIN else "WARN")
    row(sec, f"forward / dgemm, median over batches (aim >= {FRAC_MIN})", n, fr,
        num(T, "forward_frac_dgemm"), st + (" (< %.1f)" % FRAC_MIN if st == "WARN" else ""))
    row(sec, f"forward / dgemm {S.get('dgemm_shape', '')} standalone (better of before/after)", n,
        num(S, "forward_frac_dgemm_standalone"), num(T, "forward_frac_dgemm_standalone"))
    row(sec, f"dgemm {S.get('dgemm_shape', '')} standalone before, GFLOP/s (same-load check)", n,
        num(S, "dgemm_gflops"), num(T, "dgemm_gflops"), spec=".1f")
    row(sec, "covariance GFLOP/s (~d^2 per tap and token)", n, num(S, "cov_gflops"), None, spec=".1f")

    # where the forward's time goes
    sec = "time"
    if P:
        np_ = P["tokens"]
        lin = num(P, "time_gemm_linear_frac")
        att = (num(P, "time_gemm_attention_frac") or 0.0) + (num(P, "time_exp_frac") or 0.0)
        gelu = num(P, "time_tanh_frac")
        rest = num(P, "time_other_frac")
        tt = {k: num(T, f"ops_{k}_frac") or 0.0 for k in
              ("embed", "norm", "qkv", "attn", "proj", "fc", "gelu", "fcproj")}
        row(sec, "linear matmuls, fraction of forward", np_, lin,
            tt["qkv"] + tt["proj"] + tt["fc"] + tt["fcproj"], r=False)
        row(sec, "attention (score/value gemms + softmax exp)", np_, att, tt["attn"], r=False)
        row(sec, "GELU (normsim: its tanh calls)", np_, gelu, tt["gelu"], r=False)
        row(sec, "everything else (norms, bias adds, GELU/softmax arithmetic, embed)", np_, rest,
            tt["norm"] + tt["embed"], r=False)
        row(sec, "linear matmuls inside the forward, GFLOP/s", np_,
            num(P, "time_gemm_linear_gflops"), None, spec=".1f")
        row(sec, "attention gemms inside the forward, GFLOP/s", np_,
            num(P, "time_gemm_attention_gflops"), None, spec=".1f")
        row(sec, "ns per tanh call (libm)", np_, num(P, "time_tanh_ns_per_call"), None, spec=".1f")

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
    head = f"{'metric':<{w}} {'tokens':>6} {'normsim':>10} {'torch':>10} {'ns/torch':>9}  status"
    last = None
    for sec_, metric, tok, ns, th, rt, status, spec in rows:
        if sec_ != last:
            print(f"\n[{sec_}]\n{head}")
            last = sec_
        print(f"{metric:<{w}} {tok:>6} {fmt(ns, spec):>10} {fmt(th, spec):>10} "
              f"{fmt(rt, '.2f'):>9}  {status}")
    print("\nratios of seconds > 1: normsim slower. Time fractions: normsim from the wrapped "
          "calls of a profiled build, torch from per-op laps (its 'attention' includes softmax "
          "and the mask, its 'GELU' the whole op).")
    with open(a.csv, "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["section", "metric", "tokens", "normsim", "torch", "ratio", "status"])
        for sec_, metric, tok, ns, th, rt, status, spec in rows:
            wr.writerow([sec_, metric, tok, fmt(ns, ".6g"), fmt(th, ".6g"), fmt(rt, ".4g"), status])
    print(f"written: {a.csv}")


if __name__ == "__main__":
    main()
