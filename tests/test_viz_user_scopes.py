"""A loop of cell calls written by a student, with or without ``tr.scope(f"t={t}")``, is drawn as the library's
own language model (nn.Embedding → nn.LSTM → nn.Linear) is: x_t → e_t = embedding (E) → the cell (its own four
weights) → linear (W_hy, b_y) → J_t = cross_entropy in every column, h₀ (c₀) named, one (1/T) Σₜ Jₜ and J.

A scope is a time step, not a cell: before, everything inside it was one box "cell t=1" listing E, W_hy and b_y as
the cell's weights, with no x_t, J_t leaving the cell and the BPTT arrow into h₁ written (∂h₂/∂h₁)ᵀ ∂J/∂h₂ — for an
LSTM 20% off the gradient cell 2 hands h₁ (it leaves out the path through c₂).
"""

import re

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import build_picture

F = tr.nn.functional
CELLS = {"rnn": tr.nn.RNNCell, "lstm": tr.nn.LSTMCell, "gru": tr.nn.GRUCell}
TOKENS = [1, 5, 3, 7, 2]
SHAPES = ("scoped", "scope-less", "embedding outside the scope", "loss outside the scope")


def cell_loop(kind, shape, keep=None):
    """The docs' loop: emb = nn.Embedding(12, 4); cell(emb(x_t), state); J_t = cross_entropy(head(h_t), x_{t+1});
    J = stack(J_t).mean(). ``keep`` collects each step's (h_t, c_t or None, J_t)."""
    tr.manual_seed(0)
    emb, cell, head = tr.nn.Embedding(12, 4), CELLS[kind](4, 6), tr.nn.Linear(6, 12)
    lstm = kind == "lstm"
    state = (tr.zeros(1, 6), tr.zeros(1, 6)) if lstm else tr.zeros(1, 6)
    losses = []
    for t in range(len(TOKENS) - 1):
        x, y = tr.tensor([TOKENS[t]]), tr.tensor([TOKENS[t + 1]])
        scope = tr.scope(f"t={t + 1}")
        if shape == "scoped":
            with scope:
                state = cell(emb(x), state)
                h = state[0] if lstm else state
                losses.append(F.cross_entropy(head(h), y))
        elif shape == "scope-less":
            state = cell(emb(x), state)
            h = state[0] if lstm else state
            losses.append(F.cross_entropy(head(h), y))
        elif shape == "embedding outside the scope":
            e = emb(x)
            with scope:
                state = cell(e, state)
            h = state[0] if lstm else state
            losses.append(F.cross_entropy(head(h), y))
        else:
            with scope:
                state = cell(emb(x), state)
                h = state[0] if lstm else state
                logits = head(h)
            losses.append(F.cross_entropy(logits, y))
        if keep is not None:
            keep.append((h, state[1] if lstm else None, losses[-1]))
    return tr.stack(losses).mean()


def first_line(node):
    return node.label.split("\n")[0]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", sorted(CELLS))
