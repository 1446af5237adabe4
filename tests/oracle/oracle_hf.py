#!/usr/bin/python3
"""Hugging Face import against the PyTorch oracle, one case per family.

usage: oracle_hf.py [--normsim PATH] [--only NAME[,NAME...]]

For each case: `normsim export` writes a small perturbed model (random gains); the
oracle (oracle_archs.py) computes its forward pass from those weights in float64; this
script writes the same weights under the family's real Hugging Face names and layout
(to_hf below: Conv1D transposes, fused query_key_value per head or in blocks, written
from the HF modeling_<family>.py files, not from normsim's table) with a config.json a
transformers user would have; then `normsim diagnose --checkpoint DIR --input tokens.npy
--dump-acts` must give the oracle's final.out:
    max|c - torch| / max|torch|  <=  1e-12.
Negative control per case: the HF tensor feeding the final norm nudged by 1e-6 must make
the same comparison fail. Also: a config normsim cannot honour (gemma with hidden_act
silu) must be refused with one error naming hidden_act, exit 2.
Last line: `oracle_hf: N passed, N failed`.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "io"))
import oracle_archs as oa  # noqa: E402
from families import FAMILY  # noqa: E402
from make_models import write_safetensors  # noqa: E402
from gguf_write import dequant, write_gguf  # noqa: E402
from suite import Suite  # noqa: E402

TOL = 1e-12
T12 = "--d 32 --layers 2 --heads 4 --seq 12 --vocab 97 --tokens 24 --perturb 0.02 --gamma random:0.3"
CASES = [  # name, arch, export options, HF naming
    ("gpt2", "gpt2", T12, "gpt2"),
    ("pythia", "pythia", T12.replace("--d 32", "--d 64"), "gpt_neox"),
    ("opt", "opt", T12, "opt"),
    ("bloom", "bloom", T12, "bloom"),
    ("falcon", "falcon", T12, "falcon"),
    ("phi2", "phi2", T12.replace("--d 32", "--d 80"), "phi"),
    ("command-r", "command-r", T12 + " --d-ff 64", "cohere"),
    ("llama", "llama", T12 + " --d-ff 64", "llama"),
    ("mistral", "mistral", T12 + " --d-ff 64 --kv-heads 2 --window 4", "mistral"),
    ("qwen2", "qwen2", T12 + " --d-ff 64 --kv-heads 2", "qwen2"),
    ("gemma2", "gemma", T12 + " --d-ff 64 --kv-heads 2", "gemma2"),
    ("gemma1", "gemma", T12 + " --d-ff 64 --kv-heads 2", "gemma"),
    ("t5", "t5", T12.replace("--seq 12", "--seq 16").replace("--tokens 24", "--tokens 32"), "t5"),
    ("olmo1", "olmo1", T12 + " --d-ff 64", "olmo"),
    ("olmo2", "olmo2", T12 + " --d-ff 64", "olmo2"),
    ("bert", "bert", T12, "bert"),
]


def per_head(ws, H):
    """q, k, v (each (H hd, ...)) -> rows [head][q k v][hd] (GPT-NeoX, BLOOM query_key_value)"""
    parts = [w.reshape(H, -1, *w.shape[1:]) for w in ws]
    return torch.stack(parts, 1).reshape(-1, *ws[0].shape[1:])


def to_hf(mt, W, s):
    """normsim weights W -> (HF state dict, config.json) of model_type mt"""
    d, L, H, KV, V = s["d"], s["L"], s["H"], s["KV"], s["V"]
    out = {}

    def put(name, key):
        if key in W:
            out[name] = W[key].clone()

    def norm(hf, ns):
        put(hf + ".weight", ns + ".weight")
        put(hf + ".bias", ns + ".bias")

    def lin(hf, ns):
        put(hf + ".weight", ns + ".weight")
        put(hf + ".bias", ns + ".bias")

    def attn_sep(pre, names, l):
        for hf, ns in zip(names, ("q", "k", "v", "out")):
            lin(f"{pre}.{hf}", f"h.{l}.attn.{ns}")

    base = dict(model_type=mt, vocab_size=V, num_hidden_layers=L, num_attention_heads=H, hidden_size=d,
                intermediate_size=s["d_ff"], max_position_embeddings=s["seq"])
    if mt == "gpt2":
        p = "transformer."
        put(p + "wte.weight", "embed.tokens.weight")
        put(p + "wpe.weight", "embed.positions.weight")
        for l in range(L):
            q = f"h.{l}.attn."
            norm(f"{p}h.{l}.ln_1", f"h.{l}.norm_attn")
            norm(f"{p}h.{l}.ln_2", f"h.{l}.norm_mlp")
            out[f"{p}h.{l}.attn.c_attn.weight"] = torch.cat([W[q + x + ".weight"] for x in "qkv"]).T.clone()
            out[f"{p}h.{l}.attn.c_attn.bias"] = torch.cat([W[q + x + ".bias"] for x in "qkv"])
            out[f"{p}h.{l}.attn.c_proj.weight"] = W[q + "out.weight"].T.clone()
            out[f"{p}h.{l}.attn.c_proj.bias"] = W[q + "out.bias"]
            out[f"{p}h.{l}.mlp.c_fc.weight"] = W[f"h.{l}.mlp.up.weight"].T.clone()
            out[f"{p}h.{l}.mlp.c_fc.bias"] = W[f"h.{l}.mlp.up.bias"]
            out[f"{p}h.{l}.mlp.c_proj.weight"] = W[f"h.{l}.mlp.down.weight"].T.clone()
            out[f"{p}h.{l}.mlp.c_proj.bias"] = W[f"h.{l}.mlp.down.bias"]
        norm(p + "ln_f", "norm_final")
        return out, dict(model_type="gpt2", n_embd=d, n_layer=L, n_head=H, vocab_size=V, n_positions=s["seq"],
                         layer_norm_epsilon=s["eps"], activation_function="gelu_new")
    if mt in ("gpt_neox", "bloom", "falcon"):
        p = {"gpt_neox": "gpt_neox.", "bloom": "transformer.", "falcon": "transformer."}[mt]
        lay = "layers" if mt == "gpt_neox" else "h"
        att = "attention" if mt == "gpt_neox" else "self_attention"
        put(p + ("embed_in.weight" if mt == "gpt_neox" else "word_embeddings.weight"), "embed.tokens.weight")
        norm(p + "word_embeddings_layernorm", "embed.norm")
        for l in range(L):
            norm(f"{p}{lay}.{l}.input_layernorm", f"h.{l}.norm_attn")
            norm(f"{p}{lay}.{l}.post_attention_layernorm", f"h.{l}.norm_mlp")
            q = f"h.{l}.attn."
            for kind in ("weight", "bias"):
                ws = [W[q + x + "." + kind] for x in "qkv" if q + x + "." + kind in W]
                if ws:
                    fused = torch.cat(ws) if mt == "falcon" else per_head(ws, H)
                    out[f"{p}{lay}.{l}.{att}.query_key_value.{kind}"] = fused
            lin(f"{p}{lay}.{l}.{att}.dense", f"h.{l}.attn.out")
            lin(f"{p}{lay}.{l}.mlp.dense_h_to_4h", f"h.{l}.mlp.up")
            lin(f"{p}{lay}.{l}.mlp.dense_4h_to_h", f"h.{l}.mlp.down")
        norm(p + ("final_layer_norm" if mt == "gpt_neox" else "ln_f"), "norm_final")
        if mt == "gpt_neox":
            put("embed_out.weight", "head.weight")
            return out, dict(base, rotary_pct=0.25, rotary_emb_base=10000, layer_norm_eps=s["eps"],
                             use_parallel_residual=True, hidden_act="gelu", tie_word_embeddings=False)
        if mt == "bloom":
            return out, dict(model_type="bloom", hidden_size=d, n_head=H, n_layer=L, vocab_size=V,
                             layer_norm_epsilon=s["eps"], apply_residual_connection_post_layernorm=False)
        return out, dict(base, multi_query=True, parallel_attn=True, new_decoder_architecture=False, bias=False,
                         alibi=False, layer_norm_epsilon=s["eps"], rope_theta=10000.0)
    if mt == "opt":
        p = "model.decoder."
        put(p + "embed_tokens.weight", "embed.tokens.weight")
        put(p + "embed_positions.weight", "embed.positions.weight")
        for l in range(L):
            norm(f"{p}layers.{l}.self_attn_layer_norm", f"h.{l}.norm_attn")
            attn_sep(f"{p}layers.{l}.self_attn", ("q_proj", "k_proj", "v_proj", "out_proj"), l)
            norm(f"{p}layers.{l}.final_layer_norm", f"h.{l}.norm_mlp")
            lin(f"{p}layers.{l}.fc1", f"h.{l}.mlp.up")
            lin(f"{p}layers.{l}.fc2", f"h.{l}.mlp.down")
        norm(p + "final_layer_norm", "norm_final")
        return out, dict(base, ffn_dim=s["d_ff"], word_embed_proj_dim=d, activation_function="relu",
                         do_layer_norm_before=True)
    if mt == "t5":
        put("shared.weight", "embed.tokens.weight")
        put("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", "attn.rel_bias.weight")
        for l in range(L):
            b = f"encoder.block.{l}.layer."
            put(b + "0.layer_norm.weight", f"h.{l}.norm_attn.weight")
            for hf, ns in zip("qkvo", ("q", "k", "v", "out")):
                put(f"{b}0.SelfAttention.{hf}.weight", f"h.{l}.attn.{ns}.weight")
            put(b + "1.layer_norm.weight", f"h.{l}.norm_mlp.weight")
            put(b + "1.DenseReluDense.wi.weight", f"h.{l}.mlp.up.weight")
            put(b + "1.DenseReluDense.wo.weight", f"h.{l}.mlp.down.weight")
        put("encoder.final_layer_norm.weight", "norm_final.weight")
        out["decoder.final_layer_norm.weight"] = torch.ones(d)  # the decoder: not normsim's, ignored
        return out, dict(model_type="t5", d_model=d, d_kv=d // H, d_ff=s["d_ff"], num_heads=H, num_layers=L,
                         vocab_size=V, relative_attention_num_buckets=32, relative_attention_max_distance=128,
                         feed_forward_proj="relu", layer_norm_epsilon=s["eps"], tie_word_embeddings=True)
    if mt == "bert":
        p = "bert."
        put(p + "embeddings.word_embeddings.weight", "embed.tokens.weight")
        put(p + "embeddings.position_embeddings.weight", "embed.positions.weight")
        put(p + "embeddings.token_type_embeddings.weight", "embed.types.weight")
        norm(p + "embeddings.LayerNorm", "embed.norm")
        for l in range(L):
            e = f"{p}encoder.layer.{l}."
            attn_sep(e + "attention", ("self.query", "self.key", "self.value", "output.dense"), l)
            norm(e + "attention.output.LayerNorm", f"h.{l}.norm_attn")
            lin(e + "intermediate.dense", f"h.{l}.mlp.up")
            lin(e + "output.dense", f"h.{l}.mlp.down")
            norm(e + "output.LayerNorm", f"h.{l}.norm_mlp")
        lin("cls.predictions.transform.dense", "head.transform")
        norm("cls.predictions.transform.LayerNorm", "head.norm")
        put("cls.predictions.bias", "head.bias")
        out["cls.predictions.decoder.weight"] = W["embed.tokens.weight"].clone()
        return out, dict(base, type_vocab_size=2, layer_norm_eps=s["eps"], hidden_act="gelu",
                         position_embedding_type="absolute")
    # the LLaMA naming and its relatives
    p = "model."
    put(p + "embed_tokens.weight", "embed.tokens.weight")
    for l in range(L):
        y = f"{p}layers.{l}."
        names = {"gemma2": (("input_layernorm", "norm_attn"), ("post_attention_layernorm", "norm_attn_post"),
                            ("pre_feedforward_layernorm", "norm_mlp"), ("post_feedforward_layernorm", "norm_mlp_post")),
                 "olmo2": (("post_attention_layernorm", "norm_attn"), ("post_feedforward_layernorm", "norm_mlp"),
                           ("self_attn.q_norm", "attn.q_norm"), ("self_attn.k_norm", "attn.k_norm")),
                 "phi": (("input_layernorm", "norm_attn"),),
                 "cohere": (("input_layernorm", "norm_attn"),),
                 }.get(mt, (("input_layernorm", "norm_attn"), ("post_attention_layernorm", "norm_mlp")))
        for hf, ns in names:
            norm(y + hf, f"h.{l}.{ns}")
        attn_sep(y + "self_attn", ("q_proj", "k_proj", "v_proj", "dense" if mt == "phi" else "o_proj"), l)
        if mt == "phi":
            lin(y + "mlp.fc1", f"h.{l}.mlp.up")
            lin(y + "mlp.fc2", f"h.{l}.mlp.down")
        else:
            for hf in ("gate", "up", "down"):
                lin(f"{y}mlp.{hf}_proj", f"h.{l}.mlp.{hf}")
    norm(p + ("final_layernorm" if mt == "phi" else "norm"), "norm_final")
    lin("lm_head", "head")
    cfg = dict(base, num_key_value_heads=KV, head_dim=d // H, rope_theta=float(s["rope_base"]),
               tie_word_embeddings="head.weight" not in W)
    eps = "layer_norm_eps" if mt in ("phi", "cohere") else "rms_norm_eps"
    cfg[eps] = s["eps"]
    cfg.update({"phi": dict(partial_rotary_factor=0.4, hidden_act="gelu_new", qk_layernorm=False),
                "cohere": dict(logit_scale=0.0625, hidden_act="silu", use_qk_norm=False),
                "gemma2": dict(hidden_activation="gelu_pytorch_tanh", query_pre_attn_scalar=d // H,
                               final_logit_softcapping=None, attn_logit_softcapping=None, sliding_window=4096),
                "gemma": dict(hidden_activation="gelu_pytorch_tanh"),
                "mistral": dict(hidden_act="silu", sliding_window=max(s["window_sizes"] or [0])),
                "qwen2": dict(hidden_act="silu", use_sliding_window=False, sliding_window=4096),
                "olmo": dict(hidden_act="silu", clip_qkv=None)}.get(mt, dict(hidden_act="silu")))
    return out, cfg


def permute(w, n_head):
    """llama.cpp convert_hf_to_gguf.py LlamaModel.permute: HF rotate_half rows -> its RoPE order"""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def to_gguf(mt, hf, cfg, s, wtype):
    """(metadata, tensors) of the GGUF llama.cpp's converter writes from HF tensors hf; matrices
    in wtype, vectors F32"""
    t = lambda name, a: (name, a.numpy(), wtype if a.ndim == 2 else "F32")
    out = []
    eps = float(np.float32(s["eps"]))
    if mt == "llama":
        meta = [("general.architecture", "string", "llama"), ("general.alignment", "u32", 64),
                ("llama.embedding_length", "u32", s["d"]), ("llama.block_count", "u32", s["L"]),
                ("llama.attention.head_count", "u32", s["H"]), ("llama.attention.head_count_kv", "u32", s["KV"]),
                ("llama.feed_forward_length", "u32", s["d_ff"]), ("llama.context_length", "u32", s["seq"]),
                ("llama.rope.dimension_count", "u32", s["hd"]), ("llama.rope.freq_base", "f32", 10000.0),
                ("llama.attention.layer_norm_rms_epsilon", "f32", eps),
                ("tokenizer.ggml.tokens", ("array", "string"), [f"t{i}" for i in range(s["V"])]),
                ("tokenizer.ggml.scores", ("array", "f32"), [0.0] * s["V"])]
        out.append(t("token_embd.weight", hf["model.embed_tokens.weight"]))
        for l in range(s["L"]):
            y = f"model.layers.{l}."
            out += [t(f"blk.{l}.attn_norm.weight", hf[y + "input_layernorm.weight"]),
                    t(f"blk.{l}.attn_q.weight", permute(hf[y + "self_attn.q_proj.weight"], s["H"])),
                    t(f"blk.{l}.attn_k.weight", permute(hf[y + "self_attn.k_proj.weight"], s["KV"])),
                    t(f"blk.{l}.attn_v.weight", hf[y + "self_attn.v_proj.weight"]),
                    t(f"blk.{l}.attn_output.weight", hf[y + "self_attn.o_proj.weight"]),
                    t(f"blk.{l}.ffn_norm.weight", hf[y + "post_attention_layernorm.weight"])]
            out += [t(f"blk.{l}.ffn_{x}.weight", hf[f"{y}mlp.{x}_proj.weight"]) for x in ("gate", "up", "down")]
        out += [t("output_norm.weight", hf["model.norm.weight"]), t("output.weight", hf["lm_head.weight"])]
        return meta, out
    meta = [("general.architecture", "string", "gpt2"), ("gpt2.embedding_length", "u32", s["d"]),
            ("gpt2.block_count", "u32", s["L"]), ("gpt2.attention.head_count", "u32", s["H"]),
            ("gpt2.feed_forward_length", "u32", s["d_ff"]), ("gpt2.context_length", "u32", s["seq"]),
            ("gpt2.attention.layer_norm_epsilon", "f32", eps)]
    p = "transformer."
    out += [t("token_embd.weight", hf[p + "wte.weight"]), t("position_embd.weight", hf[p + "wpe.weight"])]
    for l in range(s["L"]):
        h = f"{p}h.{l}."
        for g, n in (("attn_norm", "ln_1"), ("ffn_norm", "ln_2")):
            out += [t(f"blk.{l}.{g}.weight", hf[h + n + ".weight"]), t(f"blk.{l}.{g}.bias", hf[h + n + ".bias"])]
        for g, n in (("attn_qkv", "attn.c_attn"), ("attn_output", "attn.c_proj"), ("ffn_up", "mlp.c_fc"),
                     ("ffn_down", "mlp.c_proj")):  # Conv1D weights transposed by the converter
            out += [t(f"blk.{l}.{g}.weight", hf[h + n + ".weight"].T.contiguous()),
                    t(f"blk.{l}.{g}.bias", hf[h + n + ".bias"])]
    out += [t("output_norm.weight", hf[p + "ln_f.weight"]), t("output_norm.bias", hf[p + "ln_f.bias"]),
            t("output.weight", hf[p + "wte.weight"])]
    return meta, out


def gguf_cases(name, mt, W, s, ex_dir, tok, normsim, tmp, c):
    """the same model as GGUF (v3, v2) with matrices in F32 / F16 / BF16 / Q8_0 / Q4_0, against the
    oracle on the weights as decoded (dequant(), from the GGUF spec)"""
    for version, wtype in ((3, "F32"), (2, "F16"), (3, "BF16"), (3, "Q8_0"), (3, "Q4_0")):
        Wq = {k: torch.from_numpy(dequant(v.numpy(), wtype if v.ndim == 2 else "F32")) for k, v in W.items()}
        sq = dict(s, eps=float(np.float32(s["eps"])))
        with torch.no_grad():
            ref = oa.forward(sq, Wq, torch.from_numpy(np.load(tok).astype(np.int64)))[0]["final.out"].numpy()
        hf, _ = to_hf(mt, W, s)
        meta, tensors = to_gguf(mt, hf, None, s, wtype)
        path = os.path.join(tmp, f"{name}-{wtype}.gguf")
        write_gguf(path, meta, tensors, version=version, align=64 if mt == "llama" else 32)
        r, got = import_and_dump(normsim, path, tok, os.path.join(tmp, f"{name}-{wtype}.npy"))
        if got is None:
            c.check(f"{name} GGUF v{version} {wtype}", False, r.stderr.strip()[-400:])
            continue
        rel = float(np.abs(got - ref).max() / np.abs(ref).max())
        c.check(f"{name} GGUF v{version} {wtype} final.out", rel <= TOL, f"rel err {rel:.3g} > {TOL}")
        c.check(f"{name} GGUF v{version} {wtype} uses every tensor", "not used" not in r.stderr, r.stderr.strip())
        if wtype != "F32":  # control: the weights as decoded differ from the originals
            with torch.no_grad():
                raw = oa.forward(sq, W, torch.from_numpy(np.load(tok).astype(np.int64)))[0]["final.out"].numpy()
            rel0 = float(np.abs(got - raw).max() / np.abs(raw).max())
            c.check(f"{name} GGUF {wtype} control (undecoded weights disagree)", rel0 > TOL, f"rel {rel0:.3g}")
        print(f"oracle_hf: {name:10s} GGUF v{version} {wtype:5s}: rel err {rel:.2g}")


def final_key(W, s):
    if "norm_final.weight" in W:
        return "norm_final.weight"
    if "h.%d.norm_mlp.weight" % (s["L"] - 1) in W:
        return "h.%d.norm_mlp.weight" % (s["L"] - 1)
    return "h.%d.mlp.down.weight" % (s["L"] - 1)


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def import_and_dump(normsim, hfdir, tokens, out):
    r = run([normsim, "diagnose", "--checkpoint", hfdir, "--input", tokens, "--dump-acts", out, "--format", "json"])
    return r, (np.load(out) if r.returncode == 0 and os.path.exists(out) else None)


def write_hf(hfdir, tensors, cfg):
    os.makedirs(hfdir)
    write_safetensors(os.path.join(hfdir, "model.safetensors"), tensors, {"format": "pt"}, dtype="F64")
    with open(os.path.join(hfdir, "config.json"), "w") as f:
        json.dump(cfg, f)


def one_case(name, arch, opts, mt, normsim, tmp, c):
    ex_dir = os.path.join(tmp, name)
    r = run([normsim, "export", "--arch", arch, "--out", ex_dir] + opts.split())
    if r.returncode != 0:
        c.check(name + " export", False, r.stderr.strip()[-300:])
        return
    ex = oa.Export(ex_dir)
    s = oa.make_spec(FAMILY[arch], FAMILY[arch]["norm"], ex.cfg)
    if mt == "gemma":  # Gemma 1: pre-norm (input_layernorm, post_attention_layernorm = the MLP's)
        s["placement"] = "pre"
    W = {k: torch.from_numpy(v) for k, v in ex.weights.items()}
    with torch.no_grad():
        taps, _ = oa.forward(s, W, torch.from_numpy(ex.tokens.astype(np.int64)))
    ref = taps["final.out"].numpy()
    tensors, cfg = to_hf(mt, W, s)
    tok = os.path.join(ex_dir, "tokens.npy")
    hfdir = os.path.join(tmp, name + "-hf")
    write_hf(hfdir, tensors, cfg)
    r, got = import_and_dump(normsim, hfdir, tok, os.path.join(tmp, name + "-acts.npy"))
    if got is None:
        c.check(f"{name} import ({mt})", False, r.stderr.strip()[-400:])
        return
    c.check(f"{name} import ({mt}) uses every tensor", "not used" not in r.stderr and "fit" not in r.stderr,
            r.stderr.strip()[-300:])
    rel = float(np.abs(got - ref).max() / np.abs(ref).max()) if got.shape == ref.shape else float("inf")
    c.check(f"{name} import ({mt}) final.out", rel <= TOL, f"rel err {rel:.3g} > {TOL} (shapes {got.shape}, {ref.shape})")
    # negative control: the HF tensor holding the final norm's input weight, nudged
    key = final_key(W, s)
    hf_key = next(k for k, v in tensors.items() if v.shape == W[key].shape and torch.equal(v, W[key]))
    bad = dict(tensors)
    bad[hf_key] = tensors[hf_key] * (1 + 1e-6)
    baddir = os.path.join(tmp, name + "-hf-nudged")
    write_hf(baddir, bad, cfg)
    r2, got2 = import_and_dump(normsim, baddir, tok, os.path.join(tmp, name + "-acts2.npy"))
    rel2 = float(np.abs(got2 - ref).max() / np.abs(ref).max()) if got2 is not None else float("inf")
    c.check(f"{name} control ({hf_key} x (1 + 1e-6))", got2 is not None and rel2 > TOL,
            f"rel err {rel2:.3g}: the nudge went unseen")
    print(f"oracle_hf: {name:10s} [{arch}, model_type {mt}]: rel err {rel:.2g}; nudged {hf_key}: {rel2:.2g}")
    if mt in ("llama", "gpt2"):
        gguf_cases(name, mt, W, s, ex_dir, tok, normsim, tmp, c)
    if mt == "gemma":  # the silent-substitution case: hidden_act silu on gemma must be refused
        wrong = os.path.join(tmp, name + "-silu")
        cfg2 = {k: v for k, v in cfg.items() if k != "hidden_activation"}
        cfg2["hidden_act"] = "silu"
        write_hf(wrong, tensors, cfg2)
        r3, _ = import_and_dump(normsim, wrong, tok, os.path.join(tmp, name + "-acts3.npy"))
        lines = r3.stderr.strip().splitlines()
        c.check("gemma hidden_act silu refused", r3.returncode == 2 and len(lines) == 1 and "hidden_act" in lines[0]
                and "silu" in lines[0], f"exit {r3.returncode}: {r3.stderr.strip()}")


def main(argv):
    normsim, only = os.environ.get("NORMSIM") or os.path.join(HERE, "..", "..", "build", "normsim"), None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--normsim" and args:
            normsim = args.pop(0)
        elif a == "--only" and args:
            only = set(args.pop(0).split(","))
        else:
            print(__doc__.splitlines()[2], file=sys.stderr)
            return 2
    c = Suite("oracle_hf")
    tmp = tempfile.mkdtemp(prefix="normsim-oracle-hf-")
    try:
        for name, arch, opts, mt in CASES:
            if only is None or name in only:
                try:
                    one_case(name, arch, opts, mt, normsim, tmp, c)
                except Exception as err:  # a crash is a failed check, never a pass
                    c.check(name, False, f"{type(err).__name__}: {err}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return c.summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
