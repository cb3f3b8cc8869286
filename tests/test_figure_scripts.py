"""Every figure writes a symbol's scripts as scripts (W with "hh" lowered), in both outputs, by default —
and a student's own Python names as the code they are; the measures read scripted text; the lecturer
review's faults (one way of writing scripts per slide; h₀ and c₀ one arrow each)."""

import re
import shutil
import xml.etree.ElementTree as ElementTree

import pytest
from deck_slides import deck_slides
from drawing_cases import last_step_loss
from hypothesis import given
from hypothesis import strategies as st
from written import as_written, svg_written

import tinygrad_rnn as tr
from tinygrad_rnn import viz
from tinygrad_rnn.cli import main
from tinygrad_rnn.viz import deck_graph_slides, deck_lecture
from tinygrad_rnn.viz.dot import picture_to_dot, scripted_dot, scripts_joined
from tinygrad_rnn.viz.export import equation_lines
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.layout import labelled_layout
from tinygrad_rnn.viz.legibility import label_clashes, measure, slide_fit
from tinygrad_rnn.viz.notation import resolve
from tinygrad_rnn.viz.scripts import SUBSCRIPT_CHARACTERS, SUPERSCRIPT_CHARACTERS, script_runs, svg_markup

needs_graphviz = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
UNICODE_SCRIPTS = set(SUBSCRIPT_CHARACTERS + SUPERSCRIPT_CHARACTERS)


# --- the rule: which names are symbols, which are code --------------------------------------------------------

@pytest.mark.parametrize("symbol, runs", [
    ("W_hh", [("W", "base"), ("hh", "sub")]),
    ("h_0⁽ᵉ⁾", [("h", "base"), ("0", "sub"), ("(e)", "sup")]),
    ("x_{t+1}", [("x", "base"), ("t+1", "sub")]),
    ("h^(t)", [("h", "base"), ("(t)", "sup")]),
    ("∂J/∂b_y|ₜ", [("∂J/∂b", "base"), ("y", "sub"), ("|", "base"), ("t", "sub")]),
    ("W_rec", [("W", "base"), ("rec", "sub")]),  # a lecture's own symbol, given with --name W_hh=W_rec
    ("h′_0", [("h′", "base"), ("0", "sub")]),  # the second call's initial state (h′₁ its states)
    ("1.5·10⁻²", [("1.5·10", "base"), ("−2", "sup")]),
    ("y_hat", [("ŷ", "base")]),  # y with its hat, not y with a subscript "hat"
    ("y_hat_t = linear", [("ŷ", "base"), ("t", "sub"), (" = linear", "base")]),
])
def test_a_symbols_scripts_are_scripts(symbol, runs):
    assert script_runs(symbol) == runs


@pytest.mark.parametrize("code", ["my_rnn", "weight_hh_l0", "rnn.bias_ih_l1_reverse", "W_hh_l0", "x_t_prev",
                                  "head.W_out", "cross_entropy", "log_softmax", '"a_b"', "grad_contributions",
                                  "my_y_hat"])
def test_a_python_name_is_code(code):
    assert script_runs(code) == [(code, "base")]


@given(st.text(alphabet="abWhxy_^0123(){}.| ", max_size=20))
def test_the_runs_keep_every_character_but_the_marks(text):
    """Nothing is lost or invented: the runs hold the text's characters, less the _ or ^ (and braces) of a script."""
    runs = script_runs(text)
    joined = "".join(part for part, _ in runs)
    assert len(joined) <= len(text) and all(part for part, _ in runs)
    assert joined.replace("(", "").replace(")", "") in re.sub(r"[_^{}()]", "", text) or \
        re.sub(r"[_^{}()]", "", joined) == re.sub(r"[_^{}()]", "", text)


# --- every output, by default ------------------------------------------------------------------------------------

