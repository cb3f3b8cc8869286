"""tinygrad_rnn: a small reverse-mode autodiff framework for recurrent networks.

>>> import tinygrad_rnn as tr
>>> x = tr.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()            # y = Σ x²
>>> y.backward()
>>> x.grad                       # dy/dx = 2x
tensor([2., 4., 6.])

Subpackages (``nn``, ``optim``, ``viz``, ``analysis``, ``data``) are imported on first use, so this
import loads neither CuPy, graphviz nor matplotlib, and prints nothing.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as _numpy

from .creation import (
    arange,
    from_numpy,
    full,
    generator,
    is_tensor,
    manual_seed,
    multinomial,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from .device import Device, get_device, gpu_available
from .engine import backward, grad, grad_contributions
from .errors import AnomalyError, DeviceError, GraphError, ReturnedGradientError, ShapeError
from .function import Function
from .ops import (
    abs,
    add,
    add_n,
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    bmm,
    broadcast_to,
    cast,
    cat,
    chunk,
    clamp,
    clone,
    cos,
    div,
    eq,
    exp,
    expand,
    flatten,
    ge,
    getitem,
    gt,
    le,
    lerp,
    log,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logsumexp,
    lt,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    narrow,
    ne,
    neg,
    norm,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    sign,
    sin,
    softmax,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sub,
    sum,
    t,
    tanh,
    topk,
    transpose,
    unbind,
    unsqueeze,
    var,
    where,
)
from .recording import (
    current_scope,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    scope,
    set_grad_enabled,
)
from .tensor import Tensor  # first: everything else builds on it
from .version import package_version as _package_version

# dtypes by PyTorch's names: NumPy dtypes, accepted wherever a dtype is (and so is their name, "float64")
float16 = half = _numpy.dtype("float16")
float32 = float = _numpy.dtype("float32")  # noqa: A001  (tr.float is PyTorch's name; builtins stay builtins)
float64 = double = _numpy.dtype("float64")
uint8 = _numpy.dtype("uint8")
int8 = _numpy.dtype("int8")
int16 = short = _numpy.dtype("int16")
int32 = int = _numpy.dtype("int32")  # noqa: A001
int64 = long = _numpy.dtype("int64")
bool = bool_ = _numpy.dtype("bool")  # noqa: A001

# tr.device is the device type, as torch.device: tr.device("cuda"). The name was the submodule
# device.py's until here; inside the package, import from it by name (from .device import get_device).
device = Device

_SUBPACKAGES = ("nn", "optim", "viz", "analysis", "data", "models", "generation", "checkpoint", "training",
                "plots", "progress")


def __getattr__(name: str) -> Any:
    """Import a subpackage the first time it is used: ``tinygrad_rnn.nn`` works right away; read
    ``__version__`` from the package's metadata when asked (importlib.metadata costs ~15 ms at import)."""
    if name == "__version__":
        return _package_version()
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tinygrad_rnn' has no attribute {name!r}")


__all__ = [
    "Tensor", "tensor", "zeros", "ones", "full", "randn", "rand", "randint", "arange", "zeros_like", "from_numpy",
    "is_tensor",
    "ones_like", "manual_seed", "multinomial", "generator", "Device", "get_device", "gpu_available", "backward",
    "grad", "grad_contributions", "Function", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "scope", "current_scope", "detect_anomaly", "AnomalyError", "DeviceError",
    "GraphError", "ShapeError", "ReturnedGradientError",
    "device", "float16", "half", "float32", "float64", "double", "uint8", "int8",
    "int16", "short", "int32", "int64", "long", "bool_",
]  # (tr.float, tr.int and tr.bool stay out: `from tinygrad_rnn import *` would hide the builtins)

from .checks import gradcheck, gradgradcheck  # noqa: E402

__all__ += ["gradcheck", "gradgradcheck"]

import os as _os  # noqa: E402

if _os.environ.get("TINYGRAD_RNN_FAST", "1") != "0":  # the speed, apart from the plain path (fast/__init__.py)
    from . import fast as _fast

    _fast.install()
    from .fast.threads import get_blas_threads, set_blas_threads
else:  # the plain path leaves BLAS's thread count to BLAS
    def set_blas_threads(threads: int | str | None) -> None:
        """The BLAS thread policy is part of tinygrad_rnn/fast/, left out under TINYGRAD_RNN_FAST=0."""
        if threads is not None:
            raise RuntimeError(f"set_blas_threads({threads!r}): the BLAS thread policy is part of tinygrad_rnn.fast, "
                               "which TINYGRAD_RNN_FAST=0 leaves out; unset it, or set OPENBLAS_NUM_THREADS")

    def get_blas_threads() -> int | str | None:
        """None: BLAS keeps its own thread count (TINYGRAD_RNN_FAST=0)."""
        return None

__all__ += ["set_blas_threads", "get_blas_threads"]

from .serialization import load, save  # noqa: E402

__all__ += ["save", "load"]
