#!/usr/bin/python3
"""Small Hugging Face-style checkpoints and their PyTorch activations, for tests/io.

usage: make_models.py OUTDIR

Writes, with safetensors written here from struct + json (no safetensors package):

  OUTDIR/gpt2/model.safetensors    GPT-2 in HF naming (transformer.wte.weight, ...,
                                   transformer.h.<i>.attn.c_attn.weight as Conv1D (in, 3d),
                                   transformer.ln_f.*, the causal-mask buffers h.<i>.attn.bias
                                   and the tied lm_head.weight), F64, random non-trivial
                                   weights: LN gains exp(0.5 z), biases N(0, 0.1)
  OUTDIR/gpt2/config.json          n_embd, n_layer, n_head, n_positions, vocab_size, ...
  OUTDIR/gpt2/tokens.npy           int64 (B, T) token ids
  OUTDIR/gpt2/acts_f64.npy         post-ln_f activations from PyTorch float64, (B*T, d)
  OUTDIR/gpt2/acts_f32.npy         the same model run in float32 (weights rounded), f32
  OUTDIR/gpt2/p.npy                p = g^-1/||g^-1|| of ln_f, computed here (float64)
  OUTDIR/gpt2_sharded/             the same weights in two shards + model.safetensors.index.json
  OUTDIR/gpt2_<dt>/                F32, F16 and BF16 copies (without "transformer." prefix),
                                   with acts_f64.npy of the model whose weights are those values
  OUTDIR/llama/                    LLaMA naming (model.layers.<i>.self_attn.q_proj.weight, ...),
                                   GQA (4 heads, 2 kv heads), rms_norm_eps 1e-5, rope_theta 5e5,
                                   untied lm_head; tokens.npy and acts_f64.npy (post model.norm)
  OUTDIR/mistral/, OUTDIR/qwen2/    the same naming with a sliding window of 8 (mistral), and
                                   q/k/v biases + tied embeddings (qwen2)
  OUTDIR/cohere_like/              a scale-only final norm (model.norm.weight) and no config,
                                   for the ambiguous classification
  OUTDIR/gemma_like/               llama naming with model_type gemma: (1 + w) scales, one
                                   w_i = -1 (a trivial kernel e_i)
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

DTYPES = {"F64": (torch.float64, 8), "F32": (torch.float32, 4), "F16": (torch.float16, 2),
          "BF16": (torch.bfloat16, 2)}


def tensor_bytes(t, dt):
    t = t.detach().to(DTYPES[dt][0]).contiguous()
    if dt == "BF16":
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, tensors, metadata=None, dtype="F64"):
    """tensors: dict name -> torch tensor (or (dtype, tensor)); header 8-aligned."""
    header, blobs, at = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        dt, t = t if isinstance(t, tuple) else (dtype, t)
        b = tensor_bytes(t, dt)
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def rounded(t, dt):
    return t.to(DTYPES[dt][0]).to(torch.float64)


# ---------------------------------------------------------------- GPT-2

def gpt2_weights(g, d, L, V, P, prefix="transformer."):
    W = {}
    n = lambda *s, std=0.1: torch.randn(*s, generator=g) * std
    W[prefix + "wte.weight"] = n(V, d, std=0.5)
    W[prefix + "wpe.weight"] = n(P, d, std=0.2)
    for l in range(L):
        p = f"{prefix}h.{l}."
        for ln in ("ln_1", "ln_2"):
            W[p + ln + ".weight"] = torch.exp(0.5 * torch.randn(d, generator=g))
            W[p + ln + ".bias"] = n(d)
        W[p + "attn.c_attn.weight"] = n(d, 3 * d, std=0.15)
        W[p + "attn.c_attn.bias"] = n(3 * d)
        W[p + "attn.c_proj.weight"] = n(d, d)
        W[p + "attn.c_proj.bias"] = n(d)
        W[p + "mlp.c_fc.weight"] = n(d, 4 * d)
        W[p + "mlp.c_fc.bias"] = n(4 * d)
        W[p + "mlp.c_proj.weight"] = n(4 * d, d, std=0.05)
        W[p + "mlp.c_proj.bias"] = n(d)
    W[prefix + "ln_f.weight"] = torch.exp(0.7 * torch.randn(d, generator=g))
    W[prefix + "ln_f.bias"] = n(d, std=0.3)
    return W


def gpt2_forward(W, tok, H, eps, prefix="transformer."):
    """HF GPT2LMHeadModel's transformer up to ln_f, written out: Conv1D y = x W + b."""
    dt = W[prefix + "wte.weight"].dtype
    B, T = tok.shape
    x = W[prefix + "wte.weight"][tok] + W[prefix + "wpe.weight"][:T]
    d = x.shape[-1]
    hd = d // H
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    L = sum(1 for k in W if k.startswith(prefix + "h.") and k.endswith(".ln_1.weight"))
    for l in range(L):
        p = f"{prefix}h.{l}."
        h = F.layer_norm(x, (d,), W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
        q, k, v = (h @ W[p + "attn.c_attn.weight"] + W[p + "attn.c_attn.bias"]).split(d, dim=2)
        q, k, v = (t.view(B, T, H, hd).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, d)
        x = x + y @ W[p + "attn.c_proj.weight"] + W[p + "attn.c_proj.bias"]
        h = F.layer_norm(x, (d,), W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
        m = F.gelu(h @ W[p + "mlp.c_fc.weight"] + W[p + "mlp.c_fc.bias"], approximate="tanh")
        x = x + m @ W[p + "mlp.c_proj.weight"] + W[p + "mlp.c_proj.bias"]
    y = F.layer_norm(x, (d,), W[prefix + "ln_f.weight"], W[prefix + "ln_f.bias"], eps)
    return y.reshape(B * T, d).to(dt)


def gpt2_config(d, L, H, V, P, eps):
    return {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_embd": d, "n_layer": L,
            "n_head": H, "n_positions": P, "n_ctx": P, "vocab_size": V, "n_inner": None,
            "layer_norm_epsilon": eps, "activation_function": "gelu_new"}


def make_gpt2(out):
    d, L, H, V, P, eps = 64, 3, 4, 101, 32, 1e-5
    g = torch.Generator().manual_seed(1234)
    W = gpt2_weights(g, d, L, V, P)
    tok = torch.randint(0, V, (16, P), generator=g)
    cfg = gpt2_config(d, L, H, V, P, eps)
    os.makedirs(f"{out}/gpt2")
    file_w = dict(W)
    for l in range(L):  # HF's causal-mask buffers and the tied head, as real files have
        file_w[f"transformer.h.{l}.attn.bias"] = ("F32", torch.ones(1, 1, P, P).tril())
    file_w["lm_head.weight"] = W["transformer.wte.weight"]
    write_safetensors(f"{out}/gpt2/model.safetensors", file_w, {"format": "pt"})
    json.dump(cfg, open(f"{out}/gpt2/config.json", "w"), indent=1)
    np.save(f"{out}/gpt2/tokens.npy", tok.numpy().astype(np.int64))
    with torch.no_grad():
        y64 = gpt2_forward(W, tok, H, eps)
        y32 = gpt2_forward({k: v.float() for k, v in W.items()}, tok, H, eps)
    np.save(f"{out}/gpt2/acts_f64.npy", y64.numpy())
    np.save(f"{out}/gpt2/acts_f32.npy", y32.numpy().astype(np.float32))
    ginv = 1.0 / W["transformer.ln_f.weight"].numpy()
    np.save(f"{out}/gpt2/p.npy", ginv / np.linalg.norm(ginv))
    np.save(f"{out}/gpt2/gamma.npy", W["transformer.ln_f.weight"].numpy())
    np.save(f"{out}/gpt2/beta.npy", W["transformer.ln_f.bias"].numpy())

    # sharded: blocks 0-1 in shard 1, the rest in shard 2
    os.makedirs(f"{out}/gpt2_sharded")
    names = list(W)
    one = [k for k in names if ".h.0." in k or ".h.1." in k or "wte" in k]
    two = [k for k in names if k not in one]
    write_safetensors(f"{out}/gpt2_sharded/model-00001-of-00002.safetensors", {k: W[k] for k in one},
                      {"format": "pt"})
    write_safetensors(f"{out}/gpt2_sharded/model-00002-of-00002.safetensors", {k: W[k] for k in two},
                      {"format": "pt"})
    index = {"metadata": {"total_size": sum(W[k].numel() * 8 for k in names)},
             "weight_map": {**{k: "model-00001-of-00002.safetensors" for k in one},
                            **{k: "model-00002-of-00002.safetensors" for k in two}}}
    json.dump(index, open(f"{out}/gpt2_sharded/model.safetensors.index.json", "w"), indent=1)
    json.dump(cfg, open(f"{out}/gpt2_sharded/config.json", "w"), indent=1)

    # stored precisions, without the "transformer." prefix (as in the original gpt2 repo)
    for dt in ("F32", "F16", "BF16"):
        o = f"{out}/gpt2_{dt.lower()}"
        os.makedirs(o)
        Wd = {k[len("transformer."):]: rounded(v, dt) for k, v in W.items()}
        write_safetensors(f"{o}/model.safetensors", Wd, {"format": "pt"}, dtype=dt)
        json.dump(cfg, open(f"{o}/config.json", "w"), indent=1)
        with torch.no_grad():
            np.save(f"{o}/acts_f64.npy", gpt2_forward(Wd, tok, H, eps, prefix="").numpy())


# ---------------------------------------------------------------- LLaMA

def rms_norm(x, w, eps):
    return w * (x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps))


def rope(x, base):
    """x: (B, H, T, hd); HF rotate_half convention, angles in float64."""
    T, hd = x.shape[2], x.shape[3]
    inv = base ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = torch.cat([ang.cos(), ang.cos()], -1), torch.cat([ang.sin(), ang.sin()], -1)
    x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


def llama_forward(W, tok, H, KV, eps, base, window=0):
    """HF LlamaModel (and Mistral's sliding window: key j visible from i when i - j < window;
    Qwen2's q/k/v biases when present) up to the final norm."""
    B, T = tok.shape
    x = W["model.embed_tokens.weight"][tok]
    d = x.shape[-1]
    hd, rep = d // H, H // KV
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    if window:
        mask &= ~torch.ones(T, T, dtype=torch.bool).tril(-window)
    lin = lambda h, p: h @ W[p + ".weight"].T + (W[p + ".bias"] if p + ".bias" in W else 0)
    L = sum(1 for k in W if k.endswith("input_layernorm.weight"))
    for l in range(L):
        p = f"model.layers.{l}."
        h = rms_norm(x, W[p + "input_layernorm.weight"], eps)
        q = lin(h, p + "self_attn.q_proj").view(B, T, H, hd).transpose(1, 2)
        k = lin(h, p + "self_attn.k_proj").view(B, T, KV, hd).transpose(1, 2)
        v = lin(h, p + "self_attn.v_proj").view(B, T, KV, hd).transpose(1, 2)
        q, k = rope(q, base), rope(k, base)
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        att = ((q @ k.transpose(-2, -1)) / math.sqrt(hd)).masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, d)
        x = x + y @ W[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        m = F.silu(h @ W[p + "mlp.gate_proj.weight"].T) * (h @ W[p + "mlp.up_proj.weight"].T)
        x = x + m @ W[p + "mlp.down_proj.weight"].T
    return rms_norm(x, W["model.norm.weight"], eps).reshape(B * T, d)


def llama_weights(g, d, L, H, KV, V, ff, head=True):
    hd = d // H
    n = lambda *s, std=0.1: torch.randn(*s, generator=g) * std
    W = {"model.embed_tokens.weight": n(V, d, std=0.5)}
    for l in range(L):
        p = f"model.layers.{l}."
        W[p + "input_layernorm.weight"] = torch.exp(0.4 * torch.randn(d, generator=g))
        W[p + "self_attn.q_proj.weight"] = n(H * hd, d, std=0.15)
        W[p + "self_attn.k_proj.weight"] = n(KV * hd, d, std=0.15)
        W[p + "self_attn.v_proj.weight"] = n(KV * hd, d)
        W[p + "self_attn.o_proj.weight"] = n(d, H * hd)
        W[p + "post_attention_layernorm.weight"] = torch.exp(0.4 * torch.randn(d, generator=g))
        W[p + "mlp.gate_proj.weight"] = n(ff, d)
        W[p + "mlp.up_proj.weight"] = n(ff, d)
        W[p + "mlp.down_proj.weight"] = n(d, ff, std=0.05)
    W["model.norm.weight"] = torch.exp(0.5 * torch.randn(d, generator=g))
    if head:
        W["lm_head.weight"] = n(V, d)
    return W


def make_llama(out):
    d, L, H, KV, V, ff, T, eps, base = 64, 2, 4, 2, 97, 160, 24, 1e-5, 5e5
    g = torch.Generator().manual_seed(77)
    W = llama_weights(g, d, L, H, KV, V, ff)
    tok = torch.randint(0, V, (20, T), generator=g)
    os.makedirs(f"{out}/llama")
    file_w = dict(W)
    for l in range(L):
        file_w[f"model.layers.{l}.self_attn.rotary_emb.inv_freq"] = ("F32", torch.ones(d // H // 2))
    write_safetensors(f"{out}/llama/model.safetensors", file_w, {"format": "pt"})
    cfg = {"model_type": "llama", "hidden_size": d, "num_hidden_layers": L, "num_attention_heads": H,
           "num_key_value_heads": KV, "intermediate_size": ff, "vocab_size": V,
           "max_position_embeddings": 64, "rms_norm_eps": eps, "rope_theta": base,
           "hidden_act": "silu", "tie_word_embeddings": False, "rope_scaling": None}
    json.dump(cfg, open(f"{out}/llama/config.json", "w"), indent=1)
    np.save(f"{out}/llama/tokens.npy", tok.numpy().astype(np.int32))
    with torch.no_grad():
        np.save(f"{out}/llama/acts_f64.npy", llama_forward(W, tok, H, KV, eps, base).numpy())


def make_mistral_qwen2(out):
    """mistral: sliding window 8 over sequences of 24; qwen2: q/k/v biases, tied embeddings"""
    d, L, H, KV, V, ff, T = 64, 2, 4, 2, 97, 160, 24
    for name, seed in (("mistral", 11), ("qwen2", 12)):
        g = torch.Generator().manual_seed(seed)
        W = llama_weights(g, d, L, H, KV, V, ff, head=(name == "mistral"))
        cfg = {"model_type": name, "hidden_size": d, "num_hidden_layers": L, "num_attention_heads": H,
               "num_key_value_heads": KV, "intermediate_size": ff, "vocab_size": V,
               "max_position_embeddings": 32, "rms_norm_eps": 1e-6, "rope_theta": 1e4, "hidden_act": "silu"}
        window = 0
        if name == "mistral":
            cfg["sliding_window"] = window = 8
        else:
            cfg.update(tie_word_embeddings=True, use_sliding_window=False, sliding_window=4, rope_theta=1e6)
            for l in range(L):
                for t_, n in (("q", H), ("k", KV), ("v", KV)):
                    W[f"model.layers.{l}.self_attn.{t_}_proj.bias"] = 0.1 * torch.randn(n * d // H, generator=g)
        tok = torch.randint(0, V, (8, T), generator=g)
        os.makedirs(f"{out}/{name}")
        write_safetensors(f"{out}/{name}/model.safetensors", W)
        json.dump(cfg, open(f"{out}/{name}/config.json", "w"), indent=1)
        np.save(f"{out}/{name}/tokens.npy", tok.numpy())
        with torch.no_grad():
            y = llama_forward(W, tok, H, KV, cfg["rms_norm_eps"], cfg["rope_theta"], window)
        np.save(f"{out}/{name}/acts_f64.npy", y.numpy())


def make_scale_only(out):
    """llama-style names, no config: model.norm has a scale only -> ambiguous."""
    g = torch.Generator().manual_seed(5)
    W = llama_weights(g, 32, 1, 4, 4, 50, 64, head=False)
    os.makedirs(f"{out}/cohere_like")
    write_safetensors(f"{out}/cohere_like/model.safetensors", W)
    ginv = 1.0 / W["model.norm.weight"].numpy()
    np.save(f"{out}/cohere_like/p.npy", ginv / np.linalg.norm(ginv))
    # gemma: (1 + w) scales; w_5 = -1 makes a zero gain, the trivial kernel e_5
    W = llama_weights(g, 32, 1, 4, 4, 50, 64, head=False)
    W["model.norm.weight"] = 0.3 * torch.randn(32, generator=g)
    W["model.norm.weight"][5] = -1.0
    os.makedirs(f"{out}/gemma_like")
    write_safetensors(f"{out}/gemma_like/model.safetensors", W)
    json.dump({"model_type": "gemma", "rms_norm_eps": 1e-6, "hidden_size": 32},
              open(f"{out}/gemma_like/config.json", "w"))
    np.save(f"{out}/gemma_like/w.npy", W["model.norm.weight"].numpy())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    make_gpt2(sys.argv[1])
    make_llama(sys.argv[1])
    make_mistral_qwen2(sys.argv[1])
    make_scale_only(sys.argv[1])
