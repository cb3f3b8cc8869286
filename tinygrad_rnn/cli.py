"""The ``tinygrad-rnn`` command (also ``python -m tinygrad_rnn``).

    tinygrad-rnn demo                                   # train, sample, draw: the tour
    tinygrad-rnn train --text corpus.txt --steps 2000 --checkpoint lm.npz
    tinygrad-rnn sample --checkpoint lm.npz --prompt "def " --temperature 0.7
    tinygrad-rnn graph --cell lstm --steps 4 --level op -o lstm.svg
    tinygrad-rnn graph --compare --steps 20 --level cell -o vanishing.svg   # rnn, lstm, gru on one scale
    tinygrad-rnn lecture --compare --steps 8 -o bptt.html                  # the interactive lecture page
    tinygrad-rnn lecture --loss every --steps 4 --export lm_slides         # each of its stages as a slide
    tinygrad-rnn deck -o rnn_deck                                          # the lecture's figures as slides
    tinygrad-rnn run-torch word_lm.py --epochs 3                           # a PyTorch script, on tinygrad_rnn
    tinygrad-rnn --version

Bad arguments or a failure give one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any


def graph(args: argparse.Namespace) -> int:
    """Render a ready-made lecture figure: an RNN, LSTM or GRU unrolled over a few steps, with a
    loss on the last step (so the gradient travels back through every step). With --compare,
    one figure per cell type, all coloured on one gradient scale.

    Each figure fits a 1,920 × 1,080 slide where it can (text ≥ 24 px, labels ≥ 28 px): where it would
    not, the shapes are left out (--shapes keeps them), then each row's weights are named once in a key, not in
    every cell (--params keeps them as asked), then steps from the middle of the sequence (--all-steps or
    --time-steps keeps them; never with --grads or --compare, whose colours are the content: there each step is
    drawn as its t and its colour alone), and a note under the figure says so. A figure that still does not
    fit gives a warning: its text size on the slide, and the flags that draw one that fits, each measured.
    --free-size: none of it."""
    import pathlib
    import warnings

    import tinygrad_rnn as tr
    from tinygrad_rnn.viz.fit_notes import said_as_flags

    cells = ["rnn", "lstm", "gru"] if args.compare else [args.cell]
    made = {cell: _last_step_loss(cell, args) for cell in cells}
    losses = {cell: loss for cell, (loss, _) in made.items()}
    options = {"level": "cell" if args.rolled and args.level == "op" else args.level, "rankdir": args.rankdir,
               "show_grads": args.grads or args.compare,
               "backward": "both" if args.forward_and_backward else args.backward,
               "params": args.params or ("hide" if args.compare and args.level != "op" else None),
               "title": args.title, "time_steps": args.time_steps, "grad_range": args.grad_range,
               "rolled": args.rolled, "notation": _notation(args), "tokens": args.tokens,
               "show_shapes": args.shapes, "slide": not args.free_size}
    if args.all_steps:
        options["time_steps"] = slice(None)  # every step drawn, none left out
    if args.compare and options["grad_range"] is None:  # one scale for all three: the comparison is honest
        options["grad_range"] = tr.viz.shared_grad_range(*losses.values(), level=args.level, backward=args.backward,
                                                         time_steps=args.time_steps, params=args.params,
                                                         notation=options["notation"])
    if args.compare and options["slide"] and options["time_steps"] is None:  # the same steps in all three
        options["time_steps"] = tr.viz.shared_time_steps(*losses.values(), **options)
    output = pathlib.Path(args.output)
    for cell, loss in losses.items():
        path = output.with_name(f"{output.stem}_{cell}{output.suffix}") if args.compare else output
        if options["show_grads"] and args.loss == "last":  # what the colours claim, as one number
            norms = tr.analysis.hidden_state_gradient_norms(loss, made[cell][1].hidden_states[0])
            print(f"{_cell_name(cell, args)}{_forget_bias_note(cell, args)}: ‖∂J/∂h_1‖ / ‖∂J/∂h_{args.steps}‖ = "
                  f"{norms[0] / norms[-1]:.2e}")
            if args.compare and not args.title:
                options["title"] = (f"{_cell_name(cell, args)}{_forget_bias_note(cell, args)}: ‖∂J/∂h_t‖ for a loss on "
                                    f"step {args.steps}")
        try:
            with warnings.catch_warnings(record=True) as caught, said_as_flags():  # (its notes: --all-steps)
                warnings.simplefilter("always", tr.viz.LargeGraphWarning)
                warnings.simplefilter("always", tr.viz.SlideFitWarning)
                written = tr.viz.save(loss, path=path, timeout=args.timeout, width=args.width, **options)
            for warning in caught:  # said as this command's flags, without a line of Python source
                if isinstance(warning.message, tr.viz.LargeGraphWarning):
                    flags = " or ".join(_as_flag(name, value) for name, value in warning.message.suggestions)
                    print(f"tinygrad-rnn graph: warning: drawing {warning.message.node_count} nodes: a slide shows "
                          f"far fewer" + (f"; consider {flags}" if flags else ""), file=sys.stderr)
                elif isinstance(warning.message, tr.viz.SlideFitWarning):
                    print(f"tinygrad-rnn graph: warning: {path.name}: {warning.message.measured()}: "
                          f"{warning.message.advice(_as_flags, '--free-size')}", file=sys.stderr)
                else:
                    warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        except tr.viz.RenderTimeout as error:
            flags = " or ".join(_as_flag(name, value) for name, value in error.suggestions)
            raise TimeoutError(f"Graphviz took longer than {args.timeout:g} s; "
                               + (f"draw less with {flags}, or " if flags else "")
                               + "allow more time with --timeout") from None
        print(f"wrote {written}")
    return 0


def _last_step_loss(cell: str, args: argparse.Namespace):
    """(J, layer): J = Σ h_T of a freshly initialised layer on a random sequence (the same for every
    cell type); with ``--loss every``, the language model's J = (1/T) Σ_t J_t instead."""
    import tinygrad_rnn as tr

    if getattr(args, "loss", "last") == "every":
        return language_model_loss(cell, args.steps, vocab=args.vocab, input_size=args.input_size,
                                   hidden_size=args.hidden_size, layers=args.layers, seed=args.seed,
                                   device=getattr(args, "device", "cpu"), forget_bias=getattr(args, "forget_bias", 0.0),
                                   words=getattr(args, "tokens", None))
    tr.manual_seed(args.seed)
    layer_class = {"rnn": tr.nn.RNN, "lstm": tr.nn.LSTM, "gru": tr.nn.GRU}[cell]
    device = getattr(args, "device", "cpu")
    relu = {"nonlinearity": "relu"} if _relu(cell, args) else {}
    layer = layer_class(args.input_size, args.hidden_size, num_layers=args.layers, bidirectional=args.bidirectional,
                        device=device, **relu)
    if cell == "lstm" and getattr(args, "forget_bias", 0.0):
        tr.nn.init.lstm_forget_gate_bias_(layer, args.forget_bias)
    from .viz.lecture_models import last_step_loss

    return last_step_loss(layer, args.steps, device, seed=args.seed + 1), layer  # (the deck's vanishing slide's too)


