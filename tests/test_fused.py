"""The fused paths — one graph node per step (``fused="step"``) and one per layer and direction
(``fused=True``) — against the primitive cells they replace: the same outputs, every gradient
and each step's W_hh term, float64 to 1e-12, on random configurations; their hand-written
backward against finite differences, first and second order."""

import numpy
import pytest
from training_step import language_model_step

import tinygrad_rnn as tr
from tinygrad_rnn.engine import ops_in_order, vertex_of
from tinygrad_rnn.fast import recurrent
from tinygrad_rnn.function import Node
from tinygrad_rnn.nn import recurrent as plain_recurrent
from tinygrad_rnn.viz.graph import build_picture

# What only the fast stepper records (one node per layer or per step, its buffers, its drawing): skipped
# where fast/ is not installed (TINYGRAD_RNN_FAST=0); the comparisons above and below run both ways.
needs_the_fast_stepper = pytest.mark.skipif(
    plain_recurrent.RECURRENT_STEPPER is None,
    reason="tests what the fast stepper of tinygrad_rnn/fast/ records; it is not installed (TINYGRAD_RNN_FAST=0)")
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


def assert_same_runs(first, second):
    """Two runs of ``run`` (each with its input x first) gave the same outputs, states, gradients of x
    and of every parameter, and the same terms of W_hh, one per step with the same scopes (float64, 1e-12)."""
    (x_a, layer_a, out_a, states_a, terms_a), (x_b, layer_b, out_b, states_b, terms_b) = first, second
    numpy.testing.assert_allclose(out_b.numpy(), out_a.numpy(), atol=1e-12, rtol=0)
    for a, b in zip(states_a, states_b):
        numpy.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-12, rtol=0)
    numpy.testing.assert_allclose(x_b.grad.numpy(), x_a.grad.numpy(), atol=1e-12, rtol=0)
    for (name, a), (_, b) in zip(layer_a.named_parameters(), layer_b.named_parameters()):
        numpy.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), atol=1e-12, rtol=0, err_msg=name)
    assert [scope for scope, _ in terms_a] == [scope for scope, _ in terms_b]  # one term per step, same scopes
    for (_, a), (_, b) in zip(terms_a, terms_b):
        numpy.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-12, rtol=0)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_a_batch_first_layer_node_at_batch_one_equals_the_primitive_cells(kind, fast_path):
    """At B = 1 a batch-first layer node hands out its states and takes ∂x back through transposed
    views (no copies): the same numbers as the primitive cells, both directions, and the output of
    one call unchanged by the next."""
    config = {"batch_first": True, "bidirectional": True}
    results = []
    for fused in (False, True):
        x = tr.tensor(numpy.random.default_rng(1).standard_normal((1, 5, 3)), requires_grad=True)
        results.append((x, *run(kind, config, fused, x, None, None)))
    (x_a, layer_a, out_a, _, terms_a), (x_b, layer_b, out_b, _, terms_b) = results
    first_output = out_b.numpy().copy()
    layer_b(x_b.detach() * 2)
    numpy.testing.assert_array_equal(out_b.numpy(), first_output)
    numpy.testing.assert_allclose(out_b.numpy(), out_a.numpy(), atol=1e-12, rtol=0)
    numpy.testing.assert_allclose(x_b.grad.numpy(), x_a.grad.numpy(), atol=1e-12, rtol=0)
    for (name, a), (_, b) in zip(layer_a.named_parameters(), layer_b.named_parameters()):
        numpy.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), atol=1e-12, rtol=0, err_msg=name)
    assert [scope for scope, _ in terms_a] == [scope for scope, _ in terms_b]


@pytest.mark.parametrize("kind, config", [("rnn", {}), ("lstm", {"proj_size": 2}), ("gru", {"bidirectional": True})])
def test_a_layer_node_of_one_step_multiplies_by_the_transposed_view_and_equals_the_primitive_cells(kind, config,
                                                                                                 fast_path):
    """One step (a generation loop's call) takes W_hhᵀ (and W_hrᵀ) as the transposed view, not a
    contiguous copy: outputs, states, every gradient and the step's term as the primitive cells'."""
    results = []
    for fused in (False, True):
        x = tr.tensor(numpy.random.default_rng(2).standard_normal((1, 2, 3)), requires_grad=True)
        h0 = tr.tensor(numpy.random.default_rng(3).standard_normal((2 if config.get("bidirectional") else 1, 2,
                                                                    config.get("proj_size", 4))), requires_grad=True)
        h0 = (h0, tr.ones(1, 2, 4, dtype="float64")) if kind == "lstm" else h0
        results.append((x, *run(kind, config, fused, x, None, h0)))
    assert_same_runs(*results)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("seed", range(10))
