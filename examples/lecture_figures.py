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

import tinygrad_rnn as tr
from tinygrad_rnn import cli
from tinygrad_rnn.cli import ScriptHelp, show_defaults
from tinygrad_rnn.device import device_argument
from tinygrad_rnn.viz.lecture_models import last_step_loss, seq2seq_loss, seq2seq_model, seq2seq_source
from tinygrad_rnn.viz.legibility import measure


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

    def save(loss, name, **options):
        print("wrote", tr.viz.save(loss, path=out / f"{name}.{args.format}", **options))

    def layer(kind, **options):
        return tr.viz.lecture_models.layer(kind, device=device, **options)

    rnn_loss = last_step_loss(layer("rnn"), 3, device)
    save(rnn_loss, "rnn_unrolled_op", level="op")
    save(rnn_loss, "rnn_unrolled_cell", level="cell")
    save(rnn_loss, "rnn_backward", backward=True)
    save(rnn_loss, "rnn_rolled", rolled=True)
    save(last_step_loss(layer("lstm"), 3, device), "lstm_op", level="op")
    save(last_step_loss(layer("gru"), 3, device), "gru_op", level="op")
    save(last_step_loss(layer("lstm"), 4, device), "lstm_cell", level="cell")
    save(last_step_loss(layer("lstm"), 4, device), "lstm_rolled", rolled=True)
    save(last_step_loss(layer("lstm"), 3, device), "lstm_backward_cell", level="cell", backward=True)
    save(last_step_loss(layer("lstm"), 4, device), "lstm_forward_and_backward", level="cell", backward="both")
    save(last_step_loss(layer("lstm", num_layers=2, bidirectional=True), 4, device), "lstm_stacked_bidirectional",
         level="cell", params="hide")

    # The language model every lecture draws, with the lectures' names (E, W_hy, b_y), and its BPTT.
    language_model = language_model_loss(4, device)
    save(language_model, "language_model", level="cell")
    save(language_model, "language_model_bptt", level="cell", backward=True)
    save(language_model, "language_model_rolled", rolled=True)

    # The encoder–decoder in one timeline: encoder steps, the state handed over, decoder steps; and its BPTT.
    encoder_decoder = seq2seq_loss(device)
    save(encoder_decoder, "seq2seq", level="cell")
    save(encoder_decoder, "seq2seq_bptt", level="cell", backward=True)
    save(seq2seq_model(device).greedy_graph(seq2seq_source(device), max_length=3), "seq2seq_generation", level="cell")

    # The vanishing gradient, honestly compared on one colour scale: the README's command itself.
    suffix = "svg" if args.format == "dot" else args.format
    cli.main(["graph", "--compare", "--steps", str(args.steps), "--level", "cell", "--forget-bias", "1",
          "-o", str(out / f"vanishing.{suffix}")])
    document = pathlib.Path(__file__).resolve().parents[1] / "docs" / "drawing.md"
    if args.format == "svg" and out.resolve() == document.parent / "figures":
        write_legibility_table(document, out)
        print("wrote the legibility table of", document)


def legibility_table(figures: pathlib.Path) -> str:
    """The table of docs/drawing.md: crossings, edges through nodes and the smallest text of each SVG figure."""
    rows = []
    for path in sorted(figures.glob("*.svg")):
        found = measure(path.read_text(encoding="utf-8"))
        rows.append(f"| `{path.stem}` | {found.crossings} | {found.through_nodes} | {found.smallest_text_px:g} px |")
    return "\n".join(rows)


def write_legibility_table(document: pathlib.Path, figures: pathlib.Path) -> None:
    text = document.read_text(encoding="utf-8")
    rule = "| --- | --- | --- | --- |\n"
    start = text.index(rule, text.index("<!-- legibility")) + len(rule)
    end = text.index("<!-- end of legibility -->")
    document.write_text(text[:start] + legibility_table(figures) + "\n" + text[end:], encoding="utf-8")


def language_model_loss(steps: int, device: str):
    """J = (1/T) Σ_t J_t of a fresh language model (vocabulary 10) on random tokens, as `--loss every` draws it."""
    return cli.language_model_loss("rnn", steps, device=device)[0]


if __name__ == "__main__":
    main()
