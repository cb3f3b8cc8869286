"""The lecture figures, drawn from real computation: every figure in docs/ and the README.

    python examples/lecture_figures.py [--out docs/figures] [--format svg] [--device cpu]

* the unrolled tanh RNN at op and cell level, the LSTM and GRU at op level;
* a stacked, bidirectional LSTM at cell level (layers as rows, the reverse rows right to left);
* the backward graph with its Σ node per shared weight, at op and cell level;
* the vanishing gradient: tanh RNN, LSTM and GRU over the same 12 steps, coloured on one scale.

Needs Graphviz for svg/png/pdf; `--format dot` writes DOT text without it.
"""

from __future__ import annotations

import argparse
import pathlib

import tinygrad_rnn as tr
from tinygrad_rnn.device import device_argument


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
    parser.add_argument("--steps", type=int, default=12, help="steps of the gradient-coloured figures")
    parser.add_argument("--device", default="cpu", type=device_argument)
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = args.device

    def save(loss, name, **options):
        print("wrote", tr.viz.save(loss, path=out / f"{name}.{args.format}", **options))

    def layer(kind, **options):
        tr.manual_seed(0)
        return {"rnn": tr.nn.RNN, "lstm": tr.nn.LSTM, "gru": tr.nn.GRU}[kind](2, 3, device=device, **options)

    rnn_loss = last_step_loss(layer("rnn"), 3, device)
    save(rnn_loss, "rnn_unrolled_op", level="op")
    save(rnn_loss, "rnn_unrolled_cell", level="cell")
    save(rnn_loss, "rnn_backward", backward=True)
    save(last_step_loss(layer("lstm"), 3, device), "lstm_op", level="op")
    save(last_step_loss(layer("gru"), 3, device), "gru_op", level="op")
    save(last_step_loss(layer("lstm"), 4, device), "lstm_cell", level="cell")
    save(last_step_loss(layer("lstm"), 3, device), "lstm_backward_cell", level="cell", backward=True)
    save(last_step_loss(layer("lstm", num_layers=2, bidirectional=True), 4, device), "lstm_stacked_bidirectional",
         level="cell", params="hide")

    # The vanishing gradient, honestly compared: one colour scale for all three cells.
    losses = {"rnn": last_step_loss(layer("rnn"), args.steps, device),
              "lstm": last_step_loss(tr.nn.init.lstm_forget_gate_bias_(layer("lstm"), 1.0), args.steps, device),
              "gru": last_step_loss(layer("gru"), args.steps, device)}
    scale = tr.viz.shared_grad_range(*losses.values(), level="cell", params="hide")
    titles = {"rnn": "tanh RNN", "lstm": "LSTM (forget-gate bias 1)", "gru": "GRU"}
    for kind, loss in losses.items():
        save(loss, f"{kind}_gradients", level="cell", show_grads=True, grad_range=scale, params="hide",
             title=f"{titles[kind]}: ‖∂J/∂h_t‖ for a loss on step {args.steps}")


if __name__ == "__main__":
    main()
