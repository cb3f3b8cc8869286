"""A slide figure that cannot fit says so (``SlideFitWarning``), with the figures that would, each drawn and
measured; the CLI says it as its flags. Figures that fit, and free-size drawings, say nothing.

The figures are cases of the CLI's grid that do not fit even after the fit ladder (test_slide_figures.py's
GRID_TOO_SMALL, strict xfails with their numbers), drawn with the library's own SVG (no Graphviz), the
drawing the suite measures everywhere."""

import re
import warnings
from types import SimpleNamespace

import pytest
from test_cli_grid import GRID, arguments
from test_slide_figures import GRID_TOO_SMALL, case_id, grid_case

import tinygrad_rnn as tr
from tinygrad_rnn import cli
from tinygrad_rnn.viz import fit_advice
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.legibility import slide_fit
from tinygrad_rnn.viz.picture import steps_in_time

OPS_OF_A_GRADIENT = "lstm-op-1-False-last-backward-False-3-cmu"  # fits at a coarser level


def too_small(name: str) -> dict:
    assert name in GRID_TOO_SMALL, f"{name} fits a slide now: take another case of GRID_TOO_SMALL"
    return next(grid_case(case) for case in GRID if case_id(case) == name)


def loss_and_options(case: dict, path) -> tuple:
    """The loss the CLI draws for ``case``, and the keyword arguments it passes to save."""
    args = cli.build_parser().parse_args(arguments(case, path))
    loss, _ = cli._last_step_loss(case["cell"], args)
    return loss, {"level": case["level"], "notation": case["notation"],
                  "backward": {"none": False, "backward": True, "both": "both"}[case["backward"]]}


