#!/usr/bin/python3
"""Bad inputs for tests/io, made from the good files make_models.py wrote.

usage: make_bad.py OUTDIR     (after make_models.py OUTDIR)

Writes OUTDIR/bad/<case>.safetensors, <case>.npy, <case>/ (checkpoint folders) and
<case>.json. Every one must give exit 2 and one clear error line, never a crash.
"""
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_models import write_safetensors  # noqa: E402
import torch  # noqa: E402


def read_st(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    return raw, json.loads(raw[8:8 + n]), raw[8 + n:]


def st_bytes(header, data):
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def main(out):
    bad = f"{out}/bad"
    os.makedirs(bad)
    raw, header, data = read_st(f"{out}/gpt2/model.safetensors")
    w = lambda name, b: open(f"{bad}/{name}", "wb").write(b)
    names = [k for k in header if k != "__metadata__"]
    first = min(names, key=lambda k: header[k]["data_offsets"][0])
    last = max(names, key=lambda k: header[k]["data_offsets"][1])

    w("truncated.safetensors", raw[: len(raw) - 1000])
    w("truncated_header.safetensors", raw[:100])
    w("tiny.safetensors", raw[:5])
    w("header_len.safetensors", struct.pack("<Q", len(raw)) + raw[8:])
    hb = raw[8:8 + struct.unpack("<Q", raw[:8])[0]]
    w("invalid_json.safetensors", raw[:8] + hb.replace(b'"dtype"', b'"dtype" "', 1) + data)
    h = json.loads(json.dumps(header))
    h[last]["data_offsets"][1] += 8
    w("out_of_range.safetensors", st_bytes(h, data))
    h = json.loads(json.dumps(header))
    o = h[first]["data_offsets"]
    h["zz.overlap"] = {"dtype": "F64", "shape": [1], "data_offsets": [o[0], o[0] + 8]}
    w("overlap.safetensors", st_bytes(h, data))
    h = json.loads(json.dumps(header))
    h[first]["dtype"] = "F128"
    w("unknown_dtype.safetensors", st_bytes(h, data))
    h = json.loads(json.dumps(header))
    h["transformer.ln_f.weight"]["shape"] = [65]
    w("shape_mismatch.safetensors", st_bytes(h, data))
    w("not_safetensors.safetensors", b"GGUF" + bytes(100))
    w("not_any.safetensors", b"PK\x03\x04" + bytes(100))  # a zip (torch .bin) under the wrong name
    w("newline_name.safetensors", st_bytes({"a\nb": {"dtype": "X", "shape": [1], "data_offsets": [0, 4]}}, b"1234"))
    h = json.loads(json.dumps(header))
    h["transformer.ln_f.bias"]["dtype"] = "I64"  # valid file, an integer tensor where floats are needed
    w("non_float.safetensors", st_bytes(h, data))

    # checkpoints with valid files but wrong content for the gpt2 import
    g = torch.Generator().manual_seed(3)
    W = {k: torch.from_numpy(np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]],
                                           dtype="<f8" if v["dtype"] == "F64" else "<f4").copy()).reshape(v["shape"])
         for k, v in header.items() if k != "__metadata__"}
    cfg = json.load(open(f"{out}/gpt2/config.json"))

    def ckpt(name, tensors, config=cfg):
        os.makedirs(f"{bad}/{name}")
        write_safetensors(f"{bad}/{name}/model.safetensors",
                          {k: v.double() for k, v in tensors.items()})
        if config is not None:
            json.dump(config, open(f"{bad}/{name}/config.json", "w"))

    X = dict(W)
    X["transformer.h.1.attn.c_attn.weight"] = torch.randn(64, 128, generator=g)
    ckpt("c_attn_shape", X)
    X = dict(W)
    del X["transformer.h.2.mlp.c_proj.bias"]
    ckpt("missing_tensor", X)
    ckpt("config_mismatch", W, {**cfg, "n_embd": 128})
    ckpt("no_heads", W, None)
    ckpt("bad_activation", W, {**cfg, "activation_function": "swish"})

    # a llama config this import does not support
    os.makedirs(f"{bad}/rope_scaling")
    lcfg = json.load(open(f"{out}/llama/config.json"))
    os.symlink(os.path.abspath(f"{out}/llama/model.safetensors"), f"{bad}/rope_scaling/model.safetensors")
    json.dump({**lcfg, "rope_scaling": {"type": "linear", "factor": 2.0}},
              open(f"{bad}/rope_scaling/config.json", "w"))

    # shards: a map to a shard that lacks the tensor, a missing shard, a path outside
    for case, wm in (("index_lacks", {"transformer.wte.weight": "model-00002-of-00002.safetensors"}),
                     ("index_missing_shard", {"transformer.wte.weight": "model-00009-of-00009.safetensors"}),
                     ("index_traversal", {"transformer.wte.weight": "../../gpt2/model.safetensors"})):
        os.makedirs(f"{bad}/{case}")
        for s in ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"):
            os.symlink(os.path.abspath(f"{out}/gpt2_sharded/{s}"), f"{bad}/{case}/{s}")
        json.dump({"weight_map": wm}, open(f"{bad}/{case}/model.safetensors.index.json", "w"))
    open(f"{bad}/index_invalid.json", "w").write('{"weight_map": {"a": ')

    # activations
    y = np.load(f"{out}/gpt2/acts_f64.npy")
    np.save(f"{bad}/fortran.npy", np.asfortranarray(y))
    np.save(f"{bad}/bigendian.npy", y.astype(">f8"))
    z = y.copy()
    z[17, 3] = np.nan
    np.save(f"{bad}/nan_row17.npy", z)
    z = y.astype(np.float32)
    z[300, 0] = np.inf
    np.save(f"{bad}/inf_row300.npy", z)
    np.save(f"{bad}/few_rows.npy", y[:40])
    np.save(f"{bad}/equal_rows.npy", y[:64])
    np.save(f"{bad}/one_d.npy", y[:, 0])
    np.save(f"{bad}/ints.npy", (y * 100).astype(np.int32))
    np.save(f"{bad}/complex.npy", y.astype(np.complex128))
    full = open(f"{out}/gpt2/acts_f64.npy", "rb").read()
    w("truncated.npy", full[: len(full) - 100])
    w("shape_mismatch.npy", full.replace(b"(512, 64)", b"(513, 64)", 1))
    np.save(f"{bad}/gamma_short.npy", np.ones(63))
    # tokens
    tok = np.load(f"{out}/gpt2/tokens.npy")
    t = tok.copy()
    t[3, 5] = 101
    np.save(f"{bad}/tokens_vocab.npy", t)
    np.save(f"{bad}/tokens_long.npy", np.zeros((2, 33), dtype=np.int64))
    np.save(f"{bad}/tokens_float.npy", tok.astype(np.float64) + 0.5)
    # names no built-in pattern knows; --norm-pattern finds them
    write_safetensors(f"{bad}/odd_names.safetensors",
                      {"blk.0.mix.weight": torch.randn(8, 8, generator=g),
                       "blk.0.rescale_gain": torch.exp(torch.randn(8, generator=g)),
                       "head.prescale_g": torch.exp(torch.randn(8, generator=g))})


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
