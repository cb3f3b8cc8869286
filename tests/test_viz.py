"""Drawing: golden DOT files, determinism, real rendering (SVG parsed, PNG written), the lecture
features (per-step clusters, a shared weight drawn once, the Σ node of the backward graph,
gradient colours), errors, and graphs far too big to recurse over.

Regenerate the golden DOT files after an intended change of the drawings with
    TINYGRAD_RNN_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_viz.py
and review the diff.
"""

import os
import pathlib
import re
import shutil
import warnings
import xml.etree.ElementTree as ElementTree

import numpy
import pytest
from background import Job, cli_job, folder
from drawing_cases import last_step_loss

import tinygrad_rnn as tr
from tinygrad_rnn import analysis, viz
from tinygrad_rnn.viz import render
from tinygrad_rnn.viz.graph import build_picture

GOLDEN = pathlib.Path(__file__).resolve().parent / "golden" / "dot"
HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is missing (tests/setup.sh installs it)")


def tanh_rnn_loss(steps=3):
    return last_step_loss("rnn", steps)


def lstm_loss(steps=2):
    tr.manual_seed(0)
    lstm = tr.nn.LSTM(2, 3)
    output, _ = lstm(tr.randn(steps, 1, 2))
    return lstm, output[-1].sum()


FIGURES = {
    "rnn_t3_op": lambda: viz.to_dot(tanh_rnn_loss()[1], level="op"),
    "rnn_t3_cell": lambda: viz.to_dot(tanh_rnn_loss()[1], level="cell"),
    "rnn_t3_step": lambda: viz.to_dot(tanh_rnn_loss()[1], level="step"),
    "lstm_t2_op": lambda: viz.to_dot(lstm_loss()[1], level="op"),
    "rnn_t3_backward": lambda: viz.to_dot(tanh_rnn_loss()[1], backward=True),
}


