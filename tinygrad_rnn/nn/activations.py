"""Activations as layers, as in ``torch.nn``: ``Tanh``, ``ReLU``, ``Sigmoid``, ``Softmax``,
``LogSoftmax`` and ``Identity``, for use inside ``Sequential``. No parameters: each calls its
function in :mod:`~tinygrad_rnn.nn.functional`.

>>> import tinygrad_rnn as tr
>>> model = tr.nn.Sequential(tr.nn.Linear(3, 4), tr.nn.Tanh(), tr.nn.Linear(4, 2), tr.nn.LogSoftmax(dim=-1))
>>> model(tr.ones(5, 3)).shape
(5, 2)
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functional as F
from .module import Module


class Tanh(Module):
    """tanh(x), elementwise.

    The op it records, and its backward: ``Tanh`` in ops/elementwise.py.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class ReLU(Module):
    """max(0, x), elementwise (``inplace`` accepted and ignored, as in ``F.relu``).

    The op it records, and its backward: ``Relu`` in ops/elementwise.py.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input)


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e^(−x)), elementwise.

    The op it records, and its backward: ``Sigmoid`` in ops/elementwise.py.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Softmax(Module):
    """exp(x) / Σ exp(x) along ``dim``.

    The op it records, and its backward: ``Softmax`` in ops/reduce.py.

    >>> import tinygrad_rnn as tr
    >>> tr.nn.Softmax(dim=1)(tr.zeros(1, 4)).tolist()
    [[0.25, 0.25, 0.25, 0.25]]
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, _dim("Softmax", self.dim))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log softmax(x) along ``dim``: log-probabilities, for ``NLLLoss``.

    The op it records, and its backward: ``LogSoftmax`` in ops/reduce.py.
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, _dim("LogSoftmax", self.dim))


class Identity(Module):
    """Its input, unchanged (a placeholder where a layer is optional); any arguments are ignored.

    >>> import tinygrad_rnn as tr
    >>> x = tr.ones(2)
    >>> tr.nn.Identity()(x) is x
    True
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


def _dim(layer: str, dim: int | None) -> int:
    if dim is None:  # PyTorch guesses a dim, with a warning; a guess is a bug waiting in a language model
        raise ValueError(f"{layer}: give the dimension to normalise over, e.g. {layer}(dim=-1)")
    return dim
