"""The lecture figures, drawn from real computation: every figure in docs/ and the README.

    python examples/lecture_figures.py [--out lecture_figures] [--format svg] [--device cpu]
    python examples/lecture_figures.py --out docs/figures    # regenerate the documentation's figures

* the unrolled tanh RNN at op and cell level, the LSTM and GRU at op level;
* a stacked, bidirectional LSTM at cell level (layers as rows, the reverse rows right to left);
* the language model unrolled (x_t → e_t → h_t → ŷ_t → J_t, J their mean), its BPTT figure, and
  the rolled RNN, LSTM and language model;
* BPTT of an LSTM at cell level (∂J/∂h_t, ∂J/∂c_t right to left, one Σ per shared weight) and the
  recorded gradient graph of a tanh RNN at op level;
* the vanishing gradient: tanh RNN, LSTM and GRU over the same 12 steps, coloured on one scale —
  made by the README's command, `tinygrad-rnn graph --compare --steps 12 --level cell --forget-bias 1`.

Writes svg (by Graphviz, or by the library itself where Graphviz is missing), png or pdf (Graphviz),
or dot (DOT text).
"""

from __future__ import annotations

import argparse
import pathlib
from collections.abc import Callable

import tinygrad_rnn as tr
from tinygrad_rnn import cli
from tinygrad_rnn.cli import ScriptHelp, show_defaults
from tinygrad_rnn.device import device_argument
from tinygrad_rnn.viz.lecture_models import (
    NOW,
    NOW_TARGETS,
    ONE_WORD,
    language_model_loss,
    last_step_loss,
    layer,
    seq2seq_loss,
    seq2seq_model,
    seq2seq_source,
)
from tinygrad_rnn.viz.legibility import measure, slide_fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=ScriptHelp)
    parser.add_argument("--out", default="lecture_figures",
                        help="folder for the figures; docs/figures rewrites the documentation's (default: %(default)s)")
    parser.add_argument("--format", choices=["svg", "png", "pdf", "dot"], default="svg")
    parser.add_argument("--steps", type=int, default=12, help="steps of the gradient-coloured figures")
    parser.add_argument("--device", default="cpu", type=device_argument)
    args = show_defaults(parser).parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = args.device

    for name, make_loss, options in figures(device):
        print("wrote", tr.viz.save(make_loss(), path=out / f"{name}.{args.format}", **options))

    # The vanishing gradient, honestly compared on one colour scale: the README's command itself.
    suffix = "svg" if args.format == "dot" else args.format
    cli.main(vanishing_command(args.steps, str(out / f"vanishing.{suffix}")))
    document = pathlib.Path(__file__).resolve().parents[1] / "docs" / "drawing.md"
    if args.format == "svg" and out.resolve() == document.parent / "figures":
        write_legibility_table(document, out)
        print("wrote the legibility table of", document)


def figures(device: str = "cpu") -> list[tuple[str, Callable[[], tr.Tensor], dict]]:
    """(name, a function making the loss, the options of its drawing) for every figure but the vanishing
    comparison (the CLI's --compare draws those): the tests draw each of them too."""

    def last_step(kind, steps, **options):
        return lambda: last_step_loss(layer(kind, device=device, **options), steps, device)

    def language_model():  # the language model every lecture draws, with the lectures' names (E, W_hy, b_y)
        return language_model_loss("rnn", 4, device)[0]

    def generation():  # the deck's: "llueve", two tokens written (a choice fed back), on a slide
        return seq2seq_model(device).greedy_graph(seq2seq_source(device, ids=ONE_WORD), max_length=2)

    def encoder_decoder():  # a short pair, as a slide shows one: "ahora" → "now", [END] (a real pair's last target)
        return seq2seq_loss(device, source=NOW, targets=NOW_TARGETS)

    return [
        ("rnn_unrolled_op", last_step("rnn", 3), {"level": "op"}),
        ("rnn_unrolled_cell", last_step("rnn", 3), {"level": "cell"}),
        ("rnn_backward", last_step("rnn", 3), {"backward": True}),
        ("rnn_rolled", last_step("rnn", 3), {"rolled": True}),
        ("lstm_op", last_step("lstm", 3), {"level": "op"}),
        ("gru_op", last_step("gru", 3), {"level": "op"}),
        ("lstm_cell", last_step("lstm", 4), {"level": "cell"}),
        ("lstm_rolled", last_step("lstm", 4), {"rolled": True}),
        ("lstm_backward_cell", last_step("lstm", 3), {"level": "cell", "backward": True}),
        ("lstm_forward_and_backward", last_step("lstm", 4), {"level": "cell", "backward": "both"}),
        ("lstm_stacked_bidirectional", last_step("lstm", 4, num_layers=2, bidirectional=True),
         {"level": "cell", "params": "hide"}),
        ("language_model", language_model, {"level": "cell"}),
        ("language_model_bptt", language_model, {"level": "cell", "backward": True}),
        ("language_model_rolled", language_model, {"rolled": True}),
        # the encoder–decoder in one timeline: encoder steps, the state handed over, decoder steps; and its BPTT
        ("seq2seq", encoder_decoder, {"level": "cell"}),
        ("seq2seq_bptt", encoder_decoder, {"level": "cell", "backward": True}),
        ("seq2seq_generation", generation, {"level": "cell"}),
    ]


def vanishing_command(steps: int, output: str) -> list[str]:
    """The README's command: tanh RNN, LSTM and GRU over the same steps, coloured on one scale."""
    return ["graph", "--compare", "--steps", str(steps), "--level", "cell", "--forget-bias", "1", "-o", output]


def legibility_table(figures: pathlib.Path) -> str:
    """The table of docs/drawing.md: crossings, edges through nodes and the smallest text of each SVG figure
    at 1,600 px wide, then fitted into a 1,920 × 1,080 slide: its smallest text and node label, and its shape."""
    rows = []
    for path in sorted(figures.glob("*.svg")):
        text = path.read_text(encoding="utf-8")
        found, slide = measure(text), slide_fit(text)
        rows.append(f"| `{path.stem}` | {found.crossings} | {found.through_nodes} | {found.smallest_text_px:g} px | "
                    f"{slide.text_px:g} px | {slide.label_px:g} px | {slide.aspect:.2f} : 1 |")
    return "\n".join(rows)


def write_legibility_table(document: pathlib.Path, figures: pathlib.Path) -> None:
    text = document.read_text(encoding="utf-8")
    rule = "| --- | --- | --- | --- | --- | --- | --- |\n"
    start = text.index(rule, text.index("<!-- legibility")) + len(rule)
    end = text.index("<!-- end of legibility -->")
    document.write_text(text[:start] + legibility_table(figures) + "\n" + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
