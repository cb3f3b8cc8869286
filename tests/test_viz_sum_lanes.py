"""The lines into a BPTT figure's Σ nodes: where one lane's line turns or forks, no other lane runs a few
points beside it. There a crossing reads as a T-junction: the line seems to branch off the other lane."""

import pytest
from drawn_lines import without_hops

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.layout import labelled_layout

F = tr.nn.functional
CLEAR = 5.0  # points: at least this far from another Σ lane's line, a turn or fork reads as its own (3 did not)


def tied_language_model_loss():
    """An nn.LSTM language model whose decoder is its embedding (decoder.weight = embedding.weight)."""
    tr.manual_seed(0)
    embedding, lstm, decoder = tr.nn.Embedding(12, 4), tr.nn.LSTM(4, 4, batch_first=True), tr.nn.Linear(4, 12)
    decoder.weight = embedding.weight
    ids = [3, 5, 7, 2, 9]
    states, _ = lstm(embedding(tr.tensor([ids[:-1]])))
    return F.cross_entropy(decoder(states).reshape(-1, 12), tr.tensor(ids[1:]))


def _distance(point, start, end) -> float:
    """From ``point`` to an axis-aligned segment, across it (inf where the point is not beside it)."""
    (x, y), (x1, y1), (x2, y2) = point, start, end
    if abs(x1 - x2) < 1e-6:
        return abs(x - x1) if min(y1, y2) <= y <= max(y1, y2) else float("inf")
    return abs(y - y1) if min(x1, x2) <= x <= max(x1, x2) else float("inf")


def nearest_line_beside_a_turn(picture, placed) -> float:
    """The least distance from a turn (or fork) of a line into a Σ to another such line that does not pass through
    it (a line of the same lane runs through its own forks)."""
    into_sums = [k for k, (_, head, _) in enumerate(picture.edges)
                 if picture.nodes[head].kind == "output" and "Σ" in picture.nodes[head].label]
    lines = [without_hops(placed.routes[k].points + [placed.routes[k].end]) for k in into_sums]  # (a hop: no turn)
    nearest = float("inf")
    for points in lines:
        for turn in points[1:-1]:
            for other in lines:
                across = min(_distance(turn, a, b) for a, b in zip(other, other[1:]))
                if across > 0.5:
                    nearest = min(nearest, across)
    return nearest


@pytest.mark.parametrize("slide", [True, False])
def test_the_tied_lm_s_b_y_branch_does_not_fork_beside_the_embeddings_lane(slide):
    """The heads' term into Σ ∂J/∂b_y forked 3 points from the embeddings' trunk up to Σ ∂J/∂E (1.0 and 2.0 points
    between a turn and another lane on a slide and at free size): it read as a T-junction on it, as if the
    embedding fed b_y's gradient. The trunk that rises past the other lanes' ways in runs outside them, apart:
    7.4 and 8.0 points."""
    picture = build_picture((tied_language_model_loss(),), level="cell", backward=True, slide=slide)
    _, placed = labelled_layout(picture)
    assert nearest_line_beside_a_turn(picture, placed) >= CLEAR
