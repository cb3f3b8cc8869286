"""The lecture page's backward stages, as a class reads them (without a browser): the lit arrows say what
they carry back, the gradient from above arrives down a lit arrow, the window holds the whole chain, and
the unrolled stage names the cell's own shared weights. In a browser: test_lecture_browser.py."""

import json
import re
import xml.etree.ElementTree as ElementTree

import pytest

from tinygrad_rnn import viz
from tinygrad_rnn.cli import language_model_loss
from tinygrad_rnn.viz.notation import PRESETS


def panel_of(cell="gru", steps=4, **options):
    page = viz.lecture(language_model_loss(cell, steps=steps)[0], **options)
    data = json.loads(re.search(r'class="tgr-data">(.*?)</script>', page.html, re.DOTALL).group(1))
    return data["panels"][0]


def plain(markup):
    """SVG markup as the words it draws (its scripts inline): (∂h4/∂h3)T ∂J/∂h4."""
    return re.sub(r"<[^>]+>", "", markup)


def edge_ends(panel):
    return {int(k): (int(tail), int(head)) for k, tail, head in
            re.findall(r'id="[^"]*-e(\d+)" class="edge" data-tail="(\d+)" data-head="(\d+)"', panel["svg"])}


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_a_lit_arrow_between_cells_says_what_it_carries_back_not_the_state(cell):
    """Lit at the backward stage of step t, the arrow from cell t+1 into cell t carried h_t forward; going back it
    carries the part of ∂J/∂h_t from the losses after t, (1/4)Σₜ₌₃⁴ ∂Jₜ/∂h₂, as every figure labels that arrow (the
    equation beside it writes the same part by the chain rule) — before, it kept the label h₃."""
    panel = panel_of(cell)
    ends = edge_ends(panel)
    for t in (1, 2, 3):
        cells = (panel["cells"][str(t)][0], panel["cells"][str(t + 1)][0])
        between = [k for k in panel["lit"][str(t)] if ends[k] == cells]
        assert between, t
        said = {" ".join(plain(line) for line in panel["carried"][str(k)]) for k in between}
        along_h = "(1/4) ∂J4/∂h3" if t == 3 else f"(1/4)Σt={t + 1}…4 ∂Jt/∂h{t}"  # (its scripts inline)
        along_c = {f"(∂c{t + 1}/∂c{t})T ∂J/∂c{t + 1}"} if cell == "lstm" else set()  # c's part: c's own chain rule
        assert said == {along_h} | along_c, (t, said)


@pytest.mark.parametrize("notation", sorted(PRESETS))
def test_an_lstms_c_arrow_carries_the_part_through_the_next_c_in_every_notation(notation):
    """The arrow from cell t+1 back along c carries only (∂c_{t+1}/∂c_t)ᵀ ∂J/∂c_{t+1}; the equation beside it adds
    the part through h_t. In CS224N's notation the page wrote ∂J/∂c⁽ᵗ⁾, the whole gradient: the labels' rule
    (gradient_labels.py) read h⁽²⁾ and c⁽²⁾, already in the notation, as no step it knows."""
    panel = panel_of("lstm", notation=notation)
    ends = edge_ends(panel)
    superscript = PRESETS[notation]["time"] == "superscript"
    loss = PRESETS[notation]["names"].get("J", "J")

    def at(name, step):  # as the page's markup reads without its tags: c3, or c(3) with the time above
        return f"{name}({step})" if superscript else f"{name}{step}"

    for t in (1, 2, 3):
        cells = (panel["cells"][str(t)][0], panel["cells"][str(t + 1)][0])
        said = [" ".join(plain(line) for line in panel["carried"][str(k)])
                for k in panel["lit"][str(t)] if ends[k] == cells]
        along_c = [label for label in said if f"/∂{at('c', t)}" in label]
        assert along_c == [f"(∂{at('c', t + 1)}/∂{at('c', t)})T ∂{loss}/∂{at('c', t + 1)}"], (t, said)


def test_the_gradient_from_above_arrives_down_a_lit_arrow():
    """"From above 0.12" at the last step: the arrows from J₄ down to h₄ are lit, and the one into the cell
    says it carries (1/4) ∂J₃/∂h₃ (at the last step all of ∂J/∂h₄) — before, nothing was lit at stage 8."""
    panel = panel_of("gru")
    ends = edge_ends(panel)
    for t in (1, 2, 3, 4):
        above = set(panel["above"][str(t)])
        into_column = [k for k in panel["lit"][str(t)] if ends[k][1] in above]
        assert len(into_column) >= 2, t  # h_t → the head, the head → J_t: the path from J_t down to h_t
        head_edge = [k for k in into_column if ends[k][0] in panel["cells"][str(t)]]
        said = " ".join(plain(line) for line in panel["carried"][str(head_edge[0])])
        assert said == ("∂J/∂h4" if t == 4 else f"(1/4) ∂J{t}/∂h{t}"), (t, said)
    backward = [s for s in panel["stages"] if s["phase"] == "backward" and s["t"] == 4]
    assert "from above" in backward[0]["math"] or "above" in json.dumps(backward[0])


