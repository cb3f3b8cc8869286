"""Tensor: an array (NumPy or CuPy) plus what autodiff needs to know about it.

A Tensor holds ``array`` (its NumPy or CuPy array), ``requires_grad``, ``grad`` (filled in by backward) and, if an
op made it, ``grad_fn``: the :class:`~tinygrad_rnn.function.Function` that computed it.

The graph itself is made of :class:`~tinygrad_rnn.function.Node` objects, not of Tensors: a Node is what the graph
remembers of a tensor an op computed — which op and which of its outputs, its shape, dtype and
device — but not its values. An op keeps the Nodes of its inputs (the edges of the graph) and
saves for backward only the arrays its backward reads (tanh its output, matmul its two inputs, add nothing).
So an intermediate array is freed as soon as nobody needs it: the graph of a long unrolled
sequence holds the activations backpropagation needs, and no more. Leaves (weights, inputs)
are their own graph vertices.

What a tensor holds and how it is converted (to a device, a dtype, NumPy, text) is in
:mod:`tinygrad_rnn.tensor_base`. The methods here name things: autodiff (``backward``,
``register_hook``), changes in place (whose rules are in :mod:`tinygrad_rnn.inplace`), and the ops,
each delegating to the op in :mod:`tinygrad_rnn.ops`, where forward and backward live.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy

from . import engine, ops
from .conversion import to_arguments
from .device import GPU, device_of_array
from .errors import GraphError
from .hooks import register_hook
from .inplace import in_place, set_item
from .tensor_base import TensorBase


class Tensor(TensorBase):
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

    __slots__ = ()  # (the slots are TensorBase's)
    __array_ufunc__ = None  # NumPy defers to us: ndarray * Tensor calls Tensor.__rmul__
    __hash__ = object.__hash__  # == is elementwise, but a tensor is still usable as a dict key

    # --- autodiff -----------------------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``gradient`` is needed unless self has one element. The graph's saved arrays are freed
        afterwards unless ``retain_graph=True``; ``create_graph=True`` records the backward pass
        so that the gradients can be differentiated again.
        """
        engine.backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) recording ops on this leaf tensor, in place; returns self."""
        if not self.is_leaf:
            raise GraphError("requires_grad_: only leaf tensors can change requires_grad; use .detach() first")
        if requires_grad and self.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients; this one is {self.dtype}. "
                            "Convert it first, e.g. x.float().")
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
        """The same values (the same array, no copy), cut from the graph (truncated BPTT carries
        hidden states this way). The copy notes, for drawings only, the graph Node it was cut from:
        a weak reference, no edge — no gradient flows back through it, and it keeps no graph alive.

        >>> import tinygrad_rnn as tr
        >>> h = tr.ones(2, requires_grad=True) * 2
        >>> cut = h.detach()
        >>> cut.requires_grad, cut.grad_fn, cut._detached_from() is h._node
        (False, None, True)
        """
        detached = Tensor._make(self.array)
        detached._detached_from = self._node and weakref.ref(self._node)  # None for a leaf's copy
        return detached

    @property
    def data(self) -> Tensor:
        """A Tensor cut from the graph that shares this tensor's array (no copy), as in PyTorch;
        ``p.data = other`` gives ``p`` the array of ``other`` (same shape, dtype and device).

        It does not require grad and records nothing, so ``p.data.add_(p.grad, alpha=-lr)`` changes
        the parameter ``p`` without rule 1 of :mod:`tinygrad_rnn.inplace`. The write is still
        stamped (rule 2): a pending backward that saved ``p`` refuses to run on the changed values.
        The raw NumPy/CuPy array is ``.array``.

        >>> import tinygrad_rnn as tr
        >>> w = tr.ones(2, requires_grad=True)
        >>> _ = w.data.add_(tr.tensor([1.0, 2.0]), alpha=-1)
        >>> w, w.data.requires_grad
        (tensor([ 0., -1.], requires_grad=True), False)
        """
        return self.detach()

    @data.setter
    def data(self, value: Any) -> None:
        array = value.array if isinstance(value, Tensor) else value
        if not isinstance(array, numpy.ndarray) and device_of_array(array) is not GPU:
            raise TypeError(f".data = …: the value is a {type(value).__name__}; give a Tensor (or a NumPy or "
                            "CuPy array), e.g. p.data = tr.tensor(values)")
        if (array.shape, array.dtype, device_of_array(array)) != (self.shape, self.dtype, self.device):
            raise TypeError(f".data = …: the tensor has shape {self.shape}, {self.dtype}, on {self.device}, and the "
                            f"value shape {tuple(array.shape)}, {array.dtype}, on {device_of_array(array)}; convert "
                            "the value first (value.to(dtype, device)), or make a new tensor (a new tr.nn.Parameter "
                            "for a parameter) when the shape changes")
        self.array = array

    def zero_(self) -> Tensor:
        """Fill with zeros in place (gradients and buffers; a parameter only under ``no_grad()``)."""
        set_item(self, ..., 0, ".zero_()")
        return self

    def register_hook(self, hook: Any) -> Any:
        """Call ``hook(grad)`` with this tensor's gradient on every backward; it may return a
        replacement. Returns a handle: ``handle.remove()`` takes the hook off (see hooks.py)."""
        return register_hook(self, hook)

    # In place, as PyTorch allows it; the rules and why are in inplace.py (and the operators below)
    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """self += alpha · other, in place (``p.data.add_(p.grad, alpha=-lr)``); returns self."""
        return in_place(self, "+=", other if alpha == 1 else other * alpha, ".add_(…)")

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """self −= alpha · other, in place; returns self."""
        return in_place(self, "-=", other if alpha == 1 else other * alpha, ".sub_(…)")

    def mul_(self, other: Any) -> Tensor:
        """self ·= other, in place; returns self."""
        return in_place(self, "*=", other, ".mul_(…)")

    def div_(self, other: Any) -> Tensor:
        """self /= other, in place; returns self."""
        return in_place(self, "/=", other, ".div_(…)")

    def fill_(self, value: Any) -> Tensor:
        """Every entry set to ``value`` (a number or a 0-d tensor), in place; returns self."""
        set_item(self, ..., value, ".fill_()")
        return self

    def copy_(self, src: Any) -> Tensor:
        """The values of ``src`` (broadcast to this shape, converted to this dtype, from any
        device) written into this tensor, in place; returns self."""
        if isinstance(src, Tensor) and src.device != self.device:
            src = src.to(self.device)
        set_item(self, ..., src, ".copy_(…)")
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        """Samples of U(a, b) written in place (``model.weight.data.uniform_(-0.1, 0.1)``), drawn as
        :func:`tinygrad_rnn.nn.init.uniform_` draws them; returns self."""
        from .creation import fill_random_  # (creation.py imports this module)

        return fill_random_(self, "uniform", a, b)

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        """Samples of N(mean, std²) written in place, drawn as :func:`tinygrad_rnn.nn.init.normal_`
        draws them; returns self."""
        from .creation import fill_random_

        return fill_random_(self, "normal", mean, std)

    clone = ops.clone

    def contiguous(self) -> Tensor:
        """Self if its array is laid out row by row (C order), else a copy that is (``clone``)."""
        return self if self.array.flags.c_contiguous else ops.clone(self)

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """Zeros of the given size with this tensor's dtype and device (unless given)."""
        return self.new_full(size, 0, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """Ones of the given size with this tensor's dtype and device (unless given)."""
        return self.new_full(size, 1, dtype=dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        """``fill_value`` in every entry of the given size, with this tensor's dtype and device (unless given)."""
        from .creation import full

        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)

    def new_tensor(self, data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """A copy of ``data`` with this tensor's dtype and device (unless given)."""
        return Tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    # --- devices and dtypes: differentiable copies (the ops cast and to_device) ----------------------
    def to(self, *args: Any, device: Any = None, dtype: Any = None) -> Tensor:
        """``x.to("cuda")``, ``x.to(tr.float64)``, ``x.to("cpu", tr.float64)``, ``x.to(other)``:
        differentiable copies (x itself when nothing changes), as in PyTorch.

        >>> import tinygrad_rnn as tr
        >>> tr.ones(2).to(tr.device("cpu"), tr.float64).dtype
        dtype('float64')
        """
        device, dtype = to_arguments("to", args, device, dtype)
        result = self if dtype is None else ops.cast(self, dtype)  # (each op returns its input if nothing changes)
        return result if device is None else ops.to_device(result, device)

    def cpu(self) -> Tensor:
        """On the CPU (itself if it is there): ``to("cpu")``."""
        return self.to("cpu")

    def cuda(self) -> Tensor:
        """On the GPU (itself if it is there): ``to("cuda")``."""
        return self.to("gpu")

    def float(self) -> Tensor:
        """As float32: ``to(tr.float32)``."""
        return self.to(dtype="float32")

    def double(self) -> Tensor:
        """As float64: ``to(tr.float64)``."""
        return self.to(dtype="float64")

    def long(self) -> Tensor:
        """As int64: ``to(tr.int64)``."""
        return self.to(dtype="int64")

    def bool(self) -> Tensor:
        """As bool: ``to(tr.bool)``."""
        return self.to(dtype="bool")

    # --- the ops: each name is the function of tinygrad_rnn.ops where its forward and gradient are ------
    __add__ = __radd__ = add = ops.add  # (add and sub take PyTorch's alpha: x.add(y, alpha=2))
    __sub__ = sub = ops.sub
    __mul__ = __rmul__ = mul = ops.mul  # (2 * x is x * 2, as PyTorch records it)
    __truediv__ = div = ops.div
    __neg__ = ops.neg
    __pow__ = pow = ops.pow
    __matmul__ = matmul = ops.matmul
    __abs__ = abs = ops.abs
    __getitem__ = ops.getitem

    def __rsub__(self, other: Any) -> Tensor:
        return ops.sub(other, self)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.div(other, self)

    def __rpow__(self, base: Any) -> Tensor:
        return ops.pow(base, self)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

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

    # comparisons and logic make masks: no gradient flows through them
    __lt__ = lt = ops.lt
    __le__ = le = ops.le
    __gt__ = gt = ops.gt
    __ge__ = ge = ops.ge
    __eq__ = eq = ops.eq  # type: ignore[assignment]
    __ne__ = ne = ops.ne  # type: ignore[assignment]
    __and__ = ops.logical_and
    __or__ = ops.logical_or
    __invert__ = ops.logical_not

    # elementwise functions
    exp = ops.exp
    log = ops.log
    sqrt = ops.sqrt
    sign = ops.sign
    tanh = ops.tanh
    sigmoid = ops.sigmoid
    relu = ops.relu
    sin = ops.sin
    cos = ops.cos
    masked_fill = ops.masked_fill
    clamp = clip = ops.clamp
    maximum = ops.maximum
    minimum = ops.minimum
    lerp = ops.lerp
    mm = ops.mm
    bmm = ops.bmm

    # reductions
    sum = ops.sum
    mean = ops.mean
    var = ops.var
    std = ops.std
    max = ops.max
    min = ops.min
    amax = ops.amax
    amin = ops.amin
    argmax = ops.argmax
    argmin = ops.argmin
    norm = ops.norm
    topk = ops.topk
    logsumexp = ops.logsumexp
    softmax = ops.softmax
    log_softmax = ops.log_softmax
    any = ops.any
    all = ops.all

    # shapes
    reshape = view = ops.reshape
    permute = ops.permute
    transpose = ops.transpose
    t = ops.t
    narrow = ops.narrow
    repeat = ops.repeat
    squeeze = ops.squeeze
    unsqueeze = ops.unsqueeze
    flatten = ops.flatten
    expand = ops.expand
    broadcast_to = ops.broadcast_to
    split = ops.split
    chunk = ops.chunk
    unbind = ops.unbind

    @property
    def T(self) -> Tensor:
        """All dimensions reversed (the matrix transpose for 2-D tensors)."""
        return ops.permute(self, *reversed(range(self.ndim)))


TensorBase._made_as = Tensor  # what function.py and the engine make (they sit below this module)
