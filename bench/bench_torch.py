"""bench_torch.py - the PyTorch side of bench/bench_forward.c, same shapes, same phases.

A GPT-2-small-shaped model (d 768, 12 layers, 12 heads, seq 256, vocab 50257) in
float64 with random weights, under torch.no_grad, fed as normsim's diagnostic feeds its
model: batches of B = 1024 // T sequences of T tokens. Phases:
  forward  the forward passes only (no taps, no logits)
  cov      a second pass whose taps resid.0 .. resid.L, final.out feed a streaming
           centred covariance (batch-centred X^T X, merged by Chan's formula), timed
           inside the taps
  eig      torch.linalg.eigvalsh on L+1 of them, torch.linalg.eigh on final.out
  dgemm    a reference matmul of the same shape as the C side's (2048 x 3072 x 768)
  ops      where the forward's time goes, over a few batches
Attention is written out (scores, causal mask, softmax, times v), the same work as
normsim's. Threads are torch's defaults (not changed here). Output: key=value lines.

usage: bench_torch.py TOKENS [--d N] [--layers N] [--heads N] [--seq N] [--vocab N]
                             [--phases forward,cov,eig,dgemm,ops] [--ops-tokens N]
"""
import argparse
import math
import resource
import sys
import time

import torch
import torch.nn.functional as F


def out(key, value):
    print(f"{key}={value}", flush=True)


class Model:
    """Weights laid out as normsim's (Linear weights (out, in)), N(0, 0.02) init."""

    def __init__(self, d, layers, heads, seq, vocab, seed=1):
        g = torch.Generator().manual_seed(seed)
        std, std_out, ff = 0.02, 0.02 / math.sqrt(2 * layers), 4 * d
        f64 = torch.float64

        def normal(rows, cols, s):
            return torch.randn(rows, cols, generator=g, dtype=f64) * s

        self.d, self.heads, self.ff = d, heads, ff
        self.wte = normal(vocab, d, std)
        self.wpe = normal(seq, d, std)
        self.blocks = []
        for _ in range(layers):
            self.blocks.append(dict(
                ln1_w=torch.ones(d, dtype=f64), ln1_b=torch.zeros(d, dtype=f64),
                attn_w=normal(3 * d, d, std), attn_b=torch.zeros(3 * d, dtype=f64),
                proj_w=normal(d, d, std_out), proj_b=torch.zeros(d, dtype=f64),
                ln2_w=torch.ones(d, dtype=f64), ln2_b=torch.zeros(d, dtype=f64),
                fc_w=normal(ff, d, std), fc_b=torch.zeros(ff, dtype=f64),
                fcproj_w=normal(d, ff, std_out), fcproj_b=torch.zeros(d, dtype=f64)))
        self.lnf_w = torch.ones(d, dtype=f64)
        self.lnf_b = torch.zeros(d, dtype=f64)
        self.n_params = sum(t.numel() for t in self.tensors())
        self.mask = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)

    def tensors(self):
        yield self.wte
        yield self.wpe
        for b in self.blocks:
            yield from b.values()
        yield self.lnf_w
        yield self.lnf_b


def attention(qkv, b, t, d, heads, mask):
    """softmax(q k^T / sqrt(hd) + causal mask) v per head; qkv (b t, 3d) -> (b t, d)"""
    hd = d // heads
    q, k, v = qkv.view(b, t, 3, heads, hd).permute(2, 0, 3, 1, 4)
    s = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
    s.masked_fill_(mask[:t, :t], float("-inf"))
    p = torch.softmax(s, dim=-1)
    return torch.matmul(p, v).transpose(1, 2).reshape(b * t, d)


