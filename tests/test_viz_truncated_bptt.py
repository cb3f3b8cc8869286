"""Truncated BPTT drawn as it runs: ``h.detach()`` every k steps is one sequence, one row of steps t = 1 … T, the
value carried across each cut as a dashed "detach()" arrow, and no gradient arrow across it in backward — written
as a loop of cell calls and as ``nn.RNN`` called on chunks with ``hx=h.detach()``. (Before: three "calls" stacked
like layers, each t = 1, 2 over "input₁, input₂", and nothing marking the cut.)"""

import gc
import re

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.picture import DETACHED, GRADIENT_STOPS
from tinygrad_rnn.viz.scripts import TO_SUBSCRIPT, script_runs

STEPS, CUTS = 6, (3, 5)  # h.detach() before steps 3 and 5: chunks of two steps


def cell_loop(cut: bool = True):
    """An RNNCell and a head over 6 steps, one loss a step, averaged; the state detached before steps 3 and 5."""
    tr.manual_seed(0)
    cell, head = tr.nn.RNNCell(2, 3), tr.nn.Linear(3, 1)
    xs, h, losses = tr.randn(STEPS, 1, 2), tr.zeros(1, 3), []
    for t in range(1, STEPS + 1):
        h = cell(xs[t - 1], h.detach() if cut and t in CUTS else h)
        losses.append((head(h) ** 2).sum())
    return sum(losses[1:], losses[0]) * (1 / STEPS), (cell, head)


def layer_on_chunks():
    """nn.RNN called on chunks of two steps, each started from the last one's h_n detached (PyTorch's idiom)."""
    tr.manual_seed(0)
    rnn, head = tr.nn.RNN(2, 3), tr.nn.Linear(3, 1)
    xs, h, losses = tr.randn(STEPS, 1, 2), None, []
    for start in range(0, STEPS, 2):
        output, h = rnn(xs[start:start + 2], None if h is None else h.detach())
        losses.append((head(output) ** 2).mean())
    return sum(losses[1:], losses[0]) * (1 / 3), (rnn, head)


LOOPS = {"cell loop": cell_loop, "nn.RNN on chunks": layer_on_chunks}


@pytest.fixture(scope="module", params=list(LOOPS))
def drawn(request):
    loss, _ = LOOPS[request.param]()
    return (build_picture((loss,), level="cell", show_shapes=False),
            build_picture((loss,), level="cell", backward=True, show_shapes=False))


def cells(picture):
    return {i: node for i, node in enumerate(picture.nodes) if node.kind == "group" and node.chain is not None}


def test_one_row_of_global_steps_its_inputs_named_by_them(drawn):
    forward, _ = drawn
    found = cells(forward)
    assert len({node.row for node in found.values()}) == 1  # one sequence: not a row per chunk, stacked like layers
    assert sorted(node.step for node in found.values()) == list(range(1, STEPS + 1))
    inputs = sorted(node.label for node in forward.nodes if node.kind == "input")
    assert inputs == ["h_0"] + [f"x{str(t).translate(str.maketrans('0123456789', '₀₁₂₃₄₅₆₇₈₉'))}"
                               for t in range(1, STEPS + 1)]  # one h₀; x₃ … x₆, not input₁, input₂ again


def test_the_value_crosses_each_cut_dashed_and_the_gradient_does_not(drawn):
    forward, backward = drawn
    steps = {i: node.step for i, node in cells(forward).items()}
    assert sorted((steps[a], steps[b]) for a, b, label in forward.edges if label.endswith(DETACHED)) == [(2, 3), (4, 5)]
    # each named by the state it hands on, as the solid arrows are: its value passes (before: no name, read as
    # nothing passing, or as a fresh h₀)
    assert sorted(label for _, _, label in forward.edges if label.endswith(DETACHED)) == \
        [f"h{t}.detach(): value only, no gradient" for t in "₂₄"]
    steps = {i: node.step for i, node in cells(backward).items()}
    between = {(steps[a], steps[b]): label for a, b, label in backward.edges if a in steps and b in steps}
    for cut in CUTS:
        assert between[(cut, cut - 1)] == GRADIENT_STOPS  # the mark, where the arrow would run
    # the gradient's arrows back between the cells: within each chunk only
    assert sorted(pair for pair, label in between.items() if label != GRADIENT_STOPS) == \
        [(t + 1, t) for t in range(1, STEPS) if t + 1 not in CUTS]


