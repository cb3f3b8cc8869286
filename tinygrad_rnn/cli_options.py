"""What each sub-command of ``tinygrad-rnn`` accepts: its options, their types (``--time-steps 2:5``,
``--grad-range 1e-4:2``, ``--name W_hy=U``), help that names every default, a parser whose bad argument gives one
line, and the options a run would ignore, refused (:func:`options_that_cannot_apply`). Apart from :mod:`.cli`,
which says what each command does with them: a reader looking for a flag finds it here, one looking for what the
command draws or trains finds it there. The examples' scripts take their help from here too
(:class:`ScriptHelp`, :func:`show_defaults`)."""

from __future__ import annotations

import argparse
from typing import Any


def _time_steps(text: str) -> slice:
    """'2:5' → the steps t=2…5, as the slice of the list of steps that tinygrad_rnn.viz takes."""
    try:
        first, last = (int(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected FIRST:LAST, e.g. 1:5, got {text!r}") from None
    if not 1 <= first <= last:
        raise argparse.ArgumentTypeError(f"expected 1 <= FIRST <= LAST, got {text!r}")
    return slice(first - 1, last)


def _grad_range(text: str) -> tuple[float, float]:
    """'1e-4:2' → (1e-4, 2.0), the ends of the colour scale."""
    try:
        low, high = (float(part) for part in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW:HIGH, e.g. 1e-4:2, got {text!r}") from None
    if not 0 < low < high:
        raise argparse.ArgumentTypeError(f"expected 0 < LOW < HIGH, got {text!r}")
    return low, high


def _old_new(text: str) -> tuple[str, str]:
    """'W_hy=U' → ('W_hy', 'U'): one of the library's names and the lecture's."""
    old, equals, new = text.partition("=")
    if not equals or not old.strip() or not new.strip():
        raise argparse.ArgumentTypeError(f"expected OLD=NEW, e.g. W_hh=V, got {text!r}")
    return old.strip(), new.strip()


def steps_of_words(args: argparse.Namespace) -> int:
    """The steps --tokens asks for: one per word, or with --loss every one fewer (the last word is the
    target of the last step).

    >>> steps_of_words(argparse.Namespace(tokens=["the", "students", "opened", "their"], loss="every"))
    3
    """
    return len(args.tokens) - (getattr(args, "loss", "last") == "every")


def _add_notation_options(parser: argparse.ArgumentParser) -> None:
    from .viz.notation import PRESETS

    parser.add_argument("--notation", choices=sorted(PRESETS), default="pytorch",
                        help="the lecture's names: pytorch (W_ih, W_hh, b_ih, b_hh), cs224n (W_e, W_h, b₁, U, b₂, "
                             "h⁽ᵗ⁾), cmu (W_xh, W_hh, W_hy), usc (W_x, W_h, b), elman (W, V, U, b_h, b_y)")
    parser.add_argument("--name", type=_old_new, action="append", metavar="OLD=NEW", default=[],
                        help="rename one name on top of --notation, e.g. --name W_hy=U (repeatable)")
    parser.add_argument("--tokens", type=str.split, metavar='"WORDS"',
                        help='words under x_1 … x_T and, by each J_t, its target, e.g. "the students opened their"; '
                             "sets --steps (with --loss every: one fewer, the last word the last target)")


class _Help(argparse.HelpFormatter):
    """Help that shows every option's default (a switch is off unless given)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = (action.help or "").strip()
        if "(default" not in text and action.option_strings and _shows_default(action):
            text += (" " if text else "") + "(default: %(default)s)"
        return text


class ScriptHelp(argparse.RawDescriptionHelpFormatter, _Help):
    """The examples' help: the script's docstring as written, and every option's default."""


def show_defaults(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Give every option of ``parser`` that has no help text one naming its default (with
    :class:`ScriptHelp` or the command's formatter, those with a text name it too).

    >>> parser = show_defaults(argparse.ArgumentParser(formatter_class=ScriptHelp))
    >>> _ = parser.add_argument("--steps", type=int, default=400)
    >>> "--steps STEPS  (default: 400)" in show_defaults(parser).format_help()
    True
    """
    for action in parser._actions:
        if not action.help and action.option_strings and _shows_default(action):
            action.help = "(default: %(default)s)"
    return parser


def _shows_default(action: argparse.Action) -> bool:
    """An option's default is worth showing unless it is off, empty or none (0 is shown)."""
    return not (action.default is None or action.default is False or action.default in ("", argparse.SUPPRESS))


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument gives one line (what is wrong, and where help is), exit 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)  # every flag as typed: options_that_cannot_apply reads them
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from .cli import demo, graph, lecture, run_torch, sample, train
    from .version import package_version

    parser = _Parser(prog="tinygrad-rnn", description="tinygrad_rnn: autodiff for recurrent networks")
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    drawing = commands.add_parser("graph", help="draw an unrolled RNN/LSTM/GRU for a slide",
                                  description=graph.__doc__, formatter_class=_Help)
    drawing.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="rnn", help="the cell type")
    drawing.add_argument("--compare", action="store_true",
                         help="draw rnn, lstm and gru (files OUTPUT_rnn, _lstm, _gru) on one gradient colour scale")
    drawing.add_argument("--steps", type=_positive, default=4, help="time steps to unroll")
    drawing.add_argument("--nonlinearity", choices=["tanh", "relu"], default="tanh",
                         help="the RNN's h_t = tanh(…) or relu(…), as nn.RNN(nonlinearity=...) (--cell rnn)")
    drawing.add_argument("--layers", type=_positive, default=1, help="stacked layers")
    drawing.add_argument("--bidirectional", action="store_true", help="a reverse direction too")
    drawing.add_argument("--level", choices=["op", "cell", "step"], default="op",
                         help="op: every primitive; cell: one node per cell; step: one node per time step")
    drawing.add_argument("--params", choices=["once", "label", "key", "hide"], default=None,
                         help="shared parameters drawn once (with a bus into every step), named in each cell, named "
                              "once a row in a key under the figure, or hidden; default: label (on a slide, the key "
                              "where the labels would not fit)")
    drawing.add_argument("--time-steps", type=_time_steps, metavar="FIRST:LAST",
                         help="draw only the steps t=FIRST…LAST, e.g. 1:5 (default: all)")
    drawing.add_argument("--grads", action="store_true", help="colour nodes by gradient norm ‖∂J/∂·‖")
    drawing.add_argument("--grad-range", type=_grad_range, metavar="LOW:HIGH",
                         help="fix the colour scale, e.g. 1e-4:2 (default: the norms drawn)")
    drawing.add_argument("--backward", action="store_true",
                         help="draw the gradient: at cell and step level BPTT (∂J/∂h_t right to left, one Σ per "
                              "shared weight), at op level the recorded gradient graph")
    drawing.add_argument("--forward-and-backward", action="store_true",
                         help="the forward figure and, under it in the same columns, its BPTT figure "
                              "(cell or step level)")
    drawing.add_argument("--loss", choices=["last", "every"], default="last",
                         help="last: J = Σ h_T of the bare layer; every: a language model, one J_t per step "
                              "(embedding → layer → head → J_t, J their mean)")
    drawing.add_argument("--vocab", type=_positive, default=10, help="with --loss every: the vocabulary size")
    drawing.add_argument("--forget-bias", type=float, default=0.0,
                         help="start the LSTM's forget gate at this bias (1 keeps its gradient alive longer)")
    drawing.add_argument("--rolled", action="store_true",
                         help="the network rolled up: one cell per layer and direction, its states as loops")
    drawing.add_argument("--all-steps", action="store_true",
                         help="draw every step (past 8 steps a slide leaves the middle out, t=1, 2, 3, …, T−1, T, "
                              "and fewer where the figure would not fit a slide even without shapes)")
    shapes = drawing.add_mutually_exclusive_group()
    shapes.add_argument("--shapes", dest="shapes", action="store_const", const=True, default=None,
                        help="always write tensor shapes such as (1, 3) in the labels (by default a slide shows "
                             "them where it still fits them, else leaves them out and says so)")
    shapes.add_argument("--no-shapes", dest="shapes", action="store_const", const=False,
                        help="leave tensor shapes such as (1, 3) out of the labels")
    drawing.add_argument("--free-size", action="store_true",
                         help="the free-size drawing, every step (notebooks, long unrolls), not shaped for a slide")
    drawing.add_argument("--width", type=_positive, metavar="PX",
                         help="width of a .png in pixels (default: 1920, a full-HD slide)")
    drawing.add_argument("--title", default="", help="a title above the figure")
    drawing.add_argument("--rankdir", choices=["LR", "RL"], default="LR", help="time runs left to right, or mirrored")
    drawing.add_argument("--input-size", type=_positive, default=2, help="features of x_t")
    drawing.add_argument("--hidden-size", type=_positive, default=3, help="units of h_t")
    drawing.add_argument("--seed", type=int, default=0,
                         help="random seed of the weights; the input is drawn from SEED + 1")
    drawing.add_argument("--timeout", type=float, default=60.0, help="seconds Graphviz may take")
    _add_notation_options(drawing)
    drawing.add_argument("-o", "--output", required=True, help="figure file: .svg, .png, .pdf or .dot")
    drawing.set_defaults(run=graph)

    page = commands.add_parser("lecture", help="write an interactive page: step through backpropagation in time",
                               description=lecture.__doc__, formatter_class=_Help)
    page.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="rnn", help="the cell type")
    page.add_argument("--compare", action="store_true", help="rnn, lstm and gru on one colour scale, with a switcher")
    page.add_argument("--steps", type=_positive, default=8, help="time steps to unroll")
    page.add_argument("--level", choices=["cell", "op"], default="cell", help="one node per cell, or every op")
    page.add_argument("--layers", type=_positive, default=1, help="stacked layers (the page steps through layer 0)")
    page.add_argument("--loss", choices=["last", "every"], default="last",
                      help="last: J = Σ h_T of the bare layer; every: a language model, one J_t per step")
    page.add_argument("--vocab", type=_positive, default=10, help="with --loss every: the vocabulary size")
    page.add_argument("--input-size", type=_positive, default=4, help="features of x_t")
    page.add_argument("--hidden-size", type=_positive, default=8, help="units of h_t")
    page.add_argument("--checkpoint", help="a trained character model (tinygrad-rnn train): the connectivity view")
    page.add_argument("--text", help="with --checkpoint: the characters to analyse")
    page.add_argument("--title", default="", help="the page's title")
    _add_notation_options(page)
    page.add_argument("-o", "--output", help="the HTML file to write")
    page.add_argument("--export", metavar="DIR", help="also write every stage as a slide: SVGs, index.html, a PDF")
    _common(page)
    page.set_defaults(run=lecture, bidirectional=False)

    training = commands.add_parser("train", help="train a character-level language model", description=train.__doc__,
                                   formatter_class=_Help)
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
    training.add_argument("--plot", help="save loss and perplexity curves to this PNG (needs matplotlib)")
    training.add_argument("--prompt", default="")
    training.add_argument("--quiet", action="store_true", help="no progress bar")
    _common(training)
    training.set_defaults(run=train)

    sampling = commands.add_parser("sample", help="generate text from a checkpoint", description=sample.__doc__,
                                   formatter_class=_Help)
    sampling.add_argument("--checkpoint", required=True)
    sampling.add_argument("--length", type=_positive, default=300)
    sampling.add_argument("--prompt", default="")
    sampling.add_argument("--temperature", type=float, default=0.8)
    sampling.add_argument("--top-k", type=_positive)
    sampling.add_argument("--greedy", action="store_true")
    _common(sampling)
    sampling.set_defaults(run=sample)

    touring = commands.add_parser("demo", help="train, sample and draw: the tour", description=demo.__doc__,
                                  formatter_class=_Help)
    touring.add_argument("--steps", type=_positive, default=400)
    touring.add_argument("--hidden", type=_positive, default=128)
    touring.add_argument("--out", default="tinygrad_rnn_demo", help="folder for figures and the checkpoint")
    touring.add_argument("--quiet", action="store_true")
    _common(touring)
    touring.set_defaults(run=demo)

    scripting = commands.add_parser("run-torch", help="run a PyTorch script with tinygrad_rnn as torch",
                                    description=run_torch.__doc__)
    scripting.add_argument("script", metavar="SCRIPT", help="the Python script")
    scripting.add_argument("args", metavar="ARGS", nargs=argparse.REMAINDER, help="its arguments")
    scripting.set_defaults(run=run_torch)
    slides = _add_deck_command(commands)
    for command in (drawing, page, training, sampling, touring, slides):  # every option's help names its default
        show_defaults(command)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=["cpu", "gpu"], default="cpu", type=_device,
                        help="where to compute: cpu, or gpu (alias cuda; needs CuPy and a CUDA GPU)")
    parser.add_argument("--seed", type=int, default=0)


def _device(text: str) -> str:
    """'cpu', 'gpu' or 'cuda' → the device's name, a missing GPU reported now in one line."""
    from .device import device_argument

    return device_argument(text)


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def options_that_cannot_apply(args: argparse.Namespace, given: set[str]) -> list[tuple[str, str]]:
    """(flag, why) for each option the user typed that this run would ignore: an error, never silence.

    >>> args = build_parser().parse_args(["graph", "--steps", "4", "--time-steps", "1:10", "-o", "x.svg"])
    >>> options_that_cannot_apply(args, {"--steps", "--time-steps", "-o"})
    [('--time-steps', 'it asks for the steps t=1…10, but --steps 4 unrolls only t=1…4')]
    """
    found = []

    def refuse(flags: tuple[str, ...], why: str) -> None:
        found.extend((flag, why) for flag in flags if flag in given)

    command = args.command
    if command in ("graph", "lecture") and args.compare:
        refuse(("--cell",), "--compare draws all three cells (rnn, lstm and gru)")
    if command == "graph":
        chosen = args.time_steps
        if chosen is not None and chosen.stop > args.steps:
            found.append(("--time-steps", f"it asks for the steps t={chosen.start + 1}…{chosen.stop}, "
                                          f"but --steps {args.steps} unrolls only t=1…{args.steps}"))
        if not (args.grads or args.compare):
            refuse(("--grad-range",), "it fixes the colour scale of --grads (or --compare): add --grads")
        if args.loss != "every":
            refuse(("--vocab",), "it sizes the language model of --loss every")
        if args.cell != "lstm" and not args.compare:
            refuse(("--forget-bias",), "only an LSTM has a forget gate: add --cell lstm or --compare")
        if args.cell != "rnn" or args.compare or args.loss == "every":
            refuse(("--nonlinearity",), "it picks the plain RNN's tanh or relu: draw --cell rnn alone, "
                                        "with --loss last")
        if args.bidirectional and args.loss == "every":  # its own test: not an elif of the forget bias's
            found.append(("--bidirectional", "a language model (--loss every) reads left to right: it cannot see "
                                             "the token it predicts"))
        if args.forward_and_backward:
            refuse(("--backward",), "--forward-and-backward draws the backward figure already")
            if args.level == "op" or args.rolled:
                found.append(("--forward-and-backward", "it draws cells or steps, unrolled (--level cell or step, "
                                                        "without --rolled)"))
        if args.time_steps is not None:
            refuse(("--all-steps",), "--time-steps chooses the steps drawn: leave one of them out")
        if not args.output.lower().endswith(".png"):
            refuse(("--width",), "it sizes a .png (the output is not one)")
        if args.rolled:
            refuse(("--time-steps", "--all-steps"),
                   "a rolled view has no steps to choose: one cell stands for all of them")
            refuse(("--grads", "--compare", "--grad-range"), "a rolled cell stands for every step, so it has no one "
                                                             "gradient norm to colour")
            if args.level == "op" and "--level" in given:
                found.append(("--level", "a rolled view is drawn in cells or steps (--level cell or step)"))
    if command in ("graph", "lecture") and args.tokens and "--steps" in given and args.steps != steps_of_words(args):
        found.append(("--steps", f"--tokens gives {len(args.tokens)} words, so {steps_of_words(args)} steps"
                                 + (" (the last word is the last target)" if args.loss == "every" else "")
                                 + ": leave --steps out"))
    if command == "graph" and args.rolled:
        refuse(("--tokens",), "a rolled view has one x_t for all the steps: unroll it to write the words")
    if command == "lecture":
        if args.checkpoint:
            refuse(("--export",), "a connectivity page has no stages to export")
            refuse(("--notation", "--name", "--tokens"), "with --checkpoint the page shows characters, not a "
                                                         "figure's names")
            refuse(("--cell", "--compare", "--steps", "--level", "--layers", "--input-size", "--hidden-size"),
                   "with --checkpoint the page shows the trained model, which has its own cell and sizes")
            refuse(("--loss", "--vocab"), "with --checkpoint the page shows the trained model's connectivity")
        else:
            refuse(("--text",), "it is the text a trained model reads: give --checkpoint too")
            if args.loss != "every":
                refuse(("--vocab",), "it sizes the language model of --loss every")
    if command == "train":
        if args.text:
            refuse(("--max-chars",), "it cuts the default corpus; --text is read whole")
        if args.resume:
            refuse(("--cell", "--embedding", "--hidden", "--layers", "--dropout"),
                   "with --resume the model comes from the checkpoint")
            refuse(("--lr",), "with --resume the learning rate is restored with the checkpoint's optimizer")
    if command == "sample" and args.greedy:
        refuse(("--temperature", "--top-k"), "--greedy always takes the likeliest character")
    return found


def _add_deck_command(commands: Any) -> argparse.ArgumentParser:
    from .cli import deck
    from .viz.notation import PRESETS

    slides = commands.add_parser("deck", help="write the lecture's figures as slides (SVG, HTML, PDF)",
                                 description=deck.__doc__, formatter_class=_Help)
    slides.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="rnn", help="the network the slides draw")
    slides.add_argument("--notation", choices=sorted(PRESETS), default="pytorch", help="the lecture's names")
    slides.add_argument("--name", type=_old_new, action="append", metavar="OLD=NEW", default=[],
                        help="rename one name on top of --notation, e.g. --name W_hy=U (repeatable)")
    slides.add_argument("--perplexity", action="store_true",
                        help="add the perplexity table (n-grams, a fixed window, a tanh RNN, an LSTM and --cell's "
                             "own); left out by default: trained for seconds, the networks lose to a 5-gram "
                             "(docs/lecture.md)")
    slides.add_argument("-o", "--output", default="rnn_deck", help="the folder to write the slides into")
    slides.set_defaults(run=deck)
    return slides
