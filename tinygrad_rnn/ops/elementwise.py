"""Elementwise ops: arithmetic and the activation functions (comparisons are in compare.py).

Each class is one op, ``forward`` and ``backward`` side by side (the op contract: tinygrad_rnn/function.py).
Ops of two or more inputs broadcast like NumPy (:class:`Broadcasting`): their backward gives each
input's gradient at the output's shape, which the walk sums back to the input's shape. ``needs_input_grad`` skips
gradients nobody asked for (the ``1`` in ``1 - z``, a constant, needs none).
"""

from __future__ import annotations

import operator

from ..device import array_module
from ..function import Function
from .compare import BROADCAST_HINT, logical_and, sign

__all__ = ["abs", "add", "add_n", "clamp", "div", "exp", "lerp", "log", "maximum", "minimum", "mul", "neg", "pow",
           "relu", "sigmoid", "sqrt", "sub", "tanh", "where"]  # (tinygrad_rnn.ops exports these)


class Broadcasting(Function):
    """Base of the ops whose inputs broadcast together as in NumPy. Their backward returns each
    input's gradient at the output's shape, and the walk sums it back to the input's shape
    (``engine``, with :func:`~tinygrad_rnn.ops.reduce.sum_to`): an input that was broadcast was used
    once per copy, so the gradients of its copies add up, as those of any value used twice do."""

    hint = BROADCAST_HINT


class Add(Broadcasting):
    """a + b;   ∂/∂a = 1,  ∂/∂b = 1"""

    saves_inputs = saves_output = False  # backward needs shapes, not values

    def forward(self, a, b):
        return a + b

    def backward(self, grad, out, a, b):
        return grad, grad


class Sub(Broadcasting):
    """a − b;   ∂/∂a = 1,  ∂/∂b = −1"""

    saves_inputs = saves_output = False  # backward needs shapes, not values

    def forward(self, a, b):
        return a - b

    def backward(self, grad, out, a, b):
        return grad, -grad if self.needs_input_grad[1] else None


class Mul(Broadcasting):
    """a · b;   ∂/∂a = b,  ∂/∂b = a"""

    saves_output = False

    def forward(self, a, b):
        return a * b

    def backward(self, grad, out, a, b):
        need_a, need_b = self.needs_input_grad
        return grad * b if need_a else None, grad * a if need_b else None


class Div(Broadcasting):
    """a / b;   ∂/∂a = 1/b,  ∂/∂b = −a/b² = −out/b"""

    saves_inputs = (1,)  # backward reads b and out, not a

    def forward(self, a, b):
        return a / b

    def backward(self, grad, out, a, b):
        need_a, need_b = self.needs_input_grad
        return grad / b if need_a else None, -grad * out / b if need_b else None


class Neg(Function):
    """−a;   ∂/∂a = −1"""

    saves_inputs = saves_output = False  # backward needs shapes, not values

    def forward(self, a):
        return -a

    def backward(self, grad, out, a):
        return -grad


class Pow(Broadcasting):
    """a ** b;   ∂/∂a = b·a^(b−1),  ∂/∂b = a^b · ln a"""

    def forward(self, a, b):
        return a**b

    def backward(self, grad, out, a, b):  # (ln a only when b needs it: x ** 2 has no ln of a negative x)
        need_a, need_b = self.needs_input_grad
        return grad * b * a ** (b - 1) if need_a else None, grad * out * log(a) if need_b else None


class Exp(Function):
    """exp(x);   d/dx exp(x) = exp(x)"""

    saves_inputs = False

    def forward(self, x):
        return array_module(x).exp(x)

    def backward(self, grad, out, x):
        return grad * out


class Log(Function):
    """ln(x);   d/dx ln(x) = 1/x"""

    saves_output = False

    def forward(self, x):
        return array_module(x).log(x)

    def backward(self, grad, out, x):
        return grad / x


class Sqrt(Function):
    """√x;   d/dx √x = 1 / (2√x)"""

    saves_inputs = False

    def forward(self, x):
        return array_module(x).sqrt(x)

    def backward(self, grad, out, x):
        return grad / (2 * out)


class Abs(Function):
    """|x|;   d/dx |x| = sign(x)  (0 at 0, as in PyTorch)"""

    saves_output = False

    def forward(self, x):
        return array_module(x).abs(x)

    def backward(self, grad, out, x):
        return grad * sign(x)


class Tanh(Function):
    """tanh(x);   d/dx tanh(x) = 1 − tanh(x)²"""

    saves_inputs = False

    def forward(self, x):
        return array_module(x).tanh(x)

    def backward(self, grad, out, x):
        return grad * (1 - out * out)


def sigmoid_array(x):
    """σ on a plain array (Sigmoid's forward, and the fused cells'): σ(x) = (1 + tanh(x/2)) / 2
    exactly; unlike 1/(1+exp(−x)) it never overflows."""
    return 0.5 + 0.5 * array_module(x).tanh(0.5 * x)