def _relu(cell: str, args: argparse.Namespace) -> bool:
    """Whether the model asked for is a ReLU RNN (``--nonlinearity relu``, an RNN's alone)."""
    return cell == "rnn" and getattr(args, "nonlinearity", "tanh") == "relu"


def _cell_name(cell: str, args: argparse.Namespace) -> str:
    """The cell as a sentence names it: "tanh RNN", or "ReLU RNN" with ``--nonlinearity relu``."""
    from .viz.notation import CELL_NAMES

    return "ReLU RNN" if _relu(cell, args) else CELL_NAMES[cell]


def _forget_bias_note(cell: str, args: argparse.Namespace) -> str:
    bias = getattr(args, "forget_bias", 0.0)
    return f" (forget-gate bias {bias:g})" if cell == "lstm" and bias else ""


def language_model_loss(cell: str, steps: int, vocab: int = 10, input_size: int = 3, hidden_size: int = 4,
                        layers: int = 1, seed: int = 0, device: str = "cpu", forget_bias: float = 0.0,
                        words: list[str] | None = None):
    """(J, layer) of a freshly initialised language model on random tokens x_1 … x_T: embedding E,
    the recurrent layer, the head W_hy, b_y; J = (1/T) Σ_t J_t, J_t = −log ŷ_t[x_{t+1}]. Its
    parameters carry the lectures' names. What ``graph --loss every`` and the demo draw. ``words``
    (T + 1 of them): the tokens are these words, each its own id, instead of random ones.

    >>> loss, layer = language_model_loss("gru", steps=3)
    >>> loss.name, layer.hidden_size
    ('J', 4)
    """
    import tinygrad_rnn as tr

    tr.manual_seed(seed)
    if words is not None:  # one id per distinct word (0 is the padding id), in order of appearance
        ids = {word: k + 1 for k, word in enumerate(dict.fromkeys(words))}
        vocab = max(vocab, len(ids) + 1)
    model = tr.models.LanguageModel(vocab, input_size, hidden_size, num_layers=layers, cell=cell, fused=False,
                                    device=device)
    if cell == "lstm" and forget_bias:
        tr.nn.init.lstm_forget_gate_bias_(model.rnn, forget_bias)
    model.embedding.weight.name, model.head.weight.name, model.head.bias.name = "E", "W_hy", "b_y"
    tokens = [ids[word] for word in words] if words is not None else _random_tokens(vocab, steps + 1, seed + 1)
    logits, _ = model(tr.tensor([tokens[:-1]], device=device))
    loss = tr.nn.functional.cross_entropy(logits.reshape(-1, vocab), tr.tensor(tokens[1:], device=device))
    loss.name = "J"
    return loss, model.rnn