def repackage_hidden(h):
    """As PyTorch's examples/word_language_model/main.py writes it: the state, or each of an LSTM's (h, c), detached."""
    return h.detach() if not isinstance(h, tuple) else tuple(repackage_hidden(v) for v in h)


@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
@pytest.mark.parametrize("rebound", [False, True], ids=["inline", "hidden = repackage_hidden(hidden)"])
def test_one_row_and_the_cut_however_the_detach_is_written(kind, rebound):
    """Rebinding the name to the detached copy frees the h_n it was cut from before the next call: still one row,
    t = 1 … 6, from one h₀ (c₀), the cut between chunks. (Before: t = 1, 1, 2, 2, 3, 3 from h₀ and h′₀, no cut.)"""
    tr.manual_seed(0)
    layer, head = getattr(tr.nn, kind)(2, 3), tr.nn.Linear(3, 1)
    xs, hidden, losses = tr.randn(STEPS, 1, 2), None, []
    for start in range(0, STEPS, 3):
        if rebound and hidden is not None:
            hidden = repackage_hidden(hidden)
        output, hidden = layer(xs[start:start + 3], hidden if rebound or hidden is None else repackage_hidden(hidden))
        losses.append((head(output) ** 2).mean())
    for backward, cut in ((False, [(3, 4)]), (True, [(4, 3)])):
        picture = build_picture((losses[0] + losses[1],), level="cell", backward=backward, show_shapes=False)
        steps = {i: node.step for i, node in cells(picture).items()}
        assert len({picture.nodes[i].row for i in steps}) == 1 and sorted(steps.values()) == list(range(1, STEPS + 1))
        mark = GRADIENT_STOPS if backward else DETACHED
        assert [(steps[a], steps[b]) for a, b, label in picture.edges if label.endswith(mark)] == cut
        if not backward:
            assert sorted(node.label for node in picture.nodes if node.kind == "input" and "_0" in node.label) == \
                ["c_0", "h_0"][kind == "RNN":]


@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
def test_a_chunk_drawn_alone_starts_from_the_state_of_the_chunk_before(kind):
    """The per-chunk loop (loss.backward() each chunk, the state detached): chunk 2 drawn alone is t = 4 … 6, as
    the loop numbers them, its state drawn from the previous chunk, the value only, and its gradient stopping there.
    (Before: t = 1 … 3 from a plain h₀ (c₀), as if the sequence began there.)"""
    tr.manual_seed(0)
    layer, head = getattr(tr.nn, kind)(2, 3), tr.nn.Linear(3, 1)
    xs, hidden = tr.randn(STEPS, 1, 2), None
    for start in range(0, STEPS, 3):
        if hidden is not None:
            hidden = repackage_hidden(hidden)
        output, hidden = layer(xs[start:start + 3], hidden)
        loss = (head(output) ** 2).mean()
        loss.backward()
    states = "c_3, h_3" if kind == "LSTM" else "h_3"
    for backward, mark in ((False, DETACHED), (True, GRADIENT_STOPS)):
        picture = build_picture((loss,), level="cell", backward=backward, show_shapes=False)
        steps = {i: node.step for i, node in cells(picture).items()}
        assert sorted(steps.values()) == [4, 5, 6]
        marked = [(picture.nodes[a], picture.nodes[b]) for a, b, label in picture.edges if label.endswith(mark)]
        before, cell = marked[0] if not backward else marked[0][::-1]
        assert len(marked) == 1 and cell.step == 4 and before.label == f"{states}\nprevious chunk"
        assert not [node.label for node in picture.nodes if "_0" in node.label]


