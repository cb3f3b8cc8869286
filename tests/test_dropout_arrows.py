"""A step's dropout on its arrow (dropout_arrows.py): the rung of a slide's fit ladder after the weights' key, for the
canonical LSTM language model — two layers, 4 steps, nn.Dropout(0.3) on the embeddings and on the outputs,
LSTM(dropout=0.3) between the layers, the head's weight tied to the embedding's. The dropout must still be said, as
a step of the computation: d_t and d′_t on their arrows, two names for two masks, and what each mask is."""

import functools

import pytest

import tinygrad_rnn as tr
import tinygrad_rnn.nn.functional as F
from tinygrad_rnn import viz
from tinygrad_rnn.viz.dropout_arrows import is_dropout_step
from tinygrad_rnn.viz.geometry import FONT_SIZE, LABEL_DESCENT, LINE, drawn_width
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.label_placement import label_rect
from tinygrad_rnn.viz.picture import is_dropout_mask

STEPS = 4


class DroppedLanguageModel(tr.nn.Module):
    def __init__(self, vocabulary: int = 12, hidden: int = 6) -> None:
        super().__init__()
        self.embedding = tr.nn.Embedding(vocabulary, hidden)
        self.drop = tr.nn.Dropout(0.3)
        self.lstm = tr.nn.LSTM(hidden, hidden, num_layers=2, dropout=0.3, batch_first=True)
        self.decoder = tr.nn.Linear(hidden, vocabulary)
        self.decoder.weight = self.embedding.weight  # tied

    def forward(self, ids: tr.Tensor) -> tr.Tensor:
        output, _ = self.lstm(self.drop(self.embedding(ids)))
        return self.decoder(self.drop(output))


def language_model_loss() -> tr.Tensor:
    tr.manual_seed(0)
    model = DroppedLanguageModel()
    return F.cross_entropy(model(tr.tensor([[1, 4, 2, 7]])).reshape(-1, 12), tr.tensor([4, 2, 7, 3]))


@functools.cache
def on_a_slide():
    """The forward figure save draws on a slide, its fit there, and its layout (drawn once for the tests that read
    it)."""
    picture, (_, placed), rung = viz._drawn((language_model_loss(),), **viz._defaults({"level": "cell"}))
    return picture, rung.slide_fit, placed


def arrow_labels(picture) -> dict[str, list[str]]:
    """Each edge's label, keyed by the first line of the labels of its tail and head ("e₁ = embedding → LSTM cell")."""
    found: dict[str, list[str]] = {}
    for tail, head, label, *_ in picture.edges:
        ends = f"{picture.nodes[tail].label.split(chr(10))[0]} → {picture.nodes[head].label.split(chr(10))[0]}"
        found.setdefault(ends, []).append(label)
    return found


def test_the_language_models_dropouts_are_drawn_on_their_arrows_on_a_slide():
    """Before: each step's "d_t = dropout" and "d′_t = dropout" nodes, and three masks, each with a line into every step
    (mask 2 into the cells of layer 2): text 18.7 px, labels 20.7 px (18.1 px, 20.2 px with tokens=), and the ladder
    had nothing else to try. Now the arrow e_t → cell t says "d_t = dropout", cell t → the head "d′_t = dropout", the
    arrow from layer 1 into layer 2 "dropout(h_t⁽¹⁾)", and one note what each mask is: 23.5 px, 26.1 px, 1.90 : 1
    (22.2 px, 24.7 px with tokens=)."""
    picture, fit, _ = on_a_slide()
    assert not [node.label for node in picture.nodes if is_dropout_step(node) or is_dropout_mask(node)]
    arrows = arrow_labels(picture)
    for t in range(1, STEPS + 1):
        sub = "₀₁₂₃₄₅₆₇₈₉"[t]
        assert arrows[f"e{sub} = embedding → LSTM cell"] == [f"d{sub} = dropout"], arrows
        assert f"d′{sub} = dropout" in arrows["LSTM cell → linear"], arrows
        assert f"dropout(h{sub}⁽¹⁾)" in arrows["LSTM cell → LSTM cell"], arrows  # (layer 1 into layer 2)
    (note,) = [note for note in picture.notes if note.startswith("On the arrows, dropout")]
    assert "dropout with p = 0.3: dₜ = eₜ ⊙ mask 1, dropout(hₜ⁽¹⁾) = hₜ⁽¹⁾ ⊙ mask 2, d′ₜ = hₜ⁽²⁾ ⊙ mask 3" in note, note
    assert not any(note.startswith("dropout mask") for note in picture.notes)  # (said once, in that note)
    assert fit.text_px > 18.7 and fit.label_px > 20.7, str(fit)


