"""Before/after: the per-op cost of two copies of the package in one process, interleaved, with
PyTorch eager beside them — the copy under test is ``tinygrad_rnn``, the other a copy of an earlier
checkout renamed (its imports are relative), e.g.::

    cp -r ../main/tinygrad_rnn /tmp/old/tinygrad_rnn_main
    PYTHONPATH=/tmp/old:. python benchmarks/per_op_before_after.py tinygrad_rnn_main [--cpu-time]

(``PYTHONPATH`` names the checkout too: run from ``benchmarks/``, ``import tinygrad_rnn`` would find
the installed package.) The order of the variants alternates from one round to the next, so that
neither copy always runs right after the other; ``--cpu-time`` times by the thread's CPU time, for a
machine others are using.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time

import numpy
import torch


def chain(x, c, links: int, backward: bool = True) -> None:
    y = x
    for _ in range(links):
        y = (y * c + y).tanh()
    if backward:
        y.sum().backward()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before", help="the package name of the earlier copy")
    parser.add_argument("--ops", type=int, default=999)
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--cpu-time", action="store_true", help="time by the thread's CPU time")
    args = parser.parse_args()
    clock = time.thread_time if args.cpu_time else time.perf_counter
    torch.set_num_threads(1)
    rng = numpy.random.default_rng(0)
    x_np, c_np = rng.standard_normal(16).astype("float32"), rng.uniform(0.1, 0.5, 16).astype("float32")
    runs = {}
    for label, name in (("before", args.before), ("after", "tinygrad_rnn")):
        tr = importlib.import_module(name)
        x, c = tr.tensor(x_np, requires_grad=True), tr.tensor(c_np)
        runs[label] = (lambda x=x, c=c: chain(x, c, args.ops // 3))
    x_torch, c_torch = torch.tensor(x_np, requires_grad=True), torch.tensor(c_np)
    runs["torch"] = lambda: chain(x_torch, c_torch, args.ops // 3)
    times: dict[str, list[float]] = {name: [] for name in runs}
    order = list(runs)
    for _ in range(args.rounds):
        for name in order:
            start = clock()
            runs[name]()
            times[name].append(clock() - start)
        order.reverse()
    ops = args.ops // 3 * 3
    medians = {name: statistics.median(t) / ops * 1e6 for name, t in times.items()}
    before, after = medians["before"] / medians["torch"], medians["after"] / medians["torch"]
    pairs = statistics.median(a / b for a, b in zip(times["after"], times["before"]))
    print("  ".join(f"{name} {m:.2f} µs/op" for name, m in medians.items()),
          f"| before {before:.2f}× torch, after {after:.2f}× | after ÷ before, median of pairs {pairs:.3f}")


if __name__ == "__main__":
    main()
