"""Shape ops: reshape, permute, broadcast, index, concatenate.

They move numbers around without changing them, so each backward moves the gradient back:
reshape undoes reshape, the inverse permutation undoes a permutation, a sum undoes a broadcast
(``sum_to``, in reduce.py beside Sum: the walk applies it, as for every broadcasting op), and a
scatter-add undoes an index, summing where an index repeats, as an embedding lookup that uses one
row twice must.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy

from ..device import array_module, device_of_array, move_array, scatter_add
from ..errors import DeviceError, ShapeError
from ..function import Function
from ..tensor_base import TensorBase
from .elementwise import Broadcasting

__all__ = ["broadcast_to", "cat", "chunk", "expand", "flatten", "getitem", "permute", "reshape", "split", "squeeze",
           "stack", "transpose", "unbind", "unsqueeze"]  # (tinygrad_rnn.ops exports these)


class Rearrangement(Function):
    """Base of the ops that only move or pick values (reshape, permute, expand, index): backward
    needs the input's shape, not its values, and ids chosen from scores, moved or picked, are still
    those ids (``keeps_choice``)."""

    keeps_choice = True
    saves_inputs = saves_output = False


class Reshape(Rearrangement):
    """x viewed with another shape;   the gradient is reshaped back"""

    hint = "The new shape must hold the same number of elements (one size may be -1)"

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, grad, out, x):
        return reshape(grad, x.shape)


class Permute(Rearrangement):
    """x with its dimensions reordered;   the gradient is permuted back by the inverse order"""

    hint = "dims must be a permutation of 0 … ndim−1"

    def forward(self, x):
        return x.transpose(self.dims)

    def backward(self, grad, out, x):
        inverse = tuple(sorted(range(len(self.dims)), key=self.dims.__getitem__))
        return permute(grad, *inverse)


class Expand(Rearrangement, Broadcasting):
    """x broadcast to a larger shape (a view, no copy);   the gradient is summed back over the
    copies — by the walk, as for every :class:`~.elementwise.Broadcasting` op (``sum_to``)"""

    hint = "Each dimension must equal the new size or be 1 (new dimensions go in front)"

    def forward(self, x):
        return array_module(x).broadcast_to(x, self.shape)

    def backward(self, grad, out, x):
        return grad  # at the output's shape: the walk sums it back to x's


class Index(Rearrangement):
    """x[index];   the gradient is scattered back to the positions read, summed where repeated"""

    hint = "Indices must be integers, slices, bool masks or integer tensors within the shape"

    def forward(self, x):
        return x[self.index]

    def backward(self, grad, out, x):
        return IndexAdd.apply(grad, index=self.index, shape=x.shape)


class IndexAdd(Function):
    """zeros(shape) with ``values`` added at ``index``, and the row ``zeroed_row`` (an embedding's
    padding row, if given) kept at zero;   the gradient is read back at ``index`` (0 where it is that row).

    The backward of Index, and Index is its backward: recorded gradients of gradients work.
    """

    saves_inputs = saves_output = False  # backward needs shapes, not values
    zeroed_row = None

    def forward(self, values):
        out = array_module(values).zeros(self.shape, dtype=values.dtype)
        if _is_basic(self.index):
            out[self.index] = values  # slices never repeat a position: a plain write is enough
        else:
            scatter_add(out, self.index, values)
        if self.zeroed_row is not None:
            out[self.zeroed_row] = 0  # (an array this forward made: written in place, no mask)
        return out

    def backward(self, grad, out, values):
        picked = Index.apply(grad, index=self.index)
        if self.zeroed_row is None:
            return picked
        # the values written to the zeroed row had no effect (the index is an embedding's ids, an integer array)
        return picked * (self.index != self.zeroed_row).reshape(self.index.shape + (1,) * (len(self.shape) - 1))


class Embedding(Function):
    """weight[ids]: the rows of a table picked by integer ids;   the gradient is scattered back to
    the rows read, summed where an id repeats, and none reaches the row at ``padding_idx``"""

    saves_inputs = saves_output = False  # backward needs shapes, not values

    hint = "ids must be integers in [0, num_embeddings)"

    # Its parameters: ``ids`` (an integer array, always given) and these, where not given
    padding_idx: int | None = None  # the row that gets no gradient
    ids_name: str | None = None  # the name of the ids tensor: a drawing labels the tokens with it (x_t)
    chosen_from: Any = None  # the vertex the ids were chosen from (generation): drawn, never differentiated
    chosen_by = "argmax"  # how: "argmax" or "sampled" (the label of that link in a drawing)

    def forward(self, weight):
        return weight[self.ids]

    def backward(self, grad, out, weight):
        return IndexAdd.apply(grad, index=self.ids, shape=weight.shape, zeroed_row=self.padding_idx)


class Cat(Function):
    """Tensors joined along ``dim``;   each gets back its own slice of the gradient"""

    saves_inputs = saves_output = False  # backward needs shapes, not values

    hint = "All tensors must have the same shape except along dim"

    def forward(self, *parts):
        return array_module(*parts).concatenate(parts, axis=self.dim)

    def backward(self, grad, out, *parts):
        return Split.apply(grad, sizes=tuple(part.shape[self.dim] for part in parts), dim=self.dim)


class Stack(Function):
    """Tensors of one shape stacked along a new ``dim``;   each gets back its slice of the gradient"""

    saves_inputs = saves_output = False  # backward needs shapes, not values

    hint = "All tensors must have the same shape"

    def forward(self, *parts):
        xp, shape = array_module(*parts), parts[0].shape
        if self.dim == len(shape) or any(part.shape != shape for part in parts):  # (stack says which shapes)
            return xp.stack(parts, axis=self.dim)
        # joined along dim, then that dimension cut in two: numpy.stack's Python, a view of each part, costs
        # more than the copy for the small parts of an unrolled sequence (8 against 1 µs for one (1, 100) part)
        return xp.concatenate(parts, axis=self.dim).reshape(shape[: self.dim] + (len(parts),) + shape[self.dim:])

    def backward(self, grad, out, *parts):
        return Unbind.apply(grad, dim=self.dim)


class Split(Function):
    """x cut along ``dim`` into pieces of the given sizes (several outputs);
    the gradient is the pieces' gradients joined again (zeros where none arrived)"""

    saves_inputs = saves_output = False  # backward needs shapes, not values

    multiple_outputs = True

    def forward(self, x):
        before, pieces, start = (slice(None),) * self.dim, [], 0
        for size in self.sizes:  # slices are views, and far cheaper than numpy.split
            pieces.append(x[before + (slice(start, start + size),)])
            start += size
        return tuple(pieces)

    def backward(self, grads, outs, x):
        shapes = [x.shape[: self.dim] + (size,) + x.shape[self.dim + 1:] for size in self.sizes]
        return Cat.apply(*_zeros_where_none(grads, shapes, x), dim=self.dim)


