"""The graph engine: order, accumulation, freeing, grad(), create_graph, scopes, contributions."""

import gc
import sys
import weakref

import numpy
import pytest
from conftest import make

import tinygrad_rnn as tr


def test_chain_of_100000_ops_backpropagates_without_recursion(device):
    x = tr.tensor(1.0, requires_grad=True, dtype="float64", device=device)
    y = x
    for _ in range(100_000):
        y = y * 1.0000001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0000001**100_000, rel=1e-9)


def work_during(work):
    """(Python and C calls made, elements of the gradients op backwards returned) while ``work``
    runs: a count of the work done, the same on every run and machine (a clock is not: the
    cycle collector and other processes make times of one graph vary several-fold)."""
    calls = elements = 0

    def profile(frame, event, value):
        nonlocal calls, elements
        if event in ("call", "c_call"):
            calls += 1
        elif event == "return" and frame.f_code.co_name == "backward" and "self" in frame.f_locals:
            for gradient in value if isinstance(value, tuple) else (value,):
                elements += getattr(gradient, "size", 0) or 0

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls, elements


def test_backward_work_is_linear_in_chain_length():
    def backward_work(length):
        x = tr.tensor(1.0, requires_grad=True)
        y = x
        for _ in range(length):
            y = y + 1.0
        return work_during(y.backward)

    (short_calls, short_elements), (long_calls, long_elements) = backward_work(1_000), backward_work(8_000)
    assert long_calls <= 8 * short_calls * 1.01, f"8× the ops made {long_calls / short_calls:.2f}× the calls"
    assert long_elements == 8 * short_elements


def test_reuse_sums_one_contribution_per_use(device):
    x = make([3.0], device)
    a = x + x  # dx: 2
    b = a + a  # dx: 4
    b.backward()
    assert x.grad.tolist() == [4.0]
    y = make([3.0], device)
    (y * y * y).backward()  # 3y² = 27
    assert y.grad.tolist() == [27.0]


def test_leaf_grad_accumulates_across_backward_calls_until_zeroed(device):
    w = make([1.0, 2.0], device)
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    assert w.grad.tolist() == [6.0, 6.0]
    w.grad = None
    (w * 3).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


