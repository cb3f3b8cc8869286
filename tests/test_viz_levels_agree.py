"""The step and op levels of a model say what its cell level says: each layer's initial state marked (h_0⁽¹⁾,
h_0⁽²⁾), one order of the weights in every step, a hand-written loop's x_t and J_t kept at op level.
"""

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import build_picture

F = tr.nn.functional


def first_line(node):
    return node.label.split("\n")[0]


def two_layer_tagger(cell: str = "GRU"):
    """a user's 2-layer recurrent tagger: embedding, the layer, a linear head, cross-entropy at every step"""
    tr.manual_seed(0)
    embedding, layer, head = tr.nn.Embedding(12, 4), getattr(tr.nn, cell)(4, 5, num_layers=2, batch_first=True), \
        tr.nn.Linear(5, 6)
    output, _ = layer(embedding(tr.tensor([[1, 4, 2, 7]])))
    return F.cross_entropy(head(output).reshape(-1, 6), tr.tensor([0, 3, 2, 5]))


def test_a_step_of_two_layers_marks_each_layers_initial_states_as_the_cell_level_does():
    for cell, initial in (("GRU", ["h_0⁽¹⁾", "h_0⁽²⁾"]), ("LSTM", ["c_0⁽¹⁾", "c_0⁽²⁾", "h_0⁽¹⁾", "h_0⁽²⁾"])):
        loss = two_layer_tagger(cell)
        for level in ("cell", "step"):
            picture = build_picture((loss,), level=level)
            drawn = [first_line(n) for n in picture.nodes if n.kind == "input" and "_0" in first_line(n)]
            assert sorted(drawn) == sorted(initial), (cell, level, drawn)


def test_a_steps_initial_states_stand_in_the_order_of_the_arrows_they_start():
    """A step node carries every layer's states, h⁽²⁾ above h⁽¹⁾; its initial states stood the other way round
    (h_0⁽¹⁾ level with the h⁽²⁾ arrows), and three layers' arrows ran h⁽²⁾, h⁽³⁾, h⁽¹⁾ (their names' code points)."""
    from drawing_cases import last_step_loss

    from tinygrad_rnn.viz.layout import labelled_layout

    for kind, layers in (("rnn", 2), ("lstm", 2), ("gru", 3)):
        _, loss = last_step_loss(kind, steps=3, layers=layers)
        picture = build_picture((loss,), level="step")
        _, placed = labelled_layout(picture)
        first = min((i for i, n in enumerate(picture.nodes) if n.kind == "group"), key=lambda i: placed.boxes[i].x)
        leaving = {label: route.points[0][1] for route, (tail, _, label) in zip(placed.routes, picture.edges)
                   if tail == first and label}
        starts = {first_line(picture.nodes[t]): placed.boxes[t].y for t, head, _ in picture.edges
                  if head == first and picture.nodes[t].kind == "input" and "_0" in first_line(picture.nodes[t])}
        assert len(starts) == len(leaving) == layers * (2 if kind == "lstm" else 1), (starts, leaving)
        top_down = sorted(starts, key=lambda name: -starts[name])
        assert [name.replace("_0", "₁") for name in top_down] == sorted(leaving, key=lambda name: -leaving[name])
        marks = [name[-3:] for name in top_down if name.startswith("h")]
        assert marks == ["⁽³⁾", "⁽²⁾", "⁽¹⁾"][-layers:], (kind, top_down)


def test_a_reverse_directions_initial_states_enter_the_last_step_from_beside_it():
    """Beside the last step (a step node merges both directions), the reverse direction's h_0⁽¹←⁾ and h_0⁽²←⁾ went
    under that step into its bottom, one across the other's line: they enter its side, in the arrows' order."""
    from drawing_cases import last_step_loss

    from tinygrad_rnn.viz.layout import labelled_layout

    for kind in ("rnn", "lstm"):
        _, loss = last_step_loss(kind, steps=3, layers=2, bidirectional=True)
        picture = build_picture((loss,), level="step")
        _, placed = labelled_layout(picture)
        entering = {}
        for route, (tail, head, _) in zip(placed.routes, picture.edges):
            name, box = first_line(picture.nodes[tail]), placed.boxes[head]
            if picture.nodes[tail].kind == "input" and "_0" in name:
                x, y = route.end
                assert abs(x - box.left) < 1e-6 or abs(x - box.right) < 1e-6, (kind, name, route.end, box)
                assert box.bottom < y < box.top, (kind, name, route.end, box)
                entering[name] = (x > box.x, y)
        for side in (False, True):  # on each side, top to bottom: layer 2's above layer 1's
            names = sorted((name for name, (right, _) in entering.items() if right == side),
                           key=lambda name: -entering[name][1])
            assert [name[-3] for name in names if name.startswith("h")] == ["²", "¹"], (kind, names)


