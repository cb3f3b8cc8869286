"""Regenerate the figures in docs/figures/ (SVG) from real computation.

    .venv/bin/python docs/figures/make_figures.py

Needs Graphviz's `dot` program. Every figure is drawn by tinygrad_rnn.viz from a graph actually
recorded here; none is drawn by hand.
"""

from __future__ import annotations

import pathlib

import tinygrad_rnn as tr

HERE = pathlib.Path(__file__).resolve().parent


def last_step_loss(layer, steps: int, seed: int = 0):
    tr.manual_seed(seed)
    x = tr.randn(steps, 1, layer.input_size)
    x.name = "x"
    output, _ = layer(x)
    loss = output[-1].sum()
    loss.name = "J"
    return loss


def main() -> None:
    tr.manual_seed(0)
    rnn = tr.nn.RNN(2, 3)
    loss = last_step_loss(rnn, 3)
    figures = {
        "rnn_unrolled_op.svg": dict(level="op"),
        "rnn_unrolled_cell.svg": dict(level="cell"),
        "rnn_backward.svg": dict(backward=True),
    }
    for name, options in figures.items():
        print("wrote", tr.viz.save(loss, path=HERE / name, **options))

    tr.manual_seed(0)
    lstm_loss = last_step_loss(tr.nn.LSTM(2, 3), 2)
    print("wrote", tr.viz.save(lstm_loss, path=HERE / "lstm_op.svg", level="op"))

    scale = (1e-4, 2.0)  # one colour scale for both, so that they compare
    tr.manual_seed(0)
    rnn_loss = last_step_loss(tr.nn.RNN(2, 3), 10)
    print("wrote", tr.viz.save(rnn_loss, path=HERE / "rnn_gradients.svg", level="cell", show_grads=True,
                               grad_range=scale))
    tr.manual_seed(0)
    lstm_loss = last_step_loss(tr.nn.init.lstm_forget_gate_bias_(tr.nn.LSTM(2, 3), 1.0), 10)
    print("wrote", tr.viz.save(lstm_loss, path=HERE / "lstm_gradients.svg", level="cell", show_grads=True,
                               grad_range=scale))


if __name__ == "__main__":
    main()