class Unbind(Function):
    """The slices of x along ``dim``, that dimension removed (several outputs);
    the gradient is the slices' gradients stacked again (zeros where none arrived).
    An unrolled RNN reads its input one time step at a time this way."""

    saves_inputs = saves_output = False  # backward needs shapes, not values

    multiple_outputs = True

    def forward(self, x):
        axes = list(range(x.ndim))
        axes.insert(0, axes.pop(self.dim))  # dim first, the others in order (numpy.moveaxis, without its Python)
        return tuple(x.transpose(axes))  # iterating an array gives its slices along dimension 0

    def backward(self, grads, outs, x):
        shape = x.shape[: self.dim] + x.shape[self.dim + 1:]
        return Stack.apply(*_zeros_where_none(grads, [shape] * len(grads), x), dim=self.dim)


def _zeros_where_none(grads, shapes, x):
    """The gradient of each piece of x, and where none reached a piece, zeros of its shape (a constant
    array on x's device). ``x`` is the input's Node or tensor: its device and dtype, not its values."""
    return [x.device.xp.zeros(shape, dtype=x.dtype) if grad is None else grad for grad, shape in zip(grads, shapes)]


# --- functional forms -----------------------------------------------------------------------------


def reshape(x, *shape):
    """``x`` with a new shape: ``reshape(x, 2, -1)`` or ``reshape(x, (2, -1))``.

    >>> import tinygrad_rnn as tr
    >>> tr.reshape(tr.arange(6), 2, -1).shape
    (2, 3)
    """
    return Reshape.apply(x, shape=shape_argument(shape, "reshape"))