def test_fused_paths_equal_primitive_outputs_gradients_and_terms(kind, seed, device, fast_path):
    """Both ways: with fast/ installed fused=True and "step" run its stepper, uninstalled the
    primitive cells (the same numbers, whatever ``fused`` says). On the GPU the fused pointwise part
    runs as one CUDA kernel (fast/recurrent/kernels.py): the same comparison checks it against the
    primitive cells there. fused=True records one layer node per layer and direction with lengths and proj_size too."""
    rng = numpy.random.default_rng(seed)
    config = random_config(rng, kind)
    steps, batch = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    shape = (batch, steps, 3) if config["batch_first"] else (steps, batch, 3)
    lengths = rng.integers(1, steps + 1, batch).tolist() if rng.integers(3) == 0 else None
    h0 = None
    results = []
    for fused in (False, "step", True):
        x = tr.tensor(numpy.random.default_rng(seed + 100).standard_normal(shape), requires_grad=True, device=device)
        results.append((x, *run(kind, config, fused, x, lengths, h0)))
    for other in results[1:]:
        assert_same_runs(results[0], other)
    recorded = [type(op).__name__ for op in ops_in_order([vertex_of(results[-1][2])], freed=True)[1]]
    assert any(name.endswith("Layer") for name in recorded) == (fast_path == "fast")


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("batch_first, lengths", [(False, None), (True, [3, 1])])
def test_recorded_terms_of_w_hh_are_one_per_step_and_differentiable_on_every_path(kind, batch_first, lengths,
                                                                                  fast_path):
    """grad_contributions(create_graph=True) through a layer node: one recorded term per step, in its
    step's scope, made by the node's backward — each differentiable again, as on the per-step paths."""
    found = []
    for fused in (False, "step", True):
        tr.manual_seed(0)
        layer = CLASSES[kind](3, 4, dtype="float64", fused=fused, batch_first=batch_first)
        shape = (2, 3, 3) if batch_first else (3, 2, 3)  # batch 2, 3 steps
        x = tr.tensor(numpy.random.default_rng(7).standard_normal(shape), requires_grad=True)
        output, _ = layer(x, lengths=lengths)
        terms = tr.grad_contributions((output * output).sum(), layer.weight_hh_l0, create_graph=True)
        (second,) = tr.grad((terms[-1][1] ** 2).sum(), x)  # the first step's term, differentiated again
        found.append(([scope for scope, _ in terms], [term.numpy() for _, term in terms], second.numpy()))
        if fused is True and fast_path == "fast":
            assert all(type(term.grad_fn.gradient_of).__name__.endswith("Layer") for _, term in terms)
    scopes, values, second = found[0]
    assert len(scopes) == 3 and scopes[-1][-1] == "t=1"
    for other_scopes, other_values, other_second in found[1:]:
        assert other_scopes == scopes
        for a, b in zip(values, other_values):
            numpy.testing.assert_allclose(b, a, atol=1e-12, rtol=0)
        numpy.testing.assert_allclose(other_second, second, atol=1e-12, rtol=0)


@needs_the_fast_stepper
def test_a_recorded_gradient_through_a_layer_node_draws_its_sum_over_the_steps():
    tr.manual_seed(0)
    layer = tr.nn.LSTM(2, 3, fused=True)
    output, _ = layer(tr.randn(3, 1, 2))
    (gradient,) = tr.grad(output[-1].sum(), layer.weight_hh_l0, create_graph=True)
    drawing = tr.viz.to_dot(gradient, backward=True)
    assert "Σ (3 terms)" in drawing and "BPTT through its steps" in drawing
    # the node's three terms on one arrow into the Σ, its steps named (three arrows would lie on one
    # another); the node itself in no step's cluster: it is the backward of all of them
    assert 'label="t=1, t=2, t=3"' in drawing and "cluster" not in drawing


def test_arrows_from_one_rule_into_one_sum_share_an_arrow_naming_their_steps():
    from tinygrad_rnn.viz.backward_rules import _steps_on_one_arrow

    assert _steps_on_one_arrow([(0, 1, "t=2"), (0, 1, "t=1"), (2, 1, "t=3")]) == [(0, 1, "t=1, t=2"), (2, 1, "t=3")]
    run = [(0, 1, f"t={t}") for t in range(9, 0, -1)]
    assert _steps_on_one_arrow(run + [(0, 2, "∂J/∂h")]) == [(0, 1, "t=1 … t=9"), (0, 2, "∂J/∂h")]


