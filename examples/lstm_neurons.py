"""Single LSTM neurons over text: is there a cell that knows it is inside a URL, or a [[link]]?

A character LSTM learns wiki-like text with [[links]] and URLs. Then, over a fresh snippet, every
cell unit's activation tanh(c_t) is compared with "inside a URL" and with "inside the brackets"
(1 or 0 per character); the unit that tracks each best is drawn over the wrapped text, one panel
each, red +1, blue −1 (lecture figure 7) — the cell "knows" when the brackets must close.
The figure is slide-shaped (1,920 × 1,080); .png or .svg from the suffix of --out.

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
    text, _ = tr.data.wiki_text(args.words, seed=args.seed)
    vocabulary = tr.data.Vocabulary.from_text(text)
    model = tr.models.LanguageModel(len(vocabulary), 16, args.hidden, cell="lstm", device=args.device)
    optimizer = tr.optim.Adam(model.parameters(), lr=5e-3)
    ids = numpy.array(vocabulary.encode(text))
    history = tr.training.train_language_model(model, optimizer, ids, steps=args.steps, batch_size=32, bptt=64,
                                               device=args.device)
    print(f"training loss {numpy.mean(history['loss'][-20:]):.3f} nats/character")

    snippet_seed = args.seed + 1
    snippet, inside = tr.data.wiki_text(16, seed=snippet_seed, link_probability=0.3, url_probability=0.2)
    while not (inside["url"].any() and inside["link"].any()):  # a snippet with both, or r says nothing
        snippet_seed += 1
        snippet, inside = tr.data.wiki_text(16, seed=snippet_seed, link_probability=0.3, url_probability=0.2)
    model.eval()
    with tr.no_grad():
        model(tr.tensor([vocabulary.encode(snippet)], device=args.device))
    cells = numpy.stack([c.numpy()[0] for c in model.rnn.cell_states[0]])  # (characters, units)
    activation = numpy.tanh(cells)
    centred = activation - activation.mean(axis=0)
    panels, labels = [], []
    for key, what in (("url", "inside a URL"), ("link", "inside [[…]]")):
        label = inside[key] - inside[key].mean()
        correlation = centred.T @ label / (numpy.linalg.norm(centred, axis=0) * numpy.linalg.norm(label) + 1e-12)
        ranked = [unit for unit in numpy.argsort(-numpy.abs(correlation)) if unit not in panels]
        for unit in ranked[:3]:
            print(f"cell unit {unit:3d}: correlation with '{what}' = {correlation[unit]:+.2f}")
        panels.append(ranked[0])  # the best unit not drawn already: two panels, two units
        labels.append(f"unit {ranked[0]}: {what}?  r = {correlation[ranked[0]]:+.2f}")
    # The activations as they are, signed: a unit with a negative correlation is low (blue) inside.
    print("wrote", tr.plots.save_heatmap(activation[:, panels].T, snippet, args.out, row_labels=labels,
                                         title="A character LSTM's cell units tanh(c_t) over text "
                                               "(r: correlation with the label)"))

if __name__ == "__main__":
    main()
