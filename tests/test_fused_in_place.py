"""The layer node's backward as a hand-written BPTT runs it (``FusedLayer.in_place``): on CPU arrays,
every step's slopes made at once (the cells' ``slopes``), then a few in-place operations a step —
against the general loop (``gate_gradients`` at every step, what Tensors, the GPU, variable lengths
and second-order passes run), float64 to 1e-12, and taken exactly where it applies."""

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.fast import recurrent
from tinygrad_rnn.fast.recurrent.fused_cells import FusedGRUCell, FusedLSTMCell, FusedRNNCell
from tinygrad_rnn.fast.recurrent.layer_node import FusedLayer
from tinygrad_rnn.nn import recurrent as plain_recurrent

pytestmark = pytest.mark.skipif(plain_recurrent.RECURRENT_STEPPER is None,
                                reason="tests the fast stepper of tinygrad_rnn/fast/, which is not installed "
                                       "(TINYGRAD_RNN_FAST=0)")
CELLS = {"rnn": FusedRNNCell, "lstm": FusedLSTMCell, "gru": FusedGRUCell}


def layer_gradients(kind, time_dim, reverse, nonlinearity="tanh", bias=True, seed=0):
    """Every input's gradient of one layer node (float64, B = 2, T = 4, H = 3), from a loss that reads
    the output sequence and h_n (and an LSTM's c_n and c_1 … c_T): each gradient the loop takes in."""
    rng = numpy.random.default_rng(seed)
    steps, batch, size = 4, 2, 3
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[kind]

    def make(*shape):
        return tr.tensor(rng.standard_normal(shape), requires_grad=True)

    projected = make(*((steps, batch) if time_dim == 0 else (batch, steps)), gates * size)
    hidden, weight = make(batch, size), make(gates * size, size)
    weights = (weight, make(gates * size)) if bias else (weight,)
    where = {"time_dim": time_dim, "reverse": reverse}
    if kind == "lstm":
        cell_state = make(batch, size)
        inputs = [projected, hidden, cell_state, *weights]
        output, h_n, c_n, cells = recurrent.lstm_layer(*inputs, **where)
        loss = (output * output).sum() + (h_n * c_n).sum() + (cells * cells).sum()
    else:
        inputs = [projected, hidden, *weights]
        if kind == "gru":
            output, h_n = recurrent.gru_layer(*inputs, **where)
        else:
            output, h_n = recurrent.rnn_layer(*inputs, nonlinearity=nonlinearity, **where)
        loss = (output * output).sum() + (h_n * h_n * h_n).sum()
    return [gradient.numpy() for gradient in tr.grad(loss, inputs)]


@pytest.mark.parametrize("kind, nonlinearity", [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"),
                                                ("gru", "tanh")])
@pytest.mark.parametrize("time_dim, reverse, bias", [(0, False, True), (1, True, True), (1, False, False)])
def test_the_in_place_backward_equals_the_general_loop(kind, nonlinearity, time_dim, reverse, bias, monkeypatch):
    """The same gradients of every input (x_proj, h_0, c_0, W_hh, b_hh) both ways, batch first and
    reversed, with and without b_hh: the slopes factored out of the loop change no number beyond
    rounding."""
    in_place = layer_gradients(kind, time_dim, reverse, nonlinearity, bias)
    monkeypatch.setattr(FusedLayer, "in_place", lambda self, *args: False)
    general = layer_gradients(kind, time_dim, reverse, nonlinearity, bias)
    assert len(in_place) == len(general)
    for a, b in zip(in_place, general):
        numpy.testing.assert_allclose(a, b, atol=1e-12, rtol=0)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_the_in_place_backward_runs_where_it_applies_and_only_there(kind, monkeypatch):
    """A plain backward on CPU arrays calls no cell's ``gate_gradients`` (the loop is the in-place one);
    variable lengths and a recorded backward (create_graph) call it at every step, as before, and so
    does a layer of one step (a generation loop's call: nothing to make apart from the loop)."""
    calls = []
    original = CELLS[kind].gate_gradients

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(CELLS[kind], "gate_gradients", staticmethod(counted))
    layer = {"rnn": tr.nn.RNN, "lstm": tr.nn.LSTM, "gru": tr.nn.GRU}[kind](3, 4, fused=True, dtype="float64")
    x = tr.randn(5, 2, 3, dtype="float64", requires_grad=True)
    output, _ = layer(x)
    output.sum().backward()
    assert calls == []
    output, _ = layer(x, lengths=[5, 3])
    output.sum().backward()
    assert len(calls) == 5
    output, _ = layer(x)
    tr.grad(output.sum(), [x], create_graph=True)
    assert len(calls) == 10
    output, _ = layer(x[:1])
    output.sum().backward()
    assert len(calls) == 11


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_the_slopes_of_all_steps_at_once_are_each_steps_own(kind):
    """A cell's ``slopes`` over (T, B, …) equal its slopes step by step: what the layer makes before
    its loop is what each step's chain rule needs, whatever the leading dimensions."""
    rng = numpy.random.default_rng(5)
    steps, batch, size = 3, 2, 4
    if kind == "rnn":
        out = numpy.tanh(rng.standard_normal((steps, batch, size)))
        at_once = FusedRNNCell.slopes(out, into=numpy.empty_like(out))
        for t in range(steps):
            numpy.testing.assert_array_equal(at_once[t], FusedRNNCell.slopes(out[t], into=numpy.empty_like(out[t])))
    elif kind == "lstm":
        gates, tanh_cell = rng.uniform(0, 1, (steps, batch, 4 * size)), numpy.tanh(rng.standard_normal((steps, batch,
                                                                                                         size)))
        cell_state = rng.standard_normal((steps, batch, size))
        at_once, cell_slopes = FusedLSTMCell.slopes(gates, tanh_cell, cell_state, numpy.empty_like(gates))
        for t in range(steps):
            one, cell_slope = FusedLSTMCell.slopes(gates[t], tanh_cell[t], cell_state[t], numpy.empty_like(gates[t]))
            numpy.testing.assert_array_equal(at_once[t], one)
            numpy.testing.assert_array_equal(cell_slopes[t], cell_slope)
    else:
        gates, recurrent_sum = rng.uniform(0, 1, (steps, 3, batch, size)), rng.standard_normal((steps, batch, 3 * size))
        hidden = rng.standard_normal((steps, batch, size))
        at_once_recurrent, at_once_x = numpy.empty_like(recurrent_sum), numpy.empty_like(hidden)
        FusedGRUCell.slopes(gates, recurrent_sum, hidden, at_once_recurrent, at_once_x)
        for t in range(steps):
            one_recurrent, one_x = numpy.empty_like(recurrent_sum[t]), numpy.empty_like(hidden[t])
            FusedGRUCell.slopes(gates[t], recurrent_sum[t], hidden[t], one_recurrent, one_x)
            numpy.testing.assert_array_equal(at_once_recurrent[t], one_recurrent)
            numpy.testing.assert_array_equal(at_once_x[t], one_x)


