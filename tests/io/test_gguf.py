#!/usr/bin/python3
"""GGUF: inspect and diagnose --checkpoint on .gguf files written by tests/io/gguf_write.py
(from the GGUF spec), and bad GGUF input.

usage: test_gguf.py NORMSIM

* The same gpt2 (LayerNorm) and llama (RMSNorm) tensors as a Hugging Face safetensors file
  and as GGUF (llama.cpp's names; matrices Q8_0, norms F32): `inspect` gives the same
  classification, and for gpt2 the same p (--write-direction) to 1e-7 (the two read the
  same F32 gains; a control: a GGUF with one gain changed by 1e-3 must differ).
* Bad input, each: exit 2, one line `normsim: error: ...` naming the problem, nothing on
  stdout, and a peak RSS under 64 MB (a 1 KB file must not allocate gigabytes): truncated,
  tensor offsets past the end, a misaligned offset, n_tensors 2^40, a string length past
  the file, version 1, an unknown architecture, a quantization type not read (Q4_K).
Last line: `gguf: N passed, N failed`.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_write import write_gguf  # noqa: E402
from make_models import write_safetensors  # noqa: E402
from suite import Suite  # noqa: E402
import torch  # noqa: E402

SUITE = Suite("gguf")
check = SUITE.check



def run(ns, *args):
    return subprocess.run([ns] + list(args), capture_output=True, text=True)


def models(rng, d=32, L=2, V=64, ff=64):
    """(HF tensors, config, GGUF metadata, GGUF tensors) for gpt2 and llama"""
    n = lambda *s: rng.standard_normal(s) * 0.2
    g = lambda: np.exp(0.5 * rng.standard_normal(d))
    out = {}
    hf, gg = {}, [("token_embd.weight", n(V, d), "Q8_0"), ("position_embd.weight", n(16, d), "F32")]
    hf["transformer.wte.weight"], hf["transformer.wpe.weight"] = gg[0][1], gg[1][1]
    for l in range(L):
        for hn, gn in (("ln_1", "attn_norm"), ("ln_2", "ffn_norm")):
            w, b = g(), n(d)
            hf[f"transformer.h.{l}.{hn}.weight"], hf[f"transformer.h.{l}.{hn}.bias"] = w, b
            gg += [(f"blk.{l}.{gn}.weight", w, "F32"), (f"blk.{l}.{gn}.bias", b, "F32")]
        for hn, gn, shape in (("attn.c_attn", "attn_qkv", (d, 3 * d)), ("attn.c_proj", "attn_output", (d, d)),
                              ("mlp.c_fc", "ffn_up", (d, ff)), ("mlp.c_proj", "ffn_down", (ff, d))):
            w, b = n(*shape), n(shape[1])
            hf[f"transformer.h.{l}.{hn}.weight"], hf[f"transformer.h.{l}.{hn}.bias"] = w, b
            gg += [(f"blk.{l}.{gn}.weight", w.T.copy(), "Q8_0"), (f"blk.{l}.{gn}.bias", b, "F32")]
    w, b = g(), n(d)
    hf["transformer.ln_f.weight"], hf["transformer.ln_f.bias"] = w, b
    gg += [("output_norm.weight", w, "F32"), ("output_norm.bias", b, "F32")]
    meta = [("general.architecture", "string", "gpt2"), ("gpt2.embedding_length", "u32", d),
            ("gpt2.block_count", "u32", L), ("gpt2.attention.head_count", "u32", 4),
            ("gpt2.feed_forward_length", "u32", ff), ("gpt2.context_length", "u32", 16),
            ("gpt2.attention.layer_norm_epsilon", "f32", 1e-5)]
    out["gpt2"] = (hf, {"model_type": "gpt2", "n_head": 4, "layer_norm_epsilon": 1e-5}, meta, gg)
    hf, gg = {"model.embed_tokens.weight": n(V, d)}, []
    gg.append(("token_embd.weight", hf["model.embed_tokens.weight"], "Q8_0"))
    for l in range(L):
        for hn, gn in (("input_layernorm", "attn_norm"), ("post_attention_layernorm", "ffn_norm")):
            hf[f"model.layers.{l}.{hn}.weight"] = w = g()
            gg.append((f"blk.{l}.{gn}.weight", w, "F32"))
        for hn, gn, shape in (("self_attn.q_proj", "attn_q", (d, d)), ("self_attn.k_proj", "attn_k", (d, d)),
                              ("self_attn.v_proj", "attn_v", (d, d)), ("self_attn.o_proj", "attn_output", (d, d)),
                              ("mlp.gate_proj", "ffn_gate", (ff, d)), ("mlp.up_proj", "ffn_up", (ff, d)),
                              ("mlp.down_proj", "ffn_down", (d, ff))):
            hf[f"model.layers.{l}.{hn}.weight"] = w = n(*shape)
            gg.append((f"blk.{l}.{gn}.weight", w, "Q8_0"))  # (q/k permutation: irrelevant to inspect)
    hf["model.norm.weight"] = w = g()
    gg.append(("output_norm.weight", w, "F32"))
    meta = [("general.architecture", "string", "llama"), ("llama.embedding_length", "u32", d),
            ("llama.block_count", "u32", L), ("llama.attention.head_count", "u32", 4),
            ("llama.attention.layer_norm_rms_epsilon", "f32", 1e-6)]
    out["llama"] = (hf, {"model_type": "llama", "num_attention_heads": 4, "rms_norm_eps": 1e-6}, meta, gg)
    return out


def inspect_json(ns, path, pfile):
    r = run(ns, "inspect", path, "--format", "json", "--write-direction", pfile)
    return r, (json.loads(r.stdout) if r.returncode == 0 else None)




def same_as_safetensors(ns, tmp):
    for arch, (hf, cfg, meta, gg) in models(np.random.default_rng(5)).items():
        sd = os.path.join(tmp, arch)
        os.makedirs(sd)
        write_safetensors(os.path.join(sd, "model.safetensors"), {k: torch.from_numpy(v) for k, v in hf.items()},
                          {"format": "pt"}, dtype="F32")
        json.dump(cfg, open(os.path.join(sd, "config.json"), "w"))
        gpath = os.path.join(tmp, arch + ".gguf")
        write_gguf(gpath, meta, gg)
        r1, j1 = inspect_json(ns, sd, os.path.join(tmp, arch + "-st.npy"))
        r2, j2 = inspect_json(ns, gpath, os.path.join(tmp, arch + "-gguf.npy"))
        check(f"{arch} inspect safetensors / GGUF", j1 is not None and j2 is not None,
              (r1.stderr + r2.stderr).strip())
        if j1 is None or j2 is None:
            continue
        c1, c2 = j1.get("classification"), j2.get("classification")
        check(f"{arch} same classification", c1 == c2 and c1 is not None, f"{c1!r} vs {c2!r}")
        if arch == "gpt2":
            p1, p2 = np.load(os.path.join(tmp, arch + "-st.npy")), np.load(os.path.join(tmp, arch + "-gguf.npy"))
            err = float(np.abs(np.abs(p1.ravel() @ p2.ravel()) - 1)) if p1.shape == p2.shape else 1.0
            diff = float(np.abs(p1 - p2).max()) if p1.shape == p2.shape else 1.0
            check("gpt2 p from GGUF equals p from safetensors (1e-7)", diff <= 1e-7, f"max diff {diff:.3g}")
            print(f"gguf: gpt2 p: GGUF vs safetensors max |diff| {diff:.2g} (1 - |cos| {err:.2g})")
            bad = [(n, w * (1 + 1e-3 * (np.arange(w.size) == 0)) if n == "output_norm.weight" else w, t)
                   for n, w, t in gg]
            write_gguf(os.path.join(tmp, "nudged.gguf"), meta, bad)
            r3, j3 = inspect_json(ns, os.path.join(tmp, "nudged.gguf"), os.path.join(tmp, "nudged.npy"))
            p3 = np.load(os.path.join(tmp, "nudged.npy")) if j3 else p1
            check("control: one gain changed by 1e-3 moves p", float(np.abs(p3 - p1).max()) > 1e-7, "p unchanged")
        print(f"gguf: {arch}: inspect classification from GGUF and safetensors: {c2}")


def good_gguf(path, tensors=None, meta=None, **kw):
    d = 32
    meta = meta or [("general.architecture", "string", "llama"), ("llama.embedding_length", "u32", d),
                    ("llama.block_count", "u32", 1), ("llama.attention.head_count", "u32", 4)]
    tensors = tensors or [("token_embd.weight", np.ones((8, d)), "F32"), ("output_norm.weight", np.ones(d), "F32")]
    write_gguf(path, meta, tensors, **kw)


def bad_inputs(ns, tmp):
    p = lambda n: os.path.join(tmp, n)
    good_gguf(p("ok.gguf"))
    raw = open(p("ok.gguf"), "rb").read()
    open(p("truncated.gguf"), "wb").write(raw[: len(raw) // 2])
    good_gguf(p("offset.gguf"), offsets=[0, 1 << 40])
    good_gguf(p("misaligned.gguf"), offsets=[0, 4])
    good_gguf(p("ntensors.gguf"), n_tensors=1 << 40)
    good_gguf(p("version1.gguf"), version=1)
    # a string length past the file: n_kv = 1, key length 2^50
    open(p("strlen.gguf"), "wb").write(b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 1 << 50) + b"general" + bytes(900))
    good_gguf(p("arch.gguf"), meta=[("general.architecture", "string", "mamba")])
    good_gguf(p("q4k.gguf"), tensors=[("token_embd.weight", ((8, 256), bytes(8 * 144)), "Q4_K")])
    cases = [("truncated", "truncated"), ("offset", "run past its end"), ("misaligned", "not aligned"),
             ("ntensors", "1099511627776 tensors cannot fit"), ("version1", "GGUF version 1 is not supported"),
             ("strlen", "runs past the end of the file"), ("q4k", "type Q4_K (12): not supported")]
    peak = 0
    for name, want in cases:
        for cmd in (["inspect"], ["diagnose", "--checkpoint"]):
            peak = max(peak, expect_error(ns, cmd + [p(name + ".gguf")], want, f"{' '.join(cmd)} {name}"))
    expect_error(ns, ["diagnose", "--checkpoint", p("arch.gguf")], "GGUF architecture 'mamba' is not supported",
                 "diagnose --checkpoint unknown architecture")
    sizes = [os.path.getsize(p(n + ".gguf")) for n, _ in cases]
    print(f"gguf: bad inputs of {min(sizes)}..{max(sizes)} bytes refused, peak RSS {peak / 1024:.1f} MB")


def expect_error(ns, args, want, what):
    rf = os.path.join(os.path.dirname(args[-1]), "rss.txt")
    r = subprocess.run(["/usr/bin/time", "-o", rf, "-f", "%M", ns] + list(args), capture_output=True, text=True)
    rss = int(open(rf).read().split()[-1])  # KB, this run alone
    lines = r.stderr.strip().splitlines()
    check(what, r.returncode == 2 and not r.stdout and len(lines) == 1 and lines[0].startswith("normsim: error: ")
          and want in lines[0], f"exit {r.returncode}, stderr {r.stderr.strip()!r} (wanted {want!r})")
    check(what + " (memory)", rss < 64 * 1024, f"peak RSS {rss / 1024:.0f} MB")
    return rss


def per_head_norms(ns, tmp):
    """inspect lists a 2-D (heads, head_dim) norm weight (Command R+ q_norm / k_norm) with one
    prediction per head: LayerNorm without bias (cohere) predicts one kernel per head, p_h =
    g_h^-1 / |g_h^-1|, so 4 in all for 4 heads; as RMSNorm (llama) none"""
    rng = np.random.default_rng(3)
    g = lambda *s: torch.from_numpy(np.exp(0.3 * rng.standard_normal(s)))
    for mt, eps, want in (("cohere", "layer_norm_eps", 4), ("llama", "rms_norm_eps", 0)):
        d = os.path.join(tmp, "heads-" + mt)
        os.makedirs(d)
        t = {"model.embed_tokens.weight": g(16, 32), "model.layers.0.input_layernorm.weight": g(32),
             "model.layers.0.self_attn.q_norm.weight": g(4, 8), "model.norm.weight": g(32)}
        write_safetensors(os.path.join(d, "model.safetensors"), t, {"format": "pt"}, dtype="F32")
        json.dump({"model_type": mt, eps: 1e-5}, open(os.path.join(d, "config.json"), "w"))
        r = run(ns, "inspect", d, "--format", "json")
        j = json.loads(r.stdout) if r.returncode == 0 else {"norms": []}
        q = [n for n in j["norms"] if n["name"].endswith("q_norm")]
        ok = len(q) == 1 and q[0]["heads"] == 4 and q[0]["d"] == 8 and q[0]["predicted_k_all_heads"] == want
        check(f"inspect {mt}: q_norm (4, 8) listed per head, {want} kernel dims", ok, f"{q} {r.stderr.strip()}")
        print(f"gguf: inspect {mt} q_norm (4 heads x 8): predicted kernel dims {q[0]['predicted_k_all_heads'] if q else '-'}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    tmp = tempfile.mkdtemp(prefix="normsim-gguf-")
    try:
        same_as_safetensors(sys.argv[1], tmp)
        per_head_norms(sys.argv[1], tmp)
        bad_inputs(sys.argv[1], tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return SUITE.summary()


if __name__ == "__main__":
    sys.exit(main())
