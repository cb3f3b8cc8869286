"""The CLI's ``graph`` over its whole option grid, each figure checked for its structure.

cell × level × layers × bidirectional × loss × backward × rolled × steps (T = 3 and 8) × notation has
8,640 combinations; every pair of two options' values is covered by a small set of them (an all-pairs
design, built below), run in-process through ``tinygrad_rnn.cli.main`` writing the library's own
SVG. Each figure is read back and checked: as many cells as the model computes, the rows, J
connected, no edge through a node, the state arrows pointing forward in time (backward in a BPTT
figure). Combinations that cannot apply each give one line naming the flag, never a traceback.
"""

import itertools
import re
import xml.etree.ElementTree as ElementTree

import pytest
from conftest import no_suggestion_tried
from written import svg_lines

from tinygrad_rnn.cli import main
from tinygrad_rnn.viz import views
from tinygrad_rnn.viz.legibility import measure, shared_arrowheads

FACTORS = {
    "cell": ["rnn", "lstm", "gru"],
    "level": ["op", "cell", "step"],
    "layers": [1, 2],
    "bidirectional": [False, True],
    "loss": ["last", "every"],
    "backward": ["none", "backward", "both"],
    "rolled": [False, True],
    "steps": [3, 8],
    "notation": ["pytorch", "cs224n", "cmu", "usc", "elman"],
}
DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def why_not(case: dict) -> str | None:
    """The flag the CLI must refuse for this combination (and the words it must say), or None."""
    if case["bidirectional"] and case["loss"] == "every":
        return "--bidirectional cannot apply: a language model (--loss every) reads left to right"
    if case["backward"] == "both" and (case["level"] == "op" or case["rolled"]):
        return "--forward-and-backward cannot apply: it draws cells or steps, unrolled"
    if case["rolled"] and case["level"] == "op":
        return "--level cannot apply: a rolled view is drawn in cells or steps"
    return None


def all_pairs(factors: dict, allowed) -> list[dict]:
    """A covering design: combinations chosen greedily until every pair of values of two factors that
    some allowed combination has is in one of them (deterministic: the first best wins)."""
    names = list(factors)
    candidates = [dict(zip(names, values)) for values in itertools.product(*factors.values())]
    candidates = [c for c in candidates if allowed(c)]

    def pairs(case):
        return {((a, case[a]), (b, case[b])) for a, b in itertools.combinations(names, 2)}

    uncovered = set().union(*(pairs(c) for c in candidates))
    chosen = []
    while uncovered:
        best = max(candidates, key=lambda c: len(pairs(c) & uncovered))
        chosen.append(best)
        uncovered -= pairs(best)
    return chosen


def arguments(case: dict, path) -> list[str]:
    flags = ["graph", "--cell", case["cell"], "--level", case["level"], "--layers", str(case["layers"]),
             "--loss", case["loss"], "--steps", str(case["steps"]), "--notation", case["notation"], "-o", str(path)]
    flags += ["--bidirectional"] if case["bidirectional"] else []
    flags += {"none": [], "backward": ["--backward"], "both": ["--forward-and-backward"]}[case["backward"]]
    return flags + (["--rolled"] if case["rolled"] else [])


VALID = all_pairs(FACTORS, lambda c: why_not(c) is None)


def known_to_fail(case: dict) -> str | None:
    """Layouts that still fail a structure check (found by this grid; not yet fixed)."""
    return None


# seen outside the design: forward and backward of two directions, where J's arrows into the backward rows crossed
# the Σ beside the reverse row (its lane ran through the Σ's lower lines) and left J along h_T's line into it
BEYOND_PAIRS = [dict(zip(FACTORS, ("rnn", "cell", 1, True, "last", "both", False, 3, "pytorch")))]
# strict, so that a fix shows
GRID = [pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=known_to_fail(case)))
        if known_to_fail(case) else case for case in VALID + BEYOND_PAIRS]
