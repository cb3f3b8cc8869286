"""Hand-derived BPTT in plain NumPy, as fast as we can write it: the baseline the framework is
measured against.

Character language models — embedding → tanh RNN / LSTM / GRU → linear → cross-entropy — with
their backward passes derived by hand (no graph, no wrappers), in PyTorch's parameter layout so
that one set of weights serves both. ``train_step`` does forward, backward and a plain SGD
update. tests/test_numpy_baseline.py checks these gradients equal the framework's.

What makes it the strongest version we know how to write (a weak baseline flatters every ratio):

* the loop over time does only what must be sequential: each step's gate gradients go into one
  preallocated (T, B, G·H) buffer, and ∂J/∂W_hh, ∂J/∂b_hh (and ∂J/∂W_ih) are formed after the
  loop with one matrix product each — (G·H, T·B) @ (T·B, H) — not T small products and T adds;
* b_hh is added to the input projection of all steps at once (one add, not one per step), and
  each step's product h W_hhᵀ is written straight into its preallocated slot (``out=``), by a
  contiguous copy of W_hhᵀ (BLAS is faster with it than with the view W_hh.T) — but for a
  single step, whose one product does not repay the copy;
* every product goes through ``np.dot``, which calls BLAS with less overhead than ``@`` — and
  the weight gradients after the loop must: at one step (T·B = 1) each is an outer product, for
  which ``@`` skips BLAS and runs ~5–9× slower (24, 66 and 52 µs of a batch-1 step at T = 1, tanh
  RNN, LSTM and GRU, H = 100, when they went through ``@``);
* the embedding's gradient sums the rows of each id after one sort (np.add.reduceat), not
  with np.add.at, which is several times slower, the rows gathered in id order into a buffer;
* every large array of a step (the embedded inputs, the projections, states, gates, logits and
  their gradients) is allocated once and written again by every later step of the same shapes
  (``buffer``): no step faults fresh pages in, whatever glibc did with the last step's memory.

Shapes: ids (B, T); embedding (V, E); weights as PyTorch stores them ((G·H, E), (G·H, H)).
"""

from __future__ import annotations

import numpy as np

_BUFFERS: dict[tuple, np.ndarray] = {}  # (name, shape, dtype) → the array every step of those shapes writes


def buffer(name: str, shape: tuple[int, ...], dtype, zero: bool = False) -> np.ndarray:
    """The preallocated array ``name`` of ``shape`` (made by the first step that asks, then the same
    one every time), zeroed if ``zero``; its values are overwritten by each step."""
    key = (name, tuple(shape), np.dtype(dtype))
    array = _BUFFERS.get(key)
    if array is None:
        array = _BUFFERS[key] = np.empty(shape, dtype)
    if zero:
        array.fill(0)
    return array


def clear_buffers() -> None:
    """Forget the preallocated arrays (the next step allocates them again)."""
    _BUFFERS.clear()


def contiguous_for_every_step(transposed: np.ndarray, steps: int) -> np.ndarray:
    """W_hhᵀ as every step's product reads it: a contiguous copy (BLAS is faster with it than with the
    view W_hh.T), except for a single step, whose one product reads W once — the copy would cost more
    than it saves (H = 100: 5.5 µs for the tanh RNN's, 19 the GRU's, 27 the LSTM's, against at most 1 µs
    saved), as the library's layer nodes do (``_for_every_step``)."""
    return transposed if steps == 1 else np.ascontiguousarray(transposed)


def sigmoid(x):
    return 0.5 + 0.5 * np.tanh(0.5 * x)


def init_params(cell: str, vocab: int, embed: int, hidden: int, seed: int = 0, dtype=np.float32) -> dict:
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(hidden)

    def uniform(*shape):
        return rng.uniform(-bound, bound, shape).astype(dtype)

    return {
        "embedding.weight": rng.standard_normal((vocab, embed)).astype(dtype),
        "rnn.weight_ih_l0": uniform(gates * hidden, embed), "rnn.weight_hh_l0": uniform(gates * hidden, hidden),
        "rnn.bias_ih_l0": uniform(gates * hidden), "rnn.bias_hh_l0": uniform(gates * hidden),
        "head.weight": uniform(vocab, hidden), "head.bias": uniform(vocab),
    }


