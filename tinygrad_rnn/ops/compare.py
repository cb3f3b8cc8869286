"""Comparisons, logic and sign: ops whose results are constants — bool masks, or signs — through
which no gradient flows (``differentiable = False``). Masks select where gradients go elsewhere
(relu, clamp, where, maximum), which is why those ops use these.
"""

from __future__ import annotations

from ..device import array_module
from ..function import Function

__all__ = ["eq", "ge", "gt", "le", "logical_and", "logical_not", "logical_or", "lt", "ne",
           "sign"]  # (tinygrad_rnn.ops exports these)

BROADCAST_HINT = "Shapes must broadcast as in NumPy: aligned from the right, each pair of sizes equal or one of them 1"


class Constant(Function):
    """A comparison, a logical op, sign, any or all — ``name`` as users write it (``lt``), computed
    by the NumPy (or CuPy) function ``numpy_function`` (``less``; the same as ``name`` if not given):
    its result is a constant (a bool mask, or signs), through which no gradient flows."""

    differentiable = False
    hint = BROADCAST_HINT
    numpy_function = None

    def forward(self, *inputs):
        return getattr(array_module(*inputs), self.numpy_function or self.name)(*inputs)


# --- functional forms ----------------------------------------------------------------------------


def lt(a, other):
    """a < b as a bool mask (no gradient).

    >>> import tinygrad_rnn as tr
    >>> tr.lt(tr.tensor([1.0, 3.0]), 2).tolist()
    [True, False]
    """
    return Constant.apply(a, other, name="lt", numpy_function="less")


def le(a, other):
    """a <= b as a bool mask (no gradient).

    >>> import tinygrad_rnn as tr
    >>> tr.le(tr.tensor([2.0, 3.0]), 2).tolist()
    [True, False]
    """
    return Constant.apply(a, other, name="le", numpy_function="less_equal")


def gt(a, other):
    """a > b as a bool mask (no gradient).

    >>> import tinygrad_rnn as tr
    >>> tr.gt(tr.tensor([1.0, 3.0]), 2).tolist()
    [False, True]
    """
    return Constant.apply(a, other, name="gt", numpy_function="greater")


def ge(a, other):
    """a >= b as a bool mask (no gradient).

    >>> import tinygrad_rnn as tr
    >>> tr.ge(tr.tensor([2.0, 1.0]), 2).tolist()
    [True, False]
    """
    return Constant.apply(a, other, name="ge", numpy_function="greater_equal")


def eq(a, other):
    """a == b as a bool mask (no gradient).

    >>> import tinygrad_rnn as tr
    >>> tr.eq(tr.tensor([2.0, 1.0]), 2).tolist()
    [True, False]
    """
    return Constant.apply(a, other, name="eq", numpy_function="equal")


def ne(a, other):
    """a != b as a bool mask (no gradient).

    >>> import tinygrad_rnn as tr
    >>> tr.ne(tr.tensor([2.0, 1.0]), 2).tolist()
    [False, True]
    """
    return Constant.apply(a, other, name="ne", numpy_function="not_equal")


def logical_and(a, b):
    """Elementwise "and" of two masks.

    >>> import tinygrad_rnn as tr
    >>> tr.logical_and(tr.tensor([True, True]), tr.tensor([True, False])).tolist()
    [True, False]
    """
    return Constant.apply(a, b, name="logical_and")


def logical_or(a, b):
    """Elementwise "or" of two masks.

    >>> import tinygrad_rnn as tr
    >>> tr.logical_or(tr.tensor([True, False]), tr.tensor([False, False])).tolist()
    [True, False]
    """
    return Constant.apply(a, b, name="logical_or")


def logical_not(a):
    """Elementwise "not" of a mask.

    >>> import tinygrad_rnn as tr
    >>> tr.logical_not(tr.tensor([True, False])).tolist()
    [False, True]
    """
    return Constant.apply(a, name="logical_not")


def sign(x):
    """−1, 0 or +1 by the sign of each entry (no gradient).

    >>> import tinygrad_rnn as tr
    >>> tr.sign(tr.tensor([-2.0, 0.0, 3.0])).tolist()
    [-1.0, 0.0, 1.0]
    """
    return Constant.apply(x, name="sign")
