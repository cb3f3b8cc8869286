"""Stand-in ``torch`` modules: after :func:`install_as_torch`, ``import torch`` is tinygrad_rnn.

>>> from tinygrad_rnn.compat import install_as_torch
>>> with install_as_torch():
...     import torch
...     import torch.nn as nn
...     layer = nn.LSTM(3, 4)
...     layer.weight_hh_l0.shape, torch.cuda.is_available() in (True, False)
((16, 4), True)
>>> type(layer).__module__                    # the same class as tinygrad_rnn.nn.LSTM
'tinygrad_rnn.nn.recurrent'

How: each PyTorch module name in ``MODULES`` (``torch``, ``torch.nn``, …; names.py) gets a stand-in
module in ``sys.modules`` that hands out the attributes of the tinygrad_rnn module behind it — the
very same objects, so ``torch.nn.LSTM is tinygrad_rnn.nn.LSTM``. A name that is not there fails with
one line that names the PyTorch name and what to use instead, whether it is read as an attribute
(``torch.compile``) or imported (``import torch.cuda.amp``, ``from torch.nn import Transformer``).
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
import types
from typing import Any

from .names import EXTRAS, MODULES, not_provided_message


class NotProvided(AttributeError):
    """A PyTorch name that tinygrad_rnn does not have, read as an attribute (``torch.compile``).
    An AttributeError, so ``hasattr(torch, "compile")`` is False as a script expects."""


class NotProvidedModule(ModuleNotFoundError):
    """A PyTorch module or name that tinygrad_rnn does not have, imported (``import torch.cuda.amp``)."""


class TorchModule(types.ModuleType):
    """The stand-in for one PyTorch module. Its submodules' stand-ins and its names of EXTRAS are
    set on it when it is made; any other name is read from the tinygrad_rnn module behind it
    (``target``) on first use, and kept."""

    def __init__(self, name: str, target: types.ModuleType | None, submodules: dict[str, TorchModule]) -> None:
        super().__init__(name, f"PyTorch's {name}, answered by {target.__name__ if target else 'tinygrad_rnn'}")
        self.__path__: list[str] = []  # a package: `from torch.nn import X` of a missing X reaches TorchFinder
        self._target = target
        vars(self).update(submodules)
        vars(self).update({key.rsplit(".", 1)[1]: value for key, value in EXTRAS.items()
                           if key.rsplit(".", 1)[0] == name})

    def __getattr__(self, name: str) -> Any:  # only called for a name not set on the module yet
        if name.startswith("__"):  # Python's own probes (__file__, __all__, …) get a plain answer
            raise AttributeError(name)
        if self._target is not None and hasattr(self._target, name):
            value = getattr(self._target, name)
            setattr(self, name, value)  # kept: the next `torch.<name>` is a plain lookup, as fast as tinygrad_rnn's
            return value
        raise NotProvided(not_provided_message(f"{self.__name__}.{name}", self.names()))

    def names(self) -> list[str]:
        """The public names this module answers: those set on it and its tinygrad_rnn module's (but the
        modules inside tinygrad_rnn that are no stand-in's)."""
        own = [] if self._target is None else [n for n, value in vars(self._target).items()
                                                if not isinstance(value, types.ModuleType)]
        return sorted(n for n in set(own) | set(vars(self)) if not n.startswith("_"))

    def __dir__(self) -> list[str]:
        return self.names()


class TorchFinder(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path`` while installed: any ``torch.*`` module that is not a stand-in in
    ``sys.modules`` is not provided — say so, rather than let Python find the real PyTorch's parts."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname == "torch" or fullname.startswith("torch."):
            parent = sys.modules.get(fullname.rsplit(".", 1)[0])
            known = parent.names() if isinstance(parent, TorchModule) else []
            raise NotProvidedModule(not_provided_message(fullname, known))
        return None


def torch_modules() -> dict[str, TorchModule]:
    """A fresh stand-in for every module of ``MODULES``, linked to its submodules (``torch.nn`` is an
    attribute of ``torch``)."""
    made: dict[str, TorchModule] = {}
    for name in sorted(MODULES, key=lambda n: -n.count(".")):  # children first, so parents can hold them
        target = importlib.import_module(MODULES[name]) if MODULES[name] else None
        children = {child.rsplit(".", 1)[1]: module for child, module in made.items()
                    if child.rsplit(".", 1)[0] == name}
        made[name] = TorchModule(name, target, children)
    return made


class Installed:
    """What :func:`install_as_torch` changed; ``uninstall()`` (or leaving the ``with``) puts back the
    ``torch`` modules that were there before, the real PyTorch's included."""

    def __init__(self) -> None:
        self.saved = {name: module for name, module in sys.modules.items()
                      if name == "torch" or name.startswith("torch.")}
        self.finder = TorchFinder()
        for name in self.saved:
            del sys.modules[name]
        sys.modules.update(torch_modules())
        sys.meta_path.insert(0, self.finder)

    def uninstall(self) -> None:
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)
        for name in [n for n in sys.modules if n == "torch" or n.startswith("torch.")]:
            del sys.modules[name]
        sys.modules.update(self.saved)

    def __enter__(self) -> Installed:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.uninstall()


def install_as_torch() -> Installed:
    """Make ``import torch`` (and ``torch.nn``, ``torch.nn.functional``, ``torch.optim``,
    ``torch.nn.utils``, …) give tinygrad_rnn, until ``.uninstall()`` or the end of a ``with`` block.

    >>> with install_as_torch():
    ...     import torch
    ...     hasattr(torch, "compile")
    False
    """
    return Installed()