def _random_tokens(vocab: int, count: int, seed: int) -> list[int]:
    """``count`` random token ids in 1 … vocab − 1 (0 is the padding id)."""
    import numpy

    return numpy.random.default_rng(seed).integers(1, vocab, count).tolist()


def _as_flag(name: str, value) -> str:
    """A suggestion of tinygrad_rnn.viz (a keyword argument) as this command's flag."""
    if isinstance(value, slice):
        return f"--time-steps {value.start + 1}:{value.stop}"
    if name == "time_steps":  # the first steps, (0, 1, 2): t = 1…3
        return f"--time-steps {value[0] + 1}:{value[-1] + 1}"
    if name == "show_shapes":
        return "--shapes" if value else "--no-shapes"
    return f"--{name.replace('_', '-')} {value}"


def _as_flags(suggestion: tuple[tuple[str, Any], ...]) -> str:
    """A figure that fits a slide (tinygrad_rnn.viz.SlideFitWarning's keyword arguments) as this command's flags;
    forward and backward drawn apart: the one without --forward-and-backward, the other with --backward."""
    flags = " ".join(_as_flag(name, value) for name, value in suggestion if name != "backward")
    backward = dict(suggestion).get("backward")
    if backward is None:
        return flags
    return f"{flags} without --forward-and-backward".lstrip() if backward is False else f"--backward {flags}".rstrip()


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


def _notation(args: argparse.Namespace):
    """--notation NAME, with each --name OLD=NEW on top."""
    from .viz.notation import resolve

    notation = resolve(args.notation)
    return notation.renamed(dict(args.name)) if args.name else notation


def _steps_of_words(args: argparse.Namespace) -> int:
    """The steps --tokens asks for: one per word, or with --loss every one fewer (the last word is the
    target of the last step)."""
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