def test_a_prediction_named_y_hat_is_drawn_as_y_hat_everywhere():
    """``y_hat = head(h)``, the name a student gives the prediction: the figure (SVG and DOT), the lecture page's
    node names and a slide write ŷ — it was drawn as y with a subscript "hat"."""
    tr.manual_seed(0)
    rnn, head = tr.nn.RNN(2, 3), tr.nn.Linear(3, 2)
    output, _ = rnn(tr.randn(3, 1, 2))
    y_hat = head(output[-1])
    y_hat.name = "y_hat"
    loss = tr.nn.functional.cross_entropy(y_hat, tr.tensor([1]))
    picture = build_picture((loss,), level="cell")
    placed = labelled_layout(picture)
    svg = viz.svg.picture_to_svg(picture, placed[1], placed[0], "t")
    assert "ŷ = linear" in svg and ">hat<" not in svg
    dot = scripted_dot(picture_to_dot(picture))
    assert "ŷ = linear" in dot and "hat" not in dot
    page = viz.lecture(loss, rnn)
    assert "ŷ = linear" in [node["name"] for node in page.data["panels"][0]["nodes"]]


def _rnn_loss():
    _, loss = last_step_loss("rnn", steps=3)
    return loss


def test_the_librarys_own_svg_writes_scripts_as_tspans_and_no_underscore(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no Graphviz: save writes the library's own SVG
    text = viz.save(_rnn_loss(), path=tmp_path / "f.svg", level="cell").read_text(encoding="utf-8")
    assert 'W<tspan dy="0.25em" font-size="80%" xml:space="preserve">hh</tspan>' in text
    words = "".join(ElementTree.fromstring(text).itertext())
    assert "W_hh" not in words and "h_0" not in words and not UNICODE_SCRIPTS & set(words)  # one way: all tspans


@needs_graphviz
def test_graphvizs_svg_writes_scripts_as_one_text_per_line(tmp_path):
    text = viz.save(_rnn_loss(), path=tmp_path / "f.svg", level="cell").read_text(encoding="utf-8")
    words = "".join(ElementTree.fromstring(text).itertext())
    assert "W_hh" not in words and "h_0" not in words and not UNICODE_SCRIPTS & set(words)
    assert 'baseline-shift' not in text  # its pieces joined: a line stays in place in any font
    assert as_written("W_hh, b_hh") in svg_written(text) and as_written("h_0") in svg_written(text)


@needs_graphviz
def test_the_cli_figure_and_draw_write_scripts(tmp_path):
    out = tmp_path / "cli.svg"
    assert main(["graph", "--level", "cell", "--name", "W_hh=W_rec", "-o", str(out)]) == 0
    assert as_written("W_rec") in svg_written(out.read_text(encoding="utf-8"))
    pytest.importorskip("graphviz")
    shown = viz.draw(_rnn_loss(), level="cell")._repr_image_svg_xml()
    assert as_written("W_hh") in svg_written(shown) and "baseline-shift" not in shown


def test_dot_text_stays_plain_and_is_scripted_when_drawn():
    dot = viz.to_dot(_rnn_loss(), level="cell")
    assert "W_hh, b_hh" in dot and "<SUB>" not in dot  # a .dot a reader opens: the names as a program writes them
    drawn = scripted_dot(dot)
    assert 'W<SUB><FONT POINT-SIZE="8">hh</FONT></SUB>' in drawn and "W_hh" not in drawn


class MyRNN(tr.nn.Module):
    """A student's own RNN: its parameters are Python names, code (my_input_weight, W_hh_mine)."""

    def __init__(self) -> None:
        super().__init__()
        self.W_hh_mine = tr.nn.Parameter(tr.randn(3, 3) * 0.3)
        self.my_input_weight = tr.nn.Parameter(tr.randn(3, 2) * 0.3)

    def forward(self, xs):
        h = tr.zeros(1, 3)
        for x in xs:
            h = (x @ self.my_input_weight.T + h @ self.W_hh_mine.T).tanh()
        return h


def test_a_students_own_names_are_not_turned_into_subscripts(tmp_path, monkeypatch):
    tr.manual_seed(0)
    my_rnn = MyRNN()
    loss = my_rnn(tr.randn(3, 1, 2)).sum()
    monkeypatch.setenv("PATH", str(tmp_path))
    text = viz.save(loss, path=tmp_path / "f.svg", level="op").read_text(encoding="utf-8")
    words = "".join(ElementTree.fromstring(text).itertext())
    assert "my_input_weight" in words and "W_hh_mine" in words  # as the student wrote them


# --- the measures read scripted text ---------------------------------------------------------------------------------

def test_a_scripted_arrow_label_is_one_label_to_the_clash_measure():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 50" font-size="10">'
           f'<text class="edge-label" x="50" y="20" font-size="9" text-anchor="middle">{svg_markup("h_4⁽ᵈ⁾")}</text>'
           '</svg>')
    assert label_clashes(svg).count == 0  # (its tspans were read as three labels printed over each other)
    found, fit = measure(svg), slide_fit(svg)
    assert found.smallest_text_px == 72.0 and found.smallest_script_px == 57.6  # 9 units at 1600/200; 80% of it
    assert fit.script_px == round(0.8 * fit.text_px, 1)


