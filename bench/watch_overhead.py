"""watch_overhead.py - what normsim.watch() costs on top of a plain forward pass: a small
GPT-2-like model (tests/python/models.py), the same batches timed without hooks, with
watch() on the final norm, and with watch() on every norm. Prints one table; ratios, not
absolute times, are the point (the machine may be shared). Not a test: never fails on time.

    PYTHONPATH=python /usr/bin/python3 bench/watch_overhead.py [--d 256 --layers 4 --batches 20]"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "python"))
import normsim  # noqa: E402
from models import TinyGPT2  # noqa: E402


def timed(model, batches, ctx=None):
    t0 = time.perf_counter()
    with torch.no_grad():
        if ctx is None:
            for b in batches:
                model(b)
        else:
            with ctx:
                for b in batches:
                    model(b)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64", "bfloat16"])
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    torch.manual_seed(0)
    model = TinyGPT2(vocab=1000, d=a.d, layers=a.layers, heads=max(1, a.d // 64), seq=a.seq)
    model = model.to(getattr(torch, a.dtype))
    batches = [torch.randint(0, 1000, (a.batch, a.seq)) for _ in range(a.batches)]
    norms = [n for n, m in model.named_modules() if isinstance(m, torch.nn.LayerNorm)]
    timed(model, batches[:2])  # warm-up
    rows = []
    for label, make in (("plain forward", lambda: None), ("watch(final norm)", lambda: normsim.watch(model)),
                        ("watch(%d norms)" % len(norms), lambda: normsim.watch(model, modules=norms))):
        best = min(timed(model, batches, make()) for _ in range(a.repeats))
        rows.append((label, best))
    base = rows[0][1]
    tokens = a.batches * a.batch * a.seq
    print("watch() overhead: d %d, %d layers, %d tokens, %s, torch threads %d" % (
        a.d, a.layers, tokens, a.dtype, torch.get_num_threads()))
    print("%-20s %10s %12s %8s" % ("", "seconds", "tokens/s", "ratio"))
    for label, t in rows:
        print("%-20s %10.3f %12.0f %8.2f" % (label, t, tokens / t, t / base))


if __name__ == "__main__":
    main()
