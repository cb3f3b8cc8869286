"""How long to_dot takes for an LSTM unrolled over many steps, at each drawing level.

    python benchmarks/drawing_speed.py [--steps 200] [--rounds 5]

Reports the median of several runs of to_dot (DOT text only; no `dot` program involved) and the
number of nodes drawn. Requirement: under 2 s for 200 steps at op level on one core.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

import tinygrad_rnn as tr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tr.manual_seed(0)
    lstm = tr.nn.LSTM(8, 16)
    output, _ = lstm(tr.randn(args.steps, 1, 8))
    loss = output.sum()
    print(f"to_dot of an LSTM unrolled over {args.steps} steps, median of {args.rounds} runs")
    for level in ("op", "cell", "step"):
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            text = tr.viz.to_dot(loss, level=level)
            times.append(time.perf_counter() - start)
        nodes = len(re.findall(r"^\s*n\d+ \[label=", text, re.MULTILINE))  # nodes, not labelled edges
        print(f"  level={level:<5} {statistics.median(times):7.3f} s   {nodes:6d} nodes")
    start = time.perf_counter()
    tr.viz.to_dot(loss, level="cell", show_grads=True)
    print(f"  level=cell with show_grads: {time.perf_counter() - start:.3f} s (one run, includes the gradients)")


if __name__ == "__main__":
    main()
