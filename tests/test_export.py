"""Exporting a lecture page: one standalone slide per stage, painted as the page paints it, the
equations' numbers the page's own, index.html one stage per printed page, and one PDF page per
stage where a converter is installed (a line saying what to install where none is)."""

import re
import shutil
import xml.etree.ElementTree as ElementTree

import numpy
import pytest
from drawing_cases import last_step_loss
from slide_checks import (
    SLIDE_TEXT_PX,
    SVG,
    TITLE_PX,
    pdf_pages,
    slide_text_sizes,
    smallest_figure_text,
    standalone,
    title_px,
)
from written import flat, node_step

from tinygrad_rnn import cli, viz
from tinygrad_rnn.viz import export, export_paint, pdf, slide_charts
from tinygrad_rnn.viz.dot import colour
from tinygrad_rnn.viz.geometry import drawn_width
from tinygrad_rnn.viz.layout import ARROW
from tinygrad_rnn.viz.slide import slide_number

RSVG = shutil.which("rsvg-convert")


@pytest.fixture(scope="module")
def page():
    _, loss = last_step_loss("rnn", steps=3)
    return viz.lecture(loss)


@pytest.fixture(scope="module")
def exported(page, tmp_path_factory):
    return page, page.export(tmp_path_factory.mktemp("stages"))


def points(path):
    pairs = re.findall(r"-?[\d.]+,-?[\d.]+", path.get("d"))
    return numpy.array([[float(v) for v in pair.split(",")] for pair in pairs])


def stage_root(written, k):
    return ElementTree.fromstring(written.slides[k].read_text(encoding="utf-8"))


def test_one_standalone_slide_per_stage_and_an_html_deck(exported):
    page, written = exported
    stages = page.data["panels"][0]["stages"]
    assert [p.name for p in written.slides] == [f"stage-{k:02d}-{s['phase']}.svg" for k, s in enumerate(stages, 1)]
    assert sorted(p.name for p in written.html.parent.iterdir()) == sorted(
        [p.name for p in written.slides] + ["index.html"] + (["slides.pdf"] if pdf.converter() else []))
    for path in written.slides:
        standalone(path.read_text(encoding="utf-8"))
    html = written.html.read_text(encoding="utf-8")
    assert "@page { size: landscape" in html and "break-after: page" in html
    assert re.findall(r'<img src="([^"]+)"', html) == [p.name for p in written.slides]
    assert not re.search(r"<(button|input|script)", html), "a printed deck has no controls"


def test_each_stage_reads_its_figures_nodes_once():
    """A windowed stage's nodes were read off its painted figure twice: for the window, and again for the steps'
    frames, off a copy without the arrows the window cuts (24 reads for 12 stages). Now the frames are closed on
    the figure the window read: one read a stage, and one for each layout's figure (the unrolled one's and, since the
    sums stage draws its Σ as the page does, the sums')."""
    from tinygrad_rnn.viz import figure_boxes

    args = cli.build_parser().parse_args(["lecture", "--cell", "lstm", "--loss", "every", "--steps", "4"])
    page = viz.lecture(*cli._last_step_loss(args.cell, args))
    figure_boxes._node_boxes.cache_clear()
    slides = export.stage_slides(page)
    assert figure_boxes._node_boxes.cache_info().misses <= len(slides) + 2


@pytest.mark.skipif(RSVG is None, reason="rsvg-convert is not installed (apt install librsvg2-bin)")
def test_the_pdf_has_a_page_per_stage(exported):
    page, written = exported
    assert written.pdf is not None and written.message == ""
    assert pdf_pages(written.pdf.read_bytes()) == len(page.data["panels"][0]["stages"])


def test_every_stage_passes_the_text_test(exported):
    _, written = exported
    for k, path in enumerate(written.slides):
        root = stage_root(written, k)
        assert title_px(root) >= TITLE_PX, path.name
        assert min(slide_text_sizes(root)) >= SLIDE_TEXT_PX, path.name
        assert smallest_figure_text(root) >= SLIDE_TEXT_PX, f"{path.name}: the figure's text is too small"


LECTURES = {"default": [], "rnn, --loss every --steps 4": ["--loss", "every", "--steps", "4"],
            "lstm, --loss every --steps 4": ["--cell", "lstm", "--loss", "every", "--steps", "4"],
            "gru, --loss every --steps 4": ["--cell", "gru", "--loss", "every", "--steps", "4"],
            "rnn, --loss every": ["--loss", "every"], "lstm, --loss every": ["--cell", "lstm", "--loss", "every"],
            "20 steps": ["--steps", "20"],
            "lstm, 5 words": ["--cell", "lstm", "--loss", "every", "--tokens", "the students opened their books"],
            "gru, 5 words": ["--cell", "gru", "--loss", "every", "--tokens", "the students opened their books"],
            "lstm, --loss every --steps 8": ["--cell", "lstm", "--loss", "every", "--steps", "8"],
            "lstm, --loss last": ["--cell", "lstm", "--loss", "last"]}


