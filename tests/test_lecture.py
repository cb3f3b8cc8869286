"""The lecture page without a browser: every number it embeds equals what the analysis functions
and backward() compute; the page is self-contained, light, and safe to show several times."""

import json
import re

import numpy
import pytest
from background import Job, cli_job, folder
from drawing_cases import last_step_loss
from slide_number_cases import APART, CASES

import tinygrad_rnn as tr
from tinygrad_rnn import analysis, viz
from tinygrad_rnn.cli import _random_tokens, language_model_loss
from tinygrad_rnn.viz.numbers import digits_to_tell_apart, slide_number


def page_data(page):
    return json.loads(re.search(r'<script type="application/json" class="tgr-data">(.*?)</script>', page.html,
                                re.DOTALL).group(1))


js = slide_number  # every number on the page is written as a slide writes it


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_the_embedded_numbers_are_the_analysis_and_the_gradient(kind):
    layer, loss = last_step_loss(kind, steps=6)
    page = viz.lecture(loss, layer)
    [panel] = page_data(page)["panels"]
    hidden = layer.hidden_states[0]
    numpy.testing.assert_allclose(panel["hidden_norms"], analysis.hidden_state_gradient_norms(loss, hidden),
                                  rtol=1e-12)
    weights = {"W_hh": layer.weight_hh_l0, "W_ih": layer.weight_ih_l0, "b_hh": layer.bias_hh_l0,
               "b_ih": layer.bias_ih_l0}
    assert [w["name"] for w in panel["weights"]] == list(weights)  # every shared weight, in the lectures' order
    for shown in panel["weights"]:
        by_step = analysis.weight_gradient_by_step(loss, weights[shown["name"]], time_dim=0)
        assert [s[-1] for s in by_step.scopes] == [f"t={t}" for t in range(1, 7)]
        numpy.testing.assert_allclose(shown["terms"], by_step.norms, rtol=1e-6, atol=1e-12)
        partial_sums = numpy.cumsum(by_step.gradients[::-1], axis=0)[::-1]  # Σ over t ≥ k, for every k
        numpy.testing.assert_allclose(shown["running"], [numpy.linalg.norm(s) for s in partial_sums], rtol=1e-5)
    loss.backward()
    for shown in panel["weights"]:
        numpy.testing.assert_allclose(shown["grad_norm"], numpy.linalg.norm(weights[shown["name"]].grad.numpy()),
                                      rtol=1e-6)
        numpy.testing.assert_allclose(shown["running"][0], shown["grad_norm"], rtol=1e-5)  # the full sum is .grad
    assert sorted(map(int, panel["cells"])) == list(range(1, 7))
    assert sorted(map(int, panel["crossing"])) == list(range(1, 7))  # an edge to cross into every step


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_the_stages_run_rolled_unrolled_forward_backward_and_the_sums(kind):
    layer, loss = last_step_loss(kind, steps=4)
    [panel] = viz.lecture(loss, layer).data["panels"]
    phases = [stage["phase"] for stage in panel["stages"]]
    assert phases == ["rolled", "unrolled"] + ["forward"] * 4 + ["backward"] * 5 + ["sums"]
    assert [stage["t"] for stage in panel["stages"][2:11]] == [1, 2, 3, 4, 5, 4, 3, 2, 1]
    assert all(stage["math"].startswith('<math display="block">') for stage in panel["stages"])


def _backward_math(panel, t):
    return next(s["math"] for s in panel["stages"] if s["phase"] == "backward" and s["t"] == t)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_the_equations_carry_the_numbers_of_the_chain_rule(kind):
    """∂J/∂h_t = ∂J_t/∂h_t + (∂h_{t+1}/∂h_t)ᵀ ∂J/∂h_{t+1}: the second term checked as the vector–Jacobian
    product it is, the local Jacobian and the product ‖∂h_T/∂h_t‖ against the analysis functions."""
    layer, loss = last_step_loss(kind, steps=5)
    [panel] = viz.lecture(loss, layer).data["panels"]
    hidden = layer.hidden_states[0]
    total = tr.grad(loss, hidden, retain_graph=True)
    product = analysis.jacobian_norms(hidden[-1], hidden)
    cells = tr.grad(loss, layer.cell_states[0], retain_graph=True) if kind == "lstm" else None
    for t in range(1, 5):
        if kind == "lstm":  # a loss on the last step: h_{t-1} reaches J only through step t's gates
            from_right = total[t - 1]
        else:
            (from_right,) = tr.grad(hidden[t], hidden[t - 1], grad_outputs=total[t], retain_graph=True)
        local = analysis.jacobian_norms(hidden[t], [hidden[t - 1]])[0]
        math = _backward_math(panel, t)
        for value in (numpy.linalg.norm(total[t - 1].numpy()), numpy.linalg.norm(from_right.numpy()), local,
                      product[t - 1]):
            assert js(value) in math, (t, value)
    forward = next(s["math"] for s in panel["stages"] if s["phase"] == "forward" and s["t"] == 2)
    values = hidden[1].numpy()[0]
    digits = digits_to_tell_apart(values)
    assert all(f">{slide_number(v, digits)}<" in forward for v in values)  # h_2 itself: 3 units are printed whole
    if kind == "lstm":  # the additive path: ∂J/∂c_t
        assert js(numpy.linalg.norm(cells[1].numpy())) in _backward_math(panel, 2)
    if kind == "gru":  # the skip: z_{t+1} ⊙ ∂J/∂h_{t+1}
        found = analysis.find_recurrence(loss, layer)
        skip = found.gates[2]["z"].numpy() * total[2].numpy()
        assert js(numpy.linalg.norm(skip)) in _backward_math(panel, 2)


