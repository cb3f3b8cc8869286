"""Learning-rate schedules, as ``torch.optim.lr_scheduler``."""

from __future__ import annotations

from typing import Any

from .optimizer import Optimizer


class StepLR:
    """Multiply every group's learning rate by ``gamma`` every ``step_size`` epochs
    (``gamma=0.5``: halve the rate every k epochs). Call ``step()`` once per epoch.

    >>> import tinygrad_rnn as tr
    >>> w = tr.zeros(1, requires_grad=True)
    >>> optimizer = tr.optim.SGD([w], lr=1.0)
    >>> schedule = StepLR(optimizer, step_size=2, gamma=0.5)
    >>> for epoch in range(5):
    ...     schedule.step()
    >>> schedule.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if step_size <= 0:
            raise ValueError(f"StepLR: step_size must be positive, got {step_size}")
        self.optimizer, self.step_size, self.gamma = optimizer, step_size, gamma
        self.last_epoch = 0

    def step(self) -> None:
        self.last_epoch += 1
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"] * self.gamma ** (self.last_epoch // self.step_size)

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return {"step_size": self.step_size, "gamma": self.gamma, "last_epoch": self.last_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.step_size, self.gamma = int(state["step_size"]), float(state["gamma"])
        self.last_epoch = int(state["last_epoch"])
