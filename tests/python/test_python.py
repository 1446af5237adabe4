"""test_python.py - python/normsim against the CLI and against itself.

Run with Debian's python3 (torch, numpy) from the repository root:
    PYTHONPATH=python /usr/bin/python3 tests/python/test_python.py [--normsim build/normsim]
Last line: "python: N passed, N failed"; exit 1 on any failure.

Tolerances (stated once, asserted below):
  watch() vs `normsim diagnose --acts` on the same stored activations (.npy; bf16 via
  safetensors): both read the identical stored values and convert them exactly, so for every
  dtype: verdict, tokens and dead count equal; |eig_py - eig_cli| <= 1e-10 lambda_max for
  every eigenvalue and rel <= 1e-10 for those above the dead threshold (a dead eigenvalue sits
  at the stored dtype's rounding floor, where only the absolute bound means anything); |cos|
  and p'Cp/lambda_max within 1e-10.
  update() on f32/f16/bf16 and strided views vs a contiguous float64 copy: rel 1e-12 of
  max|C| (the same values in the same order: measured exactly 0). merge of two halves vs
  one pass: rel 1e-12."""
import argparse
import ctypes
import json
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import normsim  # noqa: E402
from models import TinyGPT2, TinyLlama, randomize_final_norm  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
passed = failed = 0
measured = {}


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL python: %s" % what)


def note(key, value):
    """the largest value of a measured quantity, for the summary"""
    measured[key] = max(measured.get(key, 0.0), float(value))


def raises(fn, *words):
    """fn() raises NormsimError whose message contains every word; returns the message"""
    try:
        fn()
    except normsim.NormsimError as e:
        msg = str(e)
        ok = all(w in msg for w in words) and "\n" not in msg
        check(ok, "error message %r lacks %r" % (msg, words))
        return msg
    except Exception as e:  # noqa: BLE001 - any other exception is a failure
        check(False, "expected NormsimError(%r), got %s: %s" % (words, type(e).__name__, e))
        return None
    check(False, "expected NormsimError(%r), nothing raised" % (words,))
    return None