@pytest.mark.parametrize("notation, read_x, read_h", [("pytorch", "Winx2+bin", "(Whnh1+bhn)"),
                                                      ("elman", "[Wx2+bh′]n", "[Vh1+bh″]n")])  # (its two b_h)
def test_a_gru_page_defines_r_z_and_n_and_prints_r(notation, read_x, read_h):
    """A GRU's page writes its gates r, z and its candidate n (the backward stages name the paths through them),
    in the notation's names, on the rolled, unrolled and forward stages, and prints r_t beside z_t (it showed
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1} alone: r and n were never defined)."""
    layer, loss = last_step_loss("gru", steps=3)
    found = analysis.find_recurrence(loss, layer)
    [panel] = viz.lecture(loss, layer, notation=notation).data["panels"]
    for stage in panel["stages"][:5]:  # rolled, unrolled, forward t = 1, 2, 3
        written = re.sub(r"<[^>]+>", "", stage["math"]).replace(" ", "")
        t = str(stage["t"] or "t")
        assert f"r{t}=σ(" in written and f"z{t}\u00a0likewise" in written, (stage["phase"], written)
        assert f"n{t}=tanh(" in written and "+r" + t + "⊙" in written, (stage["phase"], written)
    forward = re.sub(r"<[^>]+>", "", panel["stages"][3]["math"]).replace(" ", "")  # t = 2
    assert f"n2=tanh({read_x}+r2⊙{read_h})" in forward, forward
    gate = f"r2=σ({read_x}+{read_h.strip('()')})".replace("n", "r")  # what σ reads: r's rows, as n's are n's
    assert gate in forward, forward
    r = found.gates[1]["r"].numpy()[0]  # 3 units: printed whole, before z_2 as the equations name them
    assert "r2=[" + ",".join(slide_number(v, digits_to_tell_apart(r)) for v in r) + "]" in forward, forward
    assert forward.index("r2=[") < forward.index("z2=[")


def _jacobian(later, earlier):
    """∂later/∂earlier for batch element 0, row by row: one tr.grad per unit of ``later``."""
    rows = []
    for unit in range(later.shape[-1]):
        seed = numpy.zeros(later.shape)
        seed[0, unit] = 1.0
        (row,) = tr.grad(later, earlier, grad_outputs=tr.tensor(seed), retain_graph=True)
        rows.append(row.numpy()[0])
    return numpy.array(rows)


