"""Module and Parameter: PyTorch's way of grouping weights into layers.

A Module registers every Parameter and sub-Module assigned to it as an attribute, so
``parameters()``, ``state_dict()`` and ``to()`` can find them; ``__call__`` runs ``forward``.
"""

from __future__ import annotations

import contextlib
import os
from collections import namedtuple
from collections.abc import Iterator, Mapping
from typing import Any

import numpy

from ..conversion import to_arguments
from ..device import get_device, move_array
from ..recording import no_grad
from ..tensor import Tensor
from .chains import call_user_module
from .utils import zero_grad_

_LIBRARY_FILES = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # tinygrad_rnn/


class Parameter(Tensor):
    """A Tensor that is a module's weight: it requires grad, and is named after its place in the
    module tree (``weight``; ``head.weight`` once the layer is a model's ``head``), which messages
    show. A drawing writes the weight's role in the lecture's notation where the graph makes it
    certain — E for the embedding read by the recurrence, W_hh and b_ih for a recurrent layer's,
    W_hy and b_y for the one linear layer that reads its states — and this name otherwise (two
    linear layers after the recurrence: ``out.weight``, ``extra.weight``). A name you set
    (``.name = "W_out"``) is kept, and drawn as you wrote it.

    >>> import tinygrad_rnn as tr
    >>> layer = tr.nn.Linear(3, 2)
    >>> layer.weight.name, layer.weight.requires_grad
    ('weight', True)
    >>> model = tr.nn.Sequential(tr.nn.Embedding(5, 3), tr.nn.RNN(3, 4))
    >>> model[0].weight.name
    '0.weight'
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> head = tr.nn.Linear(4, 5)
    >>> output, _ = model(tr.tensor([[1], [2]]))
    >>> picture = build_picture((head(output).sum(),), level="cell")
    >>> sorted({name for node in picture.nodes for name in node.parameters})
    ['E', 'W_hh', 'W_hy', 'W_ih', 'b_hh', 'b_ih', 'b_y']
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        data = data.array if isinstance(data, Tensor) else data
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


LoadResult = namedtuple("LoadResult", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of every layer. Subclasses set Parameters and Modules as attributes in
    ``__init__`` and define ``forward``.

    >>> import tinygrad_rnn as tr
    >>> class TwoLayers(tr.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.first = tr.nn.Linear(4, 8)
    ...         self.second = tr.nn.Linear(8, 2)
    ...     def forward(self, x):
    ...         return self.second(self.first(x).tanh())
    >>> [name for name, _ in TwoLayers().named_parameters()]
    ['first.weight', 'first.bias', 'second.weight', 'second.bias']
    """

    _forward_is_the_library_s = True  # (a subclass's own forward: a cell the user wrote? see __call__)

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            value.name = name
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
            for path, parameter in value.named_parameters():  # labels from the module tree: head.weight
                if parameter.name == path:  # a name the user gave (W_hy) is kept
                    parameter.name = f"{name}.{path}"
        object.__setattr__(self, name, value)
        if isinstance(value, Module):
            _recurrences_named_by_attribute(self)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._forward_is_the_library_s:
            return self.forward(*args, **kwargs)
        return call_user_module(self, args, kwargs)  # a cell of the user's, called in a loop, is drawn as one

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        code = getattr(cls.forward, "__code__", None)  # (where it is written: a doctest's class is the user's)
        cls._forward_is_the_library_s = code is None or code.co_filename.startswith(_LIBRARY_FILES)

    # --- what is inside ---------------------------------------------------------------------------
    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, each parameter once, in registration order."""
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, parameter in module._parameters.items():
                if id(parameter) not in seen:
                    seen.add(id(parameter))
                    yield (f"{module_prefix}.{name}" if module_prefix else name), parameter

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every module below it, depth first, with dotted names (no recursion)."""
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module._modules.items()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    # --- modes and gradients ----------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active) for this module and all below it; returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off); returns self."""
        return self.train(False)

    @contextlib.contextmanager
    def evaluating(self) -> Iterator[Module]:
        """Evaluation mode inside the block, then the mode it was in before (also on an error):
        what evaluating, generating and analysing a model in the middle of training need.

        >>> import tinygrad_rnn as tr
        >>> model = tr.nn.Dropout(0.5)
        >>> with model.evaluating():
        ...     model.training
        False
        >>> model.training
        True
        """
        was_training = self.training
        self.eval()
        try:
            yield self
        finally:
            self.train(was_training)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (to None by default, as PyTorch does)."""
        zero_grad_(self.parameters(), set_to_none)

    # --- devices and dtypes ----------------------------------------------------------------------
    def to(self, *args: Any, device: Any = None, dtype: Any = None) -> Module:
        """Move (and/or cast) every parameter in place, keeping the Parameter objects; returns self.

        Takes what ``Tensor.to`` takes: ``model.to("cuda")``, ``model.to(tr.float64)``,
        ``model.to(tr.device("cpu"), dtype=tr.float64)``.
        """
        target, wanted = to_arguments(f"{type(self).__name__}.to", args, device, dtype)
        if target is not None:
            target = get_device(target)  # a missing GPU is reported here, before anything moves
        with no_grad():
            for parameter in self.parameters():
                data = parameter.array
                if wanted is not None and data.dtype != wanted:
                    data = data.astype(wanted)
                if target is not None and parameter.device != target:
                    data = move_array(data, target)
                parameter.array = data
                parameter.grad = None if parameter.grad is None else parameter.grad.to(target or parameter.device,
                                                                                      data.dtype)
        return self

    def double(self) -> Module:
        return self.to(dtype="float64")

    def float(self) -> Module:
        return self.to(dtype="float32")

    def cpu(self) -> Module:
        return self.to("cpu")

    # --- saving and loading -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, numpy.ndarray]:
        """``{name: NumPy array}``, host copies of every parameter."""
        return {name: parameter.numpy() for name, parameter in self.named_parameters()}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> LoadResult:
        """Copy values into the parameters, cast to each parameter's dtype and device.

        Every key and shape is checked first; on any problem one error lists all missing,
        unexpected and mismatched keys, and no parameter is changed. Values may be NumPy
        arrays, Tensors, or anything ``numpy.asarray`` accepts (a CPU PyTorch tensor, say).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected a state dict (a mapping from parameter names to values, as "
                            f"state_dict() returns), got {type(state_dict).__name__}; to set one parameter, use "
                            "module.weight.data.copy_(value) under tr.no_grad()")
        parameters = dict(self.named_parameters())
        values = {name: _host_array(value) for name, value in state_dict.items()}
        missing = [name for name in parameters if name not in values]
        unexpected = [name for name in values if name not in parameters]
        mismatched = [f"{name}: checkpoint {tuple(values[name].shape)} vs model {parameters[name].shape}"
                      for name in parameters if name in values and tuple(values[name].shape) != parameters[name].shape]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(unexpected)}")
        if mismatched:
            problems.append(f"shape mismatches: {'; '.join(mismatched)}")
        if problems:
            raise KeyError(f"{type(self).__name__}.load_state_dict: nothing was loaded. " + " | ".join(problems))
        with no_grad():
            for name, parameter in parameters.items():
                if name in values:
                    array = values[name].astype(parameter.dtype, copy=True)
                    parameter.array = move_array(array, parameter.device)
        return LoadResult(missing, unexpected)

    # --- printing ----------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ("\n" + "\n".join(lines) + "\n)" if lines else ")")


