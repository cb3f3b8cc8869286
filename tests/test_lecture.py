"""The lecture page without a browser: every number it embeds equals what the analysis functions
and backward() compute; the page is self-contained, light, and safe to show several times."""

import json
import re
import subprocess
import sys

import numpy
import pytest
from drawing_cases import last_step_loss

import tinygrad_rnn as tr
from tinygrad_rnn import analysis, viz


def page_data(page):
    return json.loads(re.search(r'<script type="application/json" class="tgr-data">(.*?)</script>', page.html,
                                re.DOTALL).group(1))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_the_embedded_numbers_are_the_analysis_and_the_gradient(kind):
    layer, loss = last_step_loss(kind, steps=6)
    page = viz.lecture(loss, layer)
    [panel] = page_data(page)["panels"]
    numpy.testing.assert_allclose(panel["hidden_norms"],
                                  analysis.hidden_state_gradient_norms(loss, layer.hidden_states[0]), rtol=1e-12)
    by_step = analysis.weight_gradient_by_step(loss, layer.weight_hh_l0)
    numpy.testing.assert_allclose(panel["terms"], by_step.norms, rtol=1e-12)
    partial_sums = numpy.cumsum(by_step.gradients[::-1], axis=0)[::-1]  # Σ over t ≥ k, for every k
    numpy.testing.assert_allclose(panel["running"], [numpy.linalg.norm(s) for s in partial_sums], rtol=1e-5)
    loss.backward()
    numpy.testing.assert_allclose(panel["grad_norm"], numpy.linalg.norm(layer.weight_hh_l0.grad.numpy()), rtol=1e-6)
    numpy.testing.assert_allclose(panel["running"][0], panel["grad_norm"], rtol=1e-5)  # the full sum is .grad
    assert sorted(map(int, panel["cells"])) == list(range(1, 7))
    assert sorted(map(int, panel["crossing"])) == list(range(1, 7))  # an edge to cross into every step


def test_node_information_for_hovering():
    layer, loss = last_step_loss("lstm", steps=3)
    [panel] = page_data(viz.lecture(loss, layer, level="op"))["panels"]
    names = {node["name"]: node for node in panel["nodes"]}
    state = names["c₂ = add"]
    assert state["op"] == "add" and state["shape"] == [1, 3] and state["scope"].endswith("t=2")
    assert state["grad"] > 0
    sigmoid = next(node for node in panel["nodes"] if node["op"] == "sigmoid")
    assert len(sigmoid["values"]["values"]) == 3  # small tensors show their values (sigmoid keeps its output)


def test_the_page_is_self_contained_and_several_fit_in_one_notebook():
    layer, loss = last_step_loss("gru", steps=4)
    first, second = viz.lecture(loss, layer), viz.lecture(loss, layer)
    for page in (first, second):
        assert not re.search(r"""(src|href)\s*=|<link|@import|url\((?!#)|fetch\(|XMLHttpRequest""", page.html)
        assert re.findall(r"https?://[^\s\"'\\]+", page.html) == ["http://www.w3.org/2000/svg"] * len(
            page_data(page)["panels"])  # the SVG namespace, a name, not a request
    ids_first = set(re.findall(r'id="([^"]+)"', first._repr_html_()))
    ids_second = set(re.findall(r'id="([^"]+)"', second._repr_html_()))
    assert ids_first and not ids_first & ids_second


def test_pages_stay_light():
    layer, loss = last_step_loss("lstm", steps=8)
    assert len(viz.lecture(loss, layer, level="op").html.encode()) < 1_000_000
    layer, loss = last_step_loss("lstm", steps=50)
    assert len(viz.lecture(loss, layer, level="cell").html.encode()) < 2_000_000


def test_compare_puts_three_cells_on_one_colour_scale():
    cases = {kind: last_step_loss(kind, steps=10) for kind in ("rnn", "lstm", "gru")}
    layer, loss = cases.pop("rnn")
    data = page_data(viz.lecture(loss, layer, name="tanh RNN",
                                 compare={k: (lo, la) for k, (la, lo) in cases.items()}))
    assert [p["name"] for p in data["panels"]] == ["tanh RNN", "lstm", "gru"]
    every = [n for p in data["panels"] for n in p["hidden_norms"]]
    assert data["scale"] == [min(every), max(every)]