def test_every_backward_stage_of_a_language_models_page_holds_the_whole_chain():
    """A window onto 2 of 4 steps hid the chain the gradient runs along: in every backward stage the page's
    window holds each step's cell, where the row fits a slide at 2/3 of the readable scale (forward, what the
    stage names, at the readable scale); at the unrolled stage, "the same cell at every step", the row of cells
    (2 of 4 steps were in view); a 20-step row keeps its window, and what a stage's text names (an exported
    stage's window) is what it was."""
    panel = panel_of("gru")
    every_cell = {i for indices in panel["cells"].values() for i in indices}
    for stage in panel["stages"]:
        assert set(stage["named"]) <= set(stage["held"]), stage["t"]
        if stage["phase"] in ("backward", "unrolled"):
            assert every_cell <= set(stage["held"]), stage["t"]
        elif stage["phase"] == "sums":  # and beside the steps the chosen weight's Σ (the first weight's when opened)
            assert stage["held"] == sorted(set(stage["named"]) | {panel["weights"][0]["sum_node"]})
        else:
            assert stage["held"] == stage["named"], stage["t"]
    assert not every_cell <= set(panel["stages"][-3]["named"])  # (backward at step 2: cells 2 and 3)
    long = panel_of("rnn", steps=20)
    backward = [s for s in long["stages"] if s["phase"] == "backward" and s["t"] == 10][0]
    assert backward["held"] == backward["named"]


@pytest.mark.parametrize("cell, notation, said", [
    ("gru", None, "the same W<sub>hh</sub>, W<sub>ih</sub>, b<sub>hh</sub>, b<sub>ih</sub>, E,"),
    ("gru", "cs224n", "the same W<sub>h</sub>, W<sub>e</sub>, b₁″, b₁′, E,"),  # a GRU's two: no parts of one b₁
    ("rnn", "elman", "the same V, W, b<sub>h</sub>, E,")])
def test_the_unrolled_stage_names_the_cells_own_shared_weights(cell, notation, said):
    """A GRU's two biases are no one b: the unrolled stage names the weights the selector lists (it said
    "the same W_hh, W_ih, b" for a GRU)."""
    panel = panel_of(cell, steps=3, notation=notation)
    assert said in panel["stages"][1]["text"], panel["stages"][1]["text"]


def test_an_exported_backward_stage_lights_and_labels_the_arrows_as_the_page_does():
    """An exported stage kept the forward label h₃ on the lit arrow, and lit nothing down from J₃: it says what
    each lit arrow carries back, and the arrows from J_t to h_t are lit (red) with it."""
    from tinygrad_rnn.viz.export import stage_slides
    from tinygrad_rnn.viz.export_paint import CURRENT

    page = viz.lecture(language_model_loss("gru", steps=4)[0])
    slides = dict(stage_slides(page))
    svg = ElementTree.fromstring(slides["stage-09-backward"])  # backward, reached t = 3
    namespace = "{http://www.w3.org/2000/svg}"
    figure = [element for element in svg.iter(namespace + "svg")][1]  # the figure, nested in the slide
    children = list(figure)
    lit = [element for element in children if element.tag == namespace + "path" and element.get("stroke") == CURRENT]
    assert len(lit) >= 3  # from the right (cell 4 → cell 3), and J₃ → the head → h₃
    said = ["".join(children[children.index(edge) + 1].itertext()) for edge in lit
            if "edge-label" in children[children.index(edge) + 1].get("class", "")]
    assert sorted(label.replace(" ", "") for label in said) == ["(1/4)∂J3/∂h3", "(1/4)∂J4/∂h3"], said  # (1 line or 2)


