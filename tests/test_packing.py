"""nn.utils.rnn: packing and padding against PyTorch (values, batch sizes, indices), their
gradients against finite differences, and RNN/LSTM/GRU on a PackedSequence — primitive, per-step
fused and per-layer fused — against PyTorch to 1e-6: outputs, final states, every gradient."""

import numpy
import pytest
from recurrent_cases import layer_arguments, random_layer_config

import tinygrad_rnn as tr
from tinygrad_rnn.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)

torch = pytest.importorskip("torch", reason="PyTorch (test oracle) is not installed")
torch_rnn = torch.nn.utils.rnn

LAYER_SEEDS = range(30)


def random_batch(rng, steps, batch, features, sorted_lengths):
    lengths = rng.integers(1, steps + 1, batch)
    lengths[rng.integers(batch)] = steps
    if sorted_lengths:
        lengths = numpy.sort(lengths)[::-1].copy()
    return rng.standard_normal((steps, batch, *features)), lengths


def assert_packed_equal(ours, theirs):
    numpy.testing.assert_allclose(ours.data.numpy(), theirs.data.detach().numpy(), rtol=1e-12, atol=0)
    assert ours.batch_sizes.dtype == numpy.int64 and ours.batch_sizes.device == "cpu"
    numpy.testing.assert_array_equal(ours.batch_sizes.numpy(), theirs.batch_sizes.numpy())
    for mine, reference in [(ours.sorted_indices, theirs.sorted_indices),
                            (ours.unsorted_indices, theirs.unsorted_indices)]:
        assert (mine is None) == (reference is None)
        if mine is not None:
            numpy.testing.assert_array_equal(mine.numpy(), reference.numpy())


@pytest.mark.parametrize("seed", range(12))
def test_pack_and_pad_match_pytorch(seed):
    rng = numpy.random.default_rng(seed)
    steps, batch = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    features = [(), (3,), (2, 3)][seed % 3]
    batch_first, enforce_sorted = bool(seed % 2), bool(seed % 4 < 2)
    x, lengths = random_batch(rng, steps, batch, features, sorted_lengths=enforce_sorted)
    if batch_first:
        x = x.swapaxes(0, 1).copy()
    lengths[:] = lengths if enforce_sorted or seed % 3 else lengths[0]  # ties too: equal lengths keep their order
    ours = pack_padded_sequence(tr.tensor(x), lengths.tolist(), batch_first, enforce_sorted)
    theirs = torch_rnn.pack_padded_sequence(torch.tensor(x), torch.tensor(lengths), batch_first, enforce_sorted)
    assert_packed_equal(ours, theirs)

    total_length = steps + int(rng.integers(0, 3))
    padded, out_lengths = pad_packed_sequence(ours, batch_first, padding_value=-2.5, total_length=total_length)
    reference, reference_lengths = torch_rnn.pad_packed_sequence(theirs, batch_first, padding_value=-2.5,
                                                                 total_length=total_length)
    numpy.testing.assert_array_equal(padded.numpy(), reference.numpy())
    assert out_lengths.dtype == numpy.int64 and out_lengths.tolist() == reference_lengths.tolist()


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence_pack_sequence_and_their_inverses_match_pytorch(padding_side, batch_first):
    rng = numpy.random.default_rng(7)
    arrays = [rng.standard_normal((length, 2)) for length in (2, 4, 1, 4)]
    ours = pad_sequence([tr.tensor(a) for a in arrays], batch_first, 9.0, padding_side)
    theirs = torch_rnn.pad_sequence([torch.tensor(a) for a in arrays], batch_first, 9.0, padding_side)
    numpy.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    packed = pack_sequence([tr.tensor(a) for a in arrays], enforce_sorted=False)
    assert_packed_equal(packed, torch_rnn.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted=False))
    for pieces in [unpack_sequence(packed), unpad_sequence(pad_sequence([tr.tensor(a) for a in arrays], batch_first),
                                                           [len(a) for a in arrays], batch_first)]:
        assert [p.shape for p in pieces] == [a.shape for a in arrays]
        for piece, array in zip(pieces, arrays):
            numpy.testing.assert_array_equal(piece.numpy(), array)


@pytest.mark.parametrize("batch_first", [False, True])
def test_gradients_flow_through_packing_and_padding(batch_first):
    rng = numpy.random.default_rng(3)
    x = tr.tensor(rng.standard_normal((3, 4, 2) if batch_first else (4, 3, 2)), requires_grad=True)
    lengths = [2, 4, 1]

    def pack(x):
        return pack_padded_sequence(x, lengths, batch_first, enforce_sorted=False).data

    def round_trip(x):  # pack, then pad again: the padding is a constant, the rest the identity
        packed = pack_padded_sequence(x, lengths, batch_first, enforce_sorted=False)
        return pad_packed_sequence(packed, batch_first, padding_value=0.5, total_length=5)[0]

    def pad(*sequences):
        return pad_sequence(sequences, batch_first, padding_value=-1.0, padding_side="left")

    sequences = [tr.tensor(rng.standard_normal((n, 2)), requires_grad=True) for n in (3, 1, 2)]
    for function, inputs in [(pack, [x]), (round_trip, [x]), (pad, sequences)]:
        assert tr.gradcheck(function, inputs) and tr.gradgradcheck(function, inputs)


