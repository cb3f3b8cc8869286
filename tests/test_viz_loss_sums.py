"""A loss a lecturer adds up in a loop is drawn as the lectures draw it, whatever its shape: J_t = cross_entropy
in each step's column, one Σₜ Jₜ — (1/T) Σₜ Jₜ where the sum is divided by T — and J, which reads the Σ alone;
going back, J hands each J_t its ∂J/∂J_t = 1 (or 1/T). The sum may start from 0, 0.0, tr.tensor(0.) or
tr.zeros(()) (the constant is not drawn), be divided after the loop (/ T, * (1/T)), or be a stack's mean; the
steps may be scoped or not, the loss taken inside the scope or after it.
"""

import re

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.layout import labelled_layout
from tinygrad_rnn.viz.picture import PER_STEP

F = tr.nn.functional
SEQUENCE = [1, 5, 3, 7, 2]  # 4 steps: x_t = SEQUENCE[t - 1], its target SEQUENCE[t]
T = len(SEQUENCE) - 1
CELLS = {"rnn": tr.nn.RNNCell, "lstm": tr.nn.LSTMCell}
STARTS = {"0": lambda: 0, "0.0": lambda: 0.0, "tensor(0.)": lambda: tr.tensor(0.0), "zeros(())": lambda: tr.zeros(())}


def language_model(kind: str, scoped: bool):
    """an embedding, a cell and a linear head, as a lecture writes a language model: step(t) → J_t"""
    tr.manual_seed(0)
    embedding, cell, head = tr.nn.Embedding(12, 4), CELLS[kind](4, 6), tr.nn.Linear(6, 12)
    state = None

    def step(t: int):
        nonlocal state
        with tr.scope(f"t={t + 1}") if scoped else tr.scope():
            state = cell(embedding(tr.tensor([SEQUENCE[t]])), state)
            return F.cross_entropy(head(state[0] if kind == "lstm" else state), tr.tensor([SEQUENCE[t + 1]]))
    return step


def summed(kind: str, start: str, divided: str, scoped: bool):
    """total = <start>; total = total + J_t at every step; loss = total, total / T or total * (1/T)"""
    step, total = language_model(kind, scoped), STARTS[start]()
    for t in range(T):
        total = total + step(t)
    return {"": total, "/ T": total / T, "* (1/T)": total * (1 / T)}[divided]


def stacked_after_the_scope(kind: str):
    """the scope holds the cell and the head; the loss is taken after it, and the losses stacked and averaged"""
    tr.manual_seed(0)
    embedding, cell, head = tr.nn.Embedding(12, 4), CELLS[kind](4, 6), tr.nn.Linear(6, 12)
    state, losses = None, []
    for t in range(T):
        with tr.scope(f"t={t + 1}"):
            state = cell(embedding(tr.tensor([SEQUENCE[t]])), state)
            scores = head(state[0] if kind == "lstm" else state)
        losses.append(F.cross_entropy(scores, tr.tensor([SEQUENCE[t + 1]])))
    return tr.stack(losses).mean()


def assert_drawn_as_sum_of_step_losses(picture, mean: bool) -> None:
    nodes = picture.nodes
    (total,) = [i for i, node in enumerate(nodes) if "Σₜ Jₜ" in node.label]
    assert nodes[total].label == (f"(1/{T}) Σₜ Jₜ" if mean else "Σₜ Jₜ")
    (output,) = [i for i, node in enumerate(nodes) if node.kind == "output"]
    assert [(tail, label) for tail, head, label in picture.edges if head == output] == [(total, "")]  # J reads Σ alone
    losses = {i: node.step for i, node in enumerate(nodes) if node.label.split("\n")[0].endswith("= cross_entropy")}
    assert sorted((node.label.split("\n")[0], losses[i]) for i, node in enumerate(nodes) if i in losses) == \
        [(f"J{s} = cross_entropy", t) for t, s in zip(range(1, T + 1), "₁₂₃₄", strict=True)]
    assert sorted(losses[tail] for tail, head, label in picture.edges if head == total and label == "") == \
        list(range(1, T + 1))  # each J_t into the Σ, from its own column
    assert sorted(tail for tail, head, _ in picture.edges if head == total) == sorted(losses)
    into_losses = [(nodes[tail].step, losses[head]) for tail, head, _ in picture.edges if head in losses]
    assert sorted(into_losses) == [(t, t) for t in range(1, T + 1)]  # each J_t computed from its own step
    assert not [node.label for node in nodes if node.kind == "input" and node.label.endswith("()")]  # no constant 0
    fed = {tail for tail, _, _ in picture.edges}
    assert [node.label for i, node in enumerate(nodes) if i not in fed and node.kind != "output"] == []
    cells = {i for i, node in enumerate(nodes) if node.kind == "group" and node.row[:1] != (PER_STEP,)}
    between = sorted(label for tail, head, label in picture.edges if tail in cells and head in cells)
    states = ["c₁", "c₂", "c₃", "h₁", "h₂", "h₃"] if len(between) == 6 else ["h₁", "h₂", "h₃"]
    assert between == states  # the running sum is no third, unlabelled state between the cells


@pytest.mark.parametrize("scoped", [False, True], ids=["bare", "scoped"])
@pytest.mark.parametrize("divided", ["", "/ T", "* (1/T)"])
@pytest.mark.parametrize("start", sorted(STARTS))
@pytest.mark.parametrize("kind", sorted(CELLS))
def test_a_running_sum_of_losses_is_drawn_as_j_t_into_one_sum(kind, start, divided, scoped):
    for level in ("cell", "step"):
        picture = build_picture((summed(kind, start, divided, scoped),), level=level, show_shapes=True)
        assert_drawn_as_sum_of_step_losses(picture, mean=bool(divided))