def chunked(kind: str, steps: int, chunk: int):
    """``kind`` (nn.RNN, nn.LSTM) over ``steps`` in chunks, each from the last one's state detached; J of both."""
    tr.manual_seed(0)
    layer, head = getattr(tr.nn, kind)(2, 3), tr.nn.Linear(3, 1)
    xs, hidden, losses = tr.randn(steps, 1, 2), None, []
    for start in range(0, steps, chunk):
        output, hidden = layer(xs[start:start + chunk], None if hidden is None else repackage_hidden(hidden))
        losses.append((head(output) ** 2).mean())
    return sum(losses[1:], losses[0])


def test_a_slide_fitted_figure_never_leaves_out_the_cut(tmp_path):
    """A slide leaves steps out of the middle: never both steps beside a cut (a forward figure: either), so the
    figure still says it. (Before: an LSTM cut between t = 3 and 4 was drawn "… 2 steps t=3…4", no "detach", and
    12 steps cut after 6 were t = 1, 2, 3, …, 11, 12 forward and back.) Drawn by the slide's fit ladder (the LSTM) and
    by the elision of a sequence longer than a slide holds (the 12 steps)."""
    svg = tr.viz.save(chunked("LSTM", STEPS, 3), path=tmp_path / "f.svg", level="cell", show_shapes=False,
                      params="label").read_text()  # (given: two rungs of the ladder fewer to lay out)
    assert "detach(): value" in " ".join(re.findall(r">([^<>]+)<", svg))
    long = chunked("RNN", 12, 6)
    for backward, mark, drawn in ((False, DETACHED, [1, 2, 6, 7, 12]), (True, GRADIENT_STOPS, [1, 2, 6, 7, 12])):
        picture = build_picture((long,), level="cell", backward=backward, show_shapes=False, slide=True)
        steps = {i: node.step for i, node in cells(picture).items()}
        assert sorted(steps.values()) == drawn
        assert sorted(tuple(sorted((steps[a], steps[b]))) for a, b, label in picture.edges
                      if label.endswith(mark)) == [(6, 7)]


def test_no_arrow_is_labelled_with_an_identity_jacobian():
    """h₁ read by its own step's head: the head's part, ∂J/∂h₁|₍₁₎ — never (∂h₁/∂h₁)ᵀ ∂J/∂h₁ (cut or not)."""
    for cut in (True, False):
        picture = build_picture((cell_loop(cut)[0],), level="cell", backward=True, show_shapes=False)
        texts = [label for _, _, label in picture.edges] + picture.notes
        assert not [text for text in texts if re.search(r"\(∂(\S+?)/∂\1\)ᵀ", text)], texts
        assert "∂J/∂h₁|₍₁₎" in texts


def test_drawn_dashed_the_cut_without_an_arrowhead(tmp_path):
    loss, _ = cell_loop()
    svg = tr.viz.save(loss, path=tmp_path / "f.svg", level="cell", backward=True, slide=False).read_text()
    marks = [path for path in re.findall(r"<path [^>]*>", svg) if "stroke-dasharray" in path]
    assert len(marks) == len(CUTS) and not any("marker-end" in path for path in marks)


def test_op_level_draws_the_dashed_arrow_from_the_op_that_computed_the_state():
    loss, _ = cell_loop()
    picture = build_picture((loss,), level="op", show_shapes=False)
    dashed = [(picture.nodes[a], picture.nodes[b]) for a, b, label in picture.edges if label.endswith(DETACHED)]
    assert sorted((tail.step, head.step) for tail, head in dashed) == [(2, 3), (4, 5)]
    assert all(tail.kind == "op" and tail.label.startswith("h") for tail, _ in dashed)


