"""Training-step speed of character language models: tinygrad_rnn against its baselines.

One training step = forward + backward + SGD update of embedding → tanh RNN / LSTM / GRU →
linear → cross-entropy, float32. Every variant runs in this process, interleaved round by round,
and the median of the rounds is reported:

* tinygrad_rnn   — tr.models.LanguageModel, as a user builds it (fused=True: one graph node per layer)
* primitive      — the same with fused=False: the primitive cells, a dozen recorded ops per step
* numpy          — the hand-derived BPTT of benchmarks/numpy_baseline.py (no graph at all)
* torch fused    — torch.nn.RNN/LSTM/GRU (when PyTorch is installed)
* torch eager    — the same cell written from primitive ops in PyTorch, looped over time

    python benchmarks/training_step.py                  # the three sizes, all models
    python benchmarks/training_step.py --memory         # also peak memory through T=1000
    python benchmarks/training_step.py --write-docs     # and update the table in docs/benchmarks.md
    python benchmarks/training_step.py --device gpu     # tinygrad_rnn on the GPU (synchronised), PyTorch
                                                        # on CUDA when it has it; plus the GPU-size LSTM
                                                        # (B=64, T=128, H=1024) against the CPU path
    python benchmarks/training_step.py --steady-allocator    # raise glibc's memory thresholds first (labelled)
    python benchmarks/training_step.py --per-step       # batch 1 at T=1, 25, 100: fixed cost and cost per step
    python benchmarks/training_step.py --breakdown      # where a batch-1 step's fixed cost goes (T=1), part by part
    python benchmarks/training_step.py --torch-threading   # PyTorch with its default threading and with
                                                           # passive waiting (each in its own process)
    python benchmarks/training_step.py --stacked        # an LSTM tagger with 2 layers, 2 directions, both,
                                                        # at B=32, T=64, H=128, against its hand-written BPTT

Each timed step follows an untimed step of the same variant. The headline is taken with glibc's
allocator as every user's process has it; ``--steady-allocator`` first tells glibc to keep freed
memory (steady_allocator), so that no variant's time depends on what the one before it freed —
figures taken so are labelled with it (the table's first line says which allocator it used).

Peak memory is measured with tracemalloc, which sees NumPy's (and so tinygrad_rnn's) arrays; on
the GPU, with CuPy's memory pool (the bytes it holds after one step, having started empty).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc

# PyTorch's OpenMP threads busy-wait for a while after each op by default, taking the cores from
# whatever runs next in this process — here the other variants, which then measured up to 2×
# slower. Passive waiting lets each variant have the machine to itself; the headline table uses
# it, and --torch-threading measures both. (Set before torch loads.)
if "--torch-default-threading" not in sys.argv:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import numpy_baseline  # noqa: E402
from numpy_baseline import init_params, init_stacked_lstm, stacked_lstm_loss_and_grads, train_step  # noqa: E402

import tinygrad_rnn as tr  # noqa: E402

clock = time.perf_counter  # what each step is timed by (--cpu-time: this thread's CPU time)
SIZES = {"small": (1, 25, 100), "medium": (32, 64, 128), "large": (32, 64, 512)}  # (B, T, H)
GPU_SIZE = (64, 128, 1024)  # the GPU target: an LSTM at least 10× faster there than on the CPU
VOCAB, EMBED = 65, 64


def ours_step(cell, batch, steps, hidden, device, seed=0, fused=True):
    tr.manual_seed(seed)
    model = tr.models.LanguageModel(VOCAB, EMBED, hidden, cell=cell, device=device, fused=fused)
    optimizer = tr.optim.SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(seed)
    ids = tr.tensor(rng.integers(0, VOCAB, (batch, steps)), device=device)
    targets = tr.tensor(rng.integers(0, VOCAB, (batch, steps)), device=device).reshape(-1)
    synchronize = tr.get_device("gpu").xp.cuda.Device().synchronize if tr.get_device(device) == "gpu" else lambda: None

    def step():
        loss = language_model_loss(model, ids, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        synchronize()  # time the work, not the launches

    return step


def language_model_loss(model, ids, targets):
    """The model's mean cross-entropy as training computes it: ``model.loss`` (the head and loss one node,
    fast/head.py, with ``fused=True``); a library from before ``loss`` existed: the model, then the loss."""
    if hasattr(model, "loss"):
        return model.loss(ids, targets)[0]
    logits, _ = model(ids)
    return tr.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))


class Tagger(tr.nn.Module):
    """embedding → LSTM (``num_layers``, two directions if ``bidirectional``) → linear at every
    position: the stacked model of --stacked, as a user builds it (fused=True)."""

    def __init__(self, vocab, embed, hidden, num_layers, bidirectional, dtype=None, fused=True):
        super().__init__()
        self.embedding = tr.nn.Embedding(vocab, embed, dtype=dtype)
        self.rnn = tr.nn.LSTM(embed, hidden, num_layers=num_layers, bidirectional=bidirectional, batch_first=True,
                              dtype=dtype, fused=fused)
        self.head = tr.nn.Linear(hidden * (2 if bidirectional else 1), vocab, dtype=dtype)

    def forward(self, ids):
        output, _ = self.rnn(self.embedding(ids))
        return self.head(output)


def stacked_steps(batch, steps, hidden, layers, bidirectional):
    """(ours, hand-written) training steps of the stacked tagger, on the same data."""
    tr.manual_seed(0)
    model = Tagger(VOCAB, EMBED, hidden, layers, bidirectional)
    optimizer = tr.optim.SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    ids_array, targets_array = rng.integers(0, VOCAB, (batch, steps)), rng.integers(0, VOCAB, (batch, steps))
    ids, targets = tr.tensor(ids_array), tr.tensor(targets_array).reshape(-1)
    params = init_stacked_lstm(VOCAB, EMBED, hidden, layers, bidirectional)

    def ours():
        loss = tr.nn.functional.cross_entropy(model(ids).reshape(-1, VOCAB), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def hand():
        _, grads = stacked_lstm_loss_and_grads(params, ids_array, targets_array, layers, bidirectional)
        for name, gradient in grads.items():
            params[name] -= 0.1 * gradient

    return ours, hand


def stacked_rows(rounds: int) -> list[str]:
    """The 128-unit size with 2 layers, 2 directions and both: ours (fused=True) against the hand-written
    BPTT of the same stack (numpy_baseline.stacked_lstm_loss_and_grads), interleaved."""
    batch, steps, hidden = SIZES["medium"]
    rows = [f"LSTM tagger at B={batch}, T={steps}, H={hidden} (median of {rounds} interleaved rounds):", "",
            "| layers, directions | ms | NumPy ms | × NumPy |", "| --- | --- | --- | --- |"]
    print(rows[0])
    for layers, bidirectional in ((1, False), (2, False), (1, True), (2, True)):
        ours, hand = stacked_steps(batch, steps, hidden, layers, bidirectional)
        t = measure({"ours": ours, "numpy": hand}, rounds)
        row = (f"| {layers}, {2 if bidirectional else 1} | {t['ours'] * 1e3:.1f} | {t['numpy'] * 1e3:.1f} | "
               f"{t['ours'] / t['numpy']:.2f} |")
        rows.append(row)
        print(row, flush=True)
    return rows


def numpy_step(cell, batch, steps, hidden, seed=0):
    params, ids, targets = numpy_step_inputs(cell, batch, steps, hidden, seed)
    return lambda: train_step(cell, params, ids, targets)


def numpy_step_inputs(cell, batch, steps, hidden, seed=0):
    """The hand-written step's parameters, ids and targets (``numpy_baseline.init_params``, seeded)."""
    params = init_params(cell, VOCAB, EMBED, hidden, seed)
    rng = np.random.default_rng(seed)
    return params, rng.integers(0, VOCAB, (batch, steps)), rng.integers(0, VOCAB, (batch, steps))