def forward(m, tok, tap=None, lap=None):
    """GPT-2 pre-LN forward of tok (b, t); tap(name, x) per tap; lap(op) after each op."""
    lap = lap or (lambda op: None)
    tap = tap or (lambda name, x: None)
    b, t = tok.shape
    d, n = m.d, b * t
    x = (m.wte[tok] + m.wpe[:t]).reshape(n, d)
    lap("embed")
    for l, blk in enumerate(m.blocks):
        tap(f"resid.{l}", x)
        h = F.layer_norm(x, (d,), blk["ln1_w"], blk["ln1_b"], 1e-5)
        lap("norm")
        qkv = F.linear(h, blk["attn_w"], blk["attn_b"])
        lap("qkv")
        a = attention(qkv, b, t, d, m.heads, m.mask)
        lap("attn")
        x = torch.addmm(x, a, blk["proj_w"].t()).add_(blk["proj_b"])
        lap("proj")
        h = F.layer_norm(x, (d,), blk["ln2_w"], blk["ln2_b"], 1e-5)
        lap("norm")
        f = F.linear(h, blk["fc_w"], blk["fc_b"])
        lap("fc")
        f = F.gelu(f, approximate="tanh")
        lap("gelu")
        x = torch.addmm(x, f, blk["fcproj_w"].t()).add_(blk["fcproj_b"])
        lap("fcproj")
    tap(f"resid.{len(m.blocks)}", x)
    y = F.layer_norm(x, (d,), m.lnf_w, m.lnf_b, 1e-5)
    lap("norm")
    tap("final.out", y)
    return y


def flops(m, b, t):
    """2 n (d 3d + d d + d ff + ff d) + heads * 2 matmuls of 2 t t hd per sequence, per layer"""
    d, ff, n, hd = m.d, m.ff, b * t, m.d // m.heads
    return len(m.blocks) * (2.0 * n * (3 * d * d + d * d + 2 * d * ff)
                            + b * m.heads * 2 * (2.0 * t * t * hd))


