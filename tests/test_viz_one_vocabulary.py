"""One name for one thing, however the figure was built (issue #34): a GRU's new state by the lecture's equation,
not the op's name lerp; a scoped loop's head W_hy, b_y at op level as at cell level; a Σ's step bar |₍ₜ₎ as the
lectures, the deck and the page write it."""

import tinygrad_rnn as tr
from tinygrad_rnn.viz import _defaults, _picture

F = tr.nn.functional
TOKENS = [1, 5, 3, 7, 2]


def gru_loop_loss(scoped: bool, steps: int = 3) -> tr.Tensor:
    """A GRUCell language model's loop, teacher-forced, as a student writes it: with each step scoped, or not."""
    tr.manual_seed(0)
    embedding, cell, head = tr.nn.Embedding(12, 4), tr.nn.GRUCell(4, 6), tr.nn.Linear(6, 12)
    h, losses = tr.zeros(1, 6), []
    for t in range(steps):
        if scoped:
            with tr.scope(f"t={t + 1}"):
                h = cell(embedding(tr.tensor([TOKENS[t]])), h)
                losses.append(F.cross_entropy(head(h), tr.tensor([TOKENS[t + 1]])))
        else:
            h = cell(embedding(tr.tensor([TOKENS[t]])), h)
            losses.append(F.cross_entropy(head(h), tr.tensor([TOKENS[t + 1]])))
    return tr.stack(losses).mean()


def nodes(loss: tr.Tensor, **options) -> list:
    picture, _ = _picture((loss,), **_defaults({"show_shapes": False, **options}))
    return picture.nodes


def labels(loss: tr.Tensor, **options) -> list[str]:
    return [node.label for node in nodes(loss, **options)]


def test_a_gru_loops_new_state_is_the_lectures_equation_at_op_level():
    """User op-level GRU figures drew h₁ = lerp where the deck's GRU slide writes h₁ = (1 − z₁) ⊙ n₁ + z₁ ⊙ h₀."""
    for scoped in (False, True):
        drawn = labels(gru_loop_loss(scoped), level="op")
        assert not any("lerp" in label for label in drawn), drawn
        for t in (1, 2, 3):  # h_0: as the figure names the loop's first state (drawn h with 0 below, as h₀)
            s, before = "₀₁₂₃"[t], "_0" if t == 1 else "₀₁₂₃"[t - 1]
            assert f"h{s} = (1 − z{s}) ⊙ n{s} + z{s} ⊙ h{before}" in drawn, drawn


def test_the_equation_is_written_in_the_notations_names():
    """CS224N writes a step raised, h⁽¹⁾: the equation's every state and gate so, h⁽⁰⁾ included."""
    drawn = labels(gru_loop_loss(False, steps=2), level="op", notation="cs224n")
    assert "h⁽¹⁾ = (1 − z⁽¹⁾) ⊙ n⁽¹⁾ + z⁽¹⁾ ⊙ h⁽⁰⁾" in drawn, [label for label in drawn if "⊙" in label]


def test_a_scoped_loops_head_is_named_by_role_at_op_level_as_at_cell_level():
    """The scoped op-level loop named the head `linear weight, bias`; its cell level writes W_hy, b_y."""
    loss = gru_loop_loss(True)
    for level in ("op", "cell"):
        heads = [node.parameters for node in nodes(loss, level=level) if node.label.startswith("linear")]
        program_names = [name for head in heads for name in head if name in ("weight", "bias")]
        assert ["W_hy", "b_y"] in heads and not program_names, (level, heads)


def test_a_sums_step_bar_is_the_lectures_one_form():
    """Σ's per-step term: ∂J/∂W_hh|₍ₜ₎ in the figures as in the deck and page (the lectures' ∂J/∂W_hh |_(t)),
    never |ₜ."""
    for level in ("cell", "step"):  # (op level sums each weight's terms in one Σ op, "Σ (3 terms)")
        sums = [label for label in labels(gru_loop_loss(False), level=level, backward=True) if "Σₜ ∂J/∂" in label]
        assert sums and all("|₍ₜ₎" in label and "|ₜ" not in label for label in sums), (level, sums)
