"""Per-op overhead of recording and walking the graph, for small arrays.

A chain of elementwise ops on a small array is timed four ways, interleaved, and the median of many
rounds is reported per op:

* numpy      – the same arithmetic on plain NumPy arrays (the floor: no graph at all)
* no_grad    – tinygrad_rnn ops that record nothing
* forward    – tinygrad_rnn ops recording the graph
* fwd+bwd    – recording, then backward through the whole chain
* torch      – the same chain recorded by PyTorch eager (if installed), dropped (forward) and
  differentiated (fwd+bwd), in the same process, interleaved with the others: the yardstick for the
  cost of a recorded op, and of its forward alone (where most of the gap to it lies)

Overhead per op = (fwd+bwd time − the NumPy time of forward and backward arithmetic) / ops.

    python benchmarks/per_op_overhead.py [--ops 1000] [--rounds 15] [--size 16] [--cpu-time]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy

import tinygrad_rnn as tr


def chain_numpy(x: numpy.ndarray, c: numpy.ndarray, ops: int) -> None:
    """Forward y ← tanh(y·c + y), then the hand-derived backward of the same chain."""
    values = [x]
    y = x
    for _ in range(ops // 3):
        y = numpy.tanh(y * c + y)
        values.append(y)
    grad = numpy.ones_like(y)
    for i in range(len(values) - 1, 0, -1):
        grad = grad * (1 - values[i] * values[i])  # tanh
        grad = grad * c + grad  # through y·c + y
    return None


def chain_tensor(x: tr.Tensor, c: tr.Tensor, ops: int, backward: bool) -> None:
    y = x
    for _ in range(ops // 3):
        y = (y * c + y).tanh()
    if backward:
        y.sum().backward()


def chain_torch(torch, x, c, ops: int, backward: bool) -> None:
    y = x
    for _ in range(ops // 3):
        y = (y * c + y).tanh()
    if backward:
        y.sum().backward()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=999)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--size", type=int, default=16)
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it is installed")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time by the thread's CPU time, for a machine others are using")
    args = parser.parse_args()

    rng = numpy.random.default_rng(0)
    x_np, c_np = rng.standard_normal(args.size).astype("float32"), rng.uniform(0.1, 0.5, args.size).astype("float32")
    x, c = tr.tensor(x_np, requires_grad=True), tr.tensor(c_np)

    def no_grad_run():
        with tr.no_grad():
            chain_tensor(x, c, args.ops, backward=False)

    runs = {
        "numpy fwd+bwd": lambda: chain_numpy(x_np, c_np, args.ops),
        "no_grad forward": no_grad_run,
        "recorded forward": lambda: chain_tensor(x, c, args.ops, backward=False),
        "recorded fwd+bwd": lambda: chain_tensor(x, c, args.ops, backward=True),
    }
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None and not args.no_torch:
        torch.set_num_threads(1)
        x_torch = torch.tensor(x_np, requires_grad=True)
        c_torch = torch.tensor(c_np)
        runs["torch forward"] = lambda: chain_torch(torch, x_torch, c_torch, args.ops, backward=False)
        runs["torch fwd+bwd"] = lambda: chain_torch(torch, x_torch, c_torch, args.ops, backward=True)
    clock = time.thread_time if args.cpu_time else time.perf_counter
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):  # interleaved, so drifts in machine speed hit every variant alike
        for name, run in runs.items():
            start = clock()
            run()
            times[name].append(clock() - start)

    ops = args.ops // 3 * 3
    medians = {name: statistics.median(values) for name, values in times.items()}
    clock_name = ", thread CPU time" if args.cpu_time else ""
    print(f"per-op timings: {ops} ops on float32 arrays of {args.size} elements, "
          f"median of {args.rounds} interleaved rounds{clock_name} ({platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, NumPy {numpy.__version__})")
    for name, seconds in medians.items():
        print(f"  {name:<18} {seconds / ops * 1e6:8.2f} µs/op   ({seconds / medians['numpy fwd+bwd']:.1f}× numpy)")
    overhead = (medians["recorded fwd+bwd"] - medians["numpy fwd+bwd"]) / ops * 1e6
    print(f"  graph overhead (recorded fwd+bwd − numpy fwd+bwd): {overhead:.2f} µs per op")
    if "torch fwd+bwd" in medians:
        ratio = medians["recorded fwd+bwd"] / medians["torch fwd+bwd"]
        print(f"  a recorded op (fwd+bwd) against PyTorch eager's: {ratio:.2f}×")
        forward_ratio = medians["recorded forward"] / medians["torch forward"]
        print(f"  its forward (recording) against PyTorch eager's: {forward_ratio:.2f}×")


if __name__ == "__main__":
    main()
