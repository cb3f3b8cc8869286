"""Tensor: an array (NumPy or CuPy) plus what autodiff needs to know about it.

A Tensor holds ``data`` (the array), ``requires_grad``, ``grad`` (filled in by backward) and, if an
op made it, ``grad_fn``: the :class:`~tinygrad_rnn.function.Function` that computed it.

The graph itself is made of :class:`~tinygrad_rnn.function.Node` objects, not of Tensors: a Node is what the graph
remembers of a tensor an op computed — which op and which of its outputs, its shape, dtype and
device — but not its values. An op keeps the Nodes of its inputs (the edges of the graph) and
only the arrays its backward reads (tanh keeps its output, matmul its two inputs, add nothing).
So an intermediate array is freed as soon as nobody needs it: the graph of a long unrolled
sequence holds the activations backpropagation needs, and no more. Leaves (weights, inputs)
are their own graph vertices.

The methods here only name things: each delegates to the op in :mod:`tinygrad_rnn.ops`, where
forward and backward live.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any

import numpy

from . import device as devices
from .errors import GraphError

DEFAULT_FLOAT = numpy.dtype("float32")
_SUPPORTED_KINDS = "fiub"  # float, signed int, unsigned int, bool


def as_dtype(dtype: Any) -> numpy.dtype:
    """A NumPy dtype from a dtype, a type or a name such as ``"float64"``.

    >>> as_dtype("float64")
    dtype('float64')
    """
    try:
        resolved = numpy.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}: use a NumPy dtype or a name such as 'float32'") from None
    if resolved.kind not in _SUPPORTED_KINDS:
        raise TypeError(f"dtype {resolved} is not supported: use a float, integer or bool dtype")
    return resolved


class Tensor:
    """An n-dimensional array that can record the ops applied to it and backpropagate.

    ``Tensor(data, requires_grad=False, dtype=None, device=None, name=None)`` copies ``data`` (a
    number, nested list, NumPy/CuPy array or Tensor). As in PyTorch, Python floats become float32
    and Python ints int64; arrays keep their dtype unless ``dtype`` is given.

    >>> import tinygrad_rnn as tr
    >>> w = tr.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="W")
    >>> loss = (w @ w).sum()
    >>> loss.backward()
    >>> w.grad
    tensor([[ 7., 11.],
            [ 9., 13.]])
    """

    # _choice (set only on ids chosen from scores, by argmax or sampling): (the scores, "argmax" | "sampled"),
    # so that an embedding of them draws the generation loop's link back to the scores
    __slots__ = ("data", "_grad", "requires_grad", "grad_fn", "_node", "_name", "_choice", "__weakref__")
    __array_ufunc__ = None  # NumPy defers to us: ndarray * Tensor calls Tensor.__rmul__
    __hash__ = object.__hash__  # == is elementwise, but a tensor is still usable as a dict key

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 device: str | devices.Device | None = None, name: str | None = None) -> None:
        self.data = _to_array(data, dtype, device)
        self._grad: Tensor | None = None
        self.grad_fn: Any = None  # the Function that made this tensor; None for a leaf
        self._node: Any = None  # its place in the graph (a function.Node), if an op made it
        self._name = name
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_()

    @classmethod
    def _make(cls, data: Any, node: Any = None) -> Tensor:
        """Wrap an array without copying (how ops build their results); ``node`` places it in
        the graph."""
        tensor = object.__new__(cls)
        tensor.data, tensor._grad, tensor._node, tensor._name = data, None, node, None
        tensor.grad_fn = None if node is None else node.grad_fn
        tensor.requires_grad = node is not None
        return tensor

    @property
    def grad(self) -> Tensor | None:
        """∂J/∂(this tensor), filled in by ``backward()`` for leaves (and tensors that ``retain_grad()``).

        Read on any other tensor it is None, and says so, as PyTorch does: a student asking for
        ``h.grad`` of a hidden state wants ``h.retain_grad()`` before backward."""
        if self._grad is None and self._node is not None and self._node.retained is None:
            warnings.warn("the .grad of a tensor computed by an op (not a leaf) is not filled in by backward(); "
                          "call .retain_grad() on it before backward() to keep it, or use tr.grad(loss, tensor)",
                          UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        self._grad = value

    @property
    def name(self) -> str | None:
        """A label for drawings and messages (parameters get their attribute names)."""
        return self._name if self._node is None else self._node.name

    @name.setter
    def name(self, value: str | None) -> None:
        if self._node is None:
            self._name = value
        else:  # the graph's record carries it, so drawings see a name given after the op ran
            self._node.name = value

    # --- what a tensor is -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> numpy.dtype:
        return self.data.dtype

    @property
    def device(self) -> devices.Device:
        return devices.device_of_array(self.data)

    @property
    def is_leaf(self) -> bool:
        """True unless an op that records gradients made this tensor."""
        return self.grad_fn is None

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        return int(self.data.size)

    def dim(self) -> int:
        return self.ndim

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # --- autodiff -----------------------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``gradient`` is needed unless self has one element. The graph's saved arrays are freed
        afterwards unless ``retain_graph=True``; ``create_graph=True`` records the backward pass
        so that the gradients can be differentiated again.
        """
        from .engine import backward

        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) recording ops on this leaf tensor, in place; returns self."""
        if not self.is_leaf:
            raise GraphError("requires_grad_: only leaf tensors can change requires_grad; use .detach() first")
        if requires_grad and self.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients; this one is {self.dtype}. "
                "Convert it first, e.g. x.float()."
            )
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` for this non-leaf tensor too (e.g. a hidden state h_t) on backward."""
        if not self.requires_grad:
            raise GraphError("retain_grad: this tensor does not require grad")
        if self._node is not None:  # a leaf gets its .grad anyway
            self._node.retained = weakref.ref(self)
        return self

    def detach(self) -> Tensor:
        """The same data, cut from the graph (truncated BPTT carries hidden states this way)."""
        return Tensor._make(self.data)

    def zero_(self) -> Tensor:
        """Fill with zeros in place (gradients and buffers; a parameter only under ``no_grad()``)."""
        self[...] = 0
        return self

    # --- moving between devices and dtypes ----------------------------------------------------
    def numpy(self) -> numpy.ndarray:
        """A NumPy copy of the data, on the host."""
        return numpy.array(devices.move_array(self.data, devices.CPU), copy=True)

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: the tensor has {self.data.size} elements (shape {self.shape}); "
                             "it needs exactly one")
        return self.data.item()

    def to(self, *args: Any, device: Any = None, dtype: Any = None) -> Tensor:
        """``x.to("gpu")``, ``x.to("float64")``, ``x.to("cpu", "float64")``: differentiable copies.

        Strings are read as devices when they name one ('cpu', 'gpu', 'cuda') and dtypes otherwise.
        """
        from .ops import cast, to_device

        for arg in args:
            if isinstance(arg, (str, devices.Device)) and _is_device_name(arg):
                device = arg
            else:
                dtype = arg
        result = self
        if dtype is not None and as_dtype(dtype) != self.dtype:
            result = cast(result, as_dtype(dtype))
        if device is not None and devices.get_device(device) != self.device:
            result = to_device(result, devices.get_device(device))
        return result

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("gpu")

    def float(self) -> Tensor:
        return self.to(dtype="float32")

    def double(self) -> Tensor:
        return self.to(dtype="float64")

    def long(self) -> Tensor:
        return self.to(dtype="int64")

    def bool(self) -> Tensor:
        return self.to(dtype="bool")

    # --- arithmetic: each line names an op of tinygrad_rnn.ops, where its gradient is -------------
    def __add__(self, other: Any) -> Tensor:
        return F.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return F.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return F.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return F.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return F.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return F.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return F.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return F.div(other, self)

    def __neg__(self) -> Tensor:
        return F.neg(self)

    def __pow__(self, exponent: Any) -> Tensor:
        return F.pow(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return F.pow(base, self)

    def __matmul__(self, other: Any) -> Tensor:
        return F.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return F.matmul(other, self)

    def __abs__(self) -> Tensor:
        return F.abs(self)

    # In place, as PyTorch allows it (the rules and why: inplace.py): a parameter only under
    # no_grad(); a tensor in a graph takes the recorded result; a saved array stays unchanged.
    def __iadd__(self, other: Any) -> Tensor:
        return in_place(self, "+=", other)

    def __isub__(self, other: Any) -> Tensor:
        return in_place(self, "-=", other)

    def __imul__(self, other: Any) -> Tensor:
        return in_place(self, "*=", other)

    def __itruediv__(self, other: Any) -> Tensor:
        return in_place(self, "/=", other)

    def __setitem__(self, index: Any, value: Any) -> None:
        set_item(self, index, value)

    def __getitem__(self, index: Any) -> Tensor:
        return F.getitem(self, index)

    # comparisons and logic make masks: no gradient flows through them
    def __lt__(self, other: Any) -> Tensor:
        return F.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return F.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return F.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return F.ge(self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return F.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return F.ne(self, other)

    def __and__(self, other: Any) -> Tensor:
        return F.logical_and(self, other)

    def __or__(self, other: Any) -> Tensor:
        return F.logical_or(self, other)

    def __invert__(self) -> Tensor:
        return F.logical_not(self)

    # --- elementwise functions ------------------------------------------------------------------
    def exp(self) -> Tensor:
        return F.exp(self)

    def log(self) -> Tensor:
        return F.log(self)

    def sqrt(self) -> Tensor:
        return F.sqrt(self)

    def abs(self) -> Tensor:
        return F.abs(self)

    def sign(self) -> Tensor:
        return F.sign(self)

    def tanh(self) -> Tensor:
        return F.tanh(self)

    def sigmoid(self) -> Tensor:
        return F.sigmoid(self)

    def relu(self) -> Tensor:
        return F.relu(self)

    def pow(self, exponent: Any) -> Tensor:
        return F.pow(self, exponent)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        return F.clamp(self, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return F.maximum(self, other)

    def lerp(self, end: Any, weight: Any) -> Tensor:
        return F.lerp(self, end, weight)

    def minimum(self, other: Any) -> Tensor:
        return F.minimum(self, other)

    def matmul(self, other: Any) -> Tensor:
        return F.matmul(self, other)

    # --- reductions -----------------------------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return F.sum(self, dim, keepdim, **aliases)

    def mean(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return F.mean(self, dim, keepdim, **aliases)

    def var(self, dim: Any = None, *, correction: int = 1, keepdim: bool = False, **aliases: Any) -> Tensor:
        return F.var(self, dim, correction=correction, keepdim=keepdim, **aliases)

    def std(self, dim: Any = None, *, correction: int = 1, keepdim: bool = False, **aliases: Any) -> Tensor:
        return F.std(self, dim, correction=correction, keepdim=keepdim, **aliases)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        return F.max(self, dim, keepdim)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        return F.min(self, dim, keepdim)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return F.amax(self, dim, keepdim)

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return F.amin(self, dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return F.argmax(self, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return F.argmin(self, dim, keepdim)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        return F.logsumexp(self, dim, keepdim)

    def softmax(self, dim: int) -> Tensor:
        return F.softmax(self, dim)

    def log_softmax(self, dim: int) -> Tensor:
        return F.log_softmax(self, dim)

    def any(self) -> Tensor:
        return F.any(self)

    def all(self) -> Tensor:
        return F.all(self)

    # --- shapes -------------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        return F.reshape(self, *shape)

    view = reshape

    def permute(self, *dims: Any) -> Tensor:
        return F.permute(self, *dims)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return F.transpose(self, dim0, dim1)

    @property
    def T(self) -> Tensor:
        """All dimensions reversed (the matrix transpose for 2-D tensors)."""
        return F.permute(self, *reversed(range(self.ndim)))

    def squeeze(self, dim: Any = None) -> Tensor:
        return F.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return F.unsqueeze(self, dim)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return F.flatten(self, start_dim, end_dim)

    def expand(self, *sizes: Any) -> Tensor:
        return F.expand(self, *sizes)

    def broadcast_to(self, shape: Any) -> Tensor:
        return F.broadcast_to(self, shape)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return F.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return F.chunk(self, chunks, dim)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        return F.unbind(self, dim)

    # --- printing -------------------------------------------------------------------------------
    def __repr__(self) -> str:
        body = numpy.array2string(self.numpy(), separator=", ", prefix="tensor(", threshold=200)
        extras = []
        if self.dtype not in (DEFAULT_FLOAT, numpy.dtype("int64"), numpy.dtype("bool")):
            extras.append(f"dtype={self.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "tensor(" + ", ".join([body] + extras) + ")"

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                             "use .any() or .all()")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only one-element integer tensors can be used as an index")
        return int(self.item())


def _is_device_name(spec: Any) -> bool:
    return isinstance(spec, devices.Device) or spec.lower() in devices._ALIASES


def _to_array(data: Any, dtype: Any, device: Any) -> Any:
    """Copy ``data`` into a new array of the requested dtype on the requested device."""
    if isinstance(data, Tensor):
        data = data.data
    source_device = devices.device_of_array(data)
    target = devices.get_device(device) if device is not None or source_device is devices.CPU else source_device
    if target is not source_device and source_device is devices.GPU:
        raise TypeError("Tensor: data is on the GPU; pass device='gpu', or move it with .cpu() first")
    wanted = None if dtype is None else as_dtype(dtype)
    if source_device is devices.CPU:
        is_array = isinstance(data, (numpy.ndarray, numpy.generic))
        try:
            array = numpy.array(data, dtype=wanted)
        except (ValueError, TypeError) as error:
            raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__}: {error}") from None
        if wanted is None and not is_array and array.dtype == numpy.float64:
            array = array.astype(DEFAULT_FLOAT)  # Python floats are float32 by default, as in PyTorch
        if array.dtype.kind not in _SUPPORTED_KINDS:
            raise TypeError(f"Tensor: unsupported data of dtype {array.dtype}; use numbers or bools")
        return array if target is devices.CPU else devices.move_array(array, target)
    return target.xp.array(data, dtype=wanted)


from . import ops as F  # noqa: E402  (last: the ops need Tensor defined)
from .inplace import in_place, set_item  # noqa: E402
