"""The slide layout, asserted on what Graphviz itself writes (``neato -n2 -Tjson``): cells in one
row, in time order, evenly spaced; layers as rows; an LSTM's two states as labelled edges; shared
parameters drawn once or named; no saved activations in gradient graphs; the same figure after
backward(); options and messages as a caller writes them.
"""

import json
import re
import shutil
import subprocess

import numpy
import pytest
from background import Job, cli_job, folder
from drawing_cases import last_step_loss
from written import as_written, svg_written

import tinygrad_rnn as tr
from tinygrad_rnn import viz
from tinygrad_rnn.errors import GraphError
from tinygrad_rnn.viz import render
from tinygrad_rnn.viz.graph import build_picture

needs_graphviz = pytest.mark.skipif(shutil.which("neato") is None,
                                    reason="Graphviz is missing (tests/setup.sh installs it)")


def rendered(loss, **options):
    """Graphviz's own account of the drawing: {node name: (x, y, label)}, clusters, edges."""
    text = viz.to_dot(loss, **options)
    result = subprocess.run(["neato", "-n2", "-Tjson"], input=text, capture_output=True, text=True, check=True)
    graph = json.loads(result.stdout)
    nodes = {o["name"]: (*map(float, o["pos"].split(",")), o.get("label", "")) for o in graph.get("objects", [])
             if "pos" in o}
    clusters = {o["label"]: tuple(map(float, o["bb"].split(","))) for o in graph.get("objects", []) if "bb" in o
                and o["name"].startswith("cluster")}
    names = {o["_gvid"]: o["name"] for o in graph.get("objects", [])}
    edges = [(names[e["tail"]], names[e["head"]], e.get("label", "")) for e in graph.get("edges", [])]
    return nodes, clusters, edges


def cells(nodes, kind="LSTM"):
    """{step: (x, y)} of the cell nodes."""
    found = {}
    for x, y, label in nodes.values():
        if label.startswith(f"{kind} cell"):
            found.setdefault(int(re.search(r"t=(\d+)", label).group(1)), []).append((x, y))
    return found


@needs_graphviz
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_cells_sit_in_one_row_in_time_order_evenly_spaced(kind):
    _, loss = last_step_loss(kind, steps=7)
    nodes, _, _ = rendered(loss, level="cell", time_steps=slice(None))  # every step, though a slide would elide
    by_step = cells(nodes, kind.upper())
    xs = [by_step[t][0][0] for t in range(1, 8)]
    ys = {by_step[t][0][1] for t in range(1, 8)}
    assert len(ys) == 1  # one row
    gaps = numpy.diff(xs)
    # t=1 … 7 left to right, evenly (to the tenth of a point the positions are written in)
    assert (gaps > 0).all() and numpy.allclose(gaps, gaps[0], atol=0.11)


@needs_graphviz
def test_layers_are_rows_from_the_bottom_and_a_reverse_direction_runs_right_to_left():
    _, loss = last_step_loss("gru", steps=3, layers=2, bidirectional=True)
    picture = build_picture((loss,), level="cell")
    nodes, _, edges = rendered(loss, level="cell")
    row_y = {}
    for index, node in enumerate(picture.nodes):
        if node.kind == "group":
            row_y.setdefault(node.row, set()).add(nodes[f"n{index}"][1])
    assert all(len(ys) == 1 for ys in row_y.values())
    order = sorted(row_y, key=lambda row: row_y[row].pop())
    assert [row[1:] for row in order] == [("layer 0", "forward"), ("layer 0", "reverse"),
                                         ("layer 1", "forward"), ("layer 1", "reverse")]
    steps = {f"n{i}": (n.row, n.step) for i, n in enumerate(picture.nodes) if n.kind == "group"}
    for tail, head, _ in edges:  # h flows t → t+1 forward, t+1 → t in reverse, and never skips a step
        if tail in steps and head in steps and steps[tail][0] == steps[head][0]:
            direction = -1 if "reverse" in steps[tail][0] else 1
            assert steps[head][1] - steps[tail][1] == direction


