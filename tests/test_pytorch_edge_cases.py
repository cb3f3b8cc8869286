"""Where PyTorch's behaviour at the edges is the contract: empty batches, the errors code written
for PyTorch catches, proj_size outside LSTM, files that are not checkpoints."""

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.errors import CheckpointError, ShapeError

F = tr.nn.functional


@pytest.mark.parametrize("layer_class", [tr.nn.RNN, tr.nn.LSTM, tr.nn.GRU])
@pytest.mark.parametrize("batch_first", [False, True])
def test_a_batch_of_no_sequences_gives_empty_outputs_and_zero_gradients(layer_class, batch_first):
    layer = layer_class(3, 4, num_layers=2, bidirectional=True, batch_first=batch_first)
    sequence = tr.zeros(0, 5, 3) if batch_first else tr.zeros(5, 0, 3)
    output, state = layer(sequence)
    assert output.shape == ((0, 5, 8) if batch_first else (5, 0, 8))  # as torch.nn.RNN(3, 4)(zeros(5, 0, 3))
    for piece in state if isinstance(state, tuple) else (state,):
        assert piece.shape == (4, 0, 4)
    output.sum().backward()
    assert all(p.grad is not None and not p.grad.numpy().any() for p in layer.parameters())
    assert layer(sequence, lengths=[])[0].shape == output.shape


def test_losses_and_optimizers_of_an_empty_batch_behave_as_pytorch():
    logits = tr.zeros(0, 5, requires_grad=True)
    targets = tr.tensor(numpy.zeros(0, dtype=numpy.int64))
    mean = F.cross_entropy(logits, targets)
    assert numpy.isnan(mean.item())  # PyTorch: nan, the mean of nothing
    assert F.cross_entropy(logits, targets, reduction="sum").item() == 0.0
    assert F.cross_entropy(logits, targets, reduction="none").shape == (0,)
    assert numpy.isnan(F.mse_loss(tr.zeros(0, 2, requires_grad=True), tr.zeros(0, 2)).item())
    mean.backward()
    assert logits.grad.shape == (0, 5)
    empty = tr.nn.Parameter(tr.zeros(0, 3))
    empty.grad = tr.zeros(0, 3)
    for optimizer in (tr.optim.SGD([empty], lr=0.1, momentum=0.9), tr.optim.Adam([empty]), tr.optim.AdamW([empty]),
                      tr.optim.RMSprop([empty]), tr.optim.Adagrad([empty])):
        optimizer.step()
    assert empty.shape == (0, 3)


def test_shape_errors_are_caught_as_pytorch_code_catches_them():
    layer = tr.nn.LSTM(3, 4)
    for wrong in (lambda: layer(tr.zeros(5, 2, 2)),  # the wrong input size
                  lambda: layer(tr.zeros(5, 2, 3), (tr.zeros(1, 3, 4), tr.zeros(1, 2, 4))),  # the wrong h_0
                  lambda: tr.ones(2, 3) @ tr.ones(2, 3)):
        with pytest.raises(RuntimeError):
            wrong()
        with pytest.raises(ValueError):
            wrong()
    assert issubclass(ShapeError, RuntimeError) and issubclass(ShapeError, ValueError)
    with pytest.raises(ShapeError, match="at least one time step"):
        layer(tr.zeros(0, 2, 3))  # PyTorch too: a sequence needs a step


@pytest.mark.parametrize("layer_class", [tr.nn.RNN, tr.nn.GRU])
def test_proj_size_is_accepted_as_a_keyword_and_refused_outside_lstm(layer_class):
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not RNN or GRU"):
        layer_class(30, 20, 2, proj_size=10)
    assert layer_class(30, 20, 2, proj_size=0).hidden_size == 20


def test_a_file_that_is_not_a_checkpoint_is_named_so_and_nothing_else(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_text("this is a text file, not a checkpoint\n")
    with pytest.raises(CheckpointError) as error:
        tr.checkpoint.read_checkpoint(garbage)
    assert str(error.value) == f"{garbage} is not a tinygrad_rnn checkpoint"
    assert "pickle" not in str(error.value)


def test_the_empty_batch_matches_pytorch_live():
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here; tests/run.sh installs its CPU build")
    ours = tr.nn.GRU(3, 4, num_layers=2)(tr.zeros(5, 0, 3))
    theirs = torch.nn.GRU(3, 4, num_layers=2)(torch.zeros(5, 0, 3))
    assert ours[0].shape == tuple(theirs[0].shape) and ours[1].shape == tuple(theirs[1].shape)
    with pytest.raises(ValueError) as pytorch_error:
        torch.nn.GRU(30, 20, 2, proj_size=10)
    with pytest.raises(ValueError) as our_error:
        tr.nn.GRU(30, 20, 2, proj_size=10)
    assert str(pytorch_error.value) in str(our_error.value)
