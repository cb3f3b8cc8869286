"""Random recurrent-layer configurations, and how to run one in PyTorch and in tinygrad_rnn.

Shared by the live comparison (tests/test_recurrent_vs_torch.py) and the golden-vector script
(tests/golden/make_golden.py), so that both check exactly the same thing: for one config and one
set of inputs, the outputs, final states, and the gradients of J = Σ output·R₁ + Σ h_n·R₂
(+ Σ c_n·R₃) with respect to every parameter, the input and the initial states.
"""

from __future__ import annotations

import numpy

import tinygrad_rnn as tr

LAYERS = {"RNN": tr.nn.RNN, "LSTM": tr.nn.LSTM, "GRU": tr.nn.GRU}
CELLS = {"RNNCell": tr.nn.RNNCell, "LSTMCell": tr.nn.LSTMCell, "GRUCell": tr.nn.GRUCell}


def random_layer_config(rng: numpy.random.Generator) -> dict:
    kind = str(rng.choice(["RNN", "LSTM", "GRU"]))
    hidden = int(rng.integers(2, 6))
    num_layers = int(rng.integers(1, 4))
    lengths = bool(rng.random() < 0.4)
    config = {
        "kind": kind,
        "input_size": int(rng.integers(1, 5)),
        "hidden_size": hidden,
        "num_layers": num_layers,
        "bias": bool(rng.random() < 0.8),
        "batch_first": bool(rng.random() < 0.5),
        "bidirectional": bool(rng.random() < 0.5),
        "dropout": 0.3 if num_layers > 1 and rng.random() < 0.3 else 0.0,  # compared in eval mode
        "steps": int(rng.integers(1, 6)),
        "batch": int(rng.integers(1, 4)),
        "lengths": lengths,
        "unbatched": (not lengths) and bool(rng.random() < 0.15),
        "initial_state": bool(rng.random() < 0.6),
    }
    if kind == "RNN":
        config["nonlinearity"] = str(rng.choice(["tanh", "relu"]))
    if kind == "LSTM" and rng.random() < 0.3:
        config["proj_size"] = int(rng.integers(1, hidden))
    return config


def layer_arguments(config: dict) -> dict:
    keys = ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"]
    arguments = {key: config[key] for key in keys}
    for optional in ("nonlinearity", "proj_size"):
        if optional in config:
            arguments[optional] = config[optional]
    return arguments


def layer_inputs(config: dict, rng: numpy.random.Generator) -> dict:
    """Input, initial states, lengths (in random order, one of them full) and loss weights."""
    steps, batch = config["steps"], config["batch"]
    directions = 2 if config["bidirectional"] else 1
    out_size = config.get("proj_size") or config["hidden_size"]
    if config["unbatched"]:
        x_shape, lead = (steps, config["input_size"]), ()
    else:
        x_shape = (steps, batch, config["input_size"])
        if config["batch_first"]:
            x_shape = (batch, steps, config["input_size"])
        lead = (batch,)
    data = {"x": rng.standard_normal(x_shape)}
    state_count = config["num_layers"] * directions
    if config["initial_state"]:
        data["h0"] = rng.standard_normal((state_count, *lead, out_size)) * 0.5
        if config["kind"] == "LSTM":
            data["c0"] = rng.standard_normal((state_count, *lead, config["hidden_size"])) * 0.5
    if config["lengths"]:
        lengths = rng.integers(1, steps + 1, batch)
        lengths[rng.integers(batch)] = steps
        data["lengths"] = lengths
    out_shape = x_shape[:-1] + (directions * out_size,)
    data["r_output"] = rng.standard_normal(out_shape)
    data["r_h_n"] = rng.standard_normal((state_count, *lead, out_size))
    if config["kind"] == "LSTM":
        data["r_c_n"] = rng.standard_normal((state_count, *lead, config["hidden_size"]))
    return data


def run_torch(config: dict, data: dict, torch, seed: int = 0) -> tuple[dict, dict]:
    """(state_dict as NumPy arrays, results) from a freshly initialised PyTorch layer."""
    torch.manual_seed(seed)
    layer = getattr(torch.nn, config["kind"])(**layer_arguments(config), dtype=torch.float64).eval()
    x = torch.tensor(data["x"], requires_grad=True)
    states = [torch.tensor(data[k], requires_grad=True) for k in ("h0", "c0") if k in data]
    hx = None if not states else (tuple(states) if config["kind"] == "LSTM" else states[0])
    if config["lengths"]:
        from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

        packed = pack_padded_sequence(x, torch.tensor(data["lengths"]), batch_first=config["batch_first"],
                                      enforce_sorted=False)
        packed_output, final = layer(packed, hx)
        output, _ = pad_packed_sequence(packed_output, batch_first=config["batch_first"],
                                        total_length=config["steps"])
    else:
        output, final = layer(x, hx)
    results = backward_and_collect(config, data, output, final, x, states, layer, torch.tensor)
    state_dict = {name: value.detach().numpy().copy() for name, value in layer.state_dict().items()}
    return state_dict, {key: value.detach().numpy().copy() for key, value in results.items()}


def run_ours(config: dict, data: dict, state_dict: dict, device: str = "cpu") -> dict:
    """The same computation with tinygrad_rnn; results as NumPy arrays under the same keys."""
    layer = LAYERS[config["kind"]](**layer_arguments(config), dtype="float64", device=device).eval()
    layer.load_state_dict(state_dict)
    x = tr.tensor(data["x"], requires_grad=True, device=device)
    states = [tr.tensor(data[k], requires_grad=True, device=device) for k in ("h0", "c0") if k in data]
    hx = None if not states else (tuple(states) if config["kind"] == "LSTM" else states[0])
    lengths = data.get("lengths")
    if lengths is not None:  # any of the accepted forms
        lengths = [lengths.tolist(), lengths, tr.tensor(lengths, device=device)][int(lengths.sum()) % 3]
    output, final = layer(x, hx, lengths=lengths)
    results = backward_and_collect(config, data, output, final, x, states, layer,
                                   lambda value: tr.tensor(value, device=device))
    return {key: value.numpy() for key, value in results.items()}


def backward_and_collect(config, data, output, final, x, states, layer, tensor) -> dict:
    """Backpropagate J = Σ output·R₁ + Σ h_n·R₂ (+ Σ c_n·R₃) and gather what is compared. Written
    with the names PyTorch and tinygrad_rnn share, it serves both; ``tensor`` makes a constant."""
    h_n, c_n = final if config["kind"] == "LSTM" else (final, None)
    loss = (output * tensor(data["r_output"])).sum() + (h_n * tensor(data["r_h_n"])).sum()
    if c_n is not None:
        loss = loss + (c_n * tensor(data["r_c_n"])).sum()
    loss.backward()
    results = {"output": output, "h_n": h_n, "grad_x": x.grad}
    if c_n is not None:
        results["c_n"] = c_n
    for key, state in zip(("grad_h0", "grad_c0"), states):
        results[key] = state.grad
    for name, parameter in layer.named_parameters():
        results["grad_" + name] = parameter.grad
    return results


def assert_same(ours: dict, reference: dict, what: str) -> None:
    assert sorted(ours) == sorted(reference), f"{what}: different results {sorted(ours)} vs {sorted(reference)}"
    for key in reference:
        assert ours[key].shape == reference[key].shape, f"{what}: {key}: {ours[key].shape} vs {reference[key].shape}"
        numpy.testing.assert_allclose(ours[key], reference[key], rtol=1e-6, atol=1e-9, err_msg=f"{what}: {key}")
