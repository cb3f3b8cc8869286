"""A student's mistakes get the truth: in-place changes, token ids into layers, options that cannot apply.

Each case states PyTorch's behaviour where PyTorch has one, and checks it against the installed CPU build.
"""

import subprocess
import sys
import warnings

import numpy
import pytest
from conftest import checkout_first

import tinygrad_rnn as tr
from tinygrad_rnn.cli import main
from tinygrad_rnn.device import array_module

IN_PLACE = {
    "+=": lambda w: w.__iadd__(1.0),
    "-=": lambda w: w.__isub__(1.0),
    "*=": lambda w: w.__imul__(2.0),
    "/=": lambda w: w.__itruediv__(2.0),
    "[…] =": lambda w: w.__setitem__(0, 5.0),
    "zero_": lambda w: w.zero_(),
}


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch is the oracle here; tests/run.sh installs its CPU build")


# --- 1. a leaf that requires grad is not changed in place while gradients are recorded -------------------


@pytest.mark.parametrize("change", IN_PLACE, ids=list(IN_PLACE))
def test_in_place_change_of_a_leaf_that_requires_grad_is_refused(change, device):
    w = tr.randn(3, requires_grad=True, device=device)
    before = w.numpy()
    with pytest.raises(tr.GraphError, match="leaf tensor that requires grad.*no_grad"):
        IN_PLACE[change](w)
    numpy.testing.assert_array_equal(w.numpy(), before)  # refused before anything was written
    (w * w).sum().backward()
    assert w.grad is not None and w.is_leaf


@pytest.mark.parametrize("change", IN_PLACE, ids=list(IN_PLACE))
def test_pytorch_refuses_the_same_leaf_changes(change):
    torch = torch_or_skip()
    w = torch.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        IN_PLACE[change](w)


@pytest.mark.parametrize("change", IN_PLACE, ids=list(IN_PLACE))
def test_under_no_grad_a_parameter_changes_in_place_and_stays_the_leaf(change, device):
    w = tr.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    plain = tr.tensor([1.0, 2.0, 3.0])  # no grad: the same change needs no no_grad()
    IN_PLACE[change](plain)
    expected = plain.numpy()
    with tr.no_grad():
        result = IN_PLACE[change](w)
    assert result is None or result is w
    numpy.testing.assert_allclose(w.numpy(), expected)
    assert w.is_leaf and w.requires_grad
    (w * 3).sum().backward()
    numpy.testing.assert_allclose(w.grad.numpy(), [3.0, 3.0, 3.0])


