"""Reductions and the softmax family: sum (the op Sum), and mean and var built on it, max, min,
logsumexp, softmax, log_softmax — and ``sum_to``, which sums a broadcast gradient back to its
input's shape with Sum (broadcasting's gradient: the walk calls it).

Dimensions are given as ``dim`` (an int, a tuple, or None for all) and ``keepdim``, as in
PyTorch; NumPy's ``axis``/``keepdims`` are accepted too. A reduction's gradient is spread back over
the reduced dimensions, so backward first restores them as size-1 dimensions (``Reduction.with_reduced_dims``).
"""

from __future__ import annotations

import builtins
import contextlib
import math
from collections import namedtuple

import numpy

from ..device import array_module
from ..function import Function
from ..tensor_base import TensorBase
from .compare import Constant
from .convert import cast
from .elementwise import abs, exp, maximum, minimum, sqrt, where
from .shape import broadcast_to, dim_in_range, reshape

__all__ = ["all", "amax", "amin", "any", "argmax", "argmin", "log_softmax", "logsumexp", "max", "mean", "min",
           "norm", "softmax", "std", "sum", "sum_to", "var"]  # (tinygrad_rnn.ops exports these)


class Reduction(Function):
    """Base of the ops that reduce x over ``dim`` (a sorted tuple of dimensions, or None for all),
    keeping them as size 1 if ``keepdim``: by default with the array method named ``reduce``."""

    reduce = "sum"

    def forward(self, x):
        return getattr(x, self.reduce)(axis=self.dim, keepdims=self.keepdim)

    def with_reduced_dims(self, value, x):
        """``value`` (the result, or its gradient) with the reduced dimensions kept as size 1, so
        that it broadcasts against the input ``x`` again: how a reduction's gradient is spread back."""
        if self.keepdim:
            return value
        return reshape(value, tuple(1 if self.dim is None or i in self.dim else n for i, n in enumerate(x.shape)))


class Sum(Reduction):
    """Σ x over ``dim``;   ∂/∂x = 1: the gradient is broadcast back over the summed dimensions"""

    saves_inputs = saves_output = False  # backward needs shapes, not values

    def backward(self, grad, out, x):
        return broadcast_to(self.with_reduced_dims(grad, x), x.shape)


def sum_to(x, shape: tuple[int, ...]):
    """Sum ``x`` over the dimensions broadcasting added or stretched, so that it has ``shape``.

    The one place broadcasting is undone: if ``a`` of shape (3, 1) was broadcast against
    (2, 3, 4), its gradient of shape (2, 3, 4) is summed over dimensions 0 and 2.

    >>> sum_to(numpy.ones((2, 3, 4)), (3, 1)).tolist()
    [[8.0], [8.0], [8.0]]
    """
    if x.shape == shape:  # nothing was broadcast
        return x
    added = x.ndim - len(shape)
    stretched = tuple(added + i for i, size in enumerate(shape) if size == 1 and x.shape[added + i] != 1)
    return reshape(Sum.apply(x, dim=tuple(range(added)) + stretched, keepdim=False), shape)


class Amax(Reduction):
    """max of x over ``dim``;   the gradient goes to the maximal entries, shared evenly on ties"""

    reduce = "max"

    def backward(self, grad, out, x):
        is_extreme = self.with_reduced_dims(out, x) == x
        count = Sum.apply(cast(is_extreme, x.dtype), dim=self.dim, keepdim=True)
        return where(is_extreme, self.with_reduced_dims(grad, x) / count, 0)


class Amin(Amax):
    """min of x over ``dim``;   the gradient goes to the minimal entries, shared evenly on ties"""

    reduce = "min"


class Norm(Reduction):
    """‖x‖₂ = √(Σ x²) over ``dim``;   ∂/∂x = x / ‖x‖, taken as 0 where ‖x‖ = 0 (as PyTorch does:
    √ has no derivative at 0, and the zero vector's gradient would otherwise be NaN)"""

    def forward(self, x):
        return array_module(x).sqrt((x * x).sum(axis=self.dim, keepdims=self.keepdim))

    def backward(self, grad, out, x):
        norm = self.with_reduced_dims(out, x)
        return self.with_reduced_dims(grad, x) * x / where(norm == 0, 1, norm)


