"""The loops students write draw true figures: a loop of nn.RNNCell / LSTMCell / GRUCell calls
without scopes is unrolled into cells as nn.RNN's are, and so is a cell the student writes (more in
test_viz_student_cells.py); a hand-written loop whose steps cannot be found says so truthfully, and one
weight's gradient terms still meet in one Σ; a cell's own zero states are h₀ and c₀. Each model is
written as a course writes it.
"""

import re

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.layout import labelled_layout

CELLS = {"rnn": tr.nn.RNNCell, "lstm": tr.nn.LSTMCell, "gru": tr.nn.GRUCell}


def cell_loop(kind, steps=3):
    """for t in range(T): state = cell(x[t], state); loss = loss + h.sum() — no scope anywhere"""
    tr.manual_seed(0)
    cell = CELLS[kind](2, 3)
    xs = tr.randn(steps, 1, 2)
    state, loss = None, 0
    for t in range(steps):
        state = cell(xs[t], state)
        h = state[0] if kind == "lstm" else state
        loss = loss + h.sum()
    loss.name = "J"
    return loss


def labels(picture, kind):
    return [node.label for node in picture.nodes if node.kind == kind]


@pytest.mark.parametrize("kind", sorted(CELLS))
def test_a_loop_of_cell_calls_without_scopes_is_drawn_as_its_cells(kind):
    picture = build_picture((cell_loop(kind),), level="cell", show_shapes=False)
    name = kind.upper()
    assert sorted(labels(picture, "group")) == [f"{name} cell\nt={t}" for t in (1, 2, 3)]
    assert not any("No time steps" in note or "recurrence" in note for note in picture.notes)
    cells = {node.step: i for i, node in enumerate(picture.nodes) if node.kind == "group"}
    # each cell hands its state to the next: h₁ from cell 1 into cell 2, h₂ into cell 3
    assert (cells[1], cells[2], "h₁") in picture.edges and (cells[2], cells[3], "h₂") in picture.edges
    # x_t under its own cell
    assert {node.label: node.step for node in picture.nodes if node.label.startswith("x")} == \
        {"x₁": 1, "x₂": 2, "x₃": 3}


@pytest.mark.parametrize("kind", sorted(CELLS))
def test_the_bptt_figure_of_a_cell_loop_sums_each_weight_in_one_node(kind):
    picture = build_picture((cell_loop(kind),), level="cell", backward=True, show_shapes=False)
    sums = [node for node in picture.nodes if node.kind == "output" and "W_hh" in node.label]
    assert len(sums) == 1 and "Σₜ ∂J/∂W_hh|₍ₜ₎" in sums[0].label
    into = sorted(label for _, head, label in picture.edges if picture.nodes[head] is sums[0])
    assert into == ["t=1", "t=2", "t=3"]


def test_a_cell_call_continues_only_the_chain_its_own_last_call_ended():
    cell, other = tr.nn.GRUCell(2, 3), tr.nn.GRUCell(2, 3)
    first = cell(tr.randn(1, 2))
    second = cell(tr.randn(1, 2), first)
    assert (first.grad_fn.step.t, second.grad_fn.step.t) == (1, 2)
    assert second.grad_fn.step.chain is first.grad_fn.step.chain
    handed = other(tr.randn(1, 2), second)  # another module: a chain of its own, drawn after the first
    assert handed.grad_fn.step.t == 1 and handed.grad_fn.step.chain.after == 2
    fresh = cell(tr.randn(1, 2), tr.zeros(1, 3))  # a state of the user's: a new chain
    assert fresh.grad_fn.step.t == 1 and fresh.grad_fn.step.chain is not first.grad_fn.step.chain


def test_a_cell_called_inside_a_scope_the_user_wrote_records_a_step_of_its_own_chain():
    # the scope is the time step; the cell's ops are its own (drawn apart from the step's embedding and head),
    # numbered as its chain counts: from 1, h_1 after h_0, in a loop numbered from t=0 too
    cell = tr.nn.RNNCell(2, 3)
    with tr.scope("t=0"):
        h = cell(tr.randn(1, 2))
    assert h.grad_fn.step.t == 1 and h.grad_fn.scope == ("t=0", "RNN", "layer 0", "forward", "t=1")
    with tr.scope("t=1"):
        after = cell(tr.randn(1, 2), h)
    assert after.grad_fn.step.t == 2 and after.grad_fn.step.chain is h.grad_fn.step.chain


