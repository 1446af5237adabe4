"""_watch.py - the diagnostic on a live PyTorch model: forward hooks on norm modules stream
each output batch (rows of the last dimension) into a Covariance per module."""
import json
import re

from ._core import Covariance, NormsimError, scan_names


def _torch():
    import torch  # watch() is for torch models: torch is needed here
    return torch


def _config_dict(model):
    """a Hugging Face model's config as a dict (None for a plain module)"""
    cfg = getattr(model, "config", None)
    if cfg is not None and callable(getattr(cfg, "to_dict", None)):
        cfg = cfg.to_dict()
    if not isinstance(cfg, dict):
        return None
    try:
        return json.loads(json.dumps(cfg, default=str))
    except (TypeError, ValueError):
        return None


def final_norm_name(model, norm=None):
    """The model's final norm, found by inspect's rules (sim/checkpoint/norm_scan.c) on its
    parameter names and config; returns (module name, rule)."""
    sizes = {n: (p.numel() if p.dim() == 1 else -1) for n, p in model.named_parameters()}
    scan = scan_names(sizes, config=_config_dict(model), norm=norm) if sizes else {"final": None}
    fin = scan.get("final")
    if fin and fin.get("name") != "(non-parametric)":
        return fin["name"], fin["rule"]
    # a norm without parameters (LayerNorm(elementwise_affine=False)): the last norm module
    # outside the numbered blocks, else the last one
    norms = [n for n, m in model.named_modules() if n and _is_norm_module(m)]
    outside = [n for n in norms if not re.search(r"(^|\.)\d+(\.|$)", n)]
    if outside or norms:
        return (outside or norms)[-1], "the last norm module %s (no norm parameters named)" % (
            "outside the blocks" if outside else "of the model")
    raise NormsimError("no final norm found in %s (no norm parameters by inspect's names, no norm module): "
                       "name the modules with watch(model, modules=[...])" % type(model).__name__)


def _is_norm_module(m):
    torch = _torch()
    return isinstance(m, torch.nn.LayerNorm) or "norm" in type(m).__name__.lower()


def module_norm(m, norm=None):
    """(scheme, gamma, beta) of a norm module: torch.nn.LayerNorm -> layernorm (with a bias),
    layernorm-nobias (without), layernorm-noaffine (elementwise_affine=False); a class named
    *RMSNorm* -> rmsnorm (rmsnorm-1p for Gemma's 1 + w). norm: the scheme, overriding."""
    torch = _torch()
    w = getattr(m, "weight", None)
    if not isinstance(w, torch.Tensor):
        w = getattr(m, "scale", None)
    b = getattr(m, "bias", None)
    w = w.detach() if isinstance(w, torch.Tensor) else None
    b = b.detach() if isinstance(b, torch.Tensor) else None
    cls = type(m).__name__.lower()
    if norm is not None:
        kind = norm
    elif isinstance(m, torch.nn.LayerNorm):
        kind = "layernorm" if b is not None else "layernorm-nobias" if w is not None else "layernorm-noaffine"
        if len(m.normalized_shape) != 1:
            raise NormsimError("LayerNorm over %s: only a norm over the last dimension has the kernel p"
                               % (tuple(m.normalized_shape),))
    elif "rmsnorm" in cls or "rms_norm" in cls:
        kind, b = ("rmsnorm-1p" if "gemma" in cls else "rmsnorm"), None
    else:
        raise NormsimError("cannot tell the norm scheme of a %s module: pass norm=... (layernorm, "
                           "layernorm-nobias, rmsnorm, ...; see normsim.norms())" % type(m).__name__)
    return kind, w, b


class watch:
    """with normsim.watch(model) as w: model(x) ... -> w.results {module name: DiagResult}.

    modules: names (or module objects) to hook; default the final norm (final_norm_name). Each
    output batch (a tensor, or the first element of a tuple) is read in place as rows of its
    last dimension. At exit the diagnostic of each module runs with the gamma/beta and scheme
    read from the module (norm=: the scheme for every module). threshold: as diagnose()."""

    def __init__(self, model, modules=None, norm=None, threshold=None):
        self.model, self.norm, self.threshold = model, norm, threshold
        self.modules = self._resolve(modules)
        self.covariances, self.results, self.rules, self._hooks = {}, {}, {}, []

    def _resolve(self, modules):
        torch = _torch()
        self.rule = "given with modules="
        if modules is None:
            name, self.rule = final_norm_name(self.model, self.norm)
            modules = [name]
        if isinstance(modules, (str, torch.nn.Module)):
            modules = [modules]
        by_obj = {id(m): n for n, m in self.model.named_modules()}
        out = {}
        for item in modules:
            if isinstance(item, torch.nn.Module):
                if id(item) not in by_obj:
                    raise NormsimError("a %s module given to watch() is not part of the model" % type(item).__name__)
                out[by_obj[id(item)]] = item
            else:
                try:
                    out[item] = self.model.get_submodule(item)
                except AttributeError:
                    raise NormsimError("the model has no module named '%s'" % item) from None
        return out

    def _hook(self, name):
        def hook(module, inputs, output):
            y = output[0] if isinstance(output, (tuple, list)) else output
            if name not in self.covariances:
                if not hasattr(y, "shape") or len(y.shape) < 1:
                    raise NormsimError("module '%s' returned %s, not a tensor of rows" % (name, type(y).__name__))
                self.covariances[name] = Covariance(int(y.shape[-1]))
            self.covariances[name].update(y.detach())
        return hook

    def __enter__(self):
        for name, m in self.modules.items():
            self._hooks.append(m.register_forward_hook(self._hook(name)))
        return self

    def remove(self):
        for h in self._hooks:
            h.remove()
        self._hooks = []

    def __exit__(self, exc_type, exc, tb):
        self.remove()
        if exc_type is None:
            self.results = self.diagnose()
        return False

    def diagnose(self):
        """{module name: DiagResult} for the rows seen so far (modules that saw none are left out)"""
        out = {}
        for name, cov in self.covariances.items():
            kind, w, b = module_norm(self.modules[name], self.norm)
            out[name] = cov.diagnose(gamma=w, beta=b, norm=kind, threshold=self.threshold, module=name)
        return out

    @property
    def result(self):
        """the one module's DiagResult (when one module is watched)"""
        if len(self.results) != 1:
            raise NormsimError("%d modules have results: use .results[name]" % len(self.results))
        return next(iter(self.results.values()))
