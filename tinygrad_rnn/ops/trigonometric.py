"""sin and cos, elementwise: each one's derivative is the other (up to a sign), so each backward
calls the other op — and a second derivative follows by itself.

(Sinusoids make the usual toy sequences for a first RNN, and a Transformer's position encoding.)
"""

from __future__ import annotations

from ..device import array_module
from ..function import Function

__all__ = ["cos", "sin"]  # (tinygrad_rnn.ops exports these)


class Sin(Function):
    """sin(x);   d/dx sin(x) = cos(x)"""

    saves_output = False

    def forward(self, x):
        return array_module(x).sin(x)

    def backward(self, grad, out, x):
        return grad * cos(x)


class Cos(Function):
    """cos(x);   d/dx cos(x) = −sin(x)"""

    saves_output = False

    def forward(self, x):
        return array_module(x).cos(x)

    def backward(self, grad, out, x):
        return -(grad * sin(x))


def sin(x):
    """The sine, elementwise.

    >>> import tinygrad_rnn as tr
    >>> tr.sin(tr.tensor([0.0])).tolist()
    [0.0]
    """
    return Sin.apply(x)


def cos(x):
    """The cosine, elementwise.

    >>> import tinygrad_rnn as tr
    >>> tr.cos(tr.tensor([0.0])).tolist()
    [1.0]
    """
    return Cos.apply(x)