class LogSumExp(Reduction):
    """log Σ exp(x) over ``dim``, computed as m + log Σ exp(x − m) with m = max x so that it
    never overflows;   ∂/∂x = exp(x − out) = softmax(x)"""

    name = "logsumexp"

    def forward(self, x):
        xp = array_module(x)
        top = x.max(axis=self.dim, keepdims=True)
        top = top if (finite := xp.isfinite(top).all()) else xp.where(xp.isfinite(top), top, 0)  # a row of −inf: −inf
        with contextlib.nullcontext() if finite else numpy.errstate(divide="ignore"):  # log 0 = −inf is right, but
            out = top + xp.log(xp.exp(x - top).sum(axis=self.dim, keepdims=True))  # none if top is finite (3 µs)
        return out if self.keepdim else out.squeeze(self.dim)

    def backward(self, grad, out, x):
        return self.with_reduced_dims(grad, x) * exp(x - self.with_reduced_dims(out, x))


class Softmax(Function):
    """softmax(x)ᵢ = exp(xᵢ) / Σⱼ exp(xⱼ) along ``dim``;
    ∂L/∂x = out ⊙ (g − Σ (g ⊙ out)) with g = ∂L/∂out"""

    saves_inputs = False

    def forward(self, x):
        shifted = array_module(x).exp(x - x.max(axis=self.dim, keepdims=True))  # no overflow
        return shifted / shifted.sum(axis=self.dim, keepdims=True)

    def backward(self, grad, out, x):
        return out * (grad - Sum.apply(grad * out, dim=(self.dim,), keepdim=True))


class LogSoftmax(Function):
    """log softmax(x) = x − logsumexp(x) along ``dim``;
    ∂L/∂x = g − exp(out) · Σ g with g = ∂L/∂out"""

    saves_inputs = False

    def forward(self, x):
        return x - LogSumExp(dim=(self.dim,), keepdim=True).forward(x)

    def backward(self, grad, out, x):
        return grad - exp(out) * Sum.apply(grad, dim=(self.dim,), keepdim=True)


class CrossEntropy(Function):
    """Σᵢ wᵢ · (−log softmax(xᵢ)[tᵢ]) / n over the rows of logits x (N, C): log-softmax and
    NLL as one op, the loss of a classifier or language model (wᵢ = 0 for an ignored target, and
    ``weights=None`` when every wᵢ = 1; n the number of rows counted, or 1 for a sum);
    ∂/∂xᵢ = wᵢ (softmax(xᵢ) − onehot(tᵢ)) / n. Its parameters ``targets`` and ``weights`` are
    constant arrays, like an index, and ``count`` is n. Outputs the loss, and saved for backward the
    log-probabilities (softmax = their exp, not computed again), through which a recorded
    backward's second derivative flows."""

    multiple_outputs = True
    saves_intermediates = 1
    saves_inputs = False

    def forward(self, logits):
        log_probs = logits - LogSumExp(dim=(1,), keepdim=True).forward(logits)
        picked = log_probs[array_module(logits).arange(logits.shape[0]), self.targets]
        return -(picked if self.weights is None else picked * self.weights).sum() / self.count, log_probs

    def backward(self, grads, outs, logits):
        grad_loss, grad_log_probs = grads
        _, log_probs = outs
        grad_logits = None
        if grad_loss is not None:
            xp = array_module(self.targets)
            one_hot = xp.zeros(log_probs.shape, dtype=log_probs.dtype)  # wᵢ in place of the 1, where weighted
            one_hot[xp.arange(log_probs.shape[0]), self.targets] = 1 if self.weights is None else self.weights
            # the same lines on arrays and Tensors: exp records itself when log_probs is a Tensor, and
            # -= and *= then record new tensors; on arrays they write the fresh exp in place
            grad_logits = exp(log_probs)  # softmax
            if self.weights is not None:
                grad_logits *= self.weights[:, None]
            grad_logits -= one_hot
            grad_logits *= grad_loss / self.count
        if grad_log_probs is not None:  # the log-probabilities were used (a recorded backward reads them)
            through_log_softmax = LogSoftmax(dim=1).backward(grad_log_probs, log_probs, logits)
            grad_logits = through_log_softmax if grad_logits is None else grad_logits + through_log_softmax
        return grad_logits


class ArgMax(Reduction):
    """The index of the largest entry along ``dim`` (an integer result: no gradient)"""

    differentiable = False
    reduce = "argmax"


class ArgMin(ArgMax):
    """The index of the smallest entry along ``dim`` (an integer result: no gradient)"""

    reduce = "argmin"


# --- functional forms ------------------------------------------------------------------------------

MaxResult = namedtuple("MaxResult", ["values", "indices"])  # what max(x, dim) returns, as in PyTorch


def sum(x, dim=None, keepdim: bool = False, **aliases):
    """Σ x over ``dim`` (an int, a tuple, or None for every dimension).

    >>> import tinygrad_rnn as tr
    >>> tr.sum(tr.ones(2, 3), 1).tolist()
    [3.0, 3.0]
    """
    dim, keepdim = _dims(x, dim, keepdim, aliases, "sum")
    return Sum.apply(x, dim=dim, keepdim=keepdim)


