#!/usr/bin/python3
"""Training speed of the gpt2 archetype in PyTorch float64, for bench/bench_train.sh.

usage: train_torch.py D LAYERS HEADS SEQ VOCAB BATCH STEPS THREADS

The same model normsim trains (pre-LN, learned positions, tanh-GELU MLP of width 4d,
tied unembedding), the same batch shape and AdamW with clipping; random tokens. Prints
`tokens_per_second=<x>` over STEPS timed updates after 3 untimed ones.
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        B, T, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (t.view(B, T, self.h, d // self.h).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / (d // self.h) ** 0.5
        att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(B, T, d))
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, d, L, h, T, V):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, d), nn.Embedding(T, d)
        self.blocks = nn.ModuleList(Block(d, h) for _ in range(L))
        self.lnf = nn.LayerNorm(d)

    def forward(self, tok):
        x = self.wte(tok) + self.wpe(torch.arange(tok.shape[1]))
        for b in self.blocks:
            x = b(x)
        return self.lnf(x) @ self.wte.weight.T


def main():
    d, L, h, T, V, B, steps, threads = map(int, sys.argv[1:9])
    torch.set_num_threads(threads)
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    model = GPT(d, L, h, T, V)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    g = torch.Generator().manual_seed(1)

    def step():
        tok = torch.randint(0, V, (B, T), generator=g)
        logits = model(tok)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), tok[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dt = time.perf_counter() - t0
    print(f"tokens_per_second={B * T * steps / dt:.1f}")
    print(f"seconds={dt:.3f}")


if __name__ == "__main__":
    main()
