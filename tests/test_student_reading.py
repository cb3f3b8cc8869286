"""What a second student's reading of the plain path (README → docs/autodiff.md → code) found: each
place the docs send her must be what runs, and each message must name the op and the fix."""

import inspect
import re
from pathlib import Path

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import fast

ROOT = Path(__file__).resolve().parent.parent
AUTODIFF = (ROOT / "docs" / "autodiff.md").read_text()


def one_line(text: str) -> str:
    return " ".join(text.split())


# --- 1. the LSTM backward the docs name is the one that runs -------------------------------------------------


def lstm_backward_calls(monkeypatch, **forward):
    """Which of the fused LSTM layer's backward loops ran, and the weights' gradients."""
    from tinygrad_rnn.fast.recurrent import fused_cells, layers
    calls = []
    for owner, name in [(layers.FusedLSTMLayer, "steps_backward"), (layers.FusedLSTMLayer, "backward_in_place"),
                        (fused_cells.FusedLSTMCell, "gate_gradients")]:
        original = inspect.getattr_static(owner, name)
        function = original.__func__ if isinstance(original, staticmethod) else original

        def counted(*args, _function=function, _name=name, **kwargs):
            calls.append(_name)
            return _function(*args, **kwargs)
        monkeypatch.setattr(owner, name, staticmethod(counted) if isinstance(original, staticmethod) else counted)
    tr.manual_seed(0)
    layer = tr.nn.LSTM(3, 4, fused=True)
    x = tr.tensor(numpy.random.default_rng(0).standard_normal((5, 2, 3)), dtype="float32")
    output, _ = layer(x, **forward)
    output.sum().backward()
    return set(calls), layer.weight_hh_l0.grad.numpy()


@pytest.mark.skipif(not fast.gradient_table.installed(), reason="fast/ is off (TINYGRAD_RNN_FAST=0)")
def test_the_lstm_backward_chain_names_the_loop_that_runs_on_cpu_and_the_way_to_the_readable_one(monkeypatch):
    text = one_line(AUTODIFF)
    assert "what runs is `backward_in_place`" in text
    assert "`layer(x, lengths=[T] * B)`" in text
    calls, by_default = lstm_backward_calls(monkeypatch)
    assert calls == {"steps_backward", "backward_in_place"}  # the textbook loop and gate_gradients never run
    calls, through_the_textbook_loop = lstm_backward_calls(monkeypatch, lengths=[5, 5])
    assert calls == {"steps_backward", "gate_gradients"}
    numpy.testing.assert_allclose(through_the_textbook_loop, by_default, rtol=1e-5, atol=1e-6)


def test_the_textbook_loop_comment_sits_above_the_return_that_skips_it_and_says_when_each_runs():
    from tinygrad_rnn.fast.recurrent import layers
    source = inspect.getsource(layers.FusedLSTMLayer.steps_backward)
    textbook, switch = source.index("# The textbook BPTT loop"), source.index("return self.backward_in_place")
    assert textbook < switch
    assert "lengths=[T] * B" in source[textbook:switch]
    for layer in (layers.FusedGRULayer, layers.FusedRNNLayer):
        source = inspect.getsource(layer.steps_backward)
        assert source.index("backward_in_place runs") < source.index("return self.backward_in_place"), layer


# --- 6. the line of GradientTable.add that stops in both modes ------------------------------------------------


def line_holding(function, text: str) -> int:
    source, first = inspect.getsource(function).splitlines(), function.__code__.co_firstlineno
    (line,) = [first + number for number, held in enumerate(source) if text in held]
    return line


def terms_stopping_at(line: int, weight_of, fused: bool) -> list:
    """What a breakpoint at ``engine.py:line`` would see for the weight, under grad_contributions."""
    import sys

    from tinygrad_rnn import engine
    code, seen = engine.GradientTable.add.__code__, []
    tr.manual_seed(0)
    layer = tr.nn.RNN(2, 3, fused=fused)
    output, _ = layer(tr.randn(4, 1, 2))

    def tracer(frame, event, arg):
        if frame.f_code is not code:
            return None

        def on_line(frame, event, arg):
            if event == "line" and frame.f_lineno == line and frame.f_locals["vertex"] is weight_of(layer):
                seen.append(frame.f_locals["term"])
            return on_line
        return on_line
    sys.settrace(tracer)
    try:
        tr.grad_contributions(output.sum(), weight_of(layer))
    finally:
        sys.settrace(None)
    return seen


