"""Op-level figures that draw nothing false: each operand with an arrowhead of its own on its node (ports.py),
and a line out of a step through its own levels in a gap kept for it (passages.py), never through a node."""

from tinygrad_rnn.viz import lecture_models
from tinygrad_rnn.viz.deck_lecture import Lecture
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.layout import labelled_layout
from tinygrad_rnn.viz.legibility import measure, shared_arrowheads
from tinygrad_rnn.viz.notation import resolve
from tinygrad_rnn.viz.svg import picture_to_svg


def drawn(loss, **options) -> str:
    picture = build_picture((loss,), **options)
    labels, placed = labelled_layout(picture)
    return picture_to_svg(picture, placed, labels, "f", figure=True)


def test_the_decks_gru_cell_gives_r_and_the_candidates_hidden_part_an_arrowhead_each():
    """Slide 8: r₁'s arrow and the split's W_hn h + b_hn (round r, from below) ended at one point of the mul, one
    arrowhead for two operands; the round one now comes in by the mul's side, and no two arrows share a point."""
    lecture = Lecture("gru", resolve(None))
    svg, _ = lecture.figure(lecture_models.last_step_loss(lecture_models.layer("gru"), 1), level="op")
    assert shared_arrowheads(svg) == []
    assert measure(svg).through_nodes == 0


def test_the_lstm_cell_and_a_gru_of_two_steps_share_no_arrowhead():
    for kind in ("lstm", "gru"):
        loss = lecture_models.last_step_loss(lecture_models.layer(kind), 2)
        svg = drawn(loss, level="op", slide=True)
        assert shared_arrowheads(svg) == [], kind
        assert measure(svg).through_nodes == 0, kind


def test_a_split_sends_its_gradient_past_the_linear_under_it_not_through_it():
    """An LSTM's recorded gradient graph: each step's split sends δ down to the unbind beside the row, and the
    linear stands under the split: the line ran straight through it. It now runs through a passage beside it."""
    svg = drawn(lecture_models.last_step_loss(lecture_models.layer("lstm"), 3), level="op", backward=True,
                slide=True, show_shapes=False)
    found = measure(svg)
    assert found.through_nodes == 0, found.passes
    assert shared_arrowheads(svg) == []


def test_a_backward_rule_hands_each_gradient_out_from_a_point_of_its_own():
    """A GRU's recorded gradient graph: the mul's backward sent ∂J/∂r_t and the δ of W_hn h + b_hn from one point,
    and each linear's backward its ∂J/∂W and ∂J/∂b terms down one line: one gradient, as a student reads it,
    sent twice (a forward op's lines out of one point are one value read twice: those still fork)."""
    picture = build_picture((lecture_models.last_step_loss(lecture_models.layer("gru"), 3),), level="op",
                            backward=True)
    _, placed = labelled_layout(picture)
    starts: dict[tuple, list[int]] = {}
    for (tail, head, _), route in zip(picture.edges, placed.routes, strict=True):
        if picture.nodes[tail].kind == "op" and picture.nodes[tail].key.is_gradient:
            starts.setdefault((tail, tuple(round(c, 1) for c in route.points[0])), []).append(head)
            if len(route.points) > 1:  # (and not along one first stretch either)
                starts.setdefault((tail, tuple(round(c, 1) for c in route.points[1]), "second"), []).append(head)
    shared = {key: heads for key, heads in starts.items() if len(heads) > 1}
    assert not shared, shared