def loss_and_grads(cell: str, p: dict, ids: np.ndarray, targets: np.ndarray) -> tuple[float, dict]:
    """Mean cross-entropy of next-token prediction and its gradient for every parameter."""
    B, T = ids.shape
    E_w, W_ih, W_hh = p["embedding.weight"], p["rnn.weight_ih_l0"], p["rnn.weight_hh_l0"]
    b_ih, b_hh, U, c = p["rnn.bias_ih_l0"], p["rnn.bias_hh_l0"], p["head.weight"], p["head.bias"]
    H = W_hh.shape[1]
    N = B * T
    x = np.take(E_w, ids.T, axis=0, out=buffer("x", (T, B, E_w.shape[1]), E_w.dtype))  # (T, B, E), time-major
    # (T, B, G·H): all steps' input projections at once …
    x_proj = np.dot(x.reshape(N, -1), W_ih.T, out=buffer("x_proj", (N, W_ih.shape[0]), x.dtype)).reshape(T, B, -1)
    x_proj += b_ih
    if cell != "gru":
        x_proj += b_hh  # … with b_hh folded in (the GRU keeps b_hn inside the reset product)
    G = x_proj.shape[-1]
    W_hh_T = contiguous_for_every_step(W_hh.T, T)
    hs = buffer("hs", (T + 1, B, H), x.dtype, zero=True)  # h_0 … h_T
    pre = buffer("pre", (T, B, G), x.dtype)  # each step's h_{t−1} W_hhᵀ, written in place
    if cell == "rnn":
        for t in range(T):
            np.dot(hs[t], W_hh_T, out=pre[t])
            pre[t] += x_proj[t]
            np.tanh(pre[t], out=hs[t + 1])
    elif cell == "lstm":
        hs, lstm_saved = lstm_forward(x_proj, W_hh)
    else:  # gru
        gates = buffer("gates", (T, B, 3 * H), x.dtype)  # r, z, n
        for t in range(T):
            np.dot(hs[t], W_hh_T, out=pre[t])
            recurrent = pre[t]
            recurrent += b_hh
            gates[t, :, :2 * H] = sigmoid(x_proj[t, :, :2 * H] + recurrent[:, :2 * H])
            r, z = gates[t, :, :H], gates[t, :, H:2 * H]
            n = gates[t, :, 2 * H:]
            np.tanh(x_proj[t, :, 2 * H:] + r * recurrent[:, 2 * H:], out=n)
            np.subtract(hs[t], n, out=hs[t + 1])  # h = n + z (h − n)
            hs[t + 1] *= z
            hs[t + 1] += n

    outputs = hs[1:]  # (T, B, H)
    loss, grads, d_outputs = head_loss_and_grads(outputs, U, c, targets)

    d_pre = buffer("d_pre", (T, B, G), x.dtype)  # ∂J/∂(h_{t−1} W_hhᵀ + b_hh) of every step
    d_x_proj = d_pre if cell != "gru" else buffer("d_x_proj", (T, B, G), x.dtype)
    d_h = np.zeros((B, H), dtype=x.dtype)
    if cell == "rnn":
        for t in reversed(range(T)):
            np.add(d_outputs[t], d_h, out=d_pre[t])
            d_pre[t] *= 1 - hs[t + 1] ** 2
            d_h = np.dot(d_pre[t], W_hh)
    elif cell == "lstm":
        d_pre = d_x_proj = lstm_backward(d_outputs, W_hh, hs, lstm_saved)
    else:
        for t in reversed(range(T)):
            r, z, n = gates[t, :, :H], gates[t, :, H:2 * H], gates[t, :, 2 * H:]
            h_new_part = pre[t, :, 2 * H:]  # h W_hnᵀ + b_hn
            d_hidden = d_outputs[t] + d_h
            d_n_pre = d_hidden * (1 - z) * (1 - n * n)
            np.multiply(d_n_pre * h_new_part, r * (1 - r), out=d_pre[t, :, :H])
            np.multiply(d_hidden * (hs[t] - n), z * (1 - z), out=d_pre[t, :, H:2 * H])
            np.multiply(d_n_pre, r, out=d_pre[t, :, 2 * H:])
            d_x_proj[t, :, :2 * H] = d_pre[t, :, :2 * H]
            d_x_proj[t, :, 2 * H:] = d_n_pre
            d_h = d_hidden * z + np.dot(d_pre[t], W_hh)
    # The weight gradients of all steps at once: Σ_t ∂J/∂W_hh|_(t) as one product.
    flat_d_pre = d_pre.reshape(N, G)
    grads["rnn.weight_hh_l0"] = np.dot(flat_d_pre.T, hs[:-1].reshape(N, H))
    grads["rnn.bias_hh_l0"] = flat_d_pre.sum(0)
    flat_d_x_proj = d_x_proj.reshape(N, G)
    grads["rnn.weight_ih_l0"] = np.dot(flat_d_x_proj.T, x.reshape(N, -1))
    grads["rnn.bias_ih_l0"] = flat_d_x_proj.sum(0)
    d_x = np.dot(flat_d_x_proj, W_ih, out=buffer("d_x", (N, W_ih.shape[1]), x.dtype))  # (T·B, E)
    grads["embedding.weight"] = embedding_gradient(ids, d_x, E_w)
    return float(loss), grads