def test_a_gru_above_its_in_place_size_keeps_the_general_loop(monkeypatch):
    """The GRU's in-place loop runs up to ``GRU_IN_PLACE_UP_TO`` units of state a step (B × H), where it
    measured faster; above it the general loop runs, with the same gradients."""
    from tinygrad_rnn.fast.recurrent import layers

    calls = []
    original = FusedGRUCell.gate_gradients

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(FusedGRUCell, "gate_gradients", staticmethod(counted))
    small = layer_gradients("gru", 0, False)  # B × H = 6
    assert calls == []
    monkeypatch.setattr(layers, "GRU_IN_PLACE_UP_TO", 5)
    large = layer_gradients("gru", 0, False)
    assert len(calls) == 4
    for a, b in zip(small, large):
        numpy.testing.assert_allclose(a, b, atol=1e-12, rtol=0)


def cell_arrays(kind, rng, leading=(2,), size=3):
    """What each cell's ``slopes`` reads, float64, with ``leading`` dimensions before (B, …)."""
    if kind == "rnn":
        return (numpy.tanh(rng.standard_normal((*leading, size))),)
    if kind == "lstm":
        return (rng.uniform(0, 1, (*leading, 4 * size)), numpy.tanh(rng.standard_normal((*leading, size))),
                rng.standard_normal((*leading, size)))
    return (rng.uniform(0, 1, (*leading[:-1], 3, leading[-1], size)), rng.standard_normal((*leading, 3 * size)),
            rng.standard_normal((*leading, size)))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_slopes_without_out_are_plain_expressions_on_tensors_equal_to_the_in_place_ones(kind):
    """A cell's ``slopes`` without ``out`` runs on Tensors (the form ``gate_gradients`` builds on, a recorded
    backward included), and gives the numbers the in-place form writes for a layer's steps at once."""
    arrays = cell_arrays(kind, numpy.random.default_rng(7), leading=(4, 2))
    plain = CELLS[kind].slopes(*(tr.tensor(array) for array in arrays))
    if kind == "rnn":
        in_place = [FusedRNNCell.slopes(*arrays, into=numpy.empty_like(arrays[0]))]
        plain = [plain]
    elif kind == "lstm":
        out, cell_slope = FusedLSTMCell.slopes(*arrays, numpy.empty_like(arrays[0]))
        in_place, plain = [out, cell_slope], [tr.cat(list(plain[0]), dim=-1), plain[1]]
    else:
        out_recurrent, out_new_input = numpy.empty_like(arrays[1]), numpy.empty_like(arrays[2])
        FusedGRUCell.slopes(*arrays, out_recurrent, out_new_input)
        in_place, plain = [out_recurrent, out_new_input], [tr.cat(list(plain[:3]), dim=-1), plain[3]]
    for made, written in zip(plain, in_place):
        assert isinstance(made, tr.Tensor)
        numpy.testing.assert_allclose(made.numpy(), written, atol=1e-12, rtol=0)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_gate_gradients_and_the_in_place_slopes_go_through_one_statement_of_the_local_derivatives(kind,
                                                                                                   monkeypatch):
    """σ' = s(1 − s), tanh' = 1 − g² and which factor multiplies which gate are written once per cell: a
    step's ``gate_gradients`` (the general loop) and the slopes a layer makes for all steps at once (the
    in-place loop) both run through it — the cell's ``slopes`` (the GRU's ``through_gates``, which its
    ``slopes`` applies to ∂h'/∂n and ∂h'/∂z)."""
    cell = CELLS[kind]
    name = "through_gates" if kind == "gru" else "slopes"
    calls, original = [], getattr(cell, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(cell, name, staticmethod(counted))
    rng = numpy.random.default_rng(3)
    one_step, grad = cell_arrays(kind, rng), rng.standard_normal((2, 3))
    if kind == "rnn":
        cell.gate_gradients(grad, *one_step)
    elif kind == "lstm":
        cell.gate_gradients((grad, grad, None, None), *one_step)
    else:
        cell.gate_gradients((grad, None, None), *one_step)
    assert len(calls) == 1
    layer_gradients(kind, 0, False)  # the in-place loop: the slopes of all steps at once, once
    assert len(calls) == 2