@needs_graphviz
def test_an_lstm_passes_two_labelled_states_c_above_h():
    _, loss = last_step_loss("lstm", steps=3)
    for level in ("cell", "step"):
        text = viz.to_dot(loss, level=level)
        assert 'label="c₁"' in text and 'label="h₁"' in text and 'label="c₂"' in text and 'label="h₂"' in text
        heights = {label: float(re.search(r'pos="e,[\d.-]+,([\d.-]+)', line).group(1))
                   for line in text.splitlines() for label in ("c₁", "h₁") if f'label="{label}"' in line}
        assert heights["c₁"] > heights["h₁"]  # the cell state on top: the lecture's conveyor belt


def test_op_level_names_the_states_and_keeps_the_gate_order_in_every_step():
    _, loss = last_step_loss("lstm", steps=3)
    text = viz.to_dot(loss, level="op", time_steps=slice(None))  # (a slide draws t = 1, …, 3)
    for sub in "₁₂₃":
        assert f'label="c{sub} = add' in text and f'label="h{sub} = mul' in text
    picture = build_picture((loss,), level="op")
    from tinygrad_rnn.viz.layout import layout, node_size

    placed = layout(picture, [node_size(n.label) for n in picture.nodes])
    gates = {}
    for index, node in enumerate(picture.nodes):
        if node.kind == "op" and re.match(r"[ifgo][₁₂₃] = ", node.label) and node.step:
            box = placed.boxes[index]
            gates.setdefault(node.step, []).append((box.y, box.x, node.label.split("\n")[0]))
    lowest = {t: sorted(found)[:4] for t, found in gates.items()}  # the gate level (tanh(c) sits above it)
    orders = {t: [name for _, _, name in sorted(found, key=lambda g: g[1])] for t, found in lowest.items()}
    names = [[name[0] for name in order] for order in orders.values()]
    assert names == [["f", "i", "g", "o"]] * 3  # f beside c_{t−1}, i beside g: f ⊙ c and i ⊙ g cross nothing


@needs_graphviz
def test_each_steps_ops_stay_inside_its_box():
    _, loss = last_step_loss("gru", steps=3)
    picture = build_picture((loss,), level="op")
    nodes, clusters, _ = rendered(loss, level="op", time_steps=slice(None))
    assert sorted(clusters) == ["t=1", "t=2", "t=3"]
    for index, node in enumerate(picture.nodes):
        if node.step is not None and node.kind == "op":
            x, y, _ = nodes[f"n{index}"]
            left, bottom, right, top = clusters[f"t={node.step}"]
            assert left < x < right and bottom < y < top


@needs_graphviz
def test_params_once_draws_each_shared_parameter_once_with_an_edge_into_every_step():
    _, loss = last_step_loss("rnn", steps=6)
    nodes, _, edges = rendered(loss, level="op", params="once", time_steps=slice(None))
    weights = [name for name, (_, _, label) in nodes.items() if label.startswith("weight_hh_l0")]
    assert len(weights) == 1
    assert sum(tail == weights[0] for tail, _, _ in edges) == 6


@pytest.mark.parametrize("level", ["cell", "op"])
def test_params_once_drops_each_weight_beside_the_data_line_with_an_arrowhead_of_its_own(level):
    """A shared weight's drop into step t meets the node apart from the data edge into the same face: on it,
    the drops into steps 1 … T−1 ran along the data lines, and the bus seemed to reach step T alone."""
    from tinygrad_rnn.cli import language_model_loss
    from tinygrad_rnn.viz.layout import labelled_layout

    loss, _ = language_model_loss("rnn", steps=4)
    picture = build_picture((loss,), level=level, params="once")
    _, placed = labelled_layout(picture)
    ends: dict = {}  # (head, where an arrow meets it) → whether a weight's drop, a data edge, or both end there
    for (tail, head, _), route in zip(picture.edges, placed.routes):
        ends.setdefault((head, route.end), set()).add(picture.nodes[tail].kind == "parameter")
    merged = [picture.nodes[head].label for (head, _), kinds in ends.items() if len(kinds) > 1]
    assert not merged, f"a weight's drop ends on a data edge's arrowhead into {merged}"
    drops = [route for (tail, _, _), route in zip(picture.edges, placed.routes)
             if picture.nodes[tail].kind == "parameter"]
    assert len(drops) >= 4 * 4  # E, the layer's weights and the head's, into each of the 4 steps


