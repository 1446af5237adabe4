#!/usr/bin/python3
"""PyTorch float64 oracle for normsim's forward and backward passes, one case per family
and more.

usage: oracle_archs.py [-v] [--normsim PATH] [--keep DIR] [--only NAME[,NAME...]]

For every case of CASES (families.py), `normsim export` writes a small model (its
weights, its input, every tap and the logits of one forward pass) into a fresh folder.
This script then rebuilds the model independently in PyTorch float64 and compares:

  * the architectural facts: config.json's "features" must say what FAMILY (written in
    families.py from shared/ARCHETYPES.md and the Hugging Face modeling_<family>.py
    files) says for the family, one check per fact, so a wrong archetype row is caught
    even where the forward would not show it;
  * the tensor layout the facts imply (names and shapes of DIR/weights/*.npy);
  * at init (unperturbed cases): the family's initialisation (norm parameters exact,
    biases zero, weight standard deviations within 25 %);
  * every tap and the logits, computed from FAMILY's facts (not from the export's
    features) with the sizes of the config:
        rel = max|c - torch| / max|torch|  <=  1e-10   per tensor.
    A tap the facts imply but the export lacks is a failure.
  * cases exported with --grads (every case but the init ones): the same model with the
    exported weights as float64 leaf tensors (requires_grad) computes the mean
    F.cross_entropy of the logits (one row per token, or per image) against
    targets.npy, compared with loss.npy (relative error <= 1e-12); loss.backward() gives
    every parameter's gradient, compared with grads/<tensor>.npy (normsim's
    sim/model/backward.c):  max|c - torch| / max|torch| <= 1e-9 per tensor. A tied tensor is
    one leaf, so autograd sums its two uses. A missing gradient file is a failure. If
    autograd's gradient is exactly 0, C's must be too (max|c| <= 1e-300). The key bias
    without RoPE or a k norm has a gradient that is 0 in exact arithmetic (the softmax
    removes q_i . b_k), so both sides hold rounding noise: there both max|c| and
    max|torch| must be <= 1e-9 x max|dL/dW_k| of the layer (see zero_grad_scale).

Negative controls (per case, only when the case passed): one weight nudged by 1e-6, one
tap removed, one feature flipped in the config: each must be reported as a failure.
With --grads also: the largest entry of one gradient nudged by 1e-8 of its tensor's
max, one gradient file removed, the loss nudged by 1e-11 relative, a zero-in-exact-
arithmetic gradient nudged, and (tied token models) autograd with the head's use of the
embedding detached, which must disagree with normsim's summed gradient.
Perturbed cases also run the family's mutations: the oracle's own model with one fact
changed (the GELU variant, the RoPE pairing, the window edge, ...) must disagree with
the export, so every fact a family has is shown to be exercised by the data. When a
case fails, the mutations that would make it pass are printed: they say what the C
model computes instead.

One line per failed check, one summary line per case, a table of the largest relative
error per family (forward, then gradients), and last `oracle: N passed, N failed`;
exit 1 if anything failed, 2 on bad usage.

Where normsim deliberately differs from Hugging Face, the oracle follows normsim and
says so in a comment marked "normsim:".
"""
import copy
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

TOL = 1e-10
GRAD_TOL = 1e-9   # per gradient tensor: max|c - torch| / max|torch|
LOSS_TOL = 1e-12  # the loss: |c - torch| / |torch|
TINY = 1e-300     # a gradient autograd finds exactly 0 must be (nearly) exactly 0 in C too
STD_TOL = 0.25  # init check: relative tolerance on a sample std (n >= 256: > 5 sigma)
torch.set_default_dtype(torch.float64)

from families import CASES, FAMILY, MUTATIONS, NORM_PARAMS  # noqa: E402  (next to this file)


# ---------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------
class Report:
    """Counts checks of one case; prints one line per failure (unless quiet)."""

    def __init__(self, case, quiet=False, verbose=False):
        self.case, self.quiet, self.verbose = case, quiet, verbose
        self.passed = self.failed = 0
        self.worst = (0.0, None)
        self.gworst = (0.0, None)  # gradients (and the loss), tracked apart from the forward
        self.zeros = 0  # gradients checked as zero in exact arithmetic (not in gworst)
        self.failures = []
        self.tref = None  # with --grads: the torch loss and gradients, for the controls

    def fail(self, what, why):
        self.failed += 1
        self.failures.append(what)
        if not self.quiet:
            print(f"FAIL {self.case}: {what}: {why}")

    def ok(self, what, rel=None):
        self.passed += 1
        if self.verbose and not self.quiet:
            print(f"  ok {self.case}: {what}" + ("" if rel is None else f": rel err {rel:.3g}"))

    def check(self, what, good, why):
        if good:
            self.ok(what)
        else:
            self.fail(what, why)

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

    def compare_grad(self, what, c, ref, tol=GRAD_TOL, zero_scale=None):
        """a gradient (or the loss): c numpy from the C export (None: missing), ref numpy
        from autograd. rel = max|c - torch| / max|torch| <= tol. If max|torch| is exactly 0,
        max|c| must be <= TINY. zero_scale: the gradient is zero in exact arithmetic (both
        sides hold only rounding noise): max|c| and max|torch| must be <= tol * zero_scale."""
        if c is None:
            return self.fail(what, "missing from the export")
        if c.dtype != np.float64:
            return self.fail(what, f"dtype {c.dtype}, expected float64")
        if c.shape != ref.shape:
            return self.fail(what, f"shape {c.shape}, expected {ref.shape}")
        num = float(np.max(np.abs(c - ref))) if c.size else 0.0
        den = float(np.max(np.abs(ref))) if ref.size else 0.0
        cmax = float(np.max(np.abs(c))) if c.size else 0.0
        if not (math.isfinite(num) and math.isfinite(den)):
            return self.fail(what, f"non-finite values (max|c-torch| {num}, max|torch| {den})")
        if zero_scale is not None:
            bound = tol * zero_scale
            if not (cmax <= bound and den <= bound):
                return self.fail(what, f"zero in exact arithmetic, but max|c| {cmax:.3g}, max|torch| {den:.3g} "
                                       f"exceed {tol:g} x {zero_scale:.3g}")
            self.zeros += 1
            return self.ok(what + " (zero in exact arithmetic)", max(cmax, den) / zero_scale if zero_scale else 0.0)
        elif den == 0:
            if not cmax <= TINY:
                return self.fail(what, f"autograd's gradient is exactly 0, C's max|c| is {cmax:.3g}")
            rel = 0.0
        else:
            rel = num / den
            if not rel <= tol:
                return self.fail(what, f"rel err {rel:.3g} > {tol:g} (max|c-torch| {num:.3g}, max|torch| {den:.3g})")
        if rel >= self.gworst[0]:
            self.gworst = (rel, what)
        self.ok(what, rel)


