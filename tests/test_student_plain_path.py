"""What a student reading the plain path (README → docs/autodiff.md → code) tripped on: the
breakpoint the docs recommend, and the messages a first hand-written op gets.

Her op is softsign, x / (1 + |x|), written from the op contract (tinygrad_rnn/function.py), and
then written wrong in the ways a PyTorch user does.
"""

import contextlib
import inspect
import re
import sys
from pathlib import Path

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import engine, fast, ops
from tinygrad_rnn.device import array_module

ROOT = Path(__file__).resolve().parent.parent


class Softsign(tr.Function):
    """x / (1 + |x|);   d/dx = 1 / (1 + |x|)²"""
    saves_output = False

    def forward(self, x):
        return x / (1 + array_module(x).abs(x))

    def backward(self, grad, out, x):
        d = 1 + ops.abs(x)
        return grad / (d * d)


class CallsATensorMethod(Softsign):
    def backward(self, grad, out, x):  # PyTorch-style: x is an array here, without .abs()
        d = 1 + x.abs()
        return grad / (d * d)


class ReturnsTwoGradients(Softsign):
    def backward(self, grad, out, x):  # one input, two gradients
        d = 1 + ops.abs(x)
        return grad / (d * d), None


class SumsItsGradient(Softsign):
    def backward(self, grad, out, x):  # a scalar for an input of shape (3,)
        d = 1 + ops.abs(x)
        return (grad / (d * d)).sum()


class ForgetsTheSquare(Softsign):
    def backward(self, grad, out, x):
        return grad / (1 + ops.abs(x))


class ForgetsItsInput(Softsign):
    saves_inputs = False  # wrong: backward reads x


def a_leaf():
    return tr.tensor([-1.5, 0.25, 2.0], dtype="float64", requires_grad=True)


def test_the_op_written_by_the_contract_passes_both_checks():
    x = a_leaf()
    assert tr.gradcheck(Softsign.apply, [x]) and tr.gradgradcheck(Softsign.apply, [x])


# --- 1. the breakpoint the docs recommend sees every step's term ---------------------------------------------


def test_every_step_term_of_a_shared_weight_passes_the_line_of_the_plus():
    """README: run with TINYGRAD_RNN_FAST=0 and break at the ``+`` in GradientTable.add. The line used
    to be reached by T − 1 of the T terms (the first one took an ``else:`` of its own)."""
    source, first = engine.GradientTable.add.__code__, engine.GradientTable.add.__code__.co_firstlineno
    lines = [first + i for i, text in enumerate(inspect.getsource(engine.GradientTable.add).splitlines())
             if "self.totals[vertex] + term" in text]
    assert len(lines) == 1, "GradientTable.add has one line with the + of the chain rule"
    torch_like = tr.nn.RNN(2, 3)
    W_hh, steps = torch_like.weight_hh_l0, 5
    seen = []

    def tracer(frame, event, arg):
        if frame.f_code is not source:
            return None
        def on_line(frame, event, arg):
            if event == "line" and frame.f_lineno == lines[0] and frame.f_locals["vertex"] is W_hh:
                seen.append(frame.f_locals["scope"])
            return on_line
        return on_line

    was_installed = fast.gradient_table.installed()
    fast.uninstall()  # the plain path: the plain table, as TINYGRAD_RNN_FAST=0
    try:
        output, _ = torch_like(tr.randn(steps, 1, 2))
        loss = output.sum()
        sys.settrace(tracer)
        try:
            loss.backward()
        finally:
            sys.settrace(None)
    finally:
        if was_installed:
            fast.install()
    assert len(seen) == steps, f"the + line saw {len(seen)} of the {steps} steps' terms: {seen}"


# --- 2–4. a hand-written backward's mistakes, named with what to do --------------------------------------------


def test_a_tensor_method_on_a_plain_backwards_array_names_the_ops_function_not_saves_output():
    x = a_leaf()
    with pytest.raises(AttributeError, match=r"backward of calls_a_tensor_method failed .*ndarray' object has no "
                                             r"attribute 'abs'.*no Tensor methods.*ops\.abs\(x\), not x\.abs\(\)") \
            as caught:
        CallsATensorMethod.apply(x * 1).sum().backward()
    assert "saves_output" not in str(caught.value) and "saves_inputs" not in str(caught.value)  # not the cause


def test_the_contract_says_tensor_methods_do_not_exist_on_a_plain_backwards_arrays():
    contract = tr.function.__doc__
    assert "x.abs()" in contract and "ops.abs(x)" in contract


