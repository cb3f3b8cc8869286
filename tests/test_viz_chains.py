"""Steps and calls as data: each op of a recurrent layer records which chain (one run of one layer in
one direction) and which step it belongs to, and drawings read that record — so a module called on
two sentences draws two chains that share their weights, and a loop of one-step calls that feeds its
state back draws one chain numbered on, with the choice it feeds back drawn as it was made."""

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.steps import Chain
from tinygrad_rnn.viz.geometry import SLIDE_SPACING, Box, node_size
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.grid import Grid
from tinygrad_rnn.viz.layout import labelled_layout
from tinygrad_rnn.viz.legibility import label_clashes, measure
from tinygrad_rnn.viz.picture import display_label, in_time
from tinygrad_rnn.viz.svg import picture_to_svg

CELLS = {"rnn": tr.nn.RNN, "lstm": tr.nn.LSTM, "gru": tr.nn.GRU}
FUSED = [False, "step", True]


def first_line(node):
    return node.label.split("\n")[0]


def cells(picture, name):
    return [i for i, node in enumerate(picture.nodes) if first_line(node) == f"{name} cell"]


def drawn(picture):
    labels, placed = labelled_layout(picture)
    return measure(picture_to_svg(picture, placed, labels, "f", figure=True))


def two_sentences(cell="gru", fused=False, hypothesis_from_premise=False):
    """One encoder reads a premise and a hypothesis (natural language inference); a classifier reads
    both final states. ``hypothesis_from_premise``: the hypothesis starts from the premise's state."""
    tr.manual_seed(0)
    embedding = tr.nn.Embedding(10, 3, dtype="float64")
    encoder = CELLS[cell](3, 4, batch_first=True, fused=fused, dtype="float64")
    classifier = tr.nn.Linear(8, 3, dtype="float64")
    premise, hypothesis = tr.tensor([[1, 2, 3]]), tr.tensor([[4, 5]])
    _, premise_state = encoder(embedding(premise))
    start = premise_state if hypothesis_from_premise else None
    _, hypothesis_state = encoder(embedding(hypothesis), start)
    final = [state[0] if cell == "lstm" else state for state in (premise_state, hypothesis_state)]
    logits = classifier(tr.cat([final[0][0], final[1][0]], dim=-1))
    return tr.nn.functional.cross_entropy(logits, tr.tensor([1]))


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("fused", FUSED)
def test_one_encoder_read_on_two_sentences_draws_two_chains_that_share_its_weights(cell, fused):
    loss = two_sentences(cell, fused)
    picture = build_picture((loss,), level="cell")
    found = cells(picture, cell.upper())
    assert len(found) == 3 + 2  # (the old drawing: 3 cells, cell t=1 fed two h_0 and two embeddings)
    rows = {picture.nodes[i].row for i in found}
    assert rows == {(cell.upper(), "call 1", "layer 0", "forward"), (cell.upper(), "call 2", "layer 0", "forward")}
    for i in found:  # each cell reads one embedding and at most one state
        feeding = {t: picture.nodes[t] for t, h, _ in picture.edges if h == i}.values()
        assert sum(first_line(n).startswith("e") for n in feeding) == 1
        assert sum(first_line(n).endswith("cell") for n in feeding) <= 1
        assert sum(first_line(n) == "h_0" for n in feeding) <= 1 and sum(first_line(n) == "c_0" for n in feeding) <= 1
    tokens = [n for n in picture.nodes if n.kind == "input" and first_line(n).startswith("x")]
    assert len(tokens) == 5  # one token node per token read, none shared by the two sentences
    legible = drawn(picture)
    assert legible.crossings == 0 and legible.through_nodes == 0
    backward = build_picture((loss,), level="cell", backward=True)  # one tensor: one Σ, whatever the calls
    sums = [n.label for n in backward.nodes if "∂J/∂W_hh = Σ" in n.label]
    assert len(sums) == 1
    into_sum = [label for t, h, label in backward.edges if "∂J/∂W_hh = Σ" in backward.nodes[h].label]
    assert sorted(into_sum) == ["t=1", "t=1", "t=2", "t=2", "t=3"]  # each step of both calls
    # (a free nn.Embedding's bare "weight" is named by its role, E, as the library's own embedding)
    embedding_sums = [n.label for n in backward.nodes if "∂J/∂E = Σ" in n.label]
    assert len(embedding_sums) == 1


