"""Long-range dependencies: tanh RNN vs LSTM vs GRU.

1. Agreement: "the keys to the cabinet by the door … are/is" — classify the verb's number from
   the sentence, as the number of distractor phrases between subject and verb grows.
2. The adding problem: add the two marked numbers of a long sequence.

Accuracy (and error) against distance goes to a plot.

    python examples/long_range.py [--distances 0 2 4 6] [--steps 300] [--device gpu]
"""

from __future__ import annotations

import argparse

import numpy
from tqdm.auto import tqdm

import tinygrad_rnn as tr
from tinygrad_rnn.nn import functional as F

CELLS = {"tanh RNN": tr.nn.RNN, "LSTM": tr.nn.LSTM, "GRU": tr.nn.GRU}


class Classifier(tr.nn.Module):
    """Many-to-one: embed the words, run the recurrent layer, classify from the last state."""

    def __init__(self, cell, vocabulary_size: int, hidden: int, classes: int) -> None:
        super().__init__()
        self.embedding = tr.nn.Embedding(vocabulary_size, 16)
        self.rnn = cell(16, hidden, batch_first=True)
        self.head = tr.nn.Linear(hidden, classes)

    def forward(self, ids):
        output, _ = self.rnn(self.embedding(ids))
        return self.head(output[:, -1])


def agreement_accuracy(cell, distractors: int, args) -> float:
    tr.manual_seed(args.seed)
    sentences, labels = tr.data.agreement_task(args.examples, distractors, seed=args.seed)
    vocabulary = tr.data.Vocabulary.from_text([" ".join(s) for s in sentences], level="word")
    ids = numpy.array([vocabulary.encode(s) for s in sentences])  # all of one length here
    split = int(0.8 * len(ids))
    model = Classifier(cell, len(vocabulary), args.hidden, 2).to(args.device)
    optimizer = tr.optim.Adam(model.parameters(), lr=0.01)
    rng = numpy.random.default_rng(args.seed)
    for _ in tqdm(range(args.steps), desc=f"{cell.__name__}, {distractors} distractors", leave=False):
        batch = rng.integers(0, split, 32)
        loss = F.cross_entropy(model(tr.tensor(ids[batch], device=args.device)),
                               tr.tensor(labels[batch], device=args.device))
        optimizer.zero_grad()
        loss.backward()
        tr.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    with tr.no_grad():
        predicted = model(tr.tensor(ids[split:], device=args.device)).argmax(-1).numpy()
    return float((predicted == labels[split:]).mean())


def adding_error(cell, length: int, args) -> float:
    tr.manual_seed(args.seed)
    inputs, targets = tr.data.adding_problem(args.examples, length, seed=args.seed)
    rnn, head = cell(2, args.hidden, batch_first=True).to(args.device), tr.nn.Linear(args.hidden, 1).to(args.device)
    parameters = list(rnn.parameters()) + list(head.parameters())
    optimizer = tr.optim.Adam(parameters, lr=0.01)
    rng = numpy.random.default_rng(args.seed)
    split = int(0.8 * len(inputs))

    def predict(x):
        output, _ = rnn(tr.tensor(x, device=args.device))
        return head(output[:, -1]).squeeze(-1)

    for _ in tqdm(range(args.steps), desc=f"{cell.__name__}, adding T={length}", leave=False):
        batch = rng.integers(0, split, 32)
        loss = F.mse_loss(predict(inputs[batch]), tr.tensor(targets[batch], device=args.device))
        optimizer.zero_grad()
        loss.backward()
        tr.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
    with tr.no_grad():
        return F.mse_loss(predict(inputs[split:]), tr.tensor(targets[split:], device=args.device)).item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distances", type=int, nargs="+", default=[0, 3, 6, 10], help="distractor phrases")
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 30], help="adding-problem lengths")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--out", default="long_range.png")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    print("1. Agreement accuracy by number of distractor phrases (chance: 0.5)")
    accuracy = {}
    for name, cell in CELLS.items():
        accuracy[name] = [agreement_accuracy(cell, d, args) for d in args.distances]
        print(f"   {name:9s} " + "  ".join(f"{d}: {a:.2f}" for d, a in zip(args.distances, accuracy[name])))
    print("   wrote", tr.plots.save_lines(args.distances, accuracy, args.out, "distractor phrases before the verb",
                                        "test accuracy", title="subject–verb agreement"))
    print("2. Adding problem: test mean squared error (guessing 1: about 0.167)")
    for name, cell in CELLS.items():
        errors = [adding_error(cell, length, args) for length in args.lengths]
        print(f"   {name:9s} " + "  ".join(f"T={n}: {e:.3f}" for n, e in zip(args.lengths, errors)))


if __name__ == "__main__":
    main()