def test_a_cell_loop_is_the_same_recurrence_for_the_lecture_page():
    page = tr.viz.lecture(cell_loop("gru"))
    panel = page.data["panels"][0]
    assert panel["steps"] == 3 and sorted(panel["cells"]) == ["1", "2", "3"]


def test_a_cell_names_the_zero_states_it_makes_h0_and_c0():
    picture = build_picture((cell_loop("lstm"),), level="cell", show_shapes=False)
    inputs = labels(picture, "input")
    assert "h_0" in inputs and "c_0" in inputs and "input" not in inputs


class MyCell(tr.nn.Module):
    """A course's first exercise: write your own RNN cell from Linear and tanh (then unroll it by hand)."""

    def __init__(self):
        super().__init__()
        self.W_x, self.W_h = tr.nn.Linear(2, 3), tr.nn.Linear(3, 3, bias=False)

    def forward(self, x, h):
        return (self.W_x(x) + self.W_h(h)).tanh()


@pytest.mark.parametrize("backward", [False, True])
def test_the_students_own_cell_called_in_a_loop_is_a_recurrence_of_steps(backward):
    tr.manual_seed(0)
    cell, xs, h = MyCell(), tr.randn(4, 1, 2), tr.zeros(1, 3)
    for t in range(4):
        h = cell(xs[t], h)
    loss = h.sum()
    loss.name = "J"
    picture = build_picture((loss,), level="cell", backward=backward, show_shapes=False)
    cells = sorted((node.step, node.label.split("\n")[0]) for node in picture.nodes if node.kind == "group")
    assert cells == [(t, "My cell, backward" if backward else "My cell") for t in (1, 2, 3, 4)]
    assert not any(note.startswith("No time steps found") for note in picture.notes)
    carried = sorted(label for _, _, label in picture.edges if "h" in label)
    if backward:  # each weight's terms, one per step, meet in one Σ
        assert carried == ["∂J/∂h₁", "∂J/∂h₂", "∂J/∂h₃", "∂J/∂h₄"]
        sums = next(node.label for node in picture.nodes if node.kind == "output" and node.label != "J")
        assert sums.splitlines() == [f"∂J/∂{w} = Σₜ ∂J/∂{w}|₍ₜ₎" for w in ("W_h.weight", "W_x.weight", "W_x.bias")]
    else:  # leaves by role: h₀, and the step's own x_t under each cell
        assert carried == ["h₁", "h₂", "h₃", "h₄"]
        assert sorted((node.step or 0, node.label) for node in picture.nodes if node.kind == "input") == [
            (0, "h_0"), (1, "x₁"), (2, "x₂"), (3, "x₃"), (4, "x₄")]


class Squares(tr.nn.Module):
    def forward(self, x):
        return x * x


def test_a_module_fed_only_its_own_output_reads_no_input_and_is_no_cell():
    square = Squares()
    y = square(square(tr.ones(1, 3, requires_grad=True)))
    assert y.grad_fn.step is None and y.grad_fn.scope == ()


def test_a_loop_whose_steps_cannot_be_found_says_so_and_what_to_write():
    """two recurrences sharing W and U, no scope: no weight is read once a step by its own state (h and g take turns),
    so no step is made up — every op drawn, and what to write"""
    picture = build_picture((two_recurrences(scoped=False),), level="cell", show_shapes=False)
    assert not any("recurrence" in note or note.startswith("Steps found") for note in picture.notes)
    assert any(note.startswith("No time steps found") and 'tr.scope(f"t={t}")' in note for note in picture.notes)


@pytest.mark.parametrize("slide", [False, True])
def test_a_loop_without_steps_sums_each_weights_terms_in_one_node(slide):
    picture = build_picture((two_recurrences(scoped=False),), level="cell", backward=True, show_shapes=False,
                            slide=slide)
    gradients = [label for label in labels(picture, "output") if label != "J"]
    assert sorted(gradients) == ["∂J/∂U = Σ (6 terms)", "∂J/∂W = Σ (6 terms)"], gradients
    for node in picture.nodes:
        if node.kind == "output" and node.label != "J":
            assert sum(picture.nodes[head] is node for _, head, _ in picture.edges) == 6
    assert not any("names" in note for note in picture.notes)  # no node names a call: no note saying one does