def test_every_step_of_two_layers_lists_its_weights_in_one_order():
    picture = build_picture((two_layer_tagger(),), level="step")
    orders = {tuple(n.parameters) for n in picture.nodes if n.kind == "group" and n.label.startswith("step")}
    assert len(orders) == 1, orders
    (order,) = orders
    assert order.index("W_ih⁽¹⁾") < order.index("W_ih⁽²⁾") < order.index("W_hh⁽¹⁾"), order


def rnn_cell_loop(steps: int = 4):
    """a user's RNNCell loop, one tr.scope a step, the mean of a cross-entropy a step (as a course writes it)"""
    tr.manual_seed(0)
    embedding, cell, head = tr.nn.Embedding(12, 4), tr.nn.RNNCell(4, 6), tr.nn.Linear(6, 12)
    tokens, h, losses = [1, 5, 3, 7, 2, 9, 4, 8, 6, 11, 10], tr.zeros(1, 6), []
    for t in range(steps):
        with tr.scope(f"t={t + 1}"):
            h = cell(embedding(tr.tensor([tokens[t]])), h)
            losses.append(F.cross_entropy(head(h), tr.tensor([tokens[t + 1]])))
    return tr.stack(losses).mean()


def test_a_loop_at_op_level_names_x_t_and_j_t_and_draws_their_mean_as_the_cell_level_does():
    loss = rnn_cell_loop()
    for level in ("op", "cell"):
        labels = [first_line(n) for n in build_picture((loss,), level=level, show_shapes=False).nodes]
        assert sorted(label for label in labels if label.startswith("x")) == ["x₁", "x₂", "x₃", "x₄"], (level, labels)
        assert sorted(label for label in labels if label.startswith("J")) == [
            "J", *(f"J{t} = cross_entropy" for t in "₁₂₃₄")], (level, labels)
        assert "(1/4) Σₜ Jₜ" in labels and not {"stack", "sum", "div · 4", "mean"} & set(labels), (level, labels)


def test_op_level_bptt_leaves_out_the_cells_the_cell_level_leaves_out():
    """a bidirectional classifier on the last step: the reverse direction's steps 1…3 hand on δ = 0 — the cell
    level's BPTT leaves them out, and so does the op level (no rule, no Σ of theirs)"""
    tr.manual_seed(0)
    embedding, layer, head = tr.nn.Embedding(12, 4), tr.nn.LSTM(4, 5, bidirectional=True, batch_first=True), \
        tr.nn.Linear(10, 3)
    output, _ = layer(embedding(tr.tensor([[1, 4, 2, 7]])))
    loss = F.cross_entropy(head(output[:, -1]), tr.tensor([2]))

    def reverse_steps(level):
        picture = build_picture((loss,), level=level, backward=True, show_shapes=False, time_steps=slice(None))
        return {n.step for n in picture.nodes if n.chain is not None and n.chain.direction == "reverse"
                and n.step is not None}, picture

    cells, _ = reverse_steps("cell")
    ops, picture = reverse_steps("op")
    assert cells == ops == {4}, (cells, ops)
    assert not any("(0 terms" in n.label for n in picture.nodes)


def test_a_long_op_level_bptt_that_fits_no_slide_leaves_middle_steps_out_where_that_enlarges_it():
    """the ladder left steps out only where the slide then fit: a user's 10-step op-level BPTT, which fits with
    none, drew every step at a fraction of a slide's text size; now it draws t = 1, 2, 3, …, T, as the CLI's op
    figures do. Up to 8 steps, what the lecturer wrote is drawn whole (the slide-fit warning says what fits)."""
    from tinygrad_rnn import viz
    from tinygrad_rnn.viz.fit_notes import STEPS_LEFT_OUT

    text = viz.to_dot(rnn_cell_loop(steps=10), level="op", backward=True)
    assert STEPS_LEFT_OUT in text and "t=1" in text and "t=10" in text, text[-400:]
    assert "t=5" not in text  # (a "…" stands for the middle steps)
    short = viz.to_dot(rnn_cell_loop(steps=3), level="op", backward=True)
    assert STEPS_LEFT_OUT not in short and all(f"t={t}" in short for t in (1, 2, 3))


