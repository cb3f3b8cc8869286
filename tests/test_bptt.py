"""Backpropagation through time made visible: per-step gradient terms against a hand-written
BPTT, truncated BPTT, the analysis helpers, variable lengths, and finite differences on cells."""

import numpy
import pytest
from conftest import make

import tinygrad_rnn as tr
from tinygrad_rnn import analysis, nn


def hand_written_bptt(x, h0, w_ih, w_hh, b_ih, b_hh, targets):
    """min-char-rnn's loop in PyTorch's layout: h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh),
    J = Σ_t ½‖h_t − y_t‖². Returns the per-step terms δ_tᵀ h_{t−1} of ∂J/∂W_hh, and their sum."""
    hs = [h0]
    for x_t in x:
        hs.append(numpy.tanh(x_t @ w_ih.T + b_ih + hs[-1] @ w_hh.T + b_hh))
    terms, d_h_next = [None] * len(x), numpy.zeros_like(h0)
    for t in reversed(range(len(x))):
        d_h = (hs[t + 1] - targets[t]) + d_h_next
        delta = d_h * (1 - hs[t + 1] ** 2)
        terms[t] = delta.T @ hs[t]  # dW_hh += δ_t h_{t−1}ᵀ
        d_h_next = delta @ w_hh
    return terms, sum(terms)


