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

Bad arguments or a failure give one clear line on stderr and a non-zero exit, never a traceback. What each command
accepts (its options, their help, the ones that cannot apply together) is :mod:`.cli_options`'s; here, what it does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from .cli_options import (  # ScriptHelp and show_defaults: the examples import them from here
    ScriptHelp,  # noqa: F401
    build_parser,
    options_that_cannot_apply,
    show_defaults,  # noqa: F401
    steps_of_words,
)


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


def _notation(args: argparse.Namespace):
    """--notation NAME, with each --name OLD=NEW on top."""
    from .viz.notation import resolve

    notation = resolve(args.notation)
    return notation.renamed(dict(args.name)) if args.name else notation


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


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    given = {token.split("=", 1)[0] for token in argv if token.startswith("-")}
    if getattr(args, "tokens", None) and "--steps" not in given:
        args.steps = max(steps_of_words(args), 1)
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