def mean(x, dim=None, keepdim: bool = False, **aliases):
    """The mean over ``dim``: the sum divided by the number of entries summed.

    >>> import tinygrad_rnn as tr
    >>> tr.mean(tr.tensor([[1.0, 3.0]]), dim=1).tolist()
    [2.0]
    """
    dim, keepdim = _dims(x, dim, keepdim, aliases, "mean")
    count, total = _count(x, dim), Sum.apply(x, dim=dim, keepdim=keepdim)
    # the mean of nothing (an empty batch) is NaN, as in PyTorch, without a 0/0 warning
    return total * float("nan") if count == 0 else total / count


def var(x, dim=None, *, correction: int = 1, keepdim: bool = False, unbiased: bool | None = None, **aliases):
    """Variance over ``dim``: Σ (x − mean)² / (n − correction); ``correction=1`` (the default, as in
    PyTorch) is the unbiased estimate.

    >>> import tinygrad_rnn as tr
    >>> tr.var(tr.tensor([1.0, 3.0])).item()
    2.0
    """
    dim, keepdim = _dims(x, dim, keepdim, aliases, "var")
    if unbiased is not None:
        correction = int(unbiased)
    deviation = x - Sum.apply(x, dim=dim, keepdim=True) / _count(x, dim)
    return Sum.apply(deviation * deviation, dim=dim, keepdim=keepdim) / builtins.max(_count(x, dim) - correction, 0)


def std(x, dim=None, *, correction: int = 1, keepdim: bool = False, **aliases):
    """Standard deviation: √var.

    >>> import tinygrad_rnn as tr
    >>> tr.std(tr.tensor([1.0, 3.0]), correction=0).item()
    1.0
    """
    return sqrt(var(x, dim, correction=correction, keepdim=keepdim, **aliases))


def amax(x, dim=None, keepdim: bool = False, **aliases):
    """The largest entry over ``dim`` (any dimensions).

    >>> import tinygrad_rnn as tr
    >>> tr.amax(tr.tensor([[1.0, 4.0], [3.0, 2.0]]), dim=0).tolist()
    [3.0, 4.0]
    """
    dim, keepdim = _dims(x, dim, keepdim, aliases, "amax")
    return Amax.apply(x, dim=dim, keepdim=keepdim)


def amin(x, dim=None, keepdim: bool = False, **aliases):
    """The smallest entry over ``dim`` (any dimensions).

    >>> import tinygrad_rnn as tr
    >>> tr.amin(tr.tensor([[1.0, 4.0], [3.0, 2.0]]), dim=1).tolist()
    [1.0, 2.0]
    """
    dim, keepdim = _dims(x, dim, keepdim, aliases, "amin")
    return Amin.apply(x, dim=dim, keepdim=keepdim)


def max(x, dim=None, keepdim: bool = False):
    """As in PyTorch: ``max(x)`` is the largest entry; ``max(x, dim)`` is ``(values, indices)``;
    ``max(x, other_tensor)`` is the elementwise maximum.

    >>> import tinygrad_rnn as tr
    >>> tr.max(tr.tensor([[1.0, 4.0], [3.0, 2.0]]), dim=1).indices.tolist()
    [1, 0]
    """
    return _extreme(x, dim, keepdim, amax, argmax, maximum)


def min(x, dim=None, keepdim: bool = False):
    """As in PyTorch: ``min(x)``, ``min(x, dim)`` → ``(values, indices)``, ``min(x, other)``.

    >>> import tinygrad_rnn as tr
    >>> tr.min(tr.tensor([1.0, 4.0])).item()
    1.0
    """
    return _extreme(x, dim, keepdim, amin, argmin, minimum)


def argmax(x, dim: int | None = None, keepdim: bool = False):
    """The index of the largest entry (over everything, flattened, if ``dim`` is None).

    >>> import tinygrad_rnn as tr
    >>> tr.argmax(tr.tensor([1.0, 4.0, 2.0])).item()
    1
    """
    chosen = ArgMax.apply(x, dim=_one_dim(x, dim, "argmax"), keepdim=keepdim and dim is not None)
    return mark_choice(chosen, x, "argmax")


def mark_choice(ids, scores, how: str):
    """Remember that ``ids`` were chosen from ``scores`` (``how``: "argmax" or "sampled"), where the
    scores are in a graph: an embedding of the ids then links back to them, and a drawing of a
    generation loop shows the choice as a dashed edge ŷ_t → the next input. Returns ``ids``."""
    if isinstance(ids, TensorBase) and isinstance(scores, TensorBase) and scores.requires_grad:
        ids._choice = (scores, how)
    return ids