@pytest.fixture(scope="module", params=list(LECTURES))
def lecture_stages(request):
    """The stages of ``tinygrad-rnn lecture …`` with these options, as slides (each page built once)."""
    args = cli.build_parser().parse_args(["lecture", *LECTURES[request.param]])
    page = viz.lecture(*cli._last_step_loss(args.cell, args))
    return page, [(name, ElementTree.fromstring(svg)) for name, svg in export.stage_slides(page)]


def test_the_sums_stage_draws_the_first_weights_sum_as_the_page_does(lecture_stages):
    """The page's sums stage draws the chosen weight's Σ (the first, W_hh, as it opens: the one the slide's bars show),
    its line in bold, with a lit arrow from every step in view labelled t=1 … and no other row's Σ; the exported
    stage drew the unrolled figure without any Σ."""
    page, slides = lecture_stages
    panel, (name, root) = page.data["panels"][0], slides[-1]
    assert name.endswith("sums")
    weight, count = panel["weights"][0], len(panel["nodes"])
    nested = next(element for element in root.iter(SVG + "svg") if element is not root)
    sums = [g for g in nested.iter(SVG + "g") if g.get("data-index") and int(g.get("data-index")) >= count]
    assert [g.get("data-index") for g in sums] == [str(weight["sum_node"])], name
    bold = ["".join(line.itertext()) for line in sums[0].find(SVG + "text") if line.get("font-weight") == "700"]
    assert bold == [f"Σt ∂J/∂{weight['name'].replace('_', '')}|(t)"], (name, bold)
    children = list(nested)
    arrows = [edge for edge in children if edge.tag == SVG + "path" and edge.get("data-head") == str(weight["sum_node"])
              and edge.get("visibility") != "hidden"]
    assert all(edge.get("stroke") == export_paint.CURRENT for edge in arrows)
    labels = sorted("".join(children[children.index(edge) + 1].itertext()) for edge in arrows)
    shown = in_window(root)
    steps = sorted(int(step) for step, cells in page.slides[0]["cells"].items() if set(cells) <= shown)
    assert steps and steps[0] == 1 and labels == sorted(f"t={t}" for t in steps), (name, labels, steps)


def window_of(root):
    """The figure's nested <svg>: its box on the slide (x, y, width, height), its viewBox, and each node's
    rectangle by index (x, y, width, height, in the figure's units)."""
    nested = next(element for element in root.iter(SVG + "svg") if element is not root)
    boxes = {int(node.get("data-index")): [float(node.find(SVG + "rect").get(k)) for k in ("x", "y", "width", "height")]
             for node in nested.iter(SVG + "g") if node.get("data-index") and node.find(SVG + "rect") is not None}
    return ([float(nested.get(k)) for k in ("x", "y", "width", "height")],
            [float(v) for v in nested.get("viewBox").split()], boxes)


def in_window(root):
    """The nodes the window shows whole."""
    _, (x, y, w, h), boxes = window_of(root)
    return {i for i, (bx, by, bw, bh) in boxes.items() if x - 0.5 <= bx and bx + bw <= x + w + 0.5 and
            y - 0.5 <= by and by + bh <= y + h + 0.5}


def test_every_lectures_stages_pass_the_text_test(lecture_stages):
    """No text under 24 px, the figure's included, with what each stage's text names in view (a language model's
    stages drew their figure at 18–20 px to keep the cells of t and t±1 and J_t in view, until the bars went
    under the figure and the equations beside it)."""
    page, slides = lecture_stages
    for (name, root), stage in zip(slides, page.data["panels"][0]["stages"], strict=True):
        # the rolled stage too: its whole network (x_t to J) at 24 px (its rows, 35 units apart more than their
        # boxes needed, drew an LSTM language model's at 23.2 px)
        assert smallest_figure_text(root) >= SLIDE_TEXT_PX, f"{name}: the figure's text is too small"
        assert set(stage["named"]) <= in_window(root), f"{name}: what the text names is out of view"
        assert min(slide_text_sizes(root)) >= SLIDE_TEXT_PX, name
        text = "".join(root.itertext())
        assert "(1, " not in text, f"{name}: shapes drawn on a slide"


