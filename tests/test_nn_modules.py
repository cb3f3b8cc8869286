"""Module, Parameter, init, Linear, Embedding, Dropout, Sequential, and layer input checks."""

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn import nn


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 4, padding_idx=0)
        self.lstm = nn.LSTM(4, 6, batch_first=True)
        self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(6, 3))

    def forward(self, ids):
        output, _ = self.lstm(self.embed(ids))
        return self.head(output)


def test_parameters_are_registered_named_and_ordered():
    model = Tagger()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["embed.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
                     "head.1.weight", "head.1.bias"]
    # each parameter is labelled with its place in the module tree, unless the user named it
    assert [p.name for p in model.parameters()] == names
    named = Tagger()
    named.head[1].weight.name = "W_hy"
    outer = nn.Sequential(named)
    assert named.head[1].weight.name == "W_hy" and named.embed.weight.name == "0.embed.weight"
    assert outer[0] is named
    assert all(p.requires_grad and isinstance(p, nn.Parameter) for p in model.parameters())
    assert [type(c).__name__ for c in model.children()] == ["Embedding", "LSTM", "Sequential"]
    assert len(list(model.modules())) == 6


def test_a_drawing_writes_a_weights_role_where_certain_and_its_name_otherwise():
    """What Parameter's docstring says a drawing shows (it said the module-tree name, which drawings had stopped
    showing): E, W_hh, W_hy, b_y by what each weight does; the attribute name where two linear layers leave the
    head's role uncertain; a name the user set, as written."""
    from tinygrad_rnn.viz.graph import build_picture

    def drawn(*heads):
        tr.manual_seed(0)
        model = nn.Sequential(nn.Embedding(5, 3), nn.RNN(3, 4))
        output, _ = model(tr.tensor([[1], [2]]))
        for head in heads:
            output = head(output)
        picture = build_picture((output.sum(),), level="cell")
        return {name for node in picture.nodes for name in node.parameters}

    assert drawn(nn.Linear(4, 5)) == {"E", "W_ih", "b_ih", "W_hh", "b_hh", "W_hy", "b_y"}
    out, extra = nn.Sequential(nn.Linear(4, 5), nn.Linear(5, 5))
    assert {"0.weight", "1.weight"} <= drawn(out, extra) and not {"W_hy", "b_y"} & drawn(out, extra)
    named = nn.Linear(4, 5)
    named.weight.name = "W_out"
    assert "W_out" in drawn(named) and "W_hy" not in drawn(named)
    assert "drawing writes the weight's role" in " ".join(nn.Parameter.__doc__.split())


def test_train_eval_and_zero_grad():
    model = Tagger()
    assert model.eval() is model and not model.head[0].training
    assert model.train().head[0].training
    out = model(tr.tensor([[1, 2, 0]]))
    out.sum().backward()
    assert model.head[1].weight.grad is not None
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_factory_arguments_build_float64_parameters():
    for layer in (nn.LSTM(4, 8, dtype="float64"), nn.Linear(2, 3, dtype="float64"), nn.GRUCell(2, 3, dtype="float64"),
                  nn.Embedding(5, 2, dtype="float64")):
        assert {p.dtype for p in layer.parameters()} == {numpy.dtype("float64")}


def test_to_casts_in_place_keeping_parameter_objects():
    layer = nn.RNN(2, 3)
    weight = layer.weight_hh_l0
    layer.to(dtype="float64")
    assert layer.weight_hh_l0 is weight and weight.dtype == numpy.float64
    assert layer.double() is layer and layer.float().weight_hh_l0.dtype == numpy.float32


def test_state_dict_round_trip():
    a, b = nn.GRU(3, 4, num_layers=2), nn.GRU(3, 4, num_layers=2)
    state = a.state_dict()
    assert all(isinstance(v, numpy.ndarray) for v in state.values())
    state["weight_hh_l0"][0, 0] = 123.0  # a copy: the model is unchanged
    assert a.weight_hh_l0.numpy()[0, 0] != 123.0
    b.load_state_dict(a.state_dict())
    x = tr.randn(5, 1, 3)
    numpy.testing.assert_array_equal(a(x)[0].numpy(), b(x)[0].numpy())


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    layer = nn.LSTM(3, 4)
    before = layer.state_dict()
    bad = dict(before)
    del bad["bias_hh_l0"]
    bad["weight_hh_l0"] = numpy.zeros((4, 4))
    bad["weight_ih_l0"] = numpy.zeros((16, 3))  # fine, would load
    bad["extra"] = numpy.zeros(1)
    with pytest.raises(KeyError) as error:
        layer.load_state_dict(bad)
    message = str(error.value)
    assert "missing keys: bias_hh_l0" in message and "unexpected keys: extra" in message
    assert "weight_hh_l0: checkpoint (4, 4) vs model (16, 4)" in message
    for name, value in layer.state_dict().items():
        numpy.testing.assert_array_equal(value, before[name])