def scoped_loop(accumulate, steps=4):
    """the loop of the tutorials, each step under tr.scope: the loss added up (loss = loss + J_t), or stacked
    (tr.stack(losses).mean()), each J_t named J as a student would"""
    tr.manual_seed(0)
    W_xh, W_hh, W_hy = (tr.randn(*shape, requires_grad=True) for shape in [(2, 3), (3, 3), (3, 1)])
    W_xh.name, W_hh.name, W_hy.name = "W_xh", "W_hh", "W_hy"
    xs, h, loss, losses = tr.randn(steps, 1, 2), tr.zeros(1, 3), 0, []
    xs.name = "x"
    for t in range(steps):
        with tr.scope(f"t={t + 1}"):
            h = tr.tanh(xs[t] @ W_xh + h @ W_hh)
            h.name = "h"
            step_loss = (((h @ W_hy) - 1.0) ** 2).sum()
            step_loss.name = "J"
            loss = loss + step_loss
            losses.append(step_loss)
    loss = loss if accumulate else tr.stack(losses).mean()
    loss.name = "J"
    return loss


def between_cells(picture):
    cells = {i for i, node in enumerate(picture.nodes) if node.kind == "group"}
    return [(picture.nodes[a].step, picture.nodes[b].step, label) for a, b, label in picture.edges
            if a in cells and b in cells]


@pytest.mark.parametrize("accumulate", [True, False])
def test_a_loss_summed_in_the_loop_is_drawn_as_the_sum_of_its_steps_losses(accumulate):
    picture = build_picture((scoped_loop(accumulate),), level="cell", show_shapes=False)
    # one arrow between two cells, h: the running sum is no second state
    assert sorted(between_cells(picture)) == [(1, 2, "h₁"), (2, 3, "h₂"), (3, 4, "h₃")]
    (total,) = [i for i, node in enumerate(picture.nodes) if "Σₜ Jₜ" in node.label]
    assert picture.nodes[total].label == ("Σₜ Jₜ" if accumulate else "(1/4) Σₜ Jₜ")
    into = sorted((picture.nodes[a].step, label) for a, b, label in picture.edges if b == total)
    assert into == [(1, "J₁"), (2, "J₂"), (3, "J₃"), (4, "J₄")]  # every step's loss, none called J₄ alone
    (output,) = [i for i, node in enumerate(picture.nodes) if node.kind == "output"]
    assert [(a, label) for a, b, label in picture.edges if b == output] == [(total, "")]


@pytest.mark.parametrize("accumulate", [True, False])
def test_its_bptt_figure_hands_each_step_its_share_of_j(accumulate):
    share = "1" if accumulate else "1/4"
    picture = build_picture((scoped_loop(accumulate),), level="cell", backward=True, show_shapes=False)
    assert len(between_cells(picture)) == 3  # one gradient between two cells, ∂J/∂h
    from_j = sorted(label for a, b, label in picture.edges if picture.nodes[a].label == "J")
    assert from_j == [f"∂J/∂J{t} = {share}" for t in "₁₂₃₄"]
    rolled = build_picture((scoped_loop(accumulate),), level="cell", backward=True, rolled=True, show_shapes=False)
    assert [label for a, b, label in rolled.edges if rolled.nodes[a].label == "J"] == \
        [f"∂J/∂Jₜ = {'1' if accumulate else '1/T'}"]  # one label, not "∂J/∂J_T, ∂J/∂J_t"


class Tagger(tr.nn.Module):
    """a student's tagger: attributes named as they like (emb, fc), not as the library names its own"""

    def __init__(self):
        super().__init__()
        self.emb, self.lstm, self.fc = tr.nn.Embedding(10, 3), tr.nn.LSTM(3, 4), tr.nn.Linear(4, 5)

    def forward(self, ids):
        return self.fc(self.lstm(self.emb(ids))[0])


def tagger_loss(model=None):
    tr.manual_seed(0)
    model = model or Tagger()
    logits = model(tr.tensor([[1], [4], [2], [7]]))
    return tr.nn.functional.cross_entropy(logits.reshape(-1, 5), tr.tensor([0, 3, 1, 2]))


def parameter_names(picture):
    return {name for node in picture.nodes for name in node.parameters}


