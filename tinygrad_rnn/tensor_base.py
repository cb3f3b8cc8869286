"""What a tensor is: its array, its place in the graph, its gradient, its shape, dtype and device,
and how it moves to another device or dtype (its values as NumPy, Python numbers and text are
:mod:`tinygrad_rnn.conversion`'s). No op is named here:
:class:`~tinygrad_rnn.tensor.Tensor` adds the methods that name the ops, on top of this.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy

from .conversion import TensorValues, to_array
from .device import Device, device_of_array

if TYPE_CHECKING:
    from .tensor import Tensor


class TensorBase(TensorValues):
    """The data of a :class:`~tinygrad_rnn.tensor.Tensor` and what autodiff records about it; a
    Tensor is the only kind made (``Tensor(data, ...)``), and this class is never used on its own."""

    # Slots for what every tensor has; what few tensors have lives in the instance's __dict__, made
    # only when one is set, the class's None read until then: a name, a gradient, hooks, and
    # _choice (on ids chosen from scores, by argmax or sampling: (the scores, "argmax" | "sampled"),
    # so that an embedding of them draws the generation loop's link back to the scores). Every copy
    # detach() makes holds _detached_from: a weak reference to the Node it was cut from (tensor.py).
    __slots__ = ("array", "requires_grad", "grad_fn", "_node", "__dict__", "__weakref__")
    _grad: Tensor | None = None
    _name: str | None = None
    _backward_hooks: dict | None = None  # a leaf's register_hook functions (hooks.py)
    _choice: Any = None
    _stand_in: tuple | None = None  # (array, Node): what an op that does not save this leaf keeps (function.py)

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 device: str | Device | None = None, name: str | None = None) -> None:
        data = data.array if isinstance(data, TensorBase) else data
        self.array = to_array(data, dtype, device)  # the NumPy or CuPy array (the hot paths read it directly)
        self.grad_fn: Any = None  # the Function that made this tensor; None for a leaf
        self._node: Any = None  # its place in the graph (a function.Node), if an op made it
        if name is not None:
            self._name = name
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_()

    # The class of every tensor made from an array: tensor.Tensor, which names itself here when it is
    # defined (function.py and the engine make tensors, and sit below tensor.py: they cannot import it).
    _made_as: type

    @staticmethod
    def _make(data: Any, node: Any = None) -> Tensor:
        """Wrap an array without copying (how ops build their results) as a Tensor; ``node``
        places it in the graph."""
        tensor = object.__new__(TensorBase._made_as)
        tensor.array, tensor._node = data, node
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
        """The size of each dimension, as a tuple (NumPy's and CuPy's own)."""
        return self.array.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self.array.ndim

    @property
    def dtype(self) -> numpy.dtype:
        """The type of the entries: a NumPy dtype, equal to ``tr.float32`` and the like."""
        return self.array.dtype

    @property
    def device(self) -> Device:
        """Where the data lives: ``tr.device("cpu")`` or the GPU's, equal to its names ("cpu", "cuda")."""
        return device_of_array(self.array)

    @property
    def is_leaf(self) -> bool:
        """True unless an op that records gradients made this tensor."""
        return self.grad_fn is None

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of dimension ``dim``."""
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        """The number of entries."""
        return int(self.array.size)

    def dim(self) -> int:
        """The number of dimensions (``ndim``)."""
        return self.ndim

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]