def _printed(pattern, math):
    text = re.sub(r"<[^>]+>", "", math).replace("\xa0", " ")
    found = re.search(pattern, text)
    assert found, (pattern, text)
    return found.group(1)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_the_local_jacobians_product_is_printed_as_what_it_is(kind):
    """The number the page calls the local Jacobians' product is ‖∂h_T/∂h_{T−1} ⋯ ∂h_{t+1}/∂h_t‖. A tanh
    RNN's and a GRU's is also the whole ‖∂h_T/∂h_t‖; an LSTM's whole ∂h_T/∂h_t runs along c as well,
    and is printed apart as that (it was labelled the product, larger than the product of the norms)."""
    steps = 5
    layer, loss = last_step_loss(kind, steps=steps)
    [panel] = viz.lecture(loss, layer).data["panels"]
    hidden = layer.hidden_states[0]
    local = [_jacobian(hidden[k + 1], hidden[k]) for k in range(steps - 1)]
    for t in range(1, steps):
        along_h = numpy.eye(local[0].shape[0])
        for jacobian in local[t - 1:]:  # ∂h_T/∂h_t = ∂h_T/∂h_{T−1} ⋯ ∂h_{t+1}/∂h_t along h
            along_h = jacobian @ along_h
        whole = _jacobian(hidden[-1], hidden[t - 1])
        math = _backward_math(panel, t)
        if t == steps - 1:  # one factor: the local Jacobian, printed once
            product = _printed(rf"‖∂h{steps}/∂h{t}‖=([0-9.·⁰¹²³⁴⁵⁶⁷⁸⁹⁻−]+)", math)
        else:
            product = _printed(r"‖=([^=‖\s]+)\s+\((?:the local Jacobians' product|h alone)", math)
        assert product == js(numpy.linalg.norm(along_h, 2)), (t, product)
        if kind == "lstm" and t < steps - 1:
            assert _printed(rf"∂h{steps}/∂h{t}‖=([^=‖\s]+)\s+\(h and c\)", math) == js(numpy.linalg.norm(whole, 2))
            assert "Jacobians' product" not in math
        else:  # one state: the chain rule makes the whole Jacobian the product
            numpy.testing.assert_allclose(whole, along_h, rtol=1e-4, atol=1e-7)  # (float32)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_a_details_row_is_a_local_jacobians_norm_whose_product_is_printed_under_it(kind):
    """The page folds a stage's rows classed "detail" where the window lacks room for them (lecture_fit.js): an
    LSTM's or a GRU's local Jacobian, given by its norm alone, where the product under it holds it (t < T − 1; at
    T − 1 it is the product). A tanh RNN's, written out as diag(1 − h²) W_hh, is what the lecture teaches: no row.
    The sums stage's one detail: why step 1's term of the weight on h_{t−1} is 0 (h₀ = 0)."""
    steps = 4
    layer, loss = last_step_loss(kind, steps=steps)
    [panel] = viz.lecture(loss, layer).data["panels"]
    for stage in panel["stages"]:
        details = [re.sub(r"<[^>]+>", "", row) for row in re.findall(r'<mtr class="detail">(.*?)</mtr>', stage["math"])]
        if stage["phase"] == "sums":
            assert len(details) == 1 and details[0].startswith("the\xa0term\xa0of\xa0step\xa01\xa0is\xa00"), details
        elif kind == "rnn" or stage["phase"] != "backward" or stage["t"] >= steps - 1:
            assert details == [], (stage["text"], details)
        else:
            t = stage["t"]
            assert len(details) == 1 and details[0].startswith(f"‖∂h{t + 1}/∂h{t}‖="), (stage["text"], details)
            rows = re.findall(r"<mtr[^>]*>(.*?)</mtr>", stage["math"])
            after = re.sub(r"<[^>]+>", "", rows[rows.index(next(r for r in rows if "class=\"detail\"" in r)) + 1])
            assert after.startswith(f"‖∂h{steps}/∂h{t}‖="), after  # the product it is a factor of, under it


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_no_norm_is_printed_twice_in_a_stage_and_no_right_hand_side_is_words(kind):
    """One symbol, one meaning: an LSTM's page printed ‖∂h₄/∂h₃‖ twice at t = 3, once "(h and c)" and once
    "(h alone)", and wrote "∂h₄/∂h₃ = through o, tanh(c) and the gates", words where an expression belongs."""
    layer, loss = last_step_loss(kind, steps=4)
    [panel] = viz.lecture(loss, layer).data["panels"]
    for stage in panel["stages"]:
        rows = [re.sub(r"<[^>]+>", "", row).replace("\xa0", " ") for row in re.findall(r"<mtd[^>]*>(.*?)</mtd>",
                                                                                      stage["math"])]
        norms = [name for row in rows for name in re.findall(r"(‖[^‖]+‖)=", row)]
        assert len(norms) == len(set(norms)), (stage["text"], rows)
        for row in rows:  # after an "=", an expression or a number: a comment's words stand in parentheses
            assert not re.search(r"=\s*(through|diag\(z\) \+ through)", row), (stage["text"], row)


def test_a_language_model_page_shows_each_j_t_and_both_contributions():
    loss, _ = language_model_loss("lstm", steps=4)
    [panel] = viz.lecture(loss).data["panels"]  # no layer: found in the graph
    found = analysis.find_recurrence(loss)
    logits = None
    assert found.step_losses is not None and abs(found.step_losses.mean() - loss.item()) < 1e-5
    for t in range(1, 5):
        forward = next(s for s in panel["stages"] if s["phase"] == "forward" and s["t"] == t)
        assert js(found.step_losses[t - 1]) in forward["math"] and f"J<sub>{t}</sub>" in forward["text"]
    hidden = found.hidden_states
    for t in range(1, 4):  # ∂J_t/∂h_t from above and ∂J/∂h_{t+1} from the right, both alive
        terms = tr.grad_contributions(loss, hidden[t - 1])
        assert len(terms) == 2 and all(numpy.linalg.norm(g.numpy()) > 0 for _, g in terms)
        for _, gradient in terms:
            assert js(numpy.linalg.norm(gradient.numpy())) in _backward_math(panel, t)
    assert logits is None
    names = [w["name"] for w in panel["weights"]]
    assert names == ["W_hh", "W_ih", "b_hh", "b_ih", "W_hy", "b_y", "E"]  # every parameter J depends on
    weights = found.weights
    loss.backward()
    for shown in panel["weights"]:
        numpy.testing.assert_allclose(shown["running"][0], numpy.linalg.norm(weights[shown["name"]].grad.numpy()),
                                      rtol=1e-5)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_the_lit_h_arrows_label_is_the_equations_part_from_the_right(kind):
    """Going back, the lit h arrow says what it carries, (1/4)Σₜ₌₃⁴ ∂Jₜ/∂h₂, and the equation's right part is written
    W_hhᵀ δ₃ or (∂h₃/∂h₂)ᵀ ∂J/∂h₃: one row says they are the same quantity, in the arrow's own words, and the norm
    printed "from the right" is that of the later losses' part, (1/T) Σ_{k>t} ∂J_k/∂h_t, computed here apart."""
    loss, _ = language_model_loss(kind, steps=4)
    [panel] = viz.lecture(loss).data["panels"]
    tr.manual_seed(0)  # the same model again, each J_t a tensor of its own: J = (1/4) Σ_t J_t
    model = tr.models.LanguageModel(10, 3, 4, cell=kind, fused=False)
    tokens = _random_tokens(10, 5, 1)
    logits, _ = model(tr.tensor([tokens[:-1]]))
    each = tr.nn.functional.cross_entropy(logits.reshape(-1, 10), tr.tensor(tokens[1:]), reduction="none")
    assert abs(each.mean().item() - loss.item()) < 1e-6
    plain = lambda markup: re.sub(r"<[^>]+>", "", markup).replace("\u00a0", "").replace(" ", "")  # noqa: E731
    for t in range(1, 4):
        labels = [plain("".join(panel["carried"][str(k)])) for k in panel["lit"][str(t)] if str(k) in panel["carried"]]
        [arrow] = [label for label in labels if label.endswith(f"/∂h{t}") and "Σ" in label or f"∂J{t + 1}/" in label]
        rows = [plain(row) for row in re.findall(r"<mtr[^>]*>(.*?)</mtr>", _backward_math(panel, t))]
        # ∂J/∂h₂ = (1/4) ∂J₂/∂h₂ + W_hhᵀ δ₃, W_hhᵀ δ₃ = (1/4)Σₜ₌₃⁴ ∂Jₜ/∂h₂ (the lit h arrow)
        said = re.fullmatch(rf"∂J/∂h{t}=\(1/4\)∂J{t}/∂h{t}\+(.+),\1=(.+)\(thelitharrow\)", rows[0])
        # (the equation's MathML stacks Σ's limits, Σt=34 as plain text; the arrow's line sets them Σt=3…4)
        assert said and said.group(2) == arrow.replace("…", ""), (rows[0], arrow)
        (later,) = tr.grad(each[t:].sum() / 4, model.rnn.hidden_states[0][t - 1], retain_graph=True)
        assert f"fromtheright{js(numpy.linalg.norm(later.numpy()))}" in "".join(rows).replace("\u00a0", "")


