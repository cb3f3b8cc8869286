"""Conversions: to another dtype, to another device. Both are differentiable copies."""

from __future__ import annotations

from ..device import Device, device_of_array, move_array
from ..function import Function

__all__ = ["cast", "clone", "to_device"]  # (tinygrad_rnn.ops exports these)


class Cast(Function):
    """x converted to ``dtype``;   the gradient is converted back to x's dtype"""

    saves_inputs = saves_output = False  # backward needs shapes, not values

    def forward(self, x):
        return x.astype(self.dtype, copy=False)

    def backward(self, grad, out, x):
        return cast(grad, x.dtype)


class ToDevice(Function):
    """x copied to ``device``;   the gradient is copied back to x's device"""

    saves_inputs = saves_output = False  # backward needs shapes, not values

    def forward(self, x):
        return move_array(x, self.device)

    def backward(self, grad, out, x):
        return to_device(grad, x.device)


def cast(x, dtype):
    """x as ``dtype`` (itself if it already is).

    >>> import tinygrad_rnn as tr
    >>> tr.cast(tr.ones(2), tr.float64).dtype
    dtype('float64')
    """
    return x if x.dtype == dtype else Cast.apply(x, dtype=dtype)


def to_device(x, device: Device):
    """x on ``device`` (itself if it already is)."""
    return x if device_of_array(getattr(x, "array", x)) == device else ToDevice.apply(x, device=device)


class Clone(Function):
    """a copy of x in new memory;   the gradient passes through unchanged"""

    saves_inputs = saves_output = False  # backward needs nothing

    def forward(self, x):
        return x.copy()

    def backward(self, grad, out, x):
        return grad


def clone(x):
    """A copy of x that records the graph (PyTorch's ``clone``): changing the copy in place leaves
    x as it was, and the gradient flows back to x. ``x.detach().clone()`` copies without a graph.

    >>> import tinygrad_rnn as tr
    >>> x = tr.zeros(2)
    >>> y = tr.clone(x)
    >>> y += 1
    >>> x.tolist(), y.tolist()
    ([0.0, 0.0], [1.0, 1.0])
    """
    return Clone.apply(x)