def test_the_window_cuts_no_arrow_into_or_out_of_a_node_in_view(lecture_stages):
    """An exported backward stage's window ended 4 units under its row of cells: the arrows from e_t (or x_t) into
    the cells stood as stubs at its bottom edge, rising from nowhere; an LSTM's h₀ and c₀, lower than the cells,
    kept short stubs under cells 2 … T (the edge may not cut them); going forward, the state arrow out of the last
    cell in view ran out at the right edge. Each arrow into or out of a node in view is whole in the window, or
    left out whole (hidden), on every side."""
    _, slides = lecture_stages
    for name, root in slides:
        _, (x, y, w, h), boxes = window_of(root)
        shown = in_window(root)
        nested = next(element for element in root.iter(SVG + "svg") if element is not root)
        for edge in nested.iter(SVG + "path"):
            if "edge" not in (edge.get("class") or "").split() or edge.get("visibility") == "hidden":
                continue
            ends = {int(edge.get("data-tail")), int(edge.get("data-head"))}
            if not ends & shown:
                continue
            xs, ys = zip(*points(edge), strict=True)
            meets = max(xs) > x + 0.5 and min(xs) < x + w - 0.5 and max(ys) > y + 0.5 and min(ys) < y + h - 0.5
            whole = min(xs) >= x - 0.5 and max(xs) <= x + w + 0.5 and min(ys) >= y - 0.5 and max(ys) <= y + h + 0.5
            assert whole or not meets, (name, sorted(ends), (x, y, w, h), (min(xs), min(ys), max(xs), max(ys)))


def test_a_window_says_which_steps_are_in_view(lecture_stages):
    """Where the whole figure would fall under 24 px, the stage shows a window around its step and
    says which steps it shows of how many: never a sequence that looks shorter than it is."""
    page, slides = lecture_stages
    panel = page.data["panels"][0]
    for (name, root), stage in zip(slides, panel["stages"], strict=True):
        nested = next(element for element in root.iter(SVG + "svg") if element is not root)
        # cut: a node out of the window (a window that leaves out only the drawing's margin cuts nothing: the
        # rolled LSTM language model, its whole network scaled to the box, said "it goes on" with no side)
        _, (x, y, w, h), boxes = window_of(root)
        windowed = any(bx < x - 0.5 or by < y - 0.5 or bx + bw > x + w + 0.5 or by + bh > y + h + 0.5
                       for bx, by, bw, bh in boxes.values())
        text = "".join(root.itertext())
        said = re.search(rf"steps? (\d+)(?:–(\d+))? of {panel['steps']} in view", text)
        assert ("left out of this slide" in text) == windowed, f"{name}: the figure is cut without saying so (or " \
            "said cut when whole)"
        # a printed slide has no "right" to go on to: an 8-step row's "steps 1–7 of 8 in view; the figure goes on to
        # the right" left step 8 and J unaccounted for; the line names the steps it leaves out
        assert not re.search(r"goes on|scroll|more ▶|Z:", text), f"{name}: the page's words on a printed slide"
        if windowed and stage["phase"] != "rolled":
            assert said, f"{name}: a window onto the figure that does not say which steps it shows"
            first, last, steps = int(said.group(1)), int(said.group(2) or said.group(1)), panel["steps"]
            for out in [(1, first - 1)] * (first > 1) + [(last + 1, steps)] * (last < steps):
                named_out = f"step {out[0]}" if out[0] == out[1] else f"steps {out[0]}–{out[1]}"
                left_out = re.sub(r"\s", "", text.split("left out of this slide:")[1])  # (the line wraps)
                assert named_out.replace(" ", "") in left_out, (name, named_out)
            assert nested.get("overflow") == "hidden", f"{name}: the steps outside the window are drawn over the slide"
            view = [float(v) for v in nested.get("viewBox").split()]
            for rect in nested.iter(SVG + "rect"):  # every node in the window whole, or out of it
                x, y, w, h = (float(rect.get(k)) for k in ("x", "y", "width", "height"))
                inside = x >= view[0] and y >= view[1] and x + w <= view[0] + view[2] and y + h <= view[1] + view[3]
                outside = x + w <= view[0] or y + h <= view[1] or x >= view[0] + view[2] or y >= view[1] + view[3]
                assert inside or outside, f"{name}: the window cuts through a node"
            if stage["phase"] in ("forward", "backward") and stage["t"] <= panel["steps"]:
                first, last = int(said.group(1)), int(said.group(2) or said.group(1))
                assert first <= stage["t"] <= last, f"{name}: step {stage['t']} is not in the window {first}–{last}"
        elif not windowed:
            assert not said, f"{name}: the whole figure, said to be a window"


