"""PyTorch's conveniences built from the ops above: no backward of their own.

Each is a few lines of other ops — an index, a reshape and a broadcast, a matmul, a where — so its
gradient is theirs, and both orders of differentiation come for free: ``narrow`` is a slice,
``repeat`` a broadcast folded into a reshape, ``topk``'s values an index by its indices,
``masked_fill`` a where, ``mm`` and ``bmm`` matmuls that check their shapes first.
"""

from __future__ import annotations

from collections import namedtuple

from ..conversion import to_array
from ..errors import ShapeError
from ..tensor_base import TensorBase
from .elementwise import where
from .linalg import matmul
from .shape import broadcast_to, dim_in_range, getitem, reshape, shape_argument, transpose

__all__ = ["bmm", "masked_fill", "mm", "narrow", "repeat", "t", "topk"]  # (tinygrad_rnn.ops exports these)

TopKResult = namedtuple("TopKResult", ["values", "indices"])  # what topk returns, as in PyTorch


def t(x):
    """A matrix's transpose (0-D and 1-D tensors stay as they are), as PyTorch's ``t``.

    >>> import tinygrad_rnn as tr
    >>> tr.t(tr.zeros(2, 3)).shape
    (3, 2)
    """
    if x.ndim > 2:
        raise ShapeError(f"t: expects a tensor of at most 2 dimensions, got shape {tuple(x.shape)}; use "
                         ".transpose(dim0, dim1) or .permute(...) to reorder the dimensions of a larger one")
    return x if x.ndim < 2 else transpose(x, 0, 1)


def narrow(x, dim: int, start: int, length: int):
    """``length`` entries of ``x`` along ``dim`` from ``start`` (which may count from the end): a slice.

    >>> import tinygrad_rnn as tr
    >>> tr.narrow(tr.arange(6).reshape(2, 3), 1, 1, 2).tolist()
    [[1, 2], [4, 5]]
    """
    dim = dim_in_range(dim, x.ndim, "narrow")
    size = x.shape[dim]
    first = start + size if start < 0 else start
    if not 0 <= first <= size or length < 0 or first + length > size:
        raise IndexError(f"narrow: start {start} and length {length} do not fit in dimension {dim} of size "
                         f"{size} (shape {tuple(x.shape)}); need 0 <= start and start + length <= {size}")
    return getitem(x, (slice(None),) * dim + (slice(first, first + length),))


def repeat(x, *sizes):
    """``x`` tiled ``sizes[d]`` times along each dimension d, as PyTorch's ``repeat`` (``sizes`` may
    have more entries than ``x`` has dimensions: new ones go in front). Each dimension n becomes a
    pair (r, n), broadcast, then folded back into one of size r·n.

    >>> import tinygrad_rnn as tr
    >>> tr.tensor([1, 2]).repeat(2, 2).tolist()
    [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    sizes = shape_argument(sizes, "repeat")
    if len(sizes) < x.ndim or any(r < 0 for r in sizes):
        raise ShapeError(f"repeat: needs a non-negative count for each of the {x.ndim} dimensions of shape "
                         f"{tuple(x.shape)} (and may add dimensions in front), got {sizes}")
    shape = (1,) * (len(sizes) - x.ndim) + tuple(x.shape)
    pairs = [n for size in shape for n in (1, size)]
    stretched = [n for r, size in zip(sizes, shape) for n in (r, size)]
    tiled = broadcast_to(reshape(x, *pairs), tuple(stretched))
    return reshape(tiled, *(r * size for r, size in zip(sizes, shape)))


def mm(a, other):
    """The product of two matrices (2-D only, no broadcasting), as PyTorch's ``mm``.

    >>> import tinygrad_rnn as tr
    >>> tr.mm(tr.ones(2, 3), tr.ones(3, 4)).shape
    (2, 4)
    """
    if a.ndim != 2 or other.ndim != 2:
        raise ShapeError(f"mm: multiplies two matrices, got shapes {tuple(a.shape)} and {tuple(other.shape)}; "
                         "use bmm for batches of matrices or matmul (@) to broadcast")
    return matmul(a, other)


def bmm(a, other):
    """Batches of matrix products: (B, n, m) @ (B, m, p) → (B, n, p), as PyTorch's ``bmm``.

    >>> import tinygrad_rnn as tr
    >>> tr.bmm(tr.ones(5, 2, 3), tr.ones(5, 3, 4)).shape
    (5, 2, 4)
    """
    if a.ndim != 3 or other.ndim != 3 or a.shape[0] != other.shape[0]:
        raise ShapeError(f"bmm: multiplies two batches of matrices of one batch size, (B, n, m) and (B, m, p), "
                         f"got shapes {tuple(a.shape)} and {tuple(other.shape)}; use matmul (@) to broadcast")
    return matmul(a, other)


def masked_fill(x, mask, value):
    """``x`` with ``value`` where the bool ``mask`` is True: ``where(mask, value, x)``, the two
    broadcast together as in PyTorch. The gradient reaches x where the mask is False, and a tensor
    ``value`` elsewhere.

    >>> import tinygrad_rnn as tr
    >>> scores = tr.tensor([[1.0, 2.0, 3.0]])
    >>> tr.masked_fill(scores, tr.tensor([False, False, True]), float("-inf")).tolist()
    [[1.0, 2.0, -inf]]
    """
    if not isinstance(mask, TensorBase) or mask.dtype.kind != "b":
        what = f"a tensor of dtype {mask.dtype}" if isinstance(mask, TensorBase) else type(mask).__name__
        raise TypeError(f"masked_fill: the mask must be a bool tensor, got {what}; compare first, e.g. ids == pad")
    if isinstance(value, TensorBase) and value.ndim != 0:
        raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}")
    try:
        mask.device.xp.broadcast_shapes(mask.shape, tuple(x.shape))
    except ValueError:
        raise ShapeError(f"masked_fill: the mask's shape {mask.shape} and the tensor's shape {tuple(x.shape)} do "
                         "not broadcast together") from None
    if not isinstance(value, TensorBase):
        value = TensorBase._make(to_array(value, x.dtype, x.device))
    return where(mask, value.to(dtype=x.dtype), x)


def topk(x, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The ``k`` largest entries along ``dim`` (smallest if ``largest=False``), in order, and where
    they were: ``(values, indices)``. The values are ``x`` indexed by the indices, so the gradient
    goes back to the entries chosen. (Always sorted; tied entries come in either order.)

    >>> import tinygrad_rnn as tr
    >>> values, indices = tr.topk(tr.tensor([0.25, 0.5, 0.125, 0.75]), 2)
    >>> values.tolist(), indices.tolist()
    ([0.75, 0.5], [3, 1])
    """
    if x.ndim == 0:
        raise ShapeError("topk: needs a tensor of at least one dimension; for a number, x.reshape(1)")
    dim = dim_in_range(dim, x.ndim, "topk")
    if not 0 <= k <= x.shape[dim]:
        raise IndexError(f"topk: k={k} is out of range for dimension {dim} of size {x.shape[dim]} "
                         f"(shape {tuple(x.shape)})")
    xp = x.device.xp
    ascending = xp.argsort(x.array, axis=dim)
    order = xp.flip(ascending, axis=dim) if largest else ascending
    chosen = xp.take(order, xp.arange(k), axis=dim)
    # x[i, j, chosen[i, j, m]] for dim 2: every other dimension indexed by an arange that broadcasts
    index = tuple(chosen if d == dim else xp.arange(n).reshape((-1,) + (1,) * (x.ndim - d - 1))
                  for d, n in enumerate(x.shape))
    return TopKResult(getitem(x, index), TensorBase._make(chosen))
