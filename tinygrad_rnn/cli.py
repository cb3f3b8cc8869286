"""The ``tinygrad-rnn`` command (also ``python -m tinygrad_rnn``).

    tinygrad-rnn demo                                   # train, sample, draw: the tour
    tinygrad-rnn train --text corpus.txt --steps 2000 --checkpoint lm.npz
    tinygrad-rnn sample --checkpoint lm.npz --prompt "def " --temperature 0.7
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


def train(args: argparse.Namespace) -> int:
    """Train a character-level language model on a text (default: Python's standard library
    source), with a progress bar; save a checkpoint (and resume from one)."""
    import numpy

    import tinygrad_rnn as tr

    tr.manual_seed(args.seed)
    text = tr.data.read_text(args.text) if args.text else tr.data.standard_library_text(args.max_chars)
    start_step, optimizer_state = 0, None
    if args.resume:
        model, optimizer, found = tr.checkpoint.load_language_model(
            args.resume, args.device, lambda parameters: tr.optim.Adam(parameters, lr=args.lr))
        vocabulary, start_step, optimizer_state = found.vocabulary, found.step, "restored"
    else:
        vocabulary = tr.data.Vocabulary.from_text(text, level="char")
        model = tr.models.LanguageModel(len(vocabulary), args.embedding, args.hidden, args.layers, args.cell,
                                        args.dropout, device=args.device)
        optimizer = tr.optim.Adam(model.parameters(), lr=args.lr)
    ids = numpy.array(vocabulary.encode(text))
    split = int(len(ids) * 0.9)
    print(f"{len(text):,} characters, {len(vocabulary)} symbols; {args.cell.upper()} with "
          f"{sum(p.numel() for p in model.parameters()):,} parameters on {args.device}"
          + (f"; resuming at step {start_step} ({optimizer_state} optimizer)" if args.resume else ""))
    history = tr.training.train_language_model(
        model, optimizer, ids[:split], ids[split:], steps=args.steps, batch_size=args.batch_size, bptt=args.bptt,
        clip=args.clip, device=args.device, start_step=start_step, evaluate_every=max(args.steps // 5, 1),
        progress=not args.quiet)
    print(f"validation perplexity {history['valid_perplexity'][-1]:.2f} (of {len(vocabulary)} symbols)")
    path = tr.checkpoint.save_checkpoint(args.checkpoint, model, optimizer, vocabulary, step=args.steps)
    print(f"wrote {path}")
    if args.plot:
        print(f"wrote {tr.plots.save_training_curves(history, args.plot)}")
    print("sample:", repr(tr.generation.generate(model, vocabulary, 200, prompt=args.prompt, temperature=0.8)))
    return 0


def sample(args: argparse.Namespace) -> int:
    """Generate text from a trained checkpoint."""
    import tinygrad_rnn as tr

    tr.manual_seed(args.seed)
    model, _, found = tr.checkpoint.load_language_model(args.checkpoint, args.device)
    print(tr.generation.generate(model, found.vocabulary, args.length, prompt=args.prompt, temperature=args.temperature,
                                 top_k=args.top_k, greedy=args.greedy))
    return 0


def demo(args: argparse.Namespace) -> int:
    """The tour: train a small character LSTM on Python's own source (progress bar), print its
    perplexity and a sample, and write the unrolled-graph and vanishing-gradient figures."""
    import pathlib

    import numpy

    import tinygrad_rnn as tr
    from tinygrad_rnn import analysis

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tr.manual_seed(args.seed)
    text = tr.data.standard_library_text(120_000)
    vocabulary = tr.data.Vocabulary.from_text(text)
    ids = numpy.array(vocabulary.encode(text))
    split = int(len(ids) * 0.9)
    model = tr.models.LanguageModel(len(vocabulary), 32, args.hidden, cell="lstm", device=args.device)
    optimizer = tr.optim.Adam(model.parameters(), lr=3e-3)
    print(f"1. Training a character LSTM ({args.hidden} units) on {len(text):,} characters of Python's "
          f"standard library, {args.steps} steps of truncated BPTT (64 characters each)")
    history = tr.training.train_language_model(model, optimizer, ids[:split], ids[split:], steps=args.steps,
                                               batch_size=32, bptt=64, device=args.device,
                                               evaluate_every=max(args.steps // 4, 1), progress=not args.quiet)
    print(f"   validation perplexity: {history['valid_perplexity'][-1]:.2f} "
          f"(a uniform guess over the {len(vocabulary)} symbols: {len(vocabulary)})")
    print("   sample:\n" + "   | " + tr.generation.generate(model, vocabulary, 240, prompt="def ",
                                                              temperature=0.7).replace("\n", "\n   | "))
    written = [tr.plots.save_training_curves(history, out / "training.png"),
               tr.checkpoint.save_checkpoint(out / "char_lstm.npz", model, optimizer, vocabulary, args.steps)]

    print("\n2. Figures")
    tr.manual_seed(args.seed)
    small = tr.nn.RNN(2, 3)
    x = tr.randn(4, 1, 2)
    x.name = "x"
    output, _ = small(x)
    loss = output[-1].sum()
    loss.name = "J"
    figure = "unrolled_rnn.svg" if tr.viz.dot_available() else "unrolled_rnn.dot"
    written.append(tr.viz.save(loss, path=out / figure, level="op"))
    written.append(tr.viz.save(loss, path=out / figure.replace("unrolled", "backward"), backward=True))
    curves = {}
    sequence = tr.randn(40, 1, 8)
    layers = {"tanh RNN": tr.nn.RNN(8, 32), "LSTM (forget-gate bias 1)": tr.nn.init.lstm_forget_gate_bias_(
        tr.nn.LSTM(8, 32), 1.0), "GRU": tr.nn.GRU(8, 32)}
    for name, layer in layers.items():
        output, _ = layer(sequence)
        curves[name] = analysis.hidden_state_gradient_norms(output[-1].sum(), layer.hidden_states[0])
    written.append(tr.plots.save_gradient_norms(curves, out / "vanishing_gradients.png",
                                                title="‖∂J/∂h_t‖ for a loss on step 40 (untrained layers)"))
    for path in written:
        print(f"   wrote {path}")
    if not tr.viz.dot_available():
        print("   (Graphviz's dot program is missing, so the graphs are DOT text: render them with dot -Tsvg)")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument gives one line (what is wrong, and where help is), exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tinygrad-rnn", description="tinygrad_rnn: autodiff for recurrent networks")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
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

    training = commands.add_parser("train", help="train a character-level language model", description=train.__doc__)
    training.add_argument("--text", help="a text file (default: Python's standard library source)")
    training.add_argument("--max-chars", type=_positive, default=200_000, help="of the default corpus")
    training.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="lstm")
    training.add_argument("--embedding", type=_positive, default=32)
    training.add_argument("--hidden", type=_positive, default=128)
    training.add_argument("--layers", type=_positive, default=1)
    training.add_argument("--dropout", type=float, default=0.0)
    training.add_argument("--steps", type=_positive, default=1000, help="optimiser steps (total, when resuming)")
    training.add_argument("--batch-size", type=_positive, default=32)
    training.add_argument("--bptt", type=_positive, default=64, help="characters per truncated-BPTT window")
    training.add_argument("--lr", type=float, default=3e-3)
    training.add_argument("--clip", type=float, default=1.0, help="gradient-norm clipping threshold")
    training.add_argument("--checkpoint", default="char_lm.npz", help="where to save (default char_lm.npz)")
    training.add_argument("--resume", help="a checkpoint to continue from")
    training.add_argument("--plot", help="save loss and perplexity curves to this PNG")
    training.add_argument("--prompt", default="")
    training.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(training)
    training.set_defaults(run=train)

    sampling = commands.add_parser("sample", help="generate text from a checkpoint", description=sample.__doc__)
    sampling.add_argument("--checkpoint", required=True)
    sampling.add_argument("--length", type=_positive, default=300)
    sampling.add_argument("--prompt", default="")
    sampling.add_argument("--temperature", type=float, default=0.8)
    sampling.add_argument("--top-k", type=_positive)
    sampling.add_argument("--greedy", action="store_true")
    _common(sampling)
    sampling.set_defaults(run=sample)

    touring = commands.add_parser("demo", help="train, sample and draw: the tour", description=demo.__doc__)
    touring.add_argument("--steps", type=_positive, default=400)
    touring.add_argument("--hidden", type=_positive, default=128)
    touring.add_argument("--out", default="tinygrad_rnn_demo", help="folder for figures and the checkpoint")
    touring.add_argument("--quiet", action="store_true")
    _common(touring)
    touring.set_defaults(run=demo)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=["cpu", "gpu", "cuda"], default="cpu")
    parser.add_argument("--seed", type=int, default=0)


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (OSError, ValueError, TypeError, RuntimeError, ImportError) as error:  # one line, not a traceback
        print(f"tinygrad-rnn {args.command}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