def lecture(args: argparse.Namespace) -> int:
    """Write an interactive lecture page (one self-contained HTML file): the network rolled, then
    unrolled, the forward pass with each cell's equation and numbers, the gradient stepped back
    through time with the chain rule of every step, and every shared weight's gradient summed
    term by term; with --compare, RNN vs LSTM vs GRU on one colour scale; with --loss every, a
    language model's J_t at every step. With --checkpoint and --text: which earlier characters
    move each prediction of a trained character model."""
    import tinygrad_rnn as tr

    from .viz.notation import CELL_NAMES

    if args.checkpoint:
        if not args.text:
            raise ValueError("--checkpoint needs --text, the characters to analyse")
        model, _, found = tr.checkpoint.load_language_model(args.checkpoint, args.device)
        page = tr.viz.connectivity(model, found.vocabulary, args.text, title=args.title)
    else:
        cells = ["rnn", "lstm", "gru"] if args.compare else [args.cell]
        cases = {}
        for cell in cells:
            cases[CELL_NAMES[cell]] = _last_step_loss(cell, args)
        (first, (loss, layer)), *others = cases.items()
        page = tr.viz.lecture(loss, layer, level=args.level, title=args.title, name=first, compare=dict(others),
                              notation=_notation(args), tokens=args.tokens)
    if not args.output and not args.export:
        raise ValueError("say where to write: -o PAGE.html, --export DIR (each stage as a slide), or both")
    if args.output:
        print(f"wrote {page.save(args.output)}")
    if args.export:
        _report_slides(page.export(args.export))
    return 0


