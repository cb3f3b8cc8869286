"""Regenerate docs/api.md, the API reference, from the docstrings.

    .venv/bin/python docs/make_api.py

tests/test_docs.py checks that docs/api.md is what this script writes, so the reference never
drifts from the code.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib

import numpy

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
    ("tinygrad_rnn.progress", "Progress in a terminal, a log or a notebook"),
    ("tinygrad_rnn.plots", "Figures"),
    ("tinygrad_rnn.fast", "The speed, apart from the plain path (docs/fast.md)"),
    ("tinygrad_rnn.compat", "Running PyTorch code (docs/pytorch.md)"),
]
OPS = ["elementwise", "trigonometric", "compare", "reduce", "shape", "linalg", "convert"]  # every op, its gradient
# the attributes a Tensor keeps (slots: they have no docstring of their own)
TENSOR_SLOTS = {
    "array": "The NumPy or CuPy array this tensor holds (the package reads it; .numpy() gives a NumPy copy).",
    "requires_grad": "Whether ops on this tensor are recorded, so that gradients reach it.",
    "grad_fn": "The op (a Function) that computed this tensor; None for a leaf.",
}


def summary(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n")[0].replace("\n", " ").replace("|", "\\|")


def public_names(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if not n.startswith("_") and getattr(v, "__module__", "") ==
                 module.__name__ and (inspect.isfunction(v) or inspect.isclass(v))]
    if module.__name__ == "tinygrad_rnn":  # and the ops, tr.exp(x) and the like (not in __all__: they shadow builtins)
        names = list(names) + sorted(n for n, v in vars(module).items() if inspect.isfunction(v) and n not in names
                                     and v.__module__.startswith("tinygrad_rnn.ops."))
    return [n for n in names if not n.startswith("_")]


def tensor_members() -> list[tuple[str, str]]:
    """(how it is written, what it is) for every public method and attribute of Tensor. A method
    without a docstring of its own names the function it is (``x.exp()`` is ``tr.exp(x)``)."""
    import tinygrad_rnn
    from tinygrad_rnn import Tensor

    rows = []
    for name in sorted(n for n in dir(Tensor) if not n.startswith("_")):
        member = inspect.getattr_static(Tensor, name)
        if name in TENSOR_SLOTS:
            rows.append((f"x.{name}", TENSOR_SLOTS[name]))
        elif isinstance(member, property):
            rows.append((f"x.{name}", summary(member)))
        else:
            function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
            signature = inspect.signature(function)
            parameters = [p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()][1:]
            written = f"x.{name}{signature.replace(parameters=parameters, return_annotation=inspect.Signature.empty)}"
            op_name = name if function.__name__.startswith("__") else function.__name__  # (mul = __mul__: tr.mul)
            same = getattr(tinygrad_rnn, op_name, None)
            arguments = "x, …" if parameters else "x"
            if getattr(tinygrad_rnn, function.__name__, None) is function:  # an alias: x.exp is tr.exp itself
                text = f"`tr.{function.__name__}({arguments})`: {summary(function)}"
            else:
                text = summary(function) if function.__doc__ else \
                    f"`tr.{op_name}({arguments})`: {summary(same)}" if inspect.isfunction(same) else ""
            rows.append((written, text))
    return rows


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
        dtypes = [public for public, value in vars(module).items() if isinstance(value, numpy.dtype)]
        if dtypes:
            lines.append(f"| {', '.join(f'`{d}`' for d in dtypes)} | dtypes by PyTorch's names (NumPy dtypes) |")
        lines.append("")
    lines += ["## `Tensor` — methods and attributes", "", "| written | what it is |", "| --- | --- |"]
    lines += [f"| `{written}` | {text} |" for written, text in tensor_members()]
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