def test_a_backward_stage_shows_the_cells_it_is_about(lecture_stages):
    """Going back, stage t's text is about ∂J/∂h_t, which the cells' row draws: the window holds the cells
    of steps t and t+1 (the state arrows lit between them) whole and, with a loss at every step, step t's head
    and J_t, which the text names (an LSTM language model's window showed only the J_t and head rows; then
    the cells with J_t out of view)."""
    page, slides = lecture_stages
    panel, figures = page.data["panels"][0], page.slides[0]
    for (name, root), stage in zip(slides, panel["stages"], strict=True):
        if stage["phase"] != "backward" or stage["t"] > panel["steps"]:
            continue
        shown = in_window(root)
        t = stage["t"]
        cells = figures["cells"][str(t)] + figures["cells"].get(str(t + 1), [])
        assert set(cells) <= shown, f"{name}: the cells of steps {t} and {t + 1} are not in the window"
        loss_column = figures.get("above", {}).get(str(t), [])  # step t's head and J_t
        assert set(loss_column) <= shown, f"{name}: J_{t}, which the stage's text names, is out of view"


def test_every_stage_shows_what_its_text_names(lecture_stages):
    """The window's one rule, the page's too (stage_window.py): what the stage's text names is in it — the
    cells of t and of the step it comes from, h₀ and c₀ at step 1 (forward, its text: h₁ from h₀), step t's
    J_t (an 8-step language model's stages showed the cells, J_t out of view)."""
    page, slides = lecture_stages
    panel = page.data["panels"][0]
    names = [node["name"] for node in panel["nodes"]]  # the slide's figure is the page's, its nodes numbered alike
    for (name, root), stage in zip(slides, panel["stages"], strict=True):
        shown = in_window(root)
        assert set(stage["named"]) <= shown, f"{name}: {set(stage['named']) - shown} named, out of view"
        if stage["phase"] == "forward" and stage["t"] == 1:
            written = {names[i] for i in shown}
            assert "h<sub>0</sub>" in written, f"{name}: h₁ from h₀, h₀ out of view"
            if panel["above"]:
                assert any(n.startswith("J₁") for n in written), f"{name}: J₁ = …, J₁ out of view"


def lit_label_lines(nested):
    """Each line of each lit arrow's label in a stage's figure, as drawn: (its words, its box: left, top, right,
    bottom in the figure's units), each as wide as its plain text, 0.8 of its size over its baseline, 0.25 under."""
    found = []
    for label in nested.iter(SVG + "text"):
        if "carried" not in (label.get("class") or "").split():
            continue
        size, anchor = float(label.get("font-size")), label.get("text-anchor")
        for line in label.iter(SVG + "tspan"):
            if line.get("y") is None:
                continue  # (a script inside a line)
            x, y, words = float(line.get("x")), float(line.get("y")), "".join(line.itertext())
            wide = drawn_width([words], size)
            left = x - wide / 2 if anchor == "middle" else x - wide if anchor == "end" else x
            found.append((words, (left, y - 0.8 * size, left + wide, y + 0.25 * size)))
    return found


def labels_out_of_window(page, slides, steps_reached):
    """Each lit label's line out of its exported stage's window, of the backward stages that reached these steps."""
    out = []
    for (slide, root), stage in zip(slides, page.data["panels"][0]["stages"], strict=True):
        if stage["phase"] != "backward" or stage["t"] not in steps_reached:
            continue
        _, (x, y, w, h), _ = window_of(root)
        nested = next(element for element in root.iter(SVG + "svg") if element is not root)
        lines = lit_label_lines(nested)
        assert lines, slide
        out += [(slide, words, (left, top, right, bottom), (x, y, x + w, y + h))
                for words, (left, top, right, bottom) in lines
                if not (x - 0.5 <= left and right <= x + w + 0.5 and y - 0.5 <= top and bottom <= y + h + 0.5)]
    return out


def test_every_lit_arrows_label_is_in_the_window(lecture_stages):
    """Going back, each lit arrow's label says what it carries back, and the stage's text points at it ("the lit h
    arrow"): it is in the exported figure's viewBox, every line whole (an 8-step LSTM language model's stage 13 cut
    the foot of ∂J₈/∂h₇ off; its stages 14–19 left ∂Jₜ/∂h₆ … ∂Jₜ/∂h₁ out, the h label hanging 12.1 units under the
    cells: the window needed 197.8 units, its box held 190.3 at 24 px. Now the label has a unit to spare, as on the
    page, not a node's pad of 4, and the bars under the figure end beside the footer, 24 px lower: 197.8 held)."""
    page, slides = lecture_stages
    assert labels_out_of_window(page, slides, set(range(1, page.data["panels"][0]["steps"] + 1))) == []


