#!/usr/bin/python3
"""PyTorch oracle for normsim's GPT-2 forward pass.

usage: oracle_gpt2.py [-v] [--self-check] DIR [DIR ...]

Each DIR is the output of `normsim export --out DIR`. From DIR/config.json,
DIR/weights/*.npy and DIR/tokens.npy only, the model is rebuilt independently in
PyTorch float64 (F.layer_norm, an RMSNorm written here, F.linear, masked softmax
attention, F.gelu(approximate='tanh'), tied unembedding). Every tap the config implies
(embed, resid.<l>, block.<l>.ln_1.out, block.<l>.ln_2.out, final.in, final.out) and the
logits are then compared with the C values in DIR/taps/*.npy and DIR/logits.npy:

    rel = max|c - torch| / max|torch|  <=  1e-10   per tensor

A tap the config implies but the export lacks is a failure, as is an export whose
weight layout does not match the config. One line is printed per failed check, one
summary line per DIR, and last `oracle: N passed, N failed`; exit 1 if any failed,
2 on bad usage.

--self-check adds, per DIR, negative controls that must be caught: the same export with
one weight entry nudged (in memory), and with one tap missing. Each control passes
when the oracle reports at least one failure for it (its inner failures are not
printed), so a comparison that cannot fail cannot pass the suite.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

TOL = 1e-10
torch.set_default_dtype(torch.float64)


class Report:
    """Counts checks; prints one line per failure (unless quiet)."""

    def __init__(self, case, quiet=False, verbose=False):
        self.case, self.quiet, self.verbose = case, quiet, verbose
        self.passed = self.failed = 0
        self.worst = (0.0, None)

    def fail(self, what, why):
        self.failed += 1
        if not self.quiet:
            print(f"FAIL {self.case}: {what}: {why}")

    def ok(self, what, rel=None):
        self.passed += 1
        if self.verbose and not self.quiet:
            print(f"  ok {self.case}: {what}" + ("" if rel is None else f": rel err {rel:.3g}"))

    def compare(self, what, c, ref):
        """c: numpy array from the C export (or None if missing); ref: torch tensor."""
        ref = ref.detach().numpy()
        if c is None:
            return self.fail(what, "missing from the export")
        if c.dtype != np.float64:
            return self.fail(what, f"dtype {c.dtype}, expected float64")
        if c.shape != ref.shape:
            return self.fail(what, f"shape {c.shape}, expected {ref.shape}")
        num = float(np.max(np.abs(c - ref))) if c.size else 0.0
        den = float(np.max(np.abs(ref))) if ref.size else 0.0
        if not (math.isfinite(num) and math.isfinite(den)):
            return self.fail(what, f"non-finite values (max|c-torch| {num}, max|torch| {den})")
        rel = num / den if den > 0 else (0.0 if num == 0 else math.inf)
        if not rel <= TOL:
            return self.fail(what, f"rel err {rel:.3g} > {TOL:g} (max|c-torch| {num:.3g}, max|torch| {den:.3g})")
        if rel >= self.worst[0]:
            self.worst = (rel, what)
        self.ok(what, rel)


def expected_tensors(cfg, norm_params):
    """name -> shape, in the GPT-2 layout (Linear weights (out, in), vectors 1-D)."""
    d, dff = cfg["d"], cfg["d_ff"]
    shapes = {"wte.weight": (cfg["vocab"], d), "wpe.weight": (cfg["seq"], d)}

    def linear(prefix, out, inp):
        shapes[prefix + ".weight"] = (out, inp)
        shapes[prefix + ".bias"] = (out,)

    def norm(prefix):
        for p in norm_params:
            shapes[f"{prefix}.{p}"] = (d,)

    for l in range(cfg["layers"]):
        norm(f"h.{l}.ln_1")
        linear(f"h.{l}.attn.c_attn", 3 * d, d)
        linear(f"h.{l}.attn.c_proj", d, d)
        norm(f"h.{l}.ln_2")
        linear(f"h.{l}.mlp.c_fc", dff, d)
        linear(f"h.{l}.mlp.c_proj", d, dff)
    norm("ln_f")
    return shapes


def expected_taps(layers):
    taps = ["embed"]
    for l in range(layers):
        taps += [f"resid.{l}", f"block.{l}.ln_1.out", f"block.{l}.ln_2.out"]
    return taps + [f"resid.{layers}", "final.in", "final.out"]


NORM_PARAMS = {"layernorm": ["weight", "bias"], "rmsnorm": ["weight"]}


def make_norm(kind, W, prefix, d, eps):
    g = W[prefix + ".weight"]
    if kind == "layernorm":  # biased variance, eps inside the sqrt
        b = W[prefix + ".bias"]
        return lambda x: F.layer_norm(x, (d,), g, b, eps)
    # RMSNorm (torch 1.13 has none): y = g x / sqrt(mean(x^2) + eps)
    return lambda x: g * (x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps))


def attention(x, w, b, heads):
    """causal multi-head softmax attention on x (B, T, d); fused qkv = [q | k | v]."""
    B, T, d = x.shape
    hd = d // heads
    q, k, v = F.linear(x, w, b).split(d, dim=-1)
    q, k, v = (t.reshape(B, T, heads, hd).transpose(1, 2) for t in (q, k, v))
    s = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
    future = torch.ones(T, T, dtype=torch.bool).triu(diagonal=1)
    p = torch.softmax(s.masked_fill(future, float("-inf")), dim=-1)
    return (p @ v).transpose(1, 2).reshape(B, T, d)


def forward(cfg, W, tok):
    """GPT-2 pre-LN forward in torch; returns {tap: (B*T, d)} and logits (B*T, vocab)."""
    d, L, H, eps, kind = cfg["d"], cfg["layers"], cfg["heads"], cfg["eps"], cfg["norm"]
    B, T = tok.shape
    taps = {}

    def tap(name, x):
        taps[name] = x.reshape(B * T, -1)

    x = F.embedding(tok, W["wte.weight"]) + W["wpe.weight"][:T].unsqueeze(0)
    tap("embed", x)
    for l in range(L):
        p = f"h.{l}."
        tap(f"resid.{l}", x)
        h = make_norm(kind, W, p + "ln_1", d, eps)(x)
        tap(f"block.{l}.ln_1.out", h)
        a = attention(h, W[p + "attn.c_attn.weight"], W[p + "attn.c_attn.bias"], H)
        x = x + F.linear(a, W[p + "attn.c_proj.weight"], W[p + "attn.c_proj.bias"])
        h = make_norm(kind, W, p + "ln_2", d, eps)(x)
        tap(f"block.{l}.ln_2.out", h)
        f = F.gelu(F.linear(h, W[p + "mlp.c_fc.weight"], W[p + "mlp.c_fc.bias"]), approximate="tanh")
        x = x + F.linear(f, W[p + "mlp.c_proj.weight"], W[p + "mlp.c_proj.bias"])
    tap(f"resid.{L}", x)
    tap("final.in", x)
    y = make_norm(kind, W, "ln_f", d, eps)(x)
    tap("final.out", y)
    return taps, F.linear(y, W["wte.weight"]).reshape(B * T, -1)


class Export:
    """What one export directory holds, loaded with numpy."""

    def __init__(self, path):
        self.path = path
        with open(os.path.join(path, "config.json")) as f:
            self.cfg = json.load(f)
        self.tokens = np.load(os.path.join(path, "tokens.npy"))
        self.weights = {}
        for name in self.cfg.get("tensors", []):
            wp = os.path.join(path, "weights", name + ".npy")
            if os.path.exists(wp):
                self.weights[name] = np.load(wp)
        self.taps = {}
        for name in expected_taps(int(self.cfg.get("layers", 0))):
            tp = os.path.join(path, "taps", name + ".npy")
            if os.path.exists(tp):
                self.taps[name] = np.load(tp)
        lp = os.path.join(path, "logits.npy")
        self.logits = np.load(lp) if os.path.exists(lp) else None
        tap_dir = os.path.join(path, "taps")
        self.extra_taps = sorted(set(f[:-4] for f in os.listdir(tap_dir) if f.endswith(".npy"))
                                 - set(self.taps)) if os.path.isdir(tap_dir) else []


def check_layout(ex, rep):
    """the weights, tokens and gains the config implies; returns True if the model can be built."""
    cfg = ex.cfg
    if cfg.get("arch") != "gpt2" or cfg.get("norm") not in NORM_PARAMS:
        rep.fail("config", f"arch {cfg.get('arch')!r} norm {cfg.get('norm')!r}: the oracle knows gpt2 with "
                 + ", ".join(NORM_PARAMS))
        return False
    if cfg["d"] % cfg["heads"] != 0:
        rep.fail("config", f"d {cfg['d']} not divisible by heads {cfg['heads']}")
        return False
    want = expected_tensors(cfg, NORM_PARAMS[cfg["norm"]])
    problems = []
    listed = cfg.get("tensors", [])
    if sorted(listed) != sorted(want):
        problems.append(f"config tensors {sorted(set(listed) ^ set(want))[:4]} differ from the gpt2 layout")
    for name, shape in want.items():
        w = ex.weights.get(name)
        if w is None:
            problems.append(f"weights/{name}.npy missing")
        elif w.dtype != np.float64 or w.shape != shape:
            problems.append(f"weights/{name}.npy is {w.dtype} {w.shape}, expected float64 {shape}")
        elif not np.all(np.isfinite(w)):
            problems.append(f"weights/{name}.npy has non-finite values")
    tok = ex.tokens
    if tok.dtype != np.int32 or tok.ndim != 2 or tok.size == 0:
        problems.append(f"tokens.npy is {tok.dtype} {tok.shape}, expected int32 (B, T)")
    elif tok.shape[1] > cfg["seq"] or tok.min() < 0 or tok.max() >= cfg["vocab"]:
        problems.append(f"tokens (B, T) = {tok.shape}, range [{tok.min()}, {tok.max()}] exceed seq "
                        f"{cfg['seq']} / vocab {cfg['vocab']}")
    if problems:
        rep.fail("export layout", "; ".join(problems))
        return False
    rep.ok("export layout")
    # the gains must be what --gamma asked for, or a random-gamma case would test nothing new
    gains = np.concatenate([ex.weights[n] for n in want if n.endswith("ln_1.weight")
                            or n.endswith("ln_2.weight") or n == "ln_f.weight"])
    gamma = str(cfg.get("gamma"))
    if gamma == "ones":
        good = bool(np.all(gains == 1.0))
    else:
        good = gamma.startswith("random") and bool(np.all(gains > 0)) and bool(np.any(gains != 1.0))
    if good:
        rep.ok("norm gains")
    else:
        rep.fail("norm gains", f"gamma {gamma!r} but gains range [{gains.min():.3g}, {gains.max():.3g}]")
    return True


def check_export(ex, rep):
    if not check_layout(ex, rep):
        return
    W = {k: torch.from_numpy(v) for k, v in ex.weights.items()}
    tok = torch.from_numpy(ex.tokens.astype(np.int64))
    with torch.no_grad():
        taps, logits = forward(ex.cfg, W, tok)
    for name in expected_taps(ex.cfg["layers"]):
        rep.compare("tap " + name, ex.taps.get(name), taps[name])
    rep.compare("logits", ex.logits, logits)


def describe(ex):
    c, t = ex.cfg, ex.tokens
    bt = f"B={t.shape[0]} T={t.shape[1]}" if t.ndim == 2 else f"tokens {t.shape}"
    return (f"{c.get('norm')} d={c.get('d')} L={c.get('layers')} H={c.get('heads')} "
            f"seq={c.get('seq')} V={c.get('vocab')} d_ff={c.get('d_ff')} {bt} gamma={c.get('gamma')}")


def self_checks(ex, case):
    """negative controls on ex, in memory; yields (what, failures the oracle reported)."""
    L = int(ex.cfg["layers"])
    nudged = Export.__new__(Export)
    nudged.__dict__.update(ex.__dict__)
    nudged.weights = dict(ex.weights)
    w = ex.weights[f"h.{L - 1}.mlp.c_fc.weight"].copy()
    w[0, 0] += 1e-6
    nudged.weights[f"h.{L - 1}.mlp.c_fc.weight"] = w
    rep = Report(case, quiet=True)
    check_export(nudged, rep)
    yield f"h.{L - 1}.mlp.c_fc.weight[0,0] += 1e-6", rep.failed
    holed = Export.__new__(Export)
    holed.__dict__.update(ex.__dict__)
    holed.taps = {k: v for k, v in ex.taps.items() if k != "block.0.ln_2.out"}
    rep = Report(case, quiet=True)
    check_export(holed, rep)
    yield "tap block.0.ln_2.out removed", rep.failed


def main(argv):
    verbose = "-v" in argv
    selfcheck = "--self-check" in argv
    dirs = [a for a in argv if a not in ("-v", "--self-check")]
    if not dirs or any(a.startswith("-") for a in dirs):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    passed = failed = 0
    for path in dirs:
        case = os.path.basename(os.path.normpath(path))
        rep = Report(case, verbose=verbose)
        try:
            ex = Export(path)
        except (OSError, ValueError, KeyError) as err:
            rep.fail("export", f"cannot read {path}: {err}")
            ex = None
        if ex is not None:
            try:
                check_export(ex, rep)
            except Exception as err:  # a crash in the oracle is a failed check, never a pass
                rep.fail("oracle", f"{type(err).__name__}: {err}")
            if ex.extra_taps:
                print(f"note {case}: taps not checked (unknown to the oracle): {', '.join(ex.extra_taps)}")
            worst = f"max rel err {rep.worst[0]:.2g} ({rep.worst[1]})" if rep.worst[1] else "no comparisons passed"
            print(f"oracle_gpt2: {case} [{describe(ex)}]: {rep.passed} passed, {rep.failed} failed, {worst}")
            if selfcheck and rep.failed == 0:
                caught = []
                for what, n in self_checks(ex, case):
                    if n:
                        rep.ok("self-check " + what)
                        caught.append(f"{what}: {n} failed")
                    else:
                        rep.fail("self-check", f"{what}: the oracle reported no failure")
                print(f"oracle_gpt2: {case} self-check: caught {len(caught)}/2 negative controls"
                      + (f" ({'; '.join(caught)})" if caught else ""))
        passed += rep.passed
        failed += rep.failed
    print(f"oracle: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