def permute(x, *dims):
    """``x`` with its dimensions reordered: ``permute(x, 2, 0, 1)``.

    >>> import tinygrad_rnn as tr
    >>> tr.permute(tr.zeros(2, 3, 4), 2, 0, 1).shape
    (4, 2, 3)
    """
    dims = shape_argument(dims, "permute")
    return Permute.apply(x, dims=tuple(dim_in_range(d, x.ndim, "permute") for d in dims))


def transpose(x, dim0: int, dim1: int):
    """``x`` with dimensions ``dim0`` and ``dim1`` swapped.

    >>> import tinygrad_rnn as tr
    >>> tr.transpose(tr.zeros(2, 3), 0, 1).shape
    (3, 2)
    """
    dims = list(range(x.ndim))
    dim0, dim1 = dim_in_range(dim0, x.ndim, "transpose"), dim_in_range(dim1, x.ndim, "transpose")
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return Permute.apply(x, dims=tuple(dims))


def squeeze(x, dim=None):
    """``x`` without its size-1 dimensions (or only ``dim``, if it has size 1).

    >>> import tinygrad_rnn as tr
    >>> tr.squeeze(tr.zeros(2, 1, 3)).shape
    (2, 3)
    """
    if dim is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        dims = {dim_in_range(d, x.ndim, "squeeze") for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
        shape = tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1))
    return reshape(x, shape)


