#!/usr/bin/python3
"""Seed corpus for the fuzz targets (tests/fuzz/corpus/<target>/): small valid files and
one of each kind of bad input the parsers must reject. Rerun to regenerate; the files are
checked in, and tests/unit/test_fuzz_replay.c feeds every one to the parsers on each
`make test`.

usage: make_corpus.py [DIR]   (default: the corpus folder next to this script)
"""
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def st_file(header, data, pad=True):
    h = json.dumps(header).encode() if not isinstance(header, bytes) else header
    if pad:
        h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def safetensors_cases():
    a = np.arange(6, dtype="<f4").tobytes()
    b = np.array([1.5, -2.0], dtype="<f2").tobytes()
    bf = bytes([0x80, 0x3f, 0x00, 0xc0])  # bf16 1.0, -2.0
    ok = {"__metadata__": {"format": "pt"},
          "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
          "b": {"dtype": "F16", "shape": [2], "data_offsets": [24, 28]},
          "c": {"dtype": "BF16", "shape": [2], "data_offsets": [28, 32]}}
    yield "valid", st_file(ok, a + b + bf)
    yield "valid_f64_scalar", st_file({"s": {"dtype": "F64", "shape": [], "data_offsets": [0, 8]}},
                                      struct.pack("<d", 3.25))
    yield "valid_empty_tensor", st_file({"z": {"dtype": "F32", "shape": [0, 4], "data_offsets": [0, 0]},
                                         "x": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}},
                                        struct.pack("<q", -7))
    yield "valid_f8", st_file({"e4": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]},
                               "e5": {"dtype": "F8_E5M2", "shape": [4], "data_offsets": [4, 8]}},
                              bytes([0x38, 0x7f, 0x80, 0x01, 0x3c, 0x7c, 0x7e, 0x01]))
    full = st_file(ok, a + b + bf)
    yield "truncated", full[:-5]
    yield "truncated_len", full[:5]
    yield "header_too_long", struct.pack("<Q", 10 ** 6) + full[8:]
    yield "invalid_json", st_file(b'{"a": {"dtype": "F32", "shape": [2, 3]', a)
    yield "not_object", st_file(b"[1, 2, 3]", b"")
    yield "offsets_out_of_range", st_file({"a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 240]}}, a)
    yield "offsets_overlap", st_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                      "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, a[:12])
    yield "offsets_hole", st_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                   "b": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]}}, a[:20])
    yield "offsets_reversed", st_file({"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}}, a[:8])
    yield "unknown_dtype", st_file({"a": {"dtype": "F31", "shape": [6], "data_offsets": [0, 24]}}, a)
    yield "shape_mismatch", st_file({"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 24]}}, a)
    yield "shape_negative", st_file({"a": {"dtype": "F32", "shape": [-6], "data_offsets": [0, 24]}}, a)
    yield "shape_huge", st_file({"a": {"dtype": "F64", "shape": [2 ** 40, 2 ** 40], "data_offsets": [0, 24]}}, a)
    yield "duplicate", st_file(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                               b'"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', a[:8])
    yield "metadata_not_string", st_file({"__metadata__": {"n": 3},
                                          "a": {"dtype": "F32", "shape": [6], "data_offsets": [0, 24]}}, a)
    yield "trailing_bytes", st_file({"a": {"dtype": "F32", "shape": [5], "data_offsets": [0, 20]}}, a)


def index_cases():
    yield "valid", json.dumps({"metadata": {"total_size": 64}, "weight_map": {
        "a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors",
        "c.bias": "model-00001-of-00002.safetensors"}}).encode()
    yield "no_weight_map", b'{"metadata": {}}'
    yield "empty_map", b'{"weight_map": {}}'
    yield "not_string", b'{"weight_map": {"a": 3}}'
    yield "traversal", b'{"weight_map": {"a": "../../etc/passwd"}}'
    yield "absolute", b'{"weight_map": {"a": "/etc/passwd"}}'
    yield "duplicate", b'{"weight_map": {"a": "x.safetensors", "a": "y.safetensors"}}'
    yield "invalid_json", b'{"weight_map": {"a": "x.safetensors"'
    yield "deep", b"[" * 2000 + b"]" * 2000


def npy_bytes(arr, version=None):
    import io
    buf = io.BytesIO()
    if version:
        np.lib.format.write_array(buf, arr, version=version)
    else:
        np.save(buf, arr)
    return buf.getvalue()


def npy_cases():
    x = np.arange(12, dtype="<f8").reshape(4, 3) / 7
    yield "valid_f8", npy_bytes(x)
    yield "valid_f4_v2", npy_bytes(x.astype("<f4"), (2, 0))
    yield "valid_f2_v3", npy_bytes(x.astype("<f2"), (3, 0))
    yield "valid_i8_1d", npy_bytes(np.arange(5, dtype="<i8"))
    yield "valid_u1_3d", npy_bytes(np.arange(24, dtype="u1").reshape(2, 3, 4))
    yield "valid_scalar", npy_bytes(np.float64(2.5))
    yield "valid_bool", npy_bytes(np.array([True, False]))
    yield "fortran", npy_bytes(np.asfortranarray(x))
    yield "big_endian", npy_bytes(x.astype(">f8"))
    yield "truncated", npy_bytes(x)[:-9]
    yield "truncated_header", npy_bytes(x)[:40]
    yield "structured", npy_bytes(np.zeros(3, dtype=[("a", "<f4"), ("b", "<i4")]))
    yield "complex", npy_bytes(np.zeros(3, dtype="<c16"))
    yield "bad_version", b"\x93NUMPY\x07\x00" + npy_bytes(x)[8:]
    yield "shape_mismatch", npy_bytes(x).replace(b"(4, 3)", b"(5, 3)")
    yield "not_npy", b"hello world, not a numpy file at all"


def tensors_file(tensors, metadata=None):
    """tensors: name -> numpy array (f4/f8/i8); a valid safetensors file"""
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    codes = {"<f4": "F32", "<f8": "F64", "<i8": "I64"}
    for name, a in tensors.items():
        b = a.tobytes()
        header[name] = {"dtype": codes[a.dtype.str], "shape": list(a.shape),
                        "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    return st_file(header, data)


def normscan_cases():
    g = np.array([1.5, 0.5, 2.0, 1.0], dtype="<f4")
    b = np.array([0.1, -0.2, 0.0, 0.3], dtype="<f4")
    w = np.array([0.1, -1.0, 0.2, 0.0], dtype="<f4")
    yield "gpt2", tensors_file({"transformer.wte.weight": np.ones((3, 4), "<f4"), "transformer.h.0.ln_1.weight": g,
                                "transformer.h.0.ln_1.bias": b, "transformer.ln_f.weight": g,
                                "transformer.ln_f.bias": b})
    yield "gemma", tensors_file({"model.layers.0.input_layernorm.weight": w, "model.norm.weight": w},
                                {"fuzz.config": json.dumps({"model_type": "gemma2", "rms_norm_eps": 1e-6})})
    yield "ambiguous", tensors_file({"model.layers.0.input_layernorm.weight": g, "model.norm.weight": g})
    yield "rms_eps", tensors_file({"model.norm.weight": g}, {"fuzz.config": json.dumps({"rms_norm_eps": 1e-6})})
    yield "forced", tensors_file({"model.norm.weight": g}, {"fuzz.norm": "rmsnorm-1p", "fuzz.final": "model.norm"})
    cfg = {"arch": "gpt2", "norm": "layernorm", "d": 4, "layers": 1, "heads": 1, "kv_heads": 0, "seq": 4,
           "vocab": 3, "d_ff": 8, "window": 0, "image": 0, "patch": 0, "eps": 1e-5}
    yield "normsim", tensors_file({"h.0.norm_attn.weight": g, "h.0.norm_attn.bias": b, "norm_final.weight": g,
                                   "norm_final.bias": b}, {"normsim.config": json.dumps(cfg)})
    yield "normsim_noaffine", tensors_file({"embed.tokens.weight": np.ones((3, 4), "<f8")},
                                           {"normsim.config": json.dumps({**cfg, "norm": "layernorm-noaffine"})})
    yield "t5", tensors_file({"encoder.block.0.layer.0.layer_norm.weight": g, "decoder.final_layer_norm.weight": g})
    yield "bert_tf", tensors_file({"bert.encoder.layer.0.output.LayerNorm.gamma": g,
                                   "bert.encoder.layer.0.output.LayerNorm.beta": b})
    yield "olmo", tensors_file({"model.embed_tokens.weight": np.ones((3, 4), "<f4")},
                               {"fuzz.config": json.dumps({"model_type": "olmo", "hidden_size": 4})})
    yield "mismatch", tensors_file({"ln_f.weight": g, "ln_f.bias": np.zeros(3, "<f4")})
    yield "int_param", tensors_file({"ln_f.weight": g, "ln_f.bias": np.zeros(4, "<i8")})
    yield "zero_gain", tensors_file({"ln_f.weight": np.array([1, 0, 2, 0], "<f8")})


def gguf_cases():
    sys.path.insert(0, os.path.join(HERE, "..", "io"))
    import tempfile
    from gguf_write import write_gguf

    meta = [("general.architecture", "string", "llama"), ("llama.embedding_length", "u32", 32),
            ("llama.attention.layer_norm_rms_epsilon", "f32", 1e-6), ("tokenizer.ggml.tokens", ("array", "string"),
                                                                     ["a", "bb"])]
    t = [("token_embd.weight", np.linspace(-1, 1, 64).reshape(2, 32), "Q8_0"),
         ("output_norm.weight", np.ones(32), "F32"), ("blk.0.ffn_up.weight", np.ones((1, 32)), "Q4_0")]

    def gguf(**kw):
        with tempfile.NamedTemporaryFile() as f:
            write_gguf(f.name, kw.pop("meta", meta), kw.pop("tensors", t), **kw)
            return open(f.name, "rb").read()
    yield "valid_v3", gguf()
    yield "valid_v2_bf16", gguf(version=2, tensors=[("a", np.ones((2, 3)), "BF16"), ("b", np.ones(4), "F16")])
    full = gguf()
    yield "truncated", full[: len(full) - 20]  # into the last tensor (its padding is 14 bytes)
    yield "truncated_header", full[:40]
    yield "ntensors", gguf(n_tensors=1 << 40)
    yield "offset_past_end", gguf(offsets=[0, 1 << 40, 64])
    yield "misaligned", gguf(offsets=[0, 3, 64])
    yield "version1", gguf(version=1)
    yield "q4k", gguf(tensors=[("x", ((256,), bytes(144)), "Q4_K")])
    yield "strlen", b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 1 << 50) + b"k" * 40
    yield "q8_count", gguf(tensors=[("x", ((31,), bytes(34)), "Q8_0")])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    for target, cases in (("safetensors", safetensors_cases), ("index", index_cases), ("npy", npy_cases),
                          ("normscan", normscan_cases), ("gguf", gguf_cases)):
        os.makedirs(os.path.join(out, target), exist_ok=True)
        for name, data in cases():
            with open(os.path.join(out, target, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