def test_a_language_models_equations_read_the_embedded_input_the_figure_draws():
    """The figure feeds e_t = embedding(x_t) into the cell: the equation reads e_t (CS224N's W_e e⁽ᵗ⁾), not x_t."""
    loss, _ = language_model_loss("rnn", steps=4)
    for notation, product in [("pytorch", "<msub><mi>W</mi><mi>ih</mi></msub><msub><mi>e</mi><mi>3</mi></msub>"),
                              ("cs224n", "<msub><mi>W</mi><mi>e</mi></msub><msup><mi>e</mi><mrow><mo>(</mo>"
                                         "<mi>3</mi><mo>)</mo></mrow></msup>")]:
        [panel] = viz.lecture(loss, notation=notation).data["panels"]
        forward = next(s for s in panel["stages"] if s["phase"] == "forward" and s["t"] == 3)
        assert product in forward["math"], forward["math"]
        assert "the embedding of x" in forward["text"]
    layer, bare = last_step_loss("rnn", 4)
    [panel] = viz.lecture(bare, layer).data["panels"]  # a bare layer reads x_t itself
    forward = next(s for s in panel["stages"] if s["phase"] == "forward" and s["t"] == 3)
    assert "<msub><mi>x</mi><mi>3</mi></msub>" in forward["math"] and "embedding" not in forward["text"]


@pytest.mark.parametrize("cell_class", [tr.nn.RNNCell, tr.nn.LSTMCell, tr.nn.GRUCell])
def test_a_hand_written_loop_of_cells_needs_no_layer(cell_class):
    tr.manual_seed(0)
    cell = cell_class(2, 3)
    lstm = cell_class is tr.nn.LSTMCell
    state, states = (tr.zeros(1, 3), tr.zeros(1, 3)) if lstm else tr.zeros(1, 3), []
    for x_t in tr.randn(5, 1, 2):
        state = cell(x_t, state)
        states.append(state[0] if lstm else state)
    loss = (states[-1] ** 2).sum()
    [panel] = viz.lecture(loss).data["panels"]
    assert panel["steps"] == 5 and panel["kind"] == {tr.nn.RNNCell: "rnn", tr.nn.LSTMCell: "lstm"}.get(cell_class,
                                                                                                     "gru")
    numpy.testing.assert_allclose(panel["hidden_norms"], analysis.hidden_state_gradient_norms(loss, states),
                                  rtol=1e-6)
    assert {w["name"] for w in panel["weights"]} == {"W_hh", "W_ih", "b_hh", "b_ih"}
    loss.backward()
    numpy.testing.assert_allclose(panel["weights"][0]["running"][0], numpy.linalg.norm(cell.weight_hh.grad.numpy()),
                                  rtol=1e-5)


def test_after_backward_the_page_says_to_call_it_before():
    layer, loss = last_step_loss("rnn", steps=3)
    loss.backward()
    with pytest.raises(ValueError, match=r"call viz.lecture\(loss\) before loss.backward\(\)"):
        viz.lecture(loss, layer)


def test_the_page_prints_as_one_line():
    layer, loss = last_step_loss("rnn", steps=3)
    text = repr(viz.lecture(loss, layer, name="tanh RNN"))
    assert "\n" not in text and len(text) < 200 and "tanh RNN (3 steps)" in text


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
            3 * page_data(page)["panels"])  # the SVG namespace (rolled, unrolled, the sums'): a name, not a request
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
    assert numpy.log10(max(every) / min(every)) > 2  # ten steps of a tanh RNN vanish: nothing to widen
    assert data["scale"] == [min(every), max(every)]


