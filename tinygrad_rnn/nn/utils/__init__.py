"""Gradient clipping, as ``torch.nn.utils``; packing variable-length batches in ``nn.utils.rnn``."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ...inplace import mark_all_written, memory_range
from ...tensor import Tensor


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Rescale the gradients in place so that their joint norm is at most ``max_norm`` (Pascanu et
    al. 2013: if ‖g‖ ≥ threshold, g ← threshold · g / ‖g‖). Returns the norm before clipping.

    >>> import tinygrad_rnn as tr
    >>> w = tr.ones(4, requires_grad=True)
    >>> (w * 10).sum().backward()                     # ‖g‖ = 20
    >>> clip_grad_norm_([w], max_norm=1.0).item(), round(float((w.grad ** 2).sum().sqrt().item()), 4)
    (20.0, 1.0)
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return Tensor(0.0)
    xp = grads[0].device.xp
    if norm_type == math.inf:
        total = max(float(xp.abs(g.array).max()) for g in grads)
    else:
        total = sum(float((xp.abs(g.array) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total gradient norm is {total}; pass error_if_nonfinite=False "
                           "to clip anyway")
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g.array *= coefficient
    if coefficient < 1.0:  # stamped as an optimizer's step is, so that a figure of this graph can say its .grad was
        mark_all_written([memory_range(g.array) for g in grads], "clip_grad_norm_()")  # rescaled (not: under the limit)
    return Tensor(total, dtype=grads[0].dtype)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clip every gradient entry to [−clip_value, clip_value] in place.

    >>> import tinygrad_rnn as tr
    >>> w = tr.ones(2, requires_grad=True)
    >>> (w * tr.tensor([5.0, -0.5])).sum().backward()
    >>> clip_grad_value_([w], 1.0); w.grad.tolist()
    [1.0, -0.5]
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    clipped = [g for g in grads if g.array.size and float(g.device.xp.abs(g.array).max()) > clip_value]
    for g in clipped:
        g.array[...] = g.device.xp.clip(g.array, -clip_value, clip_value)
    if clipped:  # (as clip_grad_norm_ does: stamped where it changed a value)
        mark_all_written([memory_range(g.array) for g in clipped], "clip_grad_value_()")


def zero_grad_(parameters: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Clear every parameter's ``.grad``: to None (PyTorch's default), or to zeros in place.
    What ``Module.zero_grad`` and ``Optimizer.zero_grad`` both do.

    >>> import tinygrad_rnn as tr
    >>> w = tr.ones(2, requires_grad=True)
    >>> w.sum().backward()
    >>> zero_grad_([w]); w.grad is None
    True
    """
    for parameter in parameters:
        if set_to_none or parameter.grad is None:
            parameter.grad = None
        else:
            parameter.grad.zero_()


def _as_list(parameters: Iterable[Tensor] | Tensor) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


from . import rnn  # noqa: E402, F401  (packing variable-length batches: tinygrad_rnn.nn.utils.rnn)
