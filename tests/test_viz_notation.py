"""Names a lecture can trust: each layer, direction and module names its own tensors, a tensor used
twice carries one name, and every lecture's notation (presets, a dict, the CLI's --notation and
--name) reaches the figure — Graphviz's DOT and the library's own SVG — and the lecture page."""

import re

import pytest
from drawing_cases import last_step_loss
from written import as_written, dot_written, svg_written

import tinygrad_rnn as tr
from tinygrad_rnn import viz
from tinygrad_rnn.cli import language_model_loss, main
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.layout import labelled_layout
from tinygrad_rnn.viz.notation import PRESETS
from tinygrad_rnn.viz.picture import display_label
from tinygrad_rnn.viz.svg import picture_to_svg

PYTORCH = ("W_ih", "W_hh", "b_ih", "b_hh")


def both_texts(loss, **options) -> list[str]:
    """The figure as Graphviz's DOT and as the library's own SVG (labels unescaped), free size: each label
    and note on one line (a slide breaks long ones); their scripts marked alike (W_{hh}^{(1)}: tests/written.py)."""
    dot = viz.to_dot(loss, slide=False, **options)
    picture = build_picture((loss,), **{k: v for k, v in options.items() if k not in ("title", "rankdir")})
    labels, placed = labelled_layout(picture)
    svg = picture_to_svg(picture, placed, labels, "t", figure=True)
    return [dot_written(dot), svg_written(svg)]


def cells(loss, **options):
    picture = build_picture((loss,), level="cell", **options)
    return picture, [n for n in picture.nodes if n.kind == "group" and n.row and n.row[0] != "per step"]


def words(text: str) -> set[str]:
    """The names written in a figure: W_hh, W_hh⁽²⁾, b₁, h₃⁽¹⁾ (superscripts and subscripts kept), each as
    :func:`as_written` marks its scripts (W_{hh}^{(2)})."""
    return set(re.findall(r"[A-Za-zŷ](?:_\{[^}]*\}|\^\{[^}]*\}|[A-Za-z0-9])*", as_written(text)))


def test_two_layers_name_their_own_weights_and_states():
    _, loss = last_step_loss("rnn", steps=3, layers=2)
    picture, drawn = cells(loss)
    for cell in drawn:
        layer = int(cell.row[1].split()[1]) + 1  # a slide counts layers from 1
        mark = "⁽¹⁾" if layer == 1 else "⁽²⁾"
        assert cell.parameters == [f"W_ih{mark}", f"b_ih{mark}", f"W_hh{mark}", f"b_hh{mark}"]
    states = {label for _, _, label in picture.edges if label}
    assert {"h₁⁽¹⁾", "h₂⁽¹⁾", "h₃⁽¹⁾", "h₁⁽²⁾", "h₂⁽²⁾", "h₃⁽²⁾"} <= states
    assert not states & {"h₁", "h₂", "h₃"}  # no state without its layer
    assert "h₃⁽²⁾: the state h of layer 2 at step 3" in picture.notes  # which index is which, said once
    for text in both_texts(loss, level="cell"):
        assert as_written("W_hh⁽¹⁾") in text and as_written("W_hh⁽²⁾") in text and as_written("W_hh,") not in text
        assert "the same at every step of its layer" in text
        assert "layer 1 →" in text and "layer 2 →" in text and "layer 0" not in text


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_the_shared_weights_note_names_every_layers_own(kind, bidirectional):
    """A step node draws both layers' weights in one node (no chain of either): its footnote named only
    "W_hh⁽²⁾, …", as if W_hh⁽¹⁾ were not the same at every step, and did not say "of its layer". It names
    each layer's (and direction's) W_hh, as the cell level does."""
    _, loss = last_step_loss(kind, steps=3, layers=2, bidirectional=bidirectional)
    marks = ["¹→", "¹←", "²→", "²←"] if bidirectional else ["¹", "²"]
    for level in ("step", "cell"):
        notes = [note for note in build_picture((loss,), level=level).notes if "each is one tensor" in note]
        assert len(notes) == 1, (level, notes)
        assert notes[0].startswith(", ".join(f"W_hh⁽{mark}⁾" for mark in marks)), (level, notes)
        assert notes[0].endswith("of its layer" + (" and direction" if bidirectional else "")), (level, notes)