# ---------------------------------------------------------------------------------------
# The export
# ---------------------------------------------------------------------------------------
class Export:
    """What one export directory holds, loaded with numpy."""

    def __init__(self, path):
        self.path = path
        with open(os.path.join(path, "config.json")) as f:
            self.cfg = json.load(f)
        self.weights = {}
        wdir = os.path.join(path, "weights")
        for fn in sorted(os.listdir(wdir)):
            if fn.endswith(".npy"):
                self.weights[fn[:-4]] = np.load(os.path.join(wdir, fn))
        self.taps = {}
        tdir = os.path.join(path, "taps")
        for fn in sorted(os.listdir(tdir)):
            if fn.endswith(".npy"):
                self.taps[fn[:-4]] = np.load(os.path.join(tdir, fn))
        self.tokens = self.images = None
        if os.path.exists(os.path.join(path, "tokens.npy")):
            self.tokens = np.load(os.path.join(path, "tokens.npy"))
        if os.path.exists(os.path.join(path, "images.npy")):
            self.images = np.load(os.path.join(path, "images.npy"))
        lp = os.path.join(path, "logits.npy")
        self.logits = np.load(lp) if os.path.exists(lp) else None
        # with --grads: targets.npy, loss.npy, grads/<tensor>.npy (None when absent)
        self.targets = self.loss = self.grads = None
        for name in ("targets", "loss"):
            fp = os.path.join(path, name + ".npy")
            if os.path.exists(fp):
                setattr(self, name, np.load(fp))
        gdir = os.path.join(path, "grads")
        if os.path.isdir(gdir):
            self.grads = {fn[:-4]: np.load(os.path.join(gdir, fn))
                          for fn in sorted(os.listdir(gdir)) if fn.endswith(".npy")}

    def copy(self):
        c = Export.__new__(Export)
        c.__dict__.update(self.__dict__)
        c.cfg = copy.deepcopy(self.cfg)
        c.weights = dict(self.weights)
        c.taps = dict(self.taps)
        c.grads = None if self.grads is None else dict(self.grads)
        return c


# ---------------------------------------------------------------------------------------
# Facts -> the features the config must state, the spec the oracle computes with
# ---------------------------------------------------------------------------------------
def sizes(cfg):
    f = cfg["features"]
    d, H = int(cfg["d"]), int(cfg["heads"])
    return dict(d=d, L=int(cfg["layers"]), H=H, KV=int(f["kv_heads"]), hd=d // H,
                seq=int(cfg["seq"]), V=int(cfg["vocab"]), d_ff=int(cfg["d_ff"]),
                image=int(f.get("image", 0)), patch=int(f.get("patch", 0)),
                channels=int(f.get("channels", 0)), window_size=max([0] + list(f.get("window", []))))


def is_global(fact, l):
    return fact["global_every"] > 0 and (l + 1) % fact["global_every"] == 0