def cell_inputs(kind, rng, device="cpu"):
    batch, size = 2, 3
    def make(*shape):
        return tr.tensor(rng.standard_normal(shape), requires_grad=True, device=device)
    if kind == "lstm":
        return recurrent.fused_lstm_cell, [make(batch, 4 * size), make(batch, size), make(batch, size),
                                           make(4 * size, size), make(4 * size)]
    if kind == "gru":
        return recurrent.fused_gru_cell, [make(batch, 3 * size), make(batch, size), make(3 * size, size),
                                          make(3 * size)]
    return recurrent.fused_rnn_cell, [make(batch, size), make(batch, size), make(size, size), make(size)]


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_fused_backward_against_finite_differences_first_and_second_order(kind, device):
    function, inputs = cell_inputs(kind, numpy.random.default_rng(1), device)
    assert tr.gradcheck(function, inputs)
    assert tr.gradgradcheck(function, inputs)


def test_relu_rnn_cell_and_cells_without_bias():
    rng = numpy.random.default_rng(2)
    x, h, weight = (tr.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 3), (2, 3), (3, 3)))
    assert tr.gradcheck(lambda x, h, w: recurrent.fused_rnn_cell(x, h, w, nonlinearity="relu"), [x, h, weight])
    function, inputs = cell_inputs("lstm", rng)
    assert tr.gradgradcheck(lambda *a: function(*a), inputs[:4])


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("time_dim, reverse, masked", [(0, False, False), (1, True, False), (0, False, True),
                                                       (1, True, True)])
def test_fused_layer_node_against_finite_differences_first_and_second_order(kind, time_dim, reverse, masked,
                                                                               device):
    """The layer node's backward (the hand-written BPTT loop) and its recorded form (create_graph,
    which the second order differentiates through the kept gates and states) by finite differences
    — also with variable lengths (``running``: the second sequence stops after two of three steps
    and holds its states)."""
    rng = numpy.random.default_rng(3)
    steps, batch, size = 3, 2, 2
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[kind]

    def make(*shape):
        return tr.tensor(rng.standard_normal(shape), requires_grad=True, device=device)

    projected = make(*((steps, batch) if time_dim == 0 else (batch, steps)), gates * size)
    hidden, weight, bias = make(batch, size), make(gates * size, size), make(gates * size)
    running = numpy.array([[True, True], [True, True], [True, False]])[..., None] if masked else None
    if running is not None and device == "gpu":
        running = tr.get_device("gpu").xp.asarray(running)
    where = {"time_dim": time_dim, "reverse": reverse, "running": running}
    if kind == "lstm":
        def function(p, h, c, w, b):
            output, h_n, c_n, cells = recurrent.lstm_layer(p, h, c, w, b, **where)
            return (output * output).sum() + (h_n * c_n).sum() + cells.sum()
        inputs = [projected, hidden, make(batch, size), weight, bias]
    elif kind == "gru":
        def function(p, h, w, b):
            output, h_n = recurrent.gru_layer(p, h, w, b, **where)
            return (output * output).sum() + (h_n * h_n * h_n).sum()
        inputs = [projected, hidden, weight, bias]
    else:
        def function(p, h, w, b):
            output, h_n = recurrent.rnn_layer(p, h, w, b, **where)
            return (output * output).sum() + (h_n * h_n * h_n).sum()
        inputs = [projected, hidden, weight, bias]
    assert tr.gradcheck(function, inputs)
    assert tr.gradgradcheck(function, inputs)


@pytest.mark.parametrize("masked", [False, True])
def test_a_projecting_lstm_node_against_finite_differences_first_and_second_order(masked, device):
    """proj_size inside the node: h_t = (o ⊙ tanh c_t) W_hrᵀ, P = 2 of H = 3 units, with and without
    a sequence that stops early; the bias left out, to check the inputs keep their places."""
    rng = numpy.random.default_rng(4)

    def make(*shape):
        return tr.tensor(rng.standard_normal(shape), requires_grad=True, device=device)

    steps, batch, size, projected_size = 3, 2, 3, 2
    running = numpy.array([[True, True], [True, False], [True, False]])[..., None] if masked else None
    if running is not None and device == "gpu":
        running = tr.get_device("gpu").xp.asarray(running)

    def function(p, h, c, w, w_hr):
        output, h_n, c_n, cells = recurrent.lstm_layer(p, h, c, w, None, reverse=True, running=running, weight_hr=w_hr)
        return (output * output).sum() + (h_n * h_n).sum() + (c_n * cells.sum(0)).sum()

    inputs = [make(steps, batch, 4 * size), make(batch, projected_size), make(batch, size),
              make(4 * size, projected_size), make(projected_size, size)]
    assert tr.gradcheck(function, inputs)
    assert tr.gradgradcheck(function, inputs)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("time_dim, reverse, with_bias", [(0, False, True), (1, True, False)])