def test_a_hand_written_sgd_step_updates_the_same_parameter():
    w = tr.tensor([1.0, -2.0], requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with tr.no_grad():
            w -= 0.25 * w.grad
        w.grad = None
    numpy.testing.assert_allclose(w.numpy(), [0.125, -0.25])  # w ← w (1 − 2·0.25), three times
    assert w.is_leaf and w.requires_grad


# --- 2. a tensor in a graph takes the recorded result --------------------------------------------------------


def test_in_place_on_a_computed_tensor_is_recorded_like_pytorch():
    torch = torch_or_skip()
    values = numpy.array([0.5, -1.0, 2.0])

    def run(lib):
        w = lib.tensor(values, requires_grad=True)
        h = w * w
        alias = h
        h += w  # recorded: h = w² + w
        h *= 3.0
        h.sum().backward()
        return alias is h, h.detach().numpy(), w.grad.numpy()

    ours, theirs = run(tr), run(torch)
    assert ours[0] and theirs[0]
    numpy.testing.assert_allclose(ours[1], theirs[1])
    numpy.testing.assert_allclose(ours[2], theirs[2])  # 3 (2w + 1)


def test_a_loss_summed_in_place_keeps_every_term():
    w = tr.tensor(2.0, requires_grad=True)
    total = w * 0.0
    for t in range(1, 4):
        total += w * t
    total.backward()
    assert w.grad.item() == 6.0


def test_a_leaf_without_grad_cannot_take_a_graph_in_place():
    total, loss = tr.zeros(()), tr.tensor(2.0, requires_grad=True) * 3
    with pytest.raises(tr.GraphError, match="total = total \\+ …|x = x \\+ …"):
        total += loss


def test_slice_assignment_into_a_graph_is_refused_with_what_to_do():
    h = tr.randn(3, requires_grad=True) * 2
    with pytest.raises(tr.GraphError, match="where"):
        h[0] = 1.0
    x = tr.zeros(3)
    with pytest.raises(tr.GraphError, match="where"):
        x[0] = tr.tensor(1.0, requires_grad=True)


# --- 3. an array saved for backward is not changed before backward reads it ---------------------------------


def _changes_after_forward():
    """(what is changed, how) after y = (w * x).sum() saved x."""
    def plus(x, _):
        x += 1.0

    def assign(x, _):
        x[1] = 7.0

    def through_detach(x, _):
        view = x.detach()
        view *= 2.0

    def through_a_slice(x, _):
        part = x[1:]  # a view of x's memory
        part -= 1.0

    def initialise(x, _):
        tr.nn.init.zeros_(x)

    return {"+=": plus, "[…] =": assign, "detach() view": through_detach, "slice view": through_a_slice,
            "nn.init": initialise}


@pytest.mark.parametrize("change", list(_changes_after_forward()))
def test_changing_a_saved_tensor_then_backward_is_an_error_naming_the_op(change, device):
    w = tr.randn(3, requires_grad=True, device=device)
    x = tr.randn(3, device=device)
    y = (w * x).sum()
    _changes_after_forward()[change](x, w)
    with pytest.raises(tr.GraphError, match="backward of mul: an array it saved .*changed in place"):
        y.backward()


@pytest.mark.parametrize("change", ["+=", "[…] =", "detach() view", "slice view"])
def test_pytorch_refuses_backward_after_the_same_changes(change):
    torch = torch_or_skip()
    w, x = torch.randn(3, requires_grad=True), torch.randn(3)
    y = (w * x).sum()
    _changes_after_forward()[change](x, w)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_an_optimizer_step_makes_a_retained_graph_stale():
    torch = torch_or_skip()

    def run(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Linear(3, 1))  # W₂ is read for ∂J/∂W₁
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
        loss = model(lib.ones(4, 2)).sum()
        loss.backward(retain_graph=True)
        optimizer.step()
        loss.backward()

    with pytest.raises(tr.GraphError, match="changed in place \\(SGD.step\\(\\)\\)"):
        run(tr)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        run(torch)


def test_ordinary_training_and_unrelated_writes_raise_nothing():
    tr.manual_seed(0)
    model = tr.nn.LSTM(2, 4)
    head = tr.nn.Linear(4, 1)
    optimizer = tr.optim.Adam(list(model.parameters()) + list(head.parameters()), lr=0.01)
    inputs, unrelated = tr.randn(5, 3, 2), tr.zeros(10)
    for _ in range(3):
        output, _ = model(inputs)
        loss = head(output[-1]).pow(2).mean()
        unrelated += 1.0  # a write to memory the graph does not hold
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert unrelated.numpy()[0] == 3.0


def test_in_place_values_keep_their_shape_and_dtype():
    ids = tr.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="int64 cannot hold .*x.float\\(\\)"):
        ids += 0.5
    x = tr.zeros(3)
    with pytest.raises(tr.ShapeError, match="\\(2, 3\\).*\\(3,\\)"):
        x += tr.ones(2, 3)
    x += tr.ones(1)
    assert x.tolist() == [1.0, 1.0, 1.0] and x.dtype == numpy.float32


# --- a new op's backward that breaks the op contract (function.py) is named, with what to do ----------------


class Softplus(tr.Function):
    """softplus(x) = log(1 + eˣ);   d/dx = σ(x): as the contract says to write it (reads x: saves it)."""

    saves_output = False

    def forward(self, x):
        return array_module(x).logaddexp(0, x)

    def backward(self, grad, out, x):
        return grad * tr.ops.sigmoid(x)


class ForgetsItsInput(Softplus):
    saves_inputs = False  # wrong: backward reads x


class CallsAMethodOfItsInput(ForgetsItsInput):
    def backward(self, grad, out, x):
        return grad * x.sigmoid()


class ForgetsItsOutput(Softplus):
    def backward(self, grad, out, x):  # reads out, which saves_output = False did not keep
        return grad * (1 - (-out).exp())


class CallsNumpy(Softplus):
    def backward(self, grad, out, x):  # NumPy on what is a Tensor under create_graph=True
        return grad / (1 + numpy.exp(-x))


class ForgetsItsSecondInput(tr.Function):
    saves_inputs = (0,)  # wrong: backward reads b too

    def forward(self, a, b):
        return a * b

    def backward(self, grad, out, a, b):
        return grad * b, grad * a