REFUSED = [dict(zip(FACTORS, values)) for values in [
    ("lstm", "cell", 1, True, "every", "none", False, 3, "pytorch"),  # the elif that hung off --forget-bias
    ("gru", "cell", 2, True, "every", "backward", False, 8, "cs224n"),
    ("rnn", "op", 1, False, "last", "both", False, 3, "cmu"),
    ("lstm", "step", 1, False, "every", "both", True, 3, "usc"),
    ("gru", "op", 2, False, "last", "none", True, 8, "elman"),
]]


FIGURES: dict[str, str] = {}  # each figure drawn once for every test that reads it (an op-level one takes seconds)


def drawn_figure(case: dict, path, capsys) -> str:
    """The SVG the CLI writes for ``case`` (seeded: the same text every time it is drawn), drawn on the first
    test that asks for it: this file's structure checks and test_slide_figures.py's measures read one drawing."""
    key = "-".join(str(v) for v in case.values())
    if key not in FIGURES:
        # (the figure is what the tests read, never the warning of one that fits no slide: its search, which draws
        # the smaller figures it may suggest, tries none here — 9 of the 8-step usc case's 12 s, 2.5 of cmu's 5.8)
        with no_suggestion_tried():
            assert main(arguments(case, path)) == 0, capsys.readouterr().err
        FIGURES[key] = path.read_text()
    return FIGURES[key]


def read(svg_text: str):
    """The library's SVG: nodes (index → (kind, lines, box centre)), edges [(tail, head, label)]."""
    nodes, edges, _ = read_both_ways(svg_text)
    return nodes, edges


def read_both_ways(svg_text: str):
    """:func:`read`, and the edges that carry a gradient back where forward and backward share the nodes (a slide's
    figure of both: drawn in the gradient's colour, class "edge gradient") as a set of (tail, head, label)."""
    root = ElementTree.fromstring(svg_text)
    nodes, edges, gradients = {}, [], set()
    elements = list(root.iter())
    for k, element in enumerate(elements):
        tag, classes = element.tag.rsplit("}", 1)[-1], (element.get("class") or "").split()
        if tag == "g" and "node" in classes:
            rect = next(child for child in element.iter() if child.tag.endswith("rect"))
            lines = svg_lines(next(child for child in element if child.tag.endswith("text")))
            left, top, width, height = (float(rect.get(k)) for k in ("x", "y", "width", "height"))
            centre = (left + width / 2, top + height / 2)
            nodes[int(element.get("data-index"))] = (classes[1], lines, centre)
        elif tag == "path" and "edge" in classes and "loop" not in classes:
            following = elements[k + 1] if k + 1 < len(elements) else None
            # (a label a slide broke in lines holds one tspan per line: the same words, read as one)
            label = " ".join(line.strip() for line in svg_lines(following)) \
                if following is not None and following.get("class") == "edge-label" else ""
            edges.append((int(element.get("data-tail")), int(element.get("data-head")), label or ""))
            if "gradient" in classes:
                gradients.add(edges[-1])
    return nodes, edges, gradients


def expected_cells(case: dict, forward: bool = False) -> int:
    """Cells drawn: every step of every layer and direction, except where J = Σ h_T reads the top layer's
    reverse direction at t=T alone (its first step; the others reach no loss): those carry no gradient, and a
    BPTT figure leaves them out. ``forward``: the forward figure's cells (or the forward rows of a figure of
    both), which draws what the model computes, read by J or not — the two halves of a figure of both tell one
    story, the backward rows' note naming the cells they leave out."""
    steps, layers, directions = case["steps"], case["layers"], 2 if case["bidirectional"] else 1
    if case["rolled"]:
        return layers * directions
    if case["bidirectional"] and case["loss"] == "last" and not forward:
        return 2 * steps * (layers - 1) + steps + 1
    return steps * layers * directions


