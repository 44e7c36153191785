"""Saving a run mid-flight and continuing it exactly: the glue between the loop and checkpoints.

A run's state after update s is more than its weights. To continue as if never stopped,
the file (core.train.checkpoint) also holds

    optimizer    AdamW's moments and step counts (so update s+1 is the same update)
    batches      the batch generator's state (so the next windows are the same windows)
    history      what was reported so far (so the charts continue)
    scaler       the float16 gradient scaler's state, when there is one

Dropout needs nothing saved: its masks are re-seeded at every update from (seed, s, r)
(core.train.runtime.step_seed). How the optimizer computes (fused, foreach) belongs to the
machine that resumes, not to the file.

Example:
    >>> save_run(path, model, config, 5, optimizer, None, generator, history)
    >>> step, history = restore_run(path, model, optimizer, None, generator)
    >>> step
    5
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from core.train.checkpoint import load_checkpoint, save_checkpoint
from core.train.config import TrainConfig
from core.train.report import History

HARDWARE_OPTIONS = ("foreach", "fused", "capturable", "differentiable")


def save_run(
    path: str | Path,
    model: nn.Module,
    config: TrainConfig,
    step: int,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None,
    batches: torch.Generator,
    history: History,
) -> Path:
    """Write everything `restore_run` needs to continue after update `step`."""
    return save_checkpoint(
        path,
        model,
        optimizer=optimizer,
        step=step,
        train_config=config.to_dict(),
        rng={"batches": batches.get_state()},
        extra={
            "history": history.to_dict(),
            "scaler": scaler.state_dict() if scaler is not None else None,
        },
    )


def restore_run(
    path: str | Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None,
    batches: torch.Generator,
) -> tuple[int, History]:
    """Load a `save_run` file into model, optimizer, scaler and generator; (step, history)."""
    ckpt = load_checkpoint(path)
    if ckpt.model_config != model.config:
        raise ValueError(
            f"checkpoint {path} holds a model of shape {ckpt.model_config}, but the model "
            f"given has {model.config}: build it with GPT(load_checkpoint(path).model_config)"
        )
    if ckpt.optimizer_state is None or "batches" not in ckpt.rng:
        raise ValueError(
            f"checkpoint {path} holds weights only (no optimizer or batch-stream state): "
            "load it with load_checkpoint(...).build_model() and start a new run instead"
        )
    model.load_state_dict(ckpt.weights)
    state = ckpt.optimizer_state
    for saved, current in zip(state["param_groups"], optimizer.param_groups):
        for key in HARDWARE_OPTIONS:
            if key in current:
                saved[key] = current[key]
    optimizer.load_state_dict(state)
    batches.set_state(ckpt.rng["batches"])
    if scaler is not None and ckpt.extra.get("scaler"):
        scaler.load_state_dict(ckpt.extra["scaler"])
    history = History.from_dict(ckpt.extra["history"]) if "history" in ckpt.extra else History()
    return ckpt.step, history