def test_the_figure_of_the_gradient_marks_the_arrows_through_a_dropout():
    """In BPTT each arrow out of a step's dropout carried ∂J/∂e_t (or the head's part of ∂J/∂h_t⁽²⁾) from its node;
    folded, the arrow from what read the dropout's value carries it, marked "dropout: ", and a note says so."""
    picture = build_picture((language_model_loss(),), level="cell", backward=True, slide=True,
                            dropouts_on_arrows=True)
    assert not any(is_dropout_step(node) for node in picture.nodes)
    arrows = arrow_labels(picture)
    into_embeddings = arrows["LSTM cell → embedding"]
    assert sorted(into_embeddings) == [f"dropout: ∂J/∂e{'₀₁₂₃₄₅₆₇₈₉'[t]}" for t in range(1, STEPS + 1)], arrows
    assert len([label for label in arrows["linear → LSTM cell"] if label.startswith("dropout: ")]) == STEPS, arrows
    assert any(note.startswith("dropout: on an arrow") for note in picture.notes), picture.notes


def test_the_language_model_with_dropout_fits_a_slide():
    """With its dropouts on their arrows, its five notes beside it, as tall as its six rows, bound it: 23.5 px text,
    26.1 px labels, 1.90 : 1 (a column 117 points wide past (1/4) Σₜ Jₜ and J, which reach further right than the
    rows under them). In the drawing's free corners (tucked_notes.py) it fits: 25.3 px, 28.1 px, 1.82 : 1. (With
    tokens=, the test below; its BPTT, bound by its own width and height, is 20.5 px, 22.8 px.)"""
    _, fit, _ = on_a_slide()
    assert fit.fits, str(fit)


def test_the_language_model_with_its_words_fits_a_slide():
    """With tokens= each x_t box gained a line (x₁ over "the") and each J_t its target ("cat"): the drawing alone was
    392 points tall where a slide's 28-px labels leave 386, its notes beside it: 23.5 px text, 26.1 px labels,
    1.88 : 1. Each word on its name's line (x₁ = "the", the row of inputs a line shorter) leaves the drawing 380 tall,
    and its notes go into the free corners as without words: 25.3 px, 28.1 px, 1.80 : 1. (Drawn as the ladder's rung
    that save takes draws it, the weights in a key and the dropouts on their arrows: the same SVG, a fifth the time.)"""
    from tinygrad_rnn.viz.layout import labelled_layout
    from tinygrad_rnn.viz.legibility import slide_fit
    from tinygrad_rnn.viz.svg import picture_to_svg

    picture = build_picture((language_model_loss(),), level="cell", slide=True, params="key", show_shapes=False,
                            dropouts_on_arrows=True, tokens="the cat sat on".split())
    labels, placed = labelled_layout(picture)
    fit = slide_fit(picture_to_svg(picture, placed, labels, "f", figure=True))
    assert fit.fits, str(fit)
    words = [label for label, node in zip(labels, picture.nodes) if node.kind == "input" and label.startswith("x")]
    assert sorted(words) == ['x₁ = "the"', 'x₂ = "cat"', 'x₃ = "sat"', 'x₄ = "on"'], words
    assert sorted(label.split("\n")[-1] for label in labels if "cross_entropy" in label) == \
        ["cross_entropy", 'target "cat"', 'target "on"', 'target "sat"']  # (J₄'s, the word after "on", not given)


def test_its_notes_stand_in_the_free_corners_clear_of_the_drawing():
    """The notes' column starts under J, left of where the loss's mean reaches, and the notes it cannot hold without
    a taller figure stand, in their order, in the empty corner left of J₁: none on a box, a line, an arrow's label
    or another note's line, and the first note (the dropout's) first in the column."""
    picture, _, placed = on_a_slide()
    notes = [(text, x, y) for text, x, y in placed.texts if not text.startswith("layer ")]  # (not the row names)
    first_line = {node.label.split("\n")[0]: box for node, box in zip(picture.nodes, placed.boxes)}
    mean, first_loss = first_line["(1/4) Σₜ Jₜ"], first_line["J₁ = cross_entropy"]
    column = [(text, x, y) for text, x, y in notes if x > first_loss.right]
    corner = [(text, x, y) for text, x, y in notes if x < first_loss.left]
    assert column[0][0].startswith("On the arrows") and column[0][1] < mean.right and column[0][2] < mean.bottom
    assert [text for text, *_ in corner][0].startswith("W_hy = E (tied)"), corner
    assert len(column) + len(corner) == len(notes)
    written = [(x, y - LABEL_DESCENT, x + drawn_width([text], FONT_SIZE), y + LINE - 3) for text, x, y in notes]
    drawn = [(box.left, box.bottom, box.right, box.top) for box in placed.boxes]
    for route, (_, _, label) in zip(placed.routes, picture.edges):
        points = route.points + [route.end]
        drawn += [(min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1])) for p, q in zip(points,
                                                                                                      points[1:])]
        drawn += [label_rect(route.label_at, route.label_lines or [label])] if label and route.label_at else []
    for k, (left, bottom, right, top) in enumerate(written):
        on = [rect for rect in drawn + written[:k] if rect[0] < right and rect[2] > left and rect[1] < top
              and rect[3] > bottom]
        assert not on, (notes[k], on)