def test_the_marks_note_explains_them_at_a_step_the_figure_draws():
    """Over two steps (the deck's stacked layers) the note said "h₃⁽²⁾ … at step 3", a state the figure does
    not draw: its example is a step drawn, named as the figure's own edge names it."""
    _, loss = last_step_loss("rnn", steps=2, layers=2)
    for slide in (False, True):
        picture = build_picture((loss,), level="cell", slide=slide)
        notes = [note for note in picture.notes if "the state h of layer" in note]
        assert notes == ["h₂⁽²⁾: the state h of layer 2 at step 2"], (slide, picture.notes)
        assert "h₂⁽²⁾" in {label for _, _, label in picture.edges}


def test_two_directions_name_their_own_weights_and_states():
    _, loss = last_step_loss("gru", steps=3, bidirectional=True)
    picture, drawn = cells(loss)
    for cell in drawn:
        arrow = "→" if "forward" in cell.row else "←"
        assert all(name.endswith(f"⁽{arrow}⁾") for name in cell.parameters), cell.parameters
    states = {label for _, _, label in picture.edges if label}
    assert "h₂⁽→⁾" in states and "h₂⁽←⁾" in states
    for text in both_texts(loss, level="cell"):
        assert as_written("W_hh⁽→⁾") in text and as_written("W_hh⁽←⁾") in text
        assert "of its direction" in text


def test_encoder_and_decoder_name_their_own_weights():
    tr.manual_seed(0)
    model = tr.models.Seq2Seq(8, 7, 3, 4, cell="rnn")
    logits = model(tr.tensor([[4, 5, 6]]), tr.tensor([[2, 5]]))
    loss = tr.nn.functional.cross_entropy(logits.reshape(-1, 7), tr.tensor([5, 3]))
    for text in both_texts(loss, level="cell"):
        assert all(as_written(name) in text for name in ("W_hh⁽ᵉ⁾", "W_hh⁽ᵈ⁾", "h₃⁽ᵉ⁾", "h₁⁽ᵈ⁾"))  # its own step 1
        assert as_written("h₄⁽ᵈ⁾") not in text
        assert as_written("W_hh,") not in text  # no bare name that would say the two share it
        # e₁ of the encoder (E_x x₁) and of the decoder (E_y y₀): two tensors, two names
        assert all(as_written(name) in text for name in ("e₁⁽ᵉ⁾", "e₃⁽ᵉ⁾", "e₁⁽ᵈ⁾", "e₂⁽ᵈ⁾"))
    backward = build_picture((loss,), level="cell", backward=True)
    gradients = {label for _, _, label in backward.edges if label.startswith("∂J/∂e")}
    assert {"∂J/∂e₁⁽ᵉ⁾", "∂J/∂e₁⁽ᵈ⁾"} <= gradients and "∂J/∂e₁" not in gradients
    sums = [n.label for n in backward.nodes if n.label.startswith("∂J/∂W_ih")]
    assert sorted(s.split(" =")[0] for s in sums) == ["∂J/∂W_ih⁽ᵈ⁾", "∂J/∂W_ih⁽ᵉ⁾"]


@pytest.mark.parametrize("level", ["cell", "step"])
@pytest.mark.parametrize("backward", [False, True, "both"])
def test_an_encoder_decoders_two_embeddings_keep_their_marks_in_every_figure(level, backward):
    """Before, backward="both" drew "e₁ = embedding E_x" and "e₁ = embedding E_y" (two tensors, one name) beside
    arrows saying ∂J/∂e₁⁽ᵉ⁾ and ∂J/∂e₁⁽ᵈ⁾; backward=True drew "embedding t=1" for both lookups."""
    tr.manual_seed(0)
    model = tr.models.Seq2Seq(8, 8, 3, 4, cell="gru")
    logits = model(tr.tensor([[1, 2, 3]]), tr.tensor([[0, 4, 5]]))
    loss = tr.nn.functional.cross_entropy(logits.reshape(-1, 8), tr.tensor([4, 5, 1]))
    picture = build_picture((loss,), level=level, backward=backward, show_shapes=False, slide=True)  # as drawn
    firsts = [display_label(node).replace("=\n", "= ").split("\n")[0] for node in picture.nodes]
    if backward is True:  # a node per lookup, named by its op and marked with the module that reads it
        lookups = [first.split(",")[0] for first in firsts if first.startswith("embedding")]  # (", backward")
        assert sorted(lookups) == sorted(["embedding⁽ᵉ⁾"] * 3 + ["embedding⁽ᵈ⁾"] * 3)
    else:
        values = sorted(first.split(" =")[0] for first in firsts if first.endswith(" = embedding"))
        assert values == sorted(f"e{t}⁽{m}⁾" for t in "₁₂₃" for m in "ᵉᵈ"), values