def run_packed(layer, x, lengths, hx, batch_first, enforce_sorted, pack, weights):
    """Pack x, run the layer, backpropagate J = Σ data·R₁ + Σ h_n·R₂ (+ Σ c_n·R₃); the packed
    output and what is compared. Written with the names both libraries share."""
    packed = pack(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    output, final = layer(packed, hx)
    h_n, c_n = final if isinstance(final, tuple) else (final, None)
    loss = (output.data * weights[0]).sum() + (h_n * weights[1]).sum()
    if c_n is not None:
        loss = loss + (c_n * weights[2]).sum()
    loss.backward()
    results = {"output": output.data, "h_n": h_n, "grad_x": x.grad}
    if c_n is not None:
        results["c_n"] = c_n
    for key, state in zip(("grad_h0", "grad_c0"), hx if isinstance(hx, tuple) else (hx,)):
        if state is not None:
            results[key] = state.grad
    results.update({"grad_" + name: p.grad for name, p in layer.named_parameters()})
    return output, {key: value.detach().numpy() for key, value in results.items()}


@pytest.mark.parametrize("fused", [False, "step", True])
@pytest.mark.parametrize("seed", LAYER_SEEDS)
def test_layers_on_a_packed_sequence_match_pytorch(seed, fused):
    rng = numpy.random.default_rng(100 + seed)
    config = {**random_layer_config(rng), "lengths": True, "unbatched": False}
    steps, batch, kind = config["steps"], config["batch"], config["kind"]
    enforce_sorted, batch_first = seed % 4 == 0, config["batch_first"]
    x, lengths = random_batch(rng, steps, batch, (config["input_size"],), sorted_lengths=enforce_sorted)
    if batch_first:
        x = x.swapaxes(0, 1).copy()
    out_size, hidden = config.get("proj_size") or config["hidden_size"], config["hidden_size"]
    directions = 2 if config["bidirectional"] else 1
    count = config["num_layers"] * directions
    states = [rng.standard_normal((count, batch, size)) for size in (out_size, hidden)]
    states = states[: 2 if kind == "LSTM" else 1] if config["initial_state"] else []
    weights = [rng.standard_normal((int(lengths.sum()), directions * out_size)),
               rng.standard_normal((count, batch, out_size)), rng.standard_normal((count, batch, hidden))]

    def run(library, layer, pack, tensor):
        x_ = tensor(x, requires_grad=True)
        hx = [tensor(s, requires_grad=True) for s in states]
        hx = None if not hx else (tuple(hx) if kind == "LSTM" else hx[0])
        return run_packed(layer, x_, library_lengths(library), hx, batch_first, enforce_sorted, pack,
                          [tensor(w) for w in weights])

    def library_lengths(library):  # ours in any of the accepted forms
        if library == "torch":
            return torch.tensor(lengths)
        return [lengths, lengths.tolist(), tr.tensor(lengths)][seed % 3]

    torch.manual_seed(seed)
    theirs = getattr(torch.nn, kind)(**layer_arguments(config), dtype=torch.float64).eval()
    ours = getattr(tr.nn, kind)(**layer_arguments(config), dtype="float64", fused=fused).eval()
    ours.load_state_dict({name: value.detach().numpy() for name, value in theirs.state_dict().items()})
    their_output, reference = run("torch", theirs, torch_rnn.pack_padded_sequence, torch.tensor)
    our_output, results = run("ours", ours, pack_padded_sequence, tr.tensor)
    assert isinstance(our_output, PackedSequence)
    assert_packed_equal(our_output, their_output)
    assert sorted(results) == sorted(reference)
    for key in reference:
        assert results[key].shape == reference[key].shape, key
        numpy.testing.assert_allclose(results[key], reference[key], rtol=1e-6, atol=1e-9, err_msg=f"{config}: {key}")


def test_the_packed_configurations_cover_every_feature():
    configs = [random_layer_config(numpy.random.default_rng(100 + seed)) for seed in LAYER_SEEDS]
    assert {c["kind"] for c in configs} == {"RNN", "LSTM", "GRU"}
    assert any(c.get("proj_size") for c in configs) and any(c["num_layers"] > 1 for c in configs)
    for feature in ("bidirectional", "batch_first", "initial_state"):
        assert any(c[feature] for c in configs) and not all(c[feature] for c in configs), feature


def test_a_packed_run_equals_a_run_with_lengths_and_is_drawn_like_one():
    tr.manual_seed(0)
    gru = tr.nn.GRU(2, 3, batch_first=True)
    x, lengths = tr.randn(3, 4, 2), [2, 4, 1]
    padded_output, h_padded = gru(x, lengths=lengths)
    packed_output, h_packed = gru(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    numpy.testing.assert_array_equal(h_packed.numpy(), h_padded.numpy())
    unpacked, _ = pad_packed_sequence(packed_output, batch_first=True)
    numpy.testing.assert_array_equal(unpacked.numpy(), padded_output.numpy())
    drawn_padded = tr.viz.to_dot(h_padded.sum(), level="cell")
    drawn_packed = tr.viz.to_dot(h_packed.sum(), level="cell")
    # the masks and the padding no input under a cell: a key line names the lengths and where each h_n is taken
    assert drawn_packed.count("mₜ = [t ≤ lengths], lengths = (2, 4, 1)") == 1
    assert drawn_padded.count("mₜ = [t ≤ lengths], lengths = (2, 4, 1)") == 1
    assert "padding" not in drawn_packed and 'label="t ≤ lengths' not in drawn_packed + drawn_padded
    assert drawn_packed.count("GRU cell") == drawn_padded.count("GRU cell") == 4


def test_packing_errors_say_what_to_do():
    x = tr.randn(3, 2, 1)
    with pytest.raises(ValueError, match="enforce_sorted=False"):
        pack_padded_sequence(x, [1, 3])
    with pytest.raises(ValueError, match=r"pack_padded_sequence: lengths must be 2 integers"):
        pack_padded_sequence(x, [3, 2, 1])
    with pytest.raises(ValueError, match=r"every length must be in \[1, 3\]"):
        pack_padded_sequence(x, [3, 0])
    with pytest.raises(ValueError, match=r"every length must be in \[1, 3\]"):
        pack_padded_sequence(x, [4, 1])
    with pytest.raises(TypeError, match="input must be a Tensor"):
        pack_padded_sequence(x.numpy(), [3, 1])
    with pytest.raises(ValueError, match="total_length=2 is shorter"):
        pad_packed_sequence(pack_padded_sequence(x, [3, 1]), total_length=2)
    with pytest.raises(TypeError, match="expected a PackedSequence"):
        pad_packed_sequence(x)
    with pytest.raises(ValueError, match=r"sequences\[1\] is \(2, 3\)"):
        pad_sequence([tr.zeros(2, 2), tr.zeros(2, 3)])
    with pytest.raises(ValueError, match="got no sequences"):
        pad_sequence([])
    with pytest.raises(ValueError, match="carries its lengths"):
        tr.nn.LSTM(1, 2)(pack_padded_sequence(x, [3, 1]), lengths=[3, 1])


def test_packed_sequence_moves_and_casts_like_pytorchs():
    packed = pack_padded_sequence(tr.randn(3, 2, 1), [1, 3], enforce_sorted=False).to("float64")
    assert packed.data.dtype == numpy.float64 and packed.sorted_indices.tolist() == [1, 0]
    data, batch_sizes, sorted_indices, unsorted_indices = packed  # a named tuple, as PyTorch's
    assert batch_sizes.tolist() == [2, 1, 1] and unsorted_indices.tolist() == [1, 0]


def test_nn_utils_keeps_its_clipping_and_gains_rnn():
    import tinygrad_rnn.nn.utils.rnn as rnn_module

    assert tr.nn.utils.rnn is rnn_module and callable(tr.nn.utils.clip_grad_norm_)


def test_a_packed_run_keeps_everything_on_the_layers_device(device, fast_path):
    tr.manual_seed(0)
    lstm = tr.nn.LSTM(2, 3, bidirectional=True, device=device, fused=True)
    x = tr.randn(4, 3, 2, device=device, requires_grad=True)
    packed = pack_padded_sequence(x, tr.tensor([2, 4, 1]), enforce_sorted=False)
    assert packed.data.device == device and packed.sorted_indices.device == device
    assert packed.batch_sizes.device == "cpu"
    output, (h_n, c_n) = lstm(packed)
    padded, lengths = pad_packed_sequence(output, padding_value=1.0)
    assert padded.device == h_n.device == device and lengths.device == "cpu"
    (padded.sum() + h_n.sum()).backward()
    assert x.grad.device == device
    reference, (h_reference, _) = lstm.to("cpu")(x.detach().to("cpu"), lengths=[2, 4, 1])
    numpy.testing.assert_allclose(h_n.numpy(), h_reference.numpy(), rtol=1e-5, atol=1e-6)
