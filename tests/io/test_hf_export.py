#!/usr/bin/python3
"""HF export round trip: `normsim export --out EX --hf HF` for every family, then
`diagnose --checkpoint HF` must be the same model bit for bit:
  token families: --input EX/tokens.npy --dump-acts equals EX/taps/final.out.npy exactly
  (max |diff| == 0); image families: the CSV of `diagnose --checkpoint HF` equals the one of
  `diagnose --arch` with the same model options, digit for digit.
Also: config.json is JSON with the family's model_type; a negative control (the final norm's
gain in HF/model.safetensors nudged by one ulp-scale step) must break the equality; gemma4
(no HF naming) and a gpt2 with --norm rmsnorm (not gpt2's HF norm) are refused, exit 2.
Also `train` writes DIR/hf, the trained model under HF names: its final.out equals the one of
DIR/checkpoint.safetensors exactly (llama, gpt2).
usage: test_hf_export.py NORMSIM.  Last line: `hf_export: N passed, N failed`.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite import Suite  # noqa: E402

SUITE = Suite("hf_export")
check = SUITE.check
MODEL_TYPE = {"gpt2": "gpt2", "pythia": "gpt_neox", "opt": "opt", "bloom": "bloom", "falcon": "falcon",
              "phi2": "phi", "command-r": "cohere", "llama": "llama", "mistral": "mistral", "qwen2": "qwen2",
              "gemma": "gemma2", "t5": "t5", "olmo1": "olmo", "olmo2": "olmo2", "bert": "bert", "vit": "vit",
              "dinov2": "dinov2"}



def run(*a):
    return subprocess.run(list(a), capture_output=True, text=True)


def nudge_final(path):
    """the final norm's gain x (1 + 1e-9) in place (F64 safetensors written by normsim)"""
    raw = bytearray(open(path, "rb").read())
    n = int.from_bytes(raw[:8], "little")
    h = json.loads(raw[8:8 + n])
    names = [k for k in h if k != "__metadata__" and ("norm" in k.lower() or "ln_f" in k) and "weight" in k
             and "layers" not in k and ".h." not in k and "block" not in k and "layer." not in k]
    name = names[0] if names else sorted(k for k in h if k != "__metadata__")[-1]  # olmo1: no gains
    b, e = h[name]["data_offsets"]
    a = np.frombuffer(bytes(raw[8 + n + b:8 + n + e]), "<f8") * (1 + 1e-9)
    raw[8 + n + b:8 + n + e] = a.astype("<f8").tobytes()
    open(path, "wb").write(raw)
    return name


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    ns = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="normsim-hfx-")
    try:
        for arch, mt in MODEL_TYPE.items():
            size = "--tokens 34" if arch in ("vit", "dinov2") else \
                "--seq 16 --vocab 97 --tokens 32" if arch == "t5" else "--seq 12 --vocab 97 --tokens 24"
            opts = f"--arch {arch} --d 32 --layers 2 --heads 4 {size} --perturb 0.02 --gamma random:0.3".split()
            ex, hf = os.path.join(tmp, "ex-" + arch), os.path.join(tmp, "hf-" + arch)
            r = run(ns, "export", *opts, "--out", ex, "--hf", hf)
            if r.returncode:
                check(f"{arch} export --hf", False, r.stderr.strip())
                continue
            cfg = json.load(open(os.path.join(hf, "config.json")))
            check(f"{arch} config.json model_type", cfg.get("model_type") == mt, str(cfg.get("model_type")))
            if arch in ("vit", "dinov2"):
                cut = lambda out: [",".join(l.split(",")[:10] + l.split(",")[11:]) for l in out.splitlines()[1:]]
                # (column 11, gamma, says where the gains came from: checkpoint vs random:0.3)
                same = lambda: cut(run(ns, "diagnose", "--checkpoint", hf, "--format", "csv").stdout)
                want = cut(run(ns, "diagnose", *[o for o in opts if o not in ("--tokens", "34")], "--format",
                               "csv").stdout)
                got = same()
                check(f"{arch} round trip (diagnose CSV digit for digit)", got == want and got, f"{got} vs {want}")
                nudge_final(os.path.join(hf, "model.safetensors"))
                check(f"{arch} control: nudged final gain changes the CSV", same() != want, "unchanged")
                print(f"hf_export: {arch:10s} ({mt}): diagnose output {'identical' if got == want else 'DIFFERS'} "
                      "after the round trip")
                continue
            tok = os.path.join(ex, "tokens.npy")
            ref = np.load(os.path.join(ex, "taps", "final.out.npy"))
            dump = lambda out: run(ns, "diagnose", "--checkpoint", hf, "--input", tok, "--dump-acts", out,
                                   "--format", "csv")
            r = dump(os.path.join(tmp, arch + ".npy"))
            got = np.load(os.path.join(tmp, arch + ".npy")) if r.returncode == 0 else None
            diff = float(np.abs(got - ref).max()) if got is not None and got.shape == ref.shape else float("inf")
            check(f"{arch} round trip bit for bit", diff == 0.0, f"max |diff| {diff} {r.stderr.strip()[-200:]}")
            check(f"{arch} import uses every tensor", "not used" not in r.stderr, r.stderr.strip())
            name = nudge_final(os.path.join(hf, "model.safetensors"))
            r = dump(os.path.join(tmp, arch + "-n.npy"))
            got = np.load(os.path.join(tmp, arch + "-n.npy")) if r.returncode == 0 else ref
            check(f"{arch} control: {name} x (1 + 1e-9) is seen", float(np.abs(got - ref).max()) > 0, "unchanged")
            print(f"hf_export: {arch:10s} ({mt}): final.out max |diff| {diff} after the round trip")
        # train writes DIR/hf: the trained model under HF names, the same model as its checkpoint
        for arch in ("llama", "gpt2"):
            out = os.path.join(tmp, "train-" + arch)
            r = run(ns, "train", "--arch", arch, "--d", "32", "--layers", "2", "--heads", "4", "--seq", "16",
                    "--vocab", "64", "--steps", "5", "--data", "zipf-markov", "--out", out)
            tok = os.path.join(tmp, "train-tokens.npy")
            np.save(tok, np.random.default_rng(1).integers(0, 64, (3, 16)).astype(np.int32))
            acts = []
            for src in ("checkpoint.safetensors", "hf"):
                a = os.path.join(tmp, f"train-{arch}-{src}.npy")
                r2 = run(ns, "diagnose", "--checkpoint", os.path.join(out, src), "--input", tok, "--dump-acts", a,
                         "--format", "csv")
                acts.append(np.load(a) if r2.returncode == 0 else None)
            ok = r.returncode == 0 and all(x is not None for x in acts) and np.array_equal(acts[0], acts[1])
            check(f"train {arch}: DIR/hf is the trained model bit for bit", ok, (r.stderr + r2.stderr).strip()[-300:])
            if ok:
                print(f"hf_export: train {arch}: DIR/hf and DIR/checkpoint.safetensors give the same final.out")
        for opts, want in ((["--arch", "gemma4"], "no Hugging Face naming for gemma4"),
                           (["--arch", "gpt2", "--norm", "rmsnorm"], "uses layernorm; this model uses rmsnorm")):
            hf = os.path.join(tmp, "refused")
            r = run(ns, "export", *opts, "--d", "32", "--heads", "4", "--hf", hf)
            lines = r.stderr.strip().splitlines()
            check(f"refused: {' '.join(opts)}", r.returncode == 2 and len(lines) == 1 and want in lines[0]
                  and not os.path.exists(hf), f"exit {r.returncode}: {r.stderr.strip()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return SUITE.summary()


if __name__ == "__main__":
    sys.exit(main())