def test_a_layer_node_making_its_projection_against_finite_differences(kind, time_dim, reverse, with_bias, device):
    """The node that takes x, W_ih and b_ih (``weight_ih=``) and makes x W_ihᵀ + b_ih itself: gradients of x,
    W_ih, b_ih and the rest, first and second order, by finite differences — batch first and reversed, and
    without b_ih (a None input: the others keep their places)."""
    rng = numpy.random.default_rng(5)
    steps, batch, features, size = 3, 2, 2, 2
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[kind]

    def make(*shape):
        return tr.tensor(rng.standard_normal(shape), requires_grad=True, device=device)

    x = make(*((steps, batch) if time_dim == 0 else (batch, steps)), features)
    weight_ih, bias_ih = make(gates * size, features), make(gates * size) if with_bias else None
    hidden, weight_hh, bias_hh = make(batch, size), make(gates * size, size), make(gates * size)
    where = {"time_dim": time_dim, "reverse": reverse}
    layer = {"rnn": recurrent.rnn_layer, "gru": recurrent.gru_layer}.get(kind)

    def function(x, w_ih, h, *rest):
        b_ih, rest = (rest[0], rest[1:]) if with_bias else (None, rest)
        if kind == "lstm":
            output, h_n, c_n, _ = recurrent.lstm_layer(x, h, *rest, weight_ih=w_ih, bias_ih=b_ih, **where)
        else:
            (output, h_n), c_n = layer(x, h, *rest, weight_ih=w_ih, bias_ih=b_ih, **where), h
        assert output.grad_fn.projects
        return (output * output).sum() + (h_n * c_n * h_n).sum()

    inputs = [x, weight_ih, hidden, *([bias_ih] if with_bias else []),
              *([make(batch, size)] if kind == "lstm" else []), weight_hh, bias_hh]
    assert tr.gradcheck(function, inputs)
    assert tr.gradgradcheck(function, inputs)


@needs_the_fast_stepper
@pytest.mark.parametrize("cls", [tr.nn.RNN, tr.nn.LSTM, tr.nn.GRU])
def test_the_h_n_of_one_layer_is_the_nodes_own_output(cls):
    """A module of one layer and one direction gets h_n (and c_n) from its layer node as (1, B, H), with
    no stack op after it: gradients through h_n and c_n equal the primitive cells' (float64, 1e-12), a next
    call started from h_n continues the chain (its steps numbered on), and a drawing of h_n is the plain
    path's (the stack replayed in the module's scope)."""
    grads, pictures = [], []
    for fused in (True, False):
        tr.manual_seed(0)
        layer = cls(3, 4, fused=fused, dtype="float64")
        x = tr.randn(5, 2, 3, dtype="float64", requires_grad=True)
        output, state = layer(x)
        h_n, c_n = state if cls is tr.nn.LSTM else (state, state)
        if fused:
            assert h_n.grad_fn is output.grad_fn and h_n.shape == (1, 2, 4)  # the node's own output
        (output.sum() + (h_n * c_n * h_n).sum()).backward()
        grads.append([x.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()])
        picture = build_picture((h_n.sum(),))
        pictures.append(([(n.label, n.step, n.scope, n.row) for n in picture.nodes], picture.edges))
        again, _ = layer(tr.randn(2, 2, 3, dtype="float64"), state)
        if fused:
            assert again.grad_fn.first_step == 6  # steps 6 and 7 of the same chain
    for got, expected in zip(*grads):
        numpy.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert pictures[0] == pictures[1]


def test_second_order_through_a_fused_layer_matches_the_primitive_one(fast_path):
    norms = []
    for fused in (False, "step", True):
        tr.manual_seed(0)
        layer = tr.nn.LSTM(3, 4, dtype="float64", fused=fused)
        output, _ = layer(tr.randn(5, 2, 3, dtype="float64"))
        (gradient,) = tr.grad(output[-1].sum(), layer.weight_hh_l0, create_graph=True)
        (gradient * gradient).sum().backward()  # a gradient penalty: differentiate the gradient
        norms.append(layer.weight_hh_l0.grad.numpy())
    numpy.testing.assert_allclose(norms[1], norms[0], atol=1e-10)
    numpy.testing.assert_allclose(norms[2], norms[0], atol=1e-10)


