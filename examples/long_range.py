"""Long-range dependencies: tanh RNN vs LSTM vs GRU, measured over several seeds.

1. The adding problem (Hochreiter & Schmidhuber 1997): T random values, two of them marked; predict
   their sum. Predicting the mean scores a mean squared error of about 0.167. Gated cells trained
   with Adam and clipping solve it at T=50 (MSE below 0.02); a tanh RNN stays near 0.167, because
   the gradient from the loss fades before it reaches the first marked value (Bengio et al. 1994).
2. Agreement: "the keys to the cabinet by the door … are/is" — the verb's number from a subject
   that lies d distractor phrases back (3 words each, nouns of either number).

Each result is a mean over seeds with its spread (min–max), every seed printed; a verdict line
says whether this run shows the known result, and says so plainly when it does not. Runs go to
two processes at once (``--workers``).

    python examples/long_range.py [--seeds 3] [--quick] [--out long_range] [--device cpu]
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

import numpy

import tinygrad_rnn as tr
from tinygrad_rnn.cli import ScriptHelp, show_defaults
from tinygrad_rnn.device import device_argument
from tinygrad_rnn.nn import functional as F

CELLS = {"tanh RNN": tr.nn.RNN, "LSTM": tr.nn.LSTM, "GRU": tr.nn.GRU}
TRIVIAL_MSE = 1 / 6  # predicting E[sum] = 1: the variance of the sum of two U(0, 1) values
SOLVED_MSE = 0.02


class Regressor(tr.nn.Module):
    """Many-to-one: the recurrent layer, then a linear read-out of the last state."""

    def __init__(self, cell: str, inputs: int, hidden: int, outputs: int, vocabulary: int = 0) -> None:
        super().__init__()
        self.embedding = tr.nn.Embedding(vocabulary, 16) if vocabulary else None
        self.rnn = CELLS[cell](16 if vocabulary else inputs, hidden, batch_first=True, fused=True)  # trains faster
        self.head = tr.nn.Linear(hidden, outputs)

    def forward(self, x):
        output, _ = self.rnn(self.embedding(x) if self.embedding is not None else x)
        return self.head(output[:, -1])


def adding_run(cell: str, length: int, seed: int, steps: int, hidden: int = 32, device: str = "cpu") -> float:
    """Test MSE of one model trained on the adding problem (Adam, lr 0.01, clipping at 1, batch 32)."""
    tr.manual_seed(seed)
    inputs, targets = tr.data.adding_problem(steps * 32 + 1000, length, seed=seed)  # fresh examples every step
    model = Regressor(cell, 2, hidden, 1).to(device)
    optimizer = tr.optim.Adam(model.parameters(), lr=0.01)
    for step in range(steps):
        batch = slice(step * 32, (step + 1) * 32)
        loss = F.mse_loss(model(tr.tensor(inputs[batch], device=device)).squeeze(-1),
                          tr.tensor(targets[batch], device=device))
        optimizer.zero_grad()
        loss.backward()
        tr.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    with tr.no_grad():
        prediction = model(tr.tensor(inputs[-1000:], device=device)).squeeze(-1)
        return F.mse_loss(prediction, tr.tensor(targets[-1000:], device=device)).item()


def agreement_run(cell: str, distractors: int, seed: int, steps: int, hidden: int = 32, device: str = "cpu") -> float:
    """Test accuracy of one classifier of the verb's number (Adam, lr 0.005, clipping at 1)."""
    tr.manual_seed(seed)
    sentences, labels = tr.data.agreement_task(2000, distractors, seed=seed)
    vocabulary = tr.data.Vocabulary.from_text([" ".join(s) for s in sentences], level="word")
    ids = numpy.array([vocabulary.encode(s) for s in sentences])  # all of one length here
    split = 1500
    model = Regressor(cell, 0, hidden, 2, vocabulary=len(vocabulary)).to(device)
    optimizer = tr.optim.Adam(model.parameters(), lr=0.005)
    rng = numpy.random.default_rng(seed)
    for _ in range(steps):
        batch = rng.integers(0, split, 32)
        loss = F.cross_entropy(model(tr.tensor(ids[batch], device=device)), tr.tensor(labels[batch], device=device))
        optimizer.zero_grad()
        loss.backward()
        tr.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    with tr.no_grad():
        predicted = model(tr.tensor(ids[split:], device=device)).argmax(-1).numpy()
    return float((predicted == labels[split:]).mean())


def run_all(jobs: list[tuple], workers: int) -> list[float]:
    """Each job is (function name, cell, size, seed, steps, device); results in the same order."""
    functions = {"adding": adding_run, "agreement": agreement_run}
    if workers <= 1:
        return [functions[name](*rest) for name, *rest in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(functions[name], *rest) for name, *rest in jobs]
        return [future.result() for future in futures]


def lesson(task: str, sizes: list[int], seeds: int, steps: int, device: str = "cpu", workers: int = 2,
           cells: tuple[str, ...] = tuple(CELLS)) -> dict[str, numpy.ndarray]:
    """{cell: results (seeds × sizes)}: test MSE by length T for ``task="adding"``, test accuracy by
    distractor phrases for ``task="agreement"``."""
    jobs = [(task, cell, size, seed, steps, 32, device) for cell in cells for seed in range(seeds) for size in sizes]
    results = iter(run_all(jobs, workers))
    return {cell: numpy.array([[next(results) for _ in sizes] for _ in range(seeds)]) for cell in cells}