def test_detach_notes_its_source_weakly_and_backward_is_unchanged():
    """The note is no edge: the gradients equal those of the same loop cut by a fresh copy of the values, and once the
    cut graph is gone the note holds nothing of it."""
    loss, (cell, head) = cell_loop()
    loss.backward()
    noted = [p.grad.numpy() for p in (*cell.parameters(), *head.parameters())]
    tr.manual_seed(0)
    cell, head = tr.nn.RNNCell(2, 3), tr.nn.Linear(3, 1)
    xs, h, losses = tr.randn(STEPS, 1, 2), tr.zeros(1, 3), []
    for t in range(1, STEPS + 1):
        h = cell(xs[t - 1], tr.tensor(h.numpy().copy()) if t in CUTS else h)
        losses.append((head(h) ** 2).sum())
    (sum(losses[1:], losses[0]) * (1 / STEPS)).backward()
    for ours, fresh in zip(noted, [p.grad.numpy() for p in (*cell.parameters(), *head.parameters())]):
        numpy.testing.assert_array_equal(ours, fresh)
    computed = tr.ones(2, requires_grad=True) * 2
    cut = computed.detach()
    assert not cut.requires_grad and cut.grad_fn is None and cut._detached_from() is computed._node
    del computed
    gc.collect()
    assert cut._detached_from() is None


def test_a_third_calls_initial_state_is_subscripted():
    assert script_runs("h′′_0") == [("h′′", "base"), ("0", "sub")]  # drawn h″₀, never h″_0


def a_small_rnn_after_backward():
    """A 3-step nn.RNN and its loss, backward run with the graph kept (show_grads runs it again)."""
    tr.manual_seed(0)
    rnn = tr.nn.RNN(2, 3)
    output, _ = rnn(tr.randn(3, 1, 2))
    loss = output[-1].sum()
    loss.backward(retain_graph=True)
    return rnn, loss


def test_show_grads_after_an_optimizer_step_says_to_draw_before_it():
    """show_grads computes backward again: after opt.step() changed the weights in place the error says so."""
    rnn, loss = a_small_rnn_after_backward()
    tr.optim.SGD(rnn.parameters(), lr=0.1).step()
    with pytest.raises(tr.errors.GraphError, match=r"show_grads recomputes the backward pass.*before opt\.step\(\)"):
        build_picture((loss,), level="cell", show_grads=True)


def test_show_grads_legend_says_it_colours_each_cells_h_t_not_the_clipped_weight_gradients():
    rnn, loss = a_small_rnn_after_backward()
    tr.nn.utils.clip_grad_norm_(rnn.parameters(), 1e-3)  # changes .grad of the weights, not ‖∂J/∂h_t‖
    dot_source = tr.viz.to_dot(loss, level="cell", show_grads=True, slide=False)
    assert "of each cell's h<SUB>" in dot_source and "not the weights' .grad" in dot_source


def char_model_in_chunks(kind: str, inline: bool, last_step_only: bool = False):
    """A char LM trained by truncated BPTT: 2 chunks of 3, each chunk's loss one cross_entropy over its scores
    reshaped (``logits.reshape(-1, V)``); J their sum. ``last_step_only``: a bidirectional layer, each chunk's
    loss over its last step's scores alone. Returns (J, each chunk's layer outputs)."""
    tr.manual_seed(0)
    vocabulary, text, directions = 8, [1, 2, 3, 4, 5, 6, 7], 1 + last_step_only
    embedding, head = tr.nn.Embedding(vocabulary, 4), tr.nn.Linear(5 * directions, vocabulary)
    layer = getattr(tr.nn, kind)(4, 5, batch_first=True, bidirectional=last_step_only)
    state, losses, outputs = None, [], []
    for start in (0, 3):
        if state is not None and not inline:
            state = repackage_hidden(state)
        out, state = layer(embedding(tr.tensor([text[start:start + 3]])),
                           repackage_hidden(state) if inline and state is not None else state)
        outputs.append(out)
        scores = head(out[:, -1]) if last_step_only else head(out).reshape(-1, vocabulary)
        losses.append(tr.nn.functional.cross_entropy(scores, tr.tensor(text[start + 1:start + 4][-len(scores):])))
    return losses[0] + losses[1], outputs


