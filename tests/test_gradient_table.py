"""The gradient table (tinygrad_rnn/gradients.py): running sums, the in-place rule, deferred
weight products, terms kept one by one — each checked on its own, and broken on purpose."""

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.errors import GraphError
from tinygrad_rnn.gradients import GradientTable, PendingSum, TermTable
from tinygrad_rnn.ops.linalg import Product


def test_an_array_another_tensor_holds_is_never_added_into():
    table, shared = GradientTable(), numpy.ones(3)
    table.add("x", shared)
    table.add("x", shared)  # the second contribution: a new array
    grown = table.sums["x"]
    assert grown is not shared and "x" in table.owned
    table.add("x", numpy.full(3, 2.0))  # the table's own sum from now on: in place
    assert table.sums["x"] is grown
    fresh = table.made("x")
    assert table.take("x").tolist() == [4.0, 4.0, 4.0] and shared.tolist() == [1.0, 1.0, 1.0] and fresh


def test_a_single_contribution_is_handed_on_as_it_is_and_said_not_to_be_fresh():
    table, gradient = GradientTable(), numpy.ones(2)
    table.add("x", gradient)
    assert not table.made("x")  # whoever stores it must copy it
    assert table.take("x") is gradient
    assert table.take("x") is None  # taken: gone


def test_adding_in_place_into_a_sum_the_table_did_not_make_is_refused():
    table, shared = GradientTable(), numpy.ones(2)
    table.add("x", shared)
    with pytest.raises(GraphError, match="refusing to add in place into a gradient it did not make"):
        table._add_in_place("x", numpy.ones(2))  # what a wrong fast path would do
    assert shared.tolist() == [1.0, 1.0]


def test_the_in_place_rule_holds_through_a_backward_that_hands_one_array_to_two_inputs():
    """add's backward gives a and b the very same array; clipping one .grad in place must not
    change the other, nor a third use's sum."""
    a, b = tr.ones(3, requires_grad=True), tr.ones(3, requires_grad=True)
    ((a + b) * 2.0 + a).sum().backward()
    a.grad.data *= 0.0  # in place, as clip_grad_norm_ does
    assert b.grad.tolist() == [2.0, 2.0, 2.0]


def test_weight_terms_wait_and_are_multiplied_out_as_one_product():
    rng = numpy.random.default_rng(0)
    lefts, rights = [rng.standard_normal((2, 4)) for _ in range(3)], [rng.standard_normal((2, 5)) for _ in range(3)]
    table = GradientTable()
    for left, right in zip(lefts, rights):
        table.add("W", Product(left, right))
    assert type(table.sums["W"]) is PendingSum and len(table.sums["W"].products) == 3
    dense = rng.standard_normal((4, 5))
    table.add("W", dense)  # a plain term beside them
    assert table.made("W")
    expected = sum(left.T @ right for left, right in zip(lefts, rights)) + dense
    numpy.testing.assert_allclose(table.take("W"), expected, rtol=1e-12)


def test_recording_keeps_every_term_and_sums_them_with_one_sigma_node():
    table = TermTable(record=True)
    for step in (1, 2, 3):
        table.add("W", tr.tensor([float(step)], requires_grad=True), scope=(f"t={step}",))
    assert [scope for scope, _ in table.terms["W"]] == [("t=1",), ("t=2",), ("t=3",)]
    assert not table.made("W")  # a recorded Σ: a Tensor of the graph, never stored without its node
    total = table.take("W", scope=("RNN",))
    assert total.grad_fn.name == "add_n" and len(total.grad_fn.inputs) == 3 and total.item() == 6.0


def test_the_itemized_tensor_keeps_its_terms_with_their_scopes_and_the_rest_are_summed():
    table = TermTable(itemize="W")
    table.add("W", Product(numpy.ones((1, 2)), numpy.ones((1, 2))), scope=("t=2",))
    table.add("W", numpy.full((2, 2), 3.0), scope=("t=1",))
    table.add("x", numpy.ones(2))
    table.add("x", numpy.ones(2))
    assert "x" not in table.terms and len(table.terms["W"]) == 2
    total = table.take("W")
    assert [scope for scope, _ in table.itemized] == [("t=2",), ("t=1",)] and total.tolist() == [[4.0, 4.0]] * 2