def torch_device(device: str) -> str | None:
    """Where PyTorch runs beside tinygrad_rnn: CUDA when we are on the GPU and it has CUDA, else the
    CPU; None without PyTorch."""
    try:
        import torch
    except ImportError:
        return None
    return "cuda" if tr.get_device(device) == "gpu" and torch.cuda.is_available() else "cpu"


def torch_steps(cell, batch, steps, hidden, device="cpu", seed=0):
    """(fused, eager cell loop) step functions on ``device`` ("cpu" or "cuda"), synchronised."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    rng = np.random.default_rng(seed)
    ids = torch.tensor(rng.integers(0, VOCAB, (batch, steps)), device=device)
    targets = torch.tensor(rng.integers(0, VOCAB, (batch, steps)), device=device).reshape(-1)
    embedding, head = torch.nn.Embedding(VOCAB, EMBED), torch.nn.Linear(hidden, VOCAB)
    layer = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](EMBED, hidden, batch_first=True)
    embedding, head, layer = embedding.to(device), head.to(device), layer.to(device)
    synchronize = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    parameters = list(embedding.parameters()) + list(layer.parameters()) + list(head.parameters())
    optimizer = torch.optim.SGD(parameters, lr=0.1)
    linear = torch.nn.functional.linear
    W_ih, W_hh, b_ih, b_hh = layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0

    def eager_layer(x):
        h = torch.zeros(batch, hidden, device=device)
        c = torch.zeros(batch, hidden, device=device)
        outputs = []
        projected = linear(x, W_ih, b_ih)  # the same ops as tinygrad_rnn's layers: linear = x Wᵀ + b
        for t in range(steps):
            if cell == "rnn":
                h = torch.tanh(projected[:, t] + linear(h, W_hh, b_hh))
            elif cell == "lstm":
                i, f, g, o = (projected[:, t] + linear(h, W_hh, b_hh)).chunk(4, 1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            else:
                x_r, x_z, x_n = projected[:, t].chunk(3, 1)
                h_r, h_z, h_n = linear(h, W_hh, b_hh).chunk(3, 1)
                r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
                n = torch.tanh(x_n + r * h_n)
                h = torch.lerp(n, h, z)  # = (1 − z) n + z h, the one op tinygrad_rnn uses
            outputs.append(h)
        return torch.stack(outputs, 1)

    def make(run_layer):
        def step():
            logits = head(run_layer(embedding(ids)))
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            synchronize()

        return step

    return make(lambda x: layer(x)[0]), make(eager_layer)


def steady_allocator() -> str:
    """Keep freed memory in the process (glibc's mallopt), and say what was done.

    By default glibc gives the memory freed at the end of a training step back to the system
    and the next step's large arrays fault their pages in again. How much of that a variant pays
    depends on what ran before it, not on the variant: the hand-derived GRU step at the medium
    size took 20 ms after itself and 12 ms after PyTorch (whose frees had raised glibc's
    thresholds). With fixed thresholds every variant is timed doing its own work; the ratios are
    then steadier and no kinder to tinygrad_rnn (see docs/benchmarks.md for both)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return "default allocator"
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    if libc.mallopt(m_mmap_threshold, 32 * 2**20) and libc.mallopt(m_trim_threshold, 2**30):
        return "glibc: mmap threshold 32 MiB, trim threshold 1 GiB"
    return "default allocator"


def use_cpu_time() -> None:
    """Time every step by this thread's CPU time (time.thread_time) instead of the wall clock, with
    BLAS on this one thread (its helper threads' time would not be counted). On a machine shared
    with busy processes the wall clock counts the time they held the core, and more of it the
    longer a step is (a step of 10 ms is interrupted where one of 0.3 ms is not); CPU time leaves
    that out — not the slowdown of sharing the caches. Rows taken so say so (``cpu time``)."""
    global clock
    clock = time.thread_time
    tr.set_blas_threads(1)


def measure(runs: dict, rounds: int) -> dict:
    """Median seconds per call of each run, the runs interleaved round by round. Each timed call
    follows an untimed call of the same run, as a step follows a step in a training loop: right
    after another variant, a step pays for the memory that variant freed (the C allocator hands
    it back to the system, and the next large arrays fault their pages in again; see
    steady_allocator)."""
    for run in runs.values():  # warm up
        run()
    times = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            run()
            start = clock()
            run()
            times[name].append(clock() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def peak_memory(run, device: str = "cpu") -> float:
    """Peak bytes allocated (tracemalloc) during one call, minus what was allocated before it. On
    the GPU: the bytes CuPy's memory pool holds after the call (it keeps every block it needed,
    so this is the peak), having been emptied before. Both start with nothing reused: the hand-written
    version's preallocated buffers are emptied first, so that the peak counts every array the step needs."""
    numpy_baseline.clear_buffers()
    gc.collect()
    if tr.get_device(device) == "gpu":
        pool = tr.get_device("gpu").xp.get_default_memory_pool()
        pool.free_all_blocks()
        run()
        return pool.total_bytes()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    run()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--cells", nargs="+", choices=["rnn", "lstm", "gru"], default=["rnn", "lstm", "gru"])
    parser.add_argument("--rounds", type=int, default=21)  # fewer spread about twice as wide here
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--memory", action="store_true", help="peak memory of backpropagation through T=1000")
    parser.add_argument("--write-docs", action="store_true", help="update the table in docs/benchmarks.md")
    parser.add_argument("--steady-allocator", action="store_true",
                        help="raise glibc's mmap and trim thresholds first (not what users get; labelled)")
    parser.add_argument("--per-step", action="store_true",
                        help="batch 1 at T=1, 25, 100: the fixed cost and the cost per time step, ours and NumPy's")
    parser.add_argument("--breakdown", action="store_true",
                        help="batch 1 at T=1: each part of a step timed inside it (forward by layer, each op's "
                             "backward, ordering, .grad deliveries, the walk's own Python, SGD), beside the "
                             "hand-written step")
    parser.add_argument("--torch-threading", action="store_true",
                        help="PyTorch's layers with default threading and with passive waiting (two processes)")
    parser.add_argument("--stacked", action="store_true",
                        help="2 layers and bidirectional at the 128-unit size, against a hand-written version")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time by this thread's CPU time, BLAS on one thread (on a shared machine: leaves out "
                             "the time other processes held the core; labelled)")
    parser.add_argument("--torch-default-threading", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one process of --torch-threading
    args = parser.parse_args()
    if args.cpu_time:
        use_cpu_time()
    allocator = steady_allocator() if args.steady_allocator else "default allocator (what users get)"
    if args.json:
        print(json.dumps(torch_and_ours(args.sizes, args.cells, args.rounds)))
        return
    if args.stacked:
        rows = stacked_rows(args.rounds)
        if args.write_docs:
            write_docs(rows, "stacked table")
        return
    if args.breakdown:
        rows = breakdown_rows(args.cells, max(args.rounds, 201))
        if args.write_docs:
            write_docs(rows, "fixed-cost breakdown")
        return
    if args.per_step or args.torch_threading:
        rows = per_step_rows(args.cells, args.rounds) if args.per_step else []
        if args.torch_threading:
            rows += threading_rows(args.sizes, args.cells, args.rounds)
        if args.write_docs:
            write_docs(rows, "per-step and threading tables")
        return

    on_torch = torch_device(args.device)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, " \
              f"NumPy {np.__version__}, device {args.device}" + (f", PyTorch on {on_torch}" if on_torch else "") \
              + f"; {allocator}" + ("; CPU time of the thread, BLAS on one thread" if args.cpu_time else "")
    rows = [f"Training step (forward + backward + SGD), float32, V={VOCAB}, E={EMBED}; median of {args.rounds} "
            f"interleaved rounds; {machine}.", "",
            "| model | B, T, H | tinygrad_rnn ms | tokens/s | × NumPy | NumPy ms | primitive cells × NumPy | "
            "× torch fused | × torch eager |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    print(rows[0])
    for size in args.sizes:
        batch, steps, hidden = SIZES[size]
        for cell in args.cells:
            runs = {"ours": ours_step(cell, batch, steps, hidden, args.device)}
            runs["primitive"] = ours_step(cell, batch, steps, hidden, args.device, fused=False)
            runs["numpy"] = numpy_step(cell, batch, steps, hidden)
            if on_torch:
                runs["torch fused"], runs["torch eager"] = torch_steps(cell, batch, steps, hidden, on_torch)
            t = measure(runs, args.rounds)
            ratio = {name: t["ours"] / t[name] for name in t}
            row = (f"| {cell.upper() if cell != 'rnn' else 'tanh RNN'} | {batch}, {steps}, {hidden} | "
                   f"{t['ours'] * 1e3:.2f} | {batch * steps / t['ours']:,.0f} | {ratio['numpy']:.2f} | "
                   f"{t['numpy'] * 1e3:.2f} | {t['primitive'] / t['numpy']:.2f} | "
                   f"{ratio.get('torch fused', float('nan')):.2f} | "
                   f"{ratio.get('torch eager', float('nan')):.2f} |")
            rows.append(row)
            print(row, flush=True)
    if tr.get_device(args.device) == "gpu":
        rows += gpu_against_cpu(args.rounds, on_torch)
    if args.memory:
        rows += ["", f"Peak memory of one training step through T=1000 (B=32, H=128), {args.device}:", "",
                 "| model | tinygrad_rnn MB | NumPy MB | ratio |", "| --- | --- | --- | --- |"]
        for cell in args.cells:
            ours = peak_memory(ours_step(cell, 32, 1000, 128, args.device), args.device)
            baseline = peak_memory(numpy_step(cell, 32, 1000, 128))
            rows.append(f"| {cell} | {ours / 2**20:.0f} | {baseline / 2**20:.0f} | {ours / baseline:.2f} |")
            print(rows[-1], flush=True)
    if args.write_docs:
        write_docs(rows, "training-step table" + ("" if tr.get_device(args.device) == "cpu" else " (gpu)")
                   + (" (steady allocator)" if args.steady_allocator else ""))


def write_docs(rows: list[str], table: str) -> None:
    """Replace the rows between ``<!-- {table} -->`` and ``<!-- end of {table} -->`` in
    docs/benchmarks.md (appended if missing; each device has its own training-step table)."""
    path = pathlib.Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8")
    start, end = f"<!-- {table} -->", f"<!-- end of {table} -->"
    if start not in text:
        text += f"\n{start}\n{end}\n"
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    path.write_text(before + start + "\n" + "\n".join(rows) + "\n" + end + after, encoding="utf-8")
    print(f"updated {path}")


def per_step_rows(cells: list[str], rounds: int) -> list[str]:
    """Batch 1, H=100, at T = 1, 25 and 100: the line through the times at T=1 and T=100 gives the
    fixed cost of a training step (the intercept) and the cost of each time step (the slope)."""
    lengths, hidden = (1, 25, 100), 100
    timed_by = "; CPU time of the thread, BLAS on one thread" if clock is time.thread_time else ""
    rows = [f"Batch 1, H={hidden}, T = 1, 25, 100 (median of {rounds} interleaved rounds{timed_by}): a training step "
            "costs about fixed + T × per step.", "",
            "| model | ours T=1 / 25 / 100 ms | NumPy T=1 / 25 / 100 ms | ours fixed µs | ours µs per step | "
            "NumPy fixed µs | NumPy µs per step |", "| --- | --- | --- | --- | --- | --- | --- |"]
    print(rows[0])
    for cell in cells:
        times = {}
        for steps in lengths:
            runs = {"ours": ours_step(cell, 1, steps, hidden, "cpu"), "numpy": numpy_step(cell, 1, steps, hidden)}
            times[steps] = measure(runs, rounds)
        fits = {}
        for name in ("ours", "numpy"):
            slope = (times[100][name] - times[1][name]) / 99
            fits[name] = (times[1][name] - slope, slope)
        row = (f"| {cell} | " + " / ".join(f"{times[n]['ours'] * 1e3:.2f}" for n in lengths) + " | "
               + " / ".join(f"{times[n]['numpy'] * 1e3:.2f}" for n in lengths) + " | "
               + " | ".join(f"{fits[name][0] * 1e6:.0f} | {fits[name][1] * 1e6:.1f}" for name in ("ours", "numpy"))
               + " |")
        rows.append(row)
        print(row, flush=True)
    return rows


def breakdown_rows(cells: list[str], rounds: int, steps: int = 1, hidden: int = 100) -> list[str]:
    """Where a batch-1 training step's time goes, at T=1 (its fixed cost): each part timed inside
    the step, rounds interleaved with the hand-written step, medians. Each round runs the step twice.
    First as it is, each of its parts (forward layer by layer, zero_grad, backward, SGD) between two
    clock reads. Then with the engine's functions and the op classes' rules wrapped by a timer: inside
    backward, each op's backward rule, ordering the graph, the gradient table's sums (and the weights'
    products it multiplies out) and delivering ``.grad``. The rest of the first run's backward is the
    walk's own Python. A wrapped call costs more than the call (≈ 1–2 µs with the thread's CPU clock),
    so backward itself is read off the unwrapped run, and the share of the wrapper's cost that lands
    inside a part's own time, measured on a wrapped function that does nothing (``_wrapper_cost``), is
    taken off each of its calls. Two ``linear``s (projection and head) share one row. The hand-written
    step's parts follow (``hand_parts``)."""
    from tinygrad_rnn import engine

    timed: dict[str, float] = {}
    counted: dict[str, int] = {}  # the calls of each part (the wrapper's cost inside each is taken off)
    running: set[str] = set()  # the parts being timed now: a rule calling its base class's is timed once

    def timing(function, label):
        def wrapper(*args, **kwargs):
            key = label(args)
            if key in running:
                return function(*args, **kwargs)
            running.add(key)
            start = clock()
            try:
                return function(*args, **kwargs)
            finally:
                timed[key] = timed.get(key, 0.0) + clock() - start
                counted[key] = counted.get(key, 0) + 1
                running.discard(key)
        return wrapper

    table = engine.GRADIENT_TABLE
    # (owner, attribute) → (the function, its timed wrapper); the walk calls each op's backward rule itself:
    # the rule of every op class that defines one is wrapped
    patches = {(engine, "_accumulate_into_grad"): "backward: .grad deliveries",
               (engine, "ops_in_order"): "backward: ordering the graph",
               (table, "add"): "backward: the gradient table (sums, weight products)",
               (table, "pop"): "backward: the gradient table (sums, weight products)"}
    patches = {place: (getattr(*place), timing(getattr(*place), lambda args, part=part: part))
               for place, part in patches.items()}
    for kind in _op_classes():
        if "backward" in kind.__dict__:
            patches[kind, "backward"] = (kind.__dict__["backward"], timing(
                kind.__dict__["backward"], lambda args: f"backward: {args[0].name}'s rule"))

    def wrapped(on: bool) -> None:
        for (owner, attribute), (function, wrapper) in patches.items():
            setattr(owner, attribute, wrapper if on else function)

    timed_by = "; CPU time of the thread, BLAS on one thread" if clock is time.thread_time else ""
    rows = [f"Batch 1, T={steps}, H={hidden}: where a training step's time goes, µs (medians of {rounds} rounds, "
            f"each part timed inside the step; the hand-written step interleaved{timed_by}):", ""]
    inside_cost = _wrapper_cost(timing, timed, counted)
    try:
        for cell in cells:
            medians = _breakdown_of(cell, steps, hidden, rounds, timed, counted, inside_cost, wrapped)
            whole, hand = medians.pop("the whole step"), medians.pop("the hand-written step")
            rows += [f"**{cell}**: the whole step {whole:.0f} µs against the hand-written {hand:.0f} "
                     f"({whole / hand:.2f}×)", "", "| part | µs | % of the step |", "| --- | --- | --- |"]
            rows += [f"| {name} | {median:.1f} | {100 * median / whole:.0f} |" for name, median in medians.items()]
            rows.append("")
            print("\n".join(rows[-len(medians) - 6:]), flush=True)
    finally:
        wrapped(False)
    return rows[:-1]


def _op_classes() -> list[type]:
    """Every op class (Function and its subclasses, however deep), by a walk of the class tree."""
    from tinygrad_rnn.function import Function
    found, pending = [], [Function]
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return found


def _wrapper_cost(timing, timed: dict[str, float], counted: dict[str, int], calls: int = 20000) -> float:
    """Seconds of a wrapped call's own cost that land inside its part's time (a clock read's worth), measured
    on a function that does nothing, wrapped by ``timing`` as the parts are."""
    def nothing():
        return None

    probe = timing(nothing, lambda args: "probe")
    for _ in range(calls):
        probe()
    return timed.pop("probe") / counted.pop("probe")


def _breakdown_of(cell: str, steps: int, hidden: int, rounds: int, timed: dict[str, float], counted: dict[str, int],
                  inside_cost: float, wrapped) -> dict[str, float]:
    """Median µs of each part of one cell's step (see breakdown_rows; ``timed`` and ``counted``: what the wrapped
    functions measured during the step's backward, and how many calls each; ``inside_cost``: the wrapper's cost
    inside each call's time, taken off; ``wrapped(True)`` puts the wrappers in, ``wrapped(False)`` takes them out)."""
    tr.manual_seed(0)
    model = tr.models.LanguageModel(VOCAB, EMBED, hidden, cell=cell)
    optimizer = tr.optim.SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    ids = tr.tensor(rng.integers(0, VOCAB, (1, steps)))
    targets = tr.tensor(rng.integers(0, VOCAB, (1, steps))).reshape(-1)
    hand, hand_timed = hand_parts(cell, steps, hidden)
    parts = {"forward: embedding": lambda _: model.embedding(ids),
             "forward: recurrent layer": lambda x: model.rnn(x)[0]}
    if hasattr(model, "loss") and tr.models.language.HEAD_AND_LOSS is not None:  # one node: fast/head.py
        parts["head and loss (one node)"] = lambda x: tr.models.language.HEAD_AND_LOSS(x, model.head.weight,
                                                                                      model.head.bias, targets)
    else:
        parts.update({"forward: head": model.head, "loss: reshape": lambda x: x.reshape(-1, VOCAB),
                      "loss: cross_entropy": lambda x: tr.nn.functional.cross_entropy(x, targets)})

    def forward():
        value = None
        for part in parts.values():
            value = part(value)
        return value

    samples: dict[str, list[float]] = {}
    for round_number in range(rounds + 20):  # the first 20 warm up
        value, marks = None, {}
        for name, part in parts.items():
            start = clock()
            value = part(value)
            marks[name] = clock() - start
        hand_marks: dict[str, float] = {}
        for name, run in (("zero_grad", optimizer.zero_grad), ("backward", value.backward), ("SGD", optimizer.step),
                          ("the hand-written step", hand), *hand_timed.items()):
            start = clock()
            run()
            (hand_marks if name in hand_timed else marks)[name] = clock() - start
        hand_marks["hand-written: the rest (lookup, layer forward and backward, weight products, ∂x)"] = (
            marks["the hand-written step"] - sum(hand_marks.values()))
        timed.clear()
        counted.clear()
        loss = forward()  # the same step again, backward's parts timed by the wrappers
        optimizer.zero_grad()
        wrapped(True)
        try:
            loss.backward()
        finally:
            wrapped(False)
        optimizer.step()
        parts_inside = {name: seconds - counted[name] * inside_cost for name, seconds in timed.items()}
        marks.update(parts_inside)
        marks["backward: the walk's own Python"] = marks["backward"] - sum(parts_inside.values())
        marks["the whole step"] = sum(marks[name] for name in (*parts, "zero_grad", "backward", "SGD"))
        marks.update(hand_marks)
        if round_number >= 20:
            for name, seconds in marks.items():
                samples.setdefault(name, []).append(seconds)
    return {name: statistics.median(values) * 1e6 for name, values in samples.items()}


def hand_parts(cell: str, steps: int, hidden: int) -> tuple:
    """The hand-written step (``numpy_baseline.train_step``), and its parts to time right after it: its
    head and loss (forward and backward), its embedding gradient and its SGD update, each run again on
    the arrays the step just left in its buffers (the states h_1 … h_T, ∂J/∂x), a copy of the
    parameters for SGD. What is left of the step — the lookup, the layer's forward and backward, the
    weight products, ∂x — is its whole time less these."""
    params, ids, targets = numpy_step_inputs(cell, 1, steps, hidden)
    dtype, copies = params["head.weight"].dtype, {name: array.copy() for name, array in params.items()}
    _, grads = numpy_baseline.loss_and_grads(cell, params, ids, targets)

    def sgd():
        for name, gradient in grads.items():
            copies[name] -= 0.1 * gradient

    states = numpy_baseline.buffer("hs", (steps + 1, 1, hidden), dtype)  # what the step writes every time
    grad_inputs = numpy_baseline.buffer("d_x", (steps, EMBED), dtype)
    return (lambda: train_step(cell, params, ids, targets)), {
        "hand-written: head and loss, forward and backward": lambda: numpy_baseline.head_loss_and_grads(
            states[1:], params["head.weight"], params["head.bias"], targets),
        "hand-written: the embedding's gradient": lambda: numpy_baseline.embedding_gradient(
            ids, grad_inputs, params["embedding.weight"]),
        "hand-written: SGD": sgd}


def torch_and_ours(sizes: list[str], cells: list[str], rounds: int) -> dict:
    """Milliseconds of PyTorch's fused layer, its eager cell loop and tinygrad_rnn, interleaved in
    this process (one process of --torch-threading)."""
    results = {}
    for size in sizes:
        batch, steps, hidden = SIZES[size]
        for cell in cells:
            runs = {"ours": ours_step(cell, batch, steps, hidden, "cpu")}
            runs["torch fused"], runs["torch eager"] = torch_steps(cell, batch, steps, hidden, "cpu")
            results[f"{cell} {size}"] = {name: t * 1e3 for name, t in measure(runs, rounds).items()}
    return results


def threading_rows(sizes: list[str], cells: list[str], rounds: int) -> list[str]:
    """PyTorch's OpenMP threads with their default waiting (spinning after each op) and passively
    waiting, each in a fresh process, since the policy is fixed when PyTorch loads."""
    if torch_device("cpu") is None:
        return ["PyTorch is not installed: no threading table."]
    measured = {}
    for policy in ("default", "passive"):
        env = dict(os.environ)
        env.pop("OMP_WAIT_POLICY", None)
        command = [sys.executable, __file__, "--json", "--rounds", str(rounds), "--sizes", *sizes, "--cells", *cells]
        if policy == "passive":
            env["OMP_WAIT_POLICY"] = "PASSIVE"
        else:
            command.append("--torch-default-threading")
        output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
        measured[policy] = json.loads(output.strip().splitlines()[-1])
    rows = ["", f"PyTorch {__import__('torch').__version__} on the CPU with its default OpenMP threading and with "
            f"OMP_WAIT_POLICY=PASSIVE (the headline table's setting), each in its own process, interleaved with "
            f"tinygrad_rnn; ms, median of {rounds} rounds:", "",
            "| model | B, T, H | torch fused default / passive | torch eager default / passive | "
            "tinygrad_rnn beside default / passive |", "| --- | --- | --- | --- | --- |"]
    for key in measured["default"]:
        cell, size = key.split()
        d, p = measured["default"][key], measured["passive"][key]
        rows.append(f"| {cell} | {', '.join(map(str, SIZES[size]))} | {d['torch fused']:.2f} / {p['torch fused']:.2f} "
                    f"| {d['torch eager']:.2f} / {p['torch eager']:.2f} | {d['ours']:.2f} / {p['ours']:.2f} |")
        print(rows[-1], flush=True)
    return rows


def gpu_against_cpu(rounds: int, on_torch: str | None) -> list[str]:
    """The GPU target: the LSTM at (B=64, T=128, H=1024) on the GPU against the same on the CPU
    (at least 10× faster), and against PyTorch's cuDNN LSTM when PyTorch has CUDA."""
    batch, steps, hidden = GPU_SIZE
    runs = {device: ours_step("lstm", batch, steps, hidden, device) for device in ("gpu", "cpu")}
    if on_torch == "cuda":
        runs["cudnn"] = torch_steps("lstm", batch, steps, hidden, "cuda")[0]
    t = measure(runs, max(3, rounds // 4))  # the CPU path takes seconds a step here
    rows = ["", f"LSTM at B={batch}, T={steps}, H={hidden}: tinygrad_rnn on the GPU against its CPU path"
            + (" and PyTorch's cuDNN LSTM" if "cudnn" in t else "") + ":", "",
            "| tinygrad_rnn GPU ms | CPU ms | CPU / GPU | PyTorch cuDNN ms | ours / cuDNN |",
            "| --- | --- | --- | --- | --- |",
            f"| {t['gpu'] * 1e3:.1f} | {t['cpu'] * 1e3:.1f} | {t['cpu'] / t['gpu']:.1f} | "
            + (f"{t['cudnn'] * 1e3:.1f} | {t['gpu'] / t['cudnn']:.2f} |" if "cudnn" in t else "– | – |")]
    for row in rows:
        print(row, flush=True)
    return rows


if __name__ == "__main__":
    main()