def saved(loss, path, **options) -> tuple[str, list[warnings.WarningMessage]]:
    """The SVG save writes, and the slide-fit warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", tr.viz.SlideFitWarning)
        text = tr.viz.save(loss, path=path, **options).read_text()
    return text, [w for w in caught if issubclass(w.category, tr.viz.SlideFitWarning)]


def test_a_figure_that_cannot_fit_warns_with_its_numbers_and_each_suggestion_drawn_fits(tmp_path, library_svg):
    loss, options = loss_and_options(too_small(OPS_OF_A_GRADIENT), tmp_path / "f.svg")
    text, caught = saved(loss, tmp_path / "f.svg", **options)
    assert len(caught) == 1 and caught[0].filename == __file__  # (pointing at the caller's line, as LargeGraphWarning)
    warning, found = caught[0].message, slide_fit(text)
    assert (warning.text_px, warning.label_px, warning.aspect) == (found.text_px, found.label_px, found.aspect)
    assert not found.fits and f"text is {found.text_px:g} px on a 1,920 × 1,080 slide" in str(warning)
    assert warning.suggestions, str(warning)
    with pytest.warns(tr.viz.SlideFitWarning, match=f"text is {found.text_px:g} px"):
        tr.viz.draw(loss, **options)  # (draw warns as save does)
    for suggestion in warning.suggestions:
        assert tr.viz.render.as_keywords(suggestion) in str(warning)  # said in Python: level="step"
        drawn, again = saved(loss, tmp_path / "s.svg", **{**options, **dict(suggestion)})
        assert slide_fit(drawn).fits and not again, suggestion


def test_a_figure_that_fits_does_not_warn_nor_one_drawn_free_size(tmp_path, library_svg):
    loss, options = loss_and_options(too_small(OPS_OF_A_GRADIENT), tmp_path / "f.svg")
    with warnings.catch_warnings():
        warnings.simplefilter("error", tr.viz.SlideFitWarning)
        assert not slide_fit(tr.viz.save(loss, path=tmp_path / "free.svg", slide=False, **options).read_text()).fits
        fitting = tr.viz.save(loss, path=tmp_path / "cell.svg", **{**options, "level": "cell"}).read_text()
        assert slide_fit(fitting).fits
        tr.viz.draw(loss, **options, slide=False)


def test_the_cli_says_it_as_its_flags_and_each_figure_it_offers_fits(tmp_path, library_svg, capsys, monkeypatch):
    # (the CLI's grid held one figure of both that fitted as two, forward and backward: it fits a slide now)
    case = too_small(OPS_OF_A_GRADIENT)
    offered = []
    monkeypatch.setattr(cli, "_as_flags", lambda suggestion: offered.append(suggestion) or cli_flags(suggestion))
    assert cli.main(arguments(case, tmp_path / "figure.svg")) == 0
    said = capsys.readouterr().err
    found = slide_fit((tmp_path / "figure.svg").read_text())
    assert said.startswith(f"tinygrad-rnn graph: warning: figure.svg: this figure's text is {found.text_px:g} px")
    assert "draw it with --free-size for a notebook" in said and "slide=False" not in said and "level=" not in said
    assert offered, said
    if any(("backward", True) in suggestion for suggestion in offered):  # forward and backward apart
        assert "as two figures, " in said
    for suggestion in offered:
        assert cli_flags(suggestion) in said
        flags = arguments(case, tmp_path / "offered.svg")
        if "backward" in dict(suggestion):
            flags.remove("--forward-and-backward")
        for name, value in suggestion:
            flags += ["--backward"] if (name, value) == ("backward", True) else \
                [] if name == "backward" else cli._as_flag(name, value).split()
        assert cli.main(flags) == 0
        assert "warning" not in capsys.readouterr().err, flags
        assert slide_fit((tmp_path / "offered.svg").read_text()).fits, flags


cli_flags = cli._as_flags  # (the CLI's own, kept before the test above records its calls)


def search(fits, nodes: dict, seconds: float = float("inf")) -> tuple[list, list[dict]]:
    """fit_advice.fitting on a made-up figure of ops, forward and backward, with shapes asked for (8 steps, one
    layout a figure, a node's layout taking 10 ms, the figure itself ``seconds``): what it found, and the changes
    it drew, in order."""
    options = {"level": "op", "backward": "both", "show_shapes": True, "rolled": False, "time_steps": None,
               "params": None}
    drawn, spent = [], [0.0]

    def size(changed: dict) -> int:
        return nodes.get((changed["level"], changed["backward"], changed["time_steps"]), nodes["else"])

    def measured(changed: dict) -> bool:
        drawn.append({name: value for name, value in changed.items() if value != options[name]})
        spent[0] += size(changed) / 100
        return fits(changed)

    found = fit_advice.fitting(options, 8, measured, size, lambda changed: 1, seconds, clock=lambda: spent[0])
    return found, drawn


def test_the_search_draws_one_change_first_the_level_kept_first_the_cheapest_first_and_stops_past_its_time():
    nodes = {("op", "both", None): 500, ("cell", "both", None): 600, ("step", "both", None): 100,
             ("op", "both", (0, 1, 2)): 150, ("op", False, None): 300, ("op", True, None): 300, "else": 250}
    found, drawn = search(lambda changed: changed["show_shapes"] is False or changed["level"] == "step", nodes,
                          seconds=5.0)
    # the cell level (600 nodes, more than the figure) is never drawn; the cheapest change that keeps the ops
    # first (before: level="step", the cheapest, first); after 2.5 s (half the figure's 5 s) no drawing starts
    # but a coarser level's, while nothing fits yet (show_shapes=False, which would fit, is not drawn)
    assert drawn == [{"time_steps": (0, 1, 2)}, {"params": "hide"}, {"level": "step"}]
    assert found == [(("level", "step"),)]


def test_past_its_time_a_coarser_level_is_drawn_only_while_nothing_fits():
    nodes = {("op", "both", None): 500, ("step", "both", None): 100, "else": 250}
    found, drawn = search(lambda changed: changed["time_steps"] == (0, 1, 2) or changed["level"] != "op", nodes,
                          seconds=1.0)
    assert drawn == [{"time_steps": (0, 1, 2)}] and found == [(("time_steps", (0, 1, 2)),)]


def test_the_finer_of_two_coarser_levels_is_offered_first():
    nodes = {("op", "both", None): 500, ("cell", "both", None): 400, ("step", "both", None): 100, "else": 600}
    found, drawn = search(lambda changed: changed["level"] != "op", nodes)
    assert found == [(("level", "cell"),), (("level", "step"),)]  # (before: step, the cheaper, first)


def test_the_search_stops_at_two_that_fit_counting_two_figures_apart_as_one():
    nodes = {("op", "both", None): 500, ("cell", "both", None): 600, "else": 10}
    found, drawn = search(lambda changed: changed["backward"] != "both", nodes)
    assert drawn[:3] == [{"time_steps": (0, 1, 2)}, {"backward": False}, {"backward": True}]
    # the same two figures at level="step" would say them again (before: offered too, each pair said twice)
    assert [dict(figure) for figure in found] == [{"backward": False}, {"backward": True}]
    assert {"level": "cell"} not in drawn and {"backward": False, "level": "step"} not in drawn


def test_a_change_found_to_fit_is_not_offered_again_with_another_added():
    found, drawn = search(lambda changed: changed["time_steps"] == (0, 1, 2), {("op", "both", None): 500, "else": 10})
    assert found == [(("time_steps", (0, 1, 2)),)]  # before: also time_steps=(0, 1, 2), level="step", and others
    assert [change for change in drawn if "time_steps" in change] == [{"time_steps": (0, 1, 2)}]


def test_the_second_of_two_figures_is_drawn_only_where_the_first_fits():
    found, drawn = search(lambda changed: changed["backward"] is True, {("op", "both", None): 500, "else": 10})
    assert found == [] and {"backward": False} in drawn and {"backward": True} not in drawn


def test_a_warning_the_caller_ignores_draws_no_suggestion(monkeypatch):
    """The search runs for its warning alone: under ``simplefilter("ignore", SlideFitWarning)`` it is not run (it spent
    seconds drawing figures nobody saw: a 2-layer bidirectional tagger's BPTT 3.4 s of 6.2); under any other filter
    it is, and the warning is given with what it found. (A figure that fits no slide, as the ladder measured it.)"""
    searched = []
    monkeypatch.setattr(tr.viz, "fitting", lambda *args, **kwargs: searched.append(args) or [(("level", "step"),)])
    tr.manual_seed(0)
    loss = tr.nn.RNN(2, 3)(tr.randn(3, 1, 2))[0].sum()
    options = tr.viz._defaults({"level": "cell"})
    picture = build_picture((loss,), level="cell")
    unfit = SimpleNamespace(picture=picture, slide_fit=SimpleNamespace(fits=False, text_px=9.8, label_px=10.8,
                                                                       aspect=2.4), placed=SimpleNamespace(texts=[]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore", tr.viz.SlideFitWarning)
        tr.viz._warn_if_unfit((loss,), options, unfit, 0.1)
        assert searched == [] and caught == []
        warnings.simplefilter("always", tr.viz.SlideFitWarning)
        tr.viz._warn_if_unfit((loss,), options, unfit, 0.1)
    assert len(searched) == 1 and [str(w.message).count('level="step"') for w in caught] == [1]
    assert not fit_advice.ignored(tr.viz.SlideFitWarning)  # (the suite's own filters show it)


def test_no_suggestion_at_all_still_says_how_to_draw_it_unfitted():
    warning = tr.viz.SlideFitWarning(9.8, 10.8, 2.4, [])
    assert "none of the smaller figures tried fits; draw it with slide=False for a notebook" in str(warning)
    assert warning.advice(cli._as_flags, "--free-size").endswith("draw it with --free-size for a notebook (free size, "
                                                                 "every step)")


def test_the_warning_says_how_many_names_went_into_the_key():
    """A figure whose arrows are numbered, their names in a key under it (wire_markers.py), says so: the key takes
    room on the slide (the 4-step bidirectional GRU tagger's BPTT: 7 names, its text 17.5 px, 18.4 px before)."""
    warning = tr.viz.SlideFitWarning(17.5, 19.4, 1.69, [], keyed=7)
    assert "1.69 : 1; 7 arrows numbered, their names in a key under it" in str(warning)
    assert "arrows numbered" not in str(tr.viz.SlideFitWarning(17.5, 19.4, 1.69, []))


@pytest.mark.parametrize("suggestion, flags", [
    ((("level", "cell"),), "--level cell"),
    ((("time_steps", (0, 1, 2)),), "--time-steps 1:3"),
    ((("show_shapes", False),), "--no-shapes"),
    ((("params", "hide"),), "--params hide"),
    ((("backward", False), ("level", "step")), "--level step without --forward-and-backward"),
    ((("backward", True), ("time_steps", (0, 1, 2))), "--backward --time-steps 1:3"),
])
def test_each_suggestion_as_the_cli_flags_that_draw_it(suggestion, flags):
    assert cli_flags(suggestion) == flags


def seq2seq_loss():
    """Four words in, four out: too wide for a slide (three and three fit since the losses' mean and J stand over
    the encoder's last cell)."""
    tr.manual_seed(0)
    model = tr.models.Seq2Seq(8, 8, 3, 4, cell="gru")
    logits = model(tr.tensor([[1, 2, 3, 6]]), tr.tensor([[0, 4, 5, 6]]))
    return tr.nn.functional.cross_entropy(logits.reshape(-1, 8), tr.tensor([4, 5, 6, 1]))


def users_seq2seq_loss():
    """An encoder–decoder written with two cells: the encoder's last h starts the decoder; a loss per decoder step
    (four words each way, as :func:`seq2seq_loss`)."""
    tr.manual_seed(0)
    emb, encoder, decoder, head = tr.nn.Embedding(8, 3), tr.nn.GRUCell(3, 4), tr.nn.GRUCell(3, 4), tr.nn.Linear(4, 8)
    h, losses = None, []
    for t, word in enumerate([1, 2, 3, 6]):
        with tr.scope(f"t={t + 1}"):
            h = encoder(emb(tr.tensor([word])), h)
    for t, (word, target) in enumerate(zip([0, 4, 5, 6], [4, 5, 6, 1])):
        with tr.scope(f"t={t + 1}"):
            h = decoder(emb(tr.tensor([word])), h)
            losses.append(tr.nn.functional.cross_entropy(head(h), tr.tensor([target])))
    return tr.stack(losses).mean()


def language_model_loss(steps=5):
    tr.manual_seed(0)
    model = tr.models.LanguageModel(10, 3, 4, cell="lstm")
    ids = [1, 4, 2, 7, 3, 5, 6, 8, 9][:steps + 1]
    logits, _ = model(tr.tensor([ids[:-1]]))
    return tr.nn.functional.cross_entropy(logits.reshape(-1, 10), tr.tensor(ids[1:]))


@pytest.mark.parametrize("make_loss, options, chains", [
    (seq2seq_loss, {"level": "cell"}, [(1, 4), (5, 8)]),
    # (every step: drawn as asked, 8 of them; without time_steps its middle is left out, and it fits:
    # test_slide_fallback.py)
    (users_seq2seq_loss, {"level": "cell", "time_steps": slice(None)}, [(1, 4), (5, 8)]),
    # (every step asked for: at op level the ladder fits the five steps as t = 1, …, 5, 28.8 px, since what follows
    # the last step stands in one column beside it; drawn whole they do not fit, 16.9 px)
    (language_model_loss, {"level": "op", "time_steps": slice(None)}, [(1, 5)]),
])
def test_each_suggestion_followed_draws_the_loss_and_every_chain_and_fits(make_loss, options, chains, tmp_path,
                                                                           library_svg):
    """Before, an encoder–decoder was offered time_steps=(0, 1, 2) — its encoder's steps alone: no decoder, no
    head, no J_t — and offered it twice (alone, and with level="step")."""
    _, caught = saved(make_loss(), tmp_path / "f.svg", **options)
    suggestions = caught[0].message.suggestions
    assert len(set(suggestions)) == len(suggestions)
    for suggestion in suggestions:
        assert not any(set(other) < set(suggestion) for other in suggestions), suggestions  # one said again
        followed = {**options, **dict(suggestion)}
        drawn, again = saved(make_loss(), tmp_path / "s.svg", **followed)
        assert slide_fit(drawn).fits and not again, suggestion
        picture = build_picture((make_loss(),), **followed)
        columns = steps_in_time(picture.nodes, picture.edges, drawn_only=True)
        assert all(any(first <= column <= last for column in columns) for first, last in chains), (suggestion, columns)
        assert any(re.match("J[₁-₉]+ =", node.label) for node in picture.nodes), suggestion  # a J_t, into J


def stacked_tagger_loss():
    """A 2-layer GRU tagger written as a course writes it (nn.Embedding, nn.GRU(num_layers=2), nn.Linear): four
    words, a tag for each."""
    tr.manual_seed(0)
    embedding, layers, head = tr.nn.Embedding(10, 4), tr.nn.GRU(4, 5, num_layers=2, batch_first=True), \
        tr.nn.Linear(5, 5)
    output, _ = layers(embedding(tr.tensor([[1, 2, 3, 1]])))
    return tr.nn.functional.cross_entropy(head(output).reshape(-1, 5), tr.tensor([0, 1, 2, 0]))


TAGGED = {"level": "cell", "tokens": "the keys to the".split(), "targets": ["DT", "NNS", "TO", "DT"]}


def test_a_stacked_layers_cells_are_offered_before_a_coarser_level_and_the_offer_followed_fits(tmp_path, library_svg):
    """Before, the only figure offered was level="step": each step's four cells as one box, the lesson's cells
    gone. params="hide" keeps them (the weights' names in every cell were the widest text: 22.5 px → 25.5 px).
    (params="label" as asked: without it, the ladder names each row's weights once in a key, and it fits, 25.3 px:
    test_slide_fallback.py.)"""
    _, caught = saved(stacked_tagger_loss(), tmp_path / "f.svg", **TAGGED, params="label")
    suggestions = caught[0].message.suggestions
    assert suggestions[0] == (("params", "hide"),) and (("level", "step"),) in suggestions[1:], suggestions
    assert 'it fits with params="hide", or with level="step"' in str(caught[0].message)
    drawn, again = saved(stacked_tagger_loss(), tmp_path / "s.svg", **{**TAGGED, "params": "label",
                                                                       **dict(suggestions[0])})
    assert slide_fit(drawn).fits and not again
    picture = build_picture((stacked_tagger_loss(),), **TAGGED, **dict(suggestions[0]))
    assert [node.label.split("\n")[0] for node in picture.nodes].count("GRU cell") == 2 * 4  # every layer's cells


def test_a_stacked_layers_gradient_that_only_a_coarser_level_fits_is_offered_it_still(tmp_path, library_svg):
    """Its BPTT: params="hide" leaves the Σ of each weight's terms drawn (21.4 px, as before) and the first three
    steps are narrower (18.7 px): neither is offered; level="step" fits."""
    _, caught = saved(stacked_tagger_loss(), tmp_path / "f.svg", **TAGGED, backward=True)
    assert caught[0].message.suggestions == [(("level", "step"),)], caught[0].message.suggestions



def test_draw_and_save_see_the_callers_ignoring_filter():
    """draw() and save() say each warning once by catching every warning under simplefilter("always"), which hid the
    caller's "ignore" from fit_advice.ignored: the search ran for a warning nobody read. What they build sees it."""
    from tinygrad_rnn.viz.fit_advice import ignored

    seen = tr.viz._each_warning_once(lambda: ignored(tr.viz.SlideFitWarning))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tr.viz.SlideFitWarning)
        assert seen() is True
    with warnings.catch_warnings():
        warnings.simplefilter("always", tr.viz.SlideFitWarning)
        assert seen() is False