@pytest.mark.parametrize("fused", [False, True], ids=["ops", "fused"])
def test_the_line_the_docs_give_for_grad_contributions_sees_every_steps_term_as_an_array(fused):
    """With fast/ on, as by default (the + line is never reached then, as the docs say)."""
    from tinygrad_rnn import engine
    (cited,) = re.findall(r"`engine\.py:(\d+)` \(`self\.terms\.setdefault`\)", AUTODIFF)
    assert int(cited) == line_holding(engine.GradientTable.add, "self.terms.setdefault")
    seen = terms_stopping_at(int(cited), lambda layer: layer.weight_hh_l0, fused)
    assert len(seen) == 4 and all(type(term) is numpy.ndarray and term.shape == (3, 3) for term in seen)
    if fast.gradient_table.installed():
        plus = line_holding(engine.GradientTable.add, "self.totals[vertex] + term")
        assert terms_stopping_at(plus, lambda layer: layer.weight_hh_l0, fused) == []


def test_the_plain_add_says_which_of_its_lines_runs_by_default():
    from tinygrad_rnn import engine
    text = one_line(engine.GradientTable.add.__doc__)
    assert "By default this method never runs" not in text
    assert "By default the ``+`` below never runs" in text and "``append`` line" in text


# --- 7. which step's term arrives first ------------------------------------------------------------------------


def test_the_engine_says_the_first_term_to_arrive_is_the_last_steps_and_it_is():
    from tinygrad_rnn import engine
    assert "the first term to arrive (the last step's, t=T) is stored" in one_line(engine.__doc__)
    W = tr.tensor([[0.5]], requires_grad=True)
    h = tr.ones(1, 1)
    for t in range(1, 4):
        with tr.scope(f"t={t}"):
            h = (h @ W).tanh()
    assert [scope for scope, _ in tr.grad_contributions(h.sum(), W)] == [("t=3",), ("t=2",), ("t=1",)]


# --- 5. the order is a sort, and the summaries say so ----------------------------------------------------------


def test_the_summaries_of_the_order_say_it_is_sorted_by_sequence_nr():
    from tinygrad_rnn import engine
    assert "sorted by the order they were recorded (``sequence_nr``)" in one_line(engine.__doc__)
    assert "found with an explicit stack, sorted by the order they were recorded, `sequence_nr`" in one_line(AUTODIFF)


# --- 4. two stages, and "step" kept for a time step -----------------------------------------------------------


def test_backward_is_described_as_two_stages_the_order_then_the_walk_that_delivers():
    from tinygrad_rnn import engine
    summary = one_line(engine.__doc__)
    assert summary.startswith("The graph engine: reverse-mode differentiation over the recorded graph, in two stages.")
    assert "3. **Deliver**" not in summary and "the walk **delivers** that tensor's total" in summary
    assert "a search with an explicit stack" in one_line(engine.ops_in_order.__doc__)
    engine_place = one_line(AUTODIFF[AUTODIFF.index("3. **`tinygrad_rnn/engine.py`**"):
                                     AUTODIFF.index("4. **`tinygrad_rnn/ops/`**")])
    assert "Two stages: **order**" in engine_place and "Three steps" not in engine_place
    assert "which at each tensor it reaches **delivers** its total" in engine_place
    readme = (ROOT / "README.md").read_text()
    assert "backpropagation in two stages" in readme and "three stages" not in readme


# --- 8. the breakpoint picks the weight itself; fast/'s terms are named, and how to see one ------------------