def test_a_notation_names_a_models_head_and_embedding_by_what_they_do():
    cs224n = parameter_names(build_picture((tagger_loss(),), level="cell", notation="cs224n"))
    assert {"U", "b₂", "E", "W_e", "W_h"} <= cs224n and not any("fc." in n or "emb." in n for n in cs224n)
    elman = build_picture((tagger_loss(),), level="cell", backward=True, notation="elman")
    sums = " ".join(node.label for node in elman.nodes if node.kind == "output")
    assert "∂J/∂U" in sums and "fc.weight" not in sums
    # without a notation, the names the library's own model is drawn with (E, W_hy, b_y), not the attributes'
    default = parameter_names(build_picture((tagger_loss(),), level="cell"))
    assert {"W_hy", "b_y", "E"} <= default and not any("fc." in n or "emb." in n for n in default)


def test_where_a_role_is_ambiguous_the_code_name_stays():
    model = Tagger()
    model.fc2 = tr.nn.Linear(5, 5)  # two linear layers after the recurrence: which is U?
    model.forward = lambda ids: model.fc2(model.fc(model.lstm(model.emb(ids))[0]))
    names = parameter_names(build_picture((tagger_loss(model),), level="cell", notation="cs224n"))
    assert {"fc.weight", "fc2.weight"} <= names and "U" not in names


def two_recurrences(scoped=True):
    """h and g, each its own recurrence, reading one W and one U, under one scope a step (the review's model)"""
    tr.manual_seed(0)
    W, U = tr.randn(3, 3, requires_grad=True), tr.randn(2, 3, requires_grad=True)
    W.name, U.name = "W", "U"
    a, b, h, g = tr.randn(3, 1, 2), tr.randn(3, 1, 2), tr.zeros(1, 3), tr.zeros(1, 3)
    for t in range(3):
        with tr.scope(f"t={t + 1}") if scoped else tr.scope():
            h, g = tr.tanh(a[t] @ U + h @ W), tr.tanh(b[t] @ U + g @ W)
            h.name, g.name = "h", "g"
    return (h * g).sum()


def test_two_recurrences_under_one_scope_are_drawn_as_two_rows():
    picture = build_picture((two_recurrences(),), level="cell", show_shapes=False)
    cells = [node for node in picture.nodes if node.kind == "group"]
    assert sorted((node.row[-1], node.step) for node in cells) == [(s, t) for s in "gh" for t in (1, 2, 3)]
    (output,) = [i for i, node in enumerate(picture.nodes) if node.kind == "output"]
    into = sorted(picture.nodes[a].row[-1] for a, b, _ in picture.edges if b == output)
    assert into == ["g", "h"]  # J reads h₃ and g₃, each from its own cell
    shaped = build_picture((two_recurrences(),), level="cell")  # (shapes tell a_t, (1, 2), from h_0, (1, 3))
    inputs = [node.label for node in shaped.nodes if node.kind == "input" and node.step is not None]
    assert len(inputs) == 6 and not any(label.startswith("x") for label in inputs)  # a_t and b_t: neither is x_t
    backward = build_picture((two_recurrences(),), level="cell", backward=True, show_shapes=False)
    sums = [node for node in backward.nodes if node.kind == "output" and "W" in node.label]
    assert len(sums) == 1  # W's six terms, from both recurrences, meet in one Σ
    assert sum(backward.nodes[b] is sums[0] for _, b, _ in backward.edges) == 6


def test_an_lstm_written_by_hand_stays_one_cell_a_step():
    """h is computed from c: the two share ops, so one cell computes both (no split)"""
    tr.manual_seed(0)
    W = tr.randn(3, 12, requires_grad=True)
    W.name = "W"
    h, c = tr.zeros(1, 3), tr.zeros(1, 3)
    for t in range(3):
        with tr.scope(f"t={t + 1}"):
            i, f, g, o = (h @ W).chunk(4, dim=-1)
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            h = o.sigmoid() * c.tanh()
            h.name, c.name = "h", "c"
    picture = build_picture((h.sum(),), level="cell", show_shapes=False)
    assert sorted(node.step for node in picture.nodes if node.kind == "group") == [1, 2, 3]