def table(results: dict[str, numpy.ndarray], columns: list[str], fmt: str) -> None:
    for cell, values in results.items():
        for seed, row in enumerate(values):
            print(f"   {cell:9s} seed {seed}  " + "  ".join(f"{c}: {v:{fmt}}" for c, v in zip(columns, row)))
        mean = values.mean(axis=0)
        print(f"   {cell:9s} mean    " + "  ".join(
            f"{c}: {m:{fmt}} ({lo:{fmt}}–{hi:{fmt}})" for c, m, lo, hi in
            zip(columns, mean, values.min(axis=0), values.max(axis=0))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=ScriptHelp)
    parser.add_argument("--seeds", type=int, default=3, help="runs per cell and setting")
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 30, 50], help="adding-problem lengths T")
    parser.add_argument("--adding-steps", type=int, default=1200, help="training steps per adding run")
    parser.add_argument("--distances", type=int, nargs="+", default=[0, 2, 4, 6], help="distractor phrases")
    parser.add_argument("--agreement-steps", type=int, default=800, help="training steps per agreement run")
    parser.add_argument("--quick", action="store_true", help="a small run (for tests): 2 seeds, fewer steps")
    parser.add_argument("--workers", type=int, default=2, help="processes running at once")
    parser.add_argument("--out", default="long_range", help="prefix of the two figures")
    parser.add_argument("--device", default="cpu", type=device_argument)
    args = show_defaults(parser).parse_args()
    if args.quick:
        args.seeds, args.lengths, args.adding_steps = 2, [10], 30
        args.distances, args.agreement_steps = [0, 2], 20

    print(f"1. Adding problem: test MSE, {args.seeds} seeds, {args.adding_steps} Adam steps "
          f"(predicting the mean: {TRIVIAL_MSE:.3f}; solved: below {SOLVED_MSE})")
    adding = lesson("adding", args.lengths, args.seeds, args.adding_steps, args.device, args.workers)
    table(adding, [f"T={n}" for n in args.lengths], ".4f")
    longest = -1
    solved = {cell: int((values[:, longest] < SOLVED_MSE).sum()) for cell, values in adding.items()}
    print(f"   at T={args.lengths[longest]}, solved in: " + ", ".join(f"{c} {n} of {args.seeds}"
                                                                   for c, n in solved.items()))
    gated_win = all(solved[c] > args.seeds / 2 for c in ("LSTM", "GRU")) and solved["tanh RNN"] < args.seeds / 2
    print("   → " + ("as known: the gated cells carry the marked values across the sequence; the tanh RNN does not"
                     if gated_win else "this run does NOT show the gated cells ahead on the adding problem "
                                       "(too few steps or seeds?)"))
    if (adding["tanh RNN"][:, longest] > 0.1).any():
        print("   (a model stuck at the trivial answer lands anywhere from 0.16 to about 0.35, by how the rounding "
              "of this machine's BLAS steers its training: another machine prints other values in those cells, "
              "and the same machine the same ones; the verdict does not change)")
    print("   wrote", tr.plots.save_lines(args.lengths, adding, f"{args.out}_adding.png", "sequence length T",
                                        "test mean squared error", log_y=True,
                                        title="the adding problem", reference=(TRIVIAL_MSE, "predicting the mean")))

    print(f"2. Agreement: test accuracy by distractor phrases, {args.seeds} seeds, {args.agreement_steps} steps "
          "(chance 0.5)")
    agreement = lesson("agreement", args.distances, args.seeds, args.agreement_steps, args.device, args.workers)
    table(agreement, [f"d={d}" for d in args.distances], ".2f")
    for column, distance in enumerate(args.distances):
        means = ", ".join(f"{cell} {values[:, column].mean():.2f}" for cell, values in agreement.items())
        print(f"   d={distance}: mean accuracy {means}")
    last, rnn = {cell: values[:, -1] for cell, values in agreement.items()}, agreement["tanh RNN"][:, -1]
    ahead = {cell: int((last[cell] > rnn + 0.05).sum()) for cell in ("LSTM", "GRU")}
    print(f"   at d={args.distances[-1]}, ahead of the tanh RNN by over 0.05: " + ", ".join(
        f"{cell} in {n} of {args.seeds} seeds" for cell, n in ahead.items()))
    if all(values.mean() < 0.6 for values in last.values()):
        verdict = (f"at d={args.distances[-1]} every cell is near chance: {args.agreement_steps} steps do not learn "
                   "it; this run shows nothing about memory at that distance")
    elif all(n > args.seeds / 2 for n in ahead.values()):
        verdict = f"as known: at d={args.distances[-1]} both gated cells keep the subject's number better"
    else:
        behind = [cell for cell, n in ahead.items() if n <= args.seeds / 2]
        verdict = (f"this run does NOT show {' and '.join(behind)} ahead of the tanh RNN at d={args.distances[-1]}: "
                   "the differences are within the spread between seeds; the adding problem above separates "
                   "gated and tanh cells clearly")
    print("   → " + verdict)
    print("   wrote", tr.plots.save_lines(args.distances, agreement, f"{args.out}_agreement.png",
                                        "distractor phrases between subject and verb", "test accuracy",
                                        title="subject–verb agreement", reference=(0.5, "chance")))


if __name__ == "__main__":
    main()
