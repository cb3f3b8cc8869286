"""The lecture figures, drawn from real computation: the unrolled RNN, LSTM and GRU graphs, the
gradient-coloured graphs (the vanishing gradient), and the backward graph with its Σ node.

    python examples/lecture_figures.py [--out docs/figures] [--format svg] [--device cpu]

Needs Graphviz's `dot` program for svg/png/pdf; `--format dot` writes DOT text without it.
The figures in docs/ are made by this script.
"""

from __future__ import annotations

import argparse
import pathlib

import tinygrad_rnn as tr


def last_step_loss(layer, steps: int, device: str, seed: int = 0):
    """J = Σ h_T: a loss on the last step, so the gradient must travel back through every step."""
    tr.manual_seed(seed)
    x = tr.randn(steps, 1, layer.input_size, device=device)
    x.name = "x"
    output, _ = layer(x)
    loss = output[-1].sum()
    loss.name = "J"
    return loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="docs/figures", help="folder for the figures")
    parser.add_argument("--format", choices=["svg", "png", "pdf", "dot"], default="svg")
    parser.add_argument("--steps", type=int, default=10, help="steps of the gradient-coloured figures")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def save(loss, name, **options):
        print("wrote", tr.viz.save(loss, path=out / f"{name}.{args.format}", **options))

    tr.manual_seed(0)
    rnn_loss = last_step_loss(tr.nn.RNN(2, 3, device=args.device), 3, args.device)
    save(rnn_loss, "rnn_unrolled_op", level="op")
    save(rnn_loss, "rnn_unrolled_cell", level="cell")
    save(rnn_loss, "rnn_backward", backward=True)
    tr.manual_seed(0)
    save(last_step_loss(tr.nn.LSTM(2, 3, device=args.device), 2, args.device), "lstm_op", level="op")
    tr.manual_seed(0)
    save(last_step_loss(tr.nn.GRU(2, 3, device=args.device), 2, args.device), "gru_op", level="op")

    scale = (1e-4, 2.0)  # one colour scale for both, so that they compare
    tr.manual_seed(0)
    save(last_step_loss(tr.nn.RNN(2, 3, device=args.device), args.steps, args.device), "rnn_gradients",
         level="cell", show_grads=True, grad_range=scale)
    tr.manual_seed(0)
    lstm = tr.nn.init.lstm_forget_gate_bias_(tr.nn.LSTM(2, 3, device=args.device), 1.0)
    save(last_step_loss(lstm, args.steps, args.device), "lstm_gradients", level="cell", show_grads=True,
         grad_range=scale)


if __name__ == "__main__":
    main()