def test_each_step_draws_the_calls_made_in_it_as_nodes_of_their_own(kind, shape):
    picture = build_picture((cell_loop(kind, shape),), level="cell", show_shapes=False)
    nodes, module = picture.nodes, kind.upper()
    for t in range(1, 5):
        here = {node.label.replace("\n", " "): node for node in nodes if node.step == t}
        sub = "₁₂₃₄"[t - 1]
        assert set(here) == {f"x{sub}", f"e{sub} = embedding", f"{module} cell t={t}", f"linear t={t}",
                             f"J{sub} = cross_entropy"}, here
        # each node lists its own weights: the cell's four, the embedding's E, the head's W_hy, b_y
        assert here[f"{module} cell t={t}"].parameters == ["W_ih", "b_ih", "W_hh", "b_hh"]
        assert here[f"e{sub} = embedding"].parameters == ["E"]
        assert here[f"linear t={t}"].parameters == ["W_hy", "b_y"]
        index = {id(node): i for i, node in enumerate(nodes)}
        chain = [here[label] for label in (f"x{sub}", f"e{sub} = embedding", f"{module} cell t={t}", f"linear t={t}",
                                           f"J{sub} = cross_entropy")]
        edges = {(tail, head) for tail, head, _ in picture.edges}
        for below, above in zip(chain, chain[1:]):  # x_t → e_t → cell → ŷ_t → J_t, in the step's column
            assert (index[id(below)], index[id(above)]) in edges, (first_line(below), first_line(above))
    sums = [i for i, node in enumerate(nodes) if node.label == "(1/4) Σₜ Jₜ"]
    assert len(sums) == 1
    into_sum = sorted(first_line(nodes[tail]) for tail, head, _ in picture.edges if head == sums[0])
    assert into_sum == [f"J{sub} = cross_entropy" for sub in "₁₂₃₄"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", sorted(CELLS))
def test_zeros_handed_to_the_first_call_are_h0_and_c0(kind, shape):
    picture = build_picture((cell_loop(kind, shape),), level="cell", show_shapes=False)
    initial = sorted(first_line(node) for node in picture.nodes if node.kind == "input" and node.step is None)
    assert initial == (["c_0", "h_0"] if kind == "lstm" else ["h_0"])


def test_a_users_state_is_named_in_the_drawing_only():
    zeros = tr.zeros(1, 3)
    h = tr.nn.RNNCell(2, 3)(tr.randn(1, 2), zeros)
    picture = build_picture((h.sum(),), level="op", show_shapes=False)
    assert "h_0" in [first_line(node) for node in picture.nodes] and zeros.name is None


@pytest.mark.parametrize("steps", [3, 1])
@pytest.mark.parametrize("level", ["cell", "step", "op"])
def test_one_zeros_handed_as_h_and_c_is_drawn_as_both(steps, level):
    """``h = c = tr.zeros(1, H)``: the first cell reads two states from one tensor — both drawn, one arrow each,
    into what reads each (before: one node "c_0", one arrow, and the first step read no h_0)."""
    tr.manual_seed(0)
    cell, xs = tr.nn.LSTMCell(2, 3), tr.randn(steps, 1, 2)
    separate, shared = [], []
    for zeros, drawn in (((tr.zeros(1, 3), tr.zeros(1, 3)), separate), ((tr.zeros(1, 3),) * 2, shared)):
        h, c = zeros
        for t in range(steps):
            h, c = cell(xs[t], (h, c))
        picture = build_picture((h.sum(),), level=level, show_shapes=False)
        nodes = picture.nodes
        drawn.append(sorted((first_line(nodes[tail]), first_line(nodes[head])) for tail, head, _ in picture.edges
                            if first_line(nodes[tail]) in ("h_0", "c_0")))
        drawn.append(len(picture.edges))
    assert shared == separate
    assert sorted(name for name, _ in shared[0]) == ["c_0", "h_0"]


@pytest.mark.parametrize("shape", ["scoped", "scope-less"])
def test_the_bptt_arrow_into_h1_of_an_lstm_cell_loop_says_what_cell_2_hands_it(shape):
    keep = []
    J = cell_loop("lstm", shape, keep)
    picture = build_picture((J,), level="cell", backward=True, show_shapes=False)
    cells = {node.step: i for i, node in enumerate(picture.nodes) if node.label.startswith("LSTM cell")}
    into_h1 = sorted(label for tail, head, label in picture.edges if (tail, head) == (cells[2], cells[1]))
    assert into_h1 == ["(1/4)Σₜ₌₂⁴ ∂Jₜ/∂h₁", "(∂c₂/∂c₁)ᵀ ∂J/∂c₂"]  # (the losses it reaches, as every figure sums them)
    # and it is what cell 2 hands h₁: ∂J/∂h₁ less J₁'s own part; (∂h₂/∂h₁)ᵀ ∂J/∂h₂ leaves out the path through c₂
    (h1, _, j1), (h2, _, _) = keep[0], keep[1]
    total, = tr.grad(J, [h1], retain_graph=True)
    own, = tr.grad(j1 / 4, [h1], retain_graph=True)
    later, = tr.grad(sum(j for _, _, j in keep[1:]) / 4, [h1], retain_graph=True)
    handed = total.numpy() - own.numpy()
    numpy.testing.assert_allclose(handed, later.numpy(), rtol=1e-5, atol=1e-7)
    dh2, = tr.grad(J, [h2], retain_graph=True)
    through_h2_only, = tr.grad(h2, [h1], grad_outputs=dh2, retain_graph=True)
    assert numpy.linalg.norm(through_h2_only.numpy() - handed) > 0.05 * numpy.linalg.norm(handed)


@pytest.mark.parametrize("kind", sorted(CELLS))
def test_the_bptt_sums_keep_each_weight_with_what_uses_it(kind):
    picture = build_picture((cell_loop(kind, "scoped"),), level="cell", backward=True, show_shapes=False)
    sums = sorted(node.label for node in picture.nodes if node.kind == "output" and "Σₜ" in node.label)
    assert len(sums) == 3
    cell_sum = next(label for label in sums if "W_hh" in label)
    assert "∂J/∂E " not in cell_sum and "W_hy" not in cell_sum and "b_y" not in cell_sum
    assert any(label == "∂J/∂E = Σₜ ∂J/∂E|₍ₜ₎" for label in sums)


def test_an_unnamed_loss_is_j_and_its_shape_is_drawn_nowhere():
    """A slide leaves shapes out; a free drawing keeps them, but a scalar's "()" (J's) read as nothing: the lectures
    write a scalar's shape nowhere. A free drawing still writes the shape of an output that is not a scalar."""
    loss = cell_loop("rnn", "scoped")
    assert loss.name is None
    slide = build_picture((loss,), level="cell", slide=True)
    free = build_picture((loss,), level="cell", slide=False)
    assert [node.label for node in slide.nodes if node.kind == "output"] == ["J"]
    assert [node.label for node in free.nodes if node.kind == "output"] == ["J"]
    ops = build_picture((loss,), level="op", slide=False)  # (op level: every op's shape, the sum into J's none)
    assert not [node.label for node in ops.nodes if node.label.endswith("()")]
    assert any(re.search(r"\n\(\d+(, \d+)+\)$", node.label) for node in ops.nodes)  # (1, 4): the shapes there
    output, _ = tr.nn.RNN(2, 3)(tr.randn(2, 1, 2))
    assert [node.label for node in build_picture((output[-1],), level="cell", slide=False).nodes
            if node.kind == "output"] == ["output\n(1, 3)"]


def test_a_hand_written_recurrence_under_a_scope_is_still_one_cell():
    # no cell module called: the scope's ops are the cell, as before
    W, U = tr.randn(3, 3, requires_grad=True), tr.randn(2, 3, requires_grad=True)
    h = tr.zeros(1, 3)
    for t in range(3):
        with tr.scope(f"t={t + 1}"):
            h = (h @ W + tr.randn(1, 2) @ U).tanh()
            h.name = "h"
    picture = build_picture((h.sum(),), level="cell", show_shapes=False)
    assert sorted(node.step for node in picture.nodes if node.kind == "group") == [1, 2, 3]


def test_op_level_keeps_the_cells_ops_in_the_users_step():
    picture = build_picture((cell_loop("lstm", "scoped"),), level="op", show_shapes=False)
    rows = {node.row for node in picture.nodes if node.kind == "op" and node.step is not None}
    assert rows == {()} and {node.step for node in picture.nodes if node.kind == "op"} >= {1, 2, 3, 4}


def test_a_loop_numbered_from_t0_draws_its_cells_from_t1_after_h0():
    # the initial state is h₀: the cells are numbered as their chain counts, so no cell's output is also "h₀"
    tr.manual_seed(0)
    emb, cell, head = tr.nn.Embedding(12, 4), tr.nn.RNNCell(4, 6), tr.nn.Linear(6, 12)
    h, losses = None, []
    for t in range(3):
        with tr.scope(f"t={t}"):
            h = cell(emb(tr.tensor([t])), h)
            losses.append(F.cross_entropy(head(h), tr.tensor([t + 1])))
    picture = build_picture((tr.stack(losses).mean(),), level="cell", show_shapes=False)
    assert sorted(node.step for node in picture.nodes if node.label.startswith("RNN cell")) == [1, 2, 3]
    assert sorted(label for _, _, label in picture.edges if label.startswith("h")) == ["h₁", "h₁", "h₂", "h₂", "h₃"]
    # At op level the cell's ops stay in the user's own box with the step's embedding and head, each box drawn as
    # the cells number it (before: boxes t=0…2 holding h₁…h₃, x_0 and J_0 beside the cells' x₁ and J₁), and a key
    # line says which scope each box is
    op_level = build_picture((tr.stack(losses).mean(),), level="op", show_shapes=False)
    boxes = {}
    for node in op_level.nodes:
        if node.kind == "op" and node.step is not None:
            boxes.setdefault(node.step, set()).add(node.label.split(" = ")[0] if " = " in node.label else node.label)
    assert boxes == {t: {f"h{'₁₂₃'[t - 1]}", f"J{'₁₂₃'[t - 1]}", "embedding", "linear", "add"} for t in (1, 2, 3)}
    assert "The scopes t=0…2 are drawn as t=1…3: steps numbered from 1, after h₀" in op_level.notes


def test_one_walk_finds_a_states_ops_and_a_losss_ops(monkeypatch):
    """The ops one step computes a state from (two recurrences, two rows) and the ops a loss J_t is computed from
    (a running sum) are one walk, ``user_steps.cone`` — breadth-first, no recursion, so a 100,000-op chain walks."""
    from tinygrad_rnn.viz import user_steps

    calls = []
    walk = user_steps.cone
    monkeypatch.setattr(user_steps, "cone", lambda *a, **k: calls.append(a[0]) or walk(*a, **k))
    W = tr.randn(2, 2, requires_grad=True)
    h, g, loss = tr.ones(1, 2), tr.ones(1, 2), 0
    for t in range(3):
        with tr.scope(f"t={t + 1}"):
            h, g = (h @ W).tanh(), (g @ W).sigmoid()
            h.name, g.name = "h", "g"
            loss = loss + (h * g).sum()
    picture = build_picture((loss,), level="cell", show_shapes=False)
    assert {("", "g"), ("", "h")} <= {node.row for node in picture.nodes if node.kind == "group"}
    assert len(calls) == 3 * 3 + 3  # h, g and the running loss (carried on too) at each step; each J_t
    chain = {k + 1: [k] for k in range(100_000)}
    assert len(walk(100_000, chain, lambda p: True)) == 100_001
