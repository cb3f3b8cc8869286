"""Wires that read false: two sources drawn as one line, an initial state leaving through the weights' bus.

- Two modules reading one x (an RNN and a GRU side by side, an ensemble's two towers): x₃'s line up into the GRU's
  cell 3 and h₃⁽ʳ⁾'s up into J ran 1 point apart for 45 points (64 at free size) and split under the GRU's cell, as
  if the RNN's h₃ fed it — a stack, not two modules sharing an input. Each now keeps a lane of its own, an
  arrowhead's width apart (drawn_lines.wires_side_by_side; test_slide_figures.py runs the same measure over the
  documentation's figures and the CLI's grid).
- ``params="once"``: h₀ stood among the weights, in their column, and its arrow left across their bus's trunk, as if
  it were one more weight that every step reads. h₀ (and c₀) now stand between the weights and the first step, where
  the figure puts them without ``params="once"``, each arrow touching no line of the bus.
"""

import xml.etree.ElementTree as ElementTree

import pytest
from drawing_cases import generation_loop
from drawn_lines import Arrow, crossings, crossings_without_hop, point_to_segment, read, segments, wires_side_by_side
from test_slide_figures import ALONG, NEAR

import tinygrad_rnn as tr


def two_modules_reading_one_x():
    """an RNN and a GRU reading the same x, J from both last states"""
    rnn, gru = tr.nn.RNN(2, 3), tr.nn.GRU(2, 3)
    x = tr.randn(3, 1, 2)
    x.name = "x"
    by_rnn, _ = rnn(x)
    by_gru, _ = gru(x)
    loss = (tr.cat([by_rnn[-1], by_gru[-1]], -1) ** 2).sum()
    loss.name = "J"
    return loss


def bidirectional_tagger():
    """embedding → bidirectional GRU → linear → cross_entropy at every step: a tagger"""
    embedding, head = tr.nn.Embedding(10, 3), tr.nn.Linear(8, 5)
    gru = tr.nn.GRU(3, 4, bidirectional=True, batch_first=True)
    output, _ = gru(embedding(tr.tensor([[1, 2, 3, 4]])))
    loss = tr.nn.functional.cross_entropy(head(output).reshape(-1, 5), tr.tensor([0, 1, 2, 0]))
    loss.name = "J"
    return loss


def hand_loop():
    """(x @ W + h @ U + b).tanh(), one scope a step"""
    W, U, b = tr.randn(2, 3, requires_grad=True), tr.randn(3, 3, requires_grad=True), tr.zeros(3, requires_grad=True)
    W.name, U.name, b.name = "W", "U", "b"
    xs, h = tr.randn(4, 1, 2), tr.zeros(1, 3)
    for step in range(4):
        with tr.scope(f"t={step + 1}"):
            h = (xs[step] @ W + h @ U + b).tanh()
            h.name = "h"
    loss = (h ** 2).sum()
    loss.name = "J"
    return loss


def layer(kind):
    def last_state():
        output, _ = kind(2, 3)(tr.randn(4, 1, 2))
        loss = output[-1].sum()
        loss.name = "J"
        return loss
    last_state.__doc__ = f"nn.{kind.__name__}, J from its last output"
    return last_state


def drawn(make, tmp_path, **options) -> str:
    tr.manual_seed(0)
    return tr.viz.save(make(), path=tmp_path / "f.svg", level="cell", **options).read_text()


@pytest.mark.parametrize("slide", [True, False])
def test_two_modules_reading_one_x_keep_their_wires_apart(slide, tmp_path, library_svg):
    text = drawn(two_modules_reading_one_x, tmp_path, slide=slide)
    assert wires_side_by_side(text, NEAR, ALONG) == []
    arrows, nodes = read(text)  # (and the two lines the measure found, still there: x₃ into the GRU, h₃⁽ʳ⁾ into J)
    assert any(nodes[a.tail][0] == "x3" and nodes[a.head][0].startswith("GRU cell") for a in arrows)
    assert any(a.name == "h3(r)" and nodes[a.head][0] == "J" for a in arrows)
    assert crossings_without_hop(text) == []  # x_t up into the GRU across h_t⁽ʳ⁾: each a hop, not a "+"
    into_the_gru = [a for a in arrows if nodes[a.tail][0].startswith("x") and nodes[a.head][0].startswith("GRU cell")]
    assert sum(bool(crossings(x, a)) for x in into_the_gru for a in arrows if a.name.startswith("h")) >= 3


def test_a_bidirectional_taggers_input_crosses_the_forward_state_in_a_hop(tmp_path, library_svg):
    """e_t's line up to the reverse cell t crosses the forward h_t⁽→⁾ arrow to cell t+1: a hop, not a "+"."""
    text = drawn(bidirectional_tagger, tmp_path, slide=False)  # (free size: one layout, not the slide's variants)
    arrows, nodes = read(text)
    risers = [a for a in arrows if nodes[a.tail][0].startswith("e") and "GRU cell" in nodes[a.head][0]]
    forward = [a for a in arrows if "(→)" in a.name and "GRU cell" in nodes[a.head][0]]
    assert len(risers) == 8 and len(forward) == 3
    assert sum(bool(crossings(riser, state)) for riser in risers for state in forward) >= 3
    assert crossings_without_hop(text) == []