def test_nothing_else_on_a_stage_is_drawn_over_its_figure(lecture_stages):
    """The equations, captions and bars go under the figure, beside it, or beside it with the bars under it
    (the layout that gives a language model's figure its 24 px): never onto its box."""
    _, slides = lecture_stages
    for name, root in slides:
        nested = next(element for element in root.iter(SVG + "svg") if element is not root)
        left, top, width, height = (float(nested.get(k)) for k in ("x", "y", "width", "height"))
        inside_figure = {id(element) for element in nested.iter()}
        for element in root.iter():
            if id(element) in inside_figure or element is root:
                continue
            if element.tag == SVG + "rect" and element.get("width") != "1920":  # a bar, a slot, the colour scale
                x, y, w, h = (float(element.get(k)) for k in ("x", "y", "width", "height"))
                clear = x + w <= left or x >= left + width or y + h <= top or y >= top + height
                assert clear, f"{name}: a rectangle at ({x:.0f}, {y:.0f}) on the figure"
            if element.tag == SVG + "text":
                x, y = float(element.get("x")), float(element.get("y"))
                clear = not (left < x < left + width and top < y < top + height)
                assert clear, f"{name}: {''.join(element.itertext())!r} written on the figure"


@pytest.mark.parametrize("steps, current", [(20, 3), (8, 1)])
def test_the_current_bars_value_is_clear_of_the_bars_and_slots_beside_it(steps, current):
    """The gradient back at step 4 of 20 (step 2 of 8 on a slide's narrow bars): the current bar's value is
    wider than its slot; the dashed outlines of the empty slots before it ran through the number, and the taller
    bar after it ran into its end. The slots start under it now, and it ends where its own slot ends."""
    values = [10.0 ** (k / 2 - 9) for k in range(steps)]
    parts = slide_charts.bars(values, [str(t) for t in range(1, steps + 1)], (0, 0, 660, 400),
                              [t >= current for t in range(steps)], current=current)
    written = slide_number(values[current], 2)
    value = next(part for part in parts if "<text" in part and slide_charts.runs_of(written)[0][0] in part)
    at, baseline = (float(re.search(rf' {k}="([-\d.]+)"', value).group(1)) for k in ("x", "y"))
    wide = slide_charts.text_width(slide_charts.runs_of(written), 24)
    left = at - wide if 'text-anchor="end"' in value else at - wide / 2
    assert wide > 660 / steps * 0.7, "the case is one where the value is wider than its bar"
    for part in parts:
        if "<rect" not in part or 'stroke="#d6604d"' in part:  # (the current bar itself)
            continue
        x, y, w = (float(re.search(rf' {k}="([-\d.]+)"', part).group(1)) for k in ("x", "y", "width"))
        if x < left + wide and left < x + w:
            assert y > baseline, f"a bar or slot from y={y:.0f} runs through the value written at y={baseline:.0f}"