def test_input_influence_is_the_exact_gradient_of_a_prediction(fast_path):  # (an analysis, both ways)
    tr.manual_seed(0)
    model = tr.models.LanguageModel(vocab_size=12, embedding_dim=5, hidden_size=7, cell="lstm").to(dtype="float64")
    ids = [3, 7, 1, 9, 4]  # distinct, so e_s is exactly row ids[s] of the embedding
    influence = analysis.input_influence(model, ids)
    assert influence.shape == (4, 5) and (numpy.triu(influence, 1) == 0).all()
    assert (influence[numpy.tril_indices(4, 0, 5)] > 0).all()  # every input up to t moves prediction t

    def log_prob(t):
        logits, _ = model(tr.tensor([ids]))
        return float(logits.log_softmax(-1).numpy()[0, t, ids[t + 1]])

    weight = model.embedding.weight.array
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


LECTURE = folder("cli_lecture")
JOBS = {  # a test's name: the runs of ``python -m tinygrad_rnn`` it reads, each an interpreter's start
    "test_cli_lecture_writes_a_page_and_explains_a_missing_text": [
        cli_job("lecture", "--compare", "--steps", "5", "-o", str(LECTURE / "bptt.html")),
        cli_job("lecture", "--checkpoint", "x.npz", "-o", str(LECTURE / "none.html"))],
}


def background_jobs(item) -> list[Job]:
    """The CLI's runs a test reads, started beside the suite (background.py) as soon as it is collected."""
    return JOBS.get(item.name, [])


def test_cli_lecture_writes_a_page_and_explains_a_missing_text():
    out = LECTURE / "bptt.html"
    result, bad = (job.result() for job in JOBS["test_cli_lecture_writes_a_page_and_explains_a_missing_text"])
    assert result.returncode == 0, result.stderr
    assert [p["name"] for p in json.loads(re.search(r'class="tgr-data">(.*?)</script>', out.read_text(),
                                                    re.DOTALL).group(1))["panels"]] == ["tanh RNN", "LSTM", "GRU"]
    assert bad.returncode == 1 and "--checkpoint needs --text" in bad.stderr


def test_a_graph_without_a_recurrence_is_named():
    with pytest.raises(ValueError, match="no hidden states"):
        viz.lecture(tr.ones(1, requires_grad=True).sum(), tr.nn.RNN(2, 3))


def test_the_page_and_the_influence_are_computed_on_any_device(device):
    tr.manual_seed(0)
    layer = tr.nn.LSTM(2, 3, device=device)
    output, _ = layer(tr.randn(4, 1, 2, device=device))
    [panel] = page_data(viz.lecture(output[-1].sum(), layer))["panels"]
    assert len(panel["hidden_norms"]) == 4 and panel["weights"][0]["grad_norm"] > 0
    vocabulary = tr.data.Vocabulary.from_text("abcd")
    model = tr.models.LanguageModel(len(vocabulary), 4, 8, device=device)
    assert analysis.input_influence(model, vocabulary.encode("abcd")).shape == (3, 4)


def test_fused_cells_train_on_any_device(device):
    tr.manual_seed(0)
    model = tr.models.LanguageModel(10, 4, 8, cell="gru", device=device)
    logits, _ = model(tr.tensor([[1, 2, 3, 4]], device=device))
    tr.nn.functional.cross_entropy(logits.reshape(-1, 10), tr.tensor([2, 3, 4, 5], device=device)).backward()
    assert model.rnn.weight_hh_l0.grad.device == model.rnn.weight_hh_l0.device


def test_the_term_from_above_is_the_mean_s_share_of_j_t():
    """J = (1/T) Σ_t J_t: what reaches h_t from above is (1/T) ∂J_t/∂h_t, as the number printed beside
    it is (the symbol once read ∂J_t/∂h_t, T times that number)."""
    loss, _ = language_model_loss("rnn", steps=4)
    [panel] = viz.lecture(loss).data["panels"]
    assert all("(1/4)" in _backward_math(panel, t) for t in range(1, 5))


def test_numbers_are_written_as_a_slide_writes_them():
    for value, digits, written in CASES:
        assert slide_number(value, digits) == written, (value, digits)
    for values, digits in APART:
        assert digits_to_tell_apart(values) == digits, values
    loss, _ = language_model_loss("lstm", steps=3)
    shown = " ".join(stage["math"] + stage["text"] for stage in viz.lecture(loss).data["panels"][0]["stages"])
    assert "·10" in shown and not re.search(r"\de[+-]?\d", shown)  # 1.5·10⁻², never 1.496e+0


# --- what a lecturer found false on the page: each a test that failed before ----------------------------

def test_a_colour_scale_spans_two_decades_about_the_values_and_the_ratio_is_for_a_last_step_loss():
    """With a J_t at every step the norms lie within a factor 1.5: stretched over their own range, a
    step 30% smaller would read as a vanished gradient. The scale spans two decades, the values in
    its middle; ‖∂J/∂h_1‖/‖∂J/∂h_T‖ is shown only where J is read at the last step."""
    loss, layer = language_model_loss("lstm", steps=4)
    data = viz.lecture(loss, layer).data
    [panel] = data["panels"]
    low, high = min(panel["hidden_norms"]), max(panel["hidden_norms"])
    assert high / low < 2
    numpy.testing.assert_allclose(numpy.log10(data["scale"][1] / data["scale"][0]), 2)
    numpy.testing.assert_allclose(data["scale"][0] * data["scale"][1], low * high)  # the values in the middle
    assert panel["ratio"] is None and panel["loss_is"]["per_step"]
    layer, loss = last_step_loss("rnn", steps=4)
    [panel] = viz.lecture(loss, layer).data["panels"]
    assert panel["ratio"] == panel["hidden_norms"][0] / panel["hidden_norms"][-1]


