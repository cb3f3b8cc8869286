"""fast/recorder.py records what the plain path records, to the last field: a graph made both ways is
described field by field (every slot of each op, its Node and its Tensor) and the two descriptions compared."""

import re

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import fast
from tinygrad_rnn.engine import ops_in_order
from tinygrad_rnn.function import Function, Node
from tinygrad_rnn.steps import Chain, Step, at_step

CHAIN = Chain("RNN", 0, "forward")  # (one for both graphs: each Chain made has a serial number of its own)
RNN = tr.nn.RNN(3, 2, fused="step", dtype="float64")  # (made once: its initial values are in-place writes,
# which every op recorded after them counts, recorded_at)
OP_SLOTS = ("saved_output", "needs_input_grad", "scope", "step", "recorded_at", "released", "is_gradient")


def graph(second_order: bool):
    """A graph of every kind of op and input the recorder meets: leaves (saved and not), constants (a
    number, a NumPy scalar, an array), ops with parameters, one with several outputs, a comparison,
    an op on ids, ops in a scope and a step, a recurrent layer's, and (second_order) a backward that
    create_graph records."""
    x = tr.tensor([0.5, -1.0, 2.0], dtype="float64", requires_grad=True)
    c = tr.tensor([2.0, 3.0, 4.0], dtype="float64")
    y = (x * c + x).tanh()  # mul of two leaves, add of a computed tensor and a leaf not saved
    y = y * numpy.float64(2.0) - 1  # a NumPy scalar, a Python number
    with tr.scope("RNN"), at_step(CHAIN, 3):
        y = tr.sigmoid(y) * numpy.array([1.0, 2.0, 3.0])
    parts = y.split(1)  # several outputs: the plain way
    mask = y > 0.5  # not differentiable
    ids = tr.tensor([2, 0]).reshape(2)  # ids: nothing recorded
    hidden = RNN(y.reshape(1, 1, 3))[0]  # fast/'s fused cell where installed: an op class with an __init__
    loss = (parts[0] * parts[2]).sum() + (y * mask).sum(dim=0) + y[ids].sum() + hidden.sum()
    outputs = [loss, mask, ids]
    if second_order:
        (gradient,) = tr.grad(loss, x, create_graph=True)
        outputs.append((gradient * gradient).sum())
    return outputs


def described(outputs):
    """Every op's fields, its inputs' vertices named by their place in the order (or as the constant)."""
    leaves, ops = ops_in_order([o._node or o for o in outputs if o.requires_grad])
    names = {id(leaf): f"leaf {i}" for i, leaf in enumerate(leaves)}
    rows = []
    for place, (op, reached) in enumerate(ops.items()):
        for vertex in reached if op.multiple_outputs else (reached,):
            names[id(vertex)] = f"op {place} output {vertex.output_index}"
        rows.append((type(op).__name__, place, [_value(getattr(op, slot, None)) for slot in OP_SLOTS],
                     [names.get(id(p), _value(p)) for p in op.parents],
                     [_value(s) for s in op.saved_inputs], _value(getattr(op, "gradient_of", None))))
        for vertex in reached if op.multiple_outputs else (reached,):
            rows.append((vertex.output_index, vertex.shape, vertex.dtype, vertex.device, vertex.retained,
                         vertex._backward_hooks, vertex.name))
    order = [op.sequence_nr for op in ops]
    assert order == sorted(order)
    rows += [(type(o).__name__, o.requires_grad, type(o.grad_fn).__name__, o.dtype, o.shape) for o in outputs]
    return rows


def _value(value):
    if isinstance(value, numpy.ndarray):
        return ("array", value.dtype, value.tolist())
    if isinstance(value, Node):
        return ("node", value.shape, value.dtype, value.grad_fn is None)
    if isinstance(value, Function):
        return ("op", type(value).__name__)
    if isinstance(value, Step):  # (each run of a layer is a Chain of its own, numbered: not the numbers)
        return re.sub(r"serial=\d+", "", repr(value))
    if isinstance(value, tr.Tensor):  # a leaf the walk does not deliver to (needs no gradient)
        return ("tensor", value.requires_grad, _value(value.array))
    return value


@pytest.mark.parametrize("second_order", [False, True], ids=["first order", "create_graph"])
def test_the_fast_recorder_records_what_the_plain_path_records(second_order):
    was_installed = Function.apply.__func__ is fast.recorder.apply
    try:  # (only this seam changes: the others stay as they are, so both graphs have the same ops)
        fast.recorder.uninstall()
        assert Function.apply.__func__ is not fast.recorder.apply
        plain = described(graph(second_order))
        fast.recorder.install()
        assert Function.apply.__func__ is fast.recorder.apply  # the seam is filled
        assert described(graph(second_order)) == plain
    finally:
        (fast.recorder.install if was_installed else fast.recorder.uninstall)()


def test_an_array_in_gives_an_array_out_and_a_bad_input_names_the_op(fast_path):
    a = numpy.array([1.0, 2.0])
    assert type(tr.ops.mul(a, a)) is numpy.ndarray  # (a backward's arrays: nothing recorded)
    with pytest.raises(Exception, match="mul"):
        tr.ones(2, requires_grad=True) * tr.ones(3)
