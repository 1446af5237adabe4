#!/usr/bin/python3
"""PyTorch oracle for `normsim fisher`: the directional Fisher by an exact JVP.

usage: fisher_oracle.py NORMSIM TMPDIR

For each case, `normsim export` writes the model (weights, config) and `normsim fisher
--save-dir` the tokens it averaged over and its directions (one dead, one random per
tensor). The model is rebuilt by tests/oracle/oracle_archs.py (imported, not copied) and
forward-mode AD (torch.autograd.forward_ad) gives dz = d logits along D exactly (forward mode, float64). From it:
    F(D)   = mean_t sum_j pi_j (dz_j - sum_k pi_k dz_k)^2      (pi: softmax of the logits)
    emp(D) = mean over rows with a next-token target of (sum_k pi_k dz_k - dz_target)^2
compared with normsim's JSON (finite differences, Richardson over h and h/2):
    random direction:  |F_c - F_torch| / F_torch <= 1e-8 (also emp), and the error is
                       within normsim's own truncation estimate fd_rel_err (+ 1e-10 for rounding)
    dead direction:    DEAD in C  -> torch's F(dead) / F(random) <= 1e-24 (exact JVP: rounding)
                       NOT DEAD   -> |F_c - F_torch| / F_torch <= 1e-8
Last line: "fisher-oracle: N passed, N failed".
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "oracle"))
from oracle_archs import FAMILY, Export, forward, make_spec  # noqa: E402

torch.set_default_dtype(torch.float64)
TOL = 1e-8
SMALL = "--d 32 --layers 2 --heads 2 --seq 16 --vocab 64".split()

# name, arch, model options, tensors regex
CASES = [
    ("gpt2-q", "gpt2", "--gamma random --perturb 0.05", r"^h\.0\.attn\.q\.weight$"),
    ("gpt2-up-l1", "gpt2", "--gamma random --perturb 0.05", r"^h\.1\.mlp\.up\.weight$"),
    ("gpt2-tied-head", "gpt2", "--gamma random --perturb 0.05", r"^embed\.tokens\.weight$"),
    ("pythia-head", "pythia", "--gamma random --perturb 0.05", r"^head\.weight$"),
    ("falcon-v", "falcon", "--gamma random --perturb 0.05", r"^h\.0\.attn\.v\.weight$"),
    ("command-r-gate", "command-r", "--gamma random --perturb 0.05", r"^h\.1\.mlp\.gate\.weight$"),
]

passed = failed = 0


def check(name, ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {msg}")


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[1:])} exited {r.returncode}: {r.stderr.strip()[-300:]}")
    return r.stdout


def jvp(f, primals, tangents):
    """(f(primals), the directional derivative along tangents): forward-mode dual numbers
    (torch.autograd.forward_ad; torch.func is newer than Debian's torch), else the exact
    double-backward JVP of torch.autograd.functional.jvp"""
    import torch.autograd.forward_ad as fwAD
    try:
        with fwAD.dual_level():
            out = f(*[fwAD.make_dual(p, t) for p, t in zip(primals, tangents)])
            z, dz = fwAD.unpack_dual(out)
            if dz is None:
                raise RuntimeError("no tangent")
            return z.detach().clone(), dz.detach().clone()
    except RuntimeError:
        return torch.autograd.functional.jvp(f, primals, tangents)


def torch_fisher(s, W, inp, name, bias, D, Db):
    """model Fisher and empirical Fisher along (D, Db) by forward-mode AD"""
    def logits_of(w, b):
        W2 = dict(W)
        W2[name] = w
        if bias is not None:
            W2[bias] = b
        return forward(s, W2, inp)[1]
    b0 = W[bias] if bias is not None else torch.zeros(1)
    db = Db if bias is not None else torch.zeros(1)
    z, dz = jvp(logits_of, (W[name], b0), (D, db))
    pi = torch.softmax(z, -1)
    mu = (pi * dz).sum(-1)
    Fm = (pi * (dz - mu[:, None]) ** 2).sum(-1).mean()
    B, T = inp.shape
    rows = torch.arange(B * T).reshape(B, T)[:, :-1].reshape(-1)
    tgt = inp[:, 1:].reshape(-1)
    gd = mu[rows] - dz[rows, tgt]
    return float(Fm), float((gd ** 2).mean()), float(gd.mean())


def rel(a, b):
    return abs(a - b) / abs(b) if b != 0 else abs(a - b)


def run_case(normsim, tmp, name, arch, opts, regex):
    exp, save = os.path.join(tmp, name + ".export"), os.path.join(tmp, name + ".dirs")
    os.makedirs(save)
    model = ["--arch", arch] + SMALL + opts.split()
    run([normsim, "export", "--out", exp, "--tokens", "64"] + model)
    out = run([normsim, "fisher"] + model + ["--tokens", "64", "--directions", "1", "--tensors", regex,
                                             "--save-dir", save, "--format", "json"])
    res = json.loads(out)
    check(name, len(res["tensors"]) == 1, f"{len(res['tensors'])} tensors matched {regex}")
    row = res["tensors"][0]
    ex = Export(exp)
    s = make_spec(FAMILY[arch], FAMILY[arch]["norm"], ex.cfg)
    W = {k: torch.from_numpy(v) for k, v in ex.weights.items()}
    inp = torch.from_numpy(np.load(os.path.join(save, "tokens.npy")).astype(np.int64))
    tname, bname = row["tensor"], row["bias"]

    def load(kind):
        D = torch.from_numpy(np.load(os.path.join(save, f"{tname}.{kind}.0.npy")))
        Db = torch.from_numpy(np.load(os.path.join(save, f"{bname}.{kind}.0.npy"))) if bname else None
        return D, Db

    Fr, er, gr = torch_fisher(s, W, inp, tname, bname, *load("random"))
    Fc, ec = row["random"]["F_mean"], row["random"]["empirical"]
    bound = row["random"]["fd_rel_err"] + 1e-10  # + rounding (u / h ~ 1e-13, amplified)
    check(name, rel(Fc, Fr) <= TOL, f"random F: normsim {Fc:.17g}, torch {Fr:.17g}, rel {rel(Fc, Fr):.3g}")
    check(name, rel(ec, er) <= TOL, f"random emp: normsim {ec:.17g}, torch {er:.17g}, rel {rel(ec, er):.3g}")
    check(name, rel(Fc, Fr) <= bound, f"FD error {rel(Fc, Fr):.3g} above normsim's bound {bound:.3g}")
    Fd, ed, gd = torch_fisher(s, W, inp, tname, bname, *load("dead"))
    if row["verdict"] == "DEAD":
        check(name, Fd / Fr <= 1e-24, f"torch F(dead)/F(random) = {Fd / Fr:.3g} for a DEAD tensor")
        msg = f"torch dead/random {Fd / Fr:.2g}"
    else:
        Fcd = row["dead"]["F_max"]
        check(name, rel(Fcd, Fd) <= TOL, f"dead F ({row['verdict']}): normsim {Fcd:.17g}, torch {Fd:.17g}")
        msg = f"torch dead F {Fd:.3g} (normsim rel err {rel(Fcd, Fd):.2g})"
    print(f"fisher-oracle {name}: {tname} {row['verdict']}: random F rel err {rel(Fc, Fr):.2g} "
          f"(bound {bound:.2g}), emp rel err {rel(ec, er):.2g}; {msg}")


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    for case in CASES:
        try:
            run_case(argv[1], argv[2], *case)
        except Exception as err:  # a crash is a failure, never a pass
            check(case[0], False, f"{type(err).__name__}: {err}")
    print(f"fisher-oracle: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
