"""normsim from Python: the diagnostic of normsim (PAPER C1/C3: LayerNorm's exact kernel
p = g^-1/||g^-1||) on arrays and live PyTorch models, through libnormsim.so (ctypes; no
compiler needed). See docs/python.md.

    import normsim
    with normsim.watch(model) as w:      # hooks on the final norm
        model(batch)
    print(w.result.verdict, w.result.cos)

Covariance(d): update(x) / merge / eigh / diagnose(gamma=, beta=, norm=);
predicted_kernel(norm, params); inspect(path); norms(); NormsimError."""
from ._lib import NormsimError
from ._core import Covariance, DiagResult, inspect, norms, predicted_kernel, scan_names
from ._watch import final_norm_name, module_norm, watch

__all__ = ["Covariance", "DiagResult", "NormsimError", "final_norm_name", "inspect", "module_norm", "norms",
           "predicted_kernel", "scan_names", "watch"]