@pytest.mark.parametrize("name", FIGURES)
def test_golden_dot(name):
    text = FIGURES[name]()
    path = GOLDEN / f"{name}.dot"
    if os.environ.get("TINYGRAD_RNN_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from {path}; if intended, regenerate (see top)"


def test_same_graph_gives_byte_identical_dot():
    assert FIGURES["lstm_t2_op"]() == FIGURES["lstm_t2_op"]()


def test_one_box_per_step_and_no_boxes_for_scopes_around_them():
    _, loss = lstm_loss(steps=4)
    text = viz.to_dot(loss, time_steps=slice(None))  # every step (a slide draws t=1, …, 4: two steps fit it)
    labels = re.findall(r'cluster_\d+ \{ label="([^"]*)"', text)
    assert labels == ["t=1", "t=2", "t=3", "t=4"]  # not LSTM / layer 0 / forward around them


def test_all_four_lstm_gates_are_visible_at_op_level():
    _, loss = lstm_loss(steps=1)
    text = viz.to_dot(loss)
    assert text.count(" = σ") == 3 and text.count("tanh") == 2  # i₁ = σ, f₁ = σ, o₁ = σ; g₁ = tanh and tanh(c)
    assert all(f"{gate}₁ = " in text for gate in "ifgo")  # each gate named in its node
    assert 'label="split' in text


def test_a_shared_weight_is_drawn_once_with_an_edge_into_every_step():
    _, loss = tanh_rnn_loss(steps=5)
    picture = build_picture((loss,), params="once")  # the default names it in each node instead
    [weight] = [i for i, n in enumerate(picture.nodes) if n.label.startswith("weight_hh_l0")]
    assert picture.nodes[weight].scope == ()  # outside every cluster
    heads = [picture.nodes[b] for a, b, _ in picture.edges if a == weight]
    assert sorted(h.scope[-1] for h in heads) == [f"t={t}" for t in range(1, 6)]


def test_backward_graph_has_one_sigma_node_with_one_labelled_input_per_step():
    _, loss = tanh_rnn_loss(steps=4)
    picture = build_picture((loss,), backward=True)
    [output] = [i for i, n in enumerate(picture.nodes) if n.label.startswith("∂J/∂W_hh\n")]
    [sigma] = [a for a, b, _ in picture.edges if b == output]
    assert picture.nodes[sigma].label.startswith("Σ (4 terms)") and picture.nodes[sigma].scope == ()
    labels = sorted(label for a, b, label in picture.edges if b == sigma)
    assert labels == ["t=1", "t=2", "t=3", "t=4"]


def test_levels_collapse_cells_and_steps():
    tr.manual_seed(0)
    lstm = tr.nn.LSTM(2, 3, num_layers=2)
    output, _ = lstm(tr.randn(3, 1, 2))
    cells = [n for n in build_picture((output.sum(),), level="cell").nodes if n.kind == "group"]
    steps = [n for n in build_picture((output.sum(),), level="step").nodes if n.kind == "group"]
    assert len(cells) == 6 and len(steps) == 3  # 2 layers × 3 steps; 3 steps
    assert {n.label.split("\n")[0] for n in cells} == {"LSTM cell"}


def test_gradient_colours_show_the_vanishing_gradient_of_a_tanh_rnn():
    rnn, loss = tanh_rnn_loss(steps=8)
    picture = build_picture((loss,), level="cell", show_grads=True)
    by_step = {int(n.label.split("t=")[1]): n.gradient_norm for n in picture.nodes if n.kind == "group"}
    expected = analysis.hidden_state_gradient_norms(loss, rnn.hidden_states[0])
    numpy.testing.assert_allclose([by_step[t] for t in range(1, 9)], expected, rtol=1e-5)  # ‖∂J/∂h_t‖
    assert by_step[1] < by_step[8] / 10
    text = viz.to_dot(loss, level="cell", show_grads=True)
    assert "gradient norm" in text and text.count('fillcolor="#') > 8


@pytest.mark.parametrize("level", ["cell", "step"])
def test_gradient_colours_are_the_cells_alone_not_the_head_or_the_loss_after_them(level):
    """The legend says ‖∂J/∂h_t‖ of each cell's h_t: a GRU's head and loss after its 5 steps were coloured on the
    same scale, the loss's ∂J/∂J = 1 the yellow top of it (read as the largest ‖∂J/∂h‖), the cells' own
    2·10⁻² … 0.23 squeezed into the lower half. Now only the cells carry a colour, and the scale spans them; every
    node keeps its norm (the lecture page's panel says it)."""
    from tinygrad_rnn.viz.dot import VIRIDIS
    from tinygrad_rnn.viz.node_details import coloured_norms

    tr.manual_seed(0)
    gru, head = tr.nn.GRU(2, 3), tr.nn.Linear(3, 2)
    output, _ = gru(tr.randn(5, 1, 2))
    loss = tr.nn.functional.cross_entropy(head(output[-1]), tr.tensor([1]))
    picture = build_picture((loss,), level=level, show_grads=True, show_shapes=False)
    cells = [n.gradient_norm for n in picture.nodes if n.kind == "group" and n.step is not None]
    coloured = [n.label for n, norm in zip(picture.nodes, coloured_norms(picture.nodes))
                if norm is not None and n.kind != "group"]
    assert len(cells) == 5 and None not in cells and coloured == []  # (before: ['cross_entropy', 'linear'])
    assert picture.legend == (min(cells), max(cells))  # (before: (2.0·10⁻², 1.0))
    assert {n.label.split("\n")[0]: n.gradient_norm for n in picture.nodes}["cross_entropy"] == 1.0  # (kept)
    shaded = [line for line in viz.to_dot(loss, level=level, show_grads=True).splitlines()
              if ("cross_entropy" in line or "linear" in line) and any(shade in line for shade in VIRIDIS)]
    assert shaded == []


def test_fixed_grad_range_makes_figures_comparable():
    _, loss = tanh_rnn_loss()
    assert viz.to_dot(loss, show_grads=True, grad_range=(1e-6, 1.0)).count("1·10⁻⁶") >= 1  # as a slide writes it


def test_a_narrow_gradient_range_writes_every_colour_of_its_legend_as_a_different_norm(tmp_path, monkeypatch):
    """Norms between 0.9 and 1.6 were written 1e+00 under three colours: as if three colours meant one norm."""
    _, loss = tanh_rnn_loss()
    in_dot = re.findall(r'POINT-SIZE="9">([^<]+)<', viz.to_dot(loss, show_grads=True, grad_range=(0.9, 1.6)))
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))  # the library's own SVG
    svg = viz.save(loss, path=tmp_path / "f.svg", show_grads=True, grad_range=(0.9, 1.6)).read_text()
    in_svg = re.findall(r'font-size="9" text-anchor="middle" fill="#(?:ffffff|000000)">([^<]+)<', svg)
    for written in (in_dot, in_svg):
        assert len(written) == 9 and len(set(written)) == 9, written