@pytest.mark.parametrize("where", ["README.md", "docs/autodiff.md"])
def test_the_breakpoint_the_docs_give_stops_at_w_hh_alone_beside_another_4x4_weight(where, tmp_path):
    import os
    import subprocess
    import sys
    (command,) = set(re.findall(r"`(b tinygrad_rnn/engine\.py:\d+, [^`]+)`", (ROOT / where).read_text()))
    script = tmp_path / "script.py"
    script.write_text("import tinygrad_rnn as tr\n"
                      "W_hh, V = tr.randn(4, 4, requires_grad=True), tr.randn(4, 4, requires_grad=True)\n"
                      "h = tr.ones(1, 4)\n"
                      "for t in range(3):\n"
                      "    with tr.scope(f't={t + 1}'):\n"
                      "        h = (h @ W_hh + h @ V).tanh()\n"
                      "(h ** 2).sum().backward()\n")
    commands = [command] + ["p scope, type(term).__name__", "c"] * 4 + ["q"]
    run = subprocess.run([sys.executable, "-m", "pdb", str(script)], input="\n".join(commands) + "\n",
                         capture_output=True, text=True, cwd=tmp_path, timeout=120,
                         env={**os.environ, "TINYGRAD_RNN_FAST": "0", "PYTHONPATH": str(ROOT)})
    stops = re.findall(r"\(\('(t=\d)',\), '(\w+)'\)", run.stdout)
    assert stops == [("t=3", "ndarray"), ("t=2", "ndarray"), ("t=1", "ndarray")], run.stdout[-2000:]


@pytest.mark.skipif(not fast.gradient_table.installed(), reason="fast/ is off (TINYGRAD_RNN_FAST=0)")
def test_fast_tables_terms_are_deferred_products_and_materialize_gives_the_array(monkeypatch):
    from tinygrad_rnn.fast.gradient_table import DeferredGradientTable, DeferredProduct
    text = one_line(AUTODIFF)
    assert "at its own `DeferredGradientTable.add` (`fast/gradient_table.py`) as `DeferredProduct`s" in text
    assert "`p term.materialize()` gives one as an array" in text
    rnn, seen, add = tr.nn.RNN(3, 4), [], DeferredGradientTable.add

    def watched(table, vertex, term, scope, of=None):
        if vertex is rnn.weight_hh_l0:
            seen.append(term)
        add(table, vertex, term, scope, of)
    monkeypatch.setattr(DeferredGradientTable, "add", watched)
    output, _ = rnn(tr.randn(5, 2, 3))
    output.sum().backward()
    assert len(seen) == 5 and all(type(term) is DeferredProduct for term in seen)
    total = sum(term.materialize() for term in seen)
    assert type(seen[0].materialize()) is numpy.ndarray
    numpy.testing.assert_allclose(total, rnn.weight_hh_l0.grad.numpy(), rtol=1e-5, atol=1e-6)


# --- 2. Node is a tensor's record, and an op is called an op ---------------------------------------------------


def test_node_says_it_is_not_pytorchs_node_and_the_prose_calls_an_op_an_op():
    from tinygrad_rnn import engine, function
    from tinygrad_rnn.nn import recurrent
    for text in (function.Node.__doc__, AUTODIFF):
        assert "Not PyTorch's ``torch.autograd.graph.Node``, which is the op".replace("``", "`") in \
            one_line(text).replace("``", "`"), text[:80]
    for text in (AUTODIFF, inspect.getsource(engine), inspect.getsource(recurrent),
                 inspect.getsource(function.Function)):
        assert not re.search(r"one (fused |recorded )?(Σ )?node|node per|the node's backward|a layer node|"
                             r"\(Σ\) node", text), re.search(r".{40}node.{20}", text)
    with pytest.raises(ValueError, match=r"one op per layer and direction\) or 'step' \(one op per step\)"):
        tr.nn.LSTM(2, 3, fused="layer")


# --- 10. the contract states what is saved by default -----------------------------------------------------------


def test_the_contract_states_the_defaults_of_what_is_saved_and_they_are_so():
    contract = one_line(tr.function.__doc__)
    assert "By default everything is saved (``saves_inputs = True``, ``saves_output = True``)" in contract

    class DeclaresNothing(tr.Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad, out, x):
            return 2 * grad

    x = tr.ones(2, requires_grad=True)
    function = DeclaresNothing.apply(x * 1).grad_fn
    assert type(function.saved_output) is numpy.ndarray and type(function.saved_inputs[0]) is numpy.ndarray


# --- 9. a backward written with PyTorch's signature is told the call shape ------------------------------------