@pytest.mark.parametrize("fused", FUSED)
def test_a_call_started_from_the_state_the_last_call_ended_with_continues_its_chain(fused):
    loss = two_sentences("lstm", fused, hypothesis_from_premise=True)
    picture = build_picture((loss,), level="cell")
    found = cells(picture, "LSTM")
    assert sorted(picture.nodes[i].step for i in found) == [1, 2, 3, 4, 5]  # one chain, numbered on
    assert len({picture.nodes[i].row for i in found}) == 1


def test_each_op_records_its_chain_and_step_and_two_calls_are_two_chains():
    tr.manual_seed(1)
    rnn = tr.nn.RNN(2, 3, num_layers=2, bidirectional=True)
    assert not hasattr(rnn, "first_step")  # nothing to set: the numbering comes from the recurrence
    first, h_n = rnn(tr.randn(4, 1, 2))
    second, _ = rnn(tr.randn(2, 1, 2))
    again, _ = rnn(tr.randn(3, 1, 2), h_n)

    def chains_of(output):
        found, stack, seen = {}, [output.grad_fn], set()
        while stack:
            function = stack.pop()
            if function.step is not None:
                found.setdefault(function.step.chain, set()).add(function.step.t)
            for x in function.parents:
                if getattr(x, "grad_fn", None) is not None and id(x.grad_fn) not in seen:
                    seen.add(id(x.grad_fn))
                    stack.append(x.grad_fn)
        return found

    one, two, three = chains_of(first), chains_of(second), chains_of(again)
    assert len(one) == 4 and all(steps == {1, 2, 3, 4} for steps in one.values())  # 2 layers × 2 directions
    assert {(c.layer, c.direction) for c in one} == {(0, "forward"), (0, "reverse"), (1, "forward"), (1, "reverse")}
    assert not set(one) & set(two)  # a new sequence: new chains
    # (the third call's graph holds the first's too, through h_n): the forward chains go on, t = 5, 6, 7
    continued = [c for c in three if c in one and three[c] == {1, 2, 3, 4, 5, 6, 7}]
    assert sorted((c.layer, c.direction) for c in continued) == [(0, "forward"), (1, "forward")]
    fresh = [c for c in three if c not in one]  # a reverse direction cannot go on: it starts at the end
    assert sorted((c.layer, c.direction) for c in fresh) == [(0, "reverse"), (1, "reverse")]
    assert all(three[c] == {5, 6, 7} for c in fresh)
    assert all(isinstance(c, Chain) and c.owner == id(rnn) for c in three)


@pytest.mark.parametrize("fused", FUSED)
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_a_generation_loop_written_by_hand_draws_one_chain_numbered_on_with_its_argmax_links(cell, fused):
    tr.manual_seed(2)
    embedding, head = tr.nn.Embedding(10, 3), tr.nn.Linear(4, 10)
    layer = CELLS[cell](3, 4, fused=fused)
    token, state, score = tr.tensor([[1]]), None, 0.0
    for _ in range(4):  # one token per call, the state fed back, the chosen token embedded next
        output, state = layer(embedding(token), state)
        logits = head(output[-1])
        logits.name = "ŷ"
        token = logits.argmax(-1).unsqueeze(0)
        score = score + logits.log_softmax(-1)[0, int(token.item())]
    picture = build_picture((score,), level="cell")
    found = cells(picture, cell.upper())
    assert sorted(picture.nodes[i].step for i in found) == [1, 2, 3, 4]  # (the old drawing: one node t=1)
    assert len({picture.nodes[i].row for i in found}) == 1
    links = sorted((first_line(picture.nodes[t]), first_line(picture.nodes[h]))
                   for t, h, label in picture.edges if label == "argmax")
    # the scores → (argmax) the token chosen, x_{t+1}, drawn as x₁ is → its embedding: what the loop does with it
    assert links == [(f"ŷ{s} = linear", f"x{n}") for s, n in (("₁", "₂"), ("₂", "₃"), ("₃", "₄"))]
    fed = sorted((first_line(picture.nodes[t]), first_line(picture.nodes[h])) for t, h, _ in picture.edges
                 if first_line(picture.nodes[t]).startswith("x"))
    assert fed == [(f"x{n}", f"e{n} = embedding") for n in "₁₂₃₄"]
    assert drawn(picture).through_nodes == 0