def test_each_stage_paints_the_figure_as_the_page_does(exported):
    page, written = exported
    panel, scale, figures = page.data["panels"][0], page.data["scale"], page.slides[0]
    steps = panel["steps"]
    for k, stage in enumerate(panel["stages"]):
        if stage["phase"] not in ("forward", "backward"):
            continue
        root = stage_root(written, k)
        nodes = {g.get("data-index"): g for g in root.iter(SVG + "g") if g.get("data-index")}
        for step, indices in figures["cells"].items():
            t = int(step)
            rect = nodes[str(indices[0])].find(SVG + "rect")
            if stage["phase"] == "forward":
                assert (rect.get("fill") == export_paint.FORWARD) == (t <= stage["t"])
                assert (rect.get("stroke") == export_paint.CURRENT) == (t == stage["t"])
                assert (nodes[str(indices[0])].get("opacity") == "0.35") == (t > stage["t"])
            elif t >= stage["t"]:  # reached by the gradient: its colour is ‖∂J/∂h_t‖ on the page's scale
                assert rect.get("fill") == colour(panel["hidden_norms"][t - 1], *scale)
        crossed = [p for p in root.iter(SVG + "path") if p.get("stroke") == export_paint.CURRENT]
        expected = figures["crossing"].get(str(stage["t"]), []) if stage["phase"] == "backward" else []
        assert len(crossed) == len(expected)
        original = ElementTree.fromstring(figures["svg"])
        for edge in crossed:  # the arrow turned round: it starts at the old head's border, ends short of the tail
            before = points(next(p for p in original.iter(SVG + "path") if p.get("id") == edge.get("id")))
            after = points(edge)
            assert len(after) == len(before)
            assert numpy.hypot(*(after[0] - before[-1])) == pytest.approx(ARROW, abs=0.15)
            assert numpy.hypot(*(after[-1] - before[0])) == pytest.approx(ARROW, abs=0.15)
            assert numpy.allclose(after[1:-1], before[-2:0:-1])
        if stage["phase"] == "backward" and stage["t"] <= steps:
            filled = [r for r in root.iter(SVG + "rect") if r.get("class") == "bar"]
            assert len(filled) == steps - stage["t"] + 1  # the sum's bars, from t=T back to the step reached


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_a_lit_arrows_label_wider_than_its_gap_stands_clear_of_its_cells(kind):
    """Eight cells a slide's spacing apart: the lit arrow between two of them is shorter than what it carries back,
    and ∂J/∂h₅ ran under both cells (its ∂ under cell 5). Every exported backward stage's lit label (its lines, as
    drawn: each as wide as its plain text) is on no node and inside the figure's viewBox."""
    layer, loss = last_step_loss(kind, steps=8)
    page = viz.lecture(loss, layer)
    panel, figures = page.data["panels"][0], page.slides[0]
    for stage in panel["stages"]:
        if stage["phase"] != "backward" or stage["t"] > panel["steps"]:
            continue
        root = ElementTree.fromstring(export_paint.paint(figures, panel, stage, page.data["scale"]))
        left, top, width, height = (float(v) for v in root.get("viewBox").split())
        rects = [tuple(float(r.get(v)) for v in ("x", "y", "width", "height")) for r in root.iter(SVG + "rect")
                 if r.get("x") is not None]
        labels = [text for text in root.iter(SVG + "text") if text.get("font-weight") == "600"]
        assert labels, stage["t"]
        for label in labels:
            size = float(label.get("font-size"))
            for line in label.iter(SVG + "tspan"):
                if line.get("y") is None:
                    continue  # (a script inside a line)
                x, y = float(line.get("x")), float(line.get("y"))
                half = drawn_width(["".join(line.itertext())], size) / 2
                box = (x - half, y - 0.8 * size, x + half, y + 0.25 * size)
                assert left <= box[0] and box[2] <= left + width and top <= box[1] and box[3] <= top + height
                for rx, ry, rw, rh in rects:
                    assert box[2] <= rx or box[0] >= rx + rw or box[3] <= ry or box[1] >= ry + rh, \
                        (kind, stage["t"], "".join(label.itertext()), (rx, ry, rw, rh))


def test_a_forward_stage_dims_every_node_of_a_step_not_yet_computed(tmp_path):
    # as the page does (test_lecture_browser.py): a later step's e_t, head and J_t faint with its cell, J until the
    # last step; only the cells were faint, the J₃ of "forward, step 2" drawn as computed
    page = viz.lecture(cli.language_model_loss("gru", steps=3)[0])
    written = page.export(tmp_path)
    for k, stage in enumerate(page.data["panels"][0]["stages"]):
        if stage["phase"] != "forward":
            continue
        nodes = [("".join(g.itertext()), g.get("opacity")) for g in stage_root(written, k).iter(SVG + "g")
                 if g.get("data-index")]
        assert {node_step(text, 3) for text, _ in nodes} == {None, 1, 2, 3}
        assert {text for text, opacity in nodes if opacity == "0.35"} == \
            {text for text, _ in nodes if (node_step(text, 3) or 0) > stage["t"]}, stage["t"]


def test_a_term_not_yet_reached_is_an_empty_slot_and_every_bar_drawn_has_its_value(lecture_stages):
    """On a log axis a dashed box up to 10⁰ read as a term of 1 (larger than the real ones), and only the
    current bar had its value: now a slot not reached is empty, and each bar drawn has its value on its top
    up to 5 steps (at 8, where values would run into each other, the current bar's at least). The sums stage, which
    the page shows with every term's value, writes all 8 (it wrote none: not the 0 of t = 1 that its text explains)."""
    page, stages = lecture_stages
    panel = page.data["panels"][0]
    terms = [flat(slide_number(export._printed(v))) for v in panel["weights"][0]["terms"]]
    for (name, root), stage in zip(stages, panel["stages"], strict=True):
        assert not [r for r in root.iter(SVG + "rect") if r.get("stroke-dasharray")], name
        if stage["phase"] not in ("backward", "sums"):
            continue
        texts = [(float(t.get("x", "nan")), "".join(t.itertext())) for t in root.iter(SVG + "text")]
        drawn = [r for r in root.iter(SVG + "rect") if r.get("class") == "bar"]  # steps T − len + 1 … T, in order
        for bar, term in zip(drawn, terms[len(terms) - len(drawn):], strict=True):
            every = stage["phase"] == "sums" and panel["steps"] <= 8
            if panel["steps"] > 5 and bar.get("stroke") != slide_charts.CURRENT and not every:
                continue
            middle, width = float(bar.get("x")) + float(bar.get("width")) / 2, float(bar.get("width"))
            near = max(width, 80.0)  # (the current value alone, wider than its slot, may end at the slot's right)
            assert term in [text for x, text in texts if abs(x - middle) < near], (name, term)