def test_graphvizs_script_pieces_count_at_their_lines_size():
    piece = '<text text-anchor="start" x="{}" y="-5" font-family="Helvetica"{} font-size="{}">{}</text>\n'
    drawn = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50"><g id="node1" class="node">\n'
             '<title>n0</title>\n' + piece.format(10, "", "10.00", "W") +
             piece.format(20, ' baseline-shift="sub"', "8.00", "hh") + "</g></svg>")
    assert measure(drawn).smallest_text_px == 160.0 and measure(drawn).smallest_script_px == 128.0
    joined = scripts_joined(drawn)
    assert measure(joined).smallest_text_px == 160.0 and measure(joined).smallest_script_px == 128.0


# --- the review's faults -------------------------------------------------------------------------------------

@pytest.mark.parametrize("notation", ["pytorch", "cs224n"])
def test_every_deck_slide_writes_its_scripts_one_way(notation):
    """One way per slide: every script a tspan — no unicode h₁ in a figure beside a lowered h_t in its text,
    no 10⁻¹ on a chart's axis beside 1.5·10⁻² raised in its numbers."""
    # (the perplexity slide aside, the slow one: test_deck.py's; no figure, its numbers through runs_of)
    for name, svg in deck_slides("lstm", notation).items():
        words = "".join(ElementTree.fromstring(svg).itertext())
        assert not UNICODE_SCRIPTS & set(words), (name, sorted(UNICODE_SCRIPTS & set(words)))


@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, True)])
def test_h0_and_c0_each_enter_the_first_lstm_cell_on_an_arrow_of_their_own(layers, bidirectional):
    """Two quantities, two arrows: c₀ enters at the height c₁ leaves at (above), h₀ where h₁ does."""
    _, loss = last_step_loss("lstm", steps=3, layers=layers, bidirectional=bidirectional)
    picture = build_picture((loss,), level="cell")
    _, placed = labelled_layout(picture)
    ends: dict[int, dict[str, tuple]] = {}
    for (tail, head, _), route in zip(picture.edges, placed.routes):
        first = picture.nodes[tail].label.split("\n")[0]
        if picture.nodes[tail].kind == "input" and first[:1] in "hc" and picture.nodes[head].kind == "group":
            ends.setdefault(head, {})[first[:1]] = route.end
    assert len(ends) == layers * (2 if bidirectional else 1)  # each layer's and direction's first cell
    for head, end in ends.items():
        assert end["c"][1] > end["h"][1] + 5, (picture.nodes[head].label, end)  # c above h (y runs up), apart


def test_the_encoder_decoder_slide_draws_the_end_target_its_model_trains_on():
    """A real pair's last target is [END] (Seq2Seq.score, a training set's targets): the slide's pair is trained
    so, and its figure says so by the last J_t."""
    from tinygrad_rnn.models.seq2seq import END_ID
    from tinygrad_rnn.viz.deck_graph_slides import PAIR_SOURCE, PAIR_TARGETS
    from tinygrad_rnn.viz.lecture_models import NOW, NOW_TARGETS, seq2seq_tokens

    for source, targets in ((NOW, NOW_TARGETS), (PAIR_SOURCE, PAIR_TARGETS)):  # the docs figures' pair, the slide's
        assert targets[-1] == END_ID and seq2seq_tokens(source=source, targets=targets)[-1] == "[END]"
    text = svg_written(deck_graph_slides.encoder_decoder(deck_lecture.Lecture("rnn", resolve("pytorch"))))
    assert "J_{3}: [END]" in text and "No [END] target" not in text


