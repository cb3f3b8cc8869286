"""Optimizer: the bookkeeping every update rule shares (parameter groups, per-parameter state,
zero_grad, state_dict), as in ``torch.optim``. Each rule in ``optimizers.py`` only writes
``update(parameter, gradient, state, group)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy

from ..device import move_array
from ..inplace import mark_all_written, memory_range
from ..nn.utils import zero_grad_
from ..recording import no_grad
from ..tensor import Tensor


class Optimizer:
    """Base class. ``params`` is an iterable of tensors, or of dicts ``{"params": [...], **options}``
    (parameter groups with their own options, e.g. a smaller learning rate for embeddings)."""

    defaults: dict[str, Any] = {}

    def __init__(self, params: Iterable[Any], **options: Any) -> None:
        unknown = set(options) - set(self.defaults)
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown option(s) {sorted(unknown)}")
        defaults = {**self.defaults, **options}
        self._check(defaults)
        if callable(params) or isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of tensors (or of parameter "
                            f"groups), got {type(params).__name__}"
                            + (": did you mean model.parameters()?" if callable(params) else ": wrap it in a list"))
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups: list[dict[str, Any]] = []
        seen: set[int] = set()
        for group in groups:
            group = {**defaults, **group, "params": list(group["params"])}
            self._check(group)
            for p in group["params"]:
                if not isinstance(p, Tensor) or not p.requires_grad:
                    raise TypeError(f"{type(self).__name__}: can only optimise tensors that require grad")
                if id(p) in seen:
                    raise ValueError(f"{type(self).__name__}: a parameter appears in more than one group")
                seen.add(id(p))
            group.setdefault("initial_lr", group["lr"])
            self.param_groups.append(group)
        self.state: dict[int, dict[str, Any]] = {}  # id(parameter) → its state (momentum buffers, …)
        self._ranges: dict[int, tuple[Any, tuple]] = {}  # id(parameter) → (its array, that array's memory range)
        self._how_written = f"{type(self).__name__}.step()"  # what an in-place error names as the writer

    def _check(self, options: dict[str, Any]) -> None:
        if options.get("lr", 0) < 0:
            raise ValueError(f"{type(self).__name__}: learning rate must be ≥ 0, got {options['lr']}")

    def update(self, parameter: Tensor, gradient: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError

    def step(self) -> None:
        """One update of every parameter that has a gradient."""
        with no_grad():
            for group in self.param_groups:
                self.update_group(group)

    def update_group(self, group: dict[str, Any]) -> None:
        """Update every parameter of ``group`` that has a gradient, one by one through ``update``
        (the one loop of every rule; plain SGD has its own, with no call per parameter)."""
        updated: list[Tensor] = []
        try:
            for parameter in group["params"]:
                grad = parameter.grad
                if grad is None:
                    continue
                updated.append(parameter)
                gradient = -grad.array if group.get("maximize") else grad.array
                self.update(parameter, gradient, self.state.setdefault(id(parameter), {}), group)
        finally:  # (stamped even if an update raised: the ones before it were written)
            self.written(updated)

    def written(self, parameters: list[Tensor]) -> None:
        """Stamp the update of the ``parameters``' arrays in place, all with one stamp: a graph recorded
        before it is stale (inplace.py). The range of a parameter's memory is kept: it rarely moves."""
        ranges = []
        for parameter in parameters:
            known = self._ranges.get(id(parameter))
            if known is None or known[0] is not parameter.array:
                known = self._ranges[id(parameter)] = (parameter.array, memory_range(parameter.array))
            ranges.append(known[1])
        mark_all_written(ranges, self._how_written)

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grad_((p for group in self.param_groups for p in group["params"]), set_to_none)

    # --- saving and loading -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {name: array or number}}, "param_groups": [options + param indices]}``,
        parameters numbered across groups in order, as PyTorch does. Arrays are host copies."""
        index, state, groups = 0, {}, []
        for group in self.param_groups:
            numbers = []
            for parameter in group["params"]:
                if id(parameter) in self.state:
                    state[index] = {key: (Tensor._make(value).numpy() if hasattr(value, "shape") else value)
                                    for key, value in self.state[id(parameter)].items()}
                numbers.append(index)
                index += 1
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": numbers})
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state_dict of an optimizer over parameters of the same shapes, in the same
        groups; checked completely before anything changes."""
        groups = state_dict.get("param_groups")
        if not isinstance(groups, list) or len(groups) != len(self.param_groups):
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected {len(self.param_groups)} parameter "
                             f"group(s), got {len(groups) if isinstance(groups, list) else groups!r}")
        parameters = [p for group in self.param_groups for p in group["params"]]
        for mine, theirs in zip(self.param_groups, groups):
            if len(mine["params"]) != len(theirs.get("params", [])):
                raise ValueError(f"{type(self).__name__}.load_state_dict: a group has {len(mine['params'])} "
                                 f"parameters here but {len(theirs.get('params', []))} in the state_dict")
        new_state = {}
        for number, values in state_dict.get("state", {}).items():
            number = int(number)
            if not 0 <= number < len(parameters):
                raise ValueError(f"{type(self).__name__}.load_state_dict: state for parameter {number}, "
                                 f"but there are {len(parameters)}")
            parameter = parameters[number]
            restored = {}
            for key, value in values.items():
                if isinstance(value, numpy.ndarray) and value.ndim > 0:
                    if value.shape != parameter.shape:
                        raise ValueError(f"{type(self).__name__}.load_state_dict: {key} of parameter {number} has "
                                         f"shape {value.shape}, the parameter {parameter.shape}")
                    value = move_array(value.astype(parameter.dtype), parameter.device)
                elif isinstance(value, numpy.ndarray):
                    value = value.item()
                restored[key] = value
            new_state[id(parameter)] = restored
        for mine, theirs in zip(self.param_groups, groups):
            mine.update({k: v for k, v in theirs.items() if k != "params"})
        self.state = new_state

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v}" for k, v in self.param_groups[0].items() if k not in ("params", "initial_lr"))
        return f"{type(self).__name__}({options})"