def test_show_grads_before_backward_needs_no_dot_grad_and_never_shows_zeros():
    rnn, loss = tanh_rnn_loss()
    assert all(p.grad is None for p in rnn.parameters())
    picture = build_picture((loss,), show_grads=True)
    assert all((n.gradient_norm or 0) > 0 for n in picture.nodes if n.kind == "parameter")


def test_values_small_and_summarised():
    x = tr.tensor([1.0, 2.0], requires_grad=True, name="w")
    y = (x * tr.ones(10, 2)).tanh().sum()  # tanh keeps its output for backward
    text = viz.to_dot(y, show_values=True, params="once")
    assert "[1., 2.]" in text and "mean 0.863" in text


def test_values_are_shown_only_where_the_graph_keeps_them():
    x = tr.tensor([1.0, 2.0], requires_grad=True, name="w")
    y = ((x * tr.ones(10, 2)) + 1.0).sum()  # add's backward needs no values: x · 1 is freed
    labels = re.findall(r'label="([^"]*)"', viz.to_dot(y, show_values=True, params="once"))
    mul, add = next(t for t in labels if t.startswith("mul")), next(t for t in labels if t.startswith("add"))
    assert "mean" not in mul and "mean" not in add and "[1., 2.]" in next(t for t in labels if t.startswith("w"))
    kept = x * tr.ones(10, 2)  # mul saves its inputs, so the product below shows the value it read
    z = (kept * kept).sum()
    assert "mean 1.5" in viz.to_dot(z, show_values=True)


def test_time_slice_draws_some_steps_of_a_long_unroll():
    _, loss = tanh_rnn_loss(steps=50)
    text = viz.to_dot(loss, time_steps=slice(0, 3))
    assert re.findall(r'cluster_\d+ \{ label="(t=\d+)"', text) == ["t=1", "t=2", "t=3"]
    assert "… 47 more time steps" in text


def test_a_thousand_step_unroll_draws_without_recursion():
    _, loss = tanh_rnn_loss(steps=1000)
    text = viz.to_dot(loss, level="cell", slide=False)  # free size: every step (a slide leaves the middle out)
    assert text.count('label="RNN cell') == 1000


def test_max_nodes_guard_suggests_a_smaller_drawing():
    _, loss = tanh_rnn_loss(steps=20)
    with pytest.raises(ValueError, match="level='cell'"):
        viz.to_dot(loss, max_nodes=50, slide=False)


def test_bad_options_are_named():
    _, loss = tanh_rnn_loss()
    with pytest.raises(ValueError, match="level must be one of"):
        viz.to_dot(loss, level="gate")
    with pytest.raises(TypeError, match="unknown option"):
        viz.save(loss, path="x.svg", colour=True)
    with pytest.raises(ValueError, match="cannot tell the format"):
        viz.save(loss, path="figure.gif")


def test_without_dot_svg_is_drawn_here_and_png_explains_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    _, loss = tanh_rnn_loss()
    with pytest.raises(viz.GraphvizNotFoundError, match="apt-get install graphviz.*brew install graphviz.*conda"):
        viz.save(loss, path=tmp_path / "figure.png")
    assert viz.save(loss, path=tmp_path / "figure.svg").read_text().startswith("<svg")
    assert isinstance(viz.draw(loss), viz.SVGFigure)  # shown inline in Jupyter all the same
    assert viz.save(loss, path=tmp_path / "figure.dot").read_text().startswith("digraph")