def test_layer_gradient_terms_match_hand_written_bptt_step_by_step(rng):
    steps, batch, n_in, hidden = 6, 3, 2, 4
    rnn = nn.RNN(n_in, hidden, dtype="float64")
    x, h0, targets = rng.standard_normal((steps, batch, n_in)), rng.standard_normal((1, batch, hidden)), \
        rng.standard_normal((steps, batch, hidden))
    output, _ = rnn(tr.tensor(x), tr.tensor(h0))
    loss = 0.5 * ((output - tr.tensor(targets)) ** 2).sum()
    by_step = analysis.weight_gradient_by_step(loss, rnn.weight_hh_l0)
    expected_terms, expected_total = hand_written_bptt(
        x, h0[0], *(rnn.state_dict()[k] for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")), targets)
    assert by_step.scopes == [("RNN", "layer 0", "forward", f"t={t + 1}") for t in range(steps)]
    for term, expected in zip(by_step.gradients, expected_terms):
        numpy.testing.assert_allclose(term, expected, rtol=1e-10, atol=1e-12)
    numpy.testing.assert_allclose(by_step.total, expected_total, rtol=1e-10)
    numpy.testing.assert_allclose(by_step.norms, [numpy.linalg.norm(t) for t in expected_terms])
    loss.backward()
    numpy.testing.assert_allclose(rnn.weight_hh_l0.grad.numpy(), expected_total, rtol=1e-10)


def test_every_layer_and_direction_has_one_term_per_step():
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True)
    output, _ = lstm(tr.randn(4, 1, 2))
    for name, direction in (("weight_hh_l1", "forward"), ("weight_hh_l0_reverse", "reverse")):
        terms = tr.grad_contributions(output.sum(), getattr(lstm, name))
        layer = "layer 1" if "l1" in name else "layer 0"
        assert sorted(scope for scope, _ in terms) == [("LSTM", layer, direction, f"t={t}") for t in range(1, 5)]


def test_truncated_bptt_carries_values_and_cuts_gradients(rng):
    gru = nn.GRU(2, 3, dtype="float64")
    x = rng.standard_normal((10, 1, 2))
    full_output, _ = gru(tr.tensor(x))
    first_input = tr.tensor(x[:5], requires_grad=True)
    first_output, carried = gru(first_input)
    second_output, _ = gru(tr.tensor(x[5:]), carried.detach())  # the cut
    numpy.testing.assert_allclose(second_output.numpy(), full_output.numpy()[5:], rtol=1e-12)  # values carry over
    second_output.sum().backward()
    assert first_input.grad is None  # no gradient crosses the cut
    from_scratch = nn.GRU(2, 3, dtype="float64")
    from_scratch.load_state_dict(gru.state_dict())
    from_scratch(tr.tensor(x[5:]), tr.tensor(carried.numpy()))[0].sum().backward()
    numpy.testing.assert_allclose(gru.weight_hh_l0.grad.numpy(), from_scratch.weight_hh_l0.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("radius", [0.7, 1.3])
def test_linear_rnn_jacobian_norms_follow_the_spectral_radius(radius, rng):
    """h_t = W h_{t−1} + x_t: ∂h_T/∂h_t = W^(T−t). For a symmetric W its spectral norm is
    ρ(W)^(T−t), ρ the largest |eigenvalue|: decaying for ρ < 1, growing for ρ > 1."""
    hidden, steps = 4, 8
    basis, _ = numpy.linalg.qr(rng.standard_normal((hidden, hidden)))
    eigenvalues = numpy.array([radius, -0.5 * radius, 0.3, 0.1])
    w = basis @ numpy.diag(eigenvalues) @ basis.T
    W = tr.tensor(w)
    states = [tr.tensor(rng.standard_normal((1, hidden)), requires_grad=True)]
    for _ in range(steps):
        states.append(states[-1] @ W.T + tr.tensor(rng.standard_normal((1, hidden))))
    norms = analysis.jacobian_norms(states[-1], states)
    spectral_radius = numpy.abs(numpy.linalg.eigvals(w)).max()
    expected = spectral_radius ** numpy.arange(steps, -1, -1)
    numpy.testing.assert_allclose(norms, expected, rtol=1e-9)
    frobenius = analysis.jacobian_norms(states[-1], states, norm="frobenius")
    powers = [numpy.linalg.norm(numpy.linalg.matrix_power(w, steps - t)) for t in range(steps + 1)]
    numpy.testing.assert_allclose(frobenius, powers, rtol=1e-9)


def test_hidden_state_gradient_norms_are_the_norms_of_the_total_gradients():
    rnn = nn.RNN(2, 3, dtype="float64")
    output, _ = rnn(tr.randn(5, 2, 2, dtype="float64"))
    loss = (output[-1] ** 2).sum()
    states = rnn.hidden_states[0]
    norms = analysis.hidden_state_gradient_norms(loss, states)
    direct = [numpy.linalg.norm(g.numpy()) for g in tr.grad(loss, states, retain_graph=True)]
    numpy.testing.assert_allclose(norms, direct)
    assert norms[-1] > norms[0]  # a tanh RNN with small weights: the gradient fades going back
    loss.backward()  # the graph was kept


def test_padded_steps_change_nothing_valid(rng):
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True, dtype="float64")
    lengths = numpy.array([2, 5, 3])
    x = rng.standard_normal((3, 5, 3))
    noisy = x.copy()
    for b, length in enumerate(lengths):
        noisy[b, length:] = rng.standard_normal((5 - length, 3)) * 100
    out_a, (h_a, c_a) = lstm(tr.tensor(x), lengths=lengths)
    out_b, (h_b, c_b) = lstm(tr.tensor(noisy), lengths=tr.tensor(lengths))
    numpy.testing.assert_array_equal(out_a.numpy(), out_b.numpy())
    numpy.testing.assert_array_equal(h_a.numpy(), h_b.numpy())
    numpy.testing.assert_array_equal(c_a.numpy(), c_b.numpy())
    for b, length in enumerate(lengths):
        assert (out_a.numpy()[b, length:] == 0).all()
    alone, (h_alone, _) = lstm(tr.tensor(x[:1, :2]))  # the first sequence on its own
    numpy.testing.assert_allclose(out_a.numpy()[:1, :2], alone.numpy(), rtol=1e-12)
    numpy.testing.assert_allclose(h_a.numpy()[:, :1], h_alone.numpy(), rtol=1e-12)


def test_inference_under_no_grad_keeps_no_graph():
    lstm = nn.LSTM(2, 3)
    with tr.no_grad():
        output, (h_n, c_n) = lstm(tr.randn(6, 1, 2))
    assert output.grad_fn is None and h_n.grad_fn is None
    assert all(h.grad_fn is None for h in lstm.hidden_states[0])


CELL_CASES = [
    ("RNNCell tanh", lambda: nn.RNNCell(2, 3, dtype="float64"), 1),
    ("RNNCell relu", lambda: nn.RNNCell(2, 3, nonlinearity="relu", dtype="float64"), 1),
    ("LSTMCell", lambda: nn.LSTMCell(2, 3, dtype="float64"), 2),
    ("GRUCell", lambda: nn.GRUCell(2, 3, dtype="float64"), 1),
]


@pytest.mark.parametrize("name, build, states", CELL_CASES, ids=[c[0] for c in CELL_CASES])
def test_cells_against_finite_differences(name, build, states, device, rng):
    """gradcheck perturbs each input's data in place, so the cell's own parameters can be inputs."""
    cell = build().to(device)
    x = make(rng.standard_normal((2, 2)), device)
    hx = [make(rng.standard_normal((2, 3)), device) for _ in range(states)]

    def step(x, *state_and_parameters):
        state = state_and_parameters[:states]
        return cell(x, tuple(state) if states == 2 else state[0])

    assert tr.gradcheck(step, [x, *hx, *cell.parameters()])


def test_lstm_cell_second_order(device, rng):
    cell = nn.LSTMCell(2, 2, dtype="float64").to(device)
    x, h, c = (make(rng.standard_normal((1, 2)), device) for _ in range(3))
    assert tr.gradgradcheck(lambda x, h, c: cell(x, (h, c)), [x, h, c])


def test_small_layer_with_lengths_against_finite_differences(device, rng):
    gru = nn.GRU(2, 2, bidirectional=True, dtype="float64").to(device)
    x = make(rng.standard_normal((3, 2, 2)), device)
    h0 = make(rng.standard_normal((2, 2, 2)), device)
    assert tr.gradcheck(lambda x, h0: gru(x, h0, lengths=[3, 1])[0], [x, h0])


@pytest.mark.parametrize("batch_first", [False, True])
def test_a_weight_read_once_for_all_steps_is_taken_apart_by_step(batch_first):
    """The input projection (all steps in one product) and a head over all outputs: with time_dim,
    ∂J/∂W|_(t) = δ_tᵀ x_t for each step, and the terms add up to .grad (batch of 3, float64)."""
    tr.manual_seed(0)
    layer = tr.nn.GRU(2, 4, batch_first=batch_first).to(dtype="float64")
    head = tr.nn.Linear(4, 5).to(dtype="float64")
    x = tr.randn(*((3, 6, 2) if batch_first else (6, 3, 2)), dtype="float64")
    output, _ = layer(x)
    loss = (head(output) ** 2).mean()
    time_dim = 1 if batch_first else 0
    found = {name: analysis.weight_gradient_by_step(loss, weight, time_dim=time_dim)
             for name, weight in [("W_ih", layer.weight_ih_l0), ("b_ih", layer.bias_ih_l0), ("W_hy", head.weight),
                                  ("b_y", head.bias)]}
    untouched = analysis.weight_gradient_by_step(loss, head.weight)  # without time_dim: one term, as before
    loss.backward()
    assert len(untouched.scopes) == 1
    for name, weight in [("W_ih", layer.weight_ih_l0), ("b_ih", layer.bias_ih_l0), ("W_hy", head.weight),
                         ("b_y", head.bias)]:
        assert [scope[-1] for scope in found[name].scopes] == [f"t={t}" for t in range(1, 7)], name
        numpy.testing.assert_allclose(found[name].total, weight.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("source", ["layer", "cells"])
def test_find_recurrence_reads_the_states_from_the_graph(source):
    tr.manual_seed(0)
    if source == "layer":
        layer = tr.nn.LSTM(2, 3, num_layers=2)
        output, _ = layer(tr.randn(5, 1, 2))
        loss, expected_h, expected_c = output.sum(), layer.hidden_states[0], layer.cell_states[0]
    else:
        cell, state, expected_h, expected_c = tr.nn.LSTMCell(2, 3), (tr.zeros(1, 3), tr.zeros(1, 3)), [], []
        for x_t in tr.randn(5, 1, 2):
            state = cell(x_t, state)
            expected_h.append(state[0])
            expected_c.append(state[1])
        loss = (state[0] * state[1]).sum()
    found = analysis.find_recurrence(loss)  # no layer given: the graph's saved values
    assert found.kind == "lstm" and found.steps == 5
    for got, want in zip(found.hidden_states + found.cell_states, list(expected_h) + list(expected_c)):
        numpy.testing.assert_array_equal(got.numpy(), want.numpy())
    assert all(set(gates) == {"i", "f", "g", "o"} for gates in found.gates)
    assert {"W_hh", "W_ih", "b_hh", "b_ih"} <= set(found.weights)
