"""AdamW with weight decay on the weight matrices only, and gradient clipping.

Weight decay pulls every decayed parameter towards zero a little at each update
(θ ← θ - η·λ·θ, decoupled from the gradient: that is the "W" in AdamW). It is a
prior that the matrices should stay small. Biases and LayerNorm gains and offsets are
left alone: they are vectors that set offsets and scales, and shrinking a LayerNorm gain
towards zero would silence its layer rather than regularise it.

The rule used here: a parameter with two or more dimensions decays (every `nn.Linear`
weight and both embedding tables, the tied LM head among them), a parameter with one
dimension does not. That is GPT-2-style training's usual split.

Clipping rescales all gradients together when their global L2 norm
‖g‖ = sqrt(Σ_p Σ_i g_{p,i}²) exceeds a bound, so one unlucky batch cannot throw the
weights far; the direction of the update is unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn


def param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Two AdamW parameter groups: matrices (decayed) and vectors (not decayed).

    Each trainable parameter appears once (a tied weight is one parameter), in the
    order of `model.named_parameters()`. Each group carries `names` for inspection.
    Example: for GPT(tiny), group 0 holds wte, wpe and every Linear weight; group 1
    the biases and LayerNorm parameters, with weight_decay 0.0.
    """
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    decay: list[tuple[str, nn.Parameter]] = []
    no_decay: list[tuple[str, nn.Parameter]] = []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (decay if param.dim() >= 2 else no_decay).append((name, param))
    return [
        {
            "params": [p for _, p in decay],
            "names": [n for n, _ in decay],
            "weight_decay": weight_decay,
        },
        {
            "params": [p for _, p in no_decay],
            "names": [n for n, _ in no_decay],
            "weight_decay": 0.0,
        },
    ]


def make_adamw(
    model: nn.Module,
    *,
    lr: float,
    weight_decay: float,
    betas: tuple[float, float] = (0.9, 0.99),
    eps: float = 1e-8,
    implementation: str = "auto",
) -> torch.optim.AdamW:
    """AdamW over `param_groups(model, weight_decay)`.

    implementation: "fused" runs one fused kernel over all tensors (CPU and CUDA);
    "foreach" updates all tensors of a group in a few batched calls; "loop" updates one
    tensor at a time; "auto" is "fused" for parameters on CPU or CUDA (3x faster than the
    loop on this course's CPU model, about 5% of a training update) and PyTorch's own
    default elsewhere. All compute the same update; they differ in speed and in the last
    bits of rounding.
    """
    options = {
        "auto": {},
        "foreach": {"foreach": True},
        "fused": {"fused": True},
        "loop": {"foreach": False},
    }
    if implementation not in options:
        raise ValueError(f"implementation must be one of {sorted(options)}, got {implementation!r}")
    if implementation == "auto":
        devices = {p.device.type for p in model.parameters()}
        implementation = "fused" if devices <= {"cpu", "cuda"} else "auto"
    groups = param_groups(model, weight_decay)
    for group in groups:
        group.pop("names")  # not an optimizer option; kept out of its state dict
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps, **options[implementation])


def clip_gradients(parameters: Iterable[torch.Tensor], max_norm: float) -> float:
    """Scale gradients so their global L2 norm is at most `max_norm`; return the norm before.

    max_norm = 0 (or inf) measures without clipping. Parameters without a gradient are
    skipped. Example: grads [3, 4] with max_norm 1 -> returns 5.0, grads become [0.6, 0.8].
    """
    if max_norm < 0:
        raise ValueError(f"max_norm must be >= 0 (0 disables clipping), got {max_norm}")
    params = [p for p in parameters if p.grad is not None]
    if not params:
        return 0.0
    bound = math.inf if max_norm == 0 else max_norm
    return float(torch.nn.utils.clip_grad_norm_(params, bound))


def unscale_and_clip(
    optimizer: torch.optim.Optimizer,
    parameters: Iterable[torch.Tensor],
    grad_clip: float,
    scaler: torch.amp.GradScaler | None = None,
) -> float:
    """Clip the gradients and return their global norm before clipping (inf or NaN if they are).

    With a float16 gradient scaler the gradients are unscaled first, so that clipping bounds
    the true gradients. The caller looks at the norm (core.train.guard) before `apply_update`.
    """
    if scaler is not None:
        scaler.unscale_(optimizer)
    return clip_gradients(parameters, grad_clip)


def apply_update(optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler | None) -> None:
    """One optimizer step, then zero the gradients.

    With a gradient scaler the step is skipped if the gradients overflowed (`GradScaler.step`),
    and the scale is updated.
    """
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    optimizer.zero_grad(set_to_none=True)
