"""The names a user's figure gets (a lecturer's review): a ReLU RNN says relu at cell level, not a tanh RNN's
"RNN cell"."""

import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.cli import main
from tinygrad_rnn.viz.graph import build_picture


def first_lines(picture) -> set[str]:
    return {node.label.partition("\n")[0] for node in picture.nodes}


@pytest.mark.parametrize("fused", [False, "step"])
def test_a_relu_rnn_is_drawn_as_one_at_cell_level_forward_and_back_in_any_notation(fused):
    """nn.RNN(nonlinearity="relu") was "RNN cell" in every cell-level figure, relu nowhere (op level said it)."""
    tr.manual_seed(0)
    relu, tanh = (tr.nn.RNN(2, 3, nonlinearity=kind, fused=fused) for kind in ("relu", "tanh"))
    relu_loss, tanh_loss = (layer(tr.randn(3, 1, 2))[0][-1].sum() for layer in (relu, tanh))
    for backward, notation in ((False, None), (True, None), (False, "usc")):
        drawn = first_lines(build_picture((relu_loss,), level="cell", backward=backward, notation=notation))
        cells = {line.partition(",")[0] for line in drawn if "cell" in line}  # ("RNN cell, backward": its call)
        assert cells == {"ReLU RNN cell"}, drawn
    assert "RNN cell" in first_lines(build_picture((tanh_loss,), level="cell"))  # a tanh RNN stays the plain name


def test_the_cli_draws_a_relu_rnn_and_refuses_the_option_where_no_rnn_is_drawn(tmp_path, capsys):
    path = tmp_path / "relu.svg"
    assert main(["graph", "--nonlinearity", "relu", "--level", "cell", "--steps", "3", "-o", str(path)]) == 0
    assert path.read_text().count("ReLU RNN cell") == 3
    assert main(["graph", "--cell", "gru", "--nonlinearity", "relu", "-o", str(tmp_path / "gru.svg")]) == 2
    assert "--nonlinearity cannot apply" in capsys.readouterr().err