@needs_the_fast_stepper
def test_a_fused_layer_records_one_node_per_step_and_draws_it_as_one_cell():
    tr.manual_seed(0)
    layer = tr.nn.GRU(2, 3, fused="step")
    output, _ = layer(tr.randn(4, 1, 2))
    picture = build_picture((output[-1].sum(),), level="op")
    cells = [n for n in picture.nodes if n.kind == "op" and "fused" in n.label]
    assert [n.label.split("\n")[0] for n in cells].count("h₂ = fused GRU cell") == 1
    assert sorted(n.step for n in cells) == [1, 2, 3, 4]  # one op per step
    # beside it, only the step's input projection (drawn in its column) and its split into r, z, n
    beside = {n.label.split("\n")[0] for n in picture.nodes if n.kind == "op" and n.step and n not in cells}
    assert beside == {"linear"}
    assert any("fused=False" in note for note in picture.notes)  # how to see the primitives
    assert "fused=step" in repr(layer)


@needs_the_fast_stepper
def test_a_fused_lstm_passes_c_and_h_to_the_next_step_as_two_labelled_edges():
    tr.manual_seed(0)
    output, _ = tr.nn.LSTM(2, 3, fused="step")(tr.randn(3, 1, 2))
    picture = build_picture((output[-1].sum(),), level="op")
    cells = {n.step: i for i, n in enumerate(picture.nodes) if n.kind == "op" and "fused" in n.label}
    between = sorted(label for tail, head, label in picture.edges if (tail, head) == (cells[1], cells[2]))
    assert between == ["c", "h"]  # (they were drawn as one edge labelled h)


def test_the_language_model_trains_on_the_fused_path_and_can_be_switched():
    assert tr.models.LanguageModel(10, 4, 8).rnn.fused
    assert not tr.models.LanguageModel(10, 4, 8, fused=False).rnn.fused
    assert not tr.nn.LSTM(3, 4).fused  # the layers as the docs teach them: the primitive cells


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@needs_the_fast_stepper
def test_the_layer_node_backward_joins_nothing(kind, monkeypatch):
    """The layer node's gate gradients go into one (T, B, G) buffer, which is the gradient of the
    input projection and the left side of ∂J/∂W_hh's one product: no concatenate or stack runs in
    its backward (counted, so that a change that copies again fails here, not only in a benchmark)."""
    layer = CLASSES[kind](3, 4, fused=True)
    output, _ = layer(tr.randn(5, 2, 3))
    joins = []
    for name in ("concatenate", "stack"):
        original = getattr(numpy, name)
        def counted(*args, _original=original, **kwargs):
            joins.append(kwargs.get("out") is None)  # (a step writing its slot passes out=: not a join)
            return _original(*args, **kwargs)
        monkeypatch.setattr(numpy, name, counted)
    tr.grad(output.sum(), [layer.weight_hh_l0, layer.bias_hh_l0, layer.weight_ih_l0])
    assert not any(joins)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_a_second_backward_never_overwrites_what_the_first_returned(kind):
    """Each backward pass writes new buffers: gradients an earlier pass returned keep their values,
    also after a pass that reached only some steps."""
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


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@needs_the_fast_stepper
def test_backward_lets_go_of_the_transposed_weight_and_the_saved_buffers(kind):
    """Once backward has run (without retain_graph), the graph a layer still holds keeps neither
    the per-step cells' W_hhᵀ copy nor the layer node's buffers: memory only backward needed."""
    layer = CLASSES[kind](3, 4, fused="step")
    output, _ = layer(tr.randn(5, 2, 3))
    cells = {h.grad_fn for h in layer.hidden_states[0]}
    assert all(cell.transposed_weight is not None for cell in cells)
    output.sum().backward()
    assert all(cell.released and cell.transposed_weight is None for cell in cells)
    node_layer = CLASSES[kind](3, 4, fused=True)
    output, _ = node_layer(tr.randn(5, 2, 3))
    node = output.grad_fn
    assert node.saved_output is not None
    output.sum().backward()
    assert node.released and node.saved_output is None and node.saved_inputs is None


@needs_the_fast_stepper
def test_the_states_of_a_fused_layer_are_values_and_asking_for_their_gradient_says_why_not():
    """The layer node records the sequence as one node: its steps' states are shown (values, for
    plots such as lstm_neurons.py) but are not tensors of the graph, so no gradient is made up."""
    tr.manual_seed(0)
    layer = tr.nn.LSTM(3, 4, fused=True)
    output, _ = layer(tr.randn(5, 2, 3))
    numpy.testing.assert_array_equal(layer.hidden_states[0][2].numpy(), output[2].numpy())
    assert len(layer.cell_states[0]) == 5
    with pytest.raises(tr.GraphError, match="fused='step'"):
        tr.analysis.hidden_state_gradient_norms(output[-1].sum(), layer.hidden_states[0])


