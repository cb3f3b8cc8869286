"""Wires that read false: an initial state leaving through the weights' bus.

- ``params="once"``: h₀ stood among the weights, in their column, and its arrow left across their bus's trunk, as if
  it were one more weight that every step reads. h₀ (and c₀) now stand between the weights and the first step, where
  the figure puts them without ``params="once"``, each arrow touching no line of the bus.
"""

import xml.etree.ElementTree as ElementTree

import pytest
from drawn_lines import Arrow, crossings, point_to_segment, read, segments

import tinygrad_rnn as tr


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