def step_of(lines: list[str]) -> int | None:
    found = [re.fullmatch(r"t=(\d+)", line) for line in lines]
    return next((int(match.group(1)) for match in found if match), None)


def title(lines: list[str]) -> str:
    """A node's first line, with the lines a slide broke it into after a comma joined again."""
    words = [lines[0]]
    for line in lines[1:]:
        if not words[-1].endswith(","):
            break
        words.append(line)
    return " ".join(words)


def test_the_design_covers_every_pair_in_a_few_figures():
    names = list(FACTORS)
    everything = [dict(zip(names, values)) for values in itertools.product(*FACTORS.values())]
    for a, b in itertools.combinations(names, 2):
        for x, y in itertools.product(FACTORS[a], FACTORS[b]):
            possible = any(why_not(c) is None for c in everything if c[a] == x and c[b] == y)
            assert any(c[a] == x and c[b] == y for c in VALID) == possible, (a, x, b, y)
    assert len(VALID) <= 20


@pytest.mark.parametrize("case", GRID, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_each_figure_of_the_grid_has_the_structure_of_its_model(case, tmp_path, library_svg, capsys):
    text = drawn_figure(case, tmp_path / "figure.svg", capsys)
    nodes, edges, gradients = read_both_ways(text)
    degree = {i: 0 for i in nodes}
    for tail, head, _ in edges:
        degree[tail] += 1
        degree[head] += 1
    assert all(degree[i] for i in nodes), [nodes[i][1] for i in nodes if not degree[i]]  # nothing drawn unconnected
    losses = [i for i, (kind, lines, _) in nodes.items()  # J (or the lecture's L): not a Σ of ∂J/∂W
              if kind == "output" and "∂" not in lines[0] and not lines[0].endswith(":")]
    if case["level"] == "op" and case["backward"] == "backward":  # the recorded gradient graph: ∂J/∂W at its ends
        assert any(lines[0].startswith(("∂J/∂", "∂L/∂")) for _, lines, _ in nodes.values())  # (CMU's loss: L)
    else:
        assert len(losses) == 1 and degree[losses[0]] >= 1  # one J, connected
    assert measure(text).through_nodes == 0
    if case["level"] == "op":
        return
    unit = r"(RNN|LSTM|GRU) cell" if case["level"] == "cell" else r"step"
    # a slide says "backward" once, in a note (views.BACKWARD_NODES), not on each node: a backward cell names its
    # call and step only. A slide's figure of both draws the backward on the forward cells (overlaid.py): no node
    # of its own, an arrow back in the gradient's colour
    cells_drawn = [i for i, (_, lines, _) in nodes.items() if re.fullmatch(unit + "(, backward)?", title(lines))]
    backward = [i for i in cells_drawn if title(nodes[i][1]).endswith(", backward") or case["backward"] == "backward"]
    forward = [i for i in cells_drawn if i not in backward]
    cells = {drawn_forward: expected_cells(case, drawn_forward) if case["level"] == "cell" else
             (1 if case["rolled"] else case["steps"]) for drawn_forward in (True, False)}
    assert len(forward) == (0 if case["backward"] == "backward" else cells[True])
    assert len(backward) == (cells[False] if case["backward"] == "backward" else 0)
    assert bool(gradients) == (case["backward"] == "both")
    rows = {round(nodes[i][2][1]) for i in forward + backward}
    if case["level"] == "cell" and not case["rolled"]:  # one row per layer and direction
        assert len(rows) == case["layers"] * (2 if case["bidirectional"] else 1)
    for tail, head, label in edges:  # the state between two steps: forward in time, or back in a BPTT figure
        a, b = nodes[tail], nodes[head]
        if tail in forward + backward and head in forward + backward and a[2][1] == b[2][1] and not case["rolled"]:
            steps = step_of(a[1]), step_of(b[1])
            assert abs(steps[1] - steps[0]) == 1
            assert (b[2][0] - a[2][0]) * (steps[1] - steps[0]) > 0  # columns in the order of time
            gradient = tail in backward or (tail, head, label) in gradients
            assert ("∂" in label) == gradient, label  # a state forward, a gradient backward
            if not case["bidirectional"]:  # left to right, and the gradient right to left
                assert (steps[1] > steps[0]) != gradient


@pytest.mark.parametrize("case", [case for case in VALID + BEYOND_PAIRS if case["level"] == "op"],
                         ids=lambda c: "-".join(str(v) for v in c.values()))
def test_no_two_arrows_of_an_op_level_figure_end_at_one_point_of_a_node(case, tmp_path, library_svg, capsys):
    """Two operands' arrows ending at one point of their node draw one arrowhead: a reader sees one operand (a
    bus's terms, along one last stretch into a Σ, are one arrow as drawn). The figures the structure test drew."""
    assert shared_arrowheads(drawn_figure(case, tmp_path / "figure.svg", capsys)) == []


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_a_combination_that_cannot_apply_gives_one_line(case, tmp_path, capsys):
    assert main(arguments(case, tmp_path / "figure.svg")) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error
    assert why_not(case) in error, error
    assert not (tmp_path / "figure.svg").exists()


def free_size_figure(case: dict, path, capsys) -> str:
    """The SVG the CLI writes for ``case`` with --free-size (a figure of both: the backward rows under the forward)."""
    assert main(arguments(case, path) + ["--free-size"]) == 0, capsys.readouterr().err
    return path.read_text()


def test_the_forward_rows_of_a_figure_of_both_draw_what_the_forward_figure_draws(tmp_path, library_svg, capsys):
    """J = Σ output[-1] of two directions reads the reverse direction's first step alone (at t=T): the model
    computes its other steps all the same. The forward figure draws them; so do the forward rows of a figure of
    both (one story), and the backward rows' note says that they are not in the backward rows, not that they are
    left out of the figure (the forward rows above draw them). (Free size: a slide draws the backward on the
    forward cells, below.)"""
    case = BEYOND_PAIRS[0]
    alone = read(free_size_figure({**case, "backward": "none"}, tmp_path / "forward.svg", capsys))[0]
    text = free_size_figure(case, tmp_path / "both.svg", capsys)
    both = read(text)[0]

    def cells(nodes, lines_drawn) -> list[tuple[str, int, float]]:  # (call, step, height of its row) of each cell
        return sorted((lines[0].removesuffix(", backward"), step_of(lines), round(centre[1]))
                      for _, lines, centre in nodes.values()
                      if lines[0].startswith("RNN cell") and len(lines) == lines_drawn)

    forward_alone, forward_rows = cells(alone, 4), cells(both, 4)  # (a forward cell names its weights in two lines)
    assert len(forward_alone) == 6 and [(c, t) for c, t, _ in forward_rows] == [(c, t) for c, t, _ in forward_alone]
    assert len({y for _, _, y in forward_rows}) == 2
    assert len(cells(both, 2)) == 4  # the backward rows: the forward direction's 3 cells and the reverse one's t=3
    notes = " ".join(" ".join(ElementTree.fromstring(text).itertext()).split())
    assert "Not in the backward rows, their gradient 0" in notes and "RNN cell t=1, 2 (layer 1 reverse)" in notes
    assert "Left out, their gradient 0" not in notes


def test_a_figure_of_both_says_nothing_against_the_way_its_rows_run(tmp_path, library_svg, capsys):
    """A ∂ row of a figure of both is named by the way its gradient flows ("∂ layer 1 ←": its arrows run right to
    left); the BPTT figure's note "→, ←: the way a row runs forward; its gradient flows the other way" said the
    opposite of what the ∂ rows' names and arrows show there. (Free size, where the rows are drawn apart.)"""
    case = BEYOND_PAIRS[0]
    text = free_size_figure(case, tmp_path / "both.svg", capsys)
    words = " ".join(" ".join(ElementTree.fromstring(text).itertext()).split())
    assert "∂ layer 1 ←" in words and "flows the other way" not in words
    nodes, edges = read(text)
    backward_rows: dict[float, list[int]] = {}  # the backward cells (their call and step, no weights) by row
    for i, (_, lines, centre) in nodes.items():
        if lines[0] == "RNN cell, backward":
            backward_rows.setdefault(round(centre[1]), []).append(i)
    # the ∂ row with every step: the forward direction's, named "∂ layer 1 ←"
    forward_direction = next(row for row in backward_rows.values() if len(row) == case["steps"])
    assert len(forward_direction) == case["steps"]
    between = [(nodes[tail][2][0], nodes[head][2][0]) for tail, head, _ in edges
               if tail in forward_direction and head in forward_direction]
    assert between and all(head_x < tail_x for tail_x, head_x in between)  # right to left, as its name says


@pytest.mark.parametrize("case", [case for case in VALID + BEYOND_PAIRS if case["backward"] == "both"],
                         ids=lambda c: "-".join(str(v) for v in c.values()))
def test_on_a_slide_each_arrow_between_two_cells_has_its_gradient_beside_it(case, tmp_path, library_svg, capsys):
    """A slide draws BPTT as the lectures do, on the forward figure's own cells: beside each arrow from one step to
    the next, one arrow back in the gradient's colour, named by the gradient it carries (∂J/∂h₂, (1/4)Σₜ₌₃⁴ ∂Jₜ/∂h₂)
    — where the cell it points from receives a gradient at all (J = Σ output[-1] of two directions reads the reverse
    direction's t=T alone: its other cells get none, and no arrow). Every shared weight's Σ is fed from each step's
    cell that receives one (t=1, t=2, …), and J hands its gradient on. (The rows drew a second node per call.)"""
    text = drawn_figure(case, tmp_path / "figure.svg", capsys)
    nodes, edges, gradients = read_both_ways(text)
    unit = r"(RNN|LSTM|GRU) cell" if case["level"] == "cell" else r"step"
    cells = {i for i, (_, lines, _) in nodes.items() if re.fullmatch(unit, title(lines))}
    assert len(cells) == (expected_cells(case, forward=True) if case["level"] == "cell" else case["steps"])  # (and
    # no node of its own for a backward)
    receiving = {head for _, head, _ in gradients}
    forward = [(tail, head, label) for tail, head, label in edges
               if tail in cells and head in cells and (tail, head, label) not in gradients]
    assert forward
    for tail, head, label in forward:
        back = [g for t, h, g in gradients if (t, h) == (head, tail)]
        if head not in receiving:  # no gradient reaches the reader: nothing flows back
            assert back == [], (label, back)
            continue
        assert back, label  # (a step node passes several states each way: at least one back for each)
        assert all(g.startswith(("∂", "(∂", "(1/")) for g in back), back  # ((1/3) ∂J₃/∂h₂: the losses it reaches)
    for tail, head, label in gradients:  # each runs back along the arrow of the value it is the gradient of
        if tail in cells and head in cells:  # (∂h₃/∂h₂)ᵀ ∂J/∂h₃ and ∂J/∂h₂ along h₂; a state's mark read flat: h2(1←)
            value = re.search(r"/∂([a-z]\d*(?:\([^)]*\))*)", label).group(1)  # (CS224N's h(2): time above)
            assert (head, tail, value) in forward, (label, value)
    sums = [i for i, (kind, lines, _) in nodes.items() if kind == "output" and lines[0].startswith("Σ")]
    assert sums
    fed = [(tail, label) for tail, head, label in gradients if head in sums]
    # every cell a gradient reaches feeds its Σ (an embedding and a head each feed theirs too), nothing else does
    assert cells & receiving <= {tail for tail, _ in fed} <= receiving
    assert all(re.fullmatch(r"t=\d+", label) for _, label in fed)
    loss = next(i for i, (kind, lines, _) in nodes.items() if kind == "output" and lines[0] in ("J", "L"))
    assert any(tail == loss for tail, _, _ in gradients)  # J's gradient enters what J reads
    notes = " ".join(" ".join(ElementTree.fromstring(text).itertext()).split())
    assert views.BOTH_WAYS in notes and views.BACKWARD_ROWS not in notes


def test_on_a_slide_a_cell_the_gradient_never_reaches_has_no_arrow_back_and_the_note_says_so(tmp_path, library_svg,
                                                                                             capsys):
    """J = Σ output[-1] of two directions: the reverse direction's t=1 and t=2 carry gradient 0. The forward figure's
    cells are all drawn (the model computes them); no gradient arrow enters those two, and the note names them."""
    case = BEYOND_PAIRS[0]
    text = drawn_figure(case, tmp_path / "both.svg", capsys)
    nodes, edges, gradients = read_both_ways(text)
    cells = {i: (step_of(lines), round(centre[1])) for i, (_, lines, centre) in nodes.items() if lines[0] == "RNN cell"}
    assert len(cells) == 6 and len({row for _, row in cells.values()}) == 2
    reverse_row = min(row for _, row in cells.values())  # (drawn above its forward row: SVG's y runs down)
    receiving = {cells[head] for _, head, _ in gradients if head in cells}
    assert receiving == {(1, max(row for _, row in cells.values())), (2, max(row for _, row in cells.values())),
                         (3, max(row for _, row in cells.values())), (3, reverse_row)}
    notes = " ".join(" ".join(ElementTree.fromstring(text).itertext()).split())
    assert "Gradient 0, no arrow back" in notes and "RNN cell t=1, 2 (layer 1 reverse)" in notes
    assert "Left out" not in notes and "Not in the backward rows" not in notes
    forward_row = [i for i, (_, row) in cells.items() if row != reverse_row]
    between = [(nodes[tail][2][0], nodes[head][2][0]) for tail, head, _ in gradients
               if tail in forward_row and head in forward_row]
    assert len(between) == 2 and all(head_x < tail_x for tail_x, head_x in between)  # right to left


def test_a_rolled_slide_keeps_room_for_its_loops_names_on_their_side_alone():
    """A rolled cell's loops are named on their arches, rightwards: the left side kept room for them all the same (J
    338 points left of the cells it feeds, its own arrow's name needing 90), and the right side kept more than
    they reach (measured at 6 points a character where they are set at 5.4, from the column's side where they
    start inside the cell): lstm-cell-2-False-every-backward-True-8-cs224n, 1,080 points wide, 804 now."""
    from tinygrad_rnn.cli import language_model_loss
    from tinygrad_rnn.viz.geometry import drawn_width
    from tinygrad_rnn.viz.graph import build_picture
    from tinygrad_rnn.viz.layout import labelled_layout

    loss, _ = language_model_loss("lstm", 8, layers=2)
    picture = build_picture((loss,), level="cell", backward=True, rolled=True, slide=True)
    placed = labelled_layout(picture)[1]
    boxes = list(zip(placed.boxes, picture.nodes))
    cells = [box for box, node in boxes if node.loops]
    loss_box = next(box for box, node in boxes if node.label == "J")
    sums = [box for box, node in boxes if node.kind == "output" and node.label != "J"]
    names_end = max(route.label_at[0] + drawn_width(route.label_lines or [state]) / 2  # (drawn from its arch's leg)
                    for _, state, route in placed.loops)
    assert min(cell.left for cell in cells) - loss_box.right < 150  # "∂J/∂J⁽ᵗ⁾ = 1/T" and its arrowhead
    assert 0 < min(box.left for box in sums) - names_end < 30  # clear of the loops' names, and near them