def test_a_backward_returning_more_gradients_than_inputs_is_an_error_naming_the_op():
    """It used to pass gradcheck and gradgradcheck: the walk's zip dropped the extra gradient."""
    x = a_leaf()
    with pytest.raises(tr.GraphError, match=r"backward of returns_two_gradients returned 2 gradients for its 1 input "
                                            r"\(Tensor\(shape=\(3,\), float64, cpu\)\)\. Return one per input"):
        ReturnsTwoGradients.apply(x).sum().backward()
    with pytest.raises(tr.GraphError, match="returned 2 gradients for its 1 input"):
        tr.gradcheck(ReturnsTwoGradients.apply, [x])


def test_a_backward_returning_fewer_gradients_than_inputs_is_an_error_too():
    class OneForTwo(tr.Function):
        def forward(self, a, b):
            return a * b

        def backward(self, grad, out, a, b):
            return (grad * b,)  # b's gradient forgotten

    a, b = a_leaf(), a_leaf()
    with pytest.raises(tr.GraphError, match=r"backward of one_for_two returned 1 gradient for its 2 inputs"):
        OneForTwo.apply(a, b).sum().backward()


def test_a_gradient_of_the_wrong_shape_says_what_to_do():
    x = a_leaf()
    with pytest.raises(tr.ShapeError, match=r"backward of sums_its_gradient returned a gradient of shape \(\) for an "
                                            r"input of shape \(3,\)\. Each gradient must have its input's shape .*"
                                            r"tinygrad_rnn/function\.py"):
        SumsItsGradient.apply(x).sum().backward()



# --- what a backward returns: every wrong kind of value named, with what to return -------------------------------

def returning(value):
    """Softsign with a backward that returns ``value(grad, d)`` (d = 1 + |x|), not grad / d²."""
    class Returns(Softsign):
        def backward(self, grad, out, x):
            return value(grad, 1 + ops.abs(x))
    return Returns


WRONG_RETURNS = {  # what a student writes → (the error, what its message says)
    "a list": (lambda grad, d: [grad / (d * d)], tr.ReturnedGradientError,
               r"backward of returns returned a list \(\[…\] of 1\) as the gradient of an input, not an array\. "
               r"The walk takes a tuple, and only a tuple, as one gradient per input: return the gradient itself"),
    "a number": (lambda grad, d: 1.0, tr.ReturnedGradientError,
                 r"returned the number 1\.0 as the gradient of an input, not an array: a gradient has its input's "
                 r"shape and dtype .*Return an array: an expression of grad \(grad \* 1\.0\)"),
    "None for an input that needs one": (lambda grad, d: None, tr.ReturnedGradientError,
                                         r"returned None as the gradient of an input that needs one \(needs_input_grad "
                                         r"= \(True,\), of Tensor\(shape=\(3,\), float64, cpu\)\)\. .*"
                                         r"xp\.zeros_like\(x\)"),
    "a mask": (lambda grad, d: d > 2, tr.ReturnedGradientError,
               r"returned a gradient of dtype bool for an input of dtype float64: .*multiply grad by it "
               r"\(grad \* mask\)"),
    "a tuple in a tuple": (lambda grad, d: ((grad, grad),), tr.ReturnedGradientError,
                           r"returned a tuple \(\[…\] of 2\)"),
}


@pytest.mark.parametrize("create_graph", [False, True], ids=["plain", "recorded"])
@pytest.mark.parametrize("mistake", list(WRONG_RETURNS))
def test_each_wrong_kind_of_returned_gradient_is_named_on_both_paths(mistake, create_graph):
    """These used to raise a bare AttributeError from the walk ('list' object has no attribute 'shape'), or pass
    without a word: None left x.grad None (and grad() said x was not used), a mask was cast to 0s and 1s."""
    value, error, message = WRONG_RETURNS[mistake]
    x = a_leaf()
    with pytest.raises(error, match=message) as caught:
        if create_graph:
            tr.grad(returning(value).apply(x).sum(), x, create_graph=True)
        else:
            returning(value).apply(x).sum().backward()
    assert "See the op contract in tinygrad_rnn/function.py" in str(caught.value)
    assert isinstance(caught.value, TypeError)  # the kind a Python user expects of a value of the wrong type


@pytest.mark.parametrize("installed", [True, False], ids=["fast", "plain table"])
def test_a_tensor_from_a_plain_backward_is_named_at_the_leaf_and_by_detect_anomaly_at_its_op(installed):
    """It used to pass without a word: the Tensor flowed on through every backward to .grad."""
    wraps_in_a_tensor = returning(lambda grad, d: tr.tensor(grad / (d * d)))
    with gradient_table(installed):
        x = a_leaf()
        with pytest.raises(tr.ReturnedGradientError, match=TENSOR_AT_THE_LEAF):
            (wraps_in_a_tensor.apply(x * 1) * 2).sum().backward()
        with tr.detect_anomaly(), pytest.raises(tr.ReturnedGradientError,
                                                match=r"backward of returns returned a Tensor \(Tensor\(shape=\(3,\), "
                                                      r"float64, cpu\)\) where a plain backward returns an array"):
            (wraps_in_a_tensor.apply(x * 1) * 2).sum().backward()