def test_input_influence_is_the_exact_gradient_of_a_prediction():
    tr.manual_seed(0)
    model = tr.models.LanguageModel(vocab_size=12, embedding_dim=5, hidden_size=7, cell="lstm").to(dtype="float64")
    ids = [3, 7, 1, 9, 4]  # distinct, so e_s is exactly row ids[s] of the embedding
    influence = analysis.input_influence(model, ids)
    assert influence.shape == (4, 5) and (numpy.triu(influence, 1) == 0).all()
    assert (influence[numpy.tril_indices(4, 0, 5)] > 0).all()  # every input up to t moves prediction t

    def log_prob(t):
        logits, _ = model(tr.tensor([ids]))
        return float(logits.log_softmax(-1).numpy()[0, t, ids[t + 1]])

    weight = model.embedding.weight.data
    for t, s in [(3, 0), (3, 3), (1, 1), (2, 0)]:
        numerical = numpy.zeros(5)
        for k in range(5):
            keep = weight[ids[s], k]
            weight[ids[s], k] = keep + 1e-6
            up = log_prob(t)
            weight[ids[s], k] = keep - 1e-6
            down = log_prob(t)
            weight[ids[s], k] = keep
            numerical[k] = (up - down) / 2e-6
        numpy.testing.assert_allclose(influence[t, s], numpy.linalg.norm(numerical), rtol=1e-6)


def test_connectivity_page_embeds_the_influence(tmp_path):
    tr.manual_seed(0)
    vocabulary = tr.data.Vocabulary.from_text("abc def")
    model = tr.models.LanguageModel(len(vocabulary), 4, 8)
    page = viz.connectivity(model, vocabulary, "abc def")
    text = page_data(page)["text"]
    assert text["characters"] == list("abc def")
    numpy.testing.assert_allclose(text["influence"], analysis.input_influence(model, vocabulary.encode("abc def")),
                                  rtol=1e-5)


def test_cli_lecture_writes_a_page_and_explains_a_missing_text(tmp_path):
    out = tmp_path / "bptt.html"
    result = subprocess.run([sys.executable, "-m", "tinygrad_rnn", "lecture", "--compare", "--steps", "5", "-o",
                             str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert [p["name"] for p in json.loads(re.search(r'class="tgr-data">(.*?)</script>', out.read_text(),
                                                    re.DOTALL).group(1))["panels"]] == ["tanh RNN", "LSTM", "GRU"]
    bad = subprocess.run([sys.executable, "-m", "tinygrad_rnn", "lecture", "--checkpoint", "x.npz", "-o",
                          str(out)], capture_output=True, text=True)
    assert bad.returncode == 1 and "--checkpoint needs --text" in bad.stderr


def test_a_layer_that_ran_nothing_is_named():
    with pytest.raises(ValueError, match="no recorded steps"):
        viz.lecture(tr.ones(1, requires_grad=True).sum(), tr.nn.RNN(2, 3))


def test_the_page_and_the_influence_are_computed_on_any_device(device):
    tr.manual_seed(0)
    layer = tr.nn.LSTM(2, 3, device=device)
    output, _ = layer(tr.randn(4, 1, 2, device=device))
    [panel] = page_data(viz.lecture(output[-1].sum(), layer))["panels"]
    assert len(panel["hidden_norms"]) == 4 and panel["grad_norm"] > 0
    vocabulary = tr.data.Vocabulary.from_text("abcd")
    model = tr.models.LanguageModel(len(vocabulary), 4, 8, device=device)
    assert analysis.input_influence(model, vocabulary.encode("abcd")).shape == (3, 4)


def test_fused_cells_train_on_any_device(device):
    tr.manual_seed(0)
    model = tr.models.LanguageModel(10, 4, 8, cell="gru", device=device)
    logits, _ = model(tr.tensor([[1, 2, 3, 4]], device=device))
    tr.nn.functional.cross_entropy(logits.reshape(-1, 10), tr.tensor([2, 3, 4, 5], device=device)).backward()
    assert model.rnn.weight_hh_l0.grad.device == model.rnn.weight_hh_l0.device