@pytest.mark.parametrize("fused", [False, True])
def test_the_seq2seq_decoder_numbers_its_own_steps_and_is_drawn_after_its_encoder(fused):
    """The lectures' numbering: the decoder's steps are 1…T′ (h₀⁽ᵈ⁾ = h_S⁽ᵉ⁾, handed over), not S+1…;
    where it stands in time (Chain.after = S) places it after the encoder, never names its steps."""
    tr.manual_seed(4)
    model = tr.models.Seq2Seq(9, 7, embedding_dim=3, hidden_size=4, fused=fused)
    logits = model(tr.tensor([[4, 5, 6]]), tr.tensor([[1, 4]]))
    picture = build_picture((logits.sum(),), level="cell")
    steps = {first_line(n): sorted(m.step for m in picture.nodes if first_line(m) == first_line(n))
             for n in picture.nodes if first_line(n).endswith(" cell")}
    assert steps == {"encoder cell": [1, 2, 3], "decoder cell": [1, 2]}
    decoder = {n.chain for n in picture.nodes if first_line(n) == "decoder cell"}
    assert [chain.after for chain in decoder] == [3]
    boxes = labelled_layout(picture)[1].boxes
    x = sorted((boxes[i].x, first_line(n), n.step) for i, n in enumerate(picture.nodes)
               if first_line(n).endswith(" cell"))
    assert [(name, step) for _, name, step in x] == [("encoder cell", 1), ("encoder cell", 2), ("encoder cell", 3),
                                                    ("decoder cell", 1), ("decoder cell", 2)]


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_a_cell_is_coloured_by_the_norm_of_dj_dh_t_as_its_title_says(cell):
    """The colour of cell t is ‖∂J/∂h_t‖ — for an LSTM too (its c_t is not in it), the number the
    vanishing figure's title names and the CLI prints."""
    tr.manual_seed(5)
    layer = CELLS[cell](2, 3)
    output, _ = layer(tr.randn(6, 1, 2))
    loss = output[-1].sum()
    picture = build_picture((loss,), level="cell", show_grads=True)
    drawn = sorted((n.step, n.gradient_norm) for n in picture.nodes if first_line(n) == f"{cell.upper()} cell")
    expected = tr.analysis.hidden_state_gradient_norms(loss, layer.hidden_states[0])
    assert [norm for _, norm in drawn] == pytest.approx(list(expected), rel=1e-5)


def test_the_second_call_s_states_and_inputs_carry_a_prime_one_name_one_tensor():
    picture = build_picture((two_sentences("gru"),), level="cell")
    edges = {label for _, _, label in picture.edges if label}
    assert {label for label in edges if label.startswith("h")} == {"h₁", "h₂", "h₃", "h′₁", "h′₂"}
    tokens = sorted(first_line(n) for n in picture.nodes if n.kind == "input" and first_line(n).startswith("x"))
    assert tokens == sorted(["x₁", "x₂", "x₃", "x′₁", "x′₂"])


def test_only_ids_moved_or_picked_keep_the_scores_they_were_chosen_from():
    scores = tr.randn(1, 5, requires_grad=True)
    chosen = scores.argmax(-1)
    assert chosen.reshape(1, 1)._choice[1] == "argmax" and chosen[0:1]._choice[0] is scores
    assert getattr(chosen * 0, "_choice", None) is None and getattr(chosen + 1, "_choice", None) is None


