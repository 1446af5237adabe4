"""_core.py - Covariance (the streaming accumulator of sim/stats/cov.h through the C API),
the diagnostic's result, the registry's predicted kernel, and inspect."""
import ctypes
import json
import math
import sys

import numpy as np

from ._lib import (DTYPE_BF16, DTYPE_F16, DTYPE_F32, DTYPE_F64, DiagSummary, NormsimError, check,
                   doubles, lib, msg_buffer)

_NUMPY_DTYPES = {np.dtype(np.float64): DTYPE_F64, np.dtype(np.float32): DTYPE_F32,
                 np.dtype(np.float16): DTYPE_F16}
_SUPPORTED = "float64, float32, float16, bfloat16"


def _torch():
    return sys.modules.get("torch")  # never imported here: a torch tensor means torch is loaded


def _view(x):
    """(data pointer, dtype code, shape, strides in bytes) of an array read in place."""
    torch = _torch()
    if torch is not None and isinstance(x, torch.Tensor):
        if x.device.type != "cpu":
            raise NormsimError("the tensor is on device '%s': normsim reads CPU memory in place; "
                               "move it with .cpu() (or .to('cpu')) first" % x.device)
        if x.layout != torch.strided:
            raise NormsimError("the tensor has layout %s: only strided (dense) tensors are read" % x.layout)
        codes = {torch.float64: DTYPE_F64, torch.float32: DTYPE_F32, torch.float16: DTYPE_F16,
                 torch.bfloat16: DTYPE_BF16}
        if getattr(x, "is_neg", None) and x.is_neg():
            raise NormsimError("the tensor is a negated view (its memory holds -x): call .resolve_neg() first")
        if x.dtype not in codes:
            raise NormsimError("tensor dtype %s is not one of %s" % (str(x.dtype).replace("torch.", ""), _SUPPORTED))
        size = x.element_size()
        return x.data_ptr(), codes[x.dtype], tuple(x.shape), tuple(s * size for s in x.stride())
    if isinstance(x, np.ndarray):
        if x.dtype.byteorder not in ("=", "|") and x.dtype.newbyteorder("=") in _NUMPY_DTYPES and \
                x.dtype not in _NUMPY_DTYPES:
            raise NormsimError("array dtype %s is %s: only native byte order is read (x.astype(x.dtype."
                               "newbyteorder('=')))" % (x.dtype.str, "big-endian" if x.dtype.byteorder == ">"
                                                        else "non-native"))
        if x.dtype not in _NUMPY_DTYPES:
            raise NormsimError("array dtype %s is not one of %s" % (x.dtype, _SUPPORTED))
        return x.ctypes.data, _NUMPY_DTYPES[x.dtype], x.shape, x.strides
    raise NormsimError("update() takes a numpy array or a CPU torch tensor, got %s" % type(x).__name__)


def _vector(v, d, what):
    """a gamma/beta (numpy, torch, list) as a C-contiguous float64 array of length d (None stays None)"""
    if v is None:
        return None
    torch = _torch()
    if torch is not None and isinstance(v, torch.Tensor):
        v = v.detach().to("cpu", torch.float64).numpy()
    a = np.ascontiguousarray(np.asarray(v, dtype=np.float64)).reshape(-1)
    if d is not None and a.shape[0] != d:
        raise NormsimError("%s has %d values; the activations have d = %d" % (what, a.shape[0], d))
    return a


def _num(v):
    return None if isinstance(v, float) and math.isnan(v) else v