def test_the_equations_numbers_are_the_pages(exported):
    page, written = exported
    panel = page.data["panels"][0]
    for k, stage in enumerate(panel["stages"]):
        if stage["phase"] == "backward" and stage["t"] <= panel["steps"]:
            text = "".join(stage_root(written, k).itertext())
            assert f"‖∂J/∂h{stage['t']}‖ = {slide_number(panel['hidden_norms'][stage['t'] - 1])}" in text
            assert "e+" not in text and "e-" not in text.replace("the ", ""), "numbers as a slide writes them"
        if stage["phase"] == "sums":  # one number, written alike in the equations and under the bars
            text = "".join(stage_root(written, k).itertext())
            printed = re.findall(r"‖Whh\.grad‖ = ([^,:\s]+)", text)
            assert len(printed) == 2 and printed[0] == printed[1], printed


def test_an_exported_stage_writes_the_details_the_page_may_fold(tmp_path):
    """A slide has no button to open a folded row: every row of the page's equations is written, the details that
    a narrow window folds (an LSTM's local Jacobian, lecture_fit.js) with the rest."""
    args = cli.build_parser().parse_args(["lecture", "--cell", "lstm", "--loss", "every", "--tokens",
                                          "the students opened their books"])
    page = viz.lecture(*cli._last_step_loss("lstm", args), tokens=args.tokens)
    written = page.export(tmp_path)
    found = 0
    for k, stage in enumerate(page.data["panels"][0]["stages"]):
        for row in re.findall(r'<mtr class="detail">.*?</mtr>', stage["math"]):
            [line] = export.equation_lines(f"<math><mtable>{row}</mtable></math>")
            norm = "".join(text for text, _ in line).split("   (")[0]  # ‖∂h₂/∂h₁‖ = 0.30, before its comment
            assert norm in "".join(stage_root(written, k).itertext()), (stage["text"], norm)
            found += 1
    assert found == 3  # t = 1 and t = 2 of 4, and the sums stage's "the term of step 1 is 0" (h₀ = 0)


def test_an_op_level_steps_frame_is_whole_in_the_window_or_left_out(tmp_path):
    """An exported op-level stage's window cut step 2's frame at the right (stage 3, at o₂'s outline), its lines
    running open into the figure's edge: a frame is whole in the window, closed inside it round every op it holds,
    or left out."""
    assert cli.main(["lecture", "--cell", "lstm", "--steps", "4", "--level", "op", "--export", str(tmp_path)]) == 0
    frame = r'<rect( visibility="hidden")? x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)" rx="8"'
    op = r'data-index="\d+"[^>]*><rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)"'
    checked = 0
    for slide in sorted(tmp_path.glob("stage-*.svg")):
        text = slide.read_text(encoding="utf-8")
        window = re.search(r'viewBox="([-\d. ]+)" preserveAspectRatio="xMidYMid meet" overflow="hidden"', text)
        if window is None:
            continue
        left, top, width, height = (float(v) for v in window.group(1).split())
        ops = [(x, y, x + w, y + h) for x, y, w, h in ((float(v) for v in m) for m in re.findall(op, text))]
        for hidden, *box in re.findall(frame, text):
            if hidden:
                continue
            x0, y0, w, h = (float(v) for v in box)
            x1, y1 = x0 + w, y0 + h
            if x0 >= left + width or x1 <= left or y0 >= top + height or y1 <= top:
                continue  # (out of the window)
            assert x0 >= left and y0 >= top and x1 <= left + width and y1 <= top + height, (slide.name, box)
            for b in ops:  # no op cut by the frame's line: inside it or clear of it
                assert b[0] >= x0 and b[2] <= x1 and b[1] >= y0 and b[3] <= y1 or \
                    b[2] <= x0 or b[0] >= x1 or b[3] <= y0 or b[1] >= y1, (slide.name, box, b)
            checked += 1
    assert checked > 0