def test_an_exported_stage_spaces_a_lit_labels_lines_as_the_page_does():
    """One rule for a stacked lit label's lines, the page's data (lecture_panel.lit_label_rows): the export sets them by
    it, not by a rule of its own (changed here to 1.5 lines, the exported lines follow)."""
    from tinygrad_rnn.viz.export import stage_slides

    page = viz.lecture(language_model_loss("lstm", steps=4)[0], notation="cs224n")
    figures = page.slides[0]
    stacked = [k for k, lines in figures["carried"].items() if len(lines) > 1]
    assert stacked and figures["carried_rows"] == page.data["panels"][0]["carried_rows"]
    figures["carried_rows"] = {k: [0.0, 1.5] if k in stacked else rows for k, rows in figures["carried_rows"].items()}
    namespace = "{http://www.w3.org/2000/svg}"
    svg = ElementTree.fromstring(dict(stage_slides(page))["stage-10-backward"])  # reached t = 2: from step 3, stacked
    spaced = []
    for label in svg.iter(namespace + "text"):
        ys = [float(row.get("y")) for row in label.findall(namespace + "tspan") if row.get("y") is not None]
        if "edge-label" in label.get("class", "") and len(ys) > 1:
            spaced.append(round((ys[1] - ys[0]) / (1.1 * float(label.get("font-size"))), 2))
    assert spaced and all(abs(lines - 1.5) < 0.02 for lines in spaced), spaced  # (y written to 0.1)


@pytest.mark.parametrize("notation", sorted(PRESETS))
def test_a_stacked_lstms_c_arrows_carry_the_part_through_the_next_c_marked_once(notation):
    """The page steps through layer 1 of two: its c arrows said ∂J/∂c₁⁽¹⁾ in every notation (the rule read c₁⁽¹⁾,
    already marked with its layer, as no state its cell reads inside), and once labelled in the library's names
    each state was marked twice (h₂⁽¹⁾⁽¹⁾). Each c arrow carries (∂c_{t+1}⁽¹⁾/∂c_t⁽¹⁾)ᵀ ∂J/∂c_{t+1}⁽¹⁾, marked once."""
    from tinygrad_rnn.viz.notation import resolve
    from tinygrad_rnn.viz.scripts import svg_markup

    written = resolve(notation)
    panel = viz.lecture(language_model_loss("lstm", steps=3, layers=2)[0], notation=notation).data["panels"][0]
    said = {" ".join(plain(line) for line in lines) for lines in panel["carried"].values()}

    def c(t):
        return written.at_step("c", str(t), "1")

    expected = {plain(svg_markup(f"(∂{c(t + 1)}/∂{c(t)})ᵀ ∂{written.symbol('J')}/∂{c(t + 1)}")) for t in (1, 2)}
    assert {label for label in said if "/∂c" in label} == expected, said
    assert not any("(1)(1)" in label for label in said), said


def test_an_exported_cs224n_stage_labels_the_c_arrow_by_the_next_c():
    """`--export` paints the page's labels: the c arrow of CS224N's stage 9 (reached t = 3) said ∂J/∂c⁽³⁾."""
    from tinygrad_rnn.viz.export import stage_slides

    page = viz.lecture(language_model_loss("lstm", steps=4)[0], notation="cs224n")
    texts = ["".join(text.itertext()) for text in
             ElementTree.fromstring(dict(stage_slides(page))["stage-09-backward"]).iter("{http://www.w3.org/2000/svg}text")]
    assert "(∂c(4)/∂c(3))T∂J/∂c(4)" in [text.replace(" ", "") for text in texts], texts
    assert not [text for text in texts if text.replace(" ", "") == "∂J/∂c(3)"]


@pytest.mark.parametrize("notation", sorted(PRESETS))
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_the_pages_arrows_say_what_a_slides_bptt_figure_of_the_same_loss_says(cell, notation):
    """One quantity, one label: the page's lit arrows along h and c wear the labels a slide's BPTT figure of the same
    loss gives them (gradient_labels.py, one rule). CS224N's LSTM page wrote (1/4) ∂(J⁽³⁾ + J⁽⁴⁾)/∂h⁽²⁾ where its
    figure, and every other notation's page, write (1/4)Σₜ₌₃⁴ ∂J⁽ᵗ⁾/∂h⁽²⁾."""
    from tinygrad_rnn.viz.geometry import label_lines
    from tinygrad_rnn.viz.graph import build_picture
    from tinygrad_rnn.viz.scripts import svg_markup

    def along_states(labels):
        return {label for label in labels if re.search(r"/∂[hc]", plain(label))}

    figure = build_picture((language_model_loss(cell, steps=4)[0],), level="cell", backward=True, slide=True,
                           notation=notation, show_shapes=False)
    drawn = along_states(" ".join(svg_markup(line) for line in label_lines(label)) for _, _, label in figure.edges)
    shown = along_states(" ".join(lines) for lines in panel_of(cell, notation=notation)["carried"].values())
    assert shown == drawn and len(drawn) >= 6, (sorted(map(plain, shown)), sorted(map(plain, drawn)))