def drawn_kind(module: Module) -> str:
    """A recurrent layer's or cell's name in drawings until a model names it: its kind ("GRU" for an ``nn.GRU``
    and an ``nn.GRUCell`` alike), its ``scope_name`` at first.

    >>> import tinygrad_rnn as tr
    >>> drawn_kind(tr.nn.LSTM(2, 3)), drawn_kind(tr.nn.GRUCell(2, 3))
    ('LSTM', 'GRU')
    """
    return type(module).__name__.removesuffix("Cell")


def _recurrences_named_by_attribute(model: Module) -> None:
    """Two recurrent modules of one kind held by one model (an encoder GRU and a decoder GRU) are drawn by the
    names the model gives them, as a lecturer names them: rows "encoder" and "decoder", marks ⁽ᵉ⁾ and ⁽ᵈ⁾, where
    their kind alone said "GRU 1" and "GRU 2". One of its kind keeps its kind ("LSTM"); a ``scope_name`` set by
    hand is kept, and so are names that are not words (a ModuleList's "0", "1").

    >>> import tinygrad_rnn as tr
    >>> class Translator(tr.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.reader, self.writer, self.rnn = tr.nn.GRU(3, 4), tr.nn.GRUCell(3, 4), tr.nn.LSTM(3, 4)
    >>> model = Translator()
    >>> model.reader.scope_name, model.writer.scope_name, model.rnn.scope_name
    ('reader', 'writer', 'LSTM')
    """
    of_kind: dict[str, list[tuple[str, Module]]] = {}
    for name, child in model._modules.items():
        drawn = getattr(child, "scope_name", None)
        if drawn is not None and name.isidentifier() and drawn in (drawn_kind(child), name):
            of_kind.setdefault(drawn_kind(child), []).append((name, child))
    for named in of_kind.values():
        for name, child in named if len(named) > 1 else ():
            child.scope_name = name


def _host_array(value: Any) -> numpy.ndarray:
    if isinstance(value, Tensor):
        return value.numpy()
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a PyTorch tensor
        value = value.detach().cpu()
    return numpy.asarray(value)