class SoftsignWithoutOut(tr.Function):
    saves_output = False

    def forward(self, x):
        return x / (1 + numpy.abs(x))

    def backward(self, grad, x):  # PyTorch habit: no out
        d = 1 + tr.ops.abs(x)
        return grad / (d * d)


class ProductWithoutOut(tr.Function):
    def forward(self, a, b):
        return a * b

    def backward(self, grad, a, b):
        return grad * b, grad * a


def test_a_backward_without_out_is_told_how_backward_is_called():
    x = tr.tensor([-1.5, 0.25, 2.0], dtype="float64", requires_grad=True)
    with pytest.raises(TypeError, match=re.escape(
            "backward is called as backward(grad, out, *inputs), one argument per input after grad and out: for "
            "softsign_without_out, with 1 input, def backward(self, grad, out, x) (PyTorch's backward(ctx, grad) "
            "has no out).")) as caught:
        SoftsignWithoutOut.apply(x).sum().backward()
    assert "saves_output" not in str(caught.value)  # not the cause
    with pytest.raises(TypeError, match=re.escape("with 2 inputs, def backward(self, grad, out, x0, x1)")):
        tr.gradcheck(ProductWithoutOut.apply, [x, x.detach().requires_grad_()])


# --- 3. an in-place write into grad inside a backward ----------------------------------------------------------


class SoftsignInPlace(tr.Function):
    saves_output = False

    def forward(self, x):
        return x / (1 + numpy.abs(x))

    def backward(self, grad, out, x):
        grad /= (1 + tr.ops.abs(x)) ** 2  # in place on grad: a NumPy habit the contract forbids
        return grad


def a_leaf():
    return tr.tensor([0.5, -1.0, 2.0], dtype="float64", requires_grad=True)


IN_PLACE_NAMED = re.escape("backward of softsign_in_place failed (ValueError: output array is read-only): it wrote "
                           "in place into an array it was given (grad, or a saved value)") + \
    ".*grad = grad / …, not grad /= …"


class SoftsignRight(SoftsignInPlace):
    def backward(self, grad, out, x):  # the same op written by the contract
        return grad / (1 + tr.ops.abs(x)) ** 2


@pytest.mark.parametrize("use", [lambda f, x: f(x), lambda f, x: f(x) + x], ids=["alone", "beside-another-use"])
def test_gradcheck_hands_grad_read_only_so_a_backward_writing_into_it_is_named(use):
    """It used to pass gradcheck's run on arrays, where grad happened to be writable and used once."""
    table = tr.engine.GRADIENT_TABLE
    with pytest.raises(ValueError, match=IN_PLACE_NAMED):
        tr.gradcheck(lambda x: use(SoftsignInPlace.apply, x), [a_leaf()])
    assert tr.engine.GRADIENT_TABLE is table  # put back
    assert tr.gradcheck(lambda x: use(SoftsignRight.apply, x), [a_leaf()])


def test_a_read_only_grad_written_in_an_ordinary_backward_is_named_not_numpys_bare_error():
    """After .sum(), grad is a read-only broadcast view: NumPy's bare ValueError used to come out."""
    with pytest.raises(ValueError, match=IN_PLACE_NAMED) as raised:
        SoftsignInPlace.apply(a_leaf() * 1).sum().backward()
    assert "read-only" in str(raised.value.__cause__)  # raised from NumPy's error: the traceback shows both


def test_any_other_value_error_of_a_backward_comes_out_as_it_was():
    """As it was: not wrapped, and not raised from itself (its cause was once the error itself)."""
    class Refuses(SoftsignRight):
        def backward(self, grad, out, x):
            raise tr.ShapeError("my own message")

    with pytest.raises(tr.ShapeError, match="^my own message$") as raised:
        Refuses.apply(a_leaf() * 1).sum().backward()
    assert raised.value.__cause__ is None and raised.value.__context__ is None


def test_an_in_place_write_in_a_recorded_backward_names_the_op():
    """It used to say only 'x /= …: x has no graph', x a placeholder for the tensor written (grad)."""
    x = a_leaf()
    with pytest.raises(tr.GraphError, match=re.escape("backward of softsign_in_place (create_graph=True), which "
                                                      "writes in place into an argument: x /= …")):
        tr.grad(SoftsignInPlace.apply(x * 1).sum(), x, create_graph=True)