def test_one_layer_keeps_plain_names():
    _, loss = last_step_loss("lstm", steps=3)
    for text in both_texts(loss, level="cell"):
        assert as_written("W_ih, b_ih") in text and "^{(" not in text
        assert as_written("W_hh, b_hh, …: each is one tensor, the same at every step") in text


@pytest.mark.parametrize("level", ["op", "cell"])
def test_a_figure_of_one_step_says_nothing_of_every_step(level):
    """One step has no other step for a weight to be the same at: the footnote is for two or more (the deck's
    cell slides cut it out of the notes by hand; the library wrote it under every figure with a step)."""
    for steps, said in ((1, False), (2, True)):
        _, loss = last_step_loss("lstm", steps=steps)
        for text in both_texts(loss, level=level):
            assert ("the same at every step" in text) == said, (steps, level)


def test_tied_embedding_is_drawn_with_one_name_and_said_to_be_one_tensor():
    tr.manual_seed(0)
    model = tr.models.LanguageModel(10, 4, 4, cell="rnn", fused=False)
    model.head.weight = model.embedding.weight  # tied: one tensor, read by the embedding and the head
    model.embedding.weight.name = "E"
    logits, _ = model(tr.tensor([[1, 2, 3]]))
    loss = tr.nn.functional.cross_entropy(logits.reshape(-1, 10), tr.tensor([2, 3, 4]))
    picture = build_picture((loss,), level="cell", notation="cs224n")
    embeddings = [n for n in picture.nodes if n.label.startswith("e⁽")]
    heads = [n for n in picture.nodes if n.label.startswith("linear")]
    assert embeddings and heads
    # CS224N's E is d × |V|: its head reads the one tensor transposed, U = Eᵀ (never "E" as if the head were E)
    assert all(n.parameters == ["E"] for n in embeddings) and all(n.parameters[0] == "U = Eᵀ" for n in heads)
    assert [note for note in picture.notes if note.startswith("U = Eᵀ (tied): one tensor")], picture.notes
    model.embedding.weight.name = "table"  # a name of the user's own stays in every box
    picture = build_picture((loss,), level="cell", notation="cs224n")
    drawn = [n.parameters for n in picture.nodes if n.label.startswith(("e⁽", "linear"))]
    assert drawn and all("table" in names and "U = Eᵀ" not in names for names in drawn), drawn


def test_a_tensor_read_by_two_layers_carries_one_name():
    tr.manual_seed(0)
    rnn = tr.nn.RNN(3, 3, num_layers=2)
    rnn.weight_hh_l1 = rnn.weight_hh_l0  # one W_hh for both layers
    output, _ = rnn(tr.randn(2, 1, 3))
    _, drawn = cells(output.sum())
    shared = {name for cell in drawn for name in cell.parameters if name.startswith("W_hh")}
    assert shared == {"W_hh"}  # unmarked: it belongs to no one layer


EXPECTED = {  # the names each preset writes in the language model's cell-level figure
    "pytorch": {"W_ih", "W_hh", "b_ih", "b_hh", "E", "W_hy", "b_y"},
    "cs224n": {"W_e", "W_h", "b₁", "U", "b₂", "E"},
    "cmu": {"W_xh", "W_hh", "b_h", "W_hy", "b_y"},
    "usc": {"W_x", "W_h", "b"},
    "elman": {"W", "V", "U", "b_h", "b_y"},
}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_names_the_figure_and_leaves_none_of_pytorchs(preset):
    loss, _ = language_model_loss("rnn", steps=3)
    for text in both_texts(loss, level="cell", notation=preset):
        written = words(text)
        expected = {as_written(name) for name in EXPECTED[preset]}
        assert expected <= written, expected - written
        if preset not in ("pytorch", "cmu"):
            assert not written & words(" ".join(PYTORCH)), written & words(" ".join(PYTORCH))
        if preset == "cmu":
            assert not written & words("W_ih b_ih b_hh")
    if preset == "cs224n":
        picture = build_picture((loss,), level="cell", notation="cs224n")
        labels = [display_label(n) for n in picture.nodes] + [label for *_, label in picture.edges]
        assert {"h⁽¹⁾", "h⁽²⁾", "h⁽³⁾"} <= set(labels)  # time as a superscript in parentheses
        assert any(label.startswith("J⁽²⁾ = ") for label in labels) and any("e⁽¹⁾" in x for x in labels)
        assert not any(re.search(r"[hJe][₁₂₃]", label) for label in labels)
        assert sum("b₁ = bias_ih + bias_hh" in note for note in picture.notes) == 1
        assert all(display_label(n).count("b₁") <= 1 for n in picture.nodes)  # one b₁, not two


