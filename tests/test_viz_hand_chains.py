"""Recurrences written out in ops, with no cell module, are drawn as chains of their own, as layers and cells are.

A loop that names its steps (``tr.scope(f"enc t={t}")``, ``tr.scope(f"dec t={t}")``) is a loop of time steps: an
encoder and a decoder written by hand draw as two rows of cells, t = 1 … T each, where before neither was recognised
("No time steps found", every op drawn in one heap). Two recurrences under one ``tr.scope(f"t={t}")`` (two loops, or
two RNNs in one loop, their states unnamed or named alike) draw as two rows, each cell naming only its own weights,
where before one row of cells held both, its arrows carrying two states as one.
"""

import functools

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import NO_STEPS, build_picture


def weights():
    tr.manual_seed(0)
    made = {name: tr.randn(*shape, requires_grad=True) for name, shape in
            (("W_xh", (2, 3)), ("W_hh", (3, 3)), ("U_xh", (2, 3)), ("U_hh", (3, 3)))}
    for name, tensor in made.items():
        tensor.name = name
    return made, tr.randn(3, 1, 2)


def encoder_decoder():
    """h = tanh(x_t W_xh + h W_hh) under "enc t=k", then the same with U under "dec t=k", from the encoder's h_3"""
    w, xs = weights()
    h = tr.zeros(1, 3)
    for prefix, W_xh, W_hh in (("enc", w["W_xh"], w["W_hh"]), ("dec", w["U_xh"], w["U_hh"])):
        for t in range(3):
            with tr.scope(f"{prefix} t={t + 1}"):
                h = (xs[t] @ W_xh + h @ W_hh).tanh()
    return h.sum()


def two_loops():
    """two loops over the same x_t, each under tr.scope(f"t={t}"), their states unnamed"""
    w, xs = weights()
    h, g = tr.zeros(1, 3), tr.zeros(1, 3)
    for t in range(3):
        with tr.scope(f"t={t + 1}"):
            h = (xs[t] @ w["W_xh"] + h @ w["W_hh"]).tanh()
    for t in range(3):
        with tr.scope(f"t={t + 1}"):
            g = (xs[t] @ w["U_xh"] + g @ w["U_hh"]).tanh()
    return (h * g).sum()


def two_in_one_loop():
    """two RNNs written out in one loop, one scope a step, both states unnamed, a running loss carried on too"""
    w, xs = weights()
    h, g, loss = tr.zeros(1, 3), tr.zeros(1, 3), 0
    for t in range(3):
        with tr.scope(f"t={t + 1}"):
            h = (xs[t] @ w["W_xh"] + h @ w["W_hh"]).tanh()
            g = (xs[t] @ w["U_xh"] + g @ w["U_hh"]).tanh()
            loss = loss + (h * g).sum()
    return loss


def two_named_alike():
    """two RNNs written out in one loop, each state named h by the user"""
    w, xs = weights()
    h, g = tr.zeros(1, 3), tr.zeros(1, 3)
    for t in range(3):
        with tr.scope(f"t={t + 1}"):
            h = (xs[t] @ w["W_xh"] + h @ w["W_hh"]).tanh()
            g = (xs[t] @ w["U_xh"] + g @ w["U_hh"]).tanh()
            h.name = g.name = "h"
    return (h * g).sum()


def scoped_loop():
    """one recurrence with its head and its loss inside each step, the losses added up as the loop runs"""
    w, xs = weights()
    h, loss = tr.zeros(1, 3), 0
    for t in range(3):
        with tr.scope(f"t={t + 1}"):
            h = (xs[t] @ w["W_xh"] + h @ w["W_hh"]).tanh()
            h.name = "h"
            loss = loss + ((h @ w["U_hh"] - 1.0) ** 2).sum()
    return loss


@functools.cache
def picture(make, level):
    return build_picture((make(),), level=level, show_shapes=False)


@pytest.mark.parametrize("make", [encoder_decoder, two_loops, two_in_one_loop, two_named_alike])
def test_each_recurrence_written_in_ops_is_a_row_of_its_own_its_cells_reading_its_own_weights(make):
    cells = [node for node in picture(make, "cell").nodes if node.kind == "group" and node.parameters]
    assert NO_STEPS not in picture(make, "cell").notes
    rows = {}  # (the running loss's ops, carried on too, read no weight: no row of the weights)
    for node in cells:  # (the marks that tell an encoder's from a decoder's, ⁽ᵉ⁾ and ⁽ᵈ⁾, left out)
        rows.setdefault(node.row, []).append((node.step, tuple(sorted(p.split("⁽")[0] for p in node.parameters))))
    assert len(rows) == 2, rows  # (before: one row, or no steps at all)
    assert sorted(sorted(steps) for steps in rows.values()) == [
        [(1, ("U_hh", "U_xh")), (2, ("U_hh", "U_xh")), (3, ("U_hh", "U_xh"))],
        [(1, ("W_hh", "W_xh")), (2, ("W_hh", "W_xh")), (3, ("W_hh", "W_xh"))]]
    op_rows = {node.row for node in picture(make, "op").nodes if node.kind == "op" and node.step is not None
               and node.key.name == "tanh"}
    assert len(op_rows) == 2, op_rows  # at op level too: each tanh in its own chain's row


