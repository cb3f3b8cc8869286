"""A rolled BPTT figure's arrow stands for the arrows of every step: its label is one wording of each gradient it
carries, true at every step t — not the steps' wordings joined with ", ", which read as two things the arrow
carries (layer 2's arrow into layer 1 said (1/T) ∂Jₜ/∂hₜ⁽¹⁾, true at t = T alone, beside the chain rule). Each
state it names carries its own chain's mark after its step (cₜ₊₁⁽²⁾), and a reverse direction's next step is
t−1."""

import re

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.cli import language_model_loss
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.scripts import FROM_SUPERSCRIPT
from tinygrad_rnn.viz.views import loop_state

STATE = re.compile(r"[hc](?:ₜ[₊₋][₀-₉]+|ₜ|_T)(?![₊₋])(⁽[^⁾]*⁾)?")  # hₜ, cₜ₊₁⁽²⁾, h_T⁽←⁾: a state and its mark
NEXT = re.compile(r"[hc]ₜ([₊₋])[₀-₉]+")
CHAIN = re.compile(r"\(∂\(?(.+?)\)?/∂([^)]+)\)ᵀ")  # (∂(hₜ⁽²⁾, cₜ⁽²⁾)/∂hₜ⁽¹⁾)ᵀ: the reader's states, the value


def wordings(label: str) -> list[str]:
    """The gradients a label names, split at ", " outside brackets (∂J/∂hₜ, direct is one)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(label):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and label.startswith(", ", i) and not label.startswith(", direct", i):
            parts.append(label[start:i])
            start = i + 2
    return parts + [label[start:]]


def layer_of(mark: str) -> int:
    """⁽²←⁾ → 2."""
    return int(re.sub(r"\D", "", mark.translate(FROM_SUPERSCRIPT)))


def layer_model(cell: str, layers: int, bidirectional: bool):
    """J = Σ of every output: each step's every state, in both directions, receives a gradient."""
    tr.manual_seed(0)
    layer = {"rnn": tr.nn.RNN, "lstm": tr.nn.LSTM, "gru": tr.nn.GRU}[cell](2, 3, num_layers=layers,
                                                                           bidirectional=bidirectional)
    output, _ = layer(tr.randn(4, 1, 2))
    loss = output.sum()
    loss.name = "J"
    return loss


def rolled_labels(loss, level: str) -> list[str]:
    picture = build_picture((loss,), level=level, backward=True, rolled=True, slide=True)
    return [label for _, _, label in picture.edges if "∂" in label] + [loop for n in picture.nodes for loop in n.loops]


CASES = [(cell, layers, level, model) for cell in ("rnn", "lstm", "gru") for layers in (1, 2)
         for level in ("cell", "step") for model in ("language model", "bidirectional")]


@pytest.mark.parametrize("cell, layers, level, model", CASES)
def test_each_rolled_arrow_names_each_gradient_once_with_its_marks_and_its_directions_next_step(cell, layers, level,
                                                                                                model):
    loss = (language_model_loss(cell, 4, layers=layers)[0] if model == "language model"
            else layer_model(cell, layers, bidirectional=True))
    several_chains = layers > 1 or model == "bidirectional"
    for label in rolled_labels(loss, level):
        values = [loop_state(words).replace("_T", "ₜ") for words in wordings(label)]
        assert len(values) == len(set(values)), f"{label!r}: one gradient in two wordings"
        assert not re.search(r"⁾[₊₋]", label), f"{label!r}: a mark inside a step"
        if several_chains:
            unmarked = [found.group(0) for found in STATE.finditer(label) if not found.group(1)]
            assert not unmarked, f"{label!r}: {unmarked} without its layer or direction"
        for found in CHAIN.finditer(label):  # the reader's states: one chain's, a layer above or the same state's
            outputs, value = found.group(1).split(", "), found.group(2)
            marks = {STATE.search(o).group(1) for o in outputs}
            assert len(marks) == 1, label
            (mark,) = marks
            if mark != STATE.search(value).group(1):  # from the layer above: its number one more than the value's
                assert layer_of(mark) == layer_of(STATE.search(value).group(1)) + 1, label
        for found in NEXT.finditer(label):  # the next step of the state's own direction
            mark = STATE.match(label, found.start()).group(1) or ""
            assert found.group(1) == ("₋" if "←" in mark else "₊"), f"{label!r}: t±1 against its direction"


def test_layer_twos_arrow_into_layer_one_says_the_inner_steps_chain_rule_for_any_t():
    """The unrolled figure's inner step says (∂(h₂⁽²⁾, c₂⁽²⁾)/∂h₂⁽¹⁾)ᵀ ∂J/∂(h₂⁽²⁾, c₂⁽²⁾): the rolled arrow says
    the same for any t, and nothing else (the last step's (1/T) ∂J_T/∂h_T⁽¹⁾ is that at t = T: c_T⁽²⁾ has no
    reader)."""
    loss, _ = language_model_loss("lstm", 4, layers=2)
    unrolled = build_picture((loss,), level="cell", backward=True, slide=False)
    inner = "(∂(h₂⁽²⁾, c₂⁽²⁾)/∂h₂⁽¹⁾)ᵀ ∂J/∂(h₂⁽²⁾, c₂⁽²⁾)"
    assert inner in {label for _, _, label in unrolled.edges}
    rolled = build_picture((loss,), level="cell", backward=True, rolled=True, slide=True)
    between = [label for a, b, label in rolled.edges if a != b and rolled.nodes[a].chain is not None
               and rolled.nodes[b].chain is not None]
    assert between == [inner.replace("₂", "ₜ")]


def test_a_reverse_directions_c_loop_hands_back_from_t_minus_1():
    loops = rolled_labels(layer_model("lstm", 1, bidirectional=True), "step")
    assert "(∂cₜ₋₁⁽←⁾/∂cₜ⁽←⁾)ᵀ ∂J/∂cₜ₋₁⁽←⁾" in loops and "(∂cₜ₊₁⁽→⁾/∂cₜ⁽→⁾)ᵀ ∂J/∂cₜ₊₁⁽→⁾" in loops