def test_the_bptt_figure_and_rolled_view_speak_the_notation():
    loss, _ = language_model_loss("rnn", steps=3)
    backward = build_picture((loss,), level="cell", backward=True, notation="elman")
    sums = "\n".join(n.label for n in backward.nodes)
    assert "∂J/∂V = Σₜ ∂J/∂V|₍ₜ₎" in sums and "∂J/∂U" in sums and "W_hh" not in sums
    rolled = build_picture((loss,), rolled=True, notation="cmu")
    assert "Lₜ = cross_entropy" in [n.label for n in rolled.nodes]  # CMU's loss is L


def test_a_dict_renames_on_top_of_pytorchs_names_and_a_users_own_name_is_kept():
    tr.manual_seed(0)
    model = tr.models.LanguageModel(10, 3, 4, cell="rnn", fused=False)
    model.head.weight.name = "W_hy"  # the user's own name, which no notation maps here
    logits, _ = model(tr.tensor([[1, 2, 3]]))
    loss = tr.nn.functional.cross_entropy(logits.reshape(-1, 10), tr.tensor([2, 3, 4]))
    picture = build_picture((loss,), level="cell", notation={"W_hh": "V", "h": "s"})
    text = "\n".join(display_label(n) for n in picture.nodes) + "".join(label for *_, label in picture.edges)
    assert "V" in words(text) and "W_hh" not in text and "W_hy" in text and "s₂" in text


def test_a_bad_notation_says_what_exists():
    _, loss = last_step_loss("rnn", steps=2)
    with pytest.raises(ValueError, match="no preset 'oxford'; the presets are cmu, cs224n, elman, pytorch, usc"):
        viz.to_dot(loss, level="cell", notation="oxford")
    with pytest.raises(ValueError, match=r"W_hy names nothing in this figure; its names are .*W_hh"):
        viz.to_dot(loss, level="cell", notation={"W_hy": "U"})
    with pytest.raises(TypeError, match="a dict maps names to names"):
        viz.to_dot(loss, level="cell", notation={"W_hh": 3})


def test_tokens_are_written_under_x_t_and_by_j_t():
    loss, _ = language_model_loss("rnn", steps=3, words="the students opened their".split())
    tokens = "the students opened their".split()
    for text in both_texts(loss, level="cell", tokens=tokens):
        for word in ('"the"', '"students"', '"opened"', 'target "students"', 'target "their"'):
            assert word in text
    picture = build_picture((loss,), level="cell", tokens=tokens)
    x = {n.step: n.label for n in picture.nodes if n.kind == "input" and n.step is not None}
    assert x == {1: 'x₁\n"the"', 2: 'x₂\n"students"', 3: 'x₃\n"opened"'}
    with pytest.raises(ValueError, match=r"tokens: the sequence has 3 steps \(t=1…3\); pass its 3 words, one per x_t, "
                                         r"or 4 .*got 2"):
        viz.to_dot(loss, level="cell", tokens=["the", "students"])


