"""What the lecture page's text says, in each lecture's notation, checked in its data (no browser): one symbol for
one tensor in the weight selector and the sums, the embedding written as the notation stores its table, both states
of an LSTM's step, and every weight that is the same at every step."""

from __future__ import annotations

import re

import pytest

from tinygrad_rnn import viz
from tinygrad_rnn.cli import language_model_loss
from tinygrad_rnn.viz.notation import PRESETS

ONE_BIAS = sorted(name for name, preset in PRESETS.items()
                  if preset["names"].get("b_ih") and preset["names"].get("b_ih") == preset["names"].get("b_hh"))


def panel_of(cell: str, notation: str | None, steps: int = 3) -> dict:
    return viz.lecture(language_model_loss(cell, steps=steps)[0], notation=notation).data["panels"][0]


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("\xa0", " ")


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("notation", ONE_BIAS)
def test_the_lectures_one_bias_is_two_symbols_b_prime_and_b_double_prime_on_the_page(notation, cell):
    """CS224N's page had two buttons "b₁ (b_hh)" and "b₁ (b_ih)", and summed ‖Σ_t ∂J/∂b₁|₍ₜ₎‖ twice: b₁ stood for
    two tensors. As the figures and the deck's cell slide write them: b₁′ (bias_ih) and b₁″ (bias_hh), each its
    own sum, and b₁ = b₁′ + b₁″ said once; the cell's equation keeps the lecture's one b₁."""
    bias = PRESETS[notation]["names"]["b_ih"]
    written = bias.replace("_", "")  # as the page's HTML and MathML read without their tags: b_h's h lowered
    panel = panel_of(cell, notation)
    names = [weight["name"] for weight in panel["weights"]]
    assert len(set(names)) == len(names), names
    assert bias + "′" in names and bias + "″" in names and bias not in names, names
    whose = {weight["name"]: weight["whose"] for weight in panel["weights"]}
    assert (whose[bias + "′"], whose[bias + "″"]) == ("b_ih", "b_hh")
    assert names.index(bias + "′") + 1 == names.index(bias + "″"), names  # read in their marks' order
    sums = next(stage for stage in panel["stages"] if stage["phase"] == "sums")
    said = plain(sums["math"]).replace("∂L/", "∂J/")  # (CMU's loss is L)
    assert f"∂J/∂{written}′|(t)‖ (PyTorch's bias_ih)" in said and f"∂J/∂{written}″|(t)‖ (PyTorch's bias_hh)" in said
    assert f"∂J/∂{written}|" not in said, said
    assert plain(sums["text"]).count(f"{written} = {written}′ + {written}″") == 1, sums["text"]
    unrolled = plain(panel["stages"][1]["text"])
    assert len(re.findall(rf"(?<!\w){re.escape(written)}(?![\w′″])", unrolled)) == 1, unrolled  # the same b₁, once
    assert written + "′" not in unrolled and written + "″" not in unrolled, unrolled


@pytest.mark.parametrize("notation", sorted(PRESETS))
def test_the_embedding_is_written_as_the_notation_stores_its_table(notation):
    """CS224N's E is d × |V| (its figures' footnote: U = Eᵀ), so e⁽ᵗ⁾ = E x⁽ᵗ⁾, the column x⁽ᵗ⁾ picks; its page wrote
    e⁽ᵗ⁾ = E[x⁽ᵗ⁾], a row of it. PyTorch's table is |V| × d, and every other preset keeps E[x_t], a row."""
    panel = panel_of("lstm", notation)
    forward = [plain(stage["text"]) for stage in panel["stages"] if stage["phase"] == "forward"]
    table = next(weight for weight in panel["weights"] if weight["lookup"])
    sums = plain(next(stage["math"] for stage in panel["stages"] if stage["phase"] == "sums"))
    if PRESETS[notation].get("words_as_columns"):
        assert all(f"e({t}) = E x({t}), the embedding of x({t})" in text for t, text in enumerate(forward, 1)), forward
        assert not any("E[" in text for text in forward)
        assert "added into the column of E" in plain(table["bars_html"]) and "in the column of word x(t)" in sums, sums
    else:
        assert all(f"e{t} = E[x{t}], the embedding of x{t}" in text for t, text in enumerate(forward, 1)), forward
        assert "added into the row of E" in plain(table["bars_html"]) and "in row xt" in sums, sums


@pytest.mark.parametrize("notation", sorted(PRESETS))
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_the_forward_text_names_both_states_of_an_lstm_and_the_unrolled_text_every_shared_weight(cell, notation):
    """An LSTM's page said "h₁ from h₀ and e₁", with c₀ drawn right there: h₁, c₁ from h₀, c₀ and e₁. The unrolled
    stage said "the same W_hh, W_ih, b_hh, b_ih at every step", where E, W_hy and b_y (in the selector) are the same
    at every step too: it names every weight the selector lists."""
    panel = panel_of(cell, notation)
    superscript = PRESETS[notation]["time"] == "superscript"

    def at(name, step):
        return f"{name}({step})" if superscript else f"{name}{step}"

    forward = [plain(stage["text"]) for stage in panel["stages"] if stage["phase"] == "forward"]
    for t, text in enumerate(forward, 1):
        states = f"{at('h', t)}, {at('c', t)} from {at('h', t - 1)}, {at('c', t - 1)} and " if cell == "lstm" else \
            f"{at('h', t)} from {at('h', t - 1)} and "
        assert f"step {t}: {states}{at('e', t)} = E" in text, text
    unrolled = plain(panel["stages"][1]["text"])  # (the lecture's one b₁ for the selector's b₁′ and b₁″)
    listed = re.search(r"the same cell, the same (.*) at every step", unrolled)
    assert listed, unrolled
    said = {name.strip() for name in listed.group(1).split(",")}
    listed = {plain(weight["html"]) for weight in panel["weights"]}  # a GRU's b′, b″ are no parts of one b: both
    assert (listed if cell == "gru" else {name.rstrip("′″") for name in listed}) == said, (unrolled, said)


def test_cs224n_page_of_a_layer_alone_says_its_input_stands_for_the_embedding():
    """CS224N's W_e multiplies e⁽ᵗ⁾ = E x⁽ᵗ⁾: the page of a layer alone named W_e among its weights and drew x⁽ᵗ⁾ into
    the cell, unsaid. Its first stage says what x⁽ᵗ⁾ stands for, as the deck's and figures' note does; a language
    model's page, which draws e⁽ᵗ⁾ = embedding, has nothing to say."""
    import tinygrad_rnn as tr
    tr.manual_seed(0)
    output, _ = tr.nn.LSTM(2, 3)(tr.randn(3, 1, 2))
    alone = viz.lecture(output[-1].sum(), notation="cs224n").data["panels"][0]["stages"][0]["text"]
    assert "its input x(t) stands for the embedding e(t)" in plain(alone).replace("⁽ᵗ⁾", "(t)"), alone
    embedded = panel_of("lstm", "cs224n")["stages"][0]["text"]
    assert "stands for" not in embedded, embedded