def test_large_graphs_warn_before_rendering():
    with pytest.warns(UserWarning, match="level='cell'"):
        render.warn_if_large(render.LARGE_GRAPH + 1, [("level", "cell")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        render.warn_if_large(10)


def test_draw_returns_a_graphviz_digraph():
    graphviz = pytest.importorskip("graphviz")
    _, loss = tanh_rnn_loss()
    graph = viz.draw(loss, level="cell")
    assert isinstance(graph, graphviz.Digraph)
    assert graph.source.count("RNN cell") == 3 and graph.engine == "neato"


def _svg(path):
    root = ElementTree.parse(path).getroot()
    ns = {"svg": "http://www.w3.org/2000/svg"}

    def groups(kind):
        for g in root.iter("{http://www.w3.org/2000/svg}g"):
            if g.get("class") == kind:
                title = g.find("svg:title", ns).text
                texts = [t.text or "" for t in g.iter("{http://www.w3.org/2000/svg}text")]
                yield title, texts

    return list(groups("cluster")), list(groups("node")), [title for title, _ in groups("edge")]


@needs_dot
def test_rendered_svg_has_step_clusters_one_shared_weight_and_its_edges(tmp_path):
    _, loss = tanh_rnn_loss(steps=4)
    path = viz.save(loss, path=tmp_path / "rnn.svg", params="once", time_steps=slice(None))
    clusters, nodes, edges = _svg(path)
    assert sorted(t[0] for _, t in clusters if t and t[0].startswith("t=")) == ["t=1", "t=2", "t=3", "t=4"]
    weight = [title for title, texts in nodes if texts and texts[0] == "weight_hh_l0"]
    assert len(weight) == 1
    assert sum(edge.startswith(weight[0] + "->") for edge in edges) == 4


@needs_dot
def test_rendered_backward_svg_has_the_sigma_node_with_one_input_per_step(tmp_path):
    _, loss = tanh_rnn_loss(steps=3)
    path = viz.save(loss, path=tmp_path / "backward.svg", backward=True)
    _, nodes, edges = _svg(path)
    sigmas = [title for title, texts in nodes if texts and texts[0] == "Σ (3 terms)"]
    assert sigmas and any(sum(edge.endswith("->" + s) for edge in edges) == 3 for s in sigmas)


@needs_dot
def test_png_and_pdf_are_written(tmp_path):
    _, loss = lstm_loss()
    png = viz.save(loss, path=tmp_path / "lstm.png", level="cell", show_grads=True)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert viz.save(loss, path=tmp_path / "lstm.pdf").read_bytes()[:4] == b"%PDF"


WRITTEN = folder("graph_written")
JOBS = {  # a test's name: the runs of ``python -m tinygrad_rnn`` it reads, each an interpreter's start
    "test_cli_graph_writes_a_figure": [cli_job("graph", "--cell", "lstm", "--steps", "3", "--level", "cell",
                                               "--grads", "-o", str(WRITTEN / "lstm.svg"))] if HAS_DOT else [],
    "test_cli_bad_arguments_give_one_line_and_a_non_zero_exit": [
        cli_job("graph", "--cell", "lstm", "-o", str(WRITTEN / "x.gif")),
        cli_job("graph", "--steps", "0", "-o", "x.svg")],
}


def background_jobs(item) -> list[Job]:
    """The CLI's runs a test reads, started beside the suite (background.py) as soon as it is collected."""
    return JOBS.get(item.name, [])


@needs_dot
def test_cli_graph_writes_a_figure():
    (job,) = JOBS["test_cli_graph_writes_a_figure"]
    result = job.result()
    assert result.returncode == 0, result.stderr
    assert (WRITTEN / "lstm.svg").exists() and "wrote" in result.stdout


def test_cli_bad_arguments_give_one_line_and_a_non_zero_exit():
    result, bad = (job.result() for job in JOBS["test_cli_bad_arguments_give_one_line_and_a_non_zero_exit"])
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "cannot tell the format" in result.stderr
    assert bad.returncode == 2 and "must be a positive integer" in bad.stderr
    assert bad.stderr.strip().count("\n") == 0  # one line, no usage block
