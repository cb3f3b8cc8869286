"""Ports: where on a node's border each arrow ends, so that every operand has an entry point of its own.

Two arrows that end at one point of a node share one arrowhead, and a student reads one arrow: one
operand, not two. A routed layout can end two arrows there, each routed on its own (a GRU's r ⊙ (W_hn h +
b_hn): r's straight arrow and the split's way round the levels both came into the mul at the same spot).
Graphviz's dot gives each edge a port of its own on the node's side, in the order the edges arrive, so
that they do not cross just before the head; :func:`spread_ports` does the same to a finished layout:

* the arrows that end on one face of a node (its bottom, top, left or right side) are taken together, with
  the lines that leave from that face (an arrowhead on the point a line leaves from reads as that line's);
  lines that only leave from one point are left alone: they fork there, one value read by several nodes —
  unless the node hands each its own value (a backward rule: ∂J/∂r_t and the δ of W_hn h + b_hn from one
  mul read as one gradient sent twice);
* where two of them end less than :data:`PORT_GAP` apart, or in an order that makes them cross just
  before the node, every arrow on that face gets a port of its own: evenly along the face (a corner's
  inset kept free), in the order their lines come from — the one arriving from the left at the leftmost
  port;
* an arrow keeps its shape: its last straight run (an orthogonal route's last leg, or a diagonal's whole
  line) moves to the port; the rest of its route stays where it was.

A face whose arrows are already apart and in order is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable

from .geometry import ARROW, Box, Route, finish

PORT_GAP = ARROW + 2.0  # two arrows ending closer than this on one face share an arrowhead, as a reader sees it
ON_FACE = 0.5  # how near a route's end must lie to a face to end on it, in points


def spread_ports(boxes: list[Box], routes: list[Route], edges: list[tuple[int, int, str]],
                 distinct: frozenset[int] = frozenset(), apart: frozenset[int] = frozenset(),
                 crosses: Callable[[Route, int, int], bool] | None = None) -> None:
    """Give each arrow that ends (or starts) on a shared face of its node a port of its own (``edges[k]``:
    route k's tail, head and label), the arrows that leave it counted with those that end there.
    ``distinct``: the nodes whose lines out carry different values (a backward rule hands each input its
    own gradient), which leave from points of their own even where nothing arrives; ``apart``: those of them
    whose lines never share a first stretch either (a rule's terms: ∂J/∂W and ∂J/∂b down one line read as one;
    J's seeds into its J_t run on as one bus, each drop named). ``crosses(route, tail, head)``: whether a route
    runs through a node it does not join; a line that its moved first run takes through one (a GRU's δ of z₁,
    down past mul and r₁ to the far split, ran behind both) only jogs from its port back onto its own way.

    >>> box = Box(0.0, 0.0, 40.0, 20.0)
    >>> a = finish([(-30.0, -40.0)], (0.0, -10.0), "")  # from below on the left: into the bottom's middle
    >>> b = finish([(30.0, -40.0), (0.0, -40.0)], (0.0, -10.0), "")  # from the right, the same point
    >>> spread_ports([box, Box(-30.0, -50.0, 20, 20), Box(30.0, -50.0, 20, 20)], [a, b], [(1, 0, ""), (2, 0, "")])
    >>> a.end, b.end
    ((-6.0, -10.0), (6.0, -10.0))
    """
    faces: dict[tuple[int, str], list[tuple[Route, bool]]] = {}  # (node, face) → (route, whether it ends there)
    for route, (tail, head, _) in zip(routes, edges):
        for node, at_head in ((head, True), (tail, False)):
            face = _face(boxes[node], route.end if at_head else route.points[0])
            if face is not None:
                faces.setdefault((node, face), []).append((route, at_head))
    before = [(route.points, route.end) for route in routes]  # (where each line left from, before its port moved)
    for (node, face), meeting in faces.items():
        if len(meeting) > 1:
            _spread(boxes[node], face, meeting, node in distinct, node in apart)
    if crosses is None:
        return
    for route, (points, _), (tail, head, _) in zip(routes, before, edges):
        if route.points[0] != points[0] and crosses(route, tail, head):
            spread = route.points
            _jog_back(route, points[0])
            if crosses(route, tail, head):  # (no better: as spread)
                route.points = spread


JOG = 6.0  # how far out of its face a line whose port moved runs before it turns back onto its own way


def _jog_back(route: Route, first: tuple[float, float]) -> None:
    """The route from its new port a short stub out of the face, then across to the line its first run had (from
    ``first``, the point it left by before its port moved), and on along it: that long run stays where the routing
    kept it clear of the nodes. (A line that is one straight run keeps its shape.)"""
    core = _core(route)
    (x, y), along = core[0], 0 if len(core) > 1 and abs(core[1][0] - core[0][0]) < 1e-6 else 1
    count = _run(core, along)
    if count == len(core) or count < 2:
        return
    run = [(first[0], py) if along == 0 else (px, first[1]) for px, py in core[:count]]
    dx, dy = core[1][0] - x, core[1][1] - y
    length = (dx * dx + dy * dy) ** 0.5
    out = min(JOG, length / 2) / length
    stub = [(x, y), (x + dx * out, y + dy * out), (run[0][0] + dx * out, run[0][1] + dy * out)]
    refinished = finish(stub + run[1:] + core[count:], route.end, "")
    route.points = refinished.points


def _spread(box: Box, face: str, meeting: list[tuple[Route, bool]], distinct: bool = False,
            apart: bool = False) -> None:
    """Ports of their own for the routes meeting one face (arriving, or leaving: an arrowhead on the point a
    line leaves from reads as that line's), in the order their lines come from or go to. Arrows that come in
    along one last stretch (a bus's terms into a Σ) are one line with one arrowhead, and keep one port."""
    if not distinct and not any(at_head for _, at_head in meeting):
        return  # lines that only leave from one point fork there: one value read by several nodes, as drawn
    along = 0 if face in ("bottom", "top") else 1  # the coordinate that runs along the face
    bundles: dict[tuple, list[tuple[Route, bool]]] = {}
    for route, at_head in meeting:
        points = _from_the_face(route, at_head)
        own = id(route) if apart and not at_head else None  # (two terms never leave along one line)
        bundles.setdefault((at_head, own, *(tuple(round(c, 3) for c in p) for p in points[:2])), []).append(
            (route, at_head))
    ordered = sorted(bundles.values(), key=lambda bundle: _beyond_run(*bundle[0], along))
    now = [(route.end if at_head else route.points[0])[along] for (route, at_head), *_ in ordered]
    if all(b - a >= PORT_GAP for a, b in zip(now, now[1:])):
        return  # in the order they come, far enough apart: each has its own arrowhead (or line) already
    low, high = (box.left, box.right) if along == 0 else (box.bottom, box.top)
    inset = min((high - low) / 4, 8.0)
    pitch = max((high - low - 2 * inset) / len(ordered), PORT_GAP)  # (a narrow node: closer to its corners)
    pitch = min(pitch, (high - low - 4.0) / max(len(ordered) - 1, 1))
    middle = (low + high) / 2
    for n, bundle in enumerate(ordered):
        for route, at_head in bundle:
            _move_run(route, at_head, middle + (n - (len(ordered) - 1) / 2) * pitch, along)


def _face(box: Box, end: tuple[float, float]) -> str | None:
    """The face of ``box`` that the point ``end`` lies on (None: not on its border)."""
    x, y = end
    if box.left - ON_FACE <= x <= box.right + ON_FACE:
        if abs(y - box.bottom) <= ON_FACE:
            return "bottom"
        if abs(y - box.top) <= ON_FACE:
            return "top"
    if box.bottom - ON_FACE <= y <= box.top + ON_FACE:
        if abs(x - box.left) <= ON_FACE:
            return "left"
        if abs(x - box.right) <= ON_FACE:
            return "right"
    return None


def _core(route: Route) -> list[tuple[float, float]]:
    """The route's points without the one :func:`~.geometry.finish` added an arrowhead short of its end."""
    points, end = route.points, route.end
    if len(points) > 1 and abs(((points[-1][0] - end[0]) ** 2 + (points[-1][1] - end[1]) ** 2) ** 0.5 - ARROW) < 1e-6:
        return points[:-1]
    return points


def _run(points: list[tuple[float, float]], along: int) -> int:
    """How many of the points, from the first, lie level with it along the face: the route's straight run
    out of (or, read backwards, into) the face where it is orthogonal; 1 where it leaves diagonally."""
    count = 1
    while count < len(points) and abs(points[count][along] - points[0][along]) < 1e-6:
        count += 1
    return count


def _from_the_face(route: Route, at_head: bool) -> list[tuple[float, float]]:
    """The route's points read from the face outwards: from its end backwards, or from its start."""
    points = _core(route) + [route.end]
    return points[::-1] if at_head else points


def _beyond_run(route: Route, at_head: bool, along: int) -> float:
    """Where along the face a route's line comes from (or goes to): the point after its straight run."""
    points = _from_the_face(route, at_head)
    return points[min(_run(points, along), len(points) - 1)][along]


def _move_run(route: Route, at_head: bool, port: float, along: int) -> None:
    """Move the route's straight run at the face (its last leg into the head, or its first out of the tail)
    to ``port``; the rest of its route stays. A route that is one straight line moves only that end."""
    points = _from_the_face(route, at_head)
    count = _run(points, along)
    count = 1 if count == len(points) else count
    moved = [((port, y) if along == 0 else (x, port)) if n < count else (x, y) for n, (x, y) in enumerate(points)]
    if at_head:
        moved = moved[::-1]
    refinished = finish(moved[:-1], moved[-1], "")
    route.points, route.end = refinished.points, refinished.end
