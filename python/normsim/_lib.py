"""_lib.py - find and load libnormsim.so (ctypes) and declare the C API of sim/api/normsim.h.

Search order: $NORMSIM_LIB (only it, when set); libnormsim.so next to this file; the path
`make install` recorded in _installed.py; build/libnormsim.so of the checkout this file is in
(python/normsim/ -> ../../build)."""
import ctypes
import os

API_VERSION = 1
DTYPE_F64, DTYPE_F32, DTYPE_F16, DTYPE_BF16 = 0, 1, 2, 3
MSG_LEN = 512


class NormsimError(Exception):
    """An error from normsim: the library's one-line message; code 2 = bad input or usage,
    1 = failure while running (as the CLI's exit status)."""

    def __init__(self, message, code=2):
        super().__init__(message)
        self.code = code


class DiagSummary(ctypes.Structure):
    """ns_diag_summary (sim/api/normsim.h), field for field."""
    _fields_ = [
        ("d", ctypes.c_int), ("predicted_k", ctypes.c_int), ("dead", ctypes.c_int),
        ("verdict", ctypes.c_int), ("tokens", ctypes.c_longlong), ("threshold", ctypes.c_double),
        ("cos", ctypes.c_double), ("cos_ones", ctypes.c_double), ("lam_min", ctypes.c_double),
        ("lam_2", ctypes.c_double), ("lam_max", ctypes.c_double), ("rayleigh_rel", ctypes.c_double),
        ("p_mean", ctypes.c_double), ("p_b", ctypes.c_double), ("norm", ctypes.c_char * 64),
        ("verdict_name", ctypes.c_char * 16), ("warning", ctypes.c_char * 256),
    ]


def _candidates():
    env = os.environ.get("NORMSIM_LIB")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    paths = [os.path.join(here, "libnormsim.so")]
    try:
        from . import _installed  # written by make install
        paths.append(_installed.LIBRARY)
    except ImportError:
        pass
    paths.append(os.path.normpath(os.path.join(here, "..", "..", "build", "libnormsim.so")))
    return paths


P, I, D, S, SZ = ctypes.c_void_p, ctypes.c_int, ctypes.c_double, ctypes.c_char_p, ctypes.c_size_t
DP = ctypes.POINTER(ctypes.c_double)
I64P = ctypes.POINTER(ctypes.c_int64)

_PROTOTYPES = {
    "ns_api_version": (I, []),
    "ns_diag_summary_size": (SZ, []),
    "ns_cov_create": (I, [I, ctypes.POINTER(P), ctypes.c_char_p, SZ]),
    "ns_cov_free": (None, [P]),
    "ns_cov_error": (S, [P]),
    "ns_cov_dim": (I, [P]),
    "ns_cov_rows": (ctypes.c_longlong, [P]),
    "ns_cov_update": (I, [P, P, I, I, I64P, I64P]),
    "ns_cov_merge": (I, [P, P]),
    "ns_cov_mean": (I, [P, DP]),
    "ns_cov_matrix": (I, [P, DP]),
    "ns_cov_eigh": (I, [P, DP, DP]),
    "ns_cov_default_threshold": (D, [P]),
    "ns_cov_diagnose": (I, [P, S, DP, DP, D, ctypes.POINTER(DiagSummary), DP, DP]),
    "ns_predicted_kernel": (I, [S, I, DP, DP, ctypes.POINTER(I), DP, I, ctypes.c_char_p, SZ]),
    "ns_norm_count": (I, []),
    "ns_norm_name": (S, [I]),
    "ns_norm_summary": (S, [I]),
    "ns_norm_kernel_formula": (S, [I]),
    "ns_inspect": (I, [S, S, S, S, ctypes.POINTER(P), ctypes.c_char_p, SZ]),
    "ns_scan_names": (I, [I, ctypes.POINTER(S), I64P, S, S, S, ctypes.POINTER(P), ctypes.c_char_p, SZ]),
    "ns_free": (None, [P]),
}

_lib = None


def lib():
    """The loaded library (loaded once, on first use); NormsimError if none is found."""
    global _lib
    if _lib is not None:
        return _lib
    tried = []
    for path in _candidates():
        if not os.path.exists(path):
            tried.append(path + " (missing)")
            continue
        try:
            so = ctypes.CDLL(path)  # CDLL: the GIL is released during every call
        except OSError as exc:
            tried.append("%s (%s)" % (path, exc))
            continue
        for name, (res, args) in _PROTOTYPES.items():
            fn = getattr(so, name)
            fn.restype, fn.argtypes = res, args
        if so.ns_api_version() != API_VERSION or so.ns_diag_summary_size() != ctypes.sizeof(DiagSummary):
            raise NormsimError("%s has C API version %d (summary %d bytes); this package needs %d (%d bytes)"
                               % (path, so.ns_api_version(), so.ns_diag_summary_size(), API_VERSION,
                                  ctypes.sizeof(DiagSummary)))
        _lib = so
        return so
    raise NormsimError("cannot load libnormsim.so (build it with make all, or set NORMSIM_LIB); tried: "
                       + "; ".join(tried), code=1)


def check(status, message):
    """Raise NormsimError(message) for a non-zero status."""
    if status != 0:
        raise NormsimError(message.decode() if isinstance(message, bytes) else message, code=status)


def msg_buffer():
    return ctypes.create_string_buffer(MSG_LEN)


def doubles(a):
    """a pointer to a C-contiguous float64 numpy array (or None)"""
    return None if a is None else a.ctypes.data_as(DP)