def cell_loop_with_head(kind="rnn", accumulate=False, scoped=False):
    """state = cell(x[t], state); J_t = head(h).sum() — stacked and averaged, or added up (loss = loss + J_t), no
    scope anywhere; ``scoped``: the cell and head under tr.scope, the adding after the with block"""
    tr.manual_seed(0)
    cell, head = CELLS[kind](2, 3), tr.nn.Linear(3, 1)
    xs, state, losses, loss = tr.randn(3, 1, 2), None, [], 0
    for t in range(3):
        with tr.scope(f"t={t + 1}") if scoped else tr.scope():
            state = cell(xs[t], state)
            step_loss = head(state[0] if kind == "lstm" else state).sum()
        loss = loss + step_loss
        losses.append(step_loss)
    loss = loss if accumulate else tr.stack(losses).mean()
    loss.name = "J"
    return loss


SELF_JACOBIAN = re.compile(r"∂(h[₀-₉]+)/∂\1\b")  # (∂h₂/∂h₂)ᵀ: a state's gradient written in terms of itself


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_a_cell_loop_with_a_head_hands_each_step_its_share_not_a_circular_chain_rule(kind):
    picture = build_picture((cell_loop_with_head(kind),), level="cell", backward=True, show_shapes=False)
    texts = [label for _, _, label in picture.edges] + picture.notes
    assert not [text for text in texts if SELF_JACOBIAN.search(text)]
    heads = {i: node.step for i, node in enumerate(picture.nodes) if node.label.startswith("linear")}
    from_j = sorted((heads[b], label) for a, b, label in picture.edges if picture.nodes[a].label == "J")
    assert from_j == [(1, "∂J/∂J₁ = 1/3"), (2, "∂J/∂J₂ = 1/3"), (3, "∂J/∂J₃ = 1/3")]
    into_cells = sorted((heads[a], label) for a, b, label in picture.edges if a in heads and
                        picture.nodes[b].kind == "group" and b not in heads)
    assert into_cells == [(1, "(1/3) ∂J₁/∂h₁"), (2, "(1/3) ∂J₂/∂h₂"), (3, "∂J/∂h₃")]
    assert any(note.endswith("∂J/∂h₂ = (1/3) ∂J₂/∂h₂ + (∂h₃/∂h₂)ᵀ ∂J/∂h₃") or
               note.endswith("∂J/∂h₂ = (1/3) ∂J₂/∂h₂ + (1/3) ∂J₃/∂h₂") for note in picture.notes)
    rolled = build_picture((cell_loop_with_head(kind),), level="cell", backward=True, rolled=True, show_shapes=False)
    assert not [text for _, _, text in rolled.edges if "∂hₜ/∂hₜ" in text]
    assert ("∂J/∂Jₜ = 1/T") in [label for _, _, label in rolled.edges]


@pytest.mark.parametrize("model", [
    lambda: cell_loop_with_head("rnn"),  # scope-less, tr.stack(losses).mean()
    lambda: cell_loop_with_head("lstm", accumulate=True),  # scope-less, loss = loss + head(h).sum()
    lambda: cell_loop_with_head("gru", accumulate=True, scoped=True),  # scoped, loss = loss + J_t after the with
    lambda: cell_loop("rnn"),  # scope-less, loss = loss + h.sum()
])
def test_a_loss_summed_wherever_the_steps_are_found_is_drawn_as_their_sum(model):
    loss = model()
    mean = loss.grad_fn.name == "div"
    picture = build_picture((loss,), level="cell", show_shapes=False)
    (total,) = [i for i, node in enumerate(picture.nodes) if "Σₜ Jₜ" in node.label]
    assert picture.nodes[total].label == ("(1/3) Σₜ Jₜ" if mean else "Σₜ Jₜ")
    into = sorted((picture.nodes[a].step, label) for a, b, label in picture.edges if b == total)
    assert into == [(1, "J₁"), (2, "J₂"), (3, "J₃")]
    (output,) = [i for i, node in enumerate(picture.nodes) if node.kind == "output"]
    assert [(a, label) for a, b, label in picture.edges if b == output] == [(total, "")]
    backward = build_picture((model(),), level="cell", backward=True, show_shapes=False)
    from_j = sorted(label for a, b, label in backward.edges if backward.nodes[a].label == "J")
    assert from_j == [f"∂J/∂J{t} = {'1/3' if mean else '1'}" for t in "₁₂₃"]


