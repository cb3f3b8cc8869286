"""Comparisons, logic and sign: ops whose results are constants — bool masks, or signs — through
which no gradient flows (``differentiable = False``). Masks select where gradients go elsewhere
(relu, clamp, where, maximum), which is why those ops use these.
"""

from __future__ import annotations

from ..device import array_module
from ..function import Function

BROADCAST_HINT = "Shapes must broadcast as in NumPy: aligned from the right, each pair of sizes equal or one of them 1"


class _Constant(Function):
    """Base of ops whose result carries no gradient."""

    differentiable = False
    hint = BROADCAST_HINT


class Less(_Constant):
    """a < b: a bool mask"""

    def forward(self, a, b):
        return a < b


class LessEqual(_Constant):
    """a <= b: a bool mask"""

    def forward(self, a, b):
        return a <= b


class Greater(_Constant):
    """a > b: a bool mask"""

    def forward(self, a, b):
        return a > b


class GreaterEqual(_Constant):
    """a >= b: a bool mask"""

    def forward(self, a, b):
        return a >= b


class Equal(_Constant):
    """a == b: a bool mask"""

    def forward(self, a, b):
        return a == b


class NotEqual(_Constant):
    """a != b: a bool mask"""

    def forward(self, a, b):
        return a != b


class LogicalAnd(_Constant):
    """a and b, elementwise"""

    def forward(self, a, b):
        return array_module(a, b).logical_and(a, b)


class LogicalOr(_Constant):
    """a or b, elementwise"""

    def forward(self, a, b):
        return array_module(a, b).logical_or(a, b)


class LogicalNot(_Constant):
    """not a, elementwise"""

    def forward(self, a):
        return array_module(a).logical_not(a)


class Sign(_Constant):
    """−1, 0 or +1 by the sign of a"""

    def forward(self, a):
        return array_module(a).sign(a)


# --- functional forms ----------------------------------------------------------------------------


def lt(a, b):
    """a < b as a bool mask (no gradient).

    >>> import tinygrad_rnn as tr
    >>> tr.lt(tr.tensor([1.0, 3.0]), 2).tolist()
    [True, False]
    """
    return Less.apply(a, b)


def le(a, b):
    """a <= b as a bool mask (no gradient).

    >>> import tinygrad_rnn as tr
    >>> tr.le(tr.tensor([2.0, 3.0]), 2).tolist()
    [True, False]
    """
    return LessEqual.apply(a, b)


def gt(a, b):
    """a > b as a bool mask (no gradient).

    >>> import tinygrad_rnn as tr
    >>> tr.gt(tr.tensor([1.0, 3.0]), 2).tolist()
    [False, True]
    """
    return Greater.apply(a, b)


def ge(a, b):
    """a >= b as a bool mask (no gradient).

    >>> import tinygrad_rnn as tr
    >>> tr.ge(tr.tensor([2.0, 1.0]), 2).tolist()
    [True, False]
    """
    return GreaterEqual.apply(a, b)


def eq(a, b):
    """a == b as a bool mask (no gradient).

    >>> import tinygrad_rnn as tr
    >>> tr.eq(tr.tensor([2.0, 1.0]), 2).tolist()
    [True, False]
    """
    return Equal.apply(a, b)


def ne(a, b):
    """a != b as a bool mask (no gradient).

    >>> import tinygrad_rnn as tr
    >>> tr.ne(tr.tensor([2.0, 1.0]), 2).tolist()
    [False, True]
    """
    return NotEqual.apply(a, b)


def logical_and(a, b):
    """Elementwise "and" of two masks.

    >>> import tinygrad_rnn as tr
    >>> tr.logical_and(tr.tensor([True, True]), tr.tensor([True, False])).tolist()
    [True, False]
    """
    return LogicalAnd.apply(a, b)


def logical_or(a, b):
    """Elementwise "or" of two masks.

    >>> import tinygrad_rnn as tr
    >>> tr.logical_or(tr.tensor([True, False]), tr.tensor([False, False])).tolist()
    [True, False]
    """
    return LogicalOr.apply(a, b)


def logical_not(a):
    """Elementwise "not" of a mask.

    >>> import tinygrad_rnn as tr
    >>> tr.logical_not(tr.tensor([True, False])).tolist()
    [False, True]
    """
    return LogicalNot.apply(a)


def sign(x):
    """−1, 0 or +1 by the sign of each entry (no gradient).

    >>> import tinygrad_rnn as tr
    >>> tr.sign(tr.tensor([-2.0, 0.0, 3.0])).tolist()
    [-1.0, 0.0, 1.0]
    """
    return Sign.apply(x)
