"""How long a drawing takes, from the graph to the rendered file, at each level and length.

    python benchmarks/drawing_speed.py [--rounds 3] [--format svg]

For each case it builds the unrolled graph once, then times, over several rounds (medians):
``to_dot`` (the layout, in Python) and the whole ``save`` to an SVG file (layout plus Graphviz's
``neato -n2`` drawing it), and reports the node count. Targets on a 2-core machine: op-level tanh
RNN at T=50 under 2 s; op-level LSTM at T=50 under 5 s; cell-level LSTM at T=500 under 5 s;
step-level at T=1000 under 10 s; time growing linearly with T (see the T=10, 50, 200 rows).
"""

from __future__ import annotations

import argparse
import pathlib
import re
import statistics
import tempfile
import time

import tinygrad_rnn as tr

CASES = [  # (cell, level, steps)
    ("rnn", "op", 10), ("rnn", "op", 50), ("rnn", "op", 200),
    ("lstm", "op", 10), ("lstm", "op", 50), ("lstm", "op", 200),
    ("lstm", "cell", 10), ("lstm", "cell", 50), ("lstm", "cell", 200), ("lstm", "cell", 500),
    ("lstm", "step", 1000),
]


def last_step_loss(cell: str, steps: int):
    tr.manual_seed(0)
    layer = {"rnn": tr.nn.RNN, "lstm": tr.nn.LSTM, "gru": tr.nn.GRU}[cell](8, 16)
    x = tr.randn(steps, 1, 8)
    x.name = "x"
    output, _ = layer(x)
    loss = output[-1].sum()
    loss.name = "J"
    return loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--format", default="svg", choices=["svg", "png", "pdf"])
    parser.add_argument("--longest", type=int, default=1000, help="skip the cases with more steps")
    args = parser.parse_args()
    if not tr.viz.dot_available():
        raise SystemExit("Graphviz is not installed: sudo apt-get install graphviz")
    print(f"Drawing an unrolled layer (8 inputs, 16 units), loss on the last step; median of {args.rounds} rounds")
    print(f"| cell | level | T | nodes | to_dot s | save to .{args.format} s | s per step |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / f"figure.{args.format}"
        for cell, level, steps in [case for case in CASES if case[2] <= args.longest]:
            loss = last_step_loss(cell, steps)
            layout_times, save_times = [], []
            for _ in range(args.rounds):
                start = time.perf_counter()
                text = tr.viz.to_dot(loss, level=level, slide=False)  # every step (a slide leaves the middle out)
                layout_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                tr.viz.save(loss, path=path, level=level, timeout=600, slide=False)
                save_times.append(time.perf_counter() - start)
            nodes = len(re.findall(r"^\s*n\d+ \[label=", text, re.MULTILINE))
            total = statistics.median(save_times)
            print(f"| {cell} | {level} | {steps} | {nodes:,} | {statistics.median(layout_times):.3f} | "
                  f"{total:.3f} | {total / steps * 1000:.2f} ms |", flush=True)


if __name__ == "__main__":
    main()
