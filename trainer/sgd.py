"""The optimizer step and the learning-rate schedule, written out in a few `torch._foreach_*` ops.

Why not torch.optim.SGD and OneCycleLR: creating any torch optimizer imports torch._dynamo (torch wraps its
methods in a lazily imported "disable dynamo" decorator). That is 0.9-1.6 s of every `trainer` process, and in
the app a stall of 200-360 ms in the window, since its extension modules hold the GIL in long stretches. The
arithmetic itself is a few lines, and these match torch's to float rounding (tests/test_sgd.py checks both
against torch, to 1e-6).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch


class NesterovSGD:
    """SGD with Nesterov momentum and L2 weight decay, as `torch.optim.SGD(..., nesterov=True)` computes it:

        g = grad + weight_decay * p;  buf = momentum * buf + g (buf = g at the first step);  p -= lr * (g + momentum * buf)

    `lr` and `momentum` are plain attributes; the schedule sets them before each step.
    """

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float, momentum: float, weight_decay: float = 0.0):
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.buffers: list[torch.Tensor] | None = None

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        # Every parameter of these nets gets a gradient at every step; a net with unused parameters would not.
        if any(p.grad is None for p in self.params):
            raise RuntimeError("NesterovSGD: a parameter has no gradient; every parameter must take part in the loss")
        params = self.params
        grads = [p.grad for p in params]
        if self.weight_decay:
            grads = torch._foreach_add(grads, params, alpha=self.weight_decay)
        if self.buffers is None:
            self.buffers = [g.detach().clone() for g in grads]
        else:
            torch._foreach_mul_(self.buffers, self.momentum)
            torch._foreach_add_(self.buffers, grads)
        update = torch._foreach_add(grads, self.buffers, alpha=self.momentum)
        torch._foreach_add_(params, update, alpha=-self.lr)


class OneCycle:
    """The one-cycle schedule of `torch.optim.lr_scheduler.OneCycleLR` with its defaults (cosine annealing, two
    phases, initial lr max_lr/25, final lr initial/1e4, momentum cycling from 0.95 down to 0.85 and back).

    `at(step)` gives (lr, momentum) for the optimizer step of that index (0, 1, ... total_steps - 1): what
    OneCycleLR has set on the optimizer when that step is taken.
    """

    def __init__(self, max_lr: float, total_steps: int, pct_start: float = 0.3, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, base_momentum: float = 0.85, max_momentum: float = 0.95):
        self.total_steps = total_steps
        initial = max_lr / div_factor
        # (last step of the phase, lr from, lr to, momentum from, momentum to), as OneCycleLR lays them out.
        self.phases = [(float(pct_start * total_steps) - 1, initial, max_lr, max_momentum, base_momentum),
                       (total_steps - 1, max_lr, initial / final_div_factor, base_momentum, max_momentum)]

    @staticmethod
    def _cos(start: float, end: float, pct: float) -> float:
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    def at(self, step: int) -> tuple[float, float]:
        start_step = 0.0
        for i, (end_step, lr_from, lr_to, m_from, m_to) in enumerate(self.phases):
            if step <= end_step or i == len(self.phases) - 1:
                pct = (step - start_step) / (end_step - start_step)
                return self._cos(lr_from, lr_to, pct), self._cos(m_from, m_to, pct)
            start_step = end_step
        raise AssertionError("unreachable")
