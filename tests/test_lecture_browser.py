"""The lecture page in a real browser: Debian's Chromium, driven by Playwright through its
executable path (never a browser build of Playwright's own). Skipped, saying why, where either is
missing; tests/setup.sh installs both.

Screenshots of the stepper half way and at the end, and of the connectivity view, are taken every
run; with TINYGRAD_RNN_UPDATE_SCREENSHOTS=1 they replace the ones docs/lecture.md shows.
"""

import os
import pathlib
import shutil

import numpy
import pytest
from drawing_cases import last_step_loss

import tinygrad_rnn as tr
from tinygrad_rnn import analysis, viz

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FIGURES = pathlib.Path(__file__).resolve().parent.parent / "docs" / "figures"
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (tests/setup.sh installs it)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is missing (tests/setup.sh installs it)")


def js(value: float) -> str:
    """A number as the page prints it (JavaScript's toExponential(3))."""
    mantissa, exponent = f"{value:.3e}".split("e")
    return f"{mantissa}e{int(exponent):+d}"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def open_page(browser, path):
    """The page from file://, with every console error and every request not to file:// recorded."""
    page = browser.new_page(viewport={"width": 1500, "height": 900})
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: None if request.url.startswith(("file://", "data:"))
            else problems.append(f"request to {request.url}"))
    page.goto(path.resolve().as_uri())
    return page, problems


def shoot(page, name, tmp_path):
    target = FIGURES if os.environ.get("TINYGRAD_RNN_UPDATE_SCREENSHOTS") else tmp_path
    path = target / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_stepping_backward_shows_the_analysis_numbers_and_ends_at_the_gradient(browser, tmp_path):
    cases = {kind: last_step_loss(kind, steps=8) for kind in ("rnn", "lstm", "gru")}
    expected = {kind: (analysis.hidden_state_gradient_norms(loss, layer.hidden_states[0]),
                       analysis.weight_gradient_by_step(loss, layer.weight_hh_l0))
                for kind, (layer, loss) in cases.items()}
    layer, loss = cases["rnn"]
    page_file = viz.lecture(loss, layer, name="tanh RNN", compare={"LSTM": cases["lstm"][::-1],
                                                                   "GRU": cases["gru"][::-1]}).save(tmp_path / "p.html")
    for _, loss in cases.values():
        loss.backward()
    page, problems = open_page(browser, page_file)
    norms, by_step = expected["rnn"]
    for stage in range(1, 5):  # → four times: the gradient reaches t = 8, 7, 6, 5
        page.keyboard.press("ArrowRight")
        reached = 8 - stage + 1
        shown = page.eval_on_selector_all(".panel:not([hidden]) .node[data-reached]",
                                          "nodes => nodes.map(n => n.dataset.reached)")
        assert sorted(shown) == sorted(js(norms[t - 1]) for t in range(reached, 9))
        terms = page.eval_on_selector_all(".term.shown .value", "values => values.map(v => v.textContent)")
        assert terms == [js(by_step.norms[t - 1]) for t in range(reached, 9)]
        assert js(norms[reached - 1]) in page.inner_text(".stage")
    assert page.eval_on_selector_all(".panel:not([hidden]) .edge.crossed", "edges => edges.length") >= 1
    shoot(page, "lecture_half_way", tmp_path)

    page.eval_on_selector("input[type=range]", "slider => { slider.value = '2'; "
                                                "slider.dispatchEvent(new Event('input')); }")
    assert len(page.eval_on_selector_all(".term.shown", "terms => terms")) == 2
    page.keyboard.press("End")
    running = page.inner_text('[data-role="running"]')
    gradient = page.inner_text('[data-role="grad-norm"]')
    weight_grad = numpy.linalg.norm(cases["rnn"][0].weight_hh_l0.grad.numpy())
    assert js(weight_grad) in gradient and js(weight_grad) in running  # Σ_t terms = W_hh.grad
    shoot(page, "lecture_end", tmp_path)

    page.click("button:has-text('LSTM')")  # the switcher: same stage, the LSTM's numbers
    lstm_norms, _ = expected["lstm"]
    shown = page.eval_on_selector_all(".panel:not([hidden]) .node[data-reached]",
                                      "nodes => nodes.map(n => n.dataset.reached)")
    assert sorted(shown) == sorted(js(v) for v in lstm_norms)
    page.keyboard.press("Home")
    assert page.eval_on_selector_all(".node[data-reached]", "nodes => nodes.length") == 0
    assert problems == []


def test_hovering_a_node_shows_its_name_shape_and_gradient(browser, tmp_path):
    layer, loss = last_step_loss("lstm", steps=3)
    page_file = viz.lecture(loss, layer, level="op").save(tmp_path / "op.html")
    page, problems = open_page(browser, page_file)
    data = page.evaluate("JSON.parse(document.querySelector('script.tgr-data').textContent)")
    panel = data["panels"][0]
    index = next(i for i, node in enumerate(panel["nodes"]) if node["name"] == "c₂ = add")
    page.hover(f"#{panel['id']}-n{index}")
    tip = page.inner_text(".tooltip")
    assert "c₂ = add" in tip and "shape: (1, 3)" in tip and js(panel["nodes"][index]["grad"]) in tip
    page.focus(f"#{panel['id']}-n{index}")  # the keyboard reaches it too
    assert page.is_visible(".tooltip")
    assert problems == []


def test_connectivity_colours_earlier_characters_by_their_influence(browser, tmp_path):
    tr.manual_seed(0)
    text = "def f(x):\n    return [x[0], (x + 1)]"
    vocabulary = tr.data.Vocabulary.from_text(text)
    model = tr.models.LanguageModel(len(vocabulary), 8, 16)
    influence = analysis.input_influence(model, vocabulary.encode(text))
    page, problems = open_page(browser, viz.connectivity(model, vocabulary, text).save(tmp_path / "c.html"))
    page.hover("span[data-position='30']")
    shown = page.eval_on_selector_all(".text span[data-influence]", "spans => spans.map(s => s.dataset.influence)")
    assert shown == [js(v) for v in influence[29, :30]]
    assert "character 31" in page.inner_text(".stage")
    shoot(page, "lecture_connectivity", tmp_path)
    assert problems == []
