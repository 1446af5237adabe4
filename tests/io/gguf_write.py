"""A GGUF writer (version 2 or 3) written from the GGUF spec (ggml docs/gguf.md), for tests:
metadata scalars, strings and arrays; tensors in F32, F16, BF16, F64, Q8_0 and Q4_0 (ggml's
reference quantizers); general.alignment padding. dequant() gives what a reader must decode.

write_gguf(path, meta, tensors, version=3, align=32)
  meta: list of (key, type, value): type one of "u32", "i32", "f32", "f64", "u64", "bool",
        "string", ("array", elem_type)
  tensors: list of (name, numpy array in row-major order, "F32" | "F16" | ... | "Q4_0"), or
           (name, (shape, raw bytes), type name) for a type encode() does not write
"""
import struct

import numpy as np

TYPES = {"u8": 0, "i8": 1, "u16": 2, "i16": 3, "u32": 4, "i32": 5, "f32": 6, "bool": 7, "string": 8,
         "array": 9, "u64": 10, "i64": 11, "f64": 12}
FMT = {"u8": "<B", "i8": "<b", "u16": "<H", "i16": "<h", "u32": "<I", "i32": "<i", "f32": "<f", "bool": "<?",
       "u64": "<Q", "i64": "<q", "f64": "<d"}
GTYPE = {"F32": 0, "F16": 1, "Q4_0": 2, "Q8_0": 8, "Q4_K": 12, "F64": 28, "BF16": 30}


def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def value(t, v):
    if t == "string":
        return gstr(v)
    if isinstance(t, tuple):
        et = t[1]
        return struct.pack("<IQ", TYPES[et], len(v)) + b"".join(value(et, x) for x in v)
    return struct.pack(FMT[t], v)


def q8_0(x):
    """ggml quantize_row_q8_0_reference: per 32: d = amax / 127, q = round(x / d)"""
    blocks = x.reshape(-1, 32)
    out = bytearray()
    for b in blocks:
        d = np.abs(b).max() / 127.0
        q = np.round(b / d) if d else np.zeros(32)
        out += np.float16(d).tobytes() + q.astype(np.int8).tobytes()
    return bytes(out)


def q4_0(x):
    """ggml quantize_row_q4_0_reference: max = the value of largest |x|, d = max / -8,
    q = min(15, int(x / d + 8.5)); byte j: q[j] | q[j + 16] << 4"""
    out = bytearray()
    for b in x.reshape(-1, 32):
        mx = b[np.argmax(np.abs(b))]
        d = mx / -8.0
        idd = 1.0 / d if d else 0.0
        q = np.minimum(15, (b * idd + 8.5).astype(np.int64)).astype(np.uint8)
        out += np.float16(d).tobytes() + (q[:16] | (q[16:] << 4)).astype(np.uint8).tobytes()
    return bytes(out)


def encode(a, t):
    a = np.ascontiguousarray(a, dtype=np.float64).reshape(-1)
    if t == "F32":
        return a.astype("<f4").tobytes()
    if t == "F16":
        return a.astype("<f2").tobytes()
    if t == "F64":
        return a.astype("<f8").tobytes()
    if t == "BF16":
        u = a.astype("<f4").view("<u4").astype(np.uint64)
        u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")  # round to nearest even
        return u.tobytes()
    if t == "Q8_0":
        return q8_0(a)
    if t == "Q4_0":
        return q4_0(a)
    raise ValueError(t)


def dequant(a, t):
    """the values a reader decodes from encode(a, t), as float64 in a's shape"""
    a = np.asarray(a, dtype=np.float64)
    b = encode(a, t)
    if t in ("F32", "F16", "F64"):
        return np.frombuffer(b, {"F32": "<f4", "F16": "<f2", "F64": "<f8"}[t]).astype(np.float64).reshape(a.shape)
    if t == "BF16":
        return (np.frombuffer(b, "<u2").astype(np.uint32) << 16).view("<f4").astype(np.float64).reshape(a.shape)
    out = []
    n = 34 if t == "Q8_0" else 18
    for i in range(0, len(b), n):
        d = float(np.frombuffer(b[i:i + 2], "<f2")[0])
        if t == "Q8_0":
            q = np.frombuffer(b[i + 2:i + 34], np.int8).astype(np.float64)
        else:
            qs = np.frombuffer(b[i + 2:i + 18], np.uint8)
            q = np.concatenate([qs & 15, qs >> 4]).astype(np.float64) - 8
        out.append(d * q)
    return np.concatenate(out).reshape(a.shape)


def write_gguf(path, meta, tensors, version=3, align=32, n_tensors=None, offsets=None):
    """n_tensors / offsets: override what the header says (bad-input tests)"""
    head = b"GGUF" + struct.pack("<IQQ", version, len(tensors) if n_tensors is None else n_tensors, len(meta))
    for k, t, v in meta:
        head += gstr(k) + struct.pack("<I", TYPES["array"] if isinstance(t, tuple) else TYPES[t]) + value(t, v)
    blobs, at = [], 0
    for i, (name, a, t) in enumerate(tensors):
        if isinstance(a, tuple):  # (shape, raw bytes): a type this writer does not encode
            shape, b = a
        else:
            shape, b = np.shape(a), encode(a, t)
        ne = list(reversed(shape))
        off = at if offsets is None else offsets[i]
        head += gstr(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
        head += struct.pack("<IQ", GTYPE[t], off)
        blobs.append(b + bytes((-len(b)) % align))
        at += len(blobs[-1])
    head += bytes((-len(head)) % align)
    with open(path, "wb") as f:
        f.write(head + b"".join(blobs))
