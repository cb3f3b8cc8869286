"""A character-level LSTM language model.

Trains on a text (default: Python's standard-library source, which every Python installation
has), prints the validation perplexity, samples text, saves a checkpoint, and resumes from one.

    python examples/char_lm.py [--text FILE] [--steps 1500] [--device gpu]
    python examples/char_lm.py --resume char_lm.npz --steps 3000      # continue training
"""

from __future__ import annotations

import argparse

import numpy

import tinygrad_rnn as tr
from tinygrad_rnn.cli import ScriptHelp, show_defaults
from tinygrad_rnn.device import device_argument


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=ScriptHelp)
    parser.add_argument("--text", help="a text file (default: Python's standard-library source)")
    parser.add_argument("--steps", type=int, default=1500, help="optimiser steps in all (when resuming, too)")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--bptt", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--checkpoint", default="char_lm.npz")
    parser.add_argument("--resume", help="continue from this checkpoint")
    parser.add_argument("--plot", default="char_lm.png", help="loss and perplexity curves")
    parser.add_argument("--device", default="cpu", type=device_argument)
    parser.add_argument("--seed", type=int, default=0)
    args = show_defaults(parser).parse_args()

    tr.manual_seed(args.seed)
    text = tr.data.read_text(args.text) if args.text else tr.data.standard_library_text(300_000)
    step = 0
    if args.resume:  # the checkpoint holds the vocabulary and the model's configuration
        model, optimizer, found = tr.checkpoint.load_language_model(
            args.resume, args.device, lambda parameters: tr.optim.Adam(parameters, lr=3e-3))
        vocabulary, step = found.vocabulary, found.step
        print(f"resumed from {args.resume} at step {step}")
    else:
        vocabulary = tr.data.Vocabulary.from_text(text, level="char")
        model = tr.models.LanguageModel(len(vocabulary), embedding_dim=32, hidden_size=args.hidden,
                                        num_layers=args.layers, cell="lstm", device=args.device)
        optimizer = tr.optim.Adam(model.parameters(), lr=3e-3)
    ids = numpy.array(vocabulary.encode(text))
    split = int(0.9 * len(ids))  # the last 10% is held out for validation
    history = tr.training.train_language_model(model, optimizer, ids[:split], ids[split:], steps=args.steps,
                                               batch_size=args.batch_size, bptt=args.bptt, clip=1.0,
                                               device=args.device, start_step=step,
                                               evaluate_every=max((args.steps - step) // 5, 1))
    if history["valid_perplexity"]:
        print(f"validation perplexity {history['valid_perplexity'][-1]:.2f} over {len(vocabulary)} symbols")
    print("wrote", tr.checkpoint.save_checkpoint(args.checkpoint, model, optimizer, vocabulary, step=args.steps))
    if history["step"]:
        print("wrote", tr.plots.save_training_curves(history, args.plot))
    for temperature in (0.5, 1.0):
        sample = tr.generation.generate(model, vocabulary, 300, prompt="def ", temperature=temperature)
        print(f"\n--- sample at temperature {temperature} ---\n{sample}")


if __name__ == "__main__":
    main()
