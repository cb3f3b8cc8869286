"""A detour is the shortest route through the free channels that enters no node: found by trying only each
route's first and last legs (its middle legs run along channels), and those against the nodes near them only.
Asked here against the plain rule — every candidate, shortest first, tried whole against every node — on
scattered nodes, where the two would part if either shortcut were wrong."""

import random

from tinygrad_rnn.viz.detours import _candidates, _detour, _enters, _extents, _free, _inside, mend
from tinygrad_rnn.viz.geometry import Box, finish


def plain_rule(boxes, tail, head, ys, xs):
    for line in _candidates(boxes[tail], boxes[head], ys, xs):
        if not _enters(boxes, line, (tail, head)):
            return line[:-1], line[-1]
    return None


def scattered(seed: int, count: int = 40) -> list[Box]:
    """Nodes of assorted sizes on a jittered grid, some overlapping their neighbours' bands: channels between
    some rows and columns, none between others (and nodes aligned on one line, as a layout's are)."""
    chance = random.Random(seed)
    return [Box(float(chance.choice([0, 60, 120, 180, 240, 300]) + chance.choice([0.0, 4.0, 11.5])),
                float(chance.choice([0, 45, 90, 135, 180]) + chance.choice([0.0, 3.0, 8.25])),
                float(chance.choice([10, 16, 24, 40])), float(chance.choice([8, 12, 20, 30])))
            for _ in range(count)]


def test_a_detour_is_the_plain_rules_route():
    found = 0
    for seed in range(30):
        boxes = scattered(seed)
        ys, xs = _free(boxes, 1), _free(boxes, 0)
        for tail, head in [(0, 1), (2, 3), (4, 5), (6, 7)]:
            expected = plain_rule(boxes, tail, head, ys, xs)
            assert _detour(boxes, tail, head, ys, xs, _extents(boxes)) == expected, (seed, tail, head)
            found += expected is not None
    assert found > 20  # the cases reach routes that exist, not only Nones


def test_a_detour_keeps_out_of_the_steps_but_its_own_ends():
    """mend measures every node and step once for a figure, and each detour against the nodes and the steps that
    hold neither of its ends (its walls): the route the plain rule finds among those."""
    found = 0
    for seed in range(30):
        nodes = scattered(seed)
        boxes, steps = nodes[:30], nodes[30:]  # (the last ten: the steps' boxes)
        ys, xs = _free(nodes, 1), _free(nodes, 0)
        for tail, head in [(0, 1), (2, 3), (4, 5)]:
            straight = finish([(boxes[tail].x, boxes[tail].y)], (boxes[head].x, boxes[head].y), "")
            routes = [straight]
            mend(boxes, steps, routes, [(tail, head, "")], [True], lambda route, t, h: True)
            walls = [step for step in steps if not any(_inside(step, boxes[end]) for end in (tail, head))]
            expected = plain_rule(boxes + walls, tail, head, ys, xs)
            drawn = (routes[0].points, routes[0].end)
            assert drawn == ((straight.points, straight.end) if expected is None else
                             (finish(*expected, "").points, finish(*expected, "").end)), (seed, tail, head)
            found += expected is not None
    assert found > 20