def test_a_loop_that_names_its_steps_draws_its_name_on_its_row():
    rows = {node.row for node in picture(encoder_decoder, "cell").nodes if node.kind == "group"}
    assert rows == {("enc",), ("dec",)}


def test_at_step_level_two_recurrences_pass_two_arrows_between_steps():
    """A step node holding both recurrences passes h_t and g_t on two arrows, side by side (before: one arrow, as the
    two values, both unnamed, were one edge (tail, head, "") once the cells merged), and J reads h₃ and g₃ on two."""
    from tinygrad_rnn.viz.layout import labelled_layout
    from tinygrad_rnn.viz.routes import TWINS_APART

    steps = build_picture((two_loops(),), level="step", show_shapes=False)
    between: dict[tuple, list[int]] = {}
    for k, (tail, head, label) in enumerate(steps.edges):
        if steps.nodes[tail].kind == "group" and steps.nodes[head].kind in ("group", "output"):
            between.setdefault((tail, head, label), []).append(k)
    # h_t and g_t from step 1 to 2, from 2 to 3, and from 3 into J (before: one arrow each)
    assert sorted(map(len, between.values())) == [2, 2, 2], between
    routes = labelled_layout(steps)[1].routes
    for first, second in between.values():
        (x0, y0), (x1, y1) = routes[first].points[0], routes[second].points[0]
        assert abs(abs(x1 - x0) + abs(y1 - y0) - TWINS_APART) < 0.01, (routes[first], routes[second])


def test_the_recurrence_found_in_a_named_loop_is_its_steps_not_one_of_them():
    """find_recurrence (what the lecture page reads from a user's loss) takes a loop's rows as the figures do: the
    encoder's h_1 … h_3, not one step per row (before: each "enc t=k" scope a row of its own, one step found)."""
    from tinygrad_rnn.analysis import find_recurrence

    w, xs = weights()
    h, states = tr.zeros(1, 3), []
    for prefix, W_xh, W_hh in (("enc", w["W_xh"], w["W_hh"]), ("dec", w["U_xh"], w["U_hh"])):
        for t in range(3):
            with tr.scope(f"{prefix} t={t + 1}"):
                h = (xs[t] @ W_xh + h @ W_hh).tanh()
                h.name = "h"
                states.append(h)
    found = find_recurrence(h.sum())
    assert [state.numpy().tolist() for state in found.hidden_states] == \
        [state.numpy().tolist() for state in states[:3]]


def test_a_decoder_written_by_hand_names_the_state_it_carries_and_its_gradient():
    """The decoder's state starts from the encoder's h_3, no leaf: its arrows were unnamed, and in the BPTT figure
    the arrow from its cell 2 back to cell 1 said ∂J/∂s₁ (the scores), where it carries the gradient of h₁⁽ᵈ⁾."""
    forward = picture(encoder_decoder, "cell")
    backward = build_picture((encoder_decoder(),), level="cell", backward=True, show_shapes=False)
    for drawn, expected in ((forward, {"h₁⁽ᵈ⁾", "h₂⁽ᵈ⁾"}), (backward, None)):
        labels = {label for tail, head, label in drawn.edges if drawn.nodes[tail].row == ("dec",) and
                  drawn.nodes[head].row == ("dec",) and drawn.nodes[tail].kind == drawn.nodes[head].kind == "group"}
        if expected is not None:
            assert labels == expected, labels
        else:
            assert len(labels) == 2 and all("h" in label and "∂J/∂s" not in label for label in labels), labels


def symbols_defined(notes):
    """The symbols notes define, "sₜ: the scores Jₜ reads" → sₜ (a note that starts with a word defines none)."""
    heads = [note.split(": ")[0] for note in notes if ": " in note]
    return [head for head in heads if " " not in head and not (head.isascii() and len(head) > 2)]