class Sigmoid(Function):
    """σ(x) = 1 / (1 + e^(−x));   d/dx σ(x) = σ(x)(1 − σ(x))"""

    saves_inputs = False

    def forward(self, x):
        return sigmoid_array(x)

    def backward(self, grad, out, x):
        return grad * out * (1 - out)


class Relu(Function):
    """max(x, 0);   d/dx relu(x) = 1 where x > 0, else 0"""

    saves_output = False

    def forward(self, x):
        return array_module(x).maximum(x, 0)

    def backward(self, grad, out, x):
        return grad * (x > 0)


class Clamp(Function):
    """min(max(x, low), high);   d/dx = 1 where low ≤ x ≤ high, else 0 (as in PyTorch)"""

    saves_output = False

    def forward(self, x):
        return array_module(x).clip(x, self.low, self.high)

    def backward(self, grad, out, x):
        inside = (x >= self.low) if self.low is not None else None
        if self.high is not None:
            inside = (x <= self.high) if inside is None else logical_and(inside, x <= self.high)
        return grad * inside


class Maximum(Broadcasting):
    """maximum(a, b);   the gradient goes to the input the output is (the larger), half to each on a tie"""
    saves_output = False  # (the rule compares the inputs: the output is not kept until backward)
    a_wins = staticmethod(operator.gt)  # whether the output is a

    def forward(self, a, b):
        return array_module(a, b).maximum(a, b)

    def backward(self, grad, out, a, b):
        to_a = where(a == b, grad * 0.5, where(self.a_wins(a, b), grad, 0))
        return to_a, grad - to_a


class Minimum(Maximum):
    """minimum(a, b);   Maximum's rule: the gradient goes to the input the output is (the smaller)"""
    a_wins = staticmethod(operator.lt)

    def forward(self, a, b):
        return array_module(a, b).minimum(a, b)


class Where(Broadcasting):
    """condition ? a : b;   ∂/∂a = condition,  ∂/∂b = not condition"""

    saves_inputs, saves_output = (0,), False  # backward reads the condition only

    hint = "condition must be a bool tensor; the three shapes must broadcast together"

    def forward(self, condition, a, b):
        return array_module(condition, a, b).where(condition, a, b)

    def backward(self, grad, out, condition, a, b):
        _, need_a, need_b = self.needs_input_grad
        return None, where(condition, grad, 0) if need_a else None, where(condition, 0, grad) if need_b else None


class Lerp(Broadcasting):
    """start + weight · (end − start), linear interpolation (PyTorch's lerp; a GRU's update);
    ∂/∂start = 1 − weight,  ∂/∂end = weight,  ∂/∂weight = end − start"""

    saves_output = False

    def forward(self, start, end, weight):
        return start + weight * (end - start)

    def backward(self, grad, out, start, end, weight):
        to_end = grad * weight
        return grad - to_end, to_end, grad * (end - start) if self.needs_input_grad[2] else None


class AddN(Broadcasting):
    """x₁ + x₂ + … + xₙ;   ∂/∂xᵢ = 1.  The Σ node that sums a tensor's gradient contributions
    when create_graph=True records a backward pass: one input per use, e.g. per time step."""

    saves_inputs = saves_output = False  # backward needs shapes, not values

    def forward(self, *terms):
        return sum(terms[1:], start=terms[0])  # one new array per + (terms[0] is never written)

    def backward(self, grad, out, *terms):
        return (grad,) * len(terms)


# --- functional forms: work on Tensors (recorded) and on plain arrays (as in backward) ----------


def add(a, other, *, alpha=1):
    """a + alpha · b, broadcasting as NumPy does (the op behind ``+``; ``alpha`` as in ``torch.add``).

    >>> import tinygrad_rnn as tr
    >>> tr.add(tr.tensor([1.0, 2.0]), 1).tolist(), tr.tensor([1.0]).add(tr.tensor([2.0]), alpha=3).tolist()
    ([2.0, 3.0], [7.0])
    """
    return Add.apply(a, other if alpha == 1 else other * alpha)


def sub(a, other, *, alpha=1):
    """a − alpha · b, broadcasting (the op behind ``-``; ``alpha`` as in ``torch.sub``).

    >>> import tinygrad_rnn as tr
    >>> tr.sub(tr.tensor([3.0]), tr.tensor([1.0, 2.0])).tolist()
    [2.0, 1.0]
    """
    return Sub.apply(a, other if alpha == 1 else other * alpha)


def mul(a, other):
    """a · b elementwise, broadcasting (the op behind ``*``).

    >>> import tinygrad_rnn as tr
    >>> tr.mul(tr.tensor([1.0, 2.0]), 3).tolist()
    [3.0, 6.0]
    """
    return Mul.apply(a, other)