def test_a_long_language_model_s_words_follow_their_steps_through_the_steps_left_out():
    """A 16-step language model on a slide is drawn t = 1, 2, 3, …, 15, 16. Its 17 words (T + 1) were refused ("the
    figure has 5 steps; pass 5 words"), and the 5 words asked for went under x₁₅ and x₁₆ as "the", "cabinet". The
    words are the whole sequence's: x₁₅ and x₁₆ get words 15 and 16, J₁₅ word 16, in the forward and BPTT figures,
    and in a figure of steps chosen by time_steps; a wrong count says the sequence's steps, never the drawn ones."""
    words = "the keys to the cabinet by the door on the left are on the table now .".split()
    loss, _ = language_model_loss("rnn", steps=16, words=words)

    def labels(picture, starts):
        return {n.step: n.label.split("\n")[-1] for n in picture.nodes if n.label.startswith(starts) and n.step}

    forward = viz.to_dot(loss, level="cell", tokens=words)
    assert all(re.search(pattern, forward) for pattern in (r'x₁₅\\n\\"table\\"', r'x₁₆\\n\\"now\\"', "t=4…14",
                                                           r'J₁₅ =\\ncross_entropy\\ntarget \\"now\\"')), forward
    bptt = build_picture((loss,), level="cell", backward=True, tokens=words, slide=True)
    assert labels(bptt, "cross_entropy") == {1: 'target "keys"', 2: 'target "to"', 3: 'target "the"',
                                             15: 'target "now"', 16: 'target "."'}
    chosen = build_picture((loss,), level="cell", tokens=words[:16], time_steps=(0, 1, 14))
    assert labels(chosen, "x") == {1: '"the"', 2: '"keys"', 15: '"table"'}
    assert labels(chosen, "J") == {1: 'target "keys"', 2: 'target "to"', 15: 'target "now"'}
    with pytest.raises(ValueError, match=r"tokens: the sequence has 16 steps \(t=1…16, t=4…14 left out\); pass its "
                                         r"16 words, one per x_t, or 17 .*got 5"):
        build_picture((loss,), level="cell", tokens=words[:5], slide=True)


def test_targets_are_written_by_j_t_where_a_tagger_predicts_no_next_word():
    """targets= goes with tokens= through every drawing path (the deck's tagger wrote its tags by hand, after
    the figure was drawn): each x_t its word, each J_t its own target; a count that does not match, or targets
    without their words, is an error that says what to pass."""
    words = "the students opened their".split()
    loss, _ = language_model_loss("rnn", steps=3, words=words)
    tags = ["DT", "NNS", "VBD"]
    for text in both_texts(loss, level="cell", tokens=words[:3], targets=tags):
        assert all(f'target "{tag}"' in text for tag in tags) and 'target "students"' not in text
        assert all(f'"{word}"' in text for word in words[:3])
    picture = build_picture((loss,), level="cell", tokens=words[:3], targets=tags)
    by_j = sorted(n.label.split("\n")[-1] for n in picture.nodes if "cross_entropy" in n.label)
    assert by_j == ['target "DT"', 'target "NNS"', 'target "VBD"']
    with pytest.raises(ValueError, match=r"targets: the sequence has 3 steps .*pass its 3 targets, one per J_t, got 2"):
        viz.to_dot(loss, level="cell", tokens=words[:3], targets=tags[:2])
    with pytest.raises(ValueError, match=r"targets: .*pass tokens=\[...\] too"):
        viz.to_dot(loss, level="cell", targets=tags)


def test_the_bptt_figure_writes_each_j_t_its_target_word():
    words = "the students opened their".split()
    loss, _ = language_model_loss("rnn", steps=3, words=words)
    picture = build_picture((loss,), level="cell", backward=True, tokens=words)
    targets = sorted(n.label.split("\n")[-1] for n in picture.nodes if "cross_entropy, backward" in n.label)
    assert targets == ['target "opened"', 'target "students"', 'target "their"']


