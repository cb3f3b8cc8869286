"""What running a PyTorch script through ``tinygrad-rnn run-torch`` costs: the word-level language
model of tests/torch_scripts/word_lm.py (its SGD step written ``with torch.no_grad(): p.add_(...)``,
see docs/pytorch.md), timed three ways, interleaved round by round in this process, median of the
rounds:

- run-torch: ``import torch`` answered by tinygrad_rnn's stand-in modules (tinygrad_rnn.compat);
- native: the same script importing tinygrad_rnn itself (``import tinygrad_rnn as torch``, …) — the
  same objects without the stand-ins, so the difference is what the stand-ins cost;
- PyTorch (when installed, on one thread): the same script on PyTorch, for scale.

    python benchmarks/run_torch.py                   # 5 rounds of 8 epochs
    python benchmarks/run_torch.py --rounds 1 --epochs 1
"""

from __future__ import annotations

import argparse
import contextlib
import io
import pathlib
import re
import runpy
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "tests" / "torch_scripts"
sys.path.insert(0, str(SCRIPTS))
from corpus import write_corpus  # noqa: E402

from tinygrad_rnn.compat import run_script  # noqa: E402

HAND_SGD = "            p.data.add_(p.grad, alpha=-lr)\n"
NO_GRAD_SGD = "            with torch.no_grad():\n                p.add_(p.grad, alpha=-lr)\n"
NATIVE_IMPORTS = {"import torch\n": "import tinygrad_rnn as torch\n",
                  "import torch.nn as nn\n": "import tinygrad_rnn.nn as nn\n",
                  "import torch.nn.functional as F\n": "import tinygrad_rnn.nn.functional as F\n",
                  "torch.cuda.is_available()": "torch.gpu_available()"}  # torch.cuda is the stand-ins' own


def scripts(folder: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """(the script as run-torch runs it, its native twin), written into ``folder``."""
    source = (SCRIPTS / "word_lm.py").read_text(encoding="utf-8").replace(HAND_SGD, NO_GRAD_SGD)
    native = source
    for pytorch, ours in NATIVE_IMPORTS.items():
        assert native.count(pytorch) == 1, pytorch
        native = native.replace(pytorch, ours)
    (folder / "word_lm.py").write_text(source, encoding="utf-8")
    (folder / "word_lm_native.py").write_text(native, encoding="utf-8")
    return folder / "word_lm.py", folder / "word_lm_native.py"


def timed(run) -> tuple[float, float]:
    """(seconds, the test perplexity the script printed)."""
    output = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(output):
        run()
    seconds = time.perf_counter() - start
    return seconds, float(re.search(r"test ppl +([\d.]+)", output.getvalue()).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    folder = pathlib.Path(tempfile.mkdtemp())
    compat, native = scripts(folder)
    arguments = ["--data", str(write_corpus(folder / "corpus")), "--epochs", str(args.epochs), "--batch_size",
                 "16", "--bptt", "5", "--lr", "20", "--emsize", "16", "--nhid", "32", "--save",
                 str(folder / "model.pt")]

    def plain(script: pathlib.Path) -> None:
        saved = sys.argv
        sys.argv = [str(script), *arguments]
        try:
            runpy.run_path(str(script), run_name="__main__")
        finally:
            sys.argv = saved

    ways = {"run-torch": lambda: run_script(compat, arguments), "native": lambda: plain(native)}
    try:
        import torch

        ways["PyTorch (1 thread)"] = lambda: plain(compat)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # tiny sizes: threads would only contend
    except ImportError:
        torch = None
    times: dict[str, list[float]] = {name: [] for name in ways}
    perplexities: dict[str, list[float]] = {name: [] for name in ways}
    try:
        for _ in range(args.rounds):
            for name, run in ways.items():
                seconds, perplexity = timed(run)
                times[name].append(seconds)
                perplexities[name].append(perplexity)
    finally:
        if torch is not None:
            torch.set_num_threads(threads)
    print(f"word_lm.py, {args.epochs} epochs, median of {args.rounds} rounds\n")
    print("| way | seconds | test perplexity |\n| --- | --- | --- |")
    for name in ways:
        print(f"| {name} | {statistics.median(times[name]):.2f} | {statistics.median(perplexities[name]):.2f} |")


if __name__ == "__main__":
    main()