def _lines(math):
    return re.findall(r'<mtd columnalign="left">(.*?)</mtd>', math)


DELTA = r"<msub><mi>δ</mi><mi>(\d+)</mi></msub>"


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("every", [False, True])
def test_every_delta_is_defined_in_the_stage_that_uses_it(kind, every):
    """∂J/∂W_hh|_(t) = δ_t h_{t−1}ᵀ: δ_t is defined on a line of the same stage, before its ':' or '='."""
    loss, layer = language_model_loss(kind, steps=4) if every else last_step_loss(kind, steps=4)[::-1]
    [panel] = viz.lecture(loss, layer).data["panels"]
    for stage in (s for s in panel["stages"] if s["phase"] == "backward" and s["t"] <= 4):
        lines = _lines(stage["math"])
        used = {k for line in lines for k in re.findall(DELTA, line)}
        defined = {k for line in lines if line.startswith("<mrow><msub><mi>δ</mi>")
                   for k in re.findall(DELTA, re.split(r"<mtext>|<mo>=</mo>", line)[0])}
        assert str(stage["t"]) in used and used <= defined, (stage["t"], used, defined)


def test_the_tanh_rnn_delta_is_what_makes_the_w_hh_term():
    """δ_t = (1 − h_t²) ⊙ ∂J/∂h_t, as the page defines it: ‖δ_t h_{t−1}ᵀ‖ is the term the page prints."""
    layer, loss = last_step_loss("rnn", steps=4)
    [panel] = viz.lecture(loss, layer).data["panels"]
    hidden = layer.hidden_states[0]
    gradients = tr.grad(loss, hidden, retain_graph=True)
    w_hh = next(w for w in panel["weights"] if w["role"] == "W_hh")
    for t in range(2, 5):
        h, previous = hidden[t - 1].numpy()[0], hidden[t - 2].numpy()[0]
        delta = (1 - h ** 2) * gradients[t - 1].numpy()[0]
        numpy.testing.assert_allclose(numpy.linalg.norm(numpy.outer(delta, previous)), w_hh["terms"][t - 1], rtol=1e-5)
        assert "tanh's input" in _backward_math(panel, t).replace("\xa0", " ")  # (MathML's spaces are no-break)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("every", [False, True])
def test_the_last_step_names_no_step_after_it(kind, every):
    """At t = T there is no f_{T+1}, c_{T+1} or h_{T+1}: the terms from the right are said to be absent."""
    loss, layer = language_model_loss(kind, steps=4) if every else last_step_loss(kind, steps=4)[::-1]
    [panel] = viz.lecture(loss, layer).data["panels"]
    math = _backward_math(panel, 4).replace("\xa0", " ")
    assert "<mi>5</mi>" not in math and "the last step" in math
    if kind == "lstm":
        assert "nothing along c" in math and "along c" not in math.replace("nothing along c", "")


def test_the_embedding_is_summed_like_every_shared_weight():
    """E is read at every step (row x_t): its term at step t is ∂J/∂e_t added into that row, so
    ‖term t‖ = ‖∂J/∂e_t‖ — checked against the gradient at the embedded inputs, and Σ_t against E.grad."""
    tr.manual_seed(0)
    model = tr.models.LanguageModel(10, 3, 4, cell="gru", fused=False)
    ids = tr.tensor([[3, 5, 3, 7, 2]])  # 3 twice: two steps' terms land in one row, each its own term
    embedded = model.embedding(ids[:, :-1])
    output, _ = model.rnn(embedded)
    loss = tr.nn.functional.cross_entropy(model.head(output).reshape(-1, 10), ids[0, 1:])
    [panel] = viz.lecture(loss, model.rnn).data["panels"]
    [table] = [w for w in panel["weights"] if w["lookup"]]
    (at_inputs,) = tr.grad(loss, [embedded], retain_graph=True)
    numpy.testing.assert_allclose(table["terms"], numpy.linalg.norm(at_inputs.numpy()[0], axis=-1), rtol=1e-5)
    loss.backward()
    numpy.testing.assert_allclose(table["running"][0], numpy.linalg.norm(model.embedding.weight.grad.numpy()),
                                  rtol=1e-5)
    assert "(term t: " in panel["stages"][-1]["math"].replace("\xa0", " ")  # how E's terms are made, said


def test_the_sums_say_which_parameters_they_leave_out():
    loss, layer = language_model_loss("rnn", steps=3, layers=2)
    [panel] = viz.lecture(loss, layer).data["panels"]
    assert "not summed here: " in panel["stages"][-1]["text"] and "weight_hh_l1" in panel["stages"][-1]["text"]