class DiagResult:
    """The diagnostic on one covariance (diag_measure): verdict (PRESENT, ABSENT, MISMATCH,
    UNDETERMINED, NO-PREDICTION), cos = |cos(p, bottom)|, rayleigh_rel = p'Cp / lambda_max,
    eigenvalues (ascending), bottom (the eigenvector of lambda_min), and the rest of
    `normsim diagnose --acts --format json`."""

    FIELDS = ("norm", "verdict", "d", "tokens", "predicted_k", "cos", "cos_ones", "rayleigh_rel",
              "lam_min", "lam_2", "lam_max", "dead", "threshold", "p_mean", "p_b", "warning")

    def __init__(self, s, eig, bottom, module=None):
        self.module = module
        self.norm = s.norm.decode()
        self.verdict = s.verdict_name.decode()
        self.warning = s.warning.decode()
        for f in ("d", "tokens", "predicted_k", "dead"):
            setattr(self, f, int(getattr(s, f)))
        for f in ("cos", "cos_ones", "rayleigh_rel", "lam_min", "lam_2", "lam_max", "threshold", "p_mean", "p_b"):
            setattr(self, f, float(getattr(s, f)))
        self.eigenvalues = eig
        self.bottom = bottom

    def to_dict(self):
        out = {f: _num(getattr(self, f)) for f in self.FIELDS}
        if self.module is not None:
            out["module"] = self.module
        out["eigenvalues"] = [float(v) for v in self.eigenvalues]
        out["bottom"] = [float(v) for v in self.bottom]
        return out

    def __repr__(self):
        return ("DiagResult(%s%s, verdict=%s, |cos|=%.6g, p'Cp/lambda_max=%.3g, d=%d, tokens=%d)"
                % (self.module + ": " if self.module else "", self.norm, self.verdict, self.cos,
                   self.rayleigh_rel, self.d, self.tokens))


class Covariance:
    """Streaming centred covariance of rows of width d, in double (Chan's merge), memory O(d^2).

    update(x): x a numpy array or CPU torch tensor of float64/float32/float16/bfloat16 with
    shape (..., d), any strides; read in place and converted in C (no copy in Python), the
    GIL released during the call."""

    def __init__(self, d):
        self._h = None
        self._lib = lib()
        h, msg = ctypes.c_void_p(), msg_buffer()
        check(self._lib.ns_cov_create(int(d), ctypes.byref(h), msg, len(msg)), msg.value)
        self._h = h
        self.d = int(d)

    def close(self):
        if self._h is not None:
            self._lib.ns_cov_free(self._h)
            self._h = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - at interpreter shutdown the library may be gone
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _handle(self):
        if self._h is None:
            raise NormsimError("this Covariance was closed")
        return self._h

    def _check(self, status):
        check(status, self._lib.ns_cov_error(self._h))

    @property
    def rows(self):
        """rows accumulated so far"""
        return int(self._lib.ns_cov_rows(self._handle()))

    def update(self, x):
        """Add the rows of x (..., d); all or nothing (a NaN or inf is an error). Returns self."""
        h = self._handle()
        ptr, code, shape, strides = _view(x)
        n = len(shape)
        sh, st = (ctypes.c_int64 * max(n, 1))(*shape), (ctypes.c_int64 * max(n, 1))(*strides)
        self._check(self._lib.ns_cov_update(h, ctypes.c_void_p(ptr), code, n, sh, st))
        return self

    def merge(self, other):
        """self := self merged with other (same d); other is unchanged. Returns self."""
        if not isinstance(other, Covariance):
            raise NormsimError("merge() takes a Covariance, got %s" % type(other).__name__)
        self._check(self._lib.ns_cov_merge(self._handle(), other._handle()))
        return self

    def mean(self):
        out = np.empty(self.d)
        self._lib.ns_cov_mean(self._handle(), doubles(out))
        return out

    def matrix(self):
        """C = scatter / n (d x d)"""
        out = np.empty((self.d, self.d))
        self._lib.ns_cov_matrix(self._handle(), doubles(out))
        return out

    def default_threshold(self):
        return float(self._lib.ns_cov_default_threshold(self._handle()))

    def eigh(self, vectors=True):
        """Eigenvalues ascending and (vectors=True) eigenvectors as columns, like numpy.linalg.eigh."""
        w = np.empty(self.d)
        V = np.empty((self.d, self.d)) if vectors else None
        self._check(self._lib.ns_cov_eigh(self._handle(), doubles(w), doubles(V)))
        return (w, V.T) if vectors else w

    def diagnose(self, gamma=None, beta=None, norm=None, threshold=None, module=None):
        """The diagnostic against the kernel scheme `norm` predicts for scale gamma and shift
        beta. norm None: layernorm with a beta, layernorm-nobias with only a gamma, a spectrum
        alone (verdict NO-PREDICTION) with neither. threshold None: the stored dtype's default."""
        h = self._handle()
        g, b = _vector(gamma, self.d, "gamma"), _vector(beta, self.d, "beta")
        s, eig, bottom = DiagSummary(), np.empty(self.d), np.empty(self.d)
        thr = 0.0 if threshold is None else float(threshold)
        if threshold is not None and not thr > 0:
            raise NormsimError("threshold %r must be > 0 (None: the dtype's default)" % threshold)
        self._check(self._lib.ns_cov_diagnose(h, norm.encode() if norm else None, doubles(g), doubles(b), thr,
                                              ctypes.byref(s), doubles(eig), doubles(bottom)))
        return DiagResult(s, eig, bottom, module)

    def __repr__(self):
        return "Covariance(d=%d, rows=%d)" % (self.d, self.rows if self._h is not None else -1)


