"""What a third student's reading of the plain path (README → docs/autodiff.md → code) found: messages
that named the wrong cause or none for a first hand-written op written in PyTorch's habits, and prose
that said what the code no longer does. Each test fails on the code before it.
"""

import re
from pathlib import Path

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import ops
from tinygrad_rnn.device import array_module
from tinygrad_rnn.ops.elementwise import Broadcasting

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