def test_mathml_becomes_lines_of_runs_with_their_scripts():
    mathml = ('<math><mtable><mtr><mtd><mrow><msub><mi>h</mi><mi>3</mi></msub><mo>=</mo><mn class="number">'
              '2.500e-3</mn></mrow></mtd></mtr><mtr><mtd><msup><mi>W</mi><mi>T</mi></msup><mtext>x_4</mtext>'
              '<mn>-0.120</mn></mtd></mtr></mtable></math>')
    assert export.equation_lines(mathml) == [[("h", "base"), ("3", "sub"), (" = 2.5·10", "base"), ("−3", "sup")],
                                             [("W", "base"), ("T", "sup"), (" x", "base"), ("4", "sub"),
                                              ("−0.120", "base")]]


@pytest.mark.parametrize("value, written", [(0.01496, "1.5·10⁻²"), (1.496, "1.5"), (999.7, "1.0·10³"),
                                            (-3e-7, "−3.0·10⁻⁷"), (0.0, "0"), (0.25, "0.25"), (123.4, "120")])
def test_numbers_as_a_slide_writes_them(value, written):
    assert slide_number(value) == written


def test_a_comparison_exports_every_panel(tmp_path):
    losses = {kind: last_step_loss(kind, steps=2)[1] for kind in ("rnn", "gru")}
    page = viz.lecture(losses["rnn"], compare={"GRU": losses["gru"]})
    written = page.export(tmp_path)
    counts = [len(panel["stages"]) for panel in page.data["panels"]]
    assert len(written.slides) == sum(counts)
    assert sum(p.name.startswith("gru-stage-") for p in written.slides) == counts[1]


def test_without_a_converter_everything_but_the_pdf_is_written_and_one_line_says_what_to_install(
        page, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))  # no rsvg-convert
    monkeypatch.setattr(pdf.importlib.util, "find_spec", lambda name, *rest: None)  # no cairosvg
    assert pdf.converter() is None
    written = page.export(tmp_path / "out")
    assert written.pdf is None and not (tmp_path / "out" / "slides.pdf").exists()
    assert len(written.slides) == len(page.data["panels"][0]["stages"]) and written.html.exists()
    assert "rsvg-convert" in written.message and "cairosvg" in written.message and "\n" not in written.message


@pytest.mark.skipif(pdf.importlib.util.find_spec("cairosvg") is None, reason="cairosvg is not installed")
def test_cairosvg_writes_the_same_pages(page, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    written = page.export(tmp_path)
    assert pdf_pages(written.pdf.read_bytes()) == len(written.slides)


def test_a_connectivity_page_has_no_stages_to_export(tmp_path):
    empty = viz.LecturePage("<html></html>", "", {"title": "t", "panels": [], "scale": [1, 2], "text": {}})
    with pytest.raises(ValueError, match="no stages"):
        empty.export(tmp_path)


def test_the_command_line_exports_and_says_where(tmp_path, capsys):
    out = tmp_path / "slides"
    assert cli.main(["lecture", "--steps", "2", "--export", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"in {out}" in printed and (out / "index.html").exists()
    assert len(list(out.glob("stage-*.svg"))) == 2 + 2 + 1 + 2 + 1  # rolled, unrolled, 2 forward, J, 2 back, sums
    assert cli.main(["lecture", "--steps", "2"]) == 1  # neither -o nor --export
    assert "-o PAGE.html, --export DIR" in capsys.readouterr().err
    assert cli.main(["lecture", "--checkpoint", "lm.npz", "--text", "ab", "--export", str(out)]) == 2
    assert "--export cannot apply" in capsys.readouterr().err



def test_a_stage_painted_in_the_gradients_colours_draws_their_scale(exported):
    """The sums are painted as the backward stages are (‖∂J/∂h_t‖'s colours): their slides draw the scale too (laid
    out apart from the backward stages, they had lost it)."""
    page, written = exported
    for k, stage in enumerate(page.data["panels"][0]["stages"]):
        text = "".join(stage_root(written, k).itertext())
        assert ("log scale" in text) == (stage["phase"] in ("backward", "sums")), (k, stage["phase"])


def test_a_window_with_every_step_names_what_it_leaves_out(lecture_stages):
    """An 8-step LSTM's backward stages said "steps 1–8 of 8 in view; left out of this slide: what comes before
    step 1", which sent readers looking for a missing step: what the window left out was h₀ and c₀ (and J,
    "what follows step 8"). The line names the initial state and the loss where they are what is left out."""
    _, slides = lecture_stages
    for name, root in slides:
        text = re.sub(r"\s+", " ", "".join(root.itertext()))
        assert "what comes before step 1" not in text and not re.search(r"what follows step \d+(?!\d)", text), \
            (name, text[text.find("left out"):][:120])