@pytest.mark.parametrize("make", [encoder_decoder, two_loops, two_in_one_loop, two_named_alike, scoped_loop])
def test_every_symbol_a_note_of_the_bptt_figure_defines_is_drawn_in_it(make):
    """A note says what a symbol of the figure means: one that names nothing drawn is false. The states of two
    recurrences (two_in_one_loop) and a loss computed inside each step (scoped_loop) are no head's scores s_t: their
    arrows back do not say ∂J/∂sₜ, and no note says what sₜ is (before: "sₜ: the scores Jₜ reads" under both, and
    ∂J/∂s₁ on the arrow from J₁ into h₁'s cell)."""
    import re

    from tinygrad_rnn.viz.gradient_labels import SCORES_NOTE

    assert symbols_defined(["sₜ: the scores", "Σ: the terms", "Note: a word"]) == ["sₜ", "Σ"]
    for slide in (False, True):
        backward = build_picture((make(),), level="cell", backward=True, show_shapes=False, slide=slide)
        drawn = " ".join([label for *_, label in backward.edges] + [node.label for node in backward.nodes])
        for symbol in symbols_defined(backward.notes):
            step = re.escape(symbol).replace("ₜ", "[ₜ₀-₉]")  # (sₜ is drawn as s₁, s₂, …)
            assert re.search(step, drawn), (symbol, backward.notes)
        assert not any(note.startswith(SCORES_NOTE) for note in backward.notes), backward.notes
        assert "∂J/∂s" not in drawn


def loop_from(first):
    """one recurrence written in ops, its scopes t=first, first + 1, first + 2"""
    w, xs = weights()
    h = tr.zeros(1, 3)
    for t in range(3):
        with tr.scope(f"t={t + first}"):
            h = (xs[t] @ w["W_xh"] + h @ w["W_hh"]).tanh()
    return h.sum()


@pytest.mark.parametrize("level, backward", [("cell", False), ("op", False), ("cell", True)])
def test_a_loop_numbered_from_0_is_drawn_as_one_numbered_from_1_and_a_key_line_says_so(level, backward):
    """The lecture numbers steps 1…T after h₀: a loop whose scopes are t=0…2 draws its cells t=1…3, x₁…x₃ and
    h₁ on the arrow from step 1 to 2, as the same loop numbered from 1 does, and one key line says which scopes
    those are (before: "cell t=0", its x drawn as "input", the arrow out of it unlabelled or called h₀)."""
    def drawn(picture):
        return (sorted((node.step or 0, node.label) for node in picture.nodes),
                sorted((picture.nodes[tail].label, picture.nodes[head].label, label)
                       for tail, head, label in picture.edges))

    from_0, from_1 = (build_picture((loop_from(first),), level=level, backward=backward, show_shapes=False)
                      for first in (0, 1))
    assert drawn(from_0) == drawn(from_1)
    said = "The scopes t=0…2 are drawn as t=1…3: steps numbered from 1, after h₀"
    assert from_0.notes == [said] + from_1.notes


def two_unnamed_weights_and_states():
    """two recurrences in one loop, the second reading the first, its four weights in a dict, none of them named"""
    tr.manual_seed(0)
    W = {name: tr.randn(3, 3, requires_grad=True) for name in ("W_xh", "W_hh", "U_xh", "U_hh")}
    xs = tr.randn(3, 1, 3)
    h, g, loss = tr.zeros(1, 3), tr.zeros(1, 3), 0
    for t in range(3):
        with tr.scope(f"t={t + 1}"):
            h = (xs[t] @ W["W_xh"] + h @ W["W_hh"]).tanh()
            g = (xs[t] @ W["U_xh"] + g @ W["U_hh"] + h).tanh()
            loss = loss + (h * g).sum()
    return loss


def test_unnamed_weights_of_two_recurrences_get_neutral_names_and_each_x_t_is_one_input():
    """Before: every step said "step.W_ih⁽¹⁾, step.W_ih⁽²⁾" (two names for four tensors, a module "step", a role and
    layer marks they do not have, the order swapped at t=3), and 8 "input" nodes stood around the steps (x_t twice a
    step, h_0 and g_0 unnamed)."""
    steps = picture(two_unnamed_weights_and_states, "step")
    groups = sorted((n.step, n.parameters) for n in steps.nodes if n.kind == "group")
    assert groups == [(t, ["weight 1", "weight 2", "weight 3", "weight 4"]) for t in (1, 2, 3)]
    inputs = sorted((n.label, [steps.nodes[h].step for t, h, _ in steps.edges if steps.nodes[t] is n])
                    for n in steps.nodes if n.kind == "input")
    assert inputs == [("state 1 (t=0)", [1]), ("state 2 (t=0)", [1]), ("x₁", [1]), ("x₂", [2]), ("x₃", [3])]
