"""What a third student's reading of the plain path (README → docs/autodiff.md → code) found: messages
that named the wrong cause or none for a first hand-written op written in PyTorch's habits, and prose
that said what the code no longer does. Each test fails on the code before it.
"""

import re
from pathlib import Path

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import ops
from tinygrad_rnn.device import array_module
from tinygrad_rnn.ops.elementwise import Broadcasting
from tinygrad_rnn.ops.linalg import linear_backward

ROOT = Path(__file__).resolve().parent.parent
AUTODIFF = " ".join((ROOT / "docs" / "autodiff.md").read_text().split())


class Softsign(tr.Function):
    """x / (1 + |x|);   d/dx = 1 / (1 + |x|)²"""
    saves_output = False

    def forward(self, x):
        return x / (1 + array_module(x).abs(x))

    def backward(self, grad, out, x):
        return grad / (1 + ops.abs(x)) ** 2


def a_leaf():
    return tr.tensor([-2.0, -0.5, 0.3, 3.0], dtype="float64", requires_grad=True)


def raised_by(run) -> str:
    with pytest.raises(Exception) as caught:
        run()
    return f"{type(caught.value).__name__}: {caught.value}"


# --- a backward's gradients in a list ----------------------------------------------------------------------------


class ProductAsList(Softsign):
    def forward(self, a, b):
        return a * b

    def backward(self, grad, out, a, b):
        return [grad * b, grad * a]  # a list, as a comprehension makes: the walk takes it as one gradient


def test_a_backward_returning_its_gradients_in_a_list_is_told_to_return_a_tuple():
    """It used to say 'returned 1 gradients for its 2 inputs', of a backward that had returned two."""
    message = raised_by(lambda: ProductAsList.apply(a_leaf(), a_leaf()).sum().backward())
    assert message.startswith("GraphError: backward of product_as_list returned a list ([…] of 2, taken as one "
                              "gradient: return a tuple instead) for its 2 inputs"), message


# --- backward's signature, told by where the call failed, not by the function's name ------------------------------


class SoftsignAsLambda(Softsign):
    backward = lambda self, grad: grad  # noqa: E731 - PyTorch's backward(ctx, grad), written as a lambda


class CallsAHelperWrongly(Softsign):
    def backward(self, grad, out, x):
        return linear_backward(grad)  # the helper's arguments wrong, not backward's own


@pytest.mark.parametrize("check", ["backward", "gradcheck"])
def test_a_backward_with_the_wrong_signature_is_told_how_backward_is_called_whatever_its_name(check):
    """A lambda's TypeError names '<lambda>()', not 'backward()': the message used to blame saves_output."""
    run = (lambda: SoftsignAsLambda.apply(a_leaf()).sum().backward()) if check == "backward" else \
        (lambda: tr.gradcheck(SoftsignAsLambda.apply, [a_leaf()]))
    message = raised_by(run)
    assert "backward is called as backward(grad, out, *inputs)" in message and "def backward(self, grad, out, x)" \
        in message, message
    assert "saves_output" not in message  # not the cause


def test_a_wrong_call_inside_backward_is_not_taken_for_backwards_own_signature():
    """``linear_backward() missing … positional arguments`` used to be read as backward's own signature."""
    message = raised_by(lambda: CallsAHelperWrongly.apply(a_leaf()).sum().backward())
    assert "linear_backward() missing" in message and "backward is called as" not in message, message


# --- forward written as PyTorch's: forward(ctx, x), a tuple without multiple_outputs -----------------------------