def test_fused_must_be_one_of_the_three_paths():
    with pytest.raises(ValueError, match="fused must be"):
        tr.nn.GRU(3, 4, fused="layer")


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("level", ["op", "cell"])
@needs_the_fast_stepper
def test_a_layer_node_draws_its_steps_as_columns_as_the_primitive_cells_do(kind, level):
    """A drawing of a model whose layer is one node shows its steps: the same picture as the
    primitive cells (nodes, edges, their steps), plus a note saying what was drawn. Also after
    backward (the drawing computes the graph again from the leaves: no freed array is needed)."""
    pictures = []
    for fused in (False, True):
        tr.manual_seed(0)
        model = tr.models.LanguageModel(10, 4, 3, cell=kind, fused=fused)
        logits, _ = model(tr.tensor([[1, 2, 3]]))
        loss = tr.nn.functional.cross_entropy(logits.reshape(-1, 10), tr.tensor([2, 3, 4]))
        if fused is True:
            loss.backward()
        pictures.append(build_picture((loss,), level=level))
    per_step, node = pictures
    assert [(n.label, n.step) for n in node.nodes] == [(n.label, n.step) for n in per_step.nodes]
    assert node.edges == per_step.edges
    assert sorted({n.step for n in node.nodes if n.step}) == [1, 2, 3]
    assert any("one node for the whole sequence" in note for note in node.notes)


@pytest.mark.parametrize("level", ["op", "cell"])
def test_a_projecting_lstm_node_draws_as_the_primitive_cells_do(level):
    """proj_size inside the node: each step's cell and its projection by W_hr, as fused=False draws it."""
    pictures = []
    for fused in (False, True):
        tr.manual_seed(0)
        output, _ = tr.nn.LSTM(3, 4, proj_size=2, fused=fused)(tr.randn(3, 2, 3))
        pictures.append(build_picture(((output * output).sum(),), level=level))
    per_step, node = pictures
    assert [(n.label, n.step) for n in node.nodes] == [(n.label, n.step) for n in per_step.nodes]
    assert node.edges == per_step.edges and any("W_hr" in n.parameters for n in node.nodes)



def test_a_layer_run_with_lengths_reads_the_modules_masks_of_each_step_both_ways(fast_path):
    """The masks a layer's steps read are the module's own (B, 1) tensors, one a step: the plain path's where ops
    read them, and the fused node is made holding them (``step_masks``, declared in its constructor: run_layer used
    to set it on the node after the node was built), for the steps its drawing records."""
    from tinygrad_rnn.fast.recurrent.layers import FusedRNNLayer

    masks = [tr.ones(2, 1, dtype="bool")]
    assert FusedRNNLayer(running=masks[0].array[None], step_masks=masks).step_masks is masks
    tr.manual_seed(0)
    output, _ = tr.nn.RNN(2, 2, fused=True)(tr.randn(3, 2, 2), lengths=[3, 1])
    if fast_path == "fast":
        (node,) = [op for op in ops_in_order([vertex_of(output)])[1] if op.name == "fused RNN layer"]
        read = node.step_masks
    else:  # each step's where(m_t, h_t, h_{t-1}), and where(m_t, h_t, 0) on the output: the same m_t
        read = []
        for op in ops_in_order([vertex_of(output)])[1]:
            mask = op.parents[0]
            if op.name == "where" and mask.name == plain_recurrent.RUNNING and all(mask is not m for m in read):
                read.append(mask)
    assert [mask.numpy().ravel().tolist() for mask in read] == [[True, True], [True, False], [True, False]]

@needs_the_fast_stepper
def test_drawing_a_layer_node_leaves_its_graph_as_it_was():
    from tinygrad_rnn.viz.stepwise import stepwise_graph

    tr.manual_seed(0)
    layer = tr.nn.LSTM(3, 4, fused=True, bidirectional=True, dtype="float64")
    output, _ = layer(tr.randn(5, 2, 3, dtype="float64"))
    loss = (output * output).sum()
    (again,) = stepwise_graph((loss,))
    assert again is not loss and loss.grad_fn.parents[0].grad_fn.parents[0].grad_fn.name == "cat"
    numpy.testing.assert_allclose(again.numpy(), loss.numpy(), rtol=1e-12)
    layer_grads = tr.grad(loss, layer.weight_hh_l0_reverse, retain_graph=True)[0].numpy()
    numpy.testing.assert_allclose(tr.grad(again, layer.weight_hh_l0_reverse)[0].numpy(), layer_grads, rtol=1e-10)