@pytest.mark.xfail(strict=True, reason="read-only grads in every backward cost 5–7% of a recorded op (+250–315 ns "
                   "on 4.6 µs, per_op_overhead.py's chain, CPU time): only gradcheck hands them. An ordinary backward "
                   "of ((f(y) + y) · r).sum() gives x.grad [0.889, 1.0, 0.667] for [1.444, 2.5, 3.333]")
def test_an_ordinary_backward_writing_into_a_shared_grad_is_an_error():
    x, r = a_leaf(), tr.tensor([1.0, 2.0, 3.0], dtype="float64")
    y = x * 1
    with pytest.raises(ValueError, match=IN_PLACE_NAMED):
        ((SoftsignInPlace.apply(y) + y) * r).sum().backward()



# --- 14. gradcheck is a statement; what gradgradcheck alone lets pass -------------------------------------------


class CallsATensorMethod(SoftsignRight):
    def backward(self, grad, out, x):  # x.abs(): an array in a plain backward has no such method
        return grad / (1 + x.abs()) ** 2


def test_the_docs_call_gradcheck_as_a_statement_and_say_what_gradgradcheck_alone_passes():
    assert not re.search(r"assert (tr\.)?grad(grad)?check", AUTODIFF)
    text = one_line(AUTODIFF)
    assert "never returns False: call it as a statement" in text
    assert "Alone it passes a backward with a wrong formula, and one that calls a Tensor method" in text
    assert "calls a Tensor method (``x.abs()``" in one_line(tr.gradgradcheck.__doc__)
    assert tr.gradgradcheck(CallsATensorMethod.apply, [a_leaf()])  # as both say
    with pytest.raises(AttributeError, match=r"ops\.abs\(x\), not x\.abs\(\)"):
        tr.gradcheck(CallsATensorMethod.apply, [a_leaf()])


# --- 11. the contract is stated once; the other places point to it ----------------------------------------------


def test_the_places_that_restated_the_contract_point_to_function_py_instead():
    from tinygrad_rnn import engine
    from tinygrad_rnn.ops import elementwise
    function_place = one_line(AUTODIFF[AUTODIFF.index("2. **`tinygrad_rnn/function.py`**"):
                                       AUTODIFF.index("3. **`tinygrad_rnn/engine.py`**")])
    assert "forward` gets arrays and returns an array" not in function_place  # the paraphrase that dropped numbers
    assert "states the op contract, once" in function_place and "Read it there" in function_place
    ops_section = one_line(AUTODIFF[AUTODIFF.index("## Every op, forward and backward side by side"):])[:400]
    assert "as the op contract (the docstring of `tinygrad_rnn/function.py`) says" in ops_section
    assert "the op contract: tinygrad_rnn/function.py" in one_line(elementwise.__doc__)
    several = one_line(tr.Function.__doc__)
    assert "its backward gets a tuple of output gradients" not in several and "stated there once" in several
    assert "(the op contract, function.py)" in inspect.getsource(engine.backpropagate)


# --- 15. line budgets are for maintainers, after the reading order ------------------------------------------------


def test_the_line_budgets_come_after_the_reading_order_in_a_paragraph_for_maintainers():
    start = AUTODIFF.index("## The plain path")
    first_place, maintainers = AUTODIFF.index("1. **`tinygrad_rnn/tensor.py`**"), AUTODIFF.index("**For maintainers**")
    assert "budget" not in AUTODIFF[start:first_place] and "lines of code" not in AUTODIFF[start:first_place]
    assert AUTODIFF.index("5. **`tinygrad_rnn/nn/cells.py`**") < maintainers < AUTODIFF.index("## Backward, and")
    assert "the budget is 1,500" in one_line(AUTODIFF[maintainers:])


# --- 16. the switch is read at import ---------------------------------------------------------------------------


def test_the_docs_say_the_switch_is_read_at_import_and_what_to_call_in_a_running_process():
    text = one_line(AUTODIFF)
    assert "`TINYGRAD_RNN_FAST` is read once, when the package is imported" in text
    assert "`tinygrad_rnn.fast.uninstall()` does what `TINYGRAD_RNN_FAST=0` does" in text
