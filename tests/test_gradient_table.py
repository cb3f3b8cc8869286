"""The gradient tables: the plain one (engine.py: each use's term added with +) and the fast one
(fast/gradient_table.py: running sums in place, deferred weight products) — each checked on its
own, broken on purpose, and the two compared: every result equal, both ways, in float64."""

import contextlib

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import engine
from tinygrad_rnn.errors import GraphError
from tinygrad_rnn.fast import gradient_table
from tinygrad_rnn.fast.gradient_table import DeferredGradientTable, DeferredProduct, PendingSum


@contextlib.contextmanager
def table_installed(fast: bool):
    """The fast table (and linear's deferred terms) installed or not, whatever is installed now."""
    was_installed = gradient_table.installed()
    (gradient_table.install if fast else gradient_table.uninstall)()
    try:
        yield
    finally:
        (gradient_table.install if was_installed else gradient_table.uninstall)()


def plain_table():
    return table_installed(fast=False)


def fast_table():
    return table_installed(fast=True)


BOTH_WAYS = pytest.mark.parametrize("table", [plain_table, fast_table], ids=["plain", "fast"])


# --- the plain table ------------------------------------------------------------------------------
def test_the_plain_table_adds_each_term_with_plus_and_leaves_every_term_untouched():
    table, shared = engine.GradientTable(), numpy.ones(3)
    table.add("x", shared, ())
    assert not table.is_fresh("x")  # one term: someone else may hold it, so whoever stores it copies it
    table.add("x", shared, ())
    table.add("x", numpy.full(3, 2.0), ())
    assert not table.is_fresh("x")  # a sum it made, but the plain table keeps no record: .grad always copies
    assert table.pop("x", ()).tolist() == [4.0, 4.0, 4.0] and shared.tolist() == [1.0, 1.0, 1.0]
    assert table.pop("x", ()) is None  # taken: gone


def test_the_plain_table_records_one_sigma_node_with_a_term_per_use():
    table = engine.GradientTable(record=True)
    for step in (1, 2, 3):
        table.add("W", tr.tensor([float(step)], requires_grad=True), (f"t={step}",))
    assert [scope for scope, _ in table.terms["W"]] == [("t=1",), ("t=2",), ("t=3",)]
    assert not table.is_fresh("W")  # a recorded Σ: a Tensor of the graph
    total = table.pop("W", ("RNN",))
    assert total.grad_fn.name == "add_n" and len(total.grad_fn.parents) == 3 and total.item() == 6.0
    assert total.grad_fn.scope == ("RNN",)


def test_each_steps_term_of_w_hh_reaches_the_table_as_an_array_on_the_plain_path(monkeypatch):
    """A breakpoint in the walk sees ∂J/∂W_hh|_(t) for every t: T arrays, summed with +."""
    tr.manual_seed(0)
    rnn = tr.nn.RNN(3, 4, dtype=tr.float64)
    x = tr.randn(5, 2, 3, dtype=tr.float64)
    seen = []
    add = engine.GradientTable.add

    def watched_add(self, vertex, term, scope, of=None):
        if vertex is rnn.weight_hh_l0:
            seen.append((scope, term))
        add(self, vertex, term, scope, of)

    with plain_table():
        monkeypatch.setattr(engine.GradientTable, "add", watched_add)
        output, _ = rnn(x)
        output.sum().backward()
    assert [scope[-1] for scope, _ in seen] == [f"t={t}" for t in range(5, 0, -1)]
    assert all(type(term) is numpy.ndarray and term.shape == (4, 4) for _, term in seen)
    numpy.testing.assert_allclose(sum(term for _, term in seen), rnn.weight_hh_l0.grad.numpy(), rtol=1e-12)


# --- the fast table -------------------------------------------------------------------------------
def test_an_array_another_tensor_holds_is_never_added_into():
    table, shared = DeferredGradientTable(), numpy.ones(3)
    table.add("x", shared, ())
    table.add("x", shared, ())  # the second contribution: a new array
    grown = table.totals["x"]
    assert grown is not shared and "x" in table.owned
    table.add("x", numpy.full(3, 2.0), ())  # the table's own sum from now on: in place
    assert table.totals["x"] is grown
    fresh = table.is_fresh("x")
    assert table.pop("x", ()).tolist() == [4.0, 4.0, 4.0] and shared.tolist() == [1.0, 1.0, 1.0] and fresh


def test_a_single_contribution_is_handed_on_as_it_is_and_said_not_to_be_fresh():
    table, gradient = DeferredGradientTable(), numpy.ones(2)
    table.add("x", gradient, ())
    assert not table.is_fresh("x")  # whoever stores it must copy it
    assert table.pop("x", ()) is gradient
    assert table.pop("x", ()) is None


def test_adding_in_place_into_a_sum_the_table_did_not_make_is_refused():
    table, shared = DeferredGradientTable(), numpy.ones(2)
    table.add("x", shared, ())
    with pytest.raises(GraphError, match="refusing to add in place into a gradient it did not make"):
        table._add_in_place("x", numpy.ones(2))  # what a wrong fast path would do
    assert shared.tolist() == [1.0, 1.0]