def test_an_op_written_by_the_contract_passes_gradcheck_and_gradgradcheck():
    x = tr.randn(4, dtype="float64", requires_grad=True)
    assert tr.gradcheck(Softplus.apply, [x]) and tr.gradgradcheck(Softplus.apply, [x])


def test_gradcheck_on_a_leaf_fails_an_op_that_reads_an_input_it_did_not_save():
    """gradcheck finds such an op (its inputs computed, or — below — its leaves' stand-ins)."""
    x = tr.randn(4, dtype="float64", requires_grad=True)
    with pytest.raises(TypeError, match=r"backward of forgets_its_input failed .*does not save input 0 "
                                        r"\(saves_inputs = False\).* add 0 to saves_inputs"):
        tr.gradcheck(ForgetsItsInput.apply, [x])


def test_an_unsaved_leaf_reaches_backward_as_a_stand_in_not_its_values_of_now():
    """The student's softplus: the template's ``saves_inputs = False`` copied, backward reading x. On a
    leaf, backward used to get the leaf itself: after ``x += 5`` under no_grad it read the new values,
    and x.grad was σ(5), σ(6) = [0.993, 0.998] where σ(0), σ(1) = [0.5, 0.731] is right — no error."""
    x = tr.tensor([0.0, 1.0], requires_grad=True)
    y = ForgetsItsInput.apply(x)
    with tr.no_grad():
        x += 5
    with pytest.raises(TypeError, match=r"backward of forgets_its_input failed .*'Node'.*does not save input 0 "
                                        r"\(saves_inputs = False\).* add 0 to saves_inputs"):
        y.sum().backward()
    assert x.grad is None
    with pytest.raises(TypeError, match=r"backward of forgets_its_input failed .*add 0 to saves_inputs"):
        tr.grad(ForgetsItsInput.apply(x).sum(), x, create_graph=True)  # the recorded backward alike


def test_an_unsaved_leaf_has_one_stand_in_made_again_only_for_a_new_array():
    w, other = tr.ones(2, 3, requires_grad=True), tr.ones(2, 3, requires_grad=True)
    first, second = (ForgetsItsInput.apply(w) for _ in range(2))
    (stand_in,) = first.grad_fn.saved_inputs
    assert isinstance(stand_in, tr.function.Node) and not hasattr(stand_in, "array")  # no values to read
    assert (stand_in.shape, stand_in.dtype, stand_in.grad_fn) == ((2, 3), numpy.float32, None)
    assert second.grad_fn.saved_inputs[0] is stand_in  # one per leaf, not one per op
    assert first.grad_fn.parents[0] is w  # the graph's edge is still the leaf itself
    assert (w + other).grad_fn.saved_inputs == (stand_in, ForgetsItsInput.apply(other).grad_fn.saved_inputs[0])
    layer = tr.nn.Linear(3, 2)
    assert ForgetsItsInput.apply(layer.bias).grad_fn.saved_inputs[0].dtype == numpy.float32
    layer.double()  # the module's leaves get new arrays (so does .to(device)): their stand-ins are made again
    assert ForgetsItsInput.apply(layer.bias).grad_fn.saved_inputs[0].dtype == numpy.float64


def test_a_saved_leaf_and_an_op_that_reads_only_its_shape_are_unchanged():
    x = tr.tensor([[0.0, 1.0]], dtype="float64", requires_grad=True)
    b = tr.tensor([0.5], dtype="float64", requires_grad=True)
    Softplus.apply(x).sum().backward()  # saves x: reads its values of the forward
    (x.reshape(2) + b).sum().backward()  # reshape and add read only shapes: a stand-in serves them
    numpy.testing.assert_allclose(x.grad.numpy(), [[1.5, 1 / (1 + numpy.exp(-1)) + 1]])
    assert b.grad.tolist() == [2.0]
    assert tr.gradcheck(lambda x, b: x.reshape(2) + b, [x, b]) and tr.gradgradcheck(Softplus.apply, [x])


def test_a_method_called_on_an_input_not_saved_is_named_too():
    x = tr.randn(4, dtype="float64", requires_grad=True)
    with pytest.raises(AttributeError, match=r"backward of calls_a_method_of_its_input failed .*'Node' object has no "
                                             r"attribute 'sigmoid'.* add 0 to saves_inputs"):
        tr.gradcheck(CallsAMethodOfItsInput.apply, [x])


