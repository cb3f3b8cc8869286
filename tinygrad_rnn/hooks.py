"""Gradient hooks, as PyTorch's ``Tensor.register_hook``: a function that sees a tensor's gradient
during backward, and may replace it.

A hook is called once per backward with the tensor's total gradient ∂J/∂x (the sum over all its
uses), before that total goes on: into ``x.grad`` for a leaf, into the backward of the op that made
``x`` otherwise. If it returns a tensor, that is used instead (gradient clipping of one hidden state,
or printing ‖∂J/∂h_t‖ as BPTT passes h_t). ``register_hook`` returns a handle whose ``remove()``
takes the hook off again.

>>> import tinygrad_rnn as tr
>>> x = tr.ones(3, requires_grad=True)
>>> handle = x.register_hook(lambda grad: grad * 10)
>>> (2 * x).sum().backward()
>>> x.grad
tensor([20., 20., 20.])
>>> handle.remove()
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import GraphError, ShapeError
from .tensor_base import TensorBase

if TYPE_CHECKING:
    from .tensor import Tensor

_ids = itertools.count()


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` unregisters the hook (again: nothing)."""

    __slots__ = ("hooks", "id")

    def __init__(self, hooks: dict[int, Callable], id: int) -> None:
        self.hooks, self.id = hooks, id

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.remove()


def register_hook(tensor: Tensor, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
    """Call ``hook(grad)`` with the tensor's gradient on every backward; see the module's docstring."""
    if not callable(hook):
        raise TypeError(f"register_hook: the hook must be a function of the gradient, not {type(hook).__name__}")
    if not tensor.requires_grad:
        raise GraphError("register_hook: this tensor does not require grad, so no gradient will reach it; "
                         "call .requires_grad_() on a leaf first")
    vertex = tensor if tensor._node is None else tensor._node  # where backward delivers its gradient
    if vertex._backward_hooks is None:
        vertex._backward_hooks = {}
    hook_id = next(_ids)
    vertex._backward_hooks[hook_id] = hook
    return RemovableHandle(vertex._backward_hooks, hook_id)


def run_hooks(hooks: dict[int, Callable], total: Any, create_graph: bool) -> Any:
    """The gradient after every hook, in the order registered: an array in a plain backward, a
    Tensor in a recorded one (``create_graph=True``), as ``total`` came."""
    grad = total if create_graph else TensorBase._make(total)
    for hook in list(hooks.values()):
        replacement = hook(grad)
        if replacement is None:
            continue
        if not isinstance(replacement, TensorBase) or replacement.shape != grad.shape:
            what = f"shape {replacement.shape}" if isinstance(replacement, TensorBase) else type(replacement).__name__
            raise ShapeError(f"a gradient hook returned {what}; it must return None or a tensor of the "
                             f"gradient's shape {grad.shape}")
        grad = replacement if create_graph else TensorBase._make(replacement.array.astype(grad.dtype, copy=False))
    return grad if create_graph else grad.array