def test_load_state_dict_non_strict_and_dtype_cast():
    layer = nn.Linear(2, 2, dtype="float64")
    result = layer.load_state_dict({"weight": numpy.ones((2, 2), dtype="float32"), "other": 1}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["other"]
    assert layer.weight.dtype == numpy.float64 and layer.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_default_initialisation_matches_pytorch_ranges():
    tr.manual_seed(0)
    hidden = 25
    layer = nn.LSTM(10, hidden)
    for parameter in layer.parameters():
        assert numpy.abs(parameter.numpy()).max() <= 1 / numpy.sqrt(hidden)
    values = layer.weight_ih_l0.numpy()
    assert abs(values.var() - (2 / numpy.sqrt(hidden)) ** 2 / 12) < 0.002  # U(−a, a): var a²/3
    assert nn.Embedding(1000, 50).weight.numpy().std() == pytest.approx(1.0, abs=0.02)


def test_initialisation_is_seeded_and_in_the_tensor_dtype():
    tr.manual_seed(5)
    first = nn.GRU(3, 4, dtype="float64").state_dict()
    tr.manual_seed(5)
    second = nn.GRU(3, 4, dtype="float64").state_dict()
    assert all((first[k] == second[k]).all() for k in first)
    assert first["weight_hh_l0"].dtype == numpy.float64


def test_init_functions():
    tr.manual_seed(0)
    w = tr.zeros(200, 300)
    assert nn.init.xavier_uniform_(w) is w
    assert abs(w.numpy().var() - 2 / 500) < 3e-4
    q = nn.init.orthogonal_(tr.zeros(3, 5, dtype="float64")).numpy()
    numpy.testing.assert_allclose(q @ q.T, numpy.eye(3), atol=1e-12)
    assert nn.init.zeros_(tr.ones(2)).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_normal_(tr.zeros(3))


def test_embedding_padding_row_gets_no_gradient_and_repeats_sum():
    embed = nn.Embedding(5, 2, padding_idx=0, dtype="float64")
    assert embed.weight.numpy()[0].tolist() == [0.0, 0.0]
    embed(tr.tensor([[0, 3, 3, 0, 1]])).sum().backward()
    assert embed.weight.grad.numpy()[:, 0].tolist() == [0.0, 1.0, 0.0, 2.0, 0.0]


def test_embedding_rejects_bad_ids():
    embed = nn.Embedding(5, 2)
    with pytest.raises(IndexError, match=r"ids must lie in \[0, 5\)"):
        embed(tr.tensor([1, 7]))
    with pytest.raises(IndexError, match=r"ids must lie in \[0, 5\); got values from -1 to 2"):
        embed(tr.tensor([2, -1]))  # negative: checked with the rest in one reduction (as unsigned, it is huge)
    with pytest.raises(IndexError, match=r"got values from 0 to 5"):
        embed(tr.tensor([0, 5], dtype="uint8"))
    with pytest.raises(TypeError, match="must be integers"):
        embed(tr.tensor([1.0]))


def test_dropout_scales_kept_entries_and_is_off_in_eval():
    tr.manual_seed(0)
    drop = nn.Dropout(0.25)
    out = drop(tr.ones(10000)).numpy()
    numpy.testing.assert_allclose(numpy.unique(out), [0.0, 1 / 0.75], rtol=1e-6)
    assert abs((out == 0).mean() - 0.25) < 0.02
    assert drop.eval()(tr.ones(3)).tolist() == [1.0, 1.0, 1.0]


def test_linear_matches_its_equation():
    layer = nn.Linear(3, 2, dtype="float64")
    x = numpy.random.default_rng(0).standard_normal((4, 3))
    expected = x @ layer.weight.numpy().T + layer.bias.numpy()
    numpy.testing.assert_allclose(layer(tr.tensor(x)).numpy(), expected)
    assert nn.Linear(3, 2, bias=False).bias is None


def test_linear_input_errors_name_the_shapes():
    F = nn.functional
    with pytest.raises(tr.ShapeError, match=r"linear: input has 4 features \(shape \(2, 4\)\).*\(3, 5\)"):
        F.linear(tr.zeros(2, 4), tr.zeros(3, 5))
    with pytest.raises(tr.ShapeError, match=r"the bias must have shape \(3,\).*got \(2, 3\)"):
        F.linear(tr.zeros(2, 5), tr.zeros(3, 5), tr.zeros(2, 3))  # a batch-shaped bias would broadcast silently
    with pytest.raises(tr.ShapeError, match="linear"):
        nn.Linear(3, 2)(tr.zeros(4, 5))


def test_layer_input_errors_are_clear():
    lstm = nn.LSTM(4, 8)
    expected = r"LSTM: expected input of shape \(T, B, input_size\).*input_size=4.*\(5, 2, 3\)"
    with pytest.raises(tr.ShapeError, match=expected):
        lstm(tr.zeros(5, 2, 3))
    with pytest.raises(TypeError, match="LSTM: input is float64 but the weights are float32"):
        lstm(tr.zeros(5, 2, 4, dtype="float64"))
    with pytest.raises(tr.ShapeError, match=r"expected h_0 of shape \(1, 2, 8\)"):
        lstm(tr.zeros(5, 2, 4), (tr.zeros(1, 3, 8), tr.zeros(1, 2, 8)))
    with pytest.raises(TypeError, match=r"hx must be the pair"):
        lstm(tr.zeros(5, 2, 4), tr.zeros(1, 2, 8))
    with pytest.raises(ValueError, match=r"every length must be in \[1, 5\]"):
        lstm(tr.zeros(5, 2, 4), lengths=[6, 2])
    with pytest.raises(ValueError, match="2 integers"):
        lstm(tr.zeros(5, 2, 4), lengths=[1.5, 2])
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        nn.RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(tr.ShapeError, match=r"RNNCell: expected input of shape \(batch, 3\)"):
        nn.RNNCell(3, 2)(tr.zeros(2, 4))


def test_repr_reads_like_pytorch():
    assert repr(nn.LSTM(4, 8, num_layers=2, bidirectional=True)) == "LSTM(4, 8, num_layers=2, bidirectional=True)"
    assert repr(nn.Linear(2, 3)) == "Linear(in_features=2, out_features=3, bias=True)"
    assert "(lstm): LSTM(4, 6, batch_first=True)" in repr(Tagger())


def test_load_state_dict_of_something_that_is_no_state_dict_says_what_it_takes():
    layer = tr.nn.Linear(2, 3)
    with pytest.raises(TypeError, match="load_state_dict: expected a state dict .* got Tensor"):
        layer.load_state_dict(tr.ones(3))


def test_nll_loss_names_the_constants_it_reads_in_a_drawing():
    logits = tr.randn(4, 5, requires_grad=True)
    logits.name = "logits"
    text = tr.viz.to_dot(tr.nn.functional.nll_loss(logits.log_softmax(-1), tr.tensor([0, 1, 2, 3])))
    assert 'label="input' not in text and "count" in text and "counted (not ignore_index)" in text


def test_a_padding_index_outside_the_table_is_named_in_the_error():
    with pytest.raises(IndexError, match=r"padding_idx must lie in \[-3, 3\) for a table of 3 rows, got 3"):
        tr.nn.functional.embedding(tr.tensor([[0, 1]]), tr.randn(3, 2), padding_idx=3)


def test_a_layer_named_as_an_op_points_to_that_op_and_its_backward():
    """nn.Linear and ops' Linear, nn.Tanh and ops' Tanh …: the layer's docstring says where the op is."""
    import inspect

    ops = {cls.__name__.lower(): cls for module in (tr.ops.elementwise, tr.ops.linalg, tr.ops.reduce, tr.ops.shape)
           for _, cls in inspect.getmembers(module, inspect.isclass) if issubclass(cls, tr.Function)}
    layers = [cls for _, cls in inspect.getmembers(tr.nn, inspect.isclass) if issubclass(cls, tr.nn.Module)]
    named = [(layer, ops[layer.__name__.lower().removesuffix("loss")]) for layer in layers
             if layer.__name__.lower().removesuffix("loss") in ops]
    assert len(named) >= 8
    for layer, op in named:
        where = f"ops/{op.__module__.rsplit('.', 1)[-1]}.py"
        assert f"``{op.__name__}``" in layer.__doc__ and where in " ".join(layer.__doc__.split()), layer.__name__