def test_the_input_not_saved_is_named_among_several():
    a, b = (tr.randn(3, dtype="float64", requires_grad=True) for _ in range(2))
    with pytest.raises(TypeError, match=r"does not save input 1 \(saves_inputs = \(0,\)\).* add 1 to saves_inputs"):
        tr.gradcheck(ForgetsItsSecondInput.apply, [a, b])


def test_an_op_that_reads_its_output_unsaved_is_named_with_saves_output():
    x = tr.randn(4, dtype="float64", requires_grad=True)
    with pytest.raises(TypeError, match=r"backward of forgets_its_output failed .*NoneType.*set saves_output = True"):
        ForgetsItsOutput.apply(x).sum().backward()


def test_gradcheck_names_an_op_whose_backward_calls_numpy_on_tensors():
    """Its backward on arrays is right; the recorded one (create_graph=True) gets Tensors."""
    x = tr.randn(4, dtype="float64", requires_grad=True)
    CallsNumpy.apply(x * 1).sum().backward()  # on arrays: runs
    with pytest.raises(TypeError, match=r"backward of calls_numpy failed .*create_graph=True.*ops\.exp\(x\), "
                                        r"not numpy\.exp\(x\).*function\.py") as caught:
        tr.gradcheck(CallsNumpy.apply, [x])
    assert "saves_" not in str(caught.value)  # its declarations are right: not blamed


# --- token ids into a layer -----------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda: tr.nn.LSTM(3, 4), lambda: tr.nn.GRU(3, 4), lambda: tr.nn.RNN(3, 4),
                                  lambda: tr.nn.LSTMCell(3, 4), lambda: tr.nn.Linear(3, 4)],
                         ids=["LSTM", "GRU", "RNN", "LSTMCell", "Linear"])
def test_token_ids_into_a_layer_point_to_an_embedding(make):
    with pytest.raises(TypeError) as error:
        make()(tr.tensor([[1, 2, 3]]))
    message = str(error.value)
    assert "token ids" in message and "nn.Embedding" in message
    assert "dtype='int64'" not in message  # never the advice to make the weights integers


def test_a_float64_input_into_a_float32_linear_is_an_error_as_in_pytorch():
    with pytest.raises(TypeError, match="float64 but the weights are float32"):
        tr.nn.Linear(3, 2)(tr.ones(1, 3, dtype="float64"))


# --- what is silent elsewhere ---------------------------------------------------------------------------------


def test_reading_grad_of_a_computed_tensor_warns_as_in_pytorch():
    w = tr.ones(3, requires_grad=True)
    h = w * 2
    kept = w * 3
    kept.retain_grad()
    (h + kept).sum().backward()
    with pytest.warns(UserWarning, match="retain_grad"):
        assert h.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kept.grad is not None and w.grad is not None


def test_a_loss_whose_target_broadcasts_warns():
    with pytest.warns(UserWarning, match="\\(4,\\) and the input \\(4, 1\\)"):
        tr.nn.functional.mse_loss(tr.ones(4, 1), tr.ones(4))


def test_an_optimizer_given_the_method_says_to_call_it():
    model = tr.nn.Linear(2, 2)
    with pytest.raises(TypeError, match="did you mean model.parameters\\(\\)"):
        tr.optim.Adam(model.parameters)


# --- the command line: options that cannot apply, and no Python where the user typed a command ---------------


@pytest.mark.parametrize("argv, flag", [
    (["graph", "--steps", "4", "--time-steps", "1:10"], "--time-steps"),
    (["graph", "--grad-range", "1e-3:1"], "--grad-range"),
    (["graph", "--compare", "--cell", "lstm"], "--cell"),
    (["lecture", "--text", "hello"], "--text"),
    (["lecture", "--checkpoint", "lm.npz", "--text", "hi", "--steps", "3"], "--steps"),
    (["train", "--text", "corpus.txt", "--max-chars", "100"], "--max-chars"),
    (["train", "--resume", "lm.npz", "--hidden", "64"], "--hidden"),
    (["train", "--resume", "lm.npz", "--lr", "0.1"], "--lr"),
    (["sample", "--checkpoint", "lm.npz", "--greedy", "--temperature", "0.5"], "--temperature"),
])
def test_every_option_that_cannot_apply_is_an_error(argv, flag, tmp_path, capsys):
    output = ["-o", str(tmp_path / "x.svg")] if argv[0] == "graph" else (
        ["-o", str(tmp_path / "x.html")] if argv[0] == "lecture" else [])
    assert main(argv + output) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and f"{flag} cannot apply" in error
    assert not list(tmp_path.iterdir())  # nothing was drawn or written


