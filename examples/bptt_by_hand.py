"""The engine at work: a character-level tanh RNN, unrolled by hand, trained, then taken apart.

1. Train h_t = tanh(x_t W_ih + h_{t−1} W_hh + b) with a softmax head to predict the next
   character of a short text, by plain gradient descent.
2. Show backpropagation through time: ∂J/∂W_hh is the sum of one term per time step
   (grad_contributions), and the terms add up to W_hh.grad exactly.
3. Show the vanishing gradient: ‖∂J/∂h_t‖ for every t, for a loss on the last step only.

    python examples/bptt_by_hand.py [--steps 300] [--hidden 32] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import numpy

import tinygrad_rnn as tr
from tinygrad_rnn.cli import ScriptHelp, show_defaults

TEXT = "the keys to the cabinet are on the table. the key to the cabinets is on the table. "


def unroll(inputs, params, hidden_size):
    """Run the RNN over a sequence of one-hot rows; each step gets its own scope."""
    w_ih, w_hh, b, w_out, b_out = params
    hidden = tr.zeros(1, hidden_size)
    hidden_states, logits = [], []
    for t, x in enumerate(inputs):
        with tr.scope("RNN", f"t={t + 1}"):
            hidden = (x @ w_ih + hidden @ w_hh + b).tanh()
            hidden_states.append(hidden)
            logits.append(hidden @ w_out + b_out)
    return hidden_states, tr.cat(logits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=ScriptHelp)
    parser.add_argument("--steps", type=int, default=300, help="gradient-descent steps")
    parser.add_argument("--hidden", type=int, default=32, help="hidden units")
    parser.add_argument("--seed", type=int, default=0)
    args = show_defaults(parser).parse_args()

    tr.manual_seed(args.seed)
    vocabulary = sorted(set(TEXT))
    ids = numpy.array([vocabulary.index(c) for c in TEXT])
    one_hot = numpy.eye(len(vocabulary), dtype="float32")
    window = 20
    V, H = len(vocabulary), args.hidden
    scale = 1 / numpy.sqrt(H)  # PyTorch's RNN initialisation: U(−1/√H, 1/√H)
    params = [
        (tr.rand(V, H) * 2 - 1) * scale,
        (tr.rand(H, H) * 2 - 1) * scale,
        tr.zeros(H),
        (tr.rand(H, V) * 2 - 1) * scale,
        tr.zeros(V),
    ]
    for p, name in zip(params, ["W_ih", "W_hh", "b", "W_out", "b_out"]):
        p.requires_grad_()
        p.name = name

    print(f"1. Training a tanh RNN ({V} characters, {H} hidden units) to predict the next character")
    start, rng = time.perf_counter(), numpy.random.default_rng(args.seed)
    for step in range(1, args.steps + 1):
        offset = int(rng.integers(0, len(TEXT) - window - 1))
        inputs = [tr.tensor(one_hot[ids[offset + t]][None]) for t in range(window)]
        targets = tr.tensor(ids[offset + 1: offset + window + 1])
        _, logits = unroll(inputs, params, H)
        loss = -logits.log_softmax(-1)[tr.arange(window), targets].mean()  # J = (1/T) Σ_t −log ŷ_t
        for p in params:
            p.grad = None
        loss.backward()
        with tr.no_grad():
            for p in params:
                p.data -= 0.5 * p.grad.data
        if step == 1 or step % (args.steps // 5 or 1) == 0:
            print(f"   step {step:4d}   loss {loss.item():.3f}   perplexity {numpy.exp(loss.item()):6.2f}")
    print(f"   ({time.perf_counter() - start:.1f} s)")

    print("\n2. Backpropagation through time: ∂J/∂W_hh = Σ_t ∂J/∂W_hh|_(t)")
    inputs = [tr.tensor(one_hot[i][None]) for i in ids[:8]]
    targets = tr.tensor(ids[1:9])
    hidden_states, logits = unroll(inputs, params, H)
    loss = -logits.log_softmax(-1)[tr.arange(8), targets].mean()
    w_hh = params[1]
    terms = tr.grad_contributions(loss, w_hh)
    for scope, term in sorted(terms, key=lambda item: int(item[0][-1][2:])):
        why = "   (h_0 = 0: W_hh has no effect at the first step)" if scope[-1] == "t=1" else ""
        print(f"   {'/'.join(scope):10s}  ‖term‖ = {numpy.linalg.norm(term.numpy()):.4f}{why}")
    w_hh.grad = None
    loss.backward()
    total = sum(term.numpy() for _, term in terms)
    print(f"   {len(terms)} terms; |Σ terms − W_hh.grad| = {numpy.abs(total - w_hh.grad.numpy()).max():.1e}")

    print("\n3. The vanishing gradient: ‖∂J/∂h_t‖ for a loss on the last step only")
    inputs = [tr.tensor(one_hot[i][None]) for i in ids[:25]]
    hidden_states, logits = unroll(inputs, params, H)
    last_loss = -logits[-1:].log_softmax(-1)[0, int(ids[25])]
    norms = [numpy.linalg.norm(g.numpy()) for g in tr.grad(last_loss, hidden_states)]
    for t in range(0, 25, 4):
        print(f"   t={t + 1:2d}  ‖∂J/∂h_t‖ = {norms[t]:.2e}  " + "#" * max(1, int(40 * norms[t] / max(norms))))


if __name__ == "__main__":
    main()