def unsqueeze(x, dim: int):
    """``x`` with a new size-1 dimension at ``dim``.

    >>> import tinygrad_rnn as tr
    >>> tr.unsqueeze(tr.zeros(2, 3), 0).shape
    (1, 2, 3)
    """
    dim = dim_in_range(dim, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def flatten(x, start_dim: int = 0, end_dim: int = -1):
    """``x`` with dimensions ``start_dim`` … ``end_dim`` merged into one.

    >>> import tinygrad_rnn as tr
    >>> tr.flatten(tr.zeros(2, 3, 4), 1).shape
    (2, 12)
    """
    if x.ndim == 0:
        return reshape(x, (1,))
    start, end = dim_in_range(start_dim, x.ndim, "flatten"), dim_in_range(end_dim, x.ndim, "flatten")
    return reshape(x, x.shape[:start] + (-1,) + x.shape[end + 1:])


def expand(x, *sizes):
    """``x`` broadcast to ``sizes``; -1 keeps a dimension's size, as in PyTorch.

    >>> import tinygrad_rnn as tr
    >>> tr.expand(tr.zeros(3, 1), -1, 4).shape
    (3, 4)
    """
    sizes = shape_argument(sizes, "expand")
    added = len(sizes) - x.ndim
    shape = tuple(x.shape[i - added] if size == -1 and i >= added else size for i, size in enumerate(sizes))
    return broadcast_to(x, shape)


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape`` (NumPy's rules).

    >>> import tinygrad_rnn as tr
    >>> tr.broadcast_to(tr.zeros(3), (2, 3)).shape
    (2, 3)
    """
    shape = tuple(shape)
    # (the shape of a Tensor, a Node, an array — each a tuple already — or a Python number's, ())
    return x if getattr(x, "shape", ()) == shape else Expand.apply(x, shape=shape)


def getitem(x, index):
    """``x[index]``: ints, slices, None, Ellipsis, bool masks and integer arrays or tensors.

    >>> import tinygrad_rnn as tr
    >>> tr.getitem(tr.arange(5), tr.tensor([4, 0, 4])).tolist()
    [4, 0, 4]
    """
    return Index.apply(x, index=_array_index(x, index))


def cat(tensors, dim: int = 0):
    """Join tensors along an existing dimension.

    >>> import tinygrad_rnn as tr
    >>> tr.cat([tr.zeros(2, 3), tr.ones(1, 3)]).shape
    (3, 3)
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: needs at least one tensor")
    return Cat.apply(*tensors, dim=dim_in_range(dim, tensors[0].ndim, "cat"))


def stack(tensors, dim: int = 0):
    """Stack tensors of one shape along a new dimension.

    >>> import tinygrad_rnn as tr
    >>> tr.stack([tr.zeros(3), tr.ones(3)], dim=1).shape
    (3, 2)
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    return Stack.apply(*tensors, dim=dim_in_range(dim, tensors[0].ndim + 1, "stack"))


def split(x, split_size_or_sections, dim: int = 0):
    """Pieces of ``x`` along ``dim``: of one size (the last may be smaller), or of the listed sizes.

    >>> import tinygrad_rnn as tr
    >>> [p.shape for p in tr.split(tr.zeros(5, 2), 2)]
    [(2, 2), (2, 2), (1, 2)]
    """
    dim = dim_in_range(dim, x.ndim, "split")
    length = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError(f"split: split size must be positive, got {split_size_or_sections}")
        sizes = [min(split_size_or_sections, length - s) for s in range(0, length, split_size_or_sections)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise ShapeError(f"split: sizes {sizes} add up to {sum(sizes)}, but dimension {dim} has size {length}")
    return Split.apply(x, sizes=tuple(sizes), dim=dim)


def unbind(x, dim: int = 0):
    """The slices of ``x`` along ``dim``, as a tuple: ``unbind(x)[t]`` is ``x[t]``.

    >>> import tinygrad_rnn as tr
    >>> [p.tolist() for p in tr.unbind(tr.tensor([[1, 2], [3, 4]]))]
    [[1, 2], [3, 4]]
    """
    return Unbind.apply(x, dim=dim_in_range(dim, x.ndim, "unbind"))


def chunk(x, chunks: int, dim: int = 0):
    """``x`` cut into ``chunks`` pieces along ``dim`` (PyTorch's rule: each ⌈n/chunks⌉ long).

    >>> import tinygrad_rnn as tr
    >>> [p.shape for p in tr.chunk(tr.zeros(4, 6), 3, dim=1)]
    [(4, 2), (4, 2), (4, 2)]
    """
    length = x.shape[dim_in_range(dim, x.ndim, "chunk")]
    return split(x, max(1, -(-length // chunks)), dim)


# --- argument handling ------------------------------------------------------------------------------


def shape_argument(args: tuple, op: str) -> tuple[int, ...]:
    """Accept both ``f(x, 2, 3)`` and ``f(x, (2, 3))``; a size that is not a whole number (2.0) is an
    error naming ``op``, as in PyTorch, never rounded."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    try:
        return tuple(operator.index(a) for a in args)
    except TypeError:
        raise TypeError(f"{op}: sizes are whole numbers; got {args}") from None


def dim_in_range(dim: int, ndim: int, op: str) -> int:
    """``dim`` counted from the front (−1 → ndim − 1), or an IndexError naming ``op`` if out of range."""
    if not -ndim <= dim < max(ndim, 1):
        raise IndexError(f"{op}: dimension {dim} is out of range for a tensor with {ndim} dimensions")
    return dim % max(ndim, 1)


def _is_basic(index: Any) -> bool:
    """True for ints, slices, None and Ellipsis only: such an index never repeats a position."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, slice, type(None), type(Ellipsis))) for p in parts)


def _array_index(x, index):
    """Turn Tensors and lists inside an index into arrays on x's device, checking their dtype."""
    parts = index if isinstance(index, tuple) else (index,)
    device, converted = device_of_array(getattr(x, "array", x)), []
    for part in parts:
        if isinstance(part, TensorBase):
            if part.device != device:
                raise DeviceError(f"getitem: the index is on {part.device} but the tensor is on {device}; move one "
                                  "of them first")
            part = part.array
        elif isinstance(part, list):
            part = numpy.asarray(part)
        if hasattr(part, "dtype") and part.dtype.kind not in "iub":
            raise IndexError(
                f"getitem: indices must be integers or bools, got an index of dtype {part.dtype}. "
                "Convert it first, e.g. index.long()."
            )
        if isinstance(part, numpy.ndarray) and device.type == "gpu":
            part = move_array(part, device)  # host index data, like a Python list
        converted.append(part)
    return tuple(converted) if isinstance(index, tuple) else converted[0]
