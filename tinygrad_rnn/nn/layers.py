"""Linear, Embedding, Dropout and Sequential: the layers around a recurrent core."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

from ..creation import zeros
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter


class Linear(Module):
    """y = x Wᵀ + b.  weight: (out_features, in_features); bias: (out_features,).

    Both start as U(−1/√in_features, 1/√in_features), PyTorch's default.

    The op it records, and its backward: ``Linear`` in ops/linalg.py (through ``linear`` in
    nn/functional.py, which checks the shapes).

    >>> import tinygrad_rnn as tr
    >>> tr.nn.Linear(3, 2)(tr.ones(5, 3)).shape
    (5, 2)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features) if in_features else 0.0
        self.weight = init.uniform_parameter(out_features, in_features, bound=bound, dtype=dtype, device=device)
        self.bias = init.uniform_parameter(out_features, bound=bound, dtype=dtype, device=device) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Embedding(Module):
    """A lookup table: ``Embedding(V, D)(ids)`` has shape ids.shape + (D,).

    weight: (num_embeddings, embedding_dim), N(0, 1) as in PyTorch; the row at ``padding_idx``
    starts at zero and receives no gradient.

    The op it records, and its backward: ``Embedding`` in ops/shape.py.

    >>> import tinygrad_rnn as tr
    >>> tr.nn.Embedding(10, 4, padding_idx=0)(tr.tensor([[0, 3, 3]])).shape
    (1, 3, 4)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if padding_idx is not None:
            padding_idx = F.padding_row(padding_idx, num_embeddings, "Embedding")
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.weight = Parameter(init.normal_(zeros(num_embeddings, embedding_dim, dtype=dtype, device=device)))
        if padding_idx is not None:
            self.weight.array[padding_idx] = 0

    def forward(self, ids: Any, chosen_from: Tensor | None = None) -> Tensor:
        return F.embedding(ids, self.weight, self.padding_idx, chosen_from)

    def extra_repr(self) -> str:
        extra = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{extra}"


class Dropout(Module):
    """Zero entries with probability p in training mode (scaling the rest by 1/(1 − p));
    the identity in eval mode.

    >>> import tinygrad_rnn as tr
    >>> tr.nn.Dropout(0.5).eval()(tr.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Sequential(Module):
    """Modules applied one after another.

    >>> import tinygrad_rnn as tr
    >>> model = tr.nn.Sequential(tr.nn.Linear(3, 8), tr.nn.Linear(8, 1))
    >>> model(tr.ones(2, 3)).shape, len(model)
    ((2, 1), 2)
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for index, module in enumerate(modules):
            setattr(self, str(index), module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleList(Module):
    """A list of modules whose parameters the parent sees (a plain Python list would hide them
    from ``parameters()``, the optimizer and ``state_dict``), as ``torch.nn.ModuleList``.

    >>> import tinygrad_rnn as tr
    >>> layers = tr.nn.ModuleList([tr.nn.Linear(4, 4) for _ in range(3)])
    >>> layers.append(tr.nn.Linear(4, 2))
    ModuleList(...)
    >>> len(layers), len(list(layers.parameters())), [name for name, _ in layers.named_parameters()][-1]
    (4, 8, '3.bias')
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        self.extend(modules or [])

    def append(self, module: Module) -> ModuleList:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: holds modules only, got {type(module).__name__}")
        setattr(self, str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self)
        modules.insert(index, module)
        self._renumber(modules)

    def __getitem__(self, index: int | slice) -> Any:
        modules = list(self._modules.values())
        return ModuleList(modules[index]) if isinstance(index, slice) else modules[index]

    def __setitem__(self, index: int, module: Module) -> None:
        modules = list(self)
        modules[index] = module
        self._renumber(modules)

    def __delitem__(self, index: int | slice) -> None:
        modules = list(self)
        del modules[index]
        self._renumber(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def _renumber(self, modules: list[Module]) -> None:
        """Names are positions ('0', '1', …): after a change in the middle, give them again."""
        for name in list(self._modules):
            object.__delattr__(self, name)
        self._modules.clear()
        self.extend(modules)