def test_abbreviated_flags_are_not_guessed(capsys):
    with pytest.raises(SystemExit):
        main(["sample", "--checkpoint", "lm.npz", "--greedy", "--temp", "0.5"])
    assert "unrecognized arguments: --temp" in capsys.readouterr().err


def test_the_large_graph_warning_names_the_flags(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(tr.viz.render, "LARGE_GRAPH", 20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing reaches Python's warning machinery (no source line)
        assert main(["graph", "--steps", "8", "--level", "op", "-o", str(tmp_path / "big.svg")]) == 0
    error = capsys.readouterr().err
    assert "warning: drawing" in error and "--level cell or --time-steps 1:5" in error
    assert "slice(" not in error and "time_steps=" not in error


@pytest.mark.skipif(tr.gpu_available(), reason="checks the message of a machine without a GPU")
@pytest.mark.parametrize("command", [["lecture", "--device", "gpu", "-o", "x.html"],
                                     ["examples/lstm_neurons.py", "--device", "gpu"]])
def test_asking_for_a_missing_gpu_is_one_line(command):
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    program = [sys.executable, "-m", "tinygrad_rnn"] if not command[0].endswith(".py") else [sys.executable]
    result = subprocess.run(program + command, capture_output=True, text=True, cwd=root, timeout=120,
                            env=checkout_first())
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "a GPU was asked for" in result.stderr
    assert "--device cpu" in result.stderr


def test_training_curves_label_what_they_plot(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from tinygrad_rnn import plots

    figures = []
    monkeypatch.setattr(plots, "_save", lambda figure, path: figures.append(figure) or path)
    plots.save_training_curves({"step": [1, 2], "loss": [2.0, 1.0], "valid_step": [2], "valid_perplexity": [3.0]},
                               tmp_path / "with_validation.png")
    plots.save_training_curves({"step": [1, 2], "loss": [2.0, 1.0]}, tmp_path / "training_only.png")
    labels = [(axes.get_title(), axes.get_ylabel()) for figure in figures for axes in figure.axes[1:2]]
    assert labels == [("validation perplexity", "exp(J) on held-out text"),
                      ("training perplexity", "exp(J) of each training batch")]


def test_an_op_on_a_string_says_which_op_and_inputs_not_numpys_internals():
    """NumPy raises a subclass of TypeError for a ufunc with no loop for the types (a string added
    to a tensor); the op's message used to be built with that subclass, which crashed."""
    import tinygrad_rnn as tr

    with pytest.raises(TypeError, match=r"add: cannot apply to Tensor\(shape=\(1,\), float32, cpu\) and 'a'"):
        _ = tr.tensor([1.0]) + "a"
    with pytest.raises(TypeError, match="eq: cannot apply"):
        _ = tr.tensor([1.0]) == "a"


@pytest.mark.parametrize("compare, name", [(lambda a, b: a < b, "lt"), (lambda a, b: a <= b, "le"),
                                           (lambda a, b: a > b, "gt"), (lambda a, b: a >= b, "ge"),
                                           (lambda a, b: a == b, "eq"), (lambda a, b: a != b, "ne")])
def test_a_comparison_is_named_as_users_write_it_not_by_its_numpy_function(compare, name):
    """``tr.ones(2) < tr.ones(3)`` said "less: cannot apply": NumPy's name, where PyTorch's is lt."""
    with pytest.raises(tr.ShapeError, match=rf"^{name}: cannot apply to Tensor\(shape=\(2,\)"):
        compare(tr.ones(2), tr.ones(3))


@pytest.mark.parametrize("make", [lambda M: M.ones(4).reshape(2.0, 2), lambda M: M.zeros(2.5),
                                  lambda M: M.ones(2, 1).expand(2, 3.0), lambda M: M.ones(2).repeat(2.0),
                                  lambda M: M.randn((2, 1.5))])
def test_a_size_that_is_not_a_whole_number_is_an_error_as_in_pytorch(make):
    """reshape(2.0, 2) was rounded to reshape(2, 2) and zeros(2.5) to zeros(2): silently another shape."""
    import torch

    with pytest.raises(TypeError):
        make(torch)
    with pytest.raises(TypeError, match="sizes are whole numbers"):
        make(tr)
    assert tr.ones(4).reshape(tr.tensor(2), numpy.int64(2)).shape == (2, 2)  # integer types are sizes