def predicted_kernel(norm, params=None, d=None):
    """The kernel scheme `norm` ("layernorm", "groupnorm:4", ...) predicts, as a (k, d) array
    of orthonormal rows (k = 0: none). params: a dict with "gamma" (or "weight", "scale") and
    "beta" (or "bias"), numpy or torch; d: the width when no gamma is given."""
    params = params or {}
    g = next((params[k] for k in ("gamma", "weight", "scale", "g") if params.get(k) is not None), None)
    b = next((params[k] for k in ("beta", "bias", "b") if params.get(k) is not None), None)
    g = _vector(g, d, "gamma")
    d = d if d is not None else (g.shape[0] if g is not None else None)
    if d is None:
        raise NormsimError("predicted_kernel needs a gamma or d")
    b = _vector(b, d, "beta")
    so, k, msg = lib(), ctypes.c_int(), msg_buffer()
    check(so.ns_predicted_kernel(norm.encode(), int(d), doubles(g), doubles(b), ctypes.byref(k), None, 0,
                                 msg, len(msg)), msg.value)
    P = np.empty((k.value, d))
    check(so.ns_predicted_kernel(norm.encode(), int(d), doubles(g), doubles(b), ctypes.byref(k),
                                 doubles(P) if k.value else None, k.value, msg, len(msg)), msg.value)
    return P


def norms():
    """The registry: [{"name", "summary", "kernel"}] in registry order."""
    so = lib()
    return [{"name": so.ns_norm_name(i).decode(), "summary": so.ns_norm_summary(i).decode(),
             "kernel": so.ns_norm_kernel_formula(i).decode()} for i in range(so.ns_norm_count())]


def _json_result(status, out, msg):
    so = lib()
    if status != 0:
        check(status, msg.value)
    try:
        return json.loads(ctypes.string_at(out.value).decode())
    finally:
        so.ns_free(out)


def _opt(s):
    return None if s is None else s.encode()


def inspect(path, config=None, norm=None, final=None):
    """`normsim inspect PATH --format json` as a dict (zero forward passes): every norm layer
    and the final norm's predicted kernel ("direction"). config: a config.json path (None:
    next to the checkpoint; "": none); norm, final: as --norm, --final."""
    out, msg = ctypes.c_void_p(), msg_buffer()
    st = lib().ns_inspect(str(path).encode(), _opt(config), _opt(norm), _opt(final), ctypes.byref(out), msg,
                          len(msg))
    return _json_result(st, out, msg)


def scan_names(sizes, config=None, norm=None, final=None):
    """inspect's rules on tensor names alone: sizes maps each name to its length if 1-D, else
    -1 (a state_dict's shapes); config: a dict (config.json's content) or None."""
    names = [n.encode() for n in sizes]
    arr = (ctypes.c_char_p * max(len(names), 1))(*names)
    lens = (ctypes.c_int64 * max(len(names), 1))(*[int(v) for v in sizes.values()])
    cfg = json.dumps(config).encode() if config is not None else None
    out, msg = ctypes.c_void_p(), msg_buffer()
    st = lib().ns_scan_names(len(names), arr, lens, cfg, _opt(norm), _opt(final), ctypes.byref(out), msg, len(msg))
    return _json_result(st, out, msg)