def test_a_long_encoder_decoder_is_elided_in_time_and_its_gap_names_the_steps_as_their_chain_does():
    """A slide elides the middle of the timeline (the encoder's S steps, then the decoder's T′) within each chain:
    each "…" names its own chain's steps, and the hand-over (the encoder's last h into the decoder's first step) is
    drawn. (Before, one "…" across the hand-over stood for the encoder's 4…9 and the decoder's 1…4, naming none.)"""
    def drawn(source_length, target_length):
        tr.manual_seed(0)
        model = tr.models.Seq2Seq(10, 8, embedding_dim=4, hidden_size=4, fused=False)
        source, inputs = tr.tensor([[4] * source_length]), tr.tensor([[2] + [5] * (target_length - 1)])
        source.name, inputs.name = "x", "y"
        loss = tr.nn.functional.cross_entropy(model(source, inputs).reshape(-1, 8), tr.tensor([5] * target_length))
        picture = build_picture((loss,), level="cell", slide=True)
        cells = sorted((first_line(n), n.step) for n in picture.nodes if first_line(n).endswith(" cell"))
        gaps = [n.label.split("\n") for n in picture.nodes if n.kind == "ellipsis"]
        inputs = {n.label for n in picture.nodes if n.kind == "input" and n.step is not None}
        return cells, gaps, inputs

    cells, gaps, inputs = drawn(9, 6)  # 15 steps in time: the encoder's t = 1, 2, …, 9, the decoder's 1, …, 6
    assert cells == [("decoder cell", 1), ("decoder cell", 6), ("encoder cell", 1), ("encoder cell", 2),
                     ("encoder cell", 9)]
    assert gaps == [["…", "6 steps", "t=3…8"], ["…", "4 steps", "t=2…5"]] and {"y₅"} <= inputs  # step 6 reads y₅
    cells, gaps, _ = drawn(2, 10)  # 12 in time: the encoder's 1, 2, the decoder's 1, 2, …, 10
    assert cells == [("decoder cell", 1), ("decoder cell", 2), ("decoder cell", 10), ("encoder cell", 1),
                     ("encoder cell", 2)]
    assert gaps == [["…", "7 steps", "t=3…9"]]  # the decoder's own steps, not 5…11


def attention_decoder():
    """A GRU encoder, then a GRUCell decoder that attends over its states by hand, one step at a time."""
    tr.manual_seed(0)
    encoder, decoder, head = tr.nn.GRU(3, 4), tr.nn.GRUCell(3 + 4, 4), tr.nn.Linear(4, 5)
    states, h = encoder(tr.randn(3, 1, 3))
    H, s, ys, losses = states[:, 0, :], h[0], tr.randn(2, 1, 3), []
    for t in range(2):
        alpha = (H @ s[0]).softmax(-1)
        context = (alpha.reshape(3, 1) * H).sum(0).reshape(1, 4)
        s = decoder(tr.cat([ys[t], context], -1), s)
        losses.append(tr.nn.functional.cross_entropy(head(s), tr.tensor([t + 1])))
    return tr.stack(losses).mean()


