"""The fused cells (one graph node per step) against the primitive cells they replace: the same
outputs, every gradient and each step's W_hh term, float64 to 1e-12, on random configurations;
their hand-written backward against finite differences, first and second order."""

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import build_picture

CLASSES = {"rnn": tr.nn.RNN, "lstm": tr.nn.LSTM, "gru": tr.nn.GRU}


def random_config(rng, kind):
    config = {"num_layers": int(rng.integers(1, 3)), "bidirectional": bool(rng.integers(2)),
              "batch_first": bool(rng.integers(2)), "bias": bool(rng.integers(4))}  # bias off one time in four
    if kind == "lstm" and rng.integers(2):
        config["proj_size"] = 2
    if kind == "rnn" and rng.integers(2):
        config["nonlinearity"] = "relu"
    return config


def run(kind, config, fused, x, lengths, h0):
    tr.manual_seed(0)
    layer = CLASSES[kind](3, 4, dtype="float64", fused=fused, device=x.device, **config)
    output, state = layer(x, h0, lengths=lengths)
    states = state if isinstance(state, tuple) else (state,)
    loss = (output * output).sum() + sum((s * s * s).sum() for s in states)
    terms = tr.grad_contributions(loss, layer.weight_hh_l0)
    loss.backward()
    return layer, output, states, terms


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("seed", range(6))
def test_fused_equals_primitive_outputs_gradients_and_terms(kind, seed, device):
    """On the GPU the fused cells' pointwise part runs as one CUDA kernel (ops/fused_kernels.py):
    the same comparison checks it against the primitive cells there."""
    rng = numpy.random.default_rng(seed)
    config = random_config(rng, kind)
    steps, batch = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    shape = (batch, steps, 3) if config["batch_first"] else (steps, batch, 3)
    lengths = rng.integers(1, steps + 1, batch).tolist() if rng.integers(2) else None
    h0 = None
    results = []
    for fused in (False, True):
        x = tr.tensor(numpy.random.default_rng(seed + 100).standard_normal(shape), requires_grad=True, device=device)
        results.append((x, *run(kind, config, fused, x, lengths, h0)))
    (x_a, layer_a, out_a, states_a, terms_a), (x_b, layer_b, out_b, states_b, terms_b) = results
    numpy.testing.assert_allclose(out_b.numpy(), out_a.numpy(), atol=1e-12, rtol=0)
    for a, b in zip(states_a, states_b):
        numpy.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-12, rtol=0)
    numpy.testing.assert_allclose(x_b.grad.numpy(), x_a.grad.numpy(), atol=1e-12, rtol=0)
    for (name, a), (_, b) in zip(layer_a.named_parameters(), layer_b.named_parameters()):
        numpy.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), atol=1e-12, rtol=0, err_msg=name)
    assert [scope for scope, _ in terms_a] == [scope for scope, _ in terms_b]  # one term per step, same scopes
    for (_, a), (_, b) in zip(terms_a, terms_b):
        numpy.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-12, rtol=0)


def cell_inputs(kind, rng, device="cpu"):
    batch, size = 2, 3
    def make(*shape):
        return tr.tensor(rng.standard_normal(shape), requires_grad=True, device=device)
    if kind == "lstm":
        return tr.ops.lstm_cell, [make(batch, 4 * size), make(batch, size), make(batch, size), make(4 * size, size),
                                  make(4 * size)]
    if kind == "gru":
        return tr.ops.gru_cell, [make(batch, 3 * size), make(batch, size), make(3 * size, size), make(3 * size)]
    return tr.ops.rnn_cell, [make(batch, size), make(batch, size), make(size, size), make(size)]


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_fused_backward_against_finite_differences_first_and_second_order(kind, device):
    function, inputs = cell_inputs(kind, numpy.random.default_rng(1), device)
    assert tr.gradcheck(function, inputs)
    assert tr.gradgradcheck(function, inputs)


def test_relu_rnn_cell_and_cells_without_bias():
    rng = numpy.random.default_rng(2)
    x, h, weight = (tr.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 3), (2, 3), (3, 3)))
    assert tr.gradcheck(lambda x, h, w: tr.ops.rnn_cell(x, h, w, nonlinearity="relu"), [x, h, weight])
    function, inputs = cell_inputs("lstm", rng)
    assert tr.gradgradcheck(lambda *a: function(*a), inputs[:4])


def test_second_order_through_a_fused_layer_matches_the_primitive_one():
    norms = []
    for fused in (False, True):
        tr.manual_seed(0)
        layer = tr.nn.LSTM(3, 4, dtype="float64", fused=fused)
        output, _ = layer(tr.randn(5, 2, 3, dtype="float64"))
        (gradient,) = tr.grad(output[-1].sum(), layer.weight_hh_l0, create_graph=True)
        (gradient * gradient).sum().backward()  # a gradient penalty: differentiate the gradient
        norms.append(layer.weight_hh_l0.grad.numpy())
    numpy.testing.assert_allclose(norms[1], norms[0], atol=1e-10)


def test_a_fused_layer_records_one_node_per_step_and_draws_it_as_one_cell():
    tr.manual_seed(0)
    layer = tr.nn.GRU(2, 3, fused=True)
    output, _ = layer(tr.randn(4, 1, 2))
    picture = build_picture((output[-1].sum(),), level="op")
    cells = [n for n in picture.nodes if n.kind == "op" and "fused" in n.label]
    assert [n.label.split("\n")[0] for n in cells].count("h₂ = fused GRU cell") == 1
    assert sorted(n.step for n in cells) == [1, 2, 3, 4]  # one op per step
    # beside it, only the step's input projection (drawn in its column) and its split into r, z, n
    beside = {n.label.split("\n")[0] for n in picture.nodes if n.kind == "op" and n.step and n not in cells}
    assert beside == {"linear"}
    assert any("fused=False" in note for note in picture.notes)  # how to see the primitives
    assert "fused=True" in repr(layer)


