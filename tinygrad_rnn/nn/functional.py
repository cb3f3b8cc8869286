"""Stateless functions behind the layers, as ``torch.nn.functional``."""

from __future__ import annotations

from typing import Any

from ..creation import generator
from ..device import move_array
from ..errors import ShapeError
from ..ops import where
from ..tensor import Tensor


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b, for x of shape (…, in) and W of shape (out, in).

    >>> import tinygrad_rnn as tr
    >>> linear(tr.ones(2, 3), tr.ones(4, 3)).shape
    (2, 4)
    """
    if x.shape[-1] != weight.shape[-1]:
        raise ShapeError(f"linear: input has {x.shape[-1]} features (shape {x.shape}) but the weight expects "
                         f"{weight.shape[-1]} (shape {weight.shape})")
    out = x @ weight.T
    return out if bias is None else out + bias


def embedding(ids: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` picked by integer ``ids``: a lookup whose gradient is scattered back,
    summed where an id repeats. Rows at ``padding_idx`` get no gradient.

    >>> import tinygrad_rnn as tr
    >>> embedding(tr.tensor([[0, 2]]), tr.randn(3, 5)).shape
    (1, 2, 5)
    """
    ids = ids if isinstance(ids, Tensor) else Tensor(ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"embedding: ids must be integers, got {ids.dtype}; convert them with .long()")
    if ids.numel() and (int(ids.data.min()) < 0 or int(ids.data.max()) >= weight.shape[0]):
        raise IndexError(f"embedding: ids must lie in [0, {weight.shape[0]}); got values from "
                         f"{int(ids.data.min())} to {int(ids.data.max())}")
    looked_up = weight[ids]
    if padding_idx is None:
        return looked_up
    is_padding = (ids == padding_idx).unsqueeze(-1)
    return where(is_padding, weight.detach()[ids], looked_up)  # the same values, no gradient there


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each entry with probability p and scale the rest by 1/(1 − p) (inverted dropout), so
    that the expected value is unchanged; the identity when not training.

    >>> import tinygrad_rnn as tr
    >>> dropout(tr.ones(4), 0.5, training=False).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = generator().random(x.shape) >= p
    mask = Tensor._make(move_array((keep / (1.0 - p)).astype(x.dtype), x.device))
    return x * mask