def train(args: argparse.Namespace) -> int:
    """Train a character-level language model on a text (default: Python's standard library
    source), with a progress bar; save a checkpoint (and resume from one)."""
    import numpy

    import tinygrad_rnn as tr

    if args.plot and not tr.plots.available():  # said now, not after the training
        raise ImportError(f"--plot draws with matplotlib, which is not installed: {tr.plots.HOW_TO_INSTALL}")
    tr.manual_seed(args.seed)
    text = tr.data.read_text(args.text) if args.text else tr.data.standard_library_text(args.max_chars)
    start_step, optimizer_state = 0, None
    if args.resume:
        model, optimizer, found = tr.checkpoint.load_language_model(
            args.resume, args.device, lambda parameters: tr.optim.Adam(parameters, lr=args.lr))
        vocabulary, start_step, optimizer_state = found.vocabulary, found.step, "restored"
        if args.steps <= start_step:
            raise ValueError(f"{args.resume} is at step {start_step} already, and --steps {args.steps} counts the "
                             f"total: ask for more, e.g. --steps {start_step + args.steps}")
    else:
        vocabulary = tr.data.Vocabulary.from_text(text, level="char")
        model = tr.models.LanguageModel(len(vocabulary), args.embedding, args.hidden, args.layers, args.cell,
                                        args.dropout, device=args.device)
        optimizer = tr.optim.Adam(model.parameters(), lr=args.lr)
    ids = numpy.array(vocabulary.encode(text))
    split = int(len(ids) * 0.9)
    cell = model.config()["cell"]  # resumed: the checkpoint's, whatever --cell says
    print(f"{len(text):,} characters, {len(vocabulary)} symbols; {cell.upper()} with "
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
    perplexity and a sample, and write the unrolled graph, its BPTT figure, the language model and
    the vanishing-gradient figures."""
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
    plots = tr.plots.available()  # without matplotlib: every figure but the two PNG plots
    written = [tr.checkpoint.save_checkpoint(out / "char_lstm.npz", model, optimizer, vocabulary, args.steps)]
    if plots:
        written.append(tr.plots.save_training_curves(history, out / "training.png"))

    print("\n2. Figures")
    tr.manual_seed(args.seed)
    small = tr.nn.RNN(2, 3)
    x = tr.randn(4, 1, 2)
    x.name = "x"
    output, _ = small(x)
    loss = output[-1].sum()
    loss.name = "J"
    written.append(tr.viz.save(loss, path=out / "unrolled_rnn.svg", level="op"))  # Graphviz, or the library's SVG
    written.append(tr.viz.save(loss, path=out / "bptt_rnn.svg", level="cell", backward="both"))
    written.append(tr.viz.save(language_model_loss("lstm", 4, seed=args.seed)[0], path=out / "language_model.svg",
                               level="cell"))
    curves: dict[str, list] = {}
    for seed in range(args.seed, args.seed + 5):  # five fresh layers and sequences: the spread shows
        tr.manual_seed(seed)
        sequence = tr.randn(40, 1, 8)
        layers = {"tanh RNN": tr.nn.RNN(8, 32), "LSTM (forget-gate bias 1)": tr.nn.init.lstm_forget_gate_bias_(
            tr.nn.LSTM(8, 32), 1.0), "GRU": tr.nn.GRU(8, 32)}
        for name, layer in layers.items():
            output, _ = layer(sequence)
            norms = analysis.hidden_state_gradient_norms(output[-1].sum(), layer.hidden_states[0])
            curves.setdefault(name, []).append(norms)
    if plots:
        written.append(tr.plots.save_gradient_norms({name: numpy.array(rows) for name, rows in curves.items()},
                                                    out / "vanishing_gradients.png",
                                                    title="‖∂J/∂h_t‖ for a loss on step 40 (untrained layers)"))
    tr.manual_seed(args.seed)  # the interactive page: step backward through 8 steps, RNN vs LSTM vs GRU
    short = tr.randn(8, 1, 8)
    short.name = "x"  # the page shows x_1 … x_8 and J, as the lecture writes them
    panels = {}
    for name, layer in layers.items():
        output, _ = layer(short)
        loss = output[-1].sum()
        loss.name = "J"
        panels[name] = (loss, layer)
    (first, (loss, layer)), *others = panels.items()
    written.append(tr.viz.lecture(loss, layer, name=first, compare=dict(others)).save(out / "bptt.html"))
    for path in written:
        print(f"   wrote {path}")
    if not tr.viz.dot_available():
        print("   (Graphviz's dot program is missing: the library drew the SVG figures itself)")
    if not plots:
        print(f"   (matplotlib is missing: no training.png or vanishing_gradients.png; {tr.plots.HOW_TO_INSTALL})")
    return 0


def run_torch(args: argparse.Namespace) -> int:
    """Run a PyTorch script on tinygrad_rnn: inside it, `import torch` (torch.nn, torch.optim, …)
    is tinygrad_rnn. ARGS go to the script's sys.argv; the exit status is the script's. A PyTorch
    name that tinygrad_rnn lacks stops it with one line saying what to use instead
    (docs/pytorch.md lists what there is)."""
    from .compat import run_script

    return run_script(args.script, args.args)


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
    if command in ("graph", "lecture") and args.tokens and "--steps" in given and args.steps != _steps_of_words(args):
        found.append(("--steps", f"--tokens gives {len(args.tokens)} words, so {_steps_of_words(args)} steps"
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


# --- slides to take away: the lecture page's stages (lecture --export) and the deck ------------------

def deck(args: argparse.Namespace) -> int:
    """Write the figures of a lecture on recurrent networks as slides, computed from small seeded
    models: each a 1,920 × 1,080 SVG with a title, index.html (one slide per printed page) and
    slides.pdf where rsvg-convert or cairosvg is installed. --cell picks the network drawn,
    --notation the lecture's names."""
    import tinygrad_rnn as tr

    _report_slides(tr.viz.deck(args.output, cell=args.cell, notation=_notation(args), perplexity=args.perplexity))
    return 0


def _report_slides(written: Any) -> None:
    """What was written, in two lines; without a PDF converter, the line that says what to install."""
    folder = written.html.parent
    print(f"wrote {len(written.slides)} slides (SVG) and {written.html.name} in {folder}"
          + (f", and {written.pdf.name}" if written.pdf else ""))
    if written.message:
        print(written.message)


def _add_deck_command(commands: Any) -> argparse.ArgumentParser:
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


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    given = {token.split("=", 1)[0] for token in argv if token.startswith("-")}
    if getattr(args, "tokens", None) and "--steps" not in given:
        args.steps = max(_steps_of_words(args), 1)
    for flag, why in options_that_cannot_apply(args, given)[:1]:
        print(f"tinygrad-rnn {args.command}: error: {flag} cannot apply: {why}", file=sys.stderr)
        return 2
    try:
        return args.run(args)
    except (OSError, ValueError, TypeError, RuntimeError, ImportError) as error:  # one line, not a traceback
        print(f"tinygrad-rnn {args.command}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