@contextlib.contextmanager
def gradient_table(installed: bool):
    """fast/'s gradient table installed (or the plain one), and afterwards as it was."""
    was_installed = fast.gradient_table.installed()
    (fast.install if installed else fast.uninstall)()
    try:
        yield
    finally:
        (fast.install if was_installed else fast.uninstall)()


TENSOR_AT_THE_LEAF = r"the gradient reaching Tensor\(shape=\(3,\), float64, cpu\) is a Tensor .*tr\.detect_anomaly\(\)"


ENTRY_POINTS = {  # each way a gradient is delivered: into .grad, grad()'s results, grad_contributions()' terms
    "backward": lambda y, x: y.backward(),
    "grad": lambda y, x: tr.grad(y, x),
    "grad_contributions": lambda y, x: tr.grad_contributions(y, x),
}


@pytest.mark.parametrize("installed", [True, False], ids=["fast", "plain table"])
@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_a_tensor_from_a_plain_backward_is_named_by_every_entry_point(entry, installed):
    """grad() and grad_contributions() used to return the op's own Tensor without a word (only .grad named it)."""
    wraps_in_a_tensor = returning(lambda grad, d: tr.tensor(grad / (d * d)))
    with gradient_table(installed), pytest.raises(tr.ReturnedGradientError, match=TENSOR_AT_THE_LEAF):
        x = a_leaf()
        ENTRY_POINTS[entry]((wraps_in_a_tensor.apply(x * 1) * 2).sum(), x)


def test_an_array_from_a_recorded_backward_is_named_not_cut_from_the_graph():
    """It used to pass without a word, the gradient cut from the graph: its second derivative was lost."""
    takes_the_array = returning(lambda grad, d: (grad / (d * d)).array)  # its array: out of the graph
    x = a_leaf()
    with pytest.raises(tr.ReturnedGradientError, match=r"backward of returns returned an array \(ndarray\("
                                                       r"shape=\(3,\), float64\)\) where a recorded backward .* "
                                                       r"returns a Tensor"):
        tr.grad(takes_the_array.apply(x).sum(), x, create_graph=True)

# --- 8–11. the messages of in-place writes and of the checks ------------------------------------------------


@pytest.mark.parametrize("write, written", [(lambda p: p.data.zero_(), ".zero_()"),
                                            (lambda p: p.data.fill_(1.0), ".fill_()"),
                                            (lambda p: p.data.add_(p.data), ".add_(…)"),
                                            (lambda p: p.data.__setitem__(0, 1.0), "[…] =")],
                         ids=["zero_", "fill_", "add_", "setitem"])
def test_a_stale_saved_array_is_named_by_the_write_that_changed_it(write, written):
    p = tr.tensor([5.0, 5.0], requires_grad=True)
    y = (p * p).sum()
    write(p)
    with pytest.raises(tr.GraphError, match=rf"changed in place \({re.escape(written)} on a tensor"):
        y.backward()


def test_gradcheck_says_which_number_is_autodiff_and_which_run_it_came_from():
    x = a_leaf()
    with pytest.raises(AssertionError, match=r"gradient of input 0, backward on arrays: autodiff and finite "
                                             r"differences disagree; worst entry \(\d,\): autodiff [-\d.e]+, finite "
                                             r"differences [-\d.e]+"):
        tr.gradcheck(ForgetsTheSquare.apply, [x])


def test_gradgradcheck_alone_passes_a_wrong_first_derivative_as_its_docstring_says():
    x = a_leaf()
    assert tr.gradgradcheck(ForgetsTheSquare.apply, [x])  # the derivative of a wrong backward, consistently
    assert "Run :func:`gradcheck` first" in tr.gradgradcheck.__doc__


def test_an_unsaved_leaf_under_create_graph_is_described_as_its_stand_in_and_out_is_not_blamed():
    x = a_leaf()
    with pytest.raises(TypeError, match=r"backward of forgets_its_input failed .*does not save input 0 .*stand-in "
                                        r"with only its shape, dtype and device \(Node\(shape=\(3,\), float64\)\)") \
            as caught:
        tr.gradgradcheck(ForgetsItsInput.apply, [x])
    assert "saves_output" not in str(caught.value)  # backward never read out
    numpy.testing.assert_allclose(x.numpy(), [-1.5, 0.25, 2.0])  # the check left its input as it was


@pytest.mark.parametrize("where", ["README.md", "docs/autodiff.md"])
def test_the_breakpoint_the_docs_give_is_at_the_line_of_the_plus(where):
    cited = re.findall(r"b tinygrad_rnn/engine\.py:(\d+)", (ROOT / where).read_text())
    lines = Path(engine.__file__).read_text().splitlines()
    assert cited and all("self.totals[vertex] + term" in lines[int(line) - 1] for line in cited), cited
