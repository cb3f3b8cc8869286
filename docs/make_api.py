"""Regenerate docs/api.md, the API reference, from the docstrings.

    .venv/bin/python docs/make_api.py

tests/test_docs.py checks that docs/api.md is what this script writes, so the reference never
drifts from the code.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib

MODULES = [
    ("tinygrad_rnn", "Tensors, autodiff, modes"),
    ("tinygrad_rnn.nn", "Layers"),
    ("tinygrad_rnn.nn.functional", "Functions behind the layers, and losses"),
    ("tinygrad_rnn.nn.init", "Initialisation"),
    ("tinygrad_rnn.nn.utils", "Gradient clipping"),
    ("tinygrad_rnn.nn.utils.rnn", "Packing variable-length batches"),
    ("tinygrad_rnn.optim", "Optimisers"),
    ("tinygrad_rnn.analysis", "Seeing backpropagation through time"),
    ("tinygrad_rnn.viz", "Drawing"),
    ("tinygrad_rnn.data", "Data"),
    ("tinygrad_rnn.models", "Models"),
    ("tinygrad_rnn.generation", "Generation"),
    ("tinygrad_rnn.checkpoint", "Checkpoints"),
    ("tinygrad_rnn.training", "Training"),
    ("tinygrad_rnn.plots", "Figures"),
    ("tinygrad_rnn.workspace", "Reused arrays (CPU memory)"),
]
OPS = ["elementwise", "compare", "reduce", "shape", "linalg", "convert"]  # every op, with its gradient


def summary(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n")[0].replace("\n", " ").replace("|", "\\|")


def public_names(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if not n.startswith("_") and getattr(v, "__module__", "") ==
                 module.__name__ and (inspect.isfunction(v) or inspect.isclass(v))]
    return [n for n in names if not n.startswith("_")]


def render() -> str:
    lines = ["# API reference", "", "Generated from the docstrings by `docs/make_api.py`; each entry's docstring has",
             "the details and a short example (`help(tinygrad_rnn.grad)`).", ""]
    for name, title in MODULES:
        module = importlib.import_module(name)
        lines += [f"## `{name}` — {title}", "", "| name | what it is |", "| --- | --- |"]
        for public in public_names(module):
            obj = getattr(module, public)
            if inspect.ismodule(obj) or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            lines.append(f"| `{public}` | {summary(obj)} |")
        lines.append("")
    lines += ["## The ops and their gradients (`tinygrad_rnn/ops/`)", "",
              "Each op is one class with `forward` and `backward` side by side; its docstring states the",
              "derivative. The lowercase functions (`tr.tanh`, `tr.matmul`, …) and Tensor methods apply them.", "",
              "| op | file | value; derivative |", "| --- | --- | --- |"]
    from tinygrad_rnn.function import Function

    for name in OPS:
        module = importlib.import_module(f"tinygrad_rnn.ops.{name}")
        for public, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, Function) and obj.__module__ == module.__name__ \
                    and not public.startswith("_"):
                lines.append(f"| `{public}` | `ops/{name}.py` | {summary(obj)} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    path = pathlib.Path(__file__).resolve().parent / "api.md"
    path.write_text(render(), encoding="utf-8")
    print(f"wrote {path}")
