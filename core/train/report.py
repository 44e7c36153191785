"""What a training run reports: a `StepEvent` after every update, and the `History` of them.

The loop (core.train.loop) hands each finished update to a `Reporter`, which appends it to
the `History`, builds the `StepEvent` and calls the callbacks. Evaluation metrics arrive as
a plain dict (whatever the run's evaluation hook returned: a validation loss, an accuracy, a
reward margin), so nothing here knows which task is being trained.

Example:
    >>> history = History()
    >>> reporter = Reporter(history, [lambda ev: print(ev.step, ev.metrics)], max_steps=2)
    >>> reporter.record(1, loss=4.2, lr=1e-3, grad_norm=0.9, tokens=768, seconds=0.1)
    1 {}
    False
    >>> reporter.record(2, loss=3.9, lr=1e-3, grad_norm=0.8, tokens=768, seconds=0.1,
    ...                 metrics={"val_loss": 3.95})
    2 {'val_loss': 3.95}
    False
    >>> history.metric("val_loss"), history.eval_steps
    ([3.95], [2])
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


class StopTraining(Exception):
    """Raise from a callback to end training after the current update (a Stop button)."""


@dataclass(frozen=True)
class StepEvent:
    """What a callback receives after each update.

    step counts finished updates (1 … max_steps); loss is the mean training loss of that
    update's micro-batches (over all processes); grad_norm is the global gradient norm
    before clipping; tokens_per_s counts training tokens (the elements of each micro-batch's
    first tensor) over training time so far, evaluation excluded. metrics holds what the
    evaluation hook returned on evaluation steps, and is empty on the others.
    """

    step: int
    max_steps: int
    loss: float
    lr: float
    grad_norm: float
    tokens_per_s: float
    elapsed_s: float
    metrics: Mapping[str, float] = field(default_factory=dict)


Callback = Callable[[StepEvent], Any]


@dataclass
class History:
    """Everything a run reported, as parallel lists ready to plot.

    steps/losses/lrs/grad_norms: one entry per update. evals: one dict per evaluation,
    {"step": s, <metric>: value, …}, as the evaluation hook returned it.
    """

    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    evals: list[dict[str, float]] = field(default_factory=list)
    tokens_per_s: float = 0.0
    stopped_early: bool = False

    @property
    def eval_steps(self) -> list[int]:
        return [int(e["step"]) for e in self.evals]

    def metric(self, name: str) -> list[float]:
        """One metric over the run, one value per evaluation that reported it."""
        return [e[name] for e in self.evals if name in e]

    @property
    def val_losses(self) -> list[float]:
        """`metric("val_loss")`: what language-model pretraining reports."""
        return self.metric("val_loss")

    def records(self) -> list[dict[str, Any]]:
        """Long-format rows {step, split, loss} for a loss chart (altair, pandas).

        split is "train (batch)" for the per-update loss; an evaluation metric named
        "<split>_loss" gives rows of that split ("val_loss" -> "val", "train_loss" -> "train").
        """
        rows = [
            {"step": s, "split": "train (batch)", "loss": v}
            for s, v in zip(self.steps, self.losses)
        ]
        for evaluation in self.evals:
            for name, value in evaluation.items():
                if name.endswith("_loss"):
                    split = name.removesuffix("_loss")
                    rows.append({"step": int(evaluation["step"]), "split": split, "loss": value})
        return rows

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """The inverse of `to_dict` (a history.json, a checkpoint's history)."""
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(
                f"not a History of this version (unknown fields {unknown}); it was written by "
                "an older course version: start a new run instead of resuming this one"
            )
        return cls(**data)


def call_back(callbacks: Iterable[Callback], event: StepEvent) -> bool:
    """Run every callback; True if one of them raised `StopTraining`."""
    stop = False
    for callback in callbacks:
        try:
            callback(event)
        except StopTraining:
            stop = True
    return stop


class Reporter:
    """Records each update into `history` and calls back; measures throughput.

    Throughput counts only the updates of this call to `train` (a resumed run starts
    its clock again) and only the time spent training, not evaluating.
    """

    def __init__(self, history: History, callbacks: Iterable[Callback], max_steps: int) -> None:
        self.history, self.max_steps = history, max_steps
        self.callbacks = list(callbacks)
        self.t_start = time.perf_counter()
        self.tokens = 0
        self.train_seconds = 0.0

    def record(
        self,
        step: int,
        *,
        loss: float,
        lr: float,
        grad_norm: float,
        tokens: int,
        seconds: float,
        metrics: Mapping[str, float] | None = None,
    ) -> bool:
        """Append update `step` to the history, emit its `StepEvent`; True if asked to stop."""
        history = self.history
        self.tokens += tokens
        self.train_seconds += seconds
        history.steps.append(step)
        history.losses.append(loss)
        history.lrs.append(lr)
        history.grad_norms.append(grad_norm)
        history.tokens_per_s = self.tokens / self.train_seconds
        metrics = dict(metrics or {})
        if metrics:
            history.evals.append({"step": step, **metrics})
        event = StepEvent(
            step=step,
            max_steps=self.max_steps,
            loss=loss,
            lr=lr,
            grad_norm=grad_norm,
            tokens_per_s=history.tokens_per_s,
            elapsed_s=time.perf_counter() - self.t_start,
            metrics=metrics,
        )
        return call_back(self.callbacks, event)