def test_a_gradient_handed_on_by_a_layer_node_is_never_rewritten_while_held():
    """tr.grad hands the user the very array the node wrote the input projection's gradient into:
    the next steps may not write it again while the user holds it."""
    from tinygrad_rnn.fast.recurrent import gru_layer, rnn_layer

    tr.manual_seed(0)
    for layer, width in ((gru_layer, 9), (rnn_layer, 3)):
        weight = tr.randn(width, 3, dtype="float64", requires_grad=True)
        projected = tr.randn(2, 5, width, dtype="float64", requires_grad=True)
        (first,) = tr.grad(layer(projected, tr.zeros(2, 3, dtype="float64"), weight, time_dim=1)[0].sum(), projected)
        kept = first.numpy().copy()
        for scale in (2.0, 3.0):
            (again,) = tr.grad(layer(projected * scale, tr.zeros(2, 3, dtype="float64"), weight,
                                     time_dim=1)[0].sum(), projected)
            assert again.array is not first.array and not numpy.allclose(again.numpy(), kept)
        numpy.testing.assert_array_equal(first.numpy(), kept)


@needs_the_fast_stepper
def test_a_layer_node_keeps_w_hh_and_lets_its_projection_go():
    """Backward reads W_hh's values, never the (T, B, G·H) projection's (copied into the node's own
    buffers). A layer module's node makes the projection itself (its inputs x, W_ih, b_ih, h_0, …): it
    saves x and W_ih — what linear's rule reads, as linear saved them — and W_hh, and the projection is
    none of its inputs. Given a projection (``gru_layer(projected, …)``), it keeps only its Node."""
    tr.manual_seed(0)
    for layer in (tr.nn.LSTM(3, 4, fused=True), tr.nn.GRU(3, 4, fused=True), tr.nn.RNN(3, 4, fused=True)):
        x = tr.randn(5, 2, 3)
        output, _ = layer(x)
        node = output.grad_fn
        assert node.projects and node.parents[:3] == (x, layer.weight_ih_l0, layer.bias_ih_l0)
        weight_position = 5 if isinstance(layer, tr.nn.LSTM) else 4
        assert node.saved_inputs[0] is x.array and node.saved_inputs[1] is layer.weight_ih_l0.array
        bias_stand_in = node.saved_inputs[2]  # of the bias, only whether there is one: a shape-only stand-in
        assert isinstance(bias_stand_in, Node) and bias_stand_in.shape == layer.bias_ih_l0.shape
        assert node.saved_inputs[weight_position] is layer.weight_hh_l0.array
    from tinygrad_rnn.fast.recurrent import gru_layer
    gru = tr.nn.GRU(3, 4)
    projected = tr.nn.functional.linear(tr.randn(5, 2, 3), gru.weight_ih_l0)
    output, _ = gru_layer(projected, tr.zeros(2, 4), gru.weight_hh_l0)
    assert output.grad_fn.saved_inputs[0] is output.grad_fn.parents[0]  # the projection's Node, not its values
    assert projected.grad_fn.saved_output is None  # (nor does the linear that made it keep it)


def test_gradients_kept_from_an_earlier_step_keep_their_values():
    """A weight's gradient is stored in .grad as it is: a .grad someone holds keeps its values
    through the next steps."""
    model, step = language_model_step(20, 8, 160, batch=4, length=12)  # W_hh: 160 × 160 float32 = 100 KiB
    step()
    kept = model.rnn.weight_hh_l0.grad
    values = kept.numpy().copy()
    for _ in range(3):
        step()
        assert model.rnn.weight_hh_l0.grad.array is not kept.array
    numpy.testing.assert_array_equal(kept.numpy(), values)


@pytest.mark.parametrize("level", ["op", "cell", "step"])
@pytest.mark.parametrize("kind, config", [("lstm", {}), ("gru", {"batch_first": True}),
                                          ("rnn", {"bidirectional": True, "num_layers": 2}),
                                          ("lstm", {"proj_size": 2})])
def test_a_layer_draws_the_same_picture_with_fast_installed_and_without(level, kind, config):
    """A drawing reads what the plain path records: the fast stepper's layer node is drawn from the
    graph recorded again with the primitive cells, so it draws exactly as the plain path does
    (nodes, labels, steps, edges), at every level."""
    from tinygrad_rnn import fast

    pictures = []
    try:
        for install in (fast.install, fast.uninstall):
            install()
            tr.manual_seed(0)
            layer = CLASSES[kind](3, 4, fused=True, **config)
            output, _ = layer(tr.randn(*((2, 3, 3) if config.get("batch_first") else (3, 2, 3))))
            pictures.append(build_picture(((output * output).sum(),), level=level))
    finally:
        fast.install()
    with_fast, plain = pictures
    assert [(n.label, n.step) for n in with_fast.nodes] == [(n.label, n.step) for n in plain.nodes]
    assert with_fast.edges == plain.edges and len(plain.nodes) > 10