def batches(m, tokens, seq, vocab, seed=1):
    """diag.c's batching: B = 1024 // T full sequences, whole sequences, one short one"""
    g = torch.Generator().manual_seed(seed)
    B = 1 if seq >= 1024 else 1024 // seq
    done = 0
    while done < tokens:
        left = tokens - done
        b = B if left >= B * seq else (left // seq if left >= seq else 1)
        t = seq if left >= seq else left
        yield torch.randint(0, vocab, (b, t), generator=g)
        done += b * t


class Cov:
    """Streaming centred covariance: S += Xc^T Xc per batch, means merged by Chan."""

    def __init__(self, d):
        self.n = 0
        self.mean = torch.zeros(d, dtype=torch.float64)
        self.S = torch.zeros(d, d, dtype=torch.float64)

    def add(self, x):
        nb = x.shape[0]
        mb = x.mean(0)
        xc = x - mb
        self.S.addmm_(xc.t(), xc)
        delta = mb - self.mean
        n = self.n + nb
        if self.n > 0:
            self.S.addr_(delta, delta, alpha=self.n * nb / n)
        self.mean.add_(delta, alpha=nb / n)
        self.n = n

    def matrix(self):
        return self.S / self.n


def now():
    return time.perf_counter()


class Ref:
    """The reference matmul next to every batch, as bench_forward.c's ref_batch: the
    forward's MLP-out shape (rows x d x ff), once untimed, then twice timed; each batch's
    forward rate over the mean rate of the samples around it; the median is reported."""

    def __init__(self, rows, d, ff):
        g = torch.Generator().manual_seed(2)
        self.A = torch.randn(rows, ff, generator=g, dtype=torch.float64) * 0.02
        self.B = torch.randn(d, ff, generator=g, dtype=torch.float64) * 0.02
        self.fl = 2.0 * 2.0 * rows * d * ff
        self.secs = self.flops = 0.0
        self.ratios = []
        self.last = self.sample()

    def sample(self):
        torch.matmul(self.A, self.B.t())
        t0 = now()
        torch.matmul(self.A, self.B.t())
        torch.matmul(self.A, self.B.t())
        dt = now() - t0
        self.secs += dt
        self.flops += self.fl
        return self.fl * 1e-9 / dt

    def batch(self, gflops):
        before, self.last = self.last, self.sample()
        self.ratios.append(gflops / (0.5 * (before + self.last)))

    def report(self, fwd_gflops):
        r = sorted(self.ratios)
        n = len(r)
        med = r[n // 2] if n % 2 else 0.5 * (r[n // 2 - 1] + r[n // 2])
        rows, ff = self.A.shape
        out("dgemm_inter_shape", f"{rows}x{self.B.shape[0]}x{ff}")
        out("dgemm_inter_gflops", f"{self.flops * 1e-9 / self.secs:.3f}")
        out("forward_frac_dgemm_aggregate", f"{fwd_gflops / (self.flops * 1e-9 / self.secs):.4f}")
        out("forward_frac_dgemm_batches", n)
        out("forward_frac_dgemm_min", f"{r[0]:.4f}")
        out("forward_frac_dgemm_max", f"{r[-1]:.4f}")
        out("forward_frac_dgemm", f"{med:.4f}")


def peak_rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def bench_forward(m, a, ref):
    secs = fl = 0.0
    with torch.no_grad():
        for tok in batches(m, a.tokens, a.seq, a.vocab):
            t0 = now()
            forward(m, tok)
            dt = now() - t0
            f = flops(m, *tok.shape)
            secs += dt
            fl += f
            ref.batch(f * 1e-9 / dt)
    out("forward_s", f"{secs:.6f}")
    out("forward_gflop", f"{fl * 1e-9:.3f}")
    out("forward_gflops", f"{fl * 1e-9 / secs:.3f}")
    out("forward_tokens_per_s", f"{a.tokens / secs:.1f}")
    return fl * 1e-9 / secs


def bench_cov(m, a, ref):
    L = len(m.blocks)
    names = [f"resid.{l}" for l in range(L + 1)] + ["final.out"]
    covs = {name: Cov(m.d) for name in names}
    clock = [0.0]

    def tap(name, x):
        c = covs.get(name)
        if c is not None:
            t0 = now()
            c.add(x)
            clock[0] += now() - t0

    secs = fl = 0.0
    with torch.no_grad():
        for tok in batches(m, a.tokens, a.seq, a.vocab):
            c0, t0 = clock[0], now()
            forward(m, tok, tap=tap)
            dt = now() - t0
            f = flops(m, *tok.shape)
            secs += dt
            fl += f
            ref.batch(f * 1e-9 / (dt - (clock[0] - c0)))
    out("cov_taps", len(names))
    out("cov_s", f"{clock[0]:.6f}")
    out("forward_taps_s", f"{secs:.6f}")
    out("forward_net_s", f"{secs - clock[0]:.6f}")
    out("forward_net_gflops", f"{fl * 1e-9 / (secs - clock[0]):.3f}")
    out("cov_dgemm_inter_gflops", f"{ref.flops * 1e-9 / ref.secs:.3f}")
    return [covs[n] for n in names], fl * 1e-9 / (secs - clock[0])


def bench_eig(covs):
    vals = 0.0
    for c in covs[:-1]:
        C = c.matrix()
        t0 = now()
        torch.linalg.eigvalsh(C)
        vals += now() - t0
    C = covs[-1].matrix()
    t0 = now()
    w, _ = torch.linalg.eigh(C)
    vecs = now() - t0
    out("eig_s", f"{vals + vecs:.6f}")
    out("eig_values_only_s", f"{vals:.6f}")
    out("eig_values_only_n", len(covs) - 1)
    out("eig_vectors_s", f"{vecs:.6f}")
    out("final_lam_min_rel", f"{(w[0] / w[-1]).item():.3e}")


def bench_dgemm(tag, M, N, K, reps=7):
    A = torch.sin(torch.arange(M * K, dtype=torch.float64)).reshape(M, K)
    B = torch.cos(torch.arange(N * K, dtype=torch.float64)).reshape(N, K)
    torch.matmul(A, B.t())
    ts = []
    for _ in range(reps):
        t0 = now()
        torch.matmul(A, B.t())
        ts.append(now() - t0)
    ts.sort()
    fl = 2.0 * M * N * K
    out(f"{tag}_shape", f"{M}x{N}x{K}")
    out(f"{tag}_s", f"{ts[reps // 2]:.6f}")
    out(f"{tag}_gflops", f"{fl * 1e-9 / ts[reps // 2]:.3f}")
    out(f"{tag}_best_gflops", f"{fl * 1e-9 / ts[0]:.3f}")
    return fl * 1e-9 / ts[reps // 2]


def bench_ops(m, a, tokens):
    order = ["embed", "norm", "qkv", "attn", "proj", "fc", "gelu", "fcproj"]
    tt = dict.fromkeys(order, 0.0)
    last = [0.0]

    def lap(op):
        t1 = now()
        tt[op] += t1 - last[0]
        last[0] = t1

    done = 0
    with torch.no_grad():
        for tok in batches(m, tokens, a.seq, a.vocab):
            last[0] = now()
            forward(m, tok, lap=lap)
            done += tok.numel()
    total = sum(tt.values())
    out("ops_tokens", done)
    out("ops_total_s", f"{total:.6f}")
    for op in order:
        out(f"ops_{op}_s", f"{tt[op]:.6f}")
        out(f"ops_{op}_frac", f"{tt[op] / total:.4f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("tokens", type=int)
    p.add_argument("--d", type=int, default=768)
    p.add_argument("--layers", type=int, default=12)
    p.add_argument("--heads", type=int, default=12)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--vocab", type=int, default=50257)
    p.add_argument("--phases", default="dgemm,forward,cov,eig,ops")
    p.add_argument("--ops-tokens", type=int, default=2048)
    p.add_argument("--dgemm", default="2048x3072x768")
    a = p.parse_args()
    if a.tokens < 1 or a.d % a.heads:
        p.error("need TOKENS >= 1 and heads dividing d")
    phases = set(a.phases.split(","))
    gm, gn, gk = (int(v) for v in a.dgemm.split("x"))

    for k in ("tokens", "d", "layers", "heads", "seq", "vocab"):
        out(k, getattr(a, k))
    out("torch_version", torch.__version__)
    out("torch_threads", torch.get_num_threads())
    out("rss_after_import_kib", peak_rss_kib())
    dg = [0.0, 0.0]
    if "dgemm" in phases:
        print("bench_torch: dgemm", file=sys.stderr, flush=True)
        dg[0] = bench_dgemm("dgemm", gm, gn, gk)
    m = Model(a.d, a.layers, a.heads, a.seq, a.vocab)
    out("params", m.n_params)
    out("rss_after_init_kib", peak_rss_kib())
    fwd, ref = 0.0, None
    rows = (1 if a.seq >= 1024 else 1024 // a.seq) * a.seq
    if "forward" in phases:
        print(f"bench_torch: forward, {a.tokens} tokens", file=sys.stderr, flush=True)
        ref = Ref(rows, a.d, m.ff)
        fwd = bench_forward(m, a, ref)
    if phases & {"cov", "eig"}:
        print(f"bench_torch: forward + covariance, {a.tokens} tokens", file=sys.stderr, flush=True)
        ref_cov = Ref(rows, a.d, m.ff)
        covs, net = bench_cov(m, a, ref_cov)
        if not fwd:
            fwd, ref = net, ref_cov
        if "eig" in phases:
            print("bench_torch: eigensolves", file=sys.stderr, flush=True)
            bench_eig(covs)
        del covs
    if "ops" in phases and a.ops_tokens > 0:
        print("bench_torch: per-op breakdown", file=sys.stderr, flush=True)
        bench_ops(m, a, min(a.ops_tokens, a.tokens))
    out("peak_rss_kib", peak_rss_kib())
    del m
    if ref is not None:
        out("forward_gflops_used", f"{fwd:.3f}")
        ref.report(fwd)
    if "dgemm" in phases:
        dg[1] = bench_dgemm("dgemm_after", gm, gn, gk)
        if fwd > 0:
            out("forward_frac_dgemm_standalone", f"{fwd / max(dg):.4f}")


if __name__ == "__main__":
    main()