def test_params_label_names_them_in_each_cell_with_one_note_and_hide_drops_them():
    _, loss = last_step_loss("lstm", steps=4)
    labelled = viz.to_dot(loss, level="cell")  # "label" is the default at cell level
    assert labelled.count("W_ih, b_ih\\nW_hh, b_hh") == 4 and "weight_hh_l0" not in labelled
    assert labelled.count("each is one tensor, the same at every step") == 1
    hidden = viz.to_dot(loss, level="cell", params="hide")
    assert "W_hh" not in hidden and "weight_hh" not in hidden
    once = build_picture((loss,), level="cell", params="once")
    assert sorted(n.label.split("\n")[0] for n in once.nodes if n.kind == "parameter") == [
        "bias_hh_l0", "bias_ih_l0", "weight_hh_l0", "weight_ih_l0"]
    with pytest.raises(ValueError, match="params must be one of"):
        viz.to_dot(loss, params="twice")


def test_cell_level_folds_the_bookkeeping_into_edges_step_by_step():
    _, loss = last_step_loss("lstm", steps=4)
    picture = build_picture((loss,), level="cell")
    labels = [n.label.split("\n")[0] for n in picture.nodes]
    assert not {"linear", "unbind", "stack", "index", "sum"} & set(labels)
    assert sorted(label for label in labels if label.startswith("x")) == ["x₁", "x₂", "x₃", "x₄"]
    index = {i: n for i, n in enumerate(picture.nodes)}
    for tail, head, _ in picture.edges:
        if index[tail].label.startswith("x"):  # x_t enters cell t
            assert index[head].step == int(index[tail].label[1:].translate(str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")))
    [loss_node] = [i for i, n in index.items() if n.kind == "output"]
    feeding = [index[t] for t, h, _ in picture.edges if h == loss_node]
    assert [(n.kind, n.step) for n in feeding] == [("group", 4)]  # J = Σ h_T reads the last cell only


def test_gradient_graphs_draw_no_saved_activations_and_keep_the_columns():
    """level="op": the recorded gradient graph itself (cell level draws the BPTT figure: test_viz_lectures.py)."""
    _, loss = last_step_loss("lstm", steps=3)
    picture = build_picture((loss,), level="op", backward=True)
    kinds = {n.kind for n in picture.nodes}
    assert kinds <= {"op", "group", "parameter", "output"}
    assert all(n.key.is_gradient for n in picture.nodes if n.kind == "op")
    assert {n.step for n in picture.nodes if n.kind in ("op", "group")} >= {1, 2, 3}
    sums = [i for i, n in enumerate(picture.nodes) if n.label.startswith("Σ (3 terms)") and n.step is None]
    assert sums and all(sorted(lb for _, h, lb in picture.edges if h == s) == ["t=1", "t=2", "t=3"] for s in sums)


@needs_graphviz
def test_gradient_graphs_run_right_to_left():
    _, loss = last_step_loss("rnn", steps=3)
    _, clusters, _ = rendered(loss, backward=True)
    assert clusters["t=1"][0] < clusters["t=2"][0] < clusters["t=3"][0]  # columns stay in time order
    picture = build_picture((loss,), backward=True)
    nodes, _, _ = rendered(loss, backward=True)
    outputs = [nodes[f"n{i}"][0] for i, n in enumerate(picture.nodes) if n.kind == "output" and n.label != "J"]
    assert max(outputs) < clusters["t=1"][0]  # the gradients of the weights leave at t=1's side
    (seed,) = [nodes[f"n{i}"][0] for i, n in enumerate(picture.nodes) if n.label == "J"]
    assert seed > clusters["t=3"][0]  # and J's seed comes in at t=3's


@pytest.mark.parametrize("level", ["op", "cell", "step"])
def test_drawing_after_backward_gives_the_same_figure(level):
    _, before = last_step_loss("gru", steps=3)
    expected = viz.to_dot(before, level=level)
    _, after = last_step_loss("gru", steps=3)
    after.backward()
    assert viz.to_dot(after, level=level) == expected


def test_options_that_need_freed_values_say_so_after_backward():
    _, loss = last_step_loss("rnn", steps=3)
    loss.backward()
    for option in ({"show_grads": True}, {"backward": True}):
        with pytest.raises(GraphError, match="needs the values that backward\\(\\) freed.*retain_graph=True"):
            viz.to_dot(loss, **option)
    _, kept = last_step_loss("rnn", steps=3)
    kept.backward(retain_graph=True)
    assert "gradient norm" in viz.to_dot(kept, show_grads=True, level="cell")


def test_a_hand_written_loop_draws_in_one_row_and_a_graph_without_steps_draws_too():
    W = tr.randn(4, 4, requires_grad=True)
    W.name = "W_hh"
    h = tr.zeros(1, 4)
    for t in range(3):
        with tr.scope(f"t={t + 1}"):
            h = (h @ W + 1.0).tanh()
    picture = build_picture(((h ** 2).sum(),), level="cell")
    assert [n.step for n in picture.nodes if n.kind == "group"] == [3, 2, 1]
    x = tr.tensor([1.0, 2.0], requires_grad=True, name="x")
    assert "mul" in viz.to_dot((x * x).sum())


def test_rankdir_mirrors_or_explains():
    _, loss = last_step_loss("rnn", steps=3)
    assert viz.to_dot(loss, rankdir="RL") != viz.to_dot(loss)
    with pytest.raises(ValueError, match="time runs left to right"):
        viz.to_dot(loss, rankdir="TB")


def test_a_timeout_suggests_what_is_not_already_set(monkeypatch, tmp_path):
    monkeypatch.setattr(render.shutil, "which", lambda name: f"/usr/bin/{name}")

    def too_slow(*args, **kwargs):
        raise subprocess.TimeoutExpired("neato", 1)

    monkeypatch.setattr(render.subprocess, "run", too_slow)
    _, loss = last_step_loss("rnn", steps=3)
    with pytest.raises(TimeoutError, match=r"level='cell', time_steps=slice\(0, 5, None\)") as error:
        viz.save(loss, path=tmp_path / "x.svg")
    assert error.value.suggestions == [("level", "cell"), ("time_steps", slice(0, 5))]
    with pytest.raises(TimeoutError) as error:
        viz.save(loss, path=tmp_path / "x.svg", level="step", time_steps=slice(0, 2))
    assert error.value.suggestions == [] and "level=" not in str(error.value)


def test_the_cli_words_a_timeout_as_flags(monkeypatch, tmp_path, capsys):
    from tinygrad_rnn import cli

    def too_slow(*args, **kwargs):
        raise render.RenderTimeout("slow", [("level", "step"), ("time_steps", slice(0, 5))])

    monkeypatch.setattr(viz, "save", too_slow)
    assert cli.main(["graph", "--level", "cell", "-o", str(tmp_path / "x.svg")]) == 1
    message = capsys.readouterr().err
    assert "--level step or --time-steps 1:5" in message and "--timeout" in message and "level=" not in message


COMPARED, OPTIONS = folder("graph_compare"), folder("graph_options")
JOBS = {  # a test's name: the runs of ``python -m tinygrad_rnn`` it reads, each an interpreter's start
    "test_cli_compare_draws_three_figures_on_one_colour_scale": [
        cli_job("graph", "--compare", "--steps", "6", "--level", "cell", "-o", str(COMPARED / "vanishing.dot"))],
    "test_cli_options_match_python": [
        cli_job("graph", "--cell", "lstm", "--steps", "8", "--time-steps", "2:4", "--title", "An LSTM", "--params",
                "hide", "--grads", "--grad-range", "1e-4:2", "-o", str(OPTIONS / "x.dot")),
        cli_job("graph", "--time-steps", "5", "-o", str(OPTIONS / "bad.dot")),
        cli_job("graph", "--help")],
}


def background_jobs(item) -> list[Job]:
    """The CLI's runs a test reads, started beside the suite (background.py) as soon as it is collected."""
    return JOBS.get(item.name, [])


def test_cli_compare_draws_three_figures_on_one_colour_scale():
    (job,) = JOBS["test_cli_compare_draws_three_figures_on_one_colour_scale"]
    result = job.result()
    assert result.returncode == 0, result.stderr
    legends = set()
    for cell in ("rnn", "lstm", "gru"):
        text = (COMPARED / f"vanishing_{cell}.dot").read_text()
        legends.add(re.search(r"legend \[.*", text).group(0).split("pos=")[1].split("label=")[1])
        assert f"{cell.upper()} cell" in text
    assert len(legends) == 1  # the same scale, value for value


def test_cli_options_match_python():
    result, bad, helped = (job.result() for job in JOBS["test_cli_options_match_python"])
    assert result.returncode == 0, result.stderr
    text = (OPTIONS / "x.dot").read_text()
    assert re.findall(r'cluster_\d+ \{ label="(t=\d+)"', text) == ["t=2", "t=3", "t=4"]
    assert 'label="An LSTM"' in text and "weight_hh" not in text and "1·10⁻⁴" in text
    assert bad.returncode == 2 and "FIRST:LAST" in bad.stderr
    helped = helped.stdout
    assert "(default: 4)" in helped and "(default: 60.0)" in helped and "(default: op)" in helped


@needs_graphviz
def test_a_long_unroll_renders(tmp_path):
    _, loss = last_step_loss("lstm", steps=300)
    path = viz.save(loss, path=tmp_path / "long.svg", level="cell", slide=False)
    assert path.read_text().count("LSTM cell") == 300


@needs_graphviz
def test_jupyter_shows_the_drawing_inline_with_the_layout_kept():
    pytest.importorskip("graphviz")
    _, loss = last_step_loss("lstm", steps=3)
    figure = viz.draw(loss, level="op")
    bundle = figure._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg
    # the step boxes and named states, as in to_dot (c₁ with its 1 lowered: one text, its script a tspan)
    assert svg.count("t=") >= 3 and as_written("c₁ = add") in svg_written(svg)
    width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
    assert 600 < width < 2000  # a 3-step op-level LSTM: about a slide's width at full size, not a staircase


def test_a_slice_of_steps_keeps_the_state_flow_through_the_ellipsis_and_nothing_dangling():
    _, loss = last_step_loss("gru", steps=30)
    picture = build_picture((loss,), level="op", time_steps=slice(27, 30))
    [ellipsis] = [i for i, n in enumerate(picture.nodes) if n.kind == "ellipsis"]
    touching = [picture.nodes[b if a == ellipsis else a] for a, b, _ in picture.edges if ellipsis in (a, b)]
    assert touching and all(n.step in (28, 29, 30) for n in touching)  # only into the steps drawn
    linked = {i for a, b, _ in picture.edges for i in (a, b)}
    assert all(i in linked for i, n in enumerate(picture.nodes) if n.kind == "input")  # no h_0 left alone


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("slide", [True, False])
def test_a_rolled_layers_state_rises_clear_of_its_loops(cell, slide):
    """Two layers rolled: h_t⁽¹⁾ rose from the middle of layer 1's top, along its loop's leg and through its arch;
    it now leaves left of the loops."""
    from tinygrad_rnn.viz.layout import labelled_layout

    tr.manual_seed(0)
    layer = {"rnn": tr.nn.RNN, "lstm": tr.nn.LSTM}[cell](2, 3, num_layers=2)
    picture = build_picture((layer(tr.randn(3, 1, 2))[0][-1].sum(),), level="cell", rolled=True, slide=slide)
    _, placed = labelled_layout(picture)
    loops = {i: [] for i, _, _ in placed.loops}
    for i, _, route in placed.loops:
        loops[i].append(min(x for x, _ in route.points + [route.end]))
    rising = [(tail, route) for (tail, head, _), route in zip(picture.edges, placed.routes)
              if tail in loops and placed.boxes[head].bottom > placed.boxes[tail].top]
    assert rising
    for tail, route in rising:
        xs = [x for x, _ in route.points + [route.end]]
        assert max(xs) < min(loops[tail]) - 4, (xs, loops[tail])