@pytest.mark.parametrize("every", [False, True])
def test_the_page_says_what_j_is_and_draws_no_shape(every):
    loss, layer = language_model_loss("rnn", steps=4) if every else last_step_loss("rnn", steps=4)[::-1]
    [panel] = viz.lecture(loss, layer).data["panels"]
    start = next(s for s in panel["stages"] if s["phase"] == "backward")
    assert ("J = (1/4) Σ<sub>t</sub> J<sub>t</sub>" if every else "J = Σ h<sub>4</sub>") in start["text"]
    assert ">()<" not in panel["svg"] and ">()<" not in panel["rolled_svg"]  # J, not "J ()"
    assert "(1, " not in panel["svg"] and "(1, " not in panel["rolled_svg"]  # no shapes, as on a slide
    assert any(len(node["shape"]) == 2 for node in panel["nodes"])  # a node's tooltip still says its shape


def test_each_stage_lists_the_nodes_its_text_names():
    """What a stage's window must show (stage_window.named_nodes, read by the page's script and the export):
    the text's cells, h₀ and c₀ at step 1, step t's J_t, J where the backward pass starts."""
    loss, _ = language_model_loss("lstm", steps=4)
    panel = viz.lecture(loss, tokens="the students opened their books".split()).data["panels"][0]
    names = [node["name"] for node in panel["nodes"]]

    def named(phase, t):
        stage = next(s for s in panel["stages"] if s["phase"] == phase and s["t"] == t)
        return sorted(f"{names[i]} {panel_step(i)}" for i in stage["named"] if i < len(names))  # (the sums' Σ: below)

    def panel_step(i):
        return next((t for t, cells in panel["cells"].items() if i in cells), "")

    # "h_t from h_{t−1} and e_t = E[x_t], the embedding of x_t; J_t = …": e_t and x_t too (they were left out)
    assert named("forward", 1) == ["J₁ = cross_entropy ", "LSTM cell 1", "c<sub>0</sub> ", "e₁ = embedding ",
                                   "h<sub>0</sub> ", "linear ", "x₁ "]
    assert named("forward", 3) == ["J₃ = cross_entropy ", "LSTM cell 2", "LSTM cell 3", "e₃ = embedding ",
                                   "linear ", "x₃ "]
    # "Unrolled over 4 steps: the same cell at every step": two cells at least (one looked rolled), h₀ and c₀
    # feeding the first; not what the cells read (its x_t and e_t rows took the box's height, the J_t rows out of
    # view); the page holds the whole row (test_lecture_lit)
    assert named("unrolled", None) == ["LSTM cell 1", "LSTM cell 2", "c<sub>0</sub> ", "h<sub>0</sub> "]
    assert named("backward", 3) == ["J₃ = cross_entropy ", "LSTM cell 3", "LSTM cell 4", "linear "]
    assert named("backward", 5) == ["(1/4) Σₜ Jₜ ", "J "]  # the pass starts at J
    # "the sum of one term per step": every step's cell (a window onto steps 1–3 of 5 left two terms out)
    assert named("sums", 1) == ["LSTM cell 1", "LSTM cell 2", "LSTM cell 3", "LSTM cell 4"]
    sums = next(s for s in panel["stages"] if s["phase"] == "sums")  # and the first weight's Σ, which they drop into
    assert [i for i in sums["named"] if i >= len(names)] == [panel["weights"][0]["sum_node"]]
    rolled = panel["stages"][0]  # "the network rolled": all of it, x_t to J (J_t and J were cut off above)
    assert rolled["phase"] == "rolled" and rolled["named"] == list(range(panel["rolled_svg"].count('class="node')))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("slide", [False, True])
def test_a_rolled_cells_output_arrow_ends_in_the_node_above(cell, slide):
    """The page's rolled language model (its weights hidden, so "linear" is narrow): h_t rises from the cell's
    top left of its loops and must end in the head's bottom — it went straight up from the cell's corner and
    stopped in the space below-left of "linear", its arrowhead pointing at nothing."""
    from tinygrad_rnn.viz.graph import build_picture
    from tinygrad_rnn.viz.layout import labelled_layout

    loss, _ = language_model_loss(cell, steps=3)
    picture = build_picture((loss,), rolled=True, params="hide", show_shapes=False, slide=slide)
    _, placed = labelled_layout(picture)
    rising = [(head, route) for (tail, head, _), route in zip(picture.edges, placed.routes, strict=True)
              if picture.nodes[tail].loops]
    assert rising, "no edge leaves the rolled cell"
    for head, route in rising:
        box, end = placed.boxes[head], route.end
        assert box.left < end[0] < box.right, (picture.nodes[head].label, end, box)
        assert abs(end[1] - box.bottom) < 0.5 or abs(end[1] - box.top) < 0.5 or abs(end[0] - box.left) < 0.5, end


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_sums_stage_draws_each_weights_sum_with_one_arrow_from_every_step(cell):
    """LECTURES.md's BPTT figure collects the per-step terms of ∂J/∂W_hh into one sum, and the deck's and docs'
    figures draw it, a Σ with an arrow from every cell; the page's sums stage drew no Σ. Now its figure is the
    unrolled one with each row's Σ (the figures' own, build_picture(weight_sums=True)): every weight the selector
    offers, in every notation, has its Σ node, a line of it naming the weight's term as the equations write it, and
    one arrow into it from each step t = 1 … T, labelled t=k, out of a node that step computes — one per bar."""
    from xml.etree import ElementTree

    from slide_checks import SVG
    from written import flat, svg_lines

    from tinygrad_rnn.viz.notation import PRESETS, resolve

    for notation in sorted(PRESETS):
        loss, layer = language_model_loss(cell, steps=2)
        [panel] = viz.lecture(loss, layer, notation=notation).data["panels"]
        sums = panel["stages"][-1]
        assert sums["phase"] == "sums" and sums["view"] == "summed", notation
        figure = ElementTree.fromstring(panel["sums_svg"])
        nodes = {int(g.get("data-index")): g for g in figure.iter(f"{SVG}g") if g.get("data-index")}
        edges = list(figure.iter())
        terms = {}  # Σ node → [(t, the node the arrow comes from)]
        for k, element in enumerate(edges):
            if element.tag == f"{SVG}path" and int(element.get("data-head", -1)) >= len(panel["nodes"]):
                label = edges[k + 1]
                assert label.get("class") == "edge-label", notation
                terms.setdefault(int(element.get("data-head")), []).append(
                    (int(label.text.removeprefix("t=")), int(element.get("data-tail"))))
        loss_letter = resolve(notation).symbol("J")
        for weight in panel["weights"]:
            where = (notation, weight["name"])
            line = svg_lines(nodes[weight["sum_node"]].find(f"{SVG}text"))[weight["sum_line"]]
            assert line == flat(f"Σₜ ∂{loss_letter}/∂{weight['symbol']}|₍ₜ₎"), (where, line)
            arrows = sorted(terms[weight["sum_node"]])
            assert [t for t, _ in arrows] == list(range(1, panel["steps"] + 1)) == \
                list(range(1, len(weight["terms"]) + 1)), where
            assert all(tail in panel["computed"][str(t)] for t, tail in arrows), where
        assert sums["held"] == sorted(set(sums["named"]) | {panel["weights"][0]["sum_node"]})