def rel_max(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# ---- files the CLI reads ----

ST_DTYPES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def write_safetensors(path, tensors):
    """a minimal safetensors writer (the format in sim/io/safetensors.h)"""
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def save_acts(tmp, rows):
    """rows (N, d) tensor -> an --acts spec: .npy for f64/f32/f16, safetensors for bf16"""
    if rows.dtype == torch.bfloat16:
        path = os.path.join(tmp, "acts.safetensors")
        write_safetensors(path, {"acts": rows})
        return path + ":acts"
    path = os.path.join(tmp, "acts.npy")
    np.save(path, rows.numpy())
    return path


def cli_diagnose(normsim_bin, acts, kind, gamma=None, beta=None, tmp=None):
    cmd = [normsim_bin, "diagnose", "--acts", acts, "--norm", kind, "--format", "json"]
    for flag, v in (("--gamma", gamma), ("--beta", beta)):
        if v is not None:
            path = os.path.join(tmp, flag[2:] + ".npy")
            np.save(path, v.detach().double().numpy())
            cmd += [flag, path]
    p = subprocess.run(cmd, capture_output=True, text=True)
    check(p.returncode == 0, "CLI %s exited %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    return json.loads(p.stdout)["runs"][0] if p.returncode == 0 else None


# ---- watch() vs the CLI ----

def run_batches(model, batches=6, B=8, T=16, vocab=64, seed=3):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randint(0, vocab, (B, T), generator=g))


def watch_vs_cli(normsim_bin, label, model, final_name, kind_want, verdict_want, store):
    norm_module = model.get_submodule(final_name)
    dumped = []
    dump = norm_module.register_forward_hook(lambda m, i, o: dumped.append(o.detach().clone()))
    with normsim.watch(model) as w:
        run_batches(model)
    dump.remove()
    check(list(w.results) == [final_name], "%s: watch found %s, want %s" % (label, list(w.results), final_name))
    r = w.results.get(final_name)
    if r is None:
        return None
    rows = torch.cat([y.reshape(-1, y.shape[-1]) for y in dumped])
    check(rows.dtype == (store or torch.float64), "%s: stored dtype %s" % (label, rows.dtype))
    check(r.norm == kind_want, "%s: kind %s, want %s" % (label, r.norm, kind_want))
    check(r.verdict == verdict_want, "%s: verdict %s, want %s (p'Cp/lmax %.3g, threshold %.3g, dead %d)"
          % (label, r.verdict, verdict_want, r.rayleigh_rel, r.threshold, r.dead))
    with tempfile.TemporaryDirectory() as tmp:
        acts = save_acts(tmp, rows)
        beta = getattr(norm_module, "bias", None)
        c = cli_diagnose(normsim_bin, acts, kind_want, norm_module.weight, beta, tmp)
    if c is None:
        return r
    check(c["verdict"] == r.verdict, "%s: CLI verdict %s, watch %s" % (label, c["verdict"], r.verdict))
    check(c["tokens"] == r.tokens == rows.shape[0], "%s: tokens CLI %s watch %s" % (label, c["tokens"], r.tokens))
    check(c["dead"] == r.dead, "%s: dead CLI %s watch %s" % (label, c["dead"], r.dead))
    eig_c, lmax = np.array(c["eigenvalues"]), c["lambda_max"]
    abs_err = float(np.max(np.abs(r.eigenvalues - eig_c)) / lmax)
    big = eig_c > r.threshold * lmax  # not dead: above the dtype's rounding floor
    rel_err = float(np.max(np.abs(r.eigenvalues[big] - eig_c[big]) / eig_c[big]))
    note("watch vs CLI: max |d eig| / lambda_max", abs_err)
    note("watch vs CLI: max rel d eig (eigenvalues above threshold)", rel_err)
    check(abs_err <= 1e-10, "%s: eigenvalues differ by %.3g lambda_max" % (label, abs_err))
    check(rel_err <= 1e-10, "%s: eigenvalues above the floor differ by rel %.3g" % (label, rel_err))
    for key, mine in (("cos", r.cos), ("rayleigh_rel", r.rayleigh_rel)):
        if c[key] is None:
            check(np.isnan(mine), "%s: %s CLI null, watch %r" % (label, key, mine))
        else:
            check(abs(c[key] - mine) <= 1e-10, "%s: %s CLI %r watch %r" % (label, key, c[key], mine))
    if kind_want.startswith("layernorm"):
        bc = abs(float(np.dot(np.array(c["bottom"]), r.bottom)))
        check(bc >= 1 - 1e-8, "%s: bottom vectors |cos| %.12f" % (label, bc))
    print("  %-22s %-8s |cos| %.12f  p'Cp/lmax %.3e  lmin/lmax %.3e  eig vs CLI %.1e" % (
        label, r.verdict, r.cos if not np.isnan(r.cos) else float("nan"), r.rayleigh_rel,
        r.lam_min / r.lam_max, abs_err))
    return r


def test_watch(normsim_bin):
    results = {}
    for store in (None, torch.float32, torch.float16, torch.bfloat16):
        name = {None: "f64", torch.float32: "f32", torch.float16: "f16", torch.bfloat16: "bf16"}[store]
        torch.manual_seed(0)
        m = TinyGPT2(store=store if store is not None and store != torch.float32 else None)
        m = m.double() if store is None else m.float()
        randomize_final_norm(m.transformer.ln_f)
        r = watch_vs_cli(normsim_bin, "gpt2 LayerNorm " + name, m, "transformer.ln_f", "layernorm", "PRESENT",
                         store)
        if r is not None:
            results["ln_" + name] = r
            check(r.cos >= 1 - (1e-10 if store in (None, torch.float32) else 1e-4),
                  "LN %s: |cos| %.12f not ~ 1" % (name, r.cos))
        torch.manual_seed(0)
        m = TinyLlama(store=store if store is not None and store != torch.float32 else None)
        m = m.double() if store is None else m.float()
        randomize_final_norm(m.model.norm)
        r = watch_vs_cli(normsim_bin, "llama RMSNorm " + name, m, "model.norm", "rmsnorm", "ABSENT", store)
        if r is not None:
            results["rms_" + name] = r
            check(r.predicted_k == 0 and r.dead == 0, "RMS %s: k %d dead %d" % (name, r.predicted_k, r.dead))
    return results


def test_negative_controls():
    torch.manual_seed(0)
    m = TinyGPT2().double()
    ln = m.transformer.ln_f
    randomize_final_norm(ln)
    with normsim.watch(m) as w:
        run_batches(m)
    cov = w.covariances["transformer.ln_f"]
    good = w.result
    g = torch.Generator().manual_seed(9)
    bad_gamma = ln.weight.detach() * torch.exp(0.2 * torch.randn(ln.weight.shape, generator=g, dtype=torch.float64))
    r = cov.diagnose(gamma=bad_gamma, beta=ln.bias, norm="layernorm")
    check(r.verdict == "MISMATCH" and r.cos < good.cos - 1e-3,
          "perturbed gamma: verdict %s |cos| %.6f (true %.6f)" % (r.verdict, r.cos, good.cos))
    note("negative control: |cos| with gamma perturbed 20%", r.cos)
    r = cov.diagnose(gamma=ln.weight, norm="rmsnorm")
    check(r.verdict == "MISMATCH", "LN output diagnosed as rmsnorm: %s (an unpredicted dead direction)" % r.verdict)
    r = cov.diagnose()
    check(r.verdict == "NO-PREDICTION" and r.predicted_k == -1, "no gamma, no norm: %s" % r.verdict)
    torch.manual_seed(0)
    ml = TinyLlama().double()
    randomize_final_norm(ml.model.norm)
    with normsim.watch(ml, norm="layernorm-nobias") as w:
        run_batches(ml)
    check(w.result.verdict == "MISMATCH" and w.result.norm == "layernorm-nobias",
          "RMS output diagnosed as layernorm-nobias: %s" % w.result.verdict)
    note("negative control: |cos| of g^-1 with the RMS bottom", w.result.cos)


# ---- update(): dtypes, strides, merge ----

def cov_of(*arrays, d):
    c = normsim.Covariance(d)
    for a in arrays:
        c.update(a)
    return c


def test_dtypes_and_views():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(300, 24, generator=g, dtype=torch.float64) * 3 + 1
    for dt in (torch.float32, torch.float16, torch.bfloat16):
        xt = x.to(dt)
        a, b = cov_of(xt, d=24), cov_of(xt.double().contiguous(), d=24)
        err = rel_max(a.matrix(), b.matrix())
        note("update dtype vs float64 copy: rel err", err)
        check(err <= 1e-12 and a.rows == 300, "torch %s vs float64 copy: rel %.3g" % (dt, err))
        check(abs(a.default_threshold() - max(1e-10, {torch.float32: 2.0**-24, torch.float16: 2.0**-11,
                                                      torch.bfloat16: 2.0**-8}[dt] ** 2)) < 1e-20,
              "default threshold for %s: %g" % (dt, a.default_threshold()))
    xn = x.numpy()
    for dt in (np.float32, np.float16):
        err = rel_max(cov_of(xn.astype(dt), d=24).matrix(), cov_of(xn.astype(dt).astype(np.float64), d=24).matrix())
        check(err <= 1e-12, "numpy %s: rel %.3g" % (np.dtype(dt).name, err))
    big = torch.randn(20, 30, 40, generator=g, dtype=torch.float64)
    views = {"transposed (0,2)": big.transpose(0, 2), "sliced step 3": big[:, ::3, :],
             "step in every dim": big[::2, 1::2, ::3], "2-D .T": big[0].T, "bf16 permuted": big.permute(1, 2, 0).bfloat16(),
             "expand (stride 0)": big[0, 0].expand(50, 40), "f32 column slice": big.float()[..., 5:29]}
    for name, v in views.items():
        check(not v.is_contiguous(), "view %s is contiguous" % name)
        d = v.shape[-1]
        err = rel_max(cov_of(v, d=d).matrix(), cov_of(v.double().contiguous(), d=d).matrix())
        note("update strided view vs contiguous copy: rel err", err)
        check(err <= 1e-12, "view %s: rel %.3g" % (name, err))
    bn = big.numpy()
    for name, v in {"numpy negative strides": bn[::-1, :, ::-2], "numpy Fortran order": np.asfortranarray(bn[0])}.items():
        err = rel_max(cov_of(v, d=v.shape[-1]).matrix(), cov_of(np.ascontiguousarray(v), d=v.shape[-1]).matrix())
        check(err <= 1e-12, "%s: rel %.3g" % (name, err))
    # the covariance itself: against numpy's two-pass centred covariance
    c = cov_of(x, d=24)
    ref = np.cov(x.numpy().T, bias=True)
    err = rel_max(c.matrix(), ref)
    note("Covariance vs numpy.cov: rel err", err)
    check(err <= 1e-12, "Covariance vs numpy.cov rel %.3g" % err)
    w, V = c.eigh()
    check(rel_max(w, np.linalg.eigvalsh(ref)) <= 1e-10, "eigh eigenvalues vs numpy")
    check(rel_max(ref @ V[:, 0], w[0] * V[:, 0]) <= 1e-8 * w[-1] / max(w[0], 1e-300) or
          np.max(np.abs(ref @ V[:, 0] - w[0] * V[:, 0])) <= 1e-10 * w[-1], "eigh vectors are columns")


def test_merge_and_chunks():
    g = torch.Generator().manual_seed(6)
    x = torch.randn(1000, 16, generator=g, dtype=torch.float64) + 5
    one = cov_of(x, d=16)
    a, b = cov_of(x[:613], d=16), cov_of(x[613:], d=16)
    a.merge(b)
    err = max(rel_max(a.matrix(), one.matrix()), rel_max(a.mean(), one.mean()))
    note("merge of two halves vs one pass: rel err", err)
    check(err <= 1e-12 and a.rows == 1000 and b.rows == 387, "merge: rel %.3g rows %d" % (err, a.rows))
    # many chunks in one update (chunk = 2^18 / d rows) against numpy, then a late NaN
    d = 8
    x = np.random.default_rng(7).standard_normal((100000, d)) * np.arange(1, d + 1) + 10
    c = cov_of(x.astype(np.float32), d=d)
    err = rel_max(c.matrix(), np.cov(x.astype(np.float32).astype(np.float64).T, bias=True))
    note("multi-chunk update vs numpy.cov: rel err", err)
    check(err <= 1e-10 and c.rows == 100000, "multi-chunk update rel %.3g" % err)
    y = x.copy()
    y[90000, 3] = np.nan
    raises(lambda: c.update(y), "row 90000", "column 3", "non-finite", "nothing was added")
    check(c.rows == 100000, "a failed update added rows: %d" % c.rows)


def test_bad_input():
    c = normsim.Covariance(24)
    raises(lambda: c.update(torch.zeros(10, 23)), "last dimension is 23", "d = 24")
    raises(lambda: c.update(torch.zeros(24)), "2 to", "got 1")
    raises(lambda: c.update(np.array(1.0)), "got 0")
    raises(lambda: c.update(torch.zeros(10, 24, dtype=torch.int64)), "dtype int64", "float64, float32")
    raises(lambda: c.update(np.zeros((10, 24), dtype=np.int32)), "dtype int32")
    raises(lambda: c.update(torch.zeros(10, 24, dtype=torch.bool)), "dtype bool")
    raises(lambda: c.update(torch.zeros(10, 24, dtype=torch.complex64)), "dtype complex64")
    raises(lambda: c.update(np.zeros((10, 24), dtype=">f8")), "big-endian")
    raises(lambda: c.update(torch.empty(10, 24, device="meta")), "device 'meta'", ".cpu()")
    if torch.cuda.is_available():
        raises(lambda: c.update(torch.zeros(10, 24, device="cuda")), "device 'cuda")
    raises(lambda: c.update(torch.zeros(10, 24).to_sparse()), "layout")
    if hasattr(torch, "_neg_view"):
        raises(lambda: c.update(torch._neg_view(torch.zeros(10, 24))), "negated view", "resolve_neg")
    raises(lambda: c.update([[0.0] * 24]), "numpy array or a CPU torch tensor", "list")
    nan = torch.zeros(10, 24)
    nan[7, 5] = float("nan")
    raises(lambda: c.update(nan), "row 7", "column 5", "non-finite")
    inf = torch.zeros(2, 5, 24, dtype=torch.float16)
    inf[1, 2, 0] = float("inf")
    raises(lambda: c.update(inf), "row 7", "column 0")
    check(c.rows == 0, "bad updates added rows")
    c.update(torch.zeros(0, 24))
    check(c.rows == 0, "an empty update added rows")
    raises(lambda: c.diagnose(), "no rows")
    raises(lambda: c.merge(normsim.Covariance(8)), "d = 8", "d = 24")
    c.update(torch.randn(100, 24))
    raises(lambda: c.diagnose(gamma=np.ones(23)), "23 values", "d = 24")
    raises(lambda: c.diagnose(gamma=np.ones(24), norm="nosuchnorm"), "unknown norm 'nosuchnorm'", "layernorm")
    bad = np.ones(24)
    bad[3] = np.inf
    raises(lambda: c.diagnose(gamma=bad), "gamma[3]", "not finite")
    raises(lambda: c.diagnose(gamma=np.ones(24), threshold=2.0), "threshold")
    raises(lambda: normsim.Covariance(0), "d = 0")
    raises(lambda: normsim.predicted_kernel("groupnorm:5", d=24), "groupnorm")
    raises(lambda: normsim.inspect("/nonexistent/model.safetensors"), "/nonexistent")
    c.close()
    raises(lambda: c.update(torch.zeros(1, 24)), "closed")
    e = None
    try:
        normsim.Covariance(24).update(torch.zeros(3))
    except normsim.NormsimError as exc:
        e = exc
    check(e is not None and e.code == 2, "NormsimError.code for bad input: %r" % (e and e.code))
    m = TinyGPT2()
    raises(lambda: normsim.watch(m, modules=["transformer.nosuch"]), "no module named 'transformer.nosuch'")
    raises(lambda: normsim.watch(m, modules=[torch.nn.LayerNorm(4)]), "not part of the model")

    def watch_attention():
        with normsim.watch(m, modules=["transformer.h.0.attn"]):
            run_batches(m, batches=1)
    raises(watch_attention, "cannot tell the norm scheme of a Attention module", "norm=")


def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_memory():
    x = torch.randn(64, 128)
    c = normsim.Covariance(128)
    for _ in range(300):
        c.update(x)
    before = rss_kb()
    for _ in range(5000):
        c.update(x)
    grew = rss_kb() - before
    note("RSS growth over 5000 updates (kB)", grew)
    check(grew < 2048 and c.rows == 5300 * 64, "RSS grew %d kB over 5000 updates" % grew)
    for _ in range(200):
        normsim.Covariance(128).update(x)
    before = rss_kb()
    for _ in range(2000):
        normsim.Covariance(128).update(x)
    grew = rss_kb() - before
    note("RSS growth over 2000 create/update/free (kB)", grew)
    check(grew < 2048, "RSS grew %d kB over 2000 create/free" % grew)


def test_gil_released():
    x = torch.randn(60000, 192)
    c = normsim.Covariance(192)
    inside, count = threading.Event(), [0]

    def work():
        inside.set()
        c.update(x)
        inside.clear()

    t = threading.Thread(target=work)
    t.start()
    inside.wait()
    while t.is_alive():
        count[0] += 1
        time.sleep(0)
    t.join()
    note("main-thread iterations during one update", count[0])
    check(count[0] >= 100, "the main thread ran %d times during a C update: GIL not released?" % count[0])


# ---- registry, inspect, scan ----

def test_registry_and_inspect(normsim_bin):
    g = torch.exp(0.5 * torch.randn(32, dtype=torch.float64))
    P = normsim.predicted_kernel("layernorm", {"gamma": g, "beta": torch.zeros(32)})
    want = (1 / g / torch.linalg.norm(1 / g)).numpy()
    check(P.shape == (1, 32) and rel_max(np.abs(P[0]), np.abs(want)) <= 1e-12, "layernorm kernel g^-1/||g^-1||")
    check(normsim.predicted_kernel("rmsnorm", {"weight": g}).shape == (0, 32), "rmsnorm predicts no kernel")
    P4 = normsim.predicted_kernel("groupnorm:4", d=32)
    check(P4.shape == (4, 32) and rel_max(P4 @ P4.T, np.eye(4)) <= 1e-12, "groupnorm:4: 4 orthonormal rows")
    names = [n["name"] for n in normsim.norms()]
    check("layernorm" in names and "rmsnorm" in names, "norms(): %s" % names)
    torch.manual_seed(0)
    m = TinyGPT2()
    randomize_final_norm(m.transformer.ln_f)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.safetensors")
        write_safetensors(path, dict(m.state_dict()))
        mine = normsim.inspect(path, config="")
        p = subprocess.run([normsim_bin, "inspect", path, "--no-config", "--format", "json"], capture_output=True,
                           text=True)
        check(p.returncode == 0, "CLI inspect exited %d: %s" % (p.returncode, p.stderr))
        cli = json.loads(p.stdout) if p.returncode == 0 else {}
    for key in ("family", "classification"):
        check(mine.get(key) == cli.get(key), "inspect %s: %r vs CLI %r" % (key, mine.get(key), cli.get(key)))
    check([n["name"] for n in mine["norms"]] == [n["name"] for n in cli.get("norms", [])], "inspect norm list")
    check([n["kind"] for n in mine["norms"]] == [n["kind"] for n in cli.get("norms", [])], "inspect kinds")
    fm, fc = mine["final"], cli.get("final", {})
    for key in ("name", "kind", "rule", "predicted_k", "d"):
        check(fm.get(key) == fc.get(key), "inspect final %s: %r vs CLI %r" % (key, fm.get(key), fc.get(key)))
    for key in ("cos_ones", "p_dot_b", "g_min", "g_max", "g_mean", "g_std"):
        check(abs(fm[key] - fc[key]) <= 1e-12 * max(abs(fc[key]), 1e-300) + 1e-15, "inspect final %s" % key)
    check(rel_max(fm["direction"], fc["direction"]) <= 1e-12, "inspect direction vs CLI")
    sizes = {n: (p.numel() if p.dim() == 1 else -1) for n, p in TinyLlama().named_parameters()}
    scan = normsim.scan_names(sizes)
    check(scan["final"]["name"] == "model.norm" and scan["final"]["kind"] is None,
          "llama names: final %s kind %s (ambiguous without a config)" % (scan["final"]["name"], scan["final"]["kind"]))
    scan = normsim.scan_names(sizes, config={"model_type": "llama"})
    check(scan["final"]["kind"] == "rmsnorm" and scan["family"] == "llama", "llama names + config: %s" % scan["final"])


def test_noaffine_final():
    class Plain(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(16, 16)
            self.ln_f = torch.nn.LayerNorm(16, elementwise_affine=False)

        def forward(self, x):
            return self.ln_f(self.proj(x))

    m = Plain().double()
    with normsim.watch(m) as w:
        m(torch.randn(200, 16, dtype=torch.float64))
    r = w.results.get("ln_f")
    check(r is not None and r.norm == "layernorm-noaffine" and r.verdict == "PRESENT",
          "LayerNorm without affine as the final norm: %s" % r)
    check(r is not None and abs(r.cos_ones - 1) < 1e-12, "noaffine kernel is 1/sqrt(d)")
    check(isinstance(r.to_dict()["eigenvalues"], list) and json.dumps(r.to_dict()), "to_dict() is JSON")


# ---- docs and install ----

def test_docs_example():
    text = open(os.path.join(ROOT, "docs", "python.md")).read()
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    check(len(blocks) >= 1, "docs/python.md has a ```python block")
    code = "\n".join(blocks)  # every python block of the page, in order, in one process
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    env.pop("NORMSIM_LIB", None)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    check(p.returncode == 0, "docs/python.md example exited %d: %s" % (p.returncode, p.stderr[-2000:]))
    check("PRESENT" in p.stdout and "ABSENT" in p.stdout, "docs example prints the verdicts: %r" % p.stdout[-500:])


def test_install():
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run(["make", "-s", "-C", ROOT, "install", "DESTDIR=" + tmp, "PREFIX=/opt/ns"],
                           capture_output=True, text=True)
        check(p.returncode == 0, "make install exited %d: %s" % (p.returncode, p.stderr[-1000:]))
        pyver = "python%d.%d" % sys.version_info[:2]
        pkg = os.path.join(tmp, "opt/ns/lib", pyver, "dist-packages")
        so = os.path.join(tmp, "opt/ns/lib/libnormsim.so")
        for f in (so, os.path.join(tmp, "opt/ns/include/normsim/normsim.h"), os.path.join(pkg, "normsim/_core.py")):
            check(os.path.exists(f), "make install wrote no %s" % f)
        rec = open(os.path.join(pkg, "normsim/_installed.py")).read() if os.path.exists(pkg) else ""
        check("'/opt/ns/lib/libnormsim.so'" in rec, "_installed.py records the final path: %r" % rec)
        code = ("import normsim, torch; c = normsim.Covariance(4); c.update(torch.randn(9, 4)); "
                "print(normsim.__file__, c.rows)")
        env = dict(os.environ, PYTHONPATH=pkg, NORMSIM_LIB=so)
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp)
        check(p.returncode == 0 and p.stdout.startswith(pkg) and p.stdout.strip().endswith(" 9"),
              "installed package: %r %r" % (p.stdout, p.stderr[-500:]))
        env = dict(os.environ, PYTHONPATH=pkg)
        env.pop("NORMSIM_LIB", None)
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp)
        check(p.returncode != 0 and "/opt/ns/lib/libnormsim.so" in p.stderr and "NormsimError" in p.stderr,
              "without the .so at its recorded path: a NormsimError naming it: %r" % p.stderr[-500:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--normsim", default=os.path.join(ROOT, "build", "normsim"))
    ap.add_argument("--skip-install", action="store_true")
    args = ap.parse_args()
    tests = [("watch vs CLI", lambda: test_watch(args.normsim)), ("negative controls", test_negative_controls),
             ("dtypes and views", test_dtypes_and_views), ("merge and chunks", test_merge_and_chunks),
             ("bad input", test_bad_input), ("memory", test_memory), ("GIL", test_gil_released),
             ("registry and inspect", lambda: test_registry_and_inspect(args.normsim)),
             ("noaffine final", test_noaffine_final), ("docs example", test_docs_example)]
    if not args.skip_install:
        tests.append(("install", test_install))
    for name, fn in tests:
        before = failed
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - a crash in one group is a counted failure
            import traceback
            traceback.print_exc()
            check(False, "%s raised %s: %s" % (name, type(e).__name__, e))
        print("%-22s %s" % (name, "ok" if failed == before else "FAILED"))
    for k, v in measured.items():
        print("  measured %-52s %.3g" % (k, v))
    print("python: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
