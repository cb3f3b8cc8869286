"""An encoder–decoder learns to write dates in ISO form: "Tuesday 8th July 2025" → "2025-07-08".

The encoder (a GRU over the characters of the source) hands its final state to the decoder, a
character language model over the target, trained with teacher forcing; at test time the decoder
is fed its own outputs, greedily and by beam search. Reports exact-match accuracy on held-out
dates, both ways, and writes the model's graph (encoder row, the state handed over, decoder row),
its BPTT figure (the gradient crossing from the decoder into the encoder) and the graph of greedy
generation (each ŷ_t fed in as the next input).

    python examples/seq2seq.py [--steps 1200] [--cell gru] [--beam 4] [--device gpu] [--out DIR]
"""

from __future__ import annotations

import argparse
import pathlib
import time

import numpy

import tinygrad_rnn as tr
from tinygrad_rnn.cli import ScriptHelp, show_defaults
from tinygrad_rnn.device import device_argument
from tinygrad_rnn.progress import progress as progress_bar


def make_vocabularies(sources: list[str], targets: list[str]) -> tuple[tr.data.Vocabulary, tr.data.Vocabulary]:
    return tr.data.Vocabulary.from_text(sources, level="char"), tr.data.Vocabulary.from_text(targets, level="char")


def batch_loss(model, source_vocabulary, target_vocabulary, sources, targets, device):
    """J = mean over the target tokens (and [END]) of −log P(y_t | y_<t, x), teacher forcing."""
    source, lengths = tr.data.pad_batch([source_vocabulary.encode(s) for s in sources], device=device)
    framed = [target_vocabulary.encode(t, begin=True, end=True) for t in targets]  # [BEGIN] y … [END]
    padded, _ = tr.data.pad_batch(framed, device=device)
    inputs, wanted = padded[:, :-1], padded[:, 1:]  # the decoder reads y_{t−1}, predicts y_t
    logits = model(source, inputs, source_lengths=lengths)
    return tr.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), wanted.reshape(-1),
                                          ignore_index=target_vocabulary.pad_id)


def exact_match(model, source_vocabulary, target_vocabulary, sources, targets, beam: int) -> float:
    """The share of held-out sources whose whole target is written right."""
    right = 0
    if beam == 1:
        for start in range(0, len(sources), 256):
            chunk = sources[start:start + 256]
            source, lengths = tr.data.pad_batch([source_vocabulary.encode(s) for s in chunk],
                                                device=model.head.weight.device)
            written = model.greedy(source, max_length=12, source_lengths=lengths)
            right += sum(target_vocabulary.decode(w) == t for w, t in zip(written, targets[start:start + 256]))
    else:
        for source, target in zip(sources, targets):
            written = model.beam_search(source_vocabulary.encode(source), beam_width=beam, max_length=12)
            right += target_vocabulary.decode(written) == target
    return right / len(sources)


def train(steps: int, cell: str = "gru", hidden: int = 128, batch_size: int = 64, seed: int = 0, device="cpu",
          progress: bool = True, train_count: int = 20_000):
    """A trained model, its vocabularies and the held-out data (sources, targets)."""
    tr.manual_seed(seed)
    sources, targets = tr.data.dates_task(train_count + 500, seed=seed)
    source_vocabulary, target_vocabulary = make_vocabularies(sources, targets)
    held_out = sources[train_count:], targets[train_count:]
    model = tr.models.Seq2Seq(len(source_vocabulary), len(target_vocabulary), embedding_dim=32, hidden_size=hidden,
                              cell=cell, device=device)
    optimizer = tr.optim.Adam(model.parameters(), lr=3e-3)
    rng = numpy.random.default_rng(seed)
    bar = progress_bar(range(steps), desc="training", unit="step", disable=not progress)
    for _ in bar:
        chosen = rng.integers(0, train_count, size=batch_size)
        loss = batch_loss(model, source_vocabulary, target_vocabulary, [sources[i] for i in chosen],
                          [targets[i] for i in chosen], device)
        optimizer.zero_grad()
        loss.backward()
        tr.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        bar.set_postfix(loss=f"{loss.item():.3f}")
    return model, source_vocabulary, target_vocabulary, held_out


def draw(model, source_vocabulary, target_vocabulary, out: pathlib.Path, fmt: str) -> list[pathlib.Path]:
    """The encoder–decoder unrolled on one short example, forward and its BPTT figure."""
    source_text, target_text = "May 3 1998", "1998-05-03"
    drawn = tr.models.Seq2Seq(len(source_vocabulary), len(target_vocabulary), embedding_dim=4, hidden_size=4,
                              cell=model.settings["cell"], fused=False)  # a small one: the figure shows structure
    source = tr.tensor([source_vocabulary.encode(source_text[:4])])
    framed = target_vocabulary.encode(target_text[:4], begin=True, end=False)
    inputs = tr.tensor([framed[:-1]])
    source.name, inputs.name = "x", "y"  # x_t below the encoder, y_t (the token before) below the decoder
    logits = drawn(source, inputs)
    loss = tr.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tr.tensor(framed[1:]))
    loss.name = "J"
    written = [tr.viz.save(loss, path=out / f"seq2seq.{fmt}", level="cell",
                           title="encoder → decoder: the encoder's last state starts the decoder"),
               tr.viz.save(loss, path=out / f"seq2seq_bptt.{fmt}", level="cell", backward=True,
                           title="BPTT: the gradient crosses from the decoder into the encoder")]
    generated = drawn.greedy_graph(source, max_length=3)  # at generation each y_t written is the next input
    written.append(tr.viz.save(generated, path=out / f"seq2seq_generation.{fmt}", level="cell",
                               title="generation: the decoder reads its own output, y_t = argmax s_t, next"))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=ScriptHelp)
    parser.add_argument("--steps", type=int, default=1200, help="optimiser steps (batches of 64 dates)")
    parser.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="gru")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--beam", type=int, default=4, help="the beam width compared with greedy decoding")
    parser.add_argument("--held-out", type=int, default=500, help="held-out dates to score")
    parser.add_argument("--device", default="cpu", type=device_argument)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=".", help="where the figures go")
    parser.add_argument("--format", default="svg", choices=["svg", "png", "dot"])
    args = show_defaults(parser).parse_args()

    started = time.perf_counter()
    model, source_vocabulary, target_vocabulary, (sources, targets) = train(
        args.steps, args.cell, args.hidden, seed=args.seed, device=args.device)
    sources, targets = sources[:args.held_out], targets[:args.held_out]
    print(f"trained {args.steps} steps in {time.perf_counter() - started:.0f} s")
    greedy = exact_match(model, source_vocabulary, target_vocabulary, sources, targets, beam=1)
    beam = exact_match(model, source_vocabulary, target_vocabulary, sources, targets, beam=args.beam)
    print(f"exact match on {len(sources)} held-out dates: greedy {greedy:.1%}, beam search (k={args.beam}) {beam:.1%}")
    for source in sources[:3]:
        written = target_vocabulary.decode(model.beam_search(source_vocabulary.encode(source), args.beam, 12))
        print(f"   {source!r:32} → {written}")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in draw(model, source_vocabulary, target_vocabulary, out, args.format):
        print("wrote", path)


if __name__ == "__main__":
    main()