def argmin(x, dim: int | None = None, keepdim: bool = False):
    """The index of the smallest entry (over everything, flattened, if ``dim`` is None).

    >>> import tinygrad_rnn as tr
    >>> tr.argmin(tr.tensor([1.0, 4.0, 0.0])).item()
    2
    """
    return ArgMin.apply(x, dim=_one_dim(x, dim, "argmin"), keepdim=keepdim and dim is not None)


def logsumexp(x, dim, keepdim: bool = False):
    """log Σ exp(x) over ``dim``, without overflow.

    >>> import tinygrad_rnn as tr
    >>> round(tr.logsumexp(tr.tensor([0.0, 0.0]), 0).item(), 4)
    0.6931
    """
    dim, keepdim = _dims(x, dim, keepdim, {}, "logsumexp")
    return LogSumExp.apply(x, dim=dim, keepdim=keepdim)


def softmax(x, dim: int):
    """exp(x) / Σ exp(x) along ``dim``, without overflow.

    >>> import tinygrad_rnn as tr
    >>> tr.softmax(tr.tensor([0.0, 0.0]), 0).tolist()
    [0.5, 0.5]
    """
    return Softmax.apply(x, dim=_one_dim(x, dim, "softmax"))


def log_softmax(x, dim: int):
    """x − logsumexp(x) along ``dim``: the log-probabilities a language model's loss needs.

    >>> import tinygrad_rnn as tr
    >>> round(tr.log_softmax(tr.tensor([0.0, 0.0]), 0)[0].item(), 4)
    -0.6931
    """
    return LogSoftmax.apply(x, dim=_one_dim(x, dim, "log_softmax"))


def norm(x, p="fro", dim=None, keepdim: bool = False):
    """The p-norm (Σ |x|ᵖ)^(1/p) over ``dim`` (all entries if None), as PyTorch's ``norm``: p = 2
    (``"fro"``, the default) is the Euclidean length, p = 1 the sum of |x|, p = inf the largest |x|.

    >>> import tinygrad_rnn as tr
    >>> x = tr.tensor([[3.0, -4.0], [0.0, 1.0]])
    >>> x.norm().item(), x.norm(dim=1).tolist(), x.norm(1).item(), x.norm(float("inf"), dim=0).tolist()
    (5.099019527435303, [5.0, 1.0], 8.0, [3.0, 4.0])
    """
    dim, keepdim = _dims(x, dim, keepdim, {}, "norm")
    if p in ("fro", 2):
        return Norm.apply(x, dim=dim, keepdim=keepdim)
    if p == numpy.inf:
        return amax(abs(x), dim, keepdim)
    if p == 1:
        return sum(abs(x), dim, keepdim)
    if isinstance(p, (int, float)) and p > 0:
        return sum(abs(x) ** p, dim, keepdim) ** (1 / p)
    raise ValueError(f"norm: p={p!r} is not supported; use p=2 ('fro', the default), 1, inf or another "
                     "positive number")


def any(x):
    """True if any entry is nonzero.

    >>> import tinygrad_rnn as tr
    >>> tr.any(tr.tensor([0.0, 1.0])).item()
    True
    """
    return Constant.apply(x, name="any")


def all(x):
    """True if every entry is nonzero.

    >>> import tinygrad_rnn as tr
    >>> tr.all(tr.tensor([0.0, 1.0])).item()
    False
    """
    return Constant.apply(x, name="all")


# --- argument handling ------------------------------------------------------------------------------


def _dims(x, dim, keepdim, aliases: dict, op: str):
    """(dims as a sorted tuple of non-negative ints or None, keepdim), accepting NumPy's names."""
    unknown = set(aliases) - {"axis", "keepdims"}
    if unknown:
        raise TypeError(f"{op}: unexpected argument(s) {sorted(unknown)}")
    dim = aliases.get("axis", dim)
    keepdim = aliases.get("keepdims", keepdim)
    if dim is None:
        return (tuple(range(x.ndim)) if x.ndim else None), keepdim
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    return tuple(sorted({dim_in_range(int(d), x.ndim, op) for d in dims})), keepdim


def _one_dim(x, dim, op: str):
    return None if dim is None else dim_in_range(int(dim), x.ndim, op)


def _count(x, dim) -> int:
    """How many entries a reduction over ``dim`` combines."""
    return math.prod(x.shape[d] for d in (range(x.ndim) if dim is None else dim))


def _extreme(x, dim, keepdim, reduce_all, arg, elementwise):
    if dim is None:
        return reduce_all(x)
    if hasattr(dim, "shape"):  # max(a, b): the elementwise maximum
        return elementwise(x, dim)
    return MaxResult(reduce_all(x, dim, keepdim), arg(x, dim, keepdim))