def test_a_crossing_without_a_hop_is_found():
    """The measure, on a plain "+" of two wires, the same two with a hop (hops.py), and two forks of one value."""
    from tinygrad_rnn.viz.geometry import Route
    from tinygrad_rnn.viz.hops import hop

    def svg(tails, routes):
        lines = [" L".join(f"{x},{y}" for x, y in route.points) for route in routes]
        paths = "".join(f'<path class="edge" data-tail="{tail}" data-head="9" d="M{line}"/>'
                        for tail, line in zip(tails, lines))
        return f'<svg xmlns="http://www.w3.org/2000/svg">{paths}</svg>'

    def plus():
        return [Route([(0.0, 50.0), (100.0, 50.0)], (106.0, 50.0)), Route([(50.0, 0.0), (50.0, 100.0)], (50.0, 106.0))]

    assert crossings_without_hop(svg([0, 1], plus())) == [("0", "1", (50.0, 50.0))]
    assert crossings_without_hop(svg([0, 0], plus())) == []
    hopped = plus()
    assert hop(hopped, [0, 1]) == 1
    assert crossings_without_hop(svg([0, 1], hopped)) == [] and crossings(*read(svg([0, 1], hopped))[0])


def kinds(figure_svg: str) -> dict[str, str]:
    """Each node's kind (input, parameter, group, …), by its index, as the library's SVG classes it."""
    return {element.get("data-index"): element.get("class").split()[1] for element in
            ElementTree.fromstring(figure_svg).iter() if (element.get("class") or "").startswith("node ")}


def touches(first: Arrow, second: Arrow) -> bool:
    """Whether two arrows' lines share a point: they cross, or a corner or end of one lies on the other."""
    return bool(crossings(first, second)) or any(
        point_to_segment(point, p, q) < 0.5 for one, other in ((first, second), (second, first))
        for point in one.line for p, q in segments(other.line))


@pytest.mark.parametrize("slide", [True, False])
@pytest.mark.parametrize("make", [hand_loop, layer(tr.nn.RNN), layer(tr.nn.LSTM)], ids=["hand_loop", "rnn", "lstm"])
def test_with_params_once_the_initial_states_stand_apart_from_the_weights_bus(make, slide, tmp_path, library_svg):
    text = drawn(make, tmp_path, slide=slide, params="once")
    arrows, nodes = read(text)
    kind = kinds(text)
    weights = {i for i, k in kind.items() if k == "parameter"}
    initial = {i for i, (words, _) in nodes.items() if words[:2] in ("h0", "c0")}
    assert len(weights) >= 3 and len(initial) == (2 if "LSTM" in make.__doc__ else 1)
    bus = [a for a in arrows if a.tail in weights]
    for state in initial:
        box = nodes[state][1]
        assert box[0] > max(nodes[w][1][2] for w in weights), "h₀ (c₀) right of the weights' column, not in it"
        (arrow,) = [a for a in arrows if a.tail == state]
        assert not any(touches(arrow, drop) for drop in bus), f"{nodes[state][0]}'s arrow touches the weights' bus"


def sampling_loop():
    """a char-level LSTM sampling its next input from each step's scores: J = Σ_t log p(the sample)"""
    score = generation_loop(tr.nn.LSTM, 8, 3, lambda logits: tr.multinomial(logits.softmax(-1), 1))
    score.name = "J"
    return score


def test_a_sampled_choice_round_the_last_step_keeps_a_lane_clear_of_the_loss_bus(tmp_path, library_svg):
    """The dashed "sampled" line from ŷ₂ round the last step ran one lane (15 px on a slide) under the solid bus of
    the J_t, along it, and across J₃'s riser as a "+": read as the bus's second line. It now keeps an empty lane
    between (choice_routes.CHOICE_CLEAR) and hops the riser."""
    from tinygrad_rnn.viz.geometry import FREE

    text = drawn(sampling_loop, tmp_path, slide=False)
    arrows, nodes = read(text)
    (round_the_last,) = [a for a in arrows if a.dashed and nodes[a.head][0] == "x3"]
    bus = [a for a in arrows if not a.dashed and nodes[a.head][0].startswith("Σ")]
    over_the_heads = max(segments(round_the_last.line), key=lambda s: abs(s[1][0] - s[0][0]))[0][1]  # (y downwards)
    bus_y = max(p[1] for a in bus for p, q in segments(a.line) if p[1] == q[1] and p[1] < over_the_heads)
    assert over_the_heads - bus_y >= 2 * FREE.lane - 0.1
    # (where it crosses a riser it hops it; since J_t = log_softmax[·] is a node of its own its route may cross none)
    assert crossings_without_hop(text) == []
