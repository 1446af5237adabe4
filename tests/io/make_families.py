#!/usr/bin/python3
"""Tiny checkpoints with each family's real Hugging Face tensor names (shared/ARCHETYPES.md),
for `normsim inspect`: which norms exist, which is final, and how each is classified.

usage: make_families.py OUTDIR

Writes OUTDIR/<family>/model.safetensors (+ config.json with the family's model_type and
eps key) and OUTDIR/expect.json: per family the final norm's name, its kind with config.json
and without it (null: ambiguous), the classification, and the number of norm layers.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_models import write_safetensors  # noqa: E402

D, L = 8, 2


def norm(names, prefix, bias=True, g=None):
    names[prefix + ".weight"] = g if g is not None else torch.exp(0.3 * torch.randn(D))
    if bias:
        names[prefix + ".bias"] = 0.1 * torch.randn(D)


def family(kind):
    """(tensors, config, final, kind with config, kind without config, norm count)"""
    t = {}
    if kind == "gpt2":
        t["transformer.wte.weight"] = torch.randn(16, D)
        for l in range(L):
            norm(t, f"transformer.h.{l}.ln_1"), norm(t, f"transformer.h.{l}.ln_2")
            t[f"transformer.h.{l}.attn.c_attn.weight"] = torch.randn(D, 3 * D)
        norm(t, "transformer.ln_f")
        return t, {"model_type": "gpt2", "layer_norm_epsilon": 1e-5}, "transformer.ln_f", "layernorm", "layernorm", 2 * L + 1
    if kind == "pythia":
        t["gpt_neox.embed_in.weight"] = torch.randn(16, D)
        for l in range(L):
            norm(t, f"gpt_neox.layers.{l}.input_layernorm"), norm(t, f"gpt_neox.layers.{l}.post_attention_layernorm")
        norm(t, "gpt_neox.final_layer_norm")
        t["embed_out.weight"] = torch.randn(16, D)
        return t, {"model_type": "gpt_neox", "layer_norm_eps": 1e-5}, "gpt_neox.final_layer_norm", "layernorm", "layernorm", 2 * L + 1
    if kind == "opt":
        t["model.decoder.embed_tokens.weight"] = torch.randn(16, D)
        for l in range(L):
            norm(t, f"model.decoder.layers.{l}.self_attn_layer_norm"), norm(t, f"model.decoder.layers.{l}.final_layer_norm")
        norm(t, "model.decoder.final_layer_norm")
        return t, {"model_type": "opt"}, "model.decoder.final_layer_norm", "layernorm", "layernorm", 2 * L + 1
    if kind == "bloom":
        t["transformer.word_embeddings.weight"] = torch.randn(16, D)
        norm(t, "transformer.word_embeddings_layernorm")
        for l in range(L):
            norm(t, f"transformer.h.{l}.input_layernorm"), norm(t, f"transformer.h.{l}.post_attention_layernorm")
        norm(t, "transformer.ln_f")
        return t, {"model_type": "bloom", "layer_norm_epsilon": 1e-5}, "transformer.ln_f", "layernorm", "layernorm", 2 * L + 2
    if kind == "falcon":
        t["transformer.word_embeddings.weight"] = torch.randn(16, D)
        for l in range(L):
            norm(t, f"transformer.h.{l}.input_layernorm")
        norm(t, "transformer.ln_f")
        return t, {"model_type": "falcon", "layer_norm_epsilon": 1e-5}, "transformer.ln_f", "layernorm", "layernorm", L + 1
    if kind == "phi2":
        t["model.embed_tokens.weight"] = torch.randn(16, D)
        for l in range(L):
            norm(t, f"model.layers.{l}.input_layernorm")
        norm(t, "model.final_layernorm")
        return t, {"model_type": "phi", "layer_norm_eps": 1e-5}, "model.final_layernorm", "layernorm", "layernorm", L + 1
    if kind == "command-r":
        t["model.embed_tokens.weight"] = torch.randn(16, D)
        for l in range(L):
            norm(t, f"model.layers.{l}.input_layernorm", bias=False)
        norm(t, "model.norm", bias=False)
        return t, {"model_type": "cohere", "layer_norm_eps": 1e-5}, "model.norm", "layernorm-nobias", None, L + 1
    if kind == "bert":
        norm(t, "bert.embeddings.LayerNorm")
        for l in range(L):
            norm(t, f"bert.encoder.layer.{l}.attention.output.LayerNorm"), norm(t, f"bert.encoder.layer.{l}.output.LayerNorm")
        norm(t, "cls.predictions.transform.LayerNorm")
        return (t, {"model_type": "bert", "layer_norm_eps": 1e-12}, f"bert.encoder.layer.{L - 1}.output.LayerNorm",
                "layernorm", "layernorm", 2 * L + 2)
    if kind == "bert-tf":  # old TF-ported names: LayerNorm.gamma / LayerNorm.beta
        for l in range(L):
            t[f"bert.encoder.layer.{l}.output.LayerNorm.gamma"] = torch.exp(torch.randn(D))
            t[f"bert.encoder.layer.{l}.output.LayerNorm.beta"] = torch.randn(D)
        return t, None, f"bert.encoder.layer.{L - 1}.output.LayerNorm", "layernorm", "layernorm", L
    if kind == "vit":
        t["vit.embeddings.cls_token"] = torch.randn(1, 1, D)
        for l in range(L):
            norm(t, f"vit.encoder.layer.{l}.layernorm_before"), norm(t, f"vit.encoder.layer.{l}.layernorm_after")
        norm(t, "vit.layernorm")
        return t, {"model_type": "vit", "layer_norm_eps": 1e-12}, "vit.layernorm", "layernorm", "layernorm", 2 * L + 1
    if kind == "dinov2":
        for l in range(L):
            norm(t, f"dinov2.encoder.layer.{l}.norm1"), norm(t, f"dinov2.encoder.layer.{l}.norm2")
            t[f"dinov2.encoder.layer.{l}.layer_scale1.lambda1"] = torch.ones(D)
        norm(t, "dinov2.layernorm")
        return t, {"model_type": "dinov2", "layer_norm_eps": 1e-6}, "dinov2.layernorm", "layernorm", "layernorm", 2 * L + 1
    if kind in ("llama", "mistral", "qwen2"):
        t["model.embed_tokens.weight"] = torch.randn(16, D)
        for l in range(L):
            norm(t, f"model.layers.{l}.input_layernorm", bias=False)
            norm(t, f"model.layers.{l}.post_attention_layernorm", bias=False)
        norm(t, "model.norm", bias=False)
        return t, {"model_type": kind, "rms_norm_eps": 1e-6}, "model.norm", "rmsnorm", None, 2 * L + 1
    if kind == "gemma":
        t["model.embed_tokens.weight"] = torch.randn(16, D)
        for l in range(L):
            for n in ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                      "post_feedforward_layernorm"):
                norm(t, f"model.layers.{l}.{n}", bias=False, g=0.1 * torch.randn(D))
            norm(t, f"model.layers.{l}.self_attn.q_norm", bias=False, g=0.1 * torch.randn(D))
        norm(t, "model.norm", bias=False, g=0.1 * torch.randn(D))
        return t, {"model_type": "gemma2", "rms_norm_eps": 1e-6}, "model.norm", "rmsnorm-1p", None, 5 * L + 1
    if kind == "t5":
        t["shared.weight"] = torch.randn(16, D)
        for l in range(L):
            norm(t, f"encoder.block.{l}.layer.0.layer_norm", bias=False)
            norm(t, f"encoder.block.{l}.layer.1.layer_norm", bias=False)
            for j in range(3):
                norm(t, f"decoder.block.{l}.layer.{j}.layer_norm", bias=False)
        norm(t, "encoder.final_layer_norm", bias=False)
        norm(t, "decoder.final_layer_norm", bias=False)
        return (t, {"model_type": "t5", "layer_norm_epsilon": 1e-6}, "decoder.final_layer_norm", "rmsnorm", "rmsnorm",
                5 * L + 2)
    if kind == "olmo2":
        t["model.embed_tokens.weight"] = torch.randn(16, D)
        for l in range(L):
            norm(t, f"model.layers.{l}.post_attention_layernorm", bias=False)
            norm(t, f"model.layers.{l}.post_feedforward_layernorm", bias=False)
            norm(t, f"model.layers.{l}.self_attn.q_norm", bias=False)
            norm(t, f"model.layers.{l}.self_attn.k_norm", bias=False)
        norm(t, "model.norm", bias=False)
        return t, {"model_type": "olmo2", "rms_norm_eps": 1e-5}, "model.norm", "rmsnorm", None, 4 * L + 1
    if kind == "olmo1":  # non-parametric LayerNorm: no norm tensors at all
        t["model.embed_tokens.weight"] = torch.randn(16, D)
        for l in range(L):
            t[f"model.layers.{l}.self_attn.q_proj.weight"] = torch.randn(D, D)
        return t, {"model_type": "olmo", "hidden_size": D}, "(non-parametric)", "layernorm-noaffine", "error", 0
    raise ValueError(kind)


FAMILIES = ["gpt2", "pythia", "opt", "bloom", "falcon", "phi2", "command-r", "bert", "bert-tf", "vit", "dinov2",
            "llama", "mistral", "qwen2", "gemma", "t5", "olmo2", "olmo1"]


def main(out):
    torch.manual_seed(0)
    expect = {}
    for f in FAMILIES:
        t, cfg, final, kind, kind_nocfg, n = family(f)
        os.makedirs(f"{out}/{f}")
        write_safetensors(f"{out}/{f}/model.safetensors", t, {"format": "pt"}, dtype="F32")
        if cfg is not None:
            json.dump(cfg, open(f"{out}/{f}/config.json", "w"))
        expect[f] = {"final": final, "kind": kind, "kind_nocfg": kind_nocfg, "norms": n}
    json.dump(expect, open(f"{out}/expect.json", "w"), indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
