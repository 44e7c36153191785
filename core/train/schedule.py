"""The learning-rate schedule: linear warmup, then cosine decay to a floor.

Notation: s is the index of an optimizer update (0, 1, 2, …), W the number of warmup
updates, S the update at which the decay ends, η_max the peak rate and η_min the floor.

    s < W:        η(s) = η_max · (s + 1) / (W + 1)          climbs towards η_max
    W <= s <= S:  r = (s - W) / (S - W)
                  η(s) = η_min + ½ (1 + cos(π r)) (η_max - η_min)
    s > S:        η(s) = η_min

At s = W the rate is exactly η_max, at s = S exactly η_min, and in between it falls
monotonically along half a cosine. Warmup starts above zero so the first update moves
the weights at all; large updates at the start, while Adam's moment estimates are still
noisy, are what warmup avoids.

Example:
    >>> lr_at(100, max_lr=1e-3, min_lr=1e-4, warmup_steps=100, decay_steps=2000)
    0.001
    >>> lr_at(2000, max_lr=1e-3, min_lr=1e-4, warmup_steps=100, decay_steps=2000)
    0.0001
"""

from __future__ import annotations

import math


def lr_at(
    step: int,
    *,
    max_lr: float,
    min_lr: float,
    warmup_steps: int,
    decay_steps: int,
) -> float:
    """The learning rate for optimizer update number `step` (counting from 0).

    Warmup is linear over `warmup_steps` updates, then a cosine falls from `max_lr` at
    update `warmup_steps` to `min_lr` at update `decay_steps`, and stays there.
    """
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if warmup_steps < 0:
        raise ValueError(f"warmup_steps must be >= 0, got {warmup_steps}")
    if decay_steps < warmup_steps:
        raise ValueError(
            f"decay_steps ({decay_steps}) must be >= warmup_steps ({warmup_steps}): "
            "the decay starts where the warmup ends"
        )
    if not 0.0 <= min_lr <= max_lr:
        raise ValueError(f"need 0 <= min_lr <= max_lr, got min_lr={min_lr}, max_lr={max_lr}")
    if step < warmup_steps:
        return max_lr * (step + 1) / (warmup_steps + 1)
    if step >= decay_steps:
        return min_lr
    progress = (step - warmup_steps) / (decay_steps - warmup_steps)  # in [0, 1)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (max_lr - min_lr)
