"""One quantity, one label: the arrow that carries h_t's part from step t+1 back says the same thing wherever a
class meets it — a slide's BPTT figure, a free-size one, the deck's slide 04, the lecture page's lit arrow — for a
tanh RNN, a GRU and an LSTM, for nn modules and for a loop of cells written by hand, in every notation. The deck
wrote (1/2) ∂J₂/∂h₁, the RNN's and the GRU's pages (∂h₃/∂h₂)ᵀ ∂J/∂h₃, the LSTM's page (1/4)Σₜ₌₃⁴ ∂Jₜ/∂h₂, CS224N's
figure at free size (1/4) ∂(J⁽³⁾ + J⁽⁴⁾)/∂h⁽²⁾: each form chosen by its path, for its width. Now one rule
(gradient_labels.arrow_labels) names the arrow by what it carries: the losses it reaches, a lecture's sum; the
chain rule's form stays in the page's equation. (What each label names is checked against the gradient that
flows, in test_bptt_labels.py.)"""

import re

import pytest
from deck_slides import deck_slide
from test_lecture_lit import edge_ends, panel_of, plain

import tinygrad_rnn as tr
from tinygrad_rnn.cli import language_model_loss
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.scripts import svg_markup

STEPS = 4
SUBSCRIPT, SUPERSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"), str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
CELLS = {"rnn": tr.nn.RNNCell, "gru": tr.nn.GRUCell, "lstm": tr.nn.LSTMCell}


def loss_form(t, steps):
    """What the arrow from cell t+1 into cell t carries, in the library's names: the part of ∂J/∂h_t from the
    losses J_{t+1} … J_T, J = (1/T) Σ J_t — one loss as it is, several summed as a lecture sums them."""
    if t + 1 == steps:
        return f"(1/{steps}) ∂J{str(steps).translate(SUBSCRIPT)}/∂h{str(t).translate(SUBSCRIPT)}"
    return (f"(1/{steps})Σₜ₌{str(t + 1).translate(SUBSCRIPT)}{str(steps).translate(SUPERSCRIPT)} "
            f"∂Jₜ/∂h{str(t).translate(SUBSCRIPT)}")


def between_cells(picture):
    """{t: the labels of the arrows from cell t+1 back into cell t that carry a part of ∂J/∂h_t}."""
    cells = {i for i, node in enumerate(picture.nodes) if node.kind == "group" and "cell" in node.label.split("\n")[0]}
    found = {}
    for reader, tail, label in picture.edges:
        if reader in cells and tail in cells and picture.nodes[reader].step == picture.nodes[tail].step + 1 \
                and "/∂h" in label:
            found.setdefault(picture.nodes[tail].step, set()).add(label)
    return found


def hand_written_loop(cell, steps=STEPS):
    """A student's loop: one cell called per step in its scope, a head and a cross-entropy at every step, their mean."""
    tr.manual_seed(0)
    embedding, step_cell, head = tr.nn.Embedding(10, 3), CELLS[cell](3, 4), tr.nn.Linear(4, 10)
    words = [1, 5, 3, 7, 2, 4]
    h, c, losses = tr.zeros(1, 4), tr.zeros(1, 4), []
    for t in range(steps):
        with tr.scope(f"t={t + 1}"):
            x = embedding(tr.tensor([words[t]]))
            if cell == "lstm":
                h, c = step_cell(x, (h, c))
            else:
                h = step_cell(x, h)
            losses.append(tr.nn.functional.cross_entropy(head(h), tr.tensor([words[t + 1]])))
    loss = tr.stack(losses).mean()
    loss.name = "J"
    return loss


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_the_arrow_back_along_h_says_the_same_on_every_figure_the_deck_and_the_page(cell):
    expected = {t: {loss_form(t, STEPS)} for t in range(1, STEPS)}
    module_loss = language_model_loss(cell, STEPS)[0]
    drawn = {f"nn.{cell.upper()}, slide=True": build_picture((module_loss,), level="cell", backward=True, slide=True),
             f"nn.{cell.upper()}, free size": build_picture((module_loss,), level="cell", backward=True),
             f"a loop of {CELLS[cell].__name__}": build_picture((hand_written_loop(cell),), level="cell",
                                                                backward=True, slide=True)}
    for where, picture in drawn.items():
        assert between_cells(picture) == expected, where
    panel = panel_of(cell)  # the page: the arrow from cell t+1 lit at the backward stage of step t
    ends = edge_ends(panel)
    for t in range(1, STEPS):
        lit = {" ".join(plain(line) for line in panel["carried"][str(k)]) for k in panel["lit"][str(t)]
               if ends[k] == (panel["cells"][str(t)][0], panel["cells"][str(t + 1)][0])}
        written = {label for label in lit if f"/∂h{t}" in label}  # (an LSTM's c arrow has its own kind)
        assert written == {plain(svg_markup(loss_form(t, STEPS)))}, (t, lit)  # (its scripts inline: Σt=34)
    # the deck's slide 04, cut to T = 2 steps: its one arrow between the cells, the same form
    (svg, _), = deck_slide(cell, "pytorch", "04-bptt")[1]
    texts = [plain(text).replace(" ", "") for text in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)]
    assert "(1/2)∂J2/∂h1" in texts and not [text for text in texts if "T∂J/∂h" in text], texts  # (its two lines)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_the_arrow_back_along_h_is_named_by_its_losses_in_every_notation_and_size(cell):
    """CS224N's figure: (1/4)Σₜ₌₃⁴ ∂J⁽ᵗ⁾/∂h⁽²⁾ on a slide and at free size alike (free size wrote (1/4) ∂(J⁽³⁾ +
    J⁽⁴⁾)/∂h⁽²⁾, a slide the chain rule)."""
    loss = language_model_loss(cell, STEPS)[0]
    for slide in (True, False):
        picture = build_picture((loss,), level="cell", backward=True, slide=slide, notation="cs224n")
        assert between_cells(picture) == {1: {"(1/4)Σₜ₌₂⁴ ∂J⁽ᵗ⁾/∂h⁽¹⁾"}, 2: {"(1/4)Σₜ₌₃⁴ ∂J⁽ᵗ⁾/∂h⁽²⁾"},
                                          3: {"(1/4) ∂J⁽⁴⁾/∂h⁽³⁾"}}, slide