def test_the_plain_path_imports_nothing_from_fast():
    """Every module outside tinygrad_rnn/fast/ — but the package's __init__, which installs it —
    imports nothing from it: the plain path reads top to bottom without the speed."""
    import ast
    import pathlib

    package = pathlib.Path(tr.__file__).parent
    offenders = []
    for path in package.rglob("*.py"):
        relative = path.relative_to(package)
        if relative.parts[0] == "fast" or relative == pathlib.Path("__init__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import) else
                     [f"{node.module or ''}.{alias.name}" for alias in node.names] if isinstance(node, ast.ImportFrom)
                     else [])
            if any(".fast" in f".{name}" or name.split(".")[0] == "fast" for name in names):
                offenders.append(str(relative))
    assert not offenders


def test_with_tinygrad_rnn_fast_0_nothing_from_fast_is_loaded_and_training_drawing_and_a_lecture_work(tmp_path):
    """One process under TINYGRAD_RNN_FAST=0: no tinygrad_rnn.fast module is imported (and every
    module loaded is this checkout's), a language model (fused=True: the primitive cells there)
    takes a training step, and a drawing and a lecture page are made."""
    import json
    import os
    import pathlib
    import subprocess
    import sys

    script = """
import json, pathlib, sys
import tinygrad_rnn as tr
model = tr.models.LanguageModel(12, 4, 6, cell="gru")
optimizer = tr.optim.SGD(model.parameters(), lr=0.1)
ids = tr.tensor([[1, 2, 3, 4]])
logits, _ = model(ids)
loss = tr.nn.functional.cross_entropy(logits.reshape(-1, 12), tr.tensor([2, 3, 4, 5]))
try:  # the thread policy is part of fast/: off here, and setting one says so
    tr.set_blas_threads(1)
except RuntimeError as error:
    assert "TINYGRAD_RNN_FAST=0" in str(error) and tr.get_blas_threads() is None
else:
    raise AssertionError("set_blas_threads(1) worked without fast/")
dot = tr.viz.to_dot(loss, level="cell")
page = tr.viz.lecture(loss, model.rnn).html
optimizer.zero_grad(); loss.backward(); optimizer.step()
root = pathlib.Path(tr.__file__).parent
print(json.dumps({"fast": sorted(m for m in sys.modules if m.startswith("tinygrad_rnn.fast")),
                  "elsewhere": sorted(m for m, v in sys.modules.items() if m.startswith("tinygrad_rnn")
                                      and getattr(v, "__file__", None)
                                      and not pathlib.Path(v.__file__).resolve().is_relative_to(root.resolve())),
                  "layer": type(logits.grad_fn).__name__, "grad": model.rnn.weight_hh_l0.grad is not None,
                  "dot": dot.count("->"), "page": len(page)}))
"""
    checkout = str(pathlib.Path(__file__).resolve().parent.parent)  # (ahead of any installed copy)
    environment = {**os.environ, "TINYGRAD_RNN_FAST": "0",
                   "PYTHONPATH": os.pathsep.join(filter(None, [checkout, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["fast"] == [] and found["elsewhere"] == [] and found["grad"]
    assert found["layer"] != "FusedGRULayer" and found["dot"] > 10 and found["page"] > 1000


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_a_lecture_page_shows_the_same_numbers_with_fast_installed_and_without(kind):
    """The lecture reads what the plain path records: a language model's layer run as one node
    (fast/) is followed step by step as the primitive cells record it, and every number on the
    page — the norms, both contributions, the Jacobians, each weight's terms — is the plain path's."""
    import json
    import re

    from tinygrad_rnn import fast

    pages = []
    try:
        for install in (fast.install, fast.uninstall):
            install()
            tr.manual_seed(0)
            model = tr.models.LanguageModel(10, 4, 3, cell=kind, dtype="float64")
            logits, _ = model(tr.tensor([[1, 2, 3, 4]]))
            loss = tr.nn.functional.cross_entropy(logits.reshape(-1, 10), tr.tensor([2, 3, 4, 5]))
            data = json.dumps(tr.viz.lecture(loss, model.rnn).data, default=str, sort_keys=True)
            data = re.sub(r'tgr\d+-', 'tgr-', data)  # (each page numbers its ids)
            # to 1e-12: fast/'s gradient table sums a weight's terms in one product, the plain one term by term
            pages.append(re.sub(r'-?\d+\.\d+(?:e-?\d+)?', lambda found: f"{float(found.group()):.12g}", data))
    finally:
        fast.install()
    with_fast, plain = pages
    assert with_fast == plain and '"hidden_norms"' in plain
