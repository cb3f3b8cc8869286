"""One module, or one Parameter, used in two places: each call its own node, each use a term of one Σ.

A projection applied to every x_t and again to h_T (``head(proj(h[-1]))``) is one ``Linear`` called twice: the
call on h_T is no step of the loop (it comes after the steps, drawn with the head), the head keeps its own node and
its names (W_hy, b_y — never named after the loss, "J.weight"), and the BPTT figure's Σ for the shared weight takes
t=1 … T and one term after the steps, never a second t=T. A table tied between the embedding and a head on h_T is
the same: one tensor, its Σ fed by every step's embedding and by the head after the steps.
"""

import contextlib

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.views import AFTER_THE_STEPS

F = tr.nn.functional


class Projected(tr.nn.Module):
    """x → proj → RNN, then head(proj(h_T)): the model the lecturer's figure was drawn from, as attributes"""

    def __init__(self):
        super().__init__()
        self.proj, self.rnn, self.head = tr.nn.Linear(3, 3), tr.nn.RNN(3, 3), tr.nn.Linear(3, 2)

    def forward(self, x):
        _, h = self.rnn(self.proj(x))
        return self.head(self.proj(h[-1]))


def projected_twice(as_attributes):
    """(J, the name drawn for proj's weight): a Module's attributes (proj.weight) or plain variables (weight)"""
    tr.manual_seed(0)
    x = tr.randn(3, 1, 3)
    if as_attributes:
        logits, name = Projected()(x), "proj.weight"
    else:
        proj, rnn, head = tr.nn.Linear(3, 3), tr.nn.RNN(3, 3), tr.nn.Linear(3, 2)
        logits, name = head(proj(rnn(proj(x))[1][-1])), "weight"
    loss = F.cross_entropy(logits, tr.tensor([0]))
    loss.name = "J"
    return loss, name


def tied_classifier():
    """the embedding's table is also the head's weight, the head called once on h_T: (J, steps)"""
    tr.manual_seed(0)
    embedding, rnn, head = tr.nn.Embedding(6, 4), tr.nn.RNN(4, 4), tr.nn.Linear(4, 6)
    head.weight = embedding.weight
    _, h = rnn(embedding(tr.tensor([[1], [2], [3], [4]])))
    loss = F.cross_entropy(head(h[-1]), tr.tensor([5]))
    loss.name = "J"
    return loss, 4


def terms_into(picture, starts):
    """The labels of the arrows into the BPTT node whose label starts with ``starts`` (a weight's Σ)."""
    (sum_node,) = [i for i, n in enumerate(picture.nodes) if n.kind == "output" and n.label.startswith(starts)]
    return sorted(label for _, head, label in picture.edges if head == sum_node)


@pytest.mark.parametrize("as_attributes", [True, False])
def test_a_linear_used_on_every_x_t_and_on_h_T_is_two_calls_and_the_head_keeps_its_own_node(as_attributes):
    loss, proj_weight = projected_twice(as_attributes)
    picture = build_picture((loss,), level="cell")
    nodes = picture.nodes
    assert not any(name.startswith("J") for n in nodes for name in n.parameters), "weights named after the loss"
    assert [n.parameters for n in nodes if n.kind == "output"] == [[]]  # J is J: no weights of its own
    (head,) = [i for i, n in enumerate(nodes) if n.parameters == ["W_hy", "b_y"]]
    proj_calls = {nodes[i].step: i for i, n in enumerate(nodes) if proj_weight in n.parameters}
    assert sorted(proj_calls, key=str) == [1, 2, 3, None]  # one a step, and one after the steps (never t=3 twice)
    after = proj_calls[None]
    last_cell = next(i for i, n in enumerate(nodes) if n.label.startswith("RNN cell") and n.step == 3)
    assert {(last_cell, after), (after, head)} <= {(t, h) for t, h, _ in picture.edges}
    assert nodes[head].step is None
    backward = build_picture((loss,), level="cell", backward=True)
    assert terms_into(backward, f"∂J/∂{proj_weight} = Σ (4 terms)") == [AFTER_THE_STEPS, "t=1", "t=2", "t=3"]


def test_a_table_tied_to_a_head_on_h_T_sums_every_steps_term_and_the_heads():
    loss, steps = tied_classifier()
    forward = build_picture((loss,), level="cell")
    (head,) = [n for n in forward.nodes if n.parameters and n.parameters[0].startswith("W_hy = E")]
    assert head.step is None
    backward = build_picture((loss,), level="cell", backward=True)
    expected = sorted([AFTER_THE_STEPS] + [f"t={t}" for t in range(1, steps + 1)])
    assert terms_into(backward, f"∂J/∂E = Σ ({steps + 1} terms)") == expected


def projected_in_a_hand_loop(scoped):
    """cell(proj(emb(x_t)), h) in a hand loop (under tr.scope("t=k") or not), a head tied to the embedding, and proj
    called again after the loop on h_3 — every call of proj reads (1, 3), so its shapes cannot tell the calls apart"""
    tr.manual_seed(0)
    emb, cell, proj = tr.nn.Embedding(5, 3), tr.nn.RNNCell(3, 3), tr.nn.Linear(3, 3)
    head = tr.nn.Linear(3, 5)
    head.weight = emb.weight
    h, losses = tr.zeros(1, 3), []
    for t in range(3):
        with tr.scope(f"t={t + 1}") if scoped else contextlib.nullcontext():
            h = cell(proj(emb(tr.tensor([t + 1]))), h)
            losses.append(F.cross_entropy(head(h), tr.tensor([t + 2])))
    loss = tr.stack(losses).mean() + (proj(h) ** 2).sum()
    loss.name = "J"
    return loss


@pytest.mark.parametrize("scoped", [True, False])
def test_a_module_called_before_the_cell_in_each_step_and_after_the_loop_is_a_node_a_step_and_one_after(scoped):
    """Before: the calls in the loop were folded into the cell (the key gave the RNN cell proj's weight and bias),
    and the call after the loop was drawn as a second "linear t=3" in step 3."""
    loss = projected_in_a_hand_loop(scoped)
    picture = build_picture((loss,), level="cell", show_shapes=False)
    nodes = picture.nodes
    cells = {n.step: i for i, n in enumerate(nodes) if n.label.startswith("RNN cell")}
    assert all(nodes[i].parameters == ["W_ih", "b_ih", "W_hh", "b_hh"] for i in cells.values())
    proj_calls = {nodes[i].step: i for i, n in enumerate(nodes) if n.parameters == ["weight", "bias"]}
    assert sorted(proj_calls, key=str) == [1, 2, 3, None]
    edges = {(t, h) for t, h, _ in picture.edges}
    for step in (1, 2, 3):  # e_t → linear t → cell t
        embedding = next(i for i, n in enumerate(nodes) if n.label.startswith(f"e{'₁₂₃'[step - 1]} = embedding"))
        assert {(embedding, proj_calls[step]), (proj_calls[step], cells[step])} <= edges
    assert (cells[3], proj_calls[None]) in edges  # h_3 → linear, after the steps
    backward = build_picture((loss,), level="cell", backward=True, show_shapes=False)
    last = next(i for i, n in enumerate(backward.nodes) if n.label.startswith("RNN cell") and n.step == 3)
    into_last = [label for _, head, label in backward.edges if head == last]
    assert len(into_last) == 2 and len(set(into_last)) == 2, into_last  # (before: "∂J/∂h₃|₍₃₎" twice)