@pytest.mark.parametrize("backward", [False, True])
def test_hand_written_attention_is_one_node_in_the_decoder_step_it_feeds(backward):
    """Its ops run in decoder step t′ (they feed that step's cell): one node there, e, α and c named, fed by every
    encoder state, its c_t′ into cell t′ — not matmul and mul nodes filed under the encoder's t=1 and t=3."""
    picture = build_picture((attention_decoder(),), level="cell", backward=backward)
    def name(node):  # (a BPTT figure's "GRU 1 cell, backward": the backward of that call)
        return first_line(node).removesuffix(", backward")

    names = [name(n) for n in picture.nodes]
    assert not {"matmul", "mul", "softmax", "sum"} & set(names)
    attention = sorted((n.step, i) for i, n in enumerate(picture.nodes) if name(n) == "attention")
    assert [step for step, _ in attention] == [1, 2]
    cell = {(name(n), n.step): i for i, n in enumerate(picture.nodes) if name(n).endswith(" cell")}
    encoder = {cell[("GRU 1 cell", t)] for t in (1, 2, 3)}
    for step, i in attention:
        if not backward:
            assert picture.nodes[i].label.split("\n")[1:] == [f"e{'₁₂'[step - 1]} = scores",
                                                              f"α{'₁₂'[step - 1]} = softmax(e{'₁₂'[step - 1]})",
                                                              f"c{'₁₂'[step - 1]} = Σᵢ α{'₁₂'[step - 1]}ᵢ hᵢ"]
        ends = {(t, h) for t, h, _ in picture.edges if i in (t, h)}
        read = {t if not backward else h for t, h in ends} - {i}
        fed = {h if not backward else t for t, h in ends} - {i}
        state = cell[("GRU 1 cell", 3)] if step == 1 else cell[("GRU 2 cell", 1)]  # s_{t′−1}: h_S, then h₁⁽ᵇ⁾
        assert read == encoder | {state} and fed == {cell[("GRU 2 cell", step)]}
    boxes = labelled_layout(picture)[1].boxes
    for step, i in attention:  # in the decoder's column
        nearest = min(cell, key=lambda k: abs(boxes[cell[k]].x - boxes[i].x))
        assert nearest == ("GRU 2 cell", step)


@pytest.mark.parametrize("backward", [False, True])
def test_hand_written_attention_at_op_level_stands_in_the_decoder_step_it_feeds(backward):
    """Op by op (forward, and the recorded gradient graph's rules): each op of decoder step t′'s attention stands in
    that step's column, after the encoder's three (t′ = 1: column 4) — not in the encoder's t=1 or t=3 by the hᵢ it
    reads, nor outside every step — on the decoder's row, its scores, α and context named e_t′, α_t′, c_t′."""
    picture = build_picture((attention_decoder(),), level="op", backward=backward)
    column = in_time(picture.nodes, picture.edges)
    decoder = {n.row for n in picture.nodes if n.chain is not None and n.chain.after == 3}  # after the encoder
    def op(node):
        return first_line(node).removesuffix(", backward")

    attention = [(i, n) for i, n in enumerate(picture.nodes)  # (the GRU cells' own mul: theirs)
                 if op(n) in ("matmul", "softmax", "mul", "sum") and n.chain is None]
    assert len(attention) == 8  # two steps' matmul, softmax, mul, sum
    assert sorted((n.step, column[i], op(n)) for i, n in attention) == sorted(
        (t, 3 + t, name) for t in (1, 2) for name in ("matmul", "softmax", "mul", "sum"))
    assert {n.row for _, n in attention} == decoder
    named = {(n.step, op(n)): n.label.split("\n")[1] for _, n in attention}
    for t, sub in ((1, "₁"), (2, "₂")):
        assert (named[(t, "matmul")], named[(t, "softmax")], named[(t, "sum")]) == (
            f"e{sub} = scores", f"α{sub} = softmax(e{sub})", f"c{sub} = Σᵢ α{sub}ᵢ hᵢ")


@pytest.mark.parametrize("backward", [False, True])
def test_the_ops_that_only_move_the_encoders_states_stand_after_its_last_step(backward):
    """Op by op, the ops that make H and hand h₃ on (nn.GRU's stack of h₁ … h₃, then H's index, and h_n's stack and
    [0]) stand on the encoder's row in the column of its last step, t=3 — not outside every step at the far right
    beside (1/2) Σₜ Jₜ and J, their wires running back into each decoder step as if the loss made them. (The
    attention's own index of s_{t′−1} stays in its decoder step.) h_n[0] says the state it hands the decoder as both
    chains name it, h₃⁽ᵃ⁾ = h₀⁽ᵇ⁾, as the cell level and an unattending decoder's op figure do."""
    picture = build_picture((attention_decoder(),), level="op", backward=backward)
    column = in_time(picture.nodes, picture.edges)
    encoder = {n.row for n in picture.nodes if n.chain is not None and n.chain.after == 0}
    decoder = {n.row for n in picture.nodes if n.chain is not None and n.chain.after == 3}
    def op(node):  # ("index [0] → h₃⁽ᵃ⁾ = h₀⁽ᵇ⁾", "stack, backward": their ops)
        return first_line(node).split(" ")[0].removesuffix(",")

    moves = sorted((op(n), column[i] if n.step is not None else None, n.row in encoder, n.row in decoder)
                   for i, n in enumerate(picture.nodes) if n.chain is None and op(n) in ("stack", "index"))
    assert moves == [("index", 3, True, False)] * 2 + [("index", 4, False, True), ("index", 5, False, True)] + [
        ("stack", 3, True, False)] * 2
    if not backward:  # s₀, the state handed over, named as both chains name it — it was "index", the decoder's
        firsts = [first_line(n) for n in picture.nodes]  # equation reading an h₀⁽ᵇ⁾ that no node gave
        (last,) = [line.split(" = ")[0] for line in firsts if line.startswith("h₃")]  # the encoder's h₃⁽ᵃ⁾
        (start,) = [line.rpartition("⊙ ")[2] for line in firsts if line.startswith("h₁") and last[2:] not in line]
        assert last != "h₃" and start != "h₀" and f"index [0] → {last} = {start}" in firsts, firsts