def test_the_cli_renames_with_notation_and_name(tmp_path, capsys):
    out = tmp_path / "figure.dot"
    assert main(["graph", "--level", "cell", "--layers", "2", "--name", "W_hh=V", "--name", "x=u",
                 "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "V⁽¹⁾" in text and "V⁽²⁾" in text and "W_hh" not in text and "u₁" in text
    assert main(["graph", "--level", "cell", "--loss", "every", "--notation", "cs224n", "--tokens",
                 "the students opened their", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8").replace("\\n", "\n")
    assert not words(text) & words(" ".join(PYTORCH)) and "W_e" in text and 'target \\"their\\"' in text
    assert main(["graph", "--level", "cell", "--name", "W_hy=U", "-o", str(out)]) == 1
    assert "W_hy names nothing in this figure" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["graph", "--name", "W_hy", "-o", str(out)])
    assert "expected OLD=NEW" in capsys.readouterr().err
    assert main(["graph", "--tokens", "a b c", "--steps", "5", "-o", str(out)]) == 2
    assert "--tokens gives 3 words, so 3 steps" in capsys.readouterr().err


def test_the_pages_weight_selector_keeps_a_renamed_weight_and_its_equations_use_it():
    tr.manual_seed(0)
    model = tr.models.LanguageModel(10, 3, 4, cell="rnn", fused=False)
    model.embedding.weight.name, model.head.weight.name, model.head.bias.name = "E", "W_hy", "b_y"
    model.rnn.weight_hh_l0.name = "W_h"  # a lecture's name, given by hand
    logits, _ = model(tr.tensor([[1, 2, 3, 4]]))
    loss = tr.nn.functional.cross_entropy(logits.reshape(-1, 10), tr.tensor([2, 3, 4, 5]))
    panel = viz.lecture(loss, model.rnn).data["panels"][0]
    assert [w["name"] for w in panel["weights"]] == ["W_h", "W_ih", "b_hh", "b_ih", "W_hy", "b_y", "E"]
    maths = " ".join(stage["math"] for stage in panel["stages"])
    assert "<msub><mi>W</mi><mi>h</mi></msub>" in maths and "<mi>W</mi><mi>hh</mi>" not in maths
    panel = viz.lecture(loss, model.rnn, notation="cs224n", tokens="a b c d e".split()).data["panels"][0]
    assert [w["name"] for w in panel["weights"]] == ["W_h", "W_e", "b₁′", "b₁″", "U", "b₂", "E"]
    maths = " ".join(stage["math"] for stage in panel["stages"])
    assert "<mi>ih</mi>" not in maths and "<mi>hh</mi>" not in maths
    assert "<msup><mi>h</mi><mrow><mo>(</mo><mi>t</mi><mo>)</mo></mrow></msup>" in maths  # h⁽ᵗ⁾
    assert "W_hh" not in panel["svg"] and "W_ih" not in panel["svg"]
    assert "&quot;d&quot;" in panel["svg"] and "target &quot;e&quot;" in panel["svg"]  # the words under x_t, by J_t
    sums = next(stage["math"] for stage in panel["stages"] if stage["phase"] == "sums")
    assert "‖bias_ih.grad‖" in sums and "‖b₁′.grad‖" not in sums.replace("\xa0", " ")  # PyTorch's, said so


def test_the_page_keeps_every_weight_when_the_user_renamed_the_layers_all():
    """Renamed W_e, W_h, b1, b2 by hand and no layer given: the time axis was read off W_ih by its name,
    so the batch-first model's weights were not taken apart by step and four of six left the selector."""
    tr.manual_seed(0)
    model = tr.models.LanguageModel(10, 3, 4, cell="rnn", fused=False)
    for attribute, name in (("weight_ih_l0", "W_e"), ("weight_hh_l0", "W_h"), ("bias_ih_l0", "b1"),
                            ("bias_hh_l0", "b2")):
        getattr(model.rnn, attribute).name = name
    model.head.weight.name, model.head.bias.name = "U", "b3"
    logits, _ = model(tr.tensor([[1, 2, 3, 4]]))
    loss = tr.nn.functional.cross_entropy(logits.reshape(-1, 10), tr.tensor([2, 3, 4, 5]))
    names = [w["name"] for w in viz.lecture(loss).data["panels"][0]["weights"]]
    assert sorted(names) == ["U", "W_e", "W_h", "b1", "b2", "b3", "embedding.weight"]  # E, by the name it has


def test_a_lecture_that_calls_the_loss_l_writes_l_in_every_line_of_its_sums():
    loss, _ = language_model_loss("rnn", steps=3)
    text = viz.to_dot(loss, level="cell", backward=True, notation="cmu", slide=False)  # (each sum on one line)
    assert "∂J" not in text and "∂L/∂W_hh = Σ" in text and "∂L/∂b_y = Σ" in text


def test_a_module_s_mark_beside_the_time_in_cs224n_is_a_mark_not_a_letter():
    tr.manual_seed(0)
    model = tr.models.Seq2Seq(9, 7, embedding_dim=3, hidden_size=4, fused=False)
    text = viz.to_dot(model(tr.tensor([[4, 5, 6]]), tr.tensor([[1, 4]])).sum(), level="cell", notation="cs224n")
    # the module's word raised in brackets, as a layer's and the weights' marks are, then the time: h^[enc]⁽¹⁾, never
    # h⁽ᵉ⁾⁽¹⁾ (two indices side by side, e the embedding), nor h_enc⁽¹⁾ beside W_h^[enc] (two marks for one thing)
    assert "h^[enc]⁽¹⁾" in text and "h⁽ᵉ⁾⁽¹⁾" not in text and "h_enc" not in text and "he⁽" not in text and \
        "hd⁽" not in text


@pytest.mark.parametrize("preset", ["cs224n", "usc", "elman", "cmu"])
@pytest.mark.parametrize("level", ["cell", "op"])
def test_a_gru_keeps_both_biases_where_the_lecture_writes_one(preset, level):
    """A GRU adds b_hn inside r ⊙ (W_hn h + b_hn): no one bias is bias_ih + bias_hh, so its figure draws
    the two (and says why), where an RNN's and an LSTM's write the lecture's one b; USC writes a GRU's
    weights W and U (z_t = σ(W x_t + U h_{t−1})). The two are named as the lecture's parts b′, b″ (its RNN's and
    LSTM's figures' names for bias_ih, bias_hh), never PyTorch's b_ih, b_hh, which the lecture never defines."""
    merged = PRESETS[preset]["names"]["b_ih"]
    for cell in ("gru", "lstm"):
        loss, _ = language_model_loss(cell, steps=2)
        picture = build_picture((loss,), level=level, notation=preset, params="label")
        notes = " ".join(picture.notes)
        drawn = {name for node in picture.nodes for name in node.parameters} | \
            {node.label.split("\n")[0] for node in picture.nodes if node.kind == "parameter"}
        if cell == "gru":
            assert {merged + "′", merged + "″"} <= drawn and not {merged, "b_ih", "b_hh"} & drawn, drawn
            assert "bias_ih + bias_hh" not in notes and "add up" not in notes, notes
            assert "two biases in a GRU, not one" in notes, notes
            if preset == "usc":
                assert {"W", "U"} <= drawn and not {"W_x", "W_h"} & drawn, drawn
        else:
            assert "b_ih" not in drawn and "GRU" not in notes, (drawn, notes)
            assert f"{merged} = " in notes, notes


def gru_beside_rnn():
    """A GRU and a tanh RNN reading one x: two modules, two cells, in one figure."""
    tr.manual_seed(0)
    x = tr.randn(3, 1, 2)
    return (tr.cat([tr.nn.RNN(2, 3)(x)[0][-1], tr.nn.GRU(2, 3)(x)[0][-1]], -1) ** 2).sum()


@pytest.mark.parametrize("preset", ["cs224n", "usc", "elman", "cmu"])
def test_a_gru_beside_an_rnn_keeps_its_own_two_biases(preset):
    """The GRU rule is each module's: beside an RNN, a GRU drew "W⁽ᵍ⁾, b_h⁽ᵍ⁾ / V⁽ᵍ⁾" under the footnote "b_h = bias_ih
    + bias_hh: … the lecture writes their sum", and its BPTT figure summed a ∂J/∂b_h⁽ᵍ⁾ — a GRU's b_hn sits inside
    r ⊙ (…), so no one b is the two. Now its two are b′ and b″ (the RNN's still the lecture's one b), each summed
    apart, and the footnote says both rules."""
    merged = PRESETS[preset]["names"]["b_ih"]
    forward = build_picture((gru_beside_rnn(),), level="cell", notation=preset)
    biases = {node.label.split()[0]: [name for name in node.parameters if name.startswith(merged)]
              for node in forward.nodes if node.kind == "group"}
    gru, rnn = biases["GRU"], biases["RNN"]
    assert len(gru) == 2 and [part in name for name, part in zip(gru, "′″")] == [True, True], gru
    assert len(rnn) == 1 and not set("′″") & set(rnn[0]), rnn
    notes = " ".join(forward.notes)
    assert f"PyTorch's bias_ih, bias_hh ({merged}′, {merged}″): two biases in a GRU, not one" in notes, notes
    assert f"{merged} = bias_ih + bias_hh" in notes, notes  # (the RNN's)
    # said of the RNN's layer, not of every layer the figure draws: the GRU beside it keeps two
    assert "the RNN's" in notes and "PyTorch's layer" not in notes and "PyTorch's two" not in notes, notes
    bptt = build_picture((gru_beside_rnn(),), level="cell", notation=preset, backward=True)
    summed = {name for node in bptt.nodes if node.kind == "output"
              for name in re.findall(r"∂\w/∂(\S+) = Σ", node.label)}
    assert summed == {name for names in biases.values() for name in names} | \
        {name for node in forward.nodes for name in node.parameters if not name.startswith(merged)}, summed


@pytest.mark.parametrize("preset", ["elman", "cs224n", "usc"])
def test_an_op_level_gru_beside_an_rnn_names_each_gradient_once_with_the_mark_after_the_part(preset):
    """At op level both modules' gradients were ∂J/∂b_h four times (two modules made apart both call theirs
    bias_hh_l0; the GRU's two and the RNN's two parts), and the forward figure wrote the RNN's parts b_h⁽ʳ⁾′ beside
    the GRU's b_h′⁽ᵍ⁾. Each tensor has one name, in both figures: the part, then whose it is."""
    loss = gru_beside_rnn()
    forward = build_picture((loss,), level="op", notation=preset, show_shapes=False)
    drawn = {name for node in forward.nodes for name in node.parameters if "′" in name or "″" in name}
    bptt = build_picture((loss,), level="op", notation=preset, backward=True, show_shapes=False)
    gradients = [node.label.split("\n")[0] for node in bptt.nodes if node.label.startswith("∂J/∂")
                 and node.kind == "output"]
    assert len(gradients) == len(set(gradients)) == 8, gradients  # W_ih, W_hh, b_ih, b_hh of each module
    parts = {name.removeprefix("∂J/∂") for name in gradients if "′" in name or "″" in name}
    assert parts == drawn and len(parts) == 4, (parts, drawn)
    assert all(re.fullmatch(r"[^′″⁽^]+[′″](⁽[ʳᵍ]⁾|\^\[(rnn|gru)\])", name) for name in parts), parts
    # and each gradient is named as its tensor is in the forward figure (under USC the GRU's U⁽ᵍ⁾, W⁽ᵍ⁾ were
    # ∂J/∂W_h⁽ᵍ⁾, ∂J/∂W_x⁽ᵍ⁾ in BPTT: its module's cell was told by its last gradient, a bias, read as a tanh RNN's)
    named = {name for node in forward.nodes for name in node.parameters}
    assert {name.removeprefix("∂J/∂") for name in gradients} <= named, (gradients, named)


def test_cs224n_says_what_x_stands_for_where_w_e_is_drawn_on_it():
    """CS224N's W_e multiplies the embedding e⁽ᵗ⁾ = E x⁽ᵗ⁾: a layer drawn alone, W_e on x⁽ᵗ⁾, mixed two notations
    unsaid. Said once where W_e reads x⁽ᵗ⁾; not where an embedding is drawn, nor where W_e is not."""
    said = "The layer is drawn alone: its input x⁽ᵗ⁾ stands for the embedding e⁽ᵗ⁾"
    for level in ("cell", "op"):
        alone = build_picture((last_step_loss("gru", 3)[1],), level=level, notation="cs224n")
        assert alone.notes.count(said) == 1, alone.notes
    hidden = build_picture((last_step_loss("gru", 3)[1],), level="cell", notation="cs224n", params="hide")
    embedded = build_picture((language_model_loss("rnn", steps=2)[0],), level="cell", notation="cs224n")
    pytorch = build_picture((last_step_loss("gru", 3)[1],), level="cell")
    assert not any("stands for" in note for picture in (hidden, embedded, pytorch) for note in picture.notes)


def test_a_gru_lecture_page_names_both_biases_in_the_notation():
    tr.manual_seed(0)
    model = tr.models.LanguageModel(10, 3, 4, cell="gru", fused=False)
    model.embedding.weight.name, model.head.weight.name, model.head.bias.name = "E", "W_hy", "b_y"
    logits, _ = model(tr.tensor([[1, 2, 3, 4]]))
    loss = tr.nn.functional.cross_entropy(logits.reshape(-1, 10), tr.tensor([2, 3, 4, 5]))
    panel = viz.lecture(loss, model.rnn, notation="usc").data["panels"][0]
    # was b (b_hh), b (b_ih), then PyTorch's b_hh, b_ih beside USC's U and W: the parts b″, b′ its RNN's page writes
    assert [w["name"] for w in panel["weights"]][:4] == ["U", "W", "b″", "b′"]
