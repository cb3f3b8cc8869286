"""Hand-derived BPTT in plain NumPy: the speed limit the framework is measured against.

Character language models — embedding → tanh RNN / LSTM / GRU → linear → cross-entropy — with
their backward passes derived by hand (no graph, no wrappers), in PyTorch's parameter layout so
that one set of weights serves both. ``train_step`` does forward, backward and a plain SGD
update. tests/test_numpy_baseline.py checks these gradients equal the framework's.

Shapes: ids (B, T); embedding (V, E); weights as PyTorch stores them ((G·H, E), (G·H, H)).

The per-step weight gradients use np.dot, not @: at batch size 1 they are outer products, for
which NumPy's matmul does not call BLAS and is ~10× slower (40 µs instead of 4 for 400×100).
"""

from __future__ import annotations

import numpy as np


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
    x = E_w[ids.T]  # (T, B, E), time-major
    x_proj = x @ W_ih.T + b_ih  # (T, B, G·H): all steps' input projections at once
    h = np.zeros((B, H), dtype=x.dtype)
    hs = np.empty((T + 1, B, H), dtype=x.dtype)
    hs[0] = h
    cache = []
    if cell == "rnn":
        for t in range(T):
            h = np.tanh(x_proj[t] + h @ W_hh.T + b_hh)
            hs[t + 1] = h
    elif cell == "lstm":
        cs = np.zeros((T + 1, B, H), dtype=x.dtype)
        for t in range(T):
            gates = x_proj[t] + h @ W_hh.T + b_hh
            i, f, g, o = sigmoid(gates[:, :H]), sigmoid(gates[:, H:2 * H]), np.tanh(gates[:, 2 * H:3 * H]), \
                sigmoid(gates[:, 3 * H:])
            cs[t + 1] = f * cs[t] + i * g
            tanh_c = np.tanh(cs[t + 1])
            h = o * tanh_c
            hs[t + 1] = h
            cache.append((i, f, g, o, tanh_c))
    else:  # gru
        for t in range(T):
            recurrent = h @ W_hh.T + b_hh
            r = sigmoid(x_proj[t, :, :H] + recurrent[:, :H])
            z = sigmoid(x_proj[t, :, H:2 * H] + recurrent[:, H:2 * H])
            n = np.tanh(x_proj[t, :, 2 * H:] + r * recurrent[:, 2 * H:])
            h = n + z * (h - n)  # = (1 − z) n + z h
            hs[t + 1] = h
            cache.append((r, z, n, recurrent[:, 2 * H:]))

    outputs = hs[1:]  # (T, B, H)
    logits = outputs @ U.T + c  # (T, B, V)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    N = B * T
    flat_targets = targets.T.reshape(-1)
    loss = -log_probs.reshape(N, -1)[np.arange(N), flat_targets].mean()

    d_logits = np.exp(log_probs)  # softmax − one-hot, divided by N
    d_logits.reshape(N, -1)[np.arange(N), flat_targets] -= 1
    d_logits /= N
    flat = d_logits.reshape(N, -1)
    grads = {"head.weight": flat.T @ outputs.reshape(N, H), "head.bias": flat.sum(0)}
    d_outputs = d_logits @ U  # (T, B, H)

    d_x_proj = np.empty_like(x_proj)
    d_W_hh = np.zeros_like(W_hh)
    d_b_hh = np.zeros_like(b_hh)
    d_h = np.zeros((B, H), dtype=x.dtype)
    if cell == "rnn":
        for t in reversed(range(T)):
            d_a = (d_outputs[t] + d_h) * (1 - hs[t + 1] ** 2)
            d_W_hh += np.dot(d_a.T, hs[t])  # the step-t term of ∂J/∂W_hh (np.dot: see the top of the file)
            d_b_hh += d_a.sum(0)
            d_h = d_a @ W_hh
            d_x_proj[t] = d_a
    elif cell == "lstm":
        d_c = np.zeros((B, H), dtype=x.dtype)
        for t in reversed(range(T)):
            i, f, g, o, tanh_c = cache[t]
            d_hidden = d_outputs[t] + d_h
            d_o = d_hidden * tanh_c
            d_c = d_c + d_hidden * o * (1 - tanh_c**2)
            d_i, d_g, d_f = d_c * g, d_c * i, d_c * cs[t]
            d_gates = np.concatenate([d_i * i * (1 - i), d_f * f * (1 - f), d_g * (1 - g**2), d_o * o * (1 - o)], 1)
            d_c = d_c * f
            d_W_hh += np.dot(d_gates.T, hs[t])
            d_b_hh += d_gates.sum(0)
            d_h = d_gates @ W_hh
            d_x_proj[t] = d_gates
    else:
        for t in reversed(range(T)):
            r, z, n, h_new_part = cache[t]
            d_hidden = d_outputs[t] + d_h
            d_n = d_hidden * (1 - z)
            d_z = d_hidden * (hs[t] - n)
            d_n_pre = d_n * (1 - n**2)
            d_r = d_n_pre * h_new_part
            d_r_pre, d_z_pre = d_r * r * (1 - r), d_z * z * (1 - z)
            d_recurrent = np.concatenate([d_r_pre, d_z_pre, d_n_pre * r], 1)
            d_x_proj[t] = np.concatenate([d_r_pre, d_z_pre, d_n_pre], 1)
            d_W_hh += np.dot(d_recurrent.T, hs[t])
            d_b_hh += d_recurrent.sum(0)
            d_h = d_hidden * z + d_recurrent @ W_hh
    G = d_x_proj.shape[-1]
    grads["rnn.weight_hh_l0"], grads["rnn.bias_hh_l0"] = d_W_hh, d_b_hh
    grads["rnn.weight_ih_l0"] = d_x_proj.reshape(N, G).T @ x.reshape(N, -1)
    grads["rnn.bias_ih_l0"] = d_x_proj.reshape(N, G).sum(0)
    d_x = d_x_proj @ W_ih  # (T, B, E)
    d_embedding = np.zeros_like(E_w)
    np.add.at(d_embedding, ids.T.reshape(-1), d_x.reshape(N, -1))
    grads["embedding.weight"] = d_embedding
    return float(loss), grads


def train_step(cell: str, p: dict, ids: np.ndarray, targets: np.ndarray, lr: float = 0.1) -> float:
    """One step: forward, hand-derived backward, SGD update in place."""
    loss, grads = loss_and_grads(cell, p, ids, targets)
    for name, gradient in grads.items():
        p[name] -= lr * gradient
    return loss
