"""Saving a run mid-flight and continuing it exactly: the glue between the loop and checkpoints.

A run's state after update s is more than its weights. To continue as if never stopped,
the file (core.train.checkpoint) also holds

    optimizer    AdamW's moments and step counts (so update s+1 is the same update)
    batches      the batch generator's state (so the next windows are the same windows)
    history      what was reported so far (so the charts continue)
    scaler       the float16 gradient scaler's state, when there is one

Dropout needs nothing saved: its masks are re-seeded at every update from (seed, s, r)
(core.train.runtime.step_seed). The optimizer's settings (betas, weight decay, fused or
not) come from the run that continues, its state (moments, step counts) from the file.

Resuming checks the file against the run that continues it (`TrainConfig` stored vs given):

    refused (ResumeError)   seed, batch_size, grad_accum_steps: the batches and dropout masks
                            from update s on would not be the stored run's, so it would not be
                            a continuation; also a finished run (s >= max_steps), another
                            model shape, weights that are not finite
    allowed, with one       max_steps (extends the run; with decay_steps unset the cosine is
    ResumeNotice line       stretched to the new end), learning rate and the rest of the
                            schedule and optimizer (lowering the rate after a divergence is how
                            a run is rescued), dtype, evaluation and checkpoint intervals
    allowed silently        device, optimizer implementation: where and how fast, not what

Example:
    >>> save_run(path, model, config, 5, optimizer, None, generator, history)
    >>> step, history = restore_run(path, model, optimizer, None, generator)
    >>> step
    5
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core.train.checkpoint import (
    CheckpointError,
    first_non_finite,
    load_checkpoint,
    save_checkpoint,
)
from core.train.config import TrainConfig
from core.train.report import History

REFUSED_CHANGES = ("seed", "batch_size", "grad_accum_steps")  # the batch stream itself
SILENT_CHANGES = ("device", "optimizer")  # where and how fast, not what is computed


class ResumeError(ValueError):
    """A checkpoint that cannot continue the run asked for (finished, another run, other model)."""


class ResumeNotice(UserWarning):
    """A run resumes with settings changed from the stored run's (allowed; said once)."""


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
    config: TrainConfig | None = None,
) -> tuple[int, History]:
    """Load a `save_run` file into model, optimizer, scaler and generator; (step, history).

    config: the run that continues; it is checked against the stored one (see the module's
    docstring). Raises ResumeError for what cannot continue, CheckpointError for a corrupt
    file; warns ResumeNotice once, naming every allowed change.
    """
    ckpt = load_checkpoint(path)
    if ckpt.model_config != model.config:
        raise ResumeError(
            f"checkpoint {path} holds another model: "
            f"{_differences(ckpt.model_config.to_dict(), model.config.to_dict())} (stored -> "
            "given); build the stored one, GPT(load_checkpoint(path).model_config), or start "
            "a new run"
        )
    if ckpt.optimizer_state is None or "batches" not in ckpt.rng:
        raise ResumeError(
            f"checkpoint {path} holds weights only (no optimizer or batch-stream state): "
            "load it with load_checkpoint(...).build_model() and start a new run instead"
        )
    if config is not None:
        _check_config(path, ckpt.step, ckpt.train_config, config)
    optimizer_tensors = {
        f"optimizer state {index}.{key}": value
        for index, entries in ckpt.optimizer_state["state"].items()
        for key, value in entries.items()
        if isinstance(value, torch.Tensor)
    }
    broken = first_non_finite({**ckpt.weights, **optimizer_tensors})
    if broken is not None:
        raise CheckpointError(
            f"checkpoint {path} holds NaN or inf values in {broken}: it was saved by a run that "
            "had diverged, or it is corrupt; resume from an earlier checkpoint or start a new run"
        )
    model.load_state_dict(ckpt.weights)
    state = ckpt.optimizer_state
    for saved, current in zip(state["param_groups"], optimizer.param_groups):
        # settings (betas, weight decay, fused, …) from the run that continues; state from the file
        saved.update({key: value for key, value in current.items() if key != "params"})
    saved_sizes = [len(group["params"]) for group in state["param_groups"]]
    if saved_sizes != [len(group["params"]) for group in optimizer.param_groups]:
        # e.g. a run saved before q, k and v became one c_attn: its weights still load (the
        # model fuses them), but Adam's moments are per old parameter and cannot follow
        raise ResumeError(
            f"checkpoint {path} holds optimizer state for {sum(saved_sizes)} parameters, but "
            f"this model has {sum(len(g['params']) for g in optimizer.param_groups)}: it was "
            "written by an older version of the course. Its weights still load "
            "(load_checkpoint(path).build_model()); start a new run from them instead of resuming"
        )
    optimizer.load_state_dict(state)
    batches.set_state(ckpt.rng["batches"])
    if scaler is not None and ckpt.extra.get("scaler"):
        scaler.load_state_dict(ckpt.extra["scaler"])
    history = History.from_dict(ckpt.extra["history"]) if "history" in ckpt.extra else History()
    return ckpt.step, history


def _differences(stored: dict[str, Any], given: dict[str, Any]) -> str:
    """'name a -> b, …' for every field that differs. Example: 'n_layer 4 -> 2'."""
    return ", ".join(
        f"{name} {stored[name]!r} -> {given[name]!r}"
        for name in given
        if name in stored and stored[name] != given[name]
    )


def _check_config(
    path: str | Path, step: int, stored: dict[str, Any] | None, config: TrainConfig
) -> None:
    """Refuse what cannot continue the stored run; one ResumeNotice for what changes."""
    if step >= config.max_steps:
        raise ResumeError(
            f"checkpoint {path} was saved after update {step}, and this run ends at update "
            f"{config.max_steps} (max_steps): it is already finished. To train further, resume "
            f"with a larger max_steps (python -m core.train: --max-iters N with N > {step})"
        )
    if stored is None:
        return
    given = config.to_dict()
    refused = {k: stored[k] for k in REFUSED_CHANGES if k in stored and stored[k] != given[k]}
    if refused:
        raise ResumeError(
            f"checkpoint {path} belongs to another run: "
            f"{_differences(refused, given)} (stored -> given). From update {step} on, the "
            "batches would not be the ones the stored run draws; resume with the stored values, "
            "or start a new run (without resume, or into another checkpoint)"
        )
    noted = {k: v for k, v in stored.items() if k not in SILENT_CHANGES and k in given}
    changes = _differences(noted, given)
    if changes:
        if (
            config.decay_steps is None
            and noted.get("max_steps", config.max_steps) != config.max_steps
        ):
            changes += f" (the cosine decay now ends at update {config.max_steps})"
        warnings.warn(
            f"resuming {path} at update {step} with settings changed from the stored run: "
            f"{changes}",
            ResumeNotice,
            stacklevel=4,
        )
