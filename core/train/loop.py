"""The training loop: `train(model, batches, loss_fn, config, …)` -> `History`, for any task.

The task is what the caller hands in; the loop only knows how to update weights:

    batches(generator) -> batch       one micro-batch, all its randomness from `generator`
    loss_fn(model, batch) -> loss     a scalar tensor to minimise
    evaluate(model) -> {name: value}  metrics (a loss, an accuracy, a reward margin), optional

Pretraining passes windows of text and the next-token loss (core.train.pretrain);
classification, instruction tuning and DPO pass their own batches and losses to the same loop.

Notation: A micro-batches per update (`grad_accum_steps`), W processes (1 without
torchrun), r this process's rank, s the update (0, 1, …), η the learning rate.

One update s:

    η ← lr_at(s)                                  warmup, then cosine (core.train.schedule)
    draw A micro-batches from the generator; keep those with j % W == r (core.train.distributed)
    for each kept micro-batch b:
        ℓ = loss_fn(model, b)                     under autocast if config.dtype asks for it
        backward(ℓ / (A/W))                       gradients add up over micro-batches
    (DDP averages the gradients over the W processes during the last backward)
    clip the global gradient norm; AdamW step; zero the gradients
    (but first: a loss or gradient norm that is not finite stops the run; core.train.guard)
    every eval_interval updates (and after the last): metrics = evaluate(model)

Determinism (core.train.runtime): the batch generator is seeded with `config.seed` and saved
in checkpoints; dropout's masks are re-seeded at every update from (seed, s, r); so a run
resumed at update s continues exactly as the uninterrupted run did, bit for bit on a CPU.
The caller's global RNG state is restored when `train` returns.

Example (a classifier: GPT body + linear head, labels in, accuracy out):
    >>> def draw(generator):
    ...     i = torch.randint(len(ids), (16,), generator=generator)
    ...     return ids[i], labels[i]
    >>> def loss_fn(model, batch):
    ...     x, y = batch
    ...     return F.cross_entropy(model(x), y)
    >>> def accuracy(model):
    ...     return {"val_accuracy": float((model(val_ids).argmax(-1) == val_labels).float().mean())}
    >>> history = train(classifier, draw, loss_fn, TrainConfig(max_steps=300), evaluate=accuracy)
    >>> history.metric("val_accuracy")[-1]

In a marimo lesson, a progress bar and a Stop button (the training runs in a thread, e.g.
`mo.Thread`, so that the button's click reaches a `threading.Event` while it runs):

    with mo.status.progress_bar(total=config.max_steps) as bar:
        history = pretrain(model, data, config, callbacks=lambda ev: bar.update(),
                           should_stop=stop_event.is_set)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core.train import distributed
from core.train.config import TrainConfig
from core.train.guard import DivergenceGuard, diverged
from core.train.optim import apply_update, make_adamw, unscale_and_clip
from core.train.report import Callback, History, Reporter
from core.train.resume import restore_run, save_run
from core.train.runtime import (
    autocast_for,
    count_tokens,
    fork_rng,
    resolve_device,
    step_seed,
    to_device,
)
from core.train.schedule import lr_at

Batches = Callable[[torch.Generator], Any]
LossFn = Callable[[nn.Module, Any], torch.Tensor]
Evaluate = Callable[[nn.Module], Mapping[str, float]]


def train(
    model: nn.Module,
    batches: Batches,
    loss_fn: LossFn,
    config: TrainConfig | None = None,
    *,
    evaluate: Evaluate | None = None,
    callbacks: Callback | Iterable[Callback] = (),
    should_stop: Callable[[], bool] | None = None,
    checkpoint_path: str | Path | None = None,
    resume_from: str | Path | None = None,
) -> History:
    """Train `model` in place on `batches` by minimising `loss_fn`; return the `History`.

    evaluate: called every `config.eval_interval` updates and after the last, without
        gradients, in eval mode and under autocast; its metrics go to `History.evals`.
    callbacks: called with a `StepEvent` after every update (on process 0 only); raising
        `StopTraining` ends the run after that update, as does `should_stop()` returning True.
    checkpoint_path: where to save (every `checkpoint_interval` updates, at the end, and
        where a run is stopped); the model must carry a `GPTConfig` as `model.config`.
    resume_from: a checkpoint to continue from: weights, optimizer, batch stream, step and
        history are restored, and the run goes on to `config.max_steps`. `config` is compared
        with the stored one (core.train.resume: what may change, what may not).
    Raises `TrainingDiverged` (core.train.guard) when the loss or the gradients stop being
    finite, before that update touches the weights or any checkpoint.
    The model is moved to `config.device`. Under torchrun it is wrapped in
    DistributedDataParallel for the run; only process 0 evaluates, calls back and saves.
    """
    config = config or TrainConfig()
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    rank, world_size = distributed.world()
    device = resolve_device(config.device)
    autocast = autocast_for(device, config.dtype)
    model.to(device)
    optimizer = make_adamw(
        model,
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
        betas=(config.beta1, config.beta2),
        implementation=config.optimizer,
    )
    scaler = torch.amp.GradScaler("cuda") if config.dtype == "float16" else None
    generator = torch.Generator().manual_seed(config.seed)  # the batch stream
    history, start, saved = History(), 0, None
    if resume_from is not None:
        start, history = restore_run(resume_from, model, optimizer, scaler, generator, config)
        saved = f"{resume_from} (update {start})"
    guard = DivergenceGuard(skips_allowed=scaler is not None)
    ddp_model = distributed.wrap(model, device)
    callbacks = [callbacks] if callable(callbacks) else list(callbacks)
    reporter = Reporter(history, callbacks if rank == 0 else [], config.max_steps)
    was_training = model.training
    model.train()
    try:
        with fork_rng(device):
            for step in range(start, config.max_steps):
                t0 = time.perf_counter()
                lr = lr_at(step, max_lr=config.learning_rate, min_lr=config.min_lr,
                           warmup_steps=config.warmup_steps, decay_steps=config.lr_decay_steps)  # fmt: skip
                for group in optimizer.param_groups:
                    group["lr"] = lr
                torch.manual_seed(step_seed(config.seed, step, rank))  # dropout's masks
                draws = [batches(generator) for _ in range(config.grad_accum_steps)]
                mine = distributed.my_share(draws, rank, world_size)
                loss_sum = torch.zeros((), device=device)
                for k, batch in enumerate(mine):
                    with distributed.sync_gradients(ddp_model, last=k == len(mine) - 1):
                        with autocast():
                            loss = loss_fn(ddp_model, to_device(batch, device))
                        scaled = loss / len(mine)  # the gradient of the mean over micro-batches
                        (scaler.scale(scaled) if scaler is not None else scaled).backward()
                    loss_sum += loss.detach().float()
                grad_norm = unscale_and_clip(
                    optimizer, model.parameters(), config.grad_clip, scaler
                )
                loss = float(distributed.mean_over_processes(loss_sum / len(mine)))
                why = guard.check(loss=loss, grad_norm=grad_norm)  # the same on every process
                if why is not None:  # before the step: the weights stay the last finite ones
                    optimizer.zero_grad(set_to_none=True)
                    error = diverged(step + 1, why, loss=loss, grad_norm=grad_norm,
                                     learning_rate=config.learning_rate, float16=scaler is not None,
                                     checkpoint=saved)  # fmt: skip
                    error.history = history
                    raise error
                apply_update(optimizer, scaler)
                seconds = time.perf_counter() - t0

                done = step + 1
                due = done % config.eval_interval == 0 or done == config.max_steps
                metrics = {}
                if evaluate is not None and due and rank == 0:
                    metrics = _evaluate(evaluate, model, autocast)
                stop = reporter.record(done, loss=loss, lr=lr, grad_norm=grad_norm,
                                       tokens=sum(map(count_tokens, draws)), seconds=seconds,
                                       metrics=metrics)  # fmt: skip
                stop = distributed.agree(stop or bool(should_stop and should_stop()), device)
                interval = config.checkpoint_interval
                save = stop or done == config.max_steps or (interval and done % interval == 0)
                if checkpoint_path is not None and rank == 0 and save:
                    save_run(checkpoint_path, model, config, done, optimizer, scaler, generator,
                             history)  # fmt: skip
                    saved = f"{checkpoint_path} (update {done})"
                if stop and done < config.max_steps:
                    history.stopped_early = True
                    break
    finally:
        model.train(was_training)
    return history


@torch.no_grad()
def _evaluate(evaluate: Evaluate, model: nn.Module, autocast: Callable[[], Any]) -> dict:
    """Run the evaluation hook in eval mode, without gradients, under autocast."""
    was_training = model.training
    model.eval()
    try:
        with autocast():
            return {name: float(value) for name, value in evaluate(model).items()}
    finally:
        model.train(was_training)
