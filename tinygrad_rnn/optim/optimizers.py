"""The update rules: SGD, Adagrad, RMSprop, Adam, AdamW — PyTorch's rules and defaults.

Each ``update`` changes one parameter in place from its gradient g (arrays, not Tensors:
optimisation is not recorded), keeping what it needs across steps in ``state``.
"""

from __future__ import annotations

import math
from typing import Any

from ..device import array_module
from ..tensor import Tensor
from .optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent, with momentum (heavy ball or Nesterov) and weight decay:

        g ← g + λ p;   b ← μ b + (1 − dampening) g  (b = g at the first step);
        g ← g + μ b (Nesterov) or g ← b;   p ← p − lr · g

    >>> import tinygrad_rnn as tr
    >>> w = tr.tensor([1.0], requires_grad=True)
    >>> (w * 2).sum().backward()
    >>> SGD([w], lr=0.1).step()
    >>> round(w.item(), 6)                            # 1 − 0.1 · 2
    0.8
    """

    defaults = {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False,
                "maximize": False}

    def _check(self, options: dict[str, Any]) -> None:
        super()._check(options)
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")

    def update_group(self, group: dict[str, Any]) -> None:
        """Plain SGD (no momentum, weight decay or maximize) in one pass over the group, PyTorch's
        ``foreach`` idea: p ← p − lr · g with no call per parameter (7 of them in a language model's
        step: 18 → 16 µs, docs/benchmarks.md); every other setting through ``update``, one by one."""
        if group["momentum"] or group["weight_decay"] or group["maximize"]:
            return super().update_group(group)
        learning_rate, state, updated = group["lr"], self.state, []
        try:
            for parameter in group["params"]:
                grad = parameter.grad
                if grad is not None:
                    updated.append(parameter)
                    parameter.array -= learning_rate * grad.array
                    if id(parameter) not in state:  # (its state, empty, as update() leaves it)
                        state[id(parameter)] = {}
        finally:  # (stamped even if an update raised: the ones before it were written)
            self.written(updated)

    def update(self, parameter: Tensor, g: Any, state: dict, group: dict) -> None:
        if group["weight_decay"]:
            g = g + group["weight_decay"] * parameter.array
        momentum = group["momentum"]
        if momentum:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = g.copy()
            else:
                state["momentum_buffer"] = momentum * state["momentum_buffer"] + (1 - group["dampening"]) * g
            buffer = state["momentum_buffer"]
            g = g + momentum * buffer if group["nesterov"] else buffer
        parameter.array -= group["lr"] * g


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011): each coordinate's step shrinks with its summed squared gradients:

        s ← s + g²;   p ← p − lr_t · g / (√s + ε),   lr_t = lr / (1 + (t − 1) · lr_decay)
    """

    defaults = {"lr": 1e-2, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10,
                "maximize": False}

    def update(self, parameter: Tensor, g: Any, state: dict, group: dict) -> None:
        xp = array_module(g)
        if not state:
            state["step"] = 0
            state["sum"] = xp.full_like(parameter.array, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * parameter.array
        learning_rate = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] = state["sum"] + g * g
        parameter.array -= learning_rate * g / (xp.sqrt(state["sum"]) + group["eps"])


class RMSprop(Optimizer):
    """RMSprop (Hinton 2012): divide by a running root mean square of the gradient:

        v ← α v + (1 − α) g²;   p ← p − lr · g / (√v + ε)
        (centered: v − (mean g)² in place of v; with momentum μ: b ← μ b + g / (√v + ε), p ← p − lr · b)
    """

    defaults = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False,
                "maximize": False}

    def update(self, parameter: Tensor, g: Any, state: dict, group: dict) -> None:
        xp = array_module(g)
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(parameter.array)
            if group["momentum"]:
                state["momentum_buffer"] = xp.zeros_like(parameter.array)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(parameter.array)
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * parameter.array
        alpha = group["alpha"]
        state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * g * g
        if group["centered"]:
            state["grad_avg"] = alpha * state["grad_avg"] + (1 - alpha) * g
            average = xp.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + group["eps"]
        else:
            average = xp.sqrt(state["square_avg"]) + group["eps"]
        if group["momentum"]:
            state["momentum_buffer"] = group["momentum"] * state["momentum_buffer"] + g / average
            parameter.array -= group["lr"] * state["momentum_buffer"]
        else:
            parameter.array -= group["lr"] * g / average


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): momentum and RMS scaling, both bias-corrected:

        m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²
        p ← p − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)      (amsgrad: the running max of v)

    Weight decay here is L2 (g ← g + λ p); for decoupled weight decay use AdamW.
    """

    defaults = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False,
                "maximize": False}
    decoupled_weight_decay = False

    def update(self, parameter: Tensor, g: Any, state: dict, group: dict) -> None:
        xp = array_module(g)
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(parameter.array)
            state["exp_avg_sq"] = xp.zeros_like(parameter.array)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(parameter.array)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        if self.decoupled_weight_decay:
            parameter.array *= 1 - group["lr"] * group["weight_decay"]
        elif group["weight_decay"]:
            g = g + group["weight_decay"] * parameter.array
        state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g
        state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
        second_moment = state["exp_avg_sq"]
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = xp.maximum(state["max_exp_avg_sq"], second_moment)
            second_moment = state["max_exp_avg_sq"]
        bias_correction1 = 1 - beta1 ** state["step"]
        bias_correction2 = 1 - beta2 ** state["step"]
        denominator = xp.sqrt(second_moment) / math.sqrt(bias_correction2) + group["eps"]
        parameter.array -= (group["lr"] / bias_correction1) * state["exp_avg"] / denominator


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay, p ← p · (1 − lr · λ)
    before the Adam step. Default λ = 0.01, as in PyTorch."""

    defaults = {**Adam.defaults, "weight_decay": 1e-2}
    decoupled_weight_decay = True