def test_leaf_grads_never_share_an_array():
    """a + b hands both leaves the same gradient array; an in-place change to one .grad (as
    gradient clipping makes) must not change the other."""
    a, b = make([1.0, 2.0]), make([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.data *= 0.5
    assert b.grad.tolist() == [1.0, 1.0]


def test_second_backward_through_a_freed_graph_explains_retain_graph():
    x = make([1.0, 2.0])
    y = (x.tanh() * 2).sum()
    y.backward()
    with pytest.raises(tr.GraphError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = make([1.0, 2.0])
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), 2 * numpy.exp([1.0, 2.0]))


def test_the_graph_keeps_only_the_arrays_backward_reads_and_backward_frees_them():
    gc.disable()  # everything below must be freed by reference counting alone, at once
    try:
        x = make(numpy.ones(1000))
        hidden = x.tanh()  # tanh's backward reads its output: kept
        doubled = hidden * 2  # mul's backward reads both inputs: hidden's array kept again
        shifted = doubled + 1.0  # add's backward reads no values: doubled's array is not kept
        loss = shifted.sum()  # nor is shifted's
        watched = {"hidden tensor": weakref.ref(hidden), "doubled array": weakref.ref(doubled.array),
                   "shifted array": weakref.ref(shifted.array)}
        hidden_array = weakref.ref(hidden.array)
        del hidden, doubled, shifted
        assert {name: ref() is None for name, ref in watched.items()} == dict.fromkeys(watched, True)
        assert hidden_array() is not None  # the graph keeps what backward needs
        loss.backward()
        assert hidden_array() is None  # and backward frees it
        assert loss.grad_fn.released and loss.grad_fn.saved_inputs is None  # its arrays are released
        assert loss.grad_fn.parents is not None  # its structure (Nodes, no values) stays, for drawings
        numpy.testing.assert_allclose(x.grad.numpy(), 2 * (1 - numpy.tanh(1.0) ** 2))
    finally:
        gc.enable()


def test_no_grad_records_nothing_and_works_as_a_decorator():
    w = make([1.0])
    with tr.no_grad():
        y = w * 2
    assert not y.requires_grad and y.grad_fn is None

    @tr.no_grad()
    def infer(v):
        return v * 2

    assert infer(w).grad_fn is None
    assert (w * 2).grad_fn is not None  # recording is back on afterwards


def test_backward_of_a_non_scalar_needs_a_gradient():
    x = make([1.0, 2.0])
    with pytest.raises(tr.GraphError, match=r"shape \(2,\).*gradient="):
        (x * 2).backward()
    (x * 2).backward(gradient=tr.tensor([1.0, 10.0], dtype="float64"))
    assert x.grad.tolist() == [2.0, 20.0]


def test_a_gradient_given_as_an_array_is_one_gradient_not_a_list_of_them():
    """A NumPy array as ``gradient`` seeds the one output (it was read as a sequence of gradients,
    one per output: a (1, 1, 2) seed became its (1, 2) first entry and the shapes did not match)."""
    x = make([[[1.0, 2.0]]])
    (x * 2).backward(numpy.array([[[1.0, 10.0]]]))
    assert x.grad.tolist() == [[[2.0, 20.0]]]
    (dx,) = tr.grad(x * 3, x, grad_outputs=numpy.ones((1, 1, 2)))
    assert dx.tolist() == [[[3.0, 3.0]]]


def test_backward_on_something_without_graph_says_why():
    with pytest.raises(tr.GraphError, match="does not require grad"):
        tr.tensor([1.0]).sum().backward()


def test_grad_contributions_of_an_unused_tensor_is_an_error_as_in_grad():
    used, unused = make([1.0, 2.0]), make([3.0])
    loss = (used * 2).sum()
    with pytest.raises(tr.GraphError, match=r"grad_contributions: .*not used to compute the output.*allow_unused=True"):
        tr.grad_contributions(loss, unused)
    with pytest.raises(tr.GraphError, match="allow_unused=True"):
        tr.grad(loss, unused, retain_graph=True)
    assert tr.grad_contributions(loss, unused, allow_unused=True) == []
    assert len(tr.grad_contributions(loss, used)) == 1


def test_grad_of_an_input_that_does_not_require_grad_says_what_to_do():
    x, c = make([1.0]), tr.tensor([2.0])
    with pytest.raises(tr.GraphError, match="requires_grad=True"):
        tr.grad((x * c).sum(), c)


def test_grad_returns_gradients_without_touching_dot_grad():
    x, y = make([1.0, 2.0]), make([3.0, 4.0])
    gx, gy = tr.grad((x * y).sum(), [x, y])
    assert gx.tolist() == [3.0, 4.0] and gy.tolist() == [1.0, 2.0]
    assert x.grad is None and y.grad is None


def test_grad_unused_input_needs_allow_unused():
    x, unused = make([1.0]), make([1.0])
    with pytest.raises(tr.GraphError, match="allow_unused"):
        tr.grad((x * 2).sum(), [x, unused])
    assert tr.grad((x * 2).sum(), [x, unused], allow_unused=True)[1] is None


def test_grad_with_respect_to_an_intermediate_tensor():
    x = make([0.5, -0.3])
    h = x.tanh()
    out = (h * h).sum()
    (dh,) = tr.grad(out, h)
    numpy.testing.assert_allclose(dh.numpy(), 2 * numpy.tanh([0.5, -0.3]))


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = make([0.5, -0.3])
    h = x.tanh().retain_grad()
    (h * 3).sum().backward()
    assert h.grad.tolist() == [3.0, 3.0]


def test_create_graph_gradient_is_a_recorded_graph():
    x = make([1.0, 2.0])
    (g,) = tr.grad((x**3).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    assert g.grad_fn.is_gradient  # recorded while computing a gradient
    (g2,) = tr.grad(g.sum(), x)
    assert g2.tolist() == [6.0, 12.0]  # d²/dx² x³ = 6x


def test_backward_create_graph_leaves_differentiable_grads():
    x = make([1.5])
    (x**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (gg,) = tr.grad(x.grad.sum(), x)
    assert gg.item() == pytest.approx(9.0)  # 6x


def _hvp_against_finite_differences(loss_fn, params, rng, eps=1e-6):
    """H v from double backward, compared with (∇L(p + εv) − ∇L(p − εv)) / 2ε."""
    directions = [rng.standard_normal(p.shape) for p in params]
    grads = tr.grad(loss_fn(), params, create_graph=True)
    grad_dot_v = sum((g * tr.tensor(v)).sum() for g, v in zip(grads, directions))
    hvp = tr.grad(grad_dot_v, params)
    originals = [p.array.copy() for p in params]
    shifted = []
    for sign in (1, -1):
        for p, original, v in zip(params, originals, directions):
            p.array[...] = original + sign * eps * v
        shifted.append([g.numpy() for g in tr.grad(loss_fn(), params)])
    for p, original in zip(params, originals):
        p.array[...] = original
    for analytic, plus, minus in zip(hvp, *shifted):
        numpy.testing.assert_allclose(analytic.numpy(), (plus - minus) / (2 * eps), rtol=1e-5, atol=1e-7)


def test_hessian_vector_product_of_a_small_mlp(rng):
    w1, b1 = make(rng.standard_normal((4, 5))), make(rng.standard_normal(5))
    w2, b2 = make(rng.standard_normal((5, 3))), make(rng.standard_normal(3))
    x, target = tr.tensor(rng.standard_normal((6, 4))), tr.tensor(rng.integers(0, 3, 6))

    def loss():
        logits = (x @ w1 + b1).tanh() @ w2 + b2
        return -logits.log_softmax(-1)[tr.arange(6), target].mean()

    _hvp_against_finite_differences(loss, [w1, b1, w2, b2], rng)


def test_hessian_vector_product_of_a_three_step_tanh_rnn(rng):
    w_ih, w_hh = make(rng.standard_normal((3, 4)) * 0.5), make(rng.standard_normal((4, 4)) * 0.5)
    b = make(rng.standard_normal(4))
    xs = [tr.tensor(rng.standard_normal((2, 3))) for _ in range(3)]

    def loss():
        h = tr.zeros(2, 4, dtype="float64")
        for x in xs:
            h = (x @ w_ih + h @ w_hh + b).tanh()
        return (h * h).sum()

    _hvp_against_finite_differences(loss, [w_ih, w_hh, b], rng)


def test_scopes_nest_and_tag_ops():
    x = make([1.0])
    with tr.scope("RNN", "layer 0"):
        with tr.scope("t=1"):
            y = x * 2
        z = y + 1
    assert y.grad_fn.scope == ("RNN", "layer 0", "t=1")
    assert z.grad_fn.scope == ("RNN", "layer 0")
    assert tr.current_scope() == ()


def test_create_graph_sums_contributions_in_one_sigma_node_per_tensor():
    w = make([0.5])
    h = make([1.0])
    for t in range(4):
        with tr.scope(f"t={t + 1}"):
            h = (h * w).tanh()
    (g,) = tr.grad(h.sum(), w, create_graph=True)
    assert g.grad_fn.name == "add_n"
    assert len(g.grad_fn.parents) == 4  # one term per time step
    assert g.grad_fn.is_gradient and g.grad_fn.scope == ()  # w is a leaf: its Σ sits outside the steps
    assert sorted(term.grad_fn.scope for term in g.grad_fn.parents) == [(f"t={t}",) for t in range(1, 5)]


def hand_written_bptt(xs, w_ih, w_hh, b, targets):
    """min-char-rnn's loop: h_t = tanh(W_ih x_t + W_hh h_{t−1} + b), loss Σ_t ½‖h_t − y_t‖².
    Returns dW_hh and its per-step terms δ_t h_{t−1}ᵀ (here in row-vector form: h_{t−1}ᵀ δ_t)."""
    hs = [numpy.zeros((xs[0].shape[0], w_hh.shape[0]))]
    for x in xs:
        hs.append(numpy.tanh(x @ w_ih + hs[-1] @ w_hh + b))
    d_w_hh, terms = numpy.zeros_like(w_hh), []
    d_h_next = numpy.zeros_like(hs[0])
    for t in reversed(range(len(xs))):
        d_h = (hs[t + 1] - targets[t]) + d_h_next
        delta = d_h * (1 - hs[t + 1] ** 2)  # through tanh
        term = hs[t].T @ delta
        terms.append(term)
        d_w_hh += term
        d_h_next = delta @ w_hh.T
    return d_w_hh, terms[::-1]


def test_grad_contributions_match_a_hand_written_bptt_step_by_step(rng):
    steps, batch, n_in, n_hidden = 5, 2, 3, 4
    xs = [rng.standard_normal((batch, n_in)) for _ in range(steps)]
    targets = [rng.standard_normal((batch, n_hidden)) for _ in range(steps)]
    w_ih = rng.standard_normal((n_in, n_hidden)) * 0.5
    w_hh = rng.standard_normal((n_hidden, n_hidden)) * 0.5
    b = rng.standard_normal(n_hidden)
    W_ih, W_hh, B = make(w_ih), make(w_hh), make(b)

    h = tr.zeros(batch, n_hidden, dtype="float64")
    loss = 0
    for t in range(steps):
        with tr.scope(f"t={t + 1}"):
            h = (tr.tensor(xs[t]) @ W_ih + h @ W_hh + B).tanh()
            loss = loss + 0.5 * ((h - tr.tensor(targets[t])) ** 2).sum()

    expected_total, expected_terms = hand_written_bptt(xs, w_ih, w_hh, b, targets)
    contributions = tr.grad_contributions(loss, W_hh)
    by_step = {scope: g.numpy() for scope, g in contributions}
    assert sorted(by_step) == [(f"t={t + 1}",) for t in range(steps)]
    for t in range(steps):
        numpy.testing.assert_allclose(by_step[(f"t={t + 1}",)], expected_terms[t], rtol=1e-10, atol=1e-12)
    numpy.testing.assert_allclose(sum(by_step.values()), expected_total, rtol=1e-10)
    loss.backward()  # grad_contributions keeps the graph
    numpy.testing.assert_allclose(W_hh.grad.numpy(), expected_total, rtol=1e-10)


def test_grad_contributions_can_be_recorded_graphs():
    w = make([0.5])
    h = w * 1.0
    h = h * w
    terms = tr.grad_contributions(h.sum(), w, create_graph=True)
    assert len(terms) == 2 and all(g.requires_grad for _, g in terms)


def test_detect_anomaly_names_the_forward_op_and_its_scope():
    x = make([-1.0, 1.0])
    with tr.detect_anomaly(), tr.scope("t=2"):
        with pytest.raises(tr.AnomalyError, match=r"forward of log in scope t=2"):
            x.log()


def test_detect_anomaly_catches_nan_born_in_backward():
    x = make([0.0])
    y = x.sqrt()  # fine forward: sqrt(0) = 0; backward divides by 2·0
    with tr.detect_anomaly():
        with pytest.raises(tr.AnomalyError, match="backward of sqrt"):
            y.sum().backward()


def test_gradient_has_the_input_dtype_under_mixed_precision():
    a = tr.tensor([1.0, 2.0], dtype="float32", requires_grad=True)
    b = tr.tensor([3.0, 4.0], dtype="float64", requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == numpy.float32 and b.grad.dtype == numpy.float64


def test_reading_a_sequence_step_by_step_costs_linear_work():
    """unbind has one backward for all its outputs (a stack), so reading T steps of a sequence
    costs O(T), where T separate x[t] reads would build T full-size gradients: O(T²)."""

    def work(steps):
        x = tr.zeros(steps, 2, 3, requires_grad=True)

        def read_every_step_and_backpropagate():
            total = tr.add_n(*[(step * float(t)) for t, step in enumerate(x.unbind(0))])
            total.sum().backward()

        counted = work_during(read_every_step_and_backpropagate)
        assert x.grad.shape == (steps, 2, 3) and x.grad.numpy()[7, 0, 0] == 7.0
        return counted

    (short_calls, short_elements), (long_calls, long_elements) = work(100), work(800)
    assert long_calls <= 8 * short_calls * 1.01, f"8× the steps made {long_calls / short_calls:.2f}× the calls"
    assert long_elements <= 8 * short_elements * 1.01, f"8× the steps: {long_elements / short_elements:.1f}× elements"


def test_multi_output_op_waits_for_all_its_outputs():
    x = make([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    first, second, third = x.unbind(0)
    loss = (first * 2).sum() + (third * second).sum()
    loss.backward()
    assert x.grad.tolist() == [[2.0, 2.0], [5.0, 6.0], [3.0, 4.0]]
    assert first.grad_fn is second.grad_fn  # one op, three outputs


def test_create_graph_records_a_broadcast_inputs_sum_back_as_part_of_the_ops_backward():
    """the walk sums a broadcast input's gradient back to its shape (sum_to); under create_graph that sum is
    recorded inside the op's backward — its scope, its step, gradient_of the op — as the op's own rule once was,
    not in whatever scope the caller's code happens to be in"""
    x = tr.tensor([0.3, -0.2, 0.5], requires_grad=True)
    b = tr.tensor([[0.1], [0.7]], requires_grad=True)
    with tr.scope("model"):
        product = x * b  # (2, 3): x broadcast over the rows
    (gx,) = tr.grad(product.sum(), [x], create_graph=True)
    summed_back = gx.grad_fn
    assert summed_back.gradient_of is product.grad_fn, (summed_back, summed_back.gradient_of)
    assert summed_back.scope == product.grad_fn.scope
    assert gx.tolist() == pytest.approx([0.8, 0.8, 0.8])


def test_ordering_the_graph_leaves_no_container_per_op_for_the_garbage_collector():
    """Every container alive through the walk is visited by Python's cyclic collector again and again
    (a list and a pair per op cost ~5% of a recorded op): the order holds the ops and their vertices only."""
    from tinygrad_rnn.engine import ops_in_order, vertex_of

    x, c = tr.ones(4, requires_grad=True), tr.ones(4)
    y = x
    for _ in range(300):
        y = (y * c + y).tanh()
    gc.collect()
    tracked_before = len(gc.get_objects())
    leaves, ops = ops_in_order([vertex_of(y)])
    assert len(ops) == 900 and leaves == [x]
    assert len(gc.get_objects()) - tracked_before < 10  # (before: a list and a pair per op, 1,800)


def test_the_order_is_the_order_ops_were_recorded_in():
    """Ops are sorted by their sequence numbers, given as they are recorded (an op after the ops that made its
    inputs): where two orders are right, the one the code ran in, as PyTorch's engine takes them. (By depth in
    the graph, the order before, ``other`` — depth 1 — came before ``deep`` — depth 2 — though recorded after it.)"""
    from tinygrad_rnn.engine import ops_in_order, vertex_of

    x = tr.ones(3, requires_grad=True)
    first = x * 2
    deep = first.tanh()
    other = x * 3
    total = deep + other
    recorded = [first, deep, other, total]
    numbers = [t.grad_fn.sequence_nr for t in recorded]
    assert numbers == sorted(numbers) and len(set(numbers)) == 4
    leaves, ops = ops_in_order([vertex_of(total)])
    assert leaves == [x] and list(ops) == [t.grad_fn for t in recorded]
    total.sum().backward()  # the walk, in reverse: every gradient of a tensor arrives before its op runs
    assert x.grad.tolist() == pytest.approx([2 * (1 - numpy.tanh(2.0) ** 2) + 3] * 3)


def test_an_error_of_the_gradient_table_is_not_blamed_on_the_op(monkeypatch):
    """The walk names a backward that breaks the op contract; the table's own errors are not the op's. The walk's
    try used to hold the loop over the terms too, so this was reported as 'backward of sum failed (TypeError: …)'
    with the op contract's advice on what sum saves, which was beside the point."""
    class BrokenTable(tr.engine.GradientTable):
        def add(self, vertex, term, scope, of=None):
            if of is not None:  # an op's term (the seed is added before the walk)
                raise TypeError("the table's own bug")
            super().add(vertex, term, scope, of)

    monkeypatch.setattr(tr.engine, "GRADIENT_TABLE", BrokenTable)
    x = tr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as caught:
        (x * 3).sum().backward()
    assert str(caught.value) == "the table's own bug"