class TorchStyle(tr.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


class TwoOutputsUndeclared(Softsign):
    def forward(self, x):
        return x * 2, x * 3  # PyTorch's Function returns several outputs with no flag

    def backward(self, grads, outs, x):
        return 2 * grads[0] + 3 * grads[1]


class ReturnsANumber(Softsign):
    def forward(self, x):
        return float((x * x).sum())


def test_a_forward_written_as_pytorchs_is_told_how_forward_is_called_not_that_its_inputs_are_wrong():
    """It used to say 'torchy: cannot apply to Tensor(…)': the tensor was blamed for forward's signature."""
    message = raised_by(lambda: TorchStyle.apply(a_leaf()))
    assert message.startswith("TypeError: torch_style: forward could not be called (TorchStyle.forward() missing 1 "
                              "required positional argument: 'x'). It is called as forward(*inputs)"), message
    assert "def forward(self, x) — a method, with no ctx and no @staticmethod" in message
    assert "cannot apply to" not in message


def test_an_error_inside_forward_still_names_the_inputs():
    message = raised_by(lambda: tr.ones(2) + tr.ones(3))
    assert message.startswith("ShapeError: add: cannot apply to") and "forward could not be called" not in message


@pytest.mark.parametrize("recording", [True, False], ids=["recorded", "under-no_grad"])
def test_a_forward_returning_a_tuple_undeclared_names_the_op_and_multiple_outputs(recording):
    """It used to raise "'tuple' object has no attribute 'dtype'" from the recorder — and under no_grad
    returned a Tensor holding a tuple."""
    with tr.set_grad_enabled(recording):
        message = raised_by(lambda: TwoOutputsUndeclared.apply(a_leaf()))
    assert message.startswith("TypeError: forward of two_outputs_undeclared returned a tuple of 2, not an array. An "
                              "op with several outputs says so on its class, multiple_outputs = True"), message


def test_a_forward_returning_a_python_number_names_the_op():
    message = raised_by(lambda: ReturnsANumber.apply(a_leaf()))
    assert message.startswith("TypeError: forward of returns_a_number returned 13.34, not an array"), message


def test_a_reductions_numpy_scalar_is_still_kept_as_a_0d_array():
    total, loss = a_leaf().sum(), tr.nn.functional.cross_entropy(tr.ones(2, 3, requires_grad=True), tr.tensor([0, 2]))
    for value in (total, loss):
        assert type(value.array) is numpy.ndarray and value.shape == () and value.requires_grad


# --- the contract, on the methods arrays and Tensors share ---------------------------------------------------------


class SoftsignByMethods(Softsign):
    def backward(self, grad, out, x):  # .reshape, .T and .sum, as linear's backward: arrays have them too
        spread = (grad / (1 + ops.abs(x)) ** 2).reshape(1, -1)
        return spread.T.sum(1)


def test_the_contract_names_the_methods_arrays_share_and_a_backward_using_them_passes_both_checks():
    """'no Tensor methods', said without exception, made linear's backward (all methods) look wrong."""
    contract = " ".join(tr.function.__doc__.split())
    assert "no Tensor methods** in a backward (PyTorch habit) but those arrays share (``.reshape``, ``.T``, " \
           "``.sum``, as linear's)" in contract
    tr.gradcheck(SoftsignByMethods.apply, [a_leaf()])
    tr.gradgradcheck(SoftsignByMethods.apply, [a_leaf()])


# --- docs/autodiff.md ------------------------------------------------------------------------------------------------


def test_the_docs_say_an_op_comes_after_its_users_were_recorded_not_that_they_are_deeper():
    """The order is sequence_nr; nothing has had a depth since."""
    assert "deeper" not in AUTODIFF and "depth" not in AUTODIFF
    assert "every op that used any of them was recorded later (a larger `sequence_nr`)" in AUTODIFF
    assert "Every op records its parents, the vertices of its inputs." in AUTODIFF


def test_the_docs_name_every_broadcasting_op_of_ops():
    """expand (ops/shape.py) returns its gradient at the output's shape too, and was left out."""
    listed = re.search(r"\(`Broadcasting`: ([^)]*)\)", AUTODIFF).group(1)
    symbols = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "matmul": "matmul's batch"}
    found, stack = [], list(Broadcasting.__subclasses__())
    while stack:
        op = stack.pop()
        stack.extend(op.__subclasses__())
        if op.__module__.startswith("tinygrad_rnn.ops."):
            found.append(op.name)
    assert "expand" in found and len(found) == 12
    assert not [name for name in found if symbols.get(name, name) not in listed.split(", ")], listed