def head_loss_and_grads(outputs, U, c, targets):
    """The head and the loss: mean cross-entropy of softmax(outputs Uᵀ + c) against ``targets``
    (B, T), with outputs time-major (T, B, H); returns the loss, the head's gradients and ∂J/∂outputs."""
    T, B, H = outputs.shape
    N = T * B
    logits = np.dot(outputs.reshape(N, H), U.T, out=buffer("logits", (N, len(U)), U.dtype))  # (T·B, V)
    logits += c
    logits -= logits.max(axis=-1, keepdims=True)
    probs = np.exp(logits, out=buffer("probs", logits.shape, logits.dtype))
    log_probs = logits  # in place: logits − log Σ exp
    log_probs -= np.log(probs.sum(axis=-1, keepdims=True))
    flat_targets = targets.T.reshape(-1)
    rows = np.arange(N)
    loss = -log_probs[rows, flat_targets].mean()

    d_logits = np.exp(log_probs, out=probs)  # softmax − one-hot, divided by N
    d_logits[rows, flat_targets] -= 1
    d_logits /= N
    grads = {"head.weight": np.dot(d_logits.T, outputs.reshape(N, H)), "head.bias": d_logits.sum(0)}
    return loss, grads, np.dot(d_logits, U, out=buffer("d_outputs", (N, H), U.dtype)).reshape(T, B, H)


def embedding_gradient(ids, d_x, E_w):
    """The rows of ∂J/∂x (time-major, (T·B, E)) summed into the rows of their ids, after one sort."""
    flat_ids = ids.T.reshape(-1)
    order = np.argsort(flat_ids, kind="stable")
    sorted_ids = flat_ids[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_ids[1:] != sorted_ids[:-1])))
    d_embedding = np.zeros_like(E_w)
    # the rows in id order gathered into a buffer (np.take, no bounds check: an order's entries are in
    # range): 13% faster than d_x[order] at 2,048 ids, which allocates and checks every index
    in_order = np.take(d_x, order, axis=0, mode="clip", out=buffer("d_x_by_id", d_x.shape, d_x.dtype))
    d_embedding[sorted_ids[starts]] = np.add.reduceat(in_order, starts, axis=0)
    return d_embedding


