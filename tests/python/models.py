"""models.py - two tiny PyTorch language models for the Python tests and docs: a GPT-2-like
one (pre-LN blocks, torch.nn.LayerNorm final norm `transformer.ln_f`, GPT-2 tensor names) and
a LLaMA-like one (RMSNorm everywhere, final norm `model.norm`). The final norm can store its
output in a narrower dtype (`store`: computed in the model's dtype, then rounded), as
mixed-precision checkpoints store activations."""
import math

import torch
from torch import nn


class StoredLayerNorm(nn.LayerNorm):
    """torch.nn.LayerNorm whose output is rounded to `store` (None: kept)."""

    def __init__(self, d, store=None, **kw):
        super().__init__(d, **kw)
        self.store = store

    def forward(self, x):
        y = super().forward(x)
        return y if self.store is None else y.to(self.store)


class RMSNorm(nn.Module):
    """y = g * x / rms(x) (LLaMA's), output rounded to `store` (None: kept)."""

    def __init__(self, d, eps=1e-6, store=None):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps, self.store = eps, store

    def forward(self, x):
        y = self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return y if self.store is None else y.to(self.store)


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)

    def forward(self, x):
        B, T, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=-1)
        q, k, v = (t.view(B, T, self.heads, d // self.heads).transpose(1, 2) for t in (q, k, v))
        att = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        return self.c_proj((att @ v).transpose(1, 2).reshape(B, T, d))


class Block(nn.Module):
    def __init__(self, d, heads, norm):
        super().__init__()
        self.ln_1, self.attn, self.ln_2 = norm(d), Attention(d, heads), norm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class TinyGPT2(nn.Module):
    """GPT-2 names: transformer.{wte, wpe, h.<l>.{ln_1, attn, ln_2, mlp}, ln_f}, lm_head."""

    def __init__(self, vocab=64, d=32, layers=2, heads=4, seq=16, store=None):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab, d), wpe=nn.Embedding(seq, d),
            h=nn.ModuleList(Block(d, heads, StoredLayerNorm) for _ in range(layers)),
            ln_f=StoredLayerNorm(d, store=store)))
        self.lm_head = nn.Linear(d, vocab, bias=False)

    def forward(self, idx):
        t = self.transformer
        x = t.wte(idx) + t.wpe(torch.arange(idx.shape[1]))
        for block in t.h:
            x = block(x)
        return self.lm_head(t.ln_f(x).to(self.lm_head.weight.dtype))


class LlamaBlock(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.input_layernorm, self.self_attn = RMSNorm(d), Attention(d, heads)
        self.post_attention_layernorm = RMSNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d, bias=False), nn.SiLU(), nn.Linear(4 * d, d, bias=False))

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))
        return x + self.mlp(self.post_attention_layernorm(x))


class TinyLlama(nn.Module):
    """LLaMA names: model.{embed_tokens, layers.<l>.{input_layernorm, ...}, norm}, lm_head."""

    def __init__(self, vocab=64, d=32, layers=2, heads=4, store=None):
        super().__init__()
        self.model = nn.Module()
        self.model.embed_tokens = nn.Embedding(vocab, d)
        self.model.layers = nn.ModuleList(LlamaBlock(d, heads) for _ in range(layers))
        self.model.norm = RMSNorm(d, store=store)
        self.lm_head = nn.Linear(d, vocab, bias=False)

    def forward(self, idx):
        x = self.model.embed_tokens(idx)
        for block in self.model.layers:
            x = block(x)
        return self.lm_head(self.model.norm(x).to(self.lm_head.weight.dtype))


def randomize_final_norm(norm, seed=1):
    """a trained-like gain: log-normal spread 0.5, and a small bias when there is one (the
    kernel then follows g^-1, not 1/sqrt(d))"""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        norm.weight.copy_(torch.exp(0.5 * torch.randn(norm.weight.shape, generator=g)))
        if getattr(norm, "bias", None) is not None:
            norm.bias.copy_(0.1 * torch.randn(norm.bias.shape, generator=g))