@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
@pytest.mark.parametrize("inline", [False, True], ids=["rebound", "inline"])
def test_a_chunks_loss_over_its_reshaped_scores_reads_every_step(kind, inline):
    """One cross_entropy over a chunk's scores reshaped reads every step's: nothing is "left out, their gradient 0",
    and J hands each J_t of the chunk's (1/3) Σₜ Jₜ its 1/3, as the gradient does. (Before: the chunk's loss drawn as
    its last step's J₃, J₆ alone, ∂J/∂J₃ = 1, and linear t=1, 2, 4, 5 said left out with their gradient 0.)"""
    loss, outputs = char_model_in_chunks(kind, inline)
    for out in outputs:
        out.retain_grad()
    loss.backward()
    assert all(numpy.abs(out.grad.numpy()).sum(axis=-1).all() for out in outputs)  # every step's h_t read by J
    backward = build_picture((loss,), level="cell", backward=True, show_shapes=False, params="label")
    assert not [note for note in backward.notes if "gradient 0" in note]
    into_losses = sorted(label for _, _, label in backward.edges if label.startswith("∂J/∂J"))
    assert into_losses == [f"∂J/∂J{str(t).translate(TO_SUBSCRIPT)} = 1/3" for t in range(1, 7)]


def test_a_loss_on_each_chunks_last_step_leaves_the_unread_cells_out():
    """The control: a bidirectional layer, each chunk's loss on its last step alone, reads the reverse direction's
    first cell of the chunk and no later one: the note still names exactly the reverse cells whose h_t gets a
    gradient of 0."""
    loss, outputs = char_model_in_chunks("LSTM", inline=False, last_step_only=True)
    for out in outputs:
        out.retain_grad()
    loss.backward()
    unread = [3 * c + t + 1 for c, out in enumerate(outputs) for t in range(3) if not out.grad.numpy()[0, t, 5:].any()]
    assert unread == [1, 2, 4, 5]
    backward = build_picture((loss,), level="cell", backward=True, show_shapes=False, params="label")
    assert [note for note in backward.notes if "gradient 0" in note] == \
        ["Left out, their gradient 0 (J does not read what they compute): LSTM cell t=1, 2, 4, 5 (layer 1 reverse)"]


def test_twelve_steps_cut_after_six_fit_a_slide_each_gap_as_wide_as_what_it_carries():
    """12 steps of an nn.RNN in chunks of 6 (forward): the one gap whose state reads "detach(): value only, no
    gradient" (two lines) as wide as it, the gaps beside the "…"s that carry h_t alone narrower than it, and the
    figure fits a slide. (Before, every gap between steps was as wide as that label: text 17.2 px, labels 19.1 px,
    2.40 : 1, bound by its width.) The label stays in its own gap: between the cells of t = 6 and 7, clear of both,
    and crosses nothing."""
    from tinygrad_rnn.viz.geometry import FONT_SIZE, drawn_width
    from tinygrad_rnn.viz.legibility import label_clashes, texts_crossed

    picture, (_, placed), rung = tr.viz._drawn((chunked("RNN", 12, 6),),
                                               **tr.viz._defaults({"level": "cell", "slide": True}))
    assert rung.slide_fit.fits, str(rung.slide_fit)
    assert not texts_crossed(rung.svg) and label_clashes(rung.svg).count == 0
    cells = {node.step: placed.boxes[i] for i, node in enumerate(picture.nodes) if node.kind == "group"}
    row = sorted([placed.boxes[i] for i, node in enumerate(picture.nodes) if node.kind == "ellipsis"]
                 + list(cells.values()), key=lambda box: box.x)  # t = 1, "…", 6, 7, "…", 12
    gaps = {(a.x, b.x): b.left - a.right for a, b in zip(row, row[1:])}
    (route,) = [placed.routes[k] for k, (_, _, label) in enumerate(picture.edges) if label.endswith(DETACHED)]
    lines = route.label_lines or [DETACHED]
    assert cells[6].right < route.label_at[0] - drawn_width(lines, FONT_SIZE) / 2 and \
        route.label_at[0] + drawn_width(lines, FONT_SIZE) / 2 < cells[7].left, (route.label_at, cells[6], cells[7])
    narrow = [gap for pair, gap in gaps.items() if pair != (cells[6].x, cells[7].x)]
    assert len(narrow) == 4 and max(narrow) < drawn_width(lines, FONT_SIZE) < gaps[(cells[6].x, cells[7].x)], gaps