def lstm_forward(x_proj, W_hh, reverse=False, name=""):
    """One LSTM layer in one direction over time-major pre-activations x_proj (T, B, 4H) (both biases
    folded in): the states hs (T + 1, B, H) — h_0 at index 0, or at index T when ``reverse`` — and
    what backward reads (cell states, activated gates, tanh c_t). ``name``: whose buffers (a layer and
    direction's own)."""
    T, B, G = x_proj.shape
    H = G // 4
    W_hh_T = contiguous_for_every_step(W_hh.T, T)
    hs = buffer("hs" + name, (T + 1, B, H), x_proj.dtype, zero=True)
    cs = buffer("cs" + name, (T + 1, B, H), x_proj.dtype, zero=True)
    acts = buffer("acts" + name, (T, B, G), x_proj.dtype)  # each step's h W_hhᵀ + x_proj, activated in place
    tanh_cs = buffer("tanh_cs" + name, (T, B, H), x_proj.dtype)
    order = [(t, t + 1, t) for t in reversed(range(T))] if reverse else [(t, t, t + 1) for t in range(T)]
    for t, before, after in order:
        gates = acts[t]
        np.dot(hs[before], W_hh_T, out=gates)
        gates += x_proj[t]
        gates[:, :2 * H] = sigmoid(gates[:, :2 * H])
        np.tanh(gates[:, 2 * H:3 * H], out=gates[:, 2 * H:3 * H])
        gates[:, 3 * H:] = sigmoid(gates[:, 3 * H:])
        np.multiply(gates[:, H:2 * H], cs[before], out=cs[after])
        cs[after] += gates[:, :H] * gates[:, 2 * H:3 * H]
        np.tanh(cs[after], out=tanh_cs[t])
        np.multiply(gates[:, 3 * H:], tanh_cs[t], out=hs[after])
    return hs, (cs, acts, tanh_cs, order, name)


def lstm_backward(d_outputs, W_hh, hs, saved):
    """∂J/∂(pre-activations) (T, B, 4H) of one LSTM layer and direction, given ∂J/∂h_t from above."""
    cs, acts, tanh_cs, order, name = saved
    T, B, G = acts.shape
    H = G // 4
    d_pre = buffer("d_pre" + name, acts.shape, acts.dtype)
    d_h = np.zeros((B, H), dtype=acts.dtype)
    d_c = np.zeros((B, H), dtype=acts.dtype)
    for t, before, _ in reversed(order):
        i, f, g, o = acts[t, :, :H], acts[t, :, H:2 * H], acts[t, :, 2 * H:3 * H], acts[t, :, 3 * H:]
        tanh_c = tanh_cs[t]
        d_hidden = d_outputs[t] + d_h
        d_c += d_hidden * o * (1 - tanh_c * tanh_c)
        d_gates = d_pre[t]
        np.multiply(d_c * g, i * (1 - i), out=d_gates[:, :H])
        np.multiply(d_c * cs[before], f * (1 - f), out=d_gates[:, H:2 * H])
        np.multiply(d_c * i, 1 - g * g, out=d_gates[:, 2 * H:3 * H])
        np.multiply(d_hidden * tanh_c, o * (1 - o), out=d_gates[:, 3 * H:])
        d_c *= f
        d_h = np.dot(d_gates, W_hh)
    return d_pre


def init_stacked_lstm(vocab: int, embed: int, hidden: int, num_layers: int, bidirectional: bool, seed: int = 0,
                      dtype=np.float32) -> dict:
    """Parameters of embedding → LSTM (layers, directions) → linear, named as the framework names them."""
    rng = np.random.default_rng(seed)
    bound, directions = 1 / np.sqrt(hidden), 2 if bidirectional else 1

    def uniform(*shape):
        return rng.uniform(-bound, bound, shape).astype(dtype)

    params = {"embedding.weight": rng.standard_normal((vocab, embed)).astype(dtype)}
    for layer in range(num_layers):
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            inputs = embed if layer == 0 else hidden * directions
            params.update({f"rnn.weight_ih{suffix}": uniform(4 * hidden, inputs),
                           f"rnn.weight_hh{suffix}": uniform(4 * hidden, hidden),
                           f"rnn.bias_ih{suffix}": uniform(4 * hidden), f"rnn.bias_hh{suffix}": uniform(4 * hidden)})
    params.update({"head.weight": uniform(vocab, hidden * directions), "head.bias": uniform(vocab)})
    return params


