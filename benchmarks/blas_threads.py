"""BLAS threads against matrix size: one thread or OpenBLAS's default, on a quiet machine and
beside one busy process — the table the library's thread policy (tinygrad_rnn.fast.threads) is chosen from.

A training step of an LSTM language model (forward + backward + SGD, float32, T steps) at each
batch size and hidden size, run three ways, interleaved round by round in this process, median of
the rounds: BLAS at its default thread count ("default", ``set_blas_threads(None)``), on one
thread for the whole step ("1 thread"), and with the library's policy ("auto", what users get).
Then the same beside a busy process: a second Python process spinning on one core, as a video
call or a compile does on a lecturer's laptop. The hand-written NumPy step
(benchmarks/numpy_baseline.py) is timed at the default and on one thread.

    python benchmarks/blas_threads.py                 # the grid, quiet and busy
    python benchmarks/blas_threads.py --write-docs    # and update the table in docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np
from numpy_baseline import init_params, train_step
from training_step import VOCAB, measure, ours_step, write_docs

import tinygrad_rnn as tr

BATCHES, HIDDENS = (1, 8, 32, 64), (32, 128, 512, 1024)


def numpy_step(batch: int, steps: int, hidden: int):
    params = init_params("lstm", VOCAB, 64, hidden, 0)
    rng = np.random.default_rng(0)
    ids, targets = rng.integers(0, VOCAB, (batch, steps)), rng.integers(0, VOCAB, (batch, steps))
    return lambda: train_step("lstm", params, ids, targets)


def with_threads(run, threads):
    """``run`` with the library's policy set to ``threads`` ("auto", or a count; None: BLAS's default)."""
    def step():
        tr.set_blas_threads(threads)
        try:
            run()
        finally:
            tr.set_blas_threads("auto")
    return step


def grid(steps: int, rounds: int) -> dict:
    results = {}
    for batch in BATCHES:
        for hidden in HIDDENS:
            ours, hand = ours_step("lstm", batch, steps, hidden, "cpu"), numpy_step(batch, steps, hidden)
            runs = {"default": with_threads(ours, None), "1 thread": with_threads(ours, 1),
                    "auto": with_threads(ours, "auto"), "numpy default": with_threads(hand, None),
                    "numpy 1 thread": with_threads(hand, 1)}
            results[(batch, hidden)] = measure(runs, rounds)
            print(batch, hidden, {k: f"{v * 1e3:.2f}" for k, v in results[(batch, hidden)].items()}, flush=True)
    return results


def busy_neighbour() -> subprocess.Popen:
    """A second process that keeps one core busy until it is stopped."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=16, help="time steps of each training step")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write-docs", action="store_true", help="update the table in docs/benchmarks.md")
    args = parser.parse_args()
    quiet = grid(args.steps, args.rounds)
    neighbour = busy_neighbour()
    try:
        time.sleep(2 * tr.fast.threads.CHECK_EVERY)  # "auto" looks once a second: let it see the neighbour
        busy = grid(args.steps, args.rounds)
    finally:
        neighbour.kill()
    rows = [f"LSTM training step (forward + backward + SGD), float32, T={args.steps}, ms, median of {args.rounds} "
            f"interleaved rounds; {os.cpu_count()} cores, default allocator; BLAS's default thread count / one "
            "thread / the library's policy (auto); quiet, and beside one process spinning on a core:", "",
            "| B | H | quiet: default / 1 thread / auto | busy: default / 1 thread / auto | busy auto ÷ quiet auto "
            "| busy default ÷ quiet default | NumPy quiet default / 1 thread | NumPy busy default / 1 thread |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for (batch, hidden), q in quiet.items():
        b = busy[(batch, hidden)]
        rows.append(f"| {batch} | {hidden} | {q['default'] * 1e3:.2f} / {q['1 thread'] * 1e3:.2f} / "
                    f"{q['auto'] * 1e3:.2f} | {b['default'] * 1e3:.2f} / {b['1 thread'] * 1e3:.2f} / "
                    f"{b['auto'] * 1e3:.2f} | {b['auto'] / q['auto']:.2f} | {b['default'] / q['default']:.2f} | "
                    f"{q['numpy default'] * 1e3:.2f} / "
                    f"{q['numpy 1 thread'] * 1e3:.2f} | {b['numpy default'] * 1e3:.2f} / "
                    f"{b['numpy 1 thread'] * 1e3:.2f} |")
    print("\n".join(rows))
    if args.write_docs:
        write_docs(rows, "BLAS threads table")


if __name__ == "__main__":
    main()