@pytest.mark.parametrize("scoped", [False, True], ids=["bare", "scoped"])
@pytest.mark.parametrize("divided", ["", "/ T"])
@pytest.mark.parametrize("start", ["0", "tensor(0.)"])
@pytest.mark.parametrize("kind", sorted(CELLS))
def test_going_back_j_hands_each_j_t_its_share(kind, start, divided, scoped):
    picture = build_picture((summed(kind, start, divided, scoped),), level="cell", backward=True, show_shapes=False)
    (j,) = [i for i, node in enumerate(picture.nodes) if node.kind == "output" and node.label in ("loss", "J")]
    share = "1/4" if divided else "1"
    from_j = sorted((picture.nodes[head].label, label) for tail, head, label in picture.edges if tail == j)
    assert from_j == [(f"cross_entropy, backward\nt={t}", f"∂J/∂J{s} = {share}") for t, s in zip((1, 2, 3, 4), "₁₂₃₄")]
    into = sorted((picture.nodes[tail].step, picture.nodes[head].step) for tail, head, _ in picture.edges
                  if picture.nodes[tail].label.startswith("cross_entropy") and picture.nodes[head].kind == "group")
    assert into == [(t, t) for t in range(1, T + 1)]  # from J_t into its own step only


@pytest.mark.parametrize("kind", sorted(CELLS))
def test_a_loss_taken_after_the_scope_and_stacked_is_one_j_t_a_step_into_the_mean(kind):
    """not four cross_entropy nodes feeding J beside the mean, nor J_t edges out of the cells"""
    for level in ("cell", "step"):
        assert_drawn_as_sum_of_step_losses(build_picture((stacked_after_the_scope(kind),), level=level), mean=True)
    backward = build_picture((stacked_after_the_scope(kind),), level="cell", backward=True)
    assert sorted(label for tail, _, label in backward.edges if backward.nodes[tail].kind == "output") == \
        [f"∂J/∂J{s} = 1/4" for s in "₁₂₃₄"]


@pytest.mark.parametrize("reduce", [
    lambda losses: tr.stack(losses).mean(),
    lambda losses: tr.stack(losses).sum() / T,
    lambda losses: sum(losses) / T,  # Python's sum: 0 + J₁ + J₂ + …, after the loop
    lambda losses: 0.25 * sum(losses),
    lambda losses: sum(losses[1:], losses[0]) / T,  # J₁ + J₂ + …: no 0 to start from
    lambda losses: (losses[0] + losses[1] + losses[2] + losses[3]) / T,
    lambda losses: ((losses[0] + losses[1]) + (losses[2] + losses[3])) * 0.25,  # added as a tree, not a chain
], ids=["stack.mean", "stack.sum / T", "sum / T", "0.25 * sum", "sum from J1 / T", "J1 + J2 + J3 + J4 / T",
        "(J1 + J2) + (J3 + J4) * 0.25"])
@pytest.mark.parametrize("scoped", [False, True], ids=["bare", "scoped"])
def test_every_way_of_writing_the_mean_is_drawn_as_the_mean(reduce, scoped):
    step = language_model("rnn", scoped=scoped)
    picture = build_picture((reduce([step(t) for t in range(T)]),), level="cell")
    assert_drawn_as_sum_of_step_losses(picture, mean=True)


@pytest.mark.parametrize("make", [
    lambda total: total / 2,  # half the sum: no mean of 4 steps, and not their sum
    lambda total: total + 1.0,  # J = Σₜ Jₜ + 1
], ids=["total / 2", "total + 1"])
def test_a_sum_divided_by_another_number_or_shifted_is_not_called_the_sum_of_the_losses(make):
    step, total = language_model("rnn", scoped=False), 0
    for t in range(T):
        total = total + step(t)
    picture = build_picture((make(total),), level="cell")
    assert not [node.label for node in picture.nodes if "Σₜ Jₜ" in node.label]


def test_a_sum_started_from_a_number_other_than_zero_is_not_called_the_sum_of_the_losses():
    step, total = language_model("rnn", scoped=False), 1.0
    for t in range(T):
        total = total + step(t)
    assert not [node.label for node in build_picture((total,), level="cell").nodes if "Σₜ Jₜ" in node.label]


def test_a_buses_step_names_stand_on_one_line_the_last_one_too():
    """The Σ's bus of a cell written as a function (BPTT, 4 steps): t=1 … t=3 stood under the bus, t=4, its drop at
    the bus's corner, over it; on the page's sums stage t=8 stood half a line off t=1 … t=7. A student counting the
    terms along the line saw T − 1, then one apart. Each name that stands apart from its bus's others, beside its drop,
    goes where they stand (bus_labels), where that is clear."""
    tr.manual_seed(0)
    w_x, w_h = tr.randn(2, 3, requires_grad=True), tr.randn(3, 3, requires_grad=True)
    xs, h = tr.randn(4, 1, 2), tr.zeros(1, 3)
    for t in range(4):
        h = tr.tanh(xs[t] @ w_x + h @ w_h)
    picture = build_picture((h.sum(),), level="cell", backward=True, slide=True)
    _, placed = labelled_layout(picture)
    named = [(label, route) for (_, _, label), route in zip(picture.edges, placed.routes)
             if re.fullmatch(r"t=\d", label)]
    assert sorted(label for label, _ in named) == ["t=1", "t=2", "t=3", "t=4"]
    assert len({round(route.label_at[1], 1) for _, route in named}) == 1, [(n, r.label_at) for n, r in named]
    offsets = {round(route.label_at[0] - (route.unhopped or route.points)[0][0], 1) for _, route in named}
    assert len(offsets) == 1, offsets
