"""The ``tinygrad-rnn`` command (also ``python -m tinygrad_rnn``).

    tinygrad-rnn graph --cell lstm --steps 4 --level op -o lstm.svg

Bad arguments or a failure give one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def graph(args: argparse.Namespace) -> int:
    """Render a ready-made lecture figure: an RNN, LSTM or GRU unrolled over a few steps."""
    import tinygrad_rnn as tr

    tr.manual_seed(args.seed)
    layer_class = {"rnn": tr.nn.RNN, "lstm": tr.nn.LSTM, "gru": tr.nn.GRU}[args.cell]
    layer = layer_class(args.input_size, args.hidden_size, num_layers=args.layers, bidirectional=args.bidirectional)
    inputs = tr.randn(args.steps, 1, args.input_size)
    inputs.name = "x"
    output, _ = layer(inputs)
    loss = output[-1].sum()  # a loss on the last step: the gradient must travel back through time
    loss.name = "J"
    path = tr.viz.save(loss, path=args.output, level=args.level, rankdir=args.rankdir, show_grads=args.grads,
                       backward=args.backward)
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tinygrad-rnn", description="tinygrad_rnn: autodiff for recurrent networks")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    drawing = commands.add_parser("graph", help="draw an unrolled RNN/LSTM/GRU for a slide",
                                  description=graph.__doc__)
    drawing.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="rnn")
    drawing.add_argument("--steps", type=_positive, default=4, help="time steps to unroll (default 4)")
    drawing.add_argument("--layers", type=_positive, default=1, help="stacked layers (default 1)")
    drawing.add_argument("--bidirectional", action="store_true")
    drawing.add_argument("--level", choices=["op", "cell", "step"], default="op",
                         help="op: every primitive; cell: one node per cell; step: one node per time step")
    drawing.add_argument("--grads", action="store_true", help="colour nodes by gradient norm")
    drawing.add_argument("--backward", action="store_true", help="draw the gradient graph (Σ over time steps)")
    drawing.add_argument("--rankdir", choices=["LR", "TB"], default="LR")
    drawing.add_argument("--input-size", type=_positive, default=2)
    drawing.add_argument("--hidden-size", type=_positive, default=3)
    drawing.add_argument("--seed", type=int, default=0)
    drawing.add_argument("-o", "--output", required=True, help="figure file: .svg, .png, .pdf or .dot")
    drawing.set_defaults(run=graph)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (OSError, ValueError, TypeError, RuntimeError) as error:  # one line, not a traceback
        print(f"tinygrad-rnn {args.command}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