def stacked_lstm_loss_and_grads(p: dict, ids: np.ndarray, targets: np.ndarray, num_layers: int,
                                bidirectional: bool) -> tuple[float, dict]:
    """Mean cross-entropy of a tagger — embedding → LSTM layers (two directions if ``bidirectional``)
    → linear at every position — and its gradient, by hand (the layers as above, stacked)."""
    B, T = ids.shape
    N, directions = B * T, 2 if bidirectional else 1
    E_w = p["embedding.weight"]
    layer_input = np.take(E_w, ids.T, axis=0, out=buffer("x", (T, B, E_w.shape[1]), E_w.dtype))  # (T, B, E)
    inputs, runs = [], []
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            W_ih = p["rnn.weight_ih" + suffix]
            x_proj = np.dot(layer_input.reshape(N, -1), W_ih.T,
                            out=buffer("x_proj" + suffix, (N, len(W_ih)), W_ih.dtype)).reshape(T, B, -1)
            x_proj += p["rnn.bias_ih" + suffix] + p["rnn.bias_hh" + suffix]
            hs, saved = lstm_forward(x_proj, p["rnn.weight_hh" + suffix], reverse=bool(direction), name=suffix)
            runs.append((suffix, hs, saved, bool(direction)))
            outputs.append(hs[:-1] if direction else hs[1:])
        inputs.append(layer_input)
        layer_input = outputs[0] if directions == 1 else np.concatenate(
            outputs, axis=-1, out=buffer(f"output_l{layer}", (T, B, 2 * outputs[0].shape[-1]), outputs[0].dtype))
    D = layer_input.shape[-1]
    loss, grads, d_above = head_loss_and_grads(layer_input, p["head.weight"], p["head.bias"], targets)
    for layer in reversed(range(num_layers)):
        x = inputs[layer]
        d_below = buffer(f"d_below_l{layer}", x.shape, x.dtype, zero=True)
        H = D // directions
        for direction in range(directions):
            suffix, hs, saved, reverse = runs[layer * directions + direction]
            W_ih, W_hh = p["rnn.weight_ih" + suffix], p["rnn.weight_hh" + suffix]
            d_outputs = buffer("d_outputs" + suffix, (T, B, H), d_above.dtype)
            d_outputs[...] = d_above[..., direction * H:(direction + 1) * H]
            d_pre = lstm_backward(d_outputs, W_hh, hs, saved)
            flat_d_pre = d_pre.reshape(N, -1)
            previous = hs[1:] if reverse else hs[:-1]
            grads["rnn.weight_hh" + suffix] = np.dot(flat_d_pre.T, previous.reshape(N, H))
            grads["rnn.bias_hh" + suffix] = grads["rnn.bias_ih" + suffix] = flat_d_pre.sum(0)
            grads["rnn.weight_ih" + suffix] = np.dot(flat_d_pre.T, x.reshape(N, -1))
            d_input = buffer("d_input" + suffix, (N, W_ih.shape[1]), x.dtype)
            d_below += np.dot(flat_d_pre, W_ih, out=d_input).reshape(x.shape)
        d_above, D = d_below, x.shape[-1]
    grads["embedding.weight"] = embedding_gradient(ids, d_above.reshape(N, -1), p["embedding.weight"])
    return float(loss), grads


def train_step(cell: str, p: dict, ids: np.ndarray, targets: np.ndarray, lr: float = 0.1) -> float:
    """One step: forward, hand-derived backward, SGD update in place."""
    loss, grads = loss_and_grads(cell, p, ids, targets)
    for name, gradient in grads.items():
        p[name] -= lr * gradient
    return loss