def div(a, other):
    """a / b elementwise, broadcasting (the op behind ``/``).

    >>> import tinygrad_rnn as tr
    >>> tr.div(tr.tensor([1.0, 2.0]), 4).tolist()
    [0.25, 0.5]
    """
    return Div.apply(a, other)


def neg(a):
    """−a (the op behind unary ``-``).

    >>> import tinygrad_rnn as tr
    >>> tr.neg(tr.tensor([1.0, -2.0])).tolist()
    [-1.0, 2.0]
    """
    return Neg.apply(a)


def pow(a, exponent):
    """a ** exponent; the exponent may be a number or a tensor (the op behind ``**``).

    >>> import tinygrad_rnn as tr
    >>> tr.pow(tr.tensor([2.0, 3.0]), 2).tolist()
    [4.0, 9.0]
    """
    return Pow.apply(a, exponent)


def exp(x):
    """e to the power x, elementwise.

    >>> import tinygrad_rnn as tr
    >>> round(tr.exp(tr.tensor(1.0)).item(), 4)
    2.7183
    """
    return Exp.apply(x)


def log(x):
    """The natural logarithm, elementwise.

    >>> import tinygrad_rnn as tr
    >>> tr.log(tr.tensor([1.0])).tolist()
    [0.0]
    """
    return Log.apply(x)


def sqrt(x):
    """The square root, elementwise.

    >>> import tinygrad_rnn as tr
    >>> tr.sqrt(tr.tensor([4.0, 9.0])).tolist()
    [2.0, 3.0]
    """
    return Sqrt.apply(x)


def abs(x):
    """|x|, elementwise.

    >>> import tinygrad_rnn as tr
    >>> tr.abs(tr.tensor([-2.0, 3.0])).tolist()
    [2.0, 3.0]
    """
    return Abs.apply(x)


def tanh(x):
    """The hyperbolic tangent, elementwise: an RNN's usual nonlinearity.

    >>> import tinygrad_rnn as tr
    >>> tr.tanh(tr.tensor([0.0])).tolist()
    [0.0]
    """
    return Tanh.apply(x)


def sigmoid(x):
    """σ(x) = 1 / (1 + e^(−x)), elementwise: the gates of LSTMs and GRUs.

    >>> import tinygrad_rnn as tr
    >>> tr.sigmoid(tr.tensor([0.0])).tolist()
    [0.5]
    """
    return Sigmoid.apply(x)


def relu(x):
    """max(x, 0), elementwise.

    >>> import tinygrad_rnn as tr
    >>> tr.relu(tr.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return Relu.apply(x)


def clamp(x, min=None, max=None):
    """Clip x to [min, max]; either bound may be None.

    >>> import tinygrad_rnn as tr
    >>> tr.clamp(tr.tensor([-2.0, 0.5, 2.0]), -1, 1).tolist()
    [-1.0, 0.5, 1.0]
    """
    if min is None and max is None:
        raise ValueError("clamp: give at least one of min and max")
    return Clamp.apply(x, low=min, high=max)


def maximum(a, other):
    """The larger of a and b, elementwise (a tie sends half the gradient to each).

    >>> import tinygrad_rnn as tr
    >>> tr.maximum(tr.tensor([1.0, 5.0]), 3).tolist()
    [3.0, 5.0]
    """
    return Maximum.apply(a, other)


def minimum(a, other):
    """The smaller of a and b, elementwise (a tie sends half the gradient to each).

    >>> import tinygrad_rnn as tr
    >>> tr.minimum(tr.tensor([1.0, 5.0]), 3).tolist()
    [1.0, 3.0]
    """
    return Minimum.apply(a, other)


def where(condition, a, b):
    """Elementwise ``a if condition else b``; the condition is a bool mask.

    >>> import tinygrad_rnn as tr
    >>> tr.where(tr.tensor([True, False]), tr.tensor([1.0, 2.0]), 0.0).tolist()
    [1.0, 0.0]
    """
    return Where.apply(condition, a, b)


def lerp(input, end, weight):
    """input + weight · (end − input): from ``input`` (weight 0) to ``end`` (weight 1), elementwise,
    broadcasting; ``weight`` is a tensor or a number. As ``torch.lerp``.

    >>> import tinygrad_rnn as tr
    >>> tr.lerp(tr.tensor([0.0, 10.0]), tr.tensor([4.0, 20.0]), 0.25).tolist()
    [1.0, 12.5]
    """
    return Lerp.apply(input, end, weight)


def add_n(*terms):
    """The sum of several tensors of one shape, as a single Σ node.

    >>> import tinygrad_rnn as tr
    >>> tr.add_n(tr.ones(2), tr.ones(2), tr.ones(2)).tolist()
    [3.0, 3.0]
    """
    return AddN.apply(*terms)