def test_a_fused_lstm_passes_c_and_h_to_the_next_step_as_two_labelled_edges():
    tr.manual_seed(0)
    output, _ = tr.nn.LSTM(2, 3, fused=True)(tr.randn(3, 1, 2))
    picture = build_picture((output[-1].sum(),), level="op")
    cells = {n.step: i for i, n in enumerate(picture.nodes) if n.kind == "op" and "fused" in n.label}
    between = sorted(label for tail, head, label in picture.edges if (tail, head) == (cells[1], cells[2]))
    assert between == ["c", "h"]  # (they were drawn as one edge labelled h)


def test_the_language_model_trains_on_the_fused_path_and_can_be_switched():
    assert tr.models.LanguageModel(10, 4, 8).rnn.fused
    assert not tr.models.LanguageModel(10, 4, 8, fused=False).rnn.fused
    assert not tr.nn.LSTM(3, 4).fused  # the layers as the docs teach them: the primitive cells


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_the_cells_write_into_one_buffer_whose_joins_copy_nothing(kind, monkeypatch):
    """The steps' gradients are slots of one array (StepGradientBuffer): unbind's backward and (LSTM,
    RNN) the sums of ∂J/∂W_hh and ∂J/∂b_hh take it whole. Counted, so that a change that silently
    loses the join (and copies again) fails here, not only in a benchmark."""
    from tinygrad_rnn.ops.fused import StepGradientBuffer

    joined = []
    positions = StepGradientBuffer.positions
    monkeypatch.setattr(StepGradientBuffer, "positions",
                        lambda self, arrays: joined.append(positions(self, arrays)) or joined[-1])
    layer = CLASSES[kind](3, 4, fused=True, batch_first=True)
    output, _ = layer(tr.randn(2, 5, 3))
    output.sum().backward()
    assert len(joined) == (1 if kind == "gru" else 3)  # unbind (and W_hh, b_hh)
    assert all(steps is not None for steps in joined)
    assert sorted(joined[0]) == list(range(5))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_a_second_backward_never_overwrites_what_the_first_returned(kind):
    """Each backward pass writes a new buffer (a slot written twice starts a new array): gradients
    an earlier pass returned keep their values, also after a pass that reached only some steps."""
    tr.manual_seed(0)
    fused = CLASSES[kind](3, 4, fused=True, dtype="float64")
    primitive = CLASSES[kind](3, 4, fused=False, dtype="float64")
    primitive.load_state_dict(fused.state_dict())
    x = tr.randn(6, 2, 3, dtype="float64", requires_grad=True)
    results = {}
    for name, layer in (("fused", fused), ("primitive", primitive)):
        output, _ = layer(x)
        early = output[2].sum()  # reaches steps 0 … 2 only
        full = (output * output).sum()
        returned = [tr.grad(loss, [x, layer.weight_hh_l0, layer.bias_hh_l0], retain_graph=True)
                    for loss in (full, early, full)]
        results[name] = [[g.numpy() for g in grads] for grads in returned]
    for pass_fused, pass_primitive in zip(results["fused"], results["primitive"]):
        for a, b in zip(pass_fused, pass_primitive):
            numpy.testing.assert_allclose(a, b, atol=1e-12, rtol=0)
    for a, b in zip(results["fused"][0], results["fused"][2]):  # pass 1, read after passes 2 and 3
        numpy.testing.assert_array_equal(a, b)


def test_an_array_a_pass_returned_as_the_joined_buffer_survives_the_next_pass():
    """The case the new array per pass is for: the gradient handed to the caller is the buffer."""
    from tinygrad_rnn.ops.fused import StepGradientBuffer
    from tinygrad_rnn.ops.shape import Unbind

    projected = tr.randn(4, 2, 8, dtype="float64", requires_grad=True)
    weight = tr.randn(8, 2, dtype="float64", requires_grad=True)
    buffer = StepGradientBuffer(projected.shape, 0, projected.dtype, numpy)
    steps = Unbind.apply(projected, dim=0, step_gradients=buffer)
    hidden = cell = tr.zeros(2, 2, dtype="float64")
    for t in range(4):
        hidden, cell = tr.ops.lstm_cell(steps[t], hidden, cell, weight, step=t, step_gradients=buffer)
    loss = (hidden * hidden).sum()
    (first,) = tr.grad(loss, projected, retain_graph=True)
    assert first.data is buffer.array  # joined: no copy was made
    kept = first.numpy().copy()
    (second,) = tr.grad(loss * 2, projected)
    numpy.testing.assert_array_equal(first.numpy(), kept)
    numpy.testing.assert_allclose(second.numpy(), 2 * kept, rtol=1e-12)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_backward_lets_go_of_the_buffer_and_the_transposed_weight(kind):
    """Once backward has run (without retain_graph), the graph a layer still holds (its
    hidden_states) keeps neither the gradient buffer nor the W_hhᵀ copy: like the saved arrays,
    they are memory only backward needed."""
    layer = CLASSES[kind](3, 4, fused=True)
    output, _ = layer(tr.randn(5, 2, 3))
    cells = {h.grad_fn for h in layer.hidden_states[0]}
    assert all(cell.step_gradients is not None and cell.transposed_weight is not None for cell in cells)
    output.sum().backward()
    assert all(cell.released and cell.step_gradients is None and cell.transposed_weight is None for cell in cells)