@pytest.mark.parametrize("kind", ["rnn", "gru"])
def test_a_loss_last_page_says_the_loss_j_where_the_figure_draws_it(kind):
    """A loss on the last step is drawn at the right of h_T, none above a cell: the panel said "∂J/∂h₈|(above) … from
    above 2.8" of the arrow that enters from the right, and "from above 0" at every t < T, of a loss drawn nowhere.
    Now ∂J/∂h_T comes from the loss J, and a step no loss reads says so; a GRU's z path goes around the candidate n
    (it said "skips the layer": a layer is a stacked layer)."""
    layer, loss = last_step_loss(kind, steps=3)
    [panel] = viz.lecture(loss, layer).data["panels"]
    words = {t: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _backward_math(panel, t))) for t in range(1, 4)}
    assert all("above" not in said and "layer" not in said for said in words.values()), words
    assert "∂J / ∂h 3 from the loss J" in words[3] and f"from the loss J {js(panel['hidden_norms'][2])}" in words[3]
    assert all("(no loss at this step)" in words[t] and "from the loss J" not in words[t] for t in (1, 2))
    if kind == "gru":
        assert all(f"(the part through z {t + 1} ⊙ h {t} , around the candidate n {t + 1} )" in words[t]
                   for t in (1, 2)), words


def test_the_sums_window_holds_a_chosen_weights_step_labels_and_the_row_its_terms_come_from():
    """A GRU language model in CS224N's names, U chosen: the Σ of the head's weights stands over the head's row, its
    bus over that row, the labels t=1 … T over the bus, and J⁽ᵗ⁾ (where ∂J/∂s⁽ᵗ⁾ comes from) over them. The window's
    box stopped at the Σ's top: at 1,920 × 1,080 the labels were cut in half and J⁽ᵗ⁾ out of view."""
    from tinygrad_rnn.cli import _last_step_loss
    from tinygrad_rnn.cli_options import build_parser
    from tinygrad_rnn.viz.figure_boxes import EDGE, lit_labels

    term_label = re.compile(r'<path [^>]*data-head="(\d+)"[^>]*/>\s*(<text [^>]*class="edge-label[^"]*"[^>]*>.*?'
                            r'</text>)', re.DOTALL)  # (an arrow's label: right after its route)

    args = build_parser().parse_args(["lecture", "--cell", "gru", "--notation", "cs224n", "--loss", "every"])
    page = viz.lecture(*_last_step_loss(args.cell, args))
    [panel], figure = page.data["panels"], page.slides[0]["sums_svg"]
    sums = panel["stages"][-1]
    boxes = {int(i): tuple(float(v) for v in xywh) for i, *xywh in re.findall(
        r'data-index="(\d+)"[^>]*><rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)"', figure)}
    edges = [(int(tail), int(head)) for tail, head, _ in EDGE.findall(figure)]
    for weight, held in zip(panel["weights"], sums["weight_boxes"], strict=True):
        if weight["name"] != "W_hy":  # (U, in CS224N's names)
            continue
        labels = [lit_labels(found.group(2).replace('class="edge-label', 'class="edge-label carried'))[0]
                  for found in term_label.finditer(figure) if int(found.group(1)) == weight["sum_node"]]
        assert len(labels) == 8 and all(held[1] <= b[1] and b[3] <= held[3] for b in labels), (held, labels)
        tails = {tail for tail, head in edges if head == weight["sum_node"]}
        losses = {head for tail, head in edges if tail in tails and head != weight["sum_node"]}
        assert len(losses) == 8 and all(held[1] <= boxes[i][1] and boxes[i][1] + boxes[i][3] <= held[3]
                                        for i in losses), (held, [boxes[i] for i in losses])