def test_a_scope_less_lstm_cell_loop_says_each_path_one_way_and_rolls_into_two_loops():
    picture = build_picture((cell_loop("lstm"),), level="cell", backward=True, show_shapes=False)
    between = sorted(label for a, b, label in picture.edges
                     if picture.nodes[a].kind == picture.nodes[b].kind == "group")
    assert between == ["(∂c₂/∂c₁)ᵀ ∂J/∂c₂", "(∂c₃/∂c₂)ᵀ ∂J/∂c₃", "(∂h₂/∂h₁)ᵀ ∂J/∂h₂", "(∂h₃/∂h₂)ᵀ ∂J/∂h₃"]
    rolled = build_picture((cell_loop("lstm"),), level="cell", backward=True, rolled=True, show_shapes=False)
    (cell,) = [node for node in rolled.nodes if node.kind == "group"]
    assert cell.loops == ["(∂cₜ₊₁/∂cₜ)ᵀ ∂J/∂cₜ₊₁", "(∂hₜ₊₁/∂hₜ)ᵀ ∂J/∂hₜ₊₁"]


def test_two_recurrences_label_every_arrow_of_both_rows_and_name_their_initial_states():
    """a user's state named g is a state, not an LSTM's gate g: its arrows are labelled as h's are"""
    forward = build_picture((two_recurrences(),), level="cell")
    rows = {i: node.row[-1] for i, node in enumerate(forward.nodes) if node.kind == "group"}
    (output,) = [i for i, node in enumerate(forward.nodes) if node.kind == "output"]
    assert sorted(label for a, b, label in forward.edges if a in rows and (b in rows or b == output)) == \
        ["g₁", "g₂", "g₃", "h₁", "h₂", "h₃"]
    starts = sorted(node.label.split("\n")[0] for node in forward.nodes if node.kind == "input" and node.step is None)
    assert starts == ["g_0", "h_0"]  # drawn g₀ and h₀, not "input"
    backward = build_picture((two_recurrences(),), level="cell", backward=True)
    assert sorted(label for a, b, label in backward.edges if backward.nodes[b].kind == "group") == \
        ["∂J/∂g₁", "∂J/∂g₂", "∂J/∂g₃", "∂J/∂h₁", "∂J/∂h₂", "∂J/∂h₃"]  # J = Σ h ⊙ g: ∂J/∂g₃ = h₃, its own arrow


def test_j_hands_each_recurrence_its_own_gradient_from_a_point_of_its_own():
    """J = Σ h₃ ⊙ g₃ going back: ∂J/∂h₃ = g₃ and ∂J/∂g₃ = h₃ left J from one point, one gradient as it read."""
    backward = build_picture((two_recurrences(),), level="cell", backward=True)
    _, placed = labelled_layout(backward)
    seed = 0  # (the loss, drawn first)
    assert backward.nodes[seed].kind == "output" and not backward.nodes[seed].label.startswith("∂")
    starts = [tuple(round(c, 1) for c in route.points[0])
              for (tail, _, _), route in zip(backward.edges, placed.routes, strict=True) if tail == seed]
    assert len(starts) == 2 and len(set(starts)) == 2, starts


@pytest.mark.parametrize("scoped", [True, False])
def test_a_free_linear_head_beside_a_cell_is_named_by_its_role_not_bare_weight(scoped):
    forward = build_picture((cell_loop_with_head(scoped=scoped),), level="cell", show_shapes=False)
    assert {"W_hy", "b_y", "W_hh"} <= parameter_names(forward) and not {"weight", "bias"} & parameter_names(forward)
    backward = build_picture((cell_loop_with_head(scoped=scoped),), level="cell", backward=True, show_shapes=False)
    sums = " ".join(node.label for node in backward.nodes if node.kind == "output")
    assert "Σₜ ∂J/∂W_hy|₍ₜ₎" in sums and "∂J/∂weight" not in sums
    cs224n = build_picture((cell_loop_with_head(scoped=scoped),), level="cell", notation="cs224n")
    assert {"U", "b₂"} <= parameter_names(cs224n)  # a notation that names the head still writes its own letters