@pytest.mark.parametrize("notation, said", [
    ("pytorch", "dₜ = eₜ ⊙ mask 1, dropout(hₜ⁽¹⁾) = hₜ⁽¹⁾ ⊙ mask 2, d′ₜ = hₜ⁽²⁾ ⊙ mask 3 (its slice for step t)"),
    ("cs224n", "d⁽ᵗ⁾ = e⁽ᵗ⁾ ⊙ mask 1, dropout(h^[1]⁽ᵗ⁾) = h^[1]⁽ᵗ⁾ ⊙ mask 2, d′⁽ᵗ⁾ = h^[2]⁽ᵗ⁾ ⊙ mask 3 "
               "(its slice for step t)")],
    ids=["pytorch", "cs224n"])
def test_the_note_writes_every_step_in_the_notations_own_time(notation, said):
    """The note says each dropout at any step t, as the notation writes the time: lowered (hₜ⁽¹⁾), or raised where
    the layer is in brackets (h^[1]⁽ᵗ⁾) — first written, CS224N's read "dₜ = e⁽⁴⁾", the value of step 4; then
    "dₜ = e⁽ᵗ⁾", the dropouts' own names still lowered among raised times."""
    picture = build_picture((language_model_loss(),), level="cell", slide=True, dropouts_on_arrows=True,
                            notation=notation)
    assert picture.notes[0] == f"On the arrows, dropout with p = 0.3: {said}; a mask is one tensor for the sequence, " \
                               "its entries 0 (with probability p) or 1/(1 − p)"


@pytest.mark.parametrize("notation, first, second, state", [
    ("pytorch", "d₁", "d′₁", "hₜ"), ("cs224n", "d⁽¹⁾", "d′⁽¹⁾", "h⁽ᵗ⁾")], ids=["pytorch", "cs224n"])
def test_each_dropout_is_named_at_its_step_as_the_notation_writes_time(notation, first, second, state):
    """Drawn as nodes (free size), CS224N's figure named the dropouts d₁ and d′₁ (∂J/∂d₁ in BPTT) beside e⁽¹⁾ and
    J⁽¹⁾, and mask 2's note said PyTorch's h_t: each is now written by the notation's own rule for a step."""
    loss = language_model_loss()
    forward = build_picture((loss,), level="cell", notation=notation)
    dropouts = [node.label for node in forward.nodes if node.label.endswith(" = dropout")]
    assert f"{first} = dropout" in dropouts and f"{second} = dropout" in dropouts, dropouts
    assert len(dropouts) == 2 * STEPS
    (note,) = [note for note in forward.notes if note.startswith("dropout mask 2:")]
    assert f"multiplies the {state} it reads from the layer below by the mask's slice for its step t" in note, note
    gradients = [label for *_, label in build_picture((loss,), level="cell", backward=True, notation=notation).edges]
    assert gradients.count(f"∂J/∂{first}") == 1 and gradients.count(f"∂J/∂{second}") == 1, gradients


def test_a_mask_also_read_elsewhere_keeps_its_node():
    """A dropout's value read again outside the steps (here squared into the loss): the steps' dropouts go on their
    arrows, and the mask, which the figure draws into J too, stays a node (the fold first took it for a second value
    each dropout drops, and failed)."""
    tr.manual_seed(0)
    embedding, rnn = tr.nn.Embedding(5, 3), tr.nn.RNN(3, 3)
    dropped = F.dropout(embedding(tr.tensor([[1], [2]])), 0.5)
    loss = rnn(dropped)[0].sum() + (dropped * dropped).sum()
    drawn = build_picture((loss,), level="cell", slide=True, dropouts_on_arrows=True)
    assert not any(is_dropout_step(node) for node in drawn.nodes)
    assert [node.label for node in drawn.nodes if is_dropout_mask(node)] == ["dropout mask, p = 0.5"]
    assert sorted(label for _, _, label, *_ in drawn.edges if "dropout" in label) == ["d₁ = dropout", "d₂ = dropout"]
