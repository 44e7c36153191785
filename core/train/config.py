"""`TrainConfig`: the hyperparameters of one training run, whatever the task.

The model's shape lives in `GPTConfig` (core.model.config), the data and the task in what is
handed to `train` (batches, loss, evaluation); everything about *how* the weights are
updated lives here: optimisation, schedule, how often to evaluate and save, seed, hardware.
The course's named runs (core.train.runs) pair one of these with a model and a data set;
`TrainConfig.from_preset(name)` is the training half of such a run.

Steps count optimizer updates. One update averages the gradients of `grad_accum_steps`
micro-batches of `batch_size` examples each (split over the processes under torchrun): for
language modelling, batch_size × grad_accum_steps × block_size tokens.

Example:
    >>> cfg = TrainConfig.from_preset("shakespeare-char-cpu", max_steps=300)
    >>> cfg.batch_size, cfg.learning_rate, cfg.max_steps
    (12, 0.001, 300)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

DTYPES = ("float32", "bfloat16", "float16")
OPTIMIZER_IMPLEMENTATIONS = ("auto", "foreach", "fused", "loop")


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimisation, schedule, evaluation, checkpoints, hardware.

    batch_size and eval_batches are read by whatever makes the batches and evaluates
    (core.train.pretrain for language modelling); the loop itself reads the rest.
    """

    max_steps: int = 2000
    batch_size: int = 12  # examples (LM: windows) per micro-batch
    grad_accum_steps: int = 1  # micro-batches per update, over all processes together
    learning_rate: float = 1e-3  # peak, reached at the end of warmup
    min_lr: float = 1e-4  # floor of the cosine decay
    warmup_steps: int = 100
    decay_steps: int | None = None  # update at which the decay reaches min_lr (None: max_steps)
    weight_decay: float = 0.1  # on matrices only (see core.train.optim)
    beta1: float = 0.9
    beta2: float = 0.99
    grad_clip: float = 1.0  # max global gradient norm; 0 disables clipping
    eval_interval: int = 250  # evaluate every this many updates, and after the last
    eval_batches: int = 20  # an evaluation averages over this many fixed batches
    checkpoint_interval: int = 0  # save every this many updates (0: only at the end)
    seed: int = 1337
    dtype: str = "float32"  # "bfloat16" or "float16" run the forward pass under autocast
    device: str = "auto"  # "auto" picks cuda, then mps, then cpu
    optimizer: str = "auto"  # AdamW implementation: auto, foreach, fused, loop

    def __post_init__(self) -> None:
        positive = ("max_steps", "batch_size", "grad_accum_steps", "eval_interval", "eval_batches")
        non_negative = ("warmup_steps", "checkpoint_interval")
        for name in positive + non_negative:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"TrainConfig.{name} must be an int, got {value!r}")
            if value < (1 if name in positive else 0):
                bound = "positive" if name in positive else ">= 0"
                raise ValueError(f"TrainConfig.{name} must be {bound}, got {value}")
        if not 0.0 <= self.min_lr <= self.learning_rate:
            raise ValueError(
                f"TrainConfig needs 0 <= min_lr <= learning_rate, got min_lr={self.min_lr}, "
                f"learning_rate={self.learning_rate}"
            )
        if self.lr_decay_steps < self.warmup_steps:
            raise ValueError(
                f"TrainConfig.warmup_steps ({self.warmup_steps}) is longer than the schedule "
                f"(decay ends at update {self.lr_decay_steps}): lower warmup_steps or raise "
                "max_steps / decay_steps"
            )
        for name in ("beta1", "beta2"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"TrainConfig.{name} must be in [0, 1), got {getattr(self, name)}")
        if self.weight_decay < 0 or self.grad_clip < 0:
            raise ValueError("TrainConfig.weight_decay and grad_clip must be >= 0")
        if self.dtype not in DTYPES:
            raise ValueError(f"TrainConfig.dtype must be one of {DTYPES}, got {self.dtype!r}")
        if self.optimizer not in OPTIMIZER_IMPLEMENTATIONS:
            raise ValueError(
                f"TrainConfig.optimizer must be one of {OPTIMIZER_IMPLEMENTATIONS}, "
                f"got {self.optimizer!r}"
            )

    @property
    def lr_decay_steps(self) -> int:
        """The update at which the cosine reaches min_lr."""
        return self.max_steps if self.decay_steps is None else self.decay_steps

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build from a dict, rejecting unknown keys."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig fields {unknown}; known fields: {sorted(known)}")
        return cls(**data)

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> TrainConfig:
        """The training of the named run `name` (core.train.runs), some fields overridden."""
        from core.train.runs import get_run  # the runs table imports this module

        base = get_run(name).train
        return replace(base, **overrides) if overrides else base