def rope_dims_of(fact, hd, l):
    """rotated channels of layer l: int(frac hd) (HF), 2 int(frac hd // 2) (proportional)"""
    if fact["positions"] != "rope":
        return 0
    if is_global(fact, l):
        return 2 * int(fact["global_rope_frac"] * hd // 2)
    return int(fact["rope_frac"] * hd)


def check_features(fact, norm, case_opts, cfg, rep):
    """one check per architectural fact the config states"""
    f = cfg.get("features", {})
    z = sizes(cfg)
    L, H, hd = z["L"], z["H"], z["hd"]

    def want(key, good, expect):
        got = f.get(key, cfg.get(key, "<absent>"))
        rep.check(f"feature {key}", good(got) if got != "<absent>" else False,
                  f"config says {got!r}, the family facts say {expect}")

    def eq(key, v):
        want(key, lambda g: g == v, repr(v))

    def close(key, v):
        want(key, lambda g: isinstance(g, (int, float)) and abs(g - v) <= 1e-12 * max(1.0, abs(v)), repr(v))

    rep.check("config norm", cfg.get("norm") == norm, f"norm {cfg.get('norm')!r}, expected {norm!r}")
    rep.check("config eps", cfg.get("eps") == fact["eps"], f"eps {cfg.get('eps')!r}, family {fact['eps']!r}")
    rep.check("config precision", cfg.get("precision") == "f64",
              f"precision {cfg.get('precision')!r}: the oracle compares float64 only")
    eq("head_dim", hd)
    if fact["kv"] == "mha":
        eq("kv_heads", H)
    elif fact["kv"] == "mqa":
        eq("kv_heads", 1)
    else:  # grouped: a divisor of heads; fewer than heads unless the case set --kv-heads
        grouped = "--kv-heads" in case_opts
        want("kv_heads", lambda g: g >= 1 and H % g == 0 and (grouped or g < H),
             "grouped-query: kv_heads < heads and dividing it")
    for key in ("placement", "residual", "mlp", "positions", "init", "pos_offset", "causal",
                "tied", "head_scale_rsqrt_d", "embed_scale_sqrt_d", "embed_norm", "final_norm",
                "layerscale", "qk_norm", "v_norm", "mlm_head", "input"):
        if key == "tied" and fact["tied"] is None:
            continue  # OLMo-1: "varies"
        eq(key, fact[key])
    if fact["init"] != "t5":
        close("init_std", 0.02)
    close("logit_scale", fact["logit_scale"])
    close("logit_softcap", fact["logit_softcap"])
    close("attn_scale", fact["attn_scale"] if fact["attn_scale"] else 1.0 / math.sqrt(hd))
    eq("rope_interleaved", fact["rope_style"] == "interleaved")
    for b in ("qkv", "attn_out", "mlp", "head", "patch"):
        eq("bias_" + b, b in fact["bias"])
    want("token_types", lambda g: (g >= 1) if fact["token_types"] else g == 0,
         f"{'token types' if fact['token_types'] else 'no token types'}")
    if fact["positions"] == "t5_bias":
        eq("t5_buckets", fact["t5_buckets"])
        eq("t5_max_distance", fact["t5_max_distance"])
    if fact["input"] == "patches":
        want("image", lambda g: g > 0, "an image side > 0")
        want("patch", lambda g: g > 0, "a patch side > 0")
        want("channels", lambda g: g >= 1, "channels >= 1")
    eq("rope_dims", [rope_dims_of(fact, hd, l) for l in range(L)])
    bases = []
    for l in range(L):
        if fact["positions"] != "rope":
            bases.append((0,))
        else:
            b = fact["global_rope_base"] if is_global(fact, l) else fact["rope_base"]
            bases.append(b if isinstance(b, tuple) else (b,) if b else None)
    want("rope_base", lambda g: isinstance(g, list) and len(g) == L and
         all((g[l] in bases[l]) if bases[l] else g[l] > 0 for l in range(L)), repr(bases))
    want("window", lambda g: isinstance(g, list) and len(g) == L and all(
        (g[l] > 0) == (fact["window"] and not is_global(fact, l)) for l in range(L)),
        "a window on every local layer" if fact["window"] else "no window")
    if fact["global_every"]:
        rep.check("global layer present", L >= fact["global_every"],
                  f"{L} layers: no global layer to test (the case needs >= {fact['global_every']})")


def make_spec(fact, norm, cfg):
    """what the oracle computes with: the family facts plus the config's sizes"""
    s = dict(fact)
    s.update(sizes(cfg))
    s["norm"] = norm
    f = cfg["features"]
    if fact["kv"] == "mqa":  # kv heads: a fact for MHA and MQA, a size for GQA
        s["KV"] = 1
    elif fact["kv"] == "mha":
        s["KV"] = s["H"]
    if fact["tied"] is None:
        s["tied"] = bool(f["tied"])
    if isinstance(fact["rope_base"], tuple):  # facts allow several: the config's choice
        s["rope_base"] = float(f["rope_base"][0])
    # window sizes are ours (sizes, not facts): the config's, one per layer
    s["window_sizes"] = [int(w) for w in f["window"]]
    return s


# ---------------------------------------------------------------------------------------
# Layout and init
# ---------------------------------------------------------------------------------------
def expected_tensors(s):
    """name -> shape implied by the facts (Linear weights (out, in); vectors 1-D)"""
    d, H, KV, hd, dff, V = s["d"], s["H"], s["KV"], s["hd"], s["d_ff"], s["V"]
    qd, kvd = H * hd, KV * hd
    out = {}

    def vec(name, n):
        out[name] = (n,)

    def norm(prefix, width):
        for p in NORM_PARAMS[s["norm"]]:
            vec(f"{prefix}.{p}", width)

    def lin(prefix, o, i, bias):
        out[prefix + ".weight"] = (o, i)
        if bias:
            vec(prefix + ".bias", o)

    b = s["bias"]
    if s["input"] == "patches":
        pd = s["patch"] * s["patch"] * s["channels"]
        lin("embed.patches", d, pd, "patch" in b)
        vec("embed.cls", d)
    else:
        out["embed.tokens.weight"] = (V, d)
    if s["positions"] == "learned":
        out["embed.positions.weight"] = (s["seq"] + s["pos_offset"], d)
    if s["token_types"]:
        out["embed.types.weight"] = (s["token_types"], d)
    if s["embed_norm"]:
        norm("embed.norm", d)
    if s["positions"] == "t5_bias":
        out["attn.rel_bias.weight"] = (s["t5_buckets"], H)
    gated = s["mlp"] in ("swiglu", "geglu")
    for l in range(s["L"]):
        p = f"h.{l}."
        norm(p + "norm_attn", d)
        if s["residual"] != "parallel_shared":
            norm(p + "norm_mlp", d)
        if s["placement"] == "sandwich":
            norm(p + "norm_attn_post", d)
            norm(p + "norm_mlp_post", d)
        lin(p + "attn.q", qd, d, "qkv" in b)
        lin(p + "attn.k", kvd, d, "qkv" in b)
        lin(p + "attn.v", kvd, d, "qkv" in b)
        if s["qk_norm"] == "full":
            norm(p + "attn.q_norm", qd)
            norm(p + "attn.k_norm", kvd)
        elif s["qk_norm"] == "per_head":
            norm(p + "attn.q_norm", hd)
            norm(p + "attn.k_norm", hd)
        if s["v_norm"]:
            norm(p + "attn.v_norm", hd)  # normsim: with the scheme's parameters (HF: none)
        lin(p + "attn.out", d, qd, "attn_out" in b)
        if gated:
            lin(p + "mlp.gate", dff, d, "mlp" in b)
        lin(p + "mlp.up", dff, d, "mlp" in b)
        lin(p + "mlp.down", d, dff, "mlp" in b)
        if s["layerscale"]:
            vec(p + "ls_attn", d)
            vec(p + "ls_mlp", d)
    if s["final_norm"]:
        norm("norm_final", d)
    if s["mlm_head"]:
        lin("head.transform", d, d, True)
        norm("head.norm", d)
    if not s["tied"] or s["input"] == "patches":
        out["head.weight"] = (V, d)
    if "head" in b:
        vec("head.bias", V)
    return out


def check_layout(ex, s, rep):
    want = expected_tensors(s)
    listed = ex.cfg.get("tensors", [])
    problems = []
    if sorted(listed) != sorted(want):
        extra, missing = sorted(set(listed) - set(want)), sorted(set(want) - set(listed))
        problems.append(f"config tensors differ from the family layout: extra {extra[:6]}, missing {missing[:6]}")
    for name, shape in want.items():
        w = ex.weights.get(name)
        if w is None:
            problems.append(f"weights/{name}.npy missing")
        elif w.dtype != np.float64 or w.shape != shape:
            problems.append(f"weights/{name}.npy is {w.dtype} {w.shape}, expected float64 {shape}")
        elif not np.all(np.isfinite(w)):
            problems.append(f"weights/{name}.npy has non-finite values")
    if s["input"] == "patches":
        im = ex.images
        good = (im is not None and im.dtype == np.float64 and im.ndim == 4 and im.shape[0] >= 1 and
                im.shape[1:] == (s["channels"], s["image"], s["image"]))
        if not good:
            problems.append(f"images.npy is {None if im is None else (im.dtype, im.shape)}, expected "
                            f"float64 (B, {s['channels']}, {s['image']}, {s['image']})")
        elif s["seq"] != (s["image"] // s["patch"]) ** 2 + 1:
            problems.append(f"seq {s['seq']} is not the patches + CLS")
    else:
        tok = ex.tokens
        if tok is None or tok.dtype != np.int32 or tok.ndim != 2 or tok.size == 0:
            problems.append(f"tokens.npy is {None if tok is None else (tok.dtype, tok.shape)}, expected int32 (B, T)")
        elif tok.shape[1] > s["seq"] or tok.min() < 0 or tok.max() >= s["V"]:
            problems.append(f"tokens (B, T) = {tok.shape}, range [{tok.min()}, {tok.max()}] exceed seq "
                            f"{s['seq']} / vocab {s['V']}")
    if problems:
        rep.fail("export layout", "; ".join(problems))
        return False
    rep.ok("export layout")
    return True


def norm_prefixes(names):
    """tensor name -> (norm prefix, param) for the tensors of norms"""
    out = {}
    for n in names:
        pre, _, par = n.rpartition(".")
        last = pre.rpartition(".")[2]
        if last.startswith("norm") or last in ("q_norm", "k_norm", "v_norm") or pre in ("embed.norm", "head.norm"):
            out[n] = par
    return out


def init_std(s, name):
    """the family's init std of a weight matrix (None: not a plain random weight)"""
    d, hd, H = s["d"], s["hd"], s["H"]
    if s["init"] == "t5":  # HF T5PreTrainedModel._init_weights, factor 1
        table = {"embed.tokens.weight": 1.0, "attn.rel_bias.weight": d ** -0.5, "attn.q.weight": (d * hd) ** -0.5,
                 "attn.k.weight": d ** -0.5, "attn.v.weight": d ** -0.5, "attn.out.weight": (H * hd) ** -0.5,
                 "mlp.up.weight": d ** -0.5, "mlp.gate.weight": d ** -0.5, "mlp.down.weight": s["d_ff"] ** -0.5}
        key = name if name in table else name.split(".", 2)[-1]
        return table.get(key)
    if s["init"] == "gpt2" and (name.endswith("attn.out.weight") or name.endswith("mlp.down.weight")):
        return 0.02 / math.sqrt(2 * s["L"])
    # trunc: torch trunc_normal_(std=0.02) with its default absolute bounds [-2, 2], as HF
    # ViT / DINOv2 call it: at std 0.02 the truncation never bites, so the std is 0.02
    return 0.02


def check_init(ex, s, gamma, rep):
    """unperturbed cases: norm parameters, biases, LayerScale exact; weight stds"""
    norms = norm_prefixes(ex.weights)
    gains = []
    for name, w in ex.weights.items():
        if name in norms:
            init = NORM_PARAMS[s["norm"]][norms[name]]
            if norms[name] == "weight" and gamma != "ones":
                gains.append(w + (1.0 - init))  # the gain (1 + w for rmsnorm-1p)
                continue
            rep.check(f"init {name}", bool(np.all(w == init)), f"range [{w.min():.3g}, {w.max():.3g}], expected {init}")
        elif name.endswith(".bias"):
            rep.check(f"init {name}", bool(np.all(w == 0)), f"range [{w.min():.3g}, {w.max():.3g}], expected 0")
        elif name.endswith("ls_attn") or name.endswith("ls_mlp"):
            rep.check(f"init {name}", bool(np.all(w == 1)), f"range [{w.min():.3g}, {w.max():.3g}], expected 1 (LayerScale)")
        else:
            std = init_std(s, name)
            if std is None:
                rep.fail(f"init {name}", "the oracle knows no init for it")
            elif w.size >= 256:
                got, mean = float(w.std()), float(w.mean())
                good = abs(got / std - 1) <= STD_TOL and abs(mean) <= 6 * std / math.sqrt(w.size)
                if s["init"] == "trunc":
                    good = good and float(np.abs(w).max()) <= 2.0
                rep.check(f"init {name}", good, f"std {got:.4g} mean {mean:.3g}, the family's init has std {std:.4g}")
    if gamma != "ones" and gains:
        g = np.concatenate(gains)
        spread = float(gamma.split(":")[1]) if ":" in gamma else 1.0
        ls = float(np.log(g).std()) if np.all(g > 0) else -1.0
        rep.check("init gains random", abs(ls / spread - 1) <= 0.3,
                  f"log-gain std {ls:.3g}, --gamma {gamma} asks {spread:g}")


# ---------------------------------------------------------------------------------------
# The PyTorch model
# ---------------------------------------------------------------------------------------
def apply_norm(s, W, prefix, x, noscale=False):
    """the norm scheme s['norm'] over the last dim of x, parameters W[prefix.*]"""
    kind, eps, n = s["norm"], s["eps"], x.shape[-1]
    if kind == "layernorm":  # nn.LayerNorm: biased variance, eps inside the sqrt
        return F.layer_norm(x, (n,), W[prefix + ".weight"], W[prefix + ".bias"], eps)
    if kind == "layernorm-noaffine":  # OLMo-1 OlmoLayerNorm
        return F.layer_norm(x, (n,), None, None, eps)
    if kind == "layernorm-nobias":  # CohereLayerNorm
        mean = x.mean(-1, keepdim=True)
        var = (x - mean).pow(2).mean(-1, keepdim=True)
        return W[prefix + ".weight"] * ((x - mean) * torch.rsqrt(var + eps))
    if kind in ("rmsnorm", "rmsnorm-1p"):  # T5LayerNorm / LlamaRMSNorm / GemmaRMSNorm
        y = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
        if noscale:
            return y
        return y * ((1.0 + W[prefix + ".weight"]) if kind == "rmsnorm-1p" else W[prefix + ".weight"])
    raise ValueError(f"the oracle knows no norm {kind!r}")


def act(s, x):
    m = s["mlp"]
    if m in ("gelu_tanh", "geglu"):
        # gelu_new / gelu_pytorch_tanh. (BLOOM's bloom_gelu_forward rounds sqrt(2/pi) to
        # 0.79788456, a 1e-9 relative change inside tanh; normsim and this oracle use the
        # exact constant.)
        return F.gelu(x, approximate="tanh")
    if m == "gelu_erf":
        return F.gelu(x)
    if m == "relu":
        return F.relu(x)
    if m == "swiglu":
        return F.silu(x)
    raise ValueError(m)


def rope_cos_sin(style, r, hd, base, T):
    """cos, sin of shape (T, width) for the rotated part; width r (or hd for proportional)"""
    t = torch.arange(T, dtype=torch.float64)
    if style == "proportional":
        # HF _compute_proportional_rope_parameters (Gemma 4 global layers): angles =
        # int(frac hd // 2) live frequencies base^(-2i/hd), then zeros; rotate_half over the
        # whole head, so pairs are (i, i + hd/2) and the exponent's denominator is hd
        angles = r // 2
        inv = torch.zeros(hd // 2)
        inv[:angles] = 1.0 / base ** (torch.arange(0, 2 * angles, 2, dtype=torch.float64) / hd)
        fr = torch.outer(t, inv)
        emb = torch.cat([fr, fr], -1)
    else:
        inv = 1.0 / base ** (torch.arange(0, r, 2, dtype=torch.float64) / r)
        fr = torch.outer(t, inv)
        # GPT-NeoX/LLaMA: cat(freqs, freqs); Cohere: repeat_interleave(freqs, 2)
        emb = torch.cat([fr, fr], -1) if style == "half" else fr.repeat_interleave(2, -1)
    return emb.cos(), emb.sin()


def rotate(x, cos, sin, style):
    if style == "interleaved":  # Cohere rotate_half
        x1, x2 = x[..., ::2], x[..., 1::2]
        rot = torch.stack([-x2, x1], -1).flatten(-2)
    else:  # GPT-NeoX / LLaMA rotate_half
        h = x.shape[-1] // 2
        rot = torch.cat([-x[..., h:], x[..., :h]], -1)
    return x * cos + rot * sin


def apply_rope(s, l, x):
    """x (B, heads, T, hd)"""
    hd, T = s["hd"], x.shape[2]
    if s["positions"] != "rope":
        return x
    if is_global(s, l) and s["global_rope_style"] == "proportional":
        r = 2 * int(s["global_rope_frac"] * hd // 2)
        cos, sin = rope_cos_sin("proportional", r, hd, s["global_rope_base"], T)
        return rotate(x, cos, sin, "half")
    if is_global(s, l):  # mutation: GPT-NeoX partial rotary with the global fraction and base
        r, base, style = int(s["global_rope_frac"] * hd), s["global_rope_base"], "half"
    else:
        r, base, style = int(s["rope_frac"] * hd), s["rope_base"], s["rope_style"]
    cos, sin = rope_cos_sin(style, r, hd, base, T)
    return torch.cat([rotate(x[..., :r], cos, sin, style), x[..., r:]], -1)


def alibi_slopes(s):
    """HF BLOOM build_alibi_tensor's slopes (HF computes them in float32; here float64)"""
    H = s["H"]
    cp = 2 ** math.floor(math.log2(H))
    base = 2 ** (-(2 ** -(math.log2(cp) - 3)))
    slopes = [base ** p for p in range(1, cp + 1)]
    if cp != H and not s.get("alibi_naive"):
        extra = 2 ** (-(2 ** -(math.log2(2 * cp) - 3)))
        slopes += [extra ** p for p in range(1, 1 + 2 * min(cp, H - cp), 2)]
    elif cp != H:
        slopes += [base ** p for p in range(cp + 1, H + 1)]
    return torch.tensor(slopes)


def t5_bucket(s, rp):
    """HF T5Attention._relative_position_bucket, bidirectional (log in float32 as HF)"""
    nb, md = s["t5_buckets"], s["t5_max_distance"]
    if s.get("t5_unsigned"):
        ret = torch.zeros_like(rp)
    else:
        nb //= 2
        ret = (rp > 0).long() * nb
    rp = rp.abs()
    exact = nb // 2
    large = exact + (torch.log(rp.float() / exact) / math.log(md / exact) * (nb - exact)).long()
    large = torch.minimum(large, torch.full_like(large, nb - 1))
    return ret + torch.where(rp < exact, rp, large)


def position_bias(s, W, T):
    """additive score bias (H, T, T) or None"""
    if s["positions"] == "alibi":
        # HF: alibi = slope * j (key position), one row for every query; normsim adds
        # slope * (j - i): per row a constant shift, which the softmax ignores
        j = torch.arange(T, dtype=torch.float64)
        return (alibi_slopes(s)[:, None] * j[None, :])[:, None, :].expand(s["H"], T, T)
    if s["positions"] == "t5_bias":
        i = torch.arange(T)[:, None]
        j = torch.arange(T)[None, :]
        rp = (i - j) if s.get("t5_flip") else (j - i)  # memory_position - context_position
        return W["attn.rel_bias.weight"][t5_bucket(s, rp)].permute(2, 0, 1)  # layer 0's, shared
    return None


def attention(s, W, p, l, h, bias):
    B, T, _ = h.shape
    H, KV, hd = s["H"], s["KV"], s["hd"]
    nob = s.get("no_qkv_bias")
    q = F.linear(h, W[p + "attn.q.weight"], None if nob else W.get(p + "attn.q.bias"))
    k = F.linear(h, W[p + "attn.k.weight"], None if nob else W.get(p + "attn.k.bias"))
    v = F.linear(h, W[p + "attn.v.weight"], None if nob else W.get(p + "attn.v.bias"))
    after = s.get("qk_norm_after_rope")
    if s["qk_norm"] == "full" and not after:  # OLMo-2: over the full q / k width, pre-RoPE
        q, k = apply_norm(s, W, p + "attn.q_norm", q), apply_norm(s, W, p + "attn.k_norm", k)
    q, k, v = (x.reshape(B, T, n, hd) for x, n in ((q, H), (k, KV), (v, KV)))
    if s["qk_norm"] == "per_head" and not after:  # Gemma 4 (normsim: the model's scheme,
        # with its parameters; --norm swaps it too)
        q, k = apply_norm(s, W, p + "attn.q_norm", q), apply_norm(s, W, p + "attn.k_norm", k)
    if s["v_norm"]:
        # normsim: v_norm is the model's scheme with its gain; HF Gemma4 uses
        # Gemma4RMSNorm(with_scale=False). Equal at init (gain 1), not once perturbed.
        v = apply_norm(s, W, p + "attn.v_norm", v, noscale=s.get("v_norm_noscale", False))
    q, k, v = (x.transpose(1, 2) for x in (q, k, v))
    q, k = apply_rope(s, l, q), apply_rope(s, l, k)
    if after:
        if s["qk_norm"] == "full":
            q = apply_norm(s, W, p + "attn.q_norm", q.transpose(1, 2).reshape(B, T, -1)).reshape(B, T, H, hd).transpose(1, 2)
            k = apply_norm(s, W, p + "attn.k_norm", k.transpose(1, 2).reshape(B, T, -1)).reshape(B, T, KV, hd).transpose(1, 2)
        else:
            q, k = apply_norm(s, W, p + "attn.q_norm", q), apply_norm(s, W, p + "attn.k_norm", k)
    if s.get("kv_tiled"):  # mutation
        k, v = k.repeat(1, H // KV, 1, 1), v.repeat(1, H // KV, 1, 1)
    else:  # HF repeat_kv: query head h reads kv head h // (H/KV)
        k, v = k.repeat_interleave(H // KV, dim=1), v.repeat_interleave(H // KV, dim=1)
    scale = s["attn_scale"] if s["attn_scale"] else 1.0 / math.sqrt(hd)
    sc = (q @ k.transpose(-2, -1)) * scale
    if bias is not None:
        sc = sc + bias
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    visible = torch.ones(T, T, dtype=torch.bool)
    if s["causal"]:
        visible &= j <= i
    # the window size is ours (the config's); which layers have one is a fact
    w = s["window_sizes"][l] if s["window"] and not is_global(s, l) else 0
    if w > 0:  # Mistral / Gemma sliding window: i - w < j (shifted by the mutations)
        visible &= j > i - w - s.get("window_shift", 0)
    prob = torch.softmax(sc.masked_fill(~visible, float("-inf")), dim=-1)
    a = (prob @ v).transpose(1, 2).reshape(B, T, H * hd)
    return F.linear(a, W[p + "attn.out.weight"], W.get(p + "attn.out.bias"))


def mlp(s, W, p, h):
    if s["mlp"] in ("swiglu", "geglu"):
        g = F.linear(h, W[p + "mlp.gate.weight"], W.get(p + "mlp.gate.bias"))
        u = F.linear(h, W[p + "mlp.up.weight"], W.get(p + "mlp.up.bias"))
        a = act(s, g) * u
    else:
        a = act(s, F.linear(h, W[p + "mlp.up.weight"], W.get(p + "mlp.up.bias")))
    return F.linear(a, W[p + "mlp.down.weight"], W.get(p + "mlp.down.bias"))


def block(s, W, l, x, bias, tap):
    p = f"h.{l}."
    N = lambda name, v: apply_norm(s, W, p + name, v)  # noqa: E731
    place, res = s["placement"], s["residual"]
    if res in ("parallel_two", "parallel_shared") and not s.get("parallel_sequential"):
        h1 = N("norm_attn", x)
        tap(f"block.{l}.norm_attn.out", h1)
        h2 = h1
        if res == "parallel_two":  # GPT-NeoX: post_attention_layernorm also reads x
            h2 = N("norm_mlp", x)
            tap(f"block.{l}.norm_mlp.out", h2)
        return x + attn_(s, W, p, l, h1, bias) + mlp(s, W, p, h2)
    if s.get("parallel_sequential"):  # mutation: attention, then the MLP on the new stream
        h1 = N("norm_attn", x)
        tap(f"block.{l}.norm_attn.out", h1)
        x = x + attn_(s, W, p, l, h1, bias)
        return x + mlp(s, W, p, N("norm_attn", x))
    ls_a = W[p + "ls_attn"] if s["layerscale"] else 1.0
    ls_m = W[p + "ls_mlp"] if s["layerscale"] else 1.0
    if place == "post":  # BERT: LayerNorm(x + sublayer(x))
        x = N("norm_attn", x + attn_(s, W, p, l, x, bias))
        tap(f"block.{l}.norm_attn.out", x)
        x = N("norm_mlp", x + mlp(s, W, p, x))
        tap(f"block.{l}.norm_mlp.out", x)
        return x
    if place == "pre_post_taps":  # mutation of bert: pre-LN with the same weights
        h = N("norm_attn", x)
        tap(f"block.{l}.norm_attn.out", h)
        x = x + attn_(s, W, p, l, h, bias)
        h = N("norm_mlp", x)
        tap(f"block.{l}.norm_mlp.out", h)
        return x + mlp(s, W, p, h)
    if place == "post_in_resid":  # OLMo-2: x + RMS(attn(x)); h + RMS(mlp(h))
        a = N("norm_attn", attn_(s, W, p, l, x, bias))
        tap(f"block.{l}.norm_attn.out", a)
        x = x + a
        m = N("norm_mlp", mlp(s, W, p, x))
        tap(f"block.{l}.norm_mlp.out", m)
        return x + m
    # pre-norm, optionally sandwiched (Gemma 2/3/4: post_attention_layernorm and
    # post_feedforward_layernorm on the branch output, before the residual add)
    h = N("norm_attn", x)
    tap(f"block.{l}.norm_attn.out", h)
    a = attn_(s, W, p, l, h, bias)
    if place == "sandwich":
        a = N("norm_attn_post", a)
        tap(f"block.{l}.norm_attn_post.out", a)
    x = x + ls_a * a
    h = N("norm_mlp", x)
    tap(f"block.{l}.norm_mlp.out", h)
    m = mlp(s, W, p, h)
    if place == "sandwich":
        m = N("norm_mlp_post", m)
        tap(f"block.{l}.norm_mlp_post.out", m)
    return x + ls_m * m


attn_ = attention


def embed(s, W, inp):
    d = s["d"]
    if s["input"] == "patches":  # ViT/DINOv2 embeddings: Conv2d(kernel = stride = patch)
        img = inp
        B, C = img.shape[0], img.shape[1]
        pw = W["embed.patches.weight"].reshape(d, C, s["patch"], s["patch"])
        pe = F.conv2d(img, pw, W.get("embed.patches.bias"), stride=s["patch"])  # (B, d, n, n)
        if s.get("patch_order") == "column":
            pe = pe.transpose(2, 3)
        pe = pe.flatten(2).transpose(1, 2)
        x = torch.cat([W["embed.cls"].reshape(1, 1, d).expand(B, 1, d), pe], 1)
    else:
        x = F.embedding(inp, W["embed.tokens.weight"])
        if s["embed_scale_sqrt_d"]:  # Gemma: * hidden_size ** 0.5 (HF rounds it to the
            x = x * math.sqrt(d)     # activation dtype; exact in float64)
        if s["token_types"]:  # BERT: token_type_ids default to zeros
            x = x + W["embed.types.weight"][0]
    T = x.shape[1]
    if s["positions"] == "learned":  # OPT: table index t + 2
        o = s["pos_offset"]
        x = x + W["embed.positions.weight"][o:o + T]
    return x


def head(s, W, y):
    B, T, d = y.shape
    if s["input"] == "patches":
        # classifier on the CLS row (ViTForImageClassification). normsim does the same for
        # DINOv2; HF Dinov2ForImageClassification feeds cat(CLS, mean of patch tokens)
        # to a (classes, 2d) classifier
        z = y[:, 1:].mean(1) if s.get("classify_on") == "mean" else y[:, 0]
        return F.linear(z, W["head.weight"], W.get("head.bias"))
    y = y.reshape(B * T, d)
    if s["mlm_head"]:  # BertLMPredictionHead: transform (dense, gelu, LayerNorm), tied decoder + bias
        h = F.gelu(F.linear(y, W["head.transform.weight"], W["head.transform.bias"]))
        h = apply_norm(s, W, "head.norm", h)
        w = W["embed.tokens.weight"]
        return F.linear(h, w.detach() if s.get("untie_grad") else w, W["head.bias"])
    if s["head_scale_rsqrt_d"]:  # T5 tied: sequence_output * model_dim ** -0.5
        y = y * s["d"] ** -0.5
    w = W["embed.tokens.weight"] if s["tied"] else W["head.weight"]
    if s["tied"] and s.get("untie_grad"):  # gradient mutation: the head's use not summed in
        w = w.detach()
    b = None if s.get("no_head_bias") else W.get("head.bias")
    logits = F.linear(y, w, b)
    if s["logit_scale"]:  # Cohere
        logits = logits * s["logit_scale"]
    if s["logit_softcap"]:  # Gemma 2/4 final_logit_softcapping
        c = s["logit_softcap"]
        logits = c * torch.tanh(logits / c)
    return logits


def forward(s, W, inp):
    """returns {tap: (rows, d)} and the logits"""
    taps = {}

    def tap(name, v):
        taps[name] = v.reshape(-1, v.shape[-1])

    x = embed(s, W, inp)
    T = x.shape[1]
    tap("embed", x)
    if s["embed_norm"]:  # BLOOM word_embeddings_layernorm, BERT embeddings LayerNorm
        x = apply_norm(s, W, "embed.norm", x)
        tap("embed.norm.out", x)
    bias = position_bias(s, W, T)
    for l in range(s["L"]):
        tap(f"resid.{l}", x)
        x = block(s, W, l, x, bias, tap)
    tap(f"resid.{s['L']}", x)
    tap("final.in", x)
    y = apply_norm(s, W, "norm_final", x) if s["final_norm"] else x  # BERT: the last block's LN
    tap("final.out", y)
    return taps, head(s, W, y)


def expected_taps(s):
    taps = ["embed"] + (["embed.norm.out"] if s["embed_norm"] else [])
    for l in range(s["L"]):
        taps.append(f"resid.{l}")
        taps.append(f"block.{l}.norm_attn.out")
        if s["residual"] != "parallel_shared":
            taps.append(f"block.{l}.norm_mlp.out")
        if s["placement"] == "sandwich":
            taps += [f"block.{l}.norm_attn_post.out", f"block.{l}.norm_mlp_post.out"]
    return taps + [f"resid.{s['L']}", "final.in", "final.out"]


def model_input(ex, s):
    return torch.from_numpy(ex.images) if s["input"] == "patches" else torch.from_numpy(ex.tokens.astype(np.int64))


def check_targets(ex, s, inp, rep):
    """targets.npy: int32, one class in [0, V) per logit row (one per image, or one per
    token); loss.npy: float64 (1,)"""
    rows = inp.shape[0] if s["input"] == "patches" else inp.shape[0] * inp.shape[1]
    V = s["V"]
    t, lo = ex.targets, ex.loss
    problems = []
    if t is None:
        problems.append("targets.npy missing")
    elif t.dtype != np.int32 or t.shape != (rows,) or (t.size and (t.min() < 0 or t.max() >= V)):
        problems.append(f"targets.npy is {t.dtype} {t.shape}, expected int32 ({rows},) in [0, {V})")
    if lo is None:
        problems.append("loss.npy missing")
    elif lo.dtype != np.float64 or lo.shape != (1,):
        problems.append(f"loss.npy is {lo.dtype} {lo.shape}, expected float64 (1,)")
    if problems:
        rep.fail("export grads layout", "; ".join(problems))
        return False
    rep.ok("export grads layout")
    return True


def autograd(ex, s, inp=None):
    """the float64 model with the exported weights as leaf tensors: taps, logits, the mean
    cross-entropy against targets.npy and {tensor: dL/dtensor} by loss.backward(). A tensor
    used twice (tied embeddings) is one leaf, so autograd sums both uses."""
    W = {k: torch.from_numpy(v).requires_grad_(True) for k, v in ex.weights.items()}
    taps, logits = forward(s, W, model_input(ex, s) if inp is None else inp)
    loss = F.cross_entropy(logits, torch.from_numpy(ex.targets.astype(np.int64)), reduction="mean")
    loss.backward()
    grads = {k: (w.grad.numpy() if w.grad is not None else np.zeros_like(ex.weights[k])) for k, w in W.items()}
    return taps, logits, loss.detach().numpy().reshape(1), grads


def zero_grad_scale(s, name, tgrads):
    """the scale of the rounding noise of a gradient that is zero in exact arithmetic, or
    None. One case: the key bias when keys are neither rotated nor normalised (no RoPE, no
    k norm). It adds q_i . b_k to every score of row i, which the softmax removes, so
    dL/db_k = sum_t dL/dk_t = 0 exactly; computed, both sides hold rounding noise
    (~1e-16 of the terms). Scale: max|dL/dW_k| of the same layer, whose terms
    dL/dk_t h_t^T are of the same size (h: a normalised row)."""
    if name.endswith(".attn.k.bias") and s["positions"] != "rope" and s["qk_norm"] == "none":
        return float(np.max(np.abs(tgrads[name[:-len("bias")] + "weight"])))
    return None


def compare_grads(ex, s, rep, tref):
    """loss.npy against torch's, and every grads/<tensor>.npy against autograd's"""
    tloss, tgrads = tref
    rep.compare_grad("loss", ex.loss, tloss, tol=LOSS_TOL)
    if ex.grads is None:
        return rep.fail("grads", "the export has no grads/ folder")
    extra = sorted(set(ex.grads) - set(tgrads))
    if extra:
        rep.fail("grads", f"gradients of no tensor: {extra[:6]}")
    for name in expected_tensors(s):
        rep.compare_grad("grad " + name, ex.grads.get(name), tgrads[name],
                         zero_scale=zero_grad_scale(s, name, tgrads))


def compare_forward(ex, s, rep, grads=False):
    inp = model_input(ex, s)
    grads = grads and check_targets(ex, s, inp, rep)  # (else a failure, and the forward only)
    if grads:
        taps, logits, tloss, tgrads = autograd(ex, s, inp)
    else:
        W = {k: torch.from_numpy(v) for k, v in ex.weights.items()}
        with torch.no_grad():
            taps, logits = forward(s, W, inp)
    for name in expected_taps(s):
        rep.compare("tap " + name, ex.taps.get(name), taps[name])
    rep.compare("logits", ex.logits, logits)
    if grads:
        rep.tref = (tloss, tgrads)
        compare_grads(ex, s, rep, rep.tref)


# ---------------------------------------------------------------------------------------
# One case
# ---------------------------------------------------------------------------------------
def case_norm(arch, opts):
    w = opts.split()
    return w[w.index("--norm") + 1] if "--norm" in w else FAMILY[arch]["norm"]


def case_grads(opts):
    return "--grads" in opts.split()


def check_case(ex, arch, opts, rep, mutate=None, grads=False):
    """every check of one export; returns the spec (None if it could not be built)"""
    fact = FAMILY[arch]
    norm = case_norm(arch, opts)
    cfg = ex.cfg
    if cfg.get("arch") != arch:
        rep.fail("config arch", f"{cfg.get('arch')!r}, expected {arch!r}")
        return None
    if norm not in NORM_PARAMS:
        rep.fail("config norm", f"the oracle knows no norm {norm!r}")
        return None
    check_features(fact, norm, opts, cfg, rep)
    s = make_spec(fact, norm, cfg)
    if not check_layout(ex, s, rep):
        return None
    if "--perturb" not in opts.split():
        check_init(ex, s, str(cfg.get("gamma")), rep)
    if mutate:
        mutate(s)
    compare_forward(ex, s, rep, grads)
    return s


def quiet_failures(ex, arch, opts, mutate=None):
    rep = Report("", quiet=True)
    try:
        check_case(ex, arch, opts, rep, mutate)
    except Exception as err:  # a crash counts as a failure of the control's target
        rep.fail("oracle", repr(err))
    return rep.failed


def negative_controls(ex, arch, opts, s):
    """(what, failures reported) for each control; each must report some failure"""
    L = s["L"]
    nudged = ex.copy()
    wname = f"h.{L - 1}.mlp.down.weight"
    w = ex.weights[wname].copy()
    w[0, 0] += 1e-6
    nudged.weights[wname] = w
    yield f"{wname}[0,0] += 1e-6", quiet_failures(nudged, arch, opts)
    holed = ex.copy()
    gone = expected_taps(s)[-4]
    del holed.taps[gone]
    yield f"tap {gone} removed", quiet_failures(holed, arch, opts)
    flipped = ex.copy()
    key = "rope_interleaved" if s["positions"] == "rope" else "causal"
    flipped.cfg["features"][key] = not flipped.cfg["features"][key]
    yield f"feature {key} flipped in config.json", quiet_failures(flipped, arch, opts)


def quiet_grad_failures(ex, s, tref):
    rep = Report("", quiet=True)
    try:
        compare_grads(ex, s, rep, tref)
    except Exception as err:
        rep.fail("oracle", repr(err))
    return rep.failed


def grad_controls(ex, s, tref):
    """(what, failures reported) for each gradient control; each must report some failure.
    They reuse autograd's loss and gradients tref (the torch side is unchanged)."""
    L = s["L"]
    nudged = ex.copy()
    gname = f"h.{L - 1}.mlp.down.weight"
    g = ex.grads[gname].copy()
    i = np.unravel_index(np.argmax(np.abs(g)), g.shape)
    g[i] += 1e-8 * float(np.max(np.abs(g)))
    nudged.grads[gname] = g
    yield f"grad {gname}{list(i)} += 1e-8 max|grad|", quiet_grad_failures(nudged, s, tref)
    holed = ex.copy()
    gone = "h.0.attn.q.weight"
    del holed.grads[gone]
    yield f"grads/{gone}.npy removed", quiet_grad_failures(holed, s, tref)
    lossy = ex.copy()
    lossy.loss = ex.loss * (1 + 1e-11)
    yield "loss x (1 + 1e-11)", quiet_grad_failures(lossy, s, tref)
    zname = "h.0.attn.k.bias"
    scale = zero_grad_scale(s, zname, tref[1]) if zname in tref[1] else None
    if scale is not None:  # a gradient zero in exact arithmetic: C's must stay at rounding
        zeroed = ex.copy()
        z = ex.grads[zname].copy()
        z[0] += 1e-8 * scale
        zeroed.grads[zname] = z
        yield f"grad {zname}[0] += 1e-8 max|grad k.weight| (zero in exact arithmetic)", \
            quiet_grad_failures(zeroed, s, tref)
    if s["tied"] and s["input"] == "tokens":
        # the tied embedding's gradient must be the sum of its two uses: autograd with the
        # head's use detached must disagree (the forward is unchanged)
        untied = dict(s, untie_grad=True)
        try:
            _, _, tl, tg = autograd(ex, untied)
            n = quiet_grad_failures(ex, s, (tl, tg))
        except Exception:
            n = 1
        yield "tied embedding: the head's use not summed in", n


def mutations_for(arch, s):
    """the family's mutations that change its spec s (a swapped norm can make one moot)"""
    out = []
    for n, (fams, m) in MUTATIONS.items():
        if fams is None or arch in fams:
            changed = dict(s)
            m(changed)
            if changed != s:
                out.append((n, m))
    return out


def run_case(name, arch, opts, normsim, tmp, verbose, totals, by_family):
    """export, check, then controls (when it passed) or a diagnosis (when it failed)"""
    rep = Report(name, verbose=verbose)
    out = os.path.join(tmp, name)
    cmd = [normsim, "export", "--arch", arch, "--out", out] + opts.split()
    r = subprocess.run(cmd, capture_output=True, text=True)
    ex = s = None
    if r.returncode != 0:
        rep.fail("export", f"{' '.join(cmd[1:])} exited {r.returncode}: {r.stderr.strip()[-300:]}")
    else:
        try:
            ex = Export(out)
        except (OSError, ValueError, KeyError) as err:
            rep.fail("export", f"cannot read {out}: {err}")
    if ex is not None:
        try:
            s = check_case(ex, arch, opts, rep, grads=case_grads(opts))
        except Exception as err:  # a crash in the oracle is a failed check, never a pass
            rep.fail("oracle", f"{type(err).__name__}: {err}")
        extra = sorted(set(ex.taps) - set(expected_taps(s))) if s else []
        if extra:
            print(f"note {name}: taps not checked (unknown to the oracle): {', '.join(extra)}")
    worst = f"max rel err {rep.worst[0]:.2g} ({rep.worst[1]})" if rep.worst[1] else "no comparisons passed"
    if rep.gworst[1]:
        worst += f"; gradients: max rel err {rep.gworst[0]:.2g} ({rep.gworst[1]})"
    summary = f"oracle: {name} [{arch}, {case_norm(arch, opts)}]: {worst}"
    if s is not None and rep.failed == 0:
        caught = 0
        for what, n in negative_controls(ex, arch, opts, s):
            rep.check(f"control {what}", n > 0, "the oracle reported no failure")
            caught += n > 0
        muts = mutations_for(arch, s) if "--perturb" in opts.split() else []
        for mname, m in muts:
            n = quiet_failures(ex, arch, opts, m)
            rep.check(f"mutation {mname}", n > 0,
                      "the export cannot tell this mutation apart: the fact is not exercised")
            caught += n > 0
        ngrad = 0
        if rep.tref is not None:
            for what, n in grad_controls(ex, s, rep.tref):
                rep.check(f"control {what}", n > 0, "the oracle reported no failure")
                caught += n > 0
                ngrad += 1
        summary += f"; caught {caught}/{3 + ngrad + len(muts)} controls and mutations"
    elif s is not None:
        # which single changed fact would make the export agree? (what C computes instead)
        agree = [mname for mname, m in mutations_for(arch, s) if quiet_failures(ex, arch, opts, m) == 0]
        if agree:
            print(f"diagnosis {name}: the export agrees with the oracle when: " + "; ".join(agree))
    if verbose or rep.failed:
        print(f"{summary}; {rep.passed} passed, {rep.failed} failed")
    fam = by_family.setdefault(arch, {"worst": 0.0, "where": "", "cases": 0, "checks": 0, "failed": 0,
                                      "gcases": 0, "gworst": 0.0, "gwhere": "", "zeros": 0})
    if rep.worst[1] and rep.worst[0] >= fam["worst"]:
        fam["worst"], fam["where"] = rep.worst[0], f"{name}: {rep.worst[1]}"
    if case_grads(opts):
        fam["gcases"] += 1
        fam["zeros"] += rep.zeros
    if rep.gworst[1] and rep.gworst[0] >= fam["gworst"]:
        fam["gworst"], fam["gwhere"] = rep.gworst[0], f"{name}: {rep.gworst[1]}"
    fam["cases"] += 1
    fam["checks"] += rep.passed + rep.failed
    fam["failed"] += rep.failed
    totals[0] += rep.passed
    totals[1] += rep.failed


def main(argv):
    verbose, normsim, keep, only = False, None, None, None
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = list(argv)
    try:
        while args:
            a = args.pop(0)
            if a == "-v":
                verbose = True
            elif a == "--normsim":
                normsim = args.pop(0)
            elif a == "--keep":
                keep = args.pop(0)
            elif a == "--only":
                only = set(args.pop(0).split(","))
            else:
                raise IndexError(a)
    except IndexError:
        print(next(l for l in __doc__.splitlines() if l.startswith("usage:")), file=sys.stderr)
        return 2
    normsim = normsim or os.environ.get("NORMSIM") or os.path.join(root, "build", "normsim")
    cases = [c for c in CASES if only is None or c[0] in only or c[1] in only]
    missing = set(FAMILY) - {c[1] for c in CASES}
    totals = [0, 0]
    if missing and only is None:
        print(f"FAIL oracle: no case for {sorted(missing)}")
        totals[1] += 1
    missing = set(FAMILY) - {c[1] for c in CASES if case_grads(c[2])}
    if missing and only is None:
        print(f"FAIL oracle: no --grads case for {sorted(missing)}")
        totals[1] += 1
    if keep:
        if os.path.exists(keep):
            print(f"oracle_archs.py: --keep {keep} exists", file=sys.stderr)
            return 2
        os.makedirs(keep)
        tmp = keep
    else:
        tmp = tempfile.mkdtemp(prefix="normsim-oracle-")
    worst = {}
    try:
        for name, arch, opts in cases:
            run_case(name, arch, opts, normsim, tmp, verbose, totals, worst)
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print("oracle: per family: cases, checks, failed; largest relative error of a passing comparison")
    for arch in FAMILY:
        if arch in worst:
            w = worst[arch]
            state = "ok" if w["failed"] == 0 else f"{w['failed']} FAILED"
            print(f"  {arch:10s} {w['cases']} cases {w['checks']:4d} checks  {state:10s} "
                  f"{w['worst']:8.2g}  {w['where']}")
    print("oracle: gradients per family: cases with --grads; largest relative error of a passing "
          "gradient or loss; gradients zero in exact arithmetic")
    for arch in FAMILY:
        if arch in worst and worst[arch]["gcases"]:
            w = worst[arch]
            print(f"  {arch:10s} {w['gcases']} cases  {w['gworst']:8.2g}  {w['zeros']:2d} zero  {w['gwhere']}")
    print(f"oracle: {totals[0]} passed, {totals[1]} failed")
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
