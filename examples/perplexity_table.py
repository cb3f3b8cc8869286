"""The lectures' perplexity table, measured: from counts to the LSTM on one held-out split.

Unigram, n-gram for n = 2…5 (add-k and interpolated Kneser–Ney), the fixed-window neural model
(Bengio et al. 2003), and the tanh RNN, LSTM and GRU language models — each scored by its
perplexity on the same held-out text (the last 10% of the corpus; lower is better), at character
and at word level. The neural models are trained over several seeds: the table gives the median
and the range, and each one's training time. Printed as a Markdown table and drawn as a figure.

    python examples/perplexity_table.py [--text FILE] [--chars 300000] [--steps 1500] [--word-steps 150]
                                        [--seeds 3] [--level char word] [--out perplexity_table.png]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy

import tinygrad_rnn as tr
from tinygrad_rnn.cli import ScriptHelp, show_defaults
from tinygrad_rnn.device import device_argument

NEURAL = {"fixed window": "window", "tanh RNN": "rnn", "LSTM": "lstm", "GRU": "gru"}


def split_ids(text: str, level: str, max_words: int = 2_000):
    """The vocabulary (words: the most frequent ``max_words``, the rest [UNK]) and the ids of the
    first 90% of the text (training) and of the last 10% (held out)."""
    vocabulary = tr.data.Vocabulary.from_text(text, level=level, max_size=max_words if level == "word" else None)
    ids = numpy.array(vocabulary.encode(text), dtype=numpy.int64)
    cut = int(0.9 * ids.size)
    return vocabulary, ids[:cut], ids[cut:]


def count_based(train, held_out, size: int) -> dict[str, tuple[float, float]]:
    """(held-out perplexity, seconds to count) of each count-based model."""
    results = {}
    for order in range(1, 6):
        for smoothing in ("add-k", "kneser-ney"):
            if order == 1 and smoothing == "kneser-ney":
                name = "unigram (absolute discount)"  # Kneser–Ney's discount, with nothing below it but 1/V
            elif order == 1:
                name = "unigram (add-1)"
            else:
                name = f"{order}-gram, {'Kneser–Ney' if smoothing == 'kneser-ney' else 'add-1'}"
            started = time.perf_counter()
            model = tr.models.NGramLM(order, smoothing=smoothing, k=1.0).fit(train, vocabulary_size=size)
            seconds = time.perf_counter() - started
            results[name] = (model.perplexity(held_out), seconds)
    return results


def neural(kind: str, train, held_out, size: int, seed: int, steps: int, hidden: int, device) -> tuple[float, float]:
    """(held-out perplexity, seconds to train) of one neural model trained with the language
    model loop (truncated BPTT over windows of 64, batch 32, Adam 3e-3, clipping at 1)."""
    tr.manual_seed(seed)
    if kind == "window":
        model = tr.models.FixedWindowLM(size, window=5, embedding_dim=32, hidden_size=hidden, device=device)
    else:
        model = tr.models.LanguageModel(size, embedding_dim=32, hidden_size=hidden, cell=kind, device=device)
    optimizer = tr.optim.Adam(model.parameters(), lr=3e-3)
    started = time.perf_counter()
    tr.training.train_language_model(model, optimizer, train, steps=steps, batch_size=32, bptt=64, clip=1.0,
                                     device=device, progress=False)
    seconds = time.perf_counter() - started
    # one stream, its state carried from window to window: every token predicted from all before it
    return float(numpy.exp(tr.training.evaluate(model, held_out, batch_size=1, bptt=256, device=device))), seconds


def table(text: str, level: str, seeds: int, steps: int, hidden: int, device="cpu", kinds=tuple(NEURAL)) -> dict:
    """{model name: {"perplexity": [one per seed], "seconds": [...]}} for one level."""
    vocabulary, train, held_out = split_ids(text, level)
    rows: dict[str, dict[str, list[float]]] = {}
    for name, (perplexity, seconds) in count_based(train, held_out, len(vocabulary)).items():
        rows[name] = {"perplexity": [perplexity], "seconds": [seconds]}
    say(f"{level} level: counted the n-gram models; training {len(kinds)} neural models × {seeds} seeds, "
        f"{steps} steps each")
    for name in kinds:
        for seed in range(seeds):
            perplexity, seconds = neural(NEURAL[name], train, held_out, len(vocabulary), seed, steps, hidden, device)
            say(f"{level} level: {name}, seed {seed + 1} of {seeds}: perplexity {perplexity:.2f} in {seconds:.0f} s")
            rows.setdefault(name, {"perplexity": [], "seconds": []})
            rows[name]["perplexity"].append(perplexity)
            rows[name]["seconds"].append(seconds)
    rows["_about"] = {"vocabulary": [len(vocabulary)], "train": [train.size], "held_out": [held_out.size]}
    return rows


def say(progress: str) -> None:
    """A progress line on standard error, at once: the table on standard output stays clean."""
    print(progress, file=sys.stderr, flush=True)


def markdown(rows: dict, level: str) -> str:
    about = rows["_about"]
    lines = [f"**{level} level** — {about['train'][0]:,} training tokens, {about['held_out'][0]:,} held out, "
             f"a vocabulary of {about['vocabulary'][0]:,}",
             "", "| model | held-out perplexity | time |", "| --- | --- | --- |"]
    for name, found in rows.items():
        if name == "_about":
            continue
        values = numpy.array(found["perplexity"])
        shown = f"{numpy.median(values):.2f}" if values.size == 1 else \
            f"{numpy.median(values):.2f} ({values.min():.2f}–{values.max():.2f}, {values.size} seeds)"
        lines.append(f"| {name} | {shown} | {numpy.median(found['seconds']):.1f} s |")
    return "\n".join(lines)


def figure(results: dict[str, dict], path: str) -> str:
    """One panel per level: each model's perplexity (median, with its range over seeds), log axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(6.5 * len(results), 5.5), squeeze=False)
    for ax, (level, rows) in zip(axes[0], results.items()):
        names = [n for n in rows if n != "_about"]
        medians = [numpy.median(rows[n]["perplexity"]) for n in names]
        low = [m - min(rows[n]["perplexity"]) for m, n in zip(medians, names)]
        high = [max(rows[n]["perplexity"]) - m for m, n in zip(medians, names)]
        colours = ["#9e9ac8" if "gram" in n else "#21918c" for n in names]
        ax.barh(range(len(names)), medians, xerr=[low, high], color=colours, capsize=3)
        ax.set_yticks(range(len(names)), names, fontsize=11)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("held-out perplexity (log scale; lower is better)", fontsize=11)
        ax.set_title(f"{level} level", fontsize=13)
        for y, (value, name) in enumerate(zip(medians, names)):  # right of the range bar, clear of it
            ax.text(max(rows[name]["perplexity"]) * 1.04, y, f"{value:.1f}", va="center", fontsize=10)
        ax.set_xlim(right=max(max(rows[n]["perplexity"]) for n in names) * 1.6)
        tr.plots.plain_log_ticks(ax, "x")
    fig.suptitle("From counts to the LSTM: perplexity on the same held-out text", fontsize=14)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=ScriptHelp)
    parser.add_argument("--text", help="a text file (default: Python's standard-library source)")
    parser.add_argument("--chars", type=int, default=300_000, help="characters of the default corpus")
    parser.add_argument("--level", nargs="+", choices=["char", "word"], default=["char", "word"])
    parser.add_argument("--steps", type=int, default=1500, help="training steps of each neural model, characters")
    parser.add_argument("--word-steps", type=int, default=150,
                        help="… and words: the word-level text is 5× shorter, so 150 steps are 5 passes over it")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--device", default="cpu", type=device_argument)
    parser.add_argument("--out", default="perplexity_table.png")
    args = show_defaults(parser).parse_args()

    text = tr.data.read_text(args.text) if args.text else tr.data.standard_library_text(args.chars)
    results = {}
    for level in args.level:
        steps = args.steps if level == "char" else args.word_steps
        results[level] = table(text, level, args.seeds, steps, args.hidden, args.device)
        print(markdown(results[level], level), end="\n\n", flush=True)
    print("wrote", figure(results, args.out))


if __name__ == "__main__":
    main()