def test_every_exported_stage_writes_its_scripts_one_way():
    """An exported stage's equations wrote 6.6·10⁻² in unicode beside the colour scale's raised power and
    the figure's lowered h₄: one way per slide there too."""
    from tinygrad_rnn.cli import language_model_loss
    from tinygrad_rnn.viz.export import stage_slides

    loss, _ = language_model_loss("lstm", steps=3)
    for name, svg in stage_slides(viz.lecture(loss)):
        words = "".join(ElementTree.fromstring(svg).itertext())
        assert not UNICODE_SCRIPTS & set(words), (name, sorted(UNICODE_SCRIPTS & set(words)))


@needs_graphviz
def test_without_rsvg_convert_a_png_is_drawn_with_plain_labels_and_says_so(tmp_path, monkeypatch):
    """Graphviz's own PNG sets a second line's scripts over the line below: without rsvg-convert to draw
    them from the SVG, the labels are written plain (W_hh), and a warning says what to install."""
    programs = tmp_path / "bin"
    programs.mkdir()
    for name in ("dot", "neato"):
        (programs / name).symlink_to(shutil.which(name))
    monkeypatch.setenv("PATH", str(programs))
    sent = []
    real_run = viz.render.subprocess.run

    def run(command, **options):  # what Graphviz is given
        sent.append(options.get("input", b"").decode("utf-8"))
        return real_run(command, **options)

    monkeypatch.setattr(viz.render.subprocess, "run", run)
    with pytest.warns(viz.render.PlainLabelsWarning, match="install rsvg-convert"):
        path = viz.save(last_step_loss("rnn", 2)[1], path=tmp_path / "f.png")
    assert path.read_bytes().startswith(b"\x89PNG") and "W_hh" in sent[-1] and "<SUB>" not in sent[-1]


def test_a_name_sliced_by_numbers_is_code_and_a_lectures_index_is_math():
    assert script_runs("PyTorch's h_n[-2:]") == [("PyTorch's h_n[-2:]", "base")]
    assert script_runs("ŷ_t[x_{t+1}]")[:2] == [("ŷ", "base"), ("t", "sub")]


def test_a_sums_limits_are_set_on_one_line_lower_to_upper_by_every_writer():
    """(1/4)Σₜ₌₃⁴ ∂Jₜ/∂h₂ was set with the upper limit after the lower, one after the other on a line (review 22b,
    the ReLU, no-bias and padded figures): it read Σ_{t=3⁴}. Every writer sets the limits Σ_{t=3…4}, one subscript."""
    label = "(1/4)Σₜ₌₃⁴ ∂Jₜ/∂h₂"
    assert script_runs(label) == [("(1/4)Σ", "base"), ("t=3…4", "sub"), (" ∂J", "base"), ("t", "sub"),
                                  ("/∂h", "base"), ("2", "sub")]
    assert ">t=3…4</tspan>" in svg_markup(label) and 'font-size="80%" xml:space="preserve">4<' not in svg_markup(label)
    dot = scripted_dot(f'  n0 -> n1 [label="{label}"];')
    assert "t=3…4</FONT></SUB>" in dot and "<SUP>" not in dot
    # an exported stage's equation, read off the page's MathML (which stacks the limits): on its line as figures
    sums = '<math><mrow><msubsup><mi>Σ</mi><mi>t=3</mi><mi>4</mi></msubsup><mi>∂J_t</mi></mrow></math>'
    assert equation_lines(sums) == [[("Σ", "base"), ("t=3…4", "sub"), (" ∂J", "base"), ("t", "sub")]]
    assert script_runs("h₃⁽¹⁾ ∂J⁽ᵗ⁾") == [("h", "base"), ("3", "sub"), ("(1)", "sup"), (" ∂J", "base"), ("(t)", "sup")]