def test_an_attending_decoders_bptt_slide_keeps_its_encoders_sums_under_the_decoders():
    """On a slide, the encoder's Σs join the decoder's at the right end, as a Seq2Seq's do — also where its 3 steps
    reach the middle column of the 5 (a 2 + 2 words' encoder stops short of it). In a column of their own at the left
    end the figure was 18.1 px text, 20.2 px labels (2.35 : 1) on a slide; at the right end, 20.7 px, 23.0 px
    (2.27 : 1)."""
    picture = build_picture((attention_decoder(),), level="cell", backward=True, slide=True)
    grid = Grid(picture, [Box(0.0, 0.0, *node_size(display_label(node), SLIDE_SPACING)) for node in picture.nodes])
    sums = {key: [first_line(picture.nodes[i]).split("|")[0] for i in members] for key, members in grid.beside.items()
            if first_line(picture.nodes[members[0]]).startswith("Σ")}
    assert {on_left for on_left, _, _ in sums} == {False}, sums  # none at the left end
    assert ["Σₜ ∂J/∂W_ih⁽ᵇ⁾", "Σₜ ∂J/∂W_ih⁽ᵃ⁾"] in sums.values(), sums  # the encoder's under the decoder's


def test_the_encoders_states_reach_each_attention_node_along_one_bus_each_named_once():
    """On a slide each hᵢ rises from its cell's top onto one lane per attention node, right-angled, and is named once
    beside its rise. Drawn straight, the 3 × 2 lines slanted across the gap over the encoder, each hᵢ written on two
    of them (h₂⁽ᵃ⁾ h₂⁽ᵃ⁾ side by side), 3 of those names struck by another line; now 0."""
    picture = build_picture((attention_decoder(),), level="cell", slide=True)
    labels, placed = labelled_layout(picture)
    encoder = set(cells(picture, "GRU 1"))
    bus = [(label, route) for (tail, head, label), route in zip(picture.edges, placed.routes)
           if tail in encoder and first_line(picture.nodes[head]) == "attention"]
    assert len(bus) == 6
    for _, route in bus:  # no slanting line: every piece across or up, into the node's bottom from below
        points = [*(route.unhopped or route.points), route.end]  # (before the hops over the lines it crosses)
        assert all(abs(x0 - x1) < 0.01 or abs(y0 - y1) < 0.01 for (x0, y0), (x1, y1) in zip(points, points[1:]))
    lanes = {(route.unhopped or route.points)[1][1] for _, route in bus}
    assert len(lanes) == 2  # one line per attention node, every state on it
    named = sorted(label for label, route in bus if route.label_drawn and route.label_at is not None)
    assert named == ["h₁⁽ᵃ⁾", "h₂⁽ᵃ⁾", "h₃⁽ᵃ⁾"]
    clashes = label_clashes(picture_to_svg(picture, placed, labels, "f", figure=True))
    assert clashes.crossed == [] and clashes.overlaps == [], clashes
