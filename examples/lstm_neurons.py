"""Single LSTM neurons over text: is there a cell that knows it is inside a [[link]]?

A character LSTM learns wiki-like text with [[links]]. Then, over a fresh snippet, every cell
unit's activation tanh(c_t) is compared with "inside the brackets" (1) or not (0); the units
that track it best are drawn as a heat map over the characters (red +1, blue −1) — the cell
"knows" when the brackets must close.

    python examples/lstm_neurons.py [--steps 600] [--out lstm_neurons.png] [--device gpu]
"""

from __future__ import annotations

import argparse

import numpy

import tinygrad_rnn as tr
from tinygrad_rnn.cli import ScriptHelp, show_defaults
from tinygrad_rnn.device import device_argument


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=ScriptHelp)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--words", type=int, default=8000, help="training text, in words")
    parser.add_argument("--out", default="lstm_neurons.png")
    parser.add_argument("--device", default="cpu", type=device_argument)
    parser.add_argument("--seed", type=int, default=0)
    args = show_defaults(parser).parse_args()

    tr.manual_seed(args.seed)
    text, _ = tr.data.brackets_text(args.words, seed=args.seed)
    vocabulary = tr.data.Vocabulary.from_text(text)
    model = tr.models.LanguageModel(len(vocabulary), 16, args.hidden, cell="lstm", device=args.device)
    optimizer = tr.optim.Adam(model.parameters(), lr=5e-3)
    ids = numpy.array(vocabulary.encode(text))
    history = tr.training.train_language_model(model, optimizer, ids, steps=args.steps, batch_size=32, bptt=64,
                                               device=args.device)
    print(f"training loss {numpy.mean(history['loss'][-20:]):.3f} nats/character")

    snippet, inside = tr.data.brackets_text(16, seed=args.seed + 1, link_probability=0.3)
    model.eval()
    with tr.no_grad():
        model(tr.tensor([vocabulary.encode(snippet)], device=args.device))
    cells = numpy.stack([c.numpy()[0] for c in model.rnn.cell_states[0]])  # (characters, units)
    activation = numpy.tanh(cells)
    centred = activation - activation.mean(axis=0)
    label = inside - inside.mean()
    correlation = centred.T @ label / (numpy.linalg.norm(centred, axis=0) * numpy.linalg.norm(label) + 1e-12)
    best = numpy.argsort(-numpy.abs(correlation))[:3]
    for unit in best:
        print(f"cell unit {unit:3d}: correlation with 'inside [[…]]' = {correlation[unit]:+.2f}")
    # The activations as they are, signed: a unit with a negative correlation is low (blue) inside.
    rows = [inside * 2.0 - 1.0] + [activation[:, unit] for unit in best]
    labels = ["inside [[…]] (+1)"] + [f"unit {u}, r = {correlation[u]:+.2f}" for u in best]
    print("wrote", tr.plots.save_heatmap(numpy.array(rows), snippet, args.out, row_labels=labels,
                                         title="LSTM cell activations tanh(c_t), signed (red +1, blue −1); "
                                               "r: correlation with inside [[…]]"))


if __name__ == "__main__":
    main()