def test_steps_left_out_at_op_level_reach_j_as_at_cell_level():
    """J = out[-1].sum() of a 6-step GRU, time_steps=slice(2, 4): the op level wired h₃ and h₄ into the stack that
    J's index reads (it reads h₆ alone), the "… 2 more time steps" a dead end, and its BPTT figure's J reached
    nothing. The path to J (and J's gradient back) now runs through the step the index takes, as at cell level,
    the "…" where that step is left out, and the index says which step it takes."""
    tr.manual_seed(0)
    output, _ = tr.nn.GRU(2, 3)(tr.randn(6, 1, 2))
    loss = output[-1].sum()

    def next_to_j(picture, backward):  # the steps (or "…") on J's path nearest J, through the ops outside the steps
        links = [(b, a) if backward else (a, b) for a, b, _ in picture.edges]  # (nearer J's source, nearer J)
        todo = [i for i, node in enumerate(picture.nodes) if node.kind == "output" and node.label == "J"]
        found, seen = set(), set(todo)
        while todo:
            here = todo.pop()
            for near in {a for a, b in links if b == here} - seen:
                seen.add(near)
                (found.add(near) if picture.nodes[near].step is not None else todo.append(near))
        return {first_line(picture.nodes[i]).split(" = ")[0] for i in found}

    later_left_out = {"… 2 more time steps"}
    expected = {((2, 3), "op", False): later_left_out, ((2, 3), "op", True): later_left_out,
                ((2, 3), "cell", False): later_left_out, ((2, 3), "cell", True): later_left_out,
                ((3, 4, 5), "op", False): {"h₆"}, ((3, 4, 5), "op", True): {"h₆"},
                ((3, 4, 5), "cell", False): {"GRU cell"}, ((3, 4, 5), "cell", True): {"GRU cell, backward"}}
    for (steps, level, backward), reached in expected.items():
        picture = build_picture((loss,), level=level, backward=backward, time_steps=steps, show_shapes=False)
        assert next_to_j(picture, backward) == reached, (steps, level, backward, next_to_j(picture, backward))
        if level == "op" and not backward:
            assert [first_line(n) for n in picture.nodes if n.label.startswith("index")] == ["index [-1] → h₆"]
        if backward and level == "op" and steps[-1] == 5:  # (the step J's gradient enters is t=6's)
            assert {n.step for n in picture.nodes if first_line(n) == "h₆ = (1 − z₆) ⊙ n₆ + z₆ ⊙ h₅, backward" and
                    any(picture.nodes[a].label == "J" for a, b, _ in picture.edges if picture.nodes[b] is n)} == {6}


def test_a_stack_read_twice_with_steps_left_out_draws_every_step_into_j():
    """J = out.sum() + out[-1].sum(): two nodes read the op level's stack, so no one step is J's way in — the
    figure drew (it raised a TypeError indexing the nodes by None) with every drawn step wired into the stack."""
    tr.manual_seed(0)
    output, _ = tr.nn.GRU(2, 3)(tr.randn(6, 1, 2))
    loss = output.sum() + output[-1].sum()
    for backward in (False, True):
        picture = build_picture((loss,), level="op", backward=backward, time_steps=(2, 3), show_shapes=False)
        assert not any(n.label.startswith("index [") and "→" in n.label for n in picture.nodes)
        assert any(n.label.startswith("…") for n in picture.nodes), [first_line(n) for n in picture.nodes]


def test_an_encoder_decoders_handed_over_state_and_words_are_named_at_op_level_as_elsewhere():
    """A GRU encoder's last state handed to a GRUCell decoder (teacher forcing, one embedding), op level, steps left
    out: the encoder's node named it h₃⁽ᵃ⁾, the index "→ h₃" and the decoder's equation h₀⁽ᵇ⁾, a name no node gave;
    the decoder's word was x₁, the cell level's y₀. The index now says both names once, and the words are the cell
    level's."""
    tr.manual_seed(0)
    embedding, encoder, decoder, head = tr.nn.Embedding(6, 3), tr.nn.GRU(3, 4), tr.nn.GRUCell(3, 4), tr.nn.Linear(4, 6)
    _, state = encoder(embedding(tr.tensor([[1], [2], [3]])))
    state, words, losses = state[0], [0, 4, 5, 2], []
    for t in range(3):
        state = decoder(embedding(tr.tensor([words[t]])), state)
        losses.append(F.cross_entropy(head(state), tr.tensor([words[t + 1]])))
    loss = tr.stack(losses).mean()
    op = build_picture((loss,), level="op", time_steps=slice(2, 4), show_shapes=False)
    firsts = [first_line(n) for n in op.nodes]
    (index,) = [line for line in firsts if line.startswith("index")]
    (last,) = [line.split(" = ")[0] for line in firsts if line.startswith("h₃")]  # the encoder's h₃⁽ᵃ⁾
    (start,) = [line.rpartition("⊙ ")[2] for line in firsts if line.startswith("h₁")]  # what the decoder's reads
    assert last != "h₃" and start != "h₀" and index == f"index [0] → {last} = {start}", firsts
    cell = build_picture((loss,), level="cell", show_shapes=False)
    read = [[first_line(n) for n in picture.nodes if n.kind == "input" and n.step == 1] for picture in (op, cell)]
    assert set(read[0]) == {"y_0"} and "y_0" in read[1], read  # (the encoder's step 1, left out at op level)