@BOTH_WAYS
def test_the_in_place_rule_holds_through_a_backward_that_hands_one_array_to_two_inputs(table):
    """add's backward gives a and b the very same array; clipping one .grad in place must not
    change the other, nor a third use's sum."""
    with table():
        a, b = tr.ones(3, requires_grad=True), tr.ones(3, requires_grad=True)
        ((a + b) * 2.0 + a).sum().backward()
        a.grad.data *= 0.0  # in place, as clip_grad_norm_ does
        assert b.grad.tolist() == [2.0, 2.0, 2.0]


def test_weight_terms_wait_and_are_multiplied_out_as_one_product():
    rng = numpy.random.default_rng(0)
    lefts, rights = [rng.standard_normal((2, 4)) for _ in range(3)], [rng.standard_normal((2, 5)) for _ in range(3)]
    table = DeferredGradientTable()
    for left, right in zip(lefts, rights):
        table.add("W", DeferredProduct(left, right), ())
    assert type(table.totals["W"]) is PendingSum and len(table.totals["W"].products) == 3
    dense = rng.standard_normal((4, 5))
    table.add("W", dense, ())  # a plain term beside them
    assert table.is_fresh("W")
    expected = sum(left.T @ right for left, right in zip(lefts, rights)) + dense
    numpy.testing.assert_allclose(table.pop("W", ()), expected, rtol=1e-12)


def test_a_product_has_the_shape_and_dtype_of_the_gradient_it_stands_for():
    weight_term = DeferredProduct(numpy.ones((3, 4)), numpy.ones((3, 5)))
    bias_term = DeferredProduct(numpy.ones((3, 4)))
    assert (weight_term.shape, bias_term.shape, weight_term.dtype) == ((4, 5), (4,), numpy.float64)


def test_the_itemized_tensor_keeps_its_terms_with_their_scopes_and_the_rest_are_summed():
    table = DeferredGradientTable(itemize="W")
    table.add("W", DeferredProduct(numpy.ones((1, 2)), numpy.ones((1, 2))), ("t=2",))
    table.add("W", numpy.full((2, 2), 3.0), ("t=1",))
    table.add("x", numpy.ones(2), ())
    table.add("x", numpy.ones(2), ())
    assert "x" not in table.terms and len(table.terms["W"]) == 2
    total = table.pop("W", ())
    assert [scope for scope, _ in table.itemized] == [("t=2",), ("t=1",)] and total.tolist() == [[4.0, 4.0]] * 2


def test_install_and_uninstall_swap_the_engines_table_and_linears_terms():
    from tinygrad_rnn.ops import linalg

    with plain_table():
        assert engine.GRADIENT_TABLE is engine.GradientTable
        assert linalg.weight_terms is gradient_table.plain_weight_terms
        with fast_table():
            assert engine.GRADIENT_TABLE is DeferredGradientTable
            assert linalg.weight_terms is gradient_table.deferred_weight_terms


# --- both ways: every result equal ----------------------------------------------------------------
def _everything(make_model, steps=4):
    """Outputs, every parameter's gradient, W_hh's terms and a second derivative, in float64."""
    tr.manual_seed(0)
    model = make_model()
    x = tr.randn(steps, 2, 3, dtype=tr.float64)
    output = model(x)[0]
    loss = (output * output).sum()
    weight = model.weight_hh_l0
    terms = tr.grad_contributions(loss, weight)
    (first,) = tr.grad(loss, weight, create_graph=True)
    (second,) = tr.grad((first * first).sum(), weight, retain_graph=True)
    loss.backward()
    return ([output.numpy()] + [p.grad.numpy() for p in model.parameters()] + [g.numpy() for _, g in terms]
            + [first.numpy(), second.numpy()], [scope for scope, _ in terms])


def _lstm(fused):
    return lambda: tr.nn.LSTM(3, 4, dtype=tr.float64, fused=fused)


@pytest.mark.parametrize("plain_model, fast_model", [
    (lambda: tr.nn.RNN(3, 4, num_layers=2, dtype=tr.float64),) * 2,
    (_lstm(False), _lstm(False)),
    (lambda: tr.nn.GRU(3, 4, dtype=tr.float64, fused="step"),) * 2,
    (_lstm(False), _lstm(True)),  # a fused layer hands its terms as Products: the fast table's only
], ids=["rnn", "lstm", "gru-fused-cell", "lstm-fused-layer"])
def test_the_fast_table_gives_what_the_plain_one_gives(plain_model, fast_model):
    with plain_table():
        plain, plain_scopes = _everything(plain_model)
    with fast_table():
        fast, fast_scopes = _everything(fast_model)
    assert plain_scopes == fast_scopes and len(plain_scopes) == 4
    assert len(plain) == len(fast)
    for expected, got in zip(plain, fast):
        numpy.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_a_term_is_handed_over_as_the_installed_table_takes_it():
    term = DeferredProduct(numpy.ones((3, 2)), numpy.ones((3, 4)))
    with fast_table():
        assert gradient_table.handed_over(term) is term
    with plain_table():
        handed = gradient_table.handed_over(term)
        assert type(handed) is numpy.ndarray and handed.tolist() == [[3.0] * 4] * 2