def gru_with_two_heads(attributes=False, logits_named=False):
    """One GRU, a tagger's head at every step and a classifier's on h_T: J = J_tag + J_cls; ``attributes``: the
    heads are a module's tag_head and cls_head (names the user gave), else two bare nn.Linear; ``logits_named``: the
    tagger's scores named ŷ."""
    tr.manual_seed(0)
    model = tr.nn.Module()
    model.gru, model.tag_head, model.cls_head = tr.nn.GRU(2, 3), tr.nn.Linear(3, 3), tr.nn.Linear(3, 2)
    tag, cls = (model.tag_head, model.cls_head) if attributes else (tr.nn.Linear(3, 3), tr.nn.Linear(3, 2))
    out, h_n = model.gru(tr.randn(3, 1, 2))
    scores = tag(out)
    if logits_named:
        scores.name = "ŷ"
    j_tag = tr.nn.functional.cross_entropy(scores.reshape(-1, 3), tr.tensor([0, 1, 2]))
    j_cls = tr.nn.functional.cross_entropy(cls(h_n[-1]), tr.tensor([1]))
    j_tag.name, j_cls.name = "J_tag", "J_cls"
    loss = j_tag + j_cls
    loss.name = "J"
    return loss


def test_two_free_heads_are_named_by_the_losses_they_feed_not_as_two_layers():
    """A tagger's head and a classifier's, two bare nn.Linear: W_tag, b_tag and W_cls, b_cls (U_cls in CS224N's
    letters) — before, linear.weight⁽²⁾ and linear.weight⁽¹⁾, the mark of two layers. Names the user gave
    (tag_head.weight) stay, and a name on the way (the scores' ŷ) is no loss's. The BPTT note on sₜ names the
    losses as drawn, J_tagₜ (before: Jₜ, no node's name)."""
    for notation, weights in ((None, {"W_tag", "b_tag", "W_cls", "b_cls"}), ("cs224n", {"U_tag", "U_cls", "b_cls"})):
        names = parameter_names(build_picture((gru_with_two_heads(),), level="cell", notation=notation))
        assert weights <= names and not [name for name in names if "linear" in name or "⁽" in name], names
    scores_named = parameter_names(build_picture((gru_with_two_heads(logits_named=True),), level="cell"))
    assert {"W_tag", "W_cls"} <= scores_named, scores_named  # (by the loss, not by the ŷ it names on the way)
    named = parameter_names(build_picture((gru_with_two_heads(attributes=True),), level="cell"))
    assert {"tag_head.weight", "cls_head.bias"} <= named and not {"W_tag", "W_cls"} & named, named
    backward = build_picture((gru_with_two_heads(),), level="cell", backward=True, show_shapes=False)
    assert any(note.startswith("sₜ: the scores J_tagₜ reads") for note in backward.notes), backward.notes


def test_each_steps_unnamed_input_is_x_t_at_every_level():
    """x[t] of a loop of LSTMCell calls under "t=k" scopes, and x sliced by nn.LSTM: x₁, x₂, x₃ at op level as at
    cell and step level, never two nodes both "input" nor "input₁"; one encoder read on two unnamed sentences
    names each its own: x_t for the first call's, x′_t for the second's (:func:`.value_names.mark_calls`)."""
    tr.manual_seed(0)
    cell, xs = tr.nn.LSTMCell(2, 3), tr.randn(3, 1, 2)
    h, c = tr.zeros(1, 3), tr.zeros(1, 3)
    for t in range(3):
        with tr.scope(f"t={t + 1}"):
            h, c = cell(xs[t], (h, c))
    output, _ = tr.nn.LSTM(2, 3, num_layers=2)(tr.randn(2, 1, 2))
    for loss, steps in ((h.sum(), 3), (output[-1].sum(), 2)):
        for level in ("op", "cell", "step"):
            picture = build_picture((loss,), level=level, show_shapes=False)
            inputs = sorted((node.label, node.step) for node in picture.nodes
                            if node.kind == "input" and node.step is not None)
            assert inputs == [(f"x{'₁₂₃'[t]}", t + 1) for t in range(steps)], (level, inputs)
    first, second = tr.randn(2, 1, 2), tr.randn(2, 1, 2)  # one encoder read on two sentences
    encoder = tr.nn.RNN(2, 3)
    picture = build_picture(((encoder(first)[0][-1] * encoder(second)[0][-1]).sum(),), level="cell",
                            show_shapes=False)
    read = {(picture.nodes[tail].label, next(part for part in picture.nodes[head].row if part.startswith("call ")))
            for tail, head, _ in picture.edges if picture.nodes[tail].kind == "input" and picture.nodes[tail].step}
    assert read == {("x₁", "call 1"), ("x₂", "call 1"), ("x′₁", "call 2"), ("x′₂", "call 2")}, read
