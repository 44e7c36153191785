"""`TrainConfig`: the hyperparameters of one training run, and the course's named presets.

The model's shape lives in `GPTConfig` (core.model.config); everything about *how* it is trained
lives here. Presets share names with the `GPTConfig` presets of the models they train:

| preset                 | model        | data                         | batch (tokens/update)     |
|------------------------|--------------|------------------------------|---------------------------|
| `shakespeare-char-cpu` | 4 × 4 × 128  | Tiny Shakespeare, characters | 12 × 64 = 768             |
| `shakespeare-char`     | 6 × 6 × 384  | Tiny Shakespeare, characters | 64 × 256 = 16,384         |
| `gpt2-124m`            | 12 × 12 × 768| Tiny Shakespeare, GPT-2 BPE  | 8 × 1024 × 8 = 65,536     |

The two character-level presets are nanoGPT's `train_shakespeare_char` configuration and
its "baby GPT" for a laptop CPU: AdamW (β₁ 0.9, β₂ 0.99, weight decay 0.1), peak learning
rate 1e-3 after 100 warmup updates, cosine decay to 1e-4 at the last update, gradients
clipped to norm 1, validation loss every 250 updates (20 batches for the CPU preset, 200 on
the GPU).

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
    """How to train: optimisation, schedule, evaluation, sampling, checkpoints, hardware.

    Steps count optimizer updates. One update averages the gradients of
    `grad_accum_steps` micro-batches of `batch_size` windows each (split over the
    processes when running under torchrun), so an update sees
    batch_size × grad_accum_steps × block_size tokens.
    """

    max_steps: int = 2000
    batch_size: int = 12  # windows per micro-batch
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
    eval_batches: int = 20  # validation loss = mean over this many fixed batches
    sample_interval: int = 0  # generate a sample every this many updates (0: never)
    sample_tokens: int = 200
    sample_prompt: str = "\n"
    sample_temperature: float = 1.0
    sample_top_k: int | None = None
    checkpoint_interval: int = 0  # save every this many updates (0: only at the end)
    seed: int = 1337
    dtype: str = "float32"  # "bfloat16" or "float16" run the forward pass under autocast
    device: str = "auto"  # "auto" picks cuda, then mps, then cpu
    optimizer: str = "auto"  # AdamW implementation: auto, foreach, fused, loop

    def __post_init__(self) -> None:
        positive = ("max_steps", "batch_size", "grad_accum_steps", "eval_interval", "eval_batches")
        non_negative = ("warmup_steps", "sample_interval", "sample_tokens", "checkpoint_interval")
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
        if self.sample_interval and not self.sample_prompt:
            raise ValueError("TrainConfig.sample_prompt must not be empty when sampling")

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
        """A named preset (see `TRAIN_PRESETS`), optionally with fields overridden."""
        try:
            base = TRAIN_PRESETS[name]
        except KeyError:
            raise ValueError(
                f"unknown TrainConfig preset {name!r}; choose one of {sorted(TRAIN_PRESETS)}"
            ) from None
        return replace(base, **overrides) if overrides else base


TRAIN_PRESETS: dict[str, TrainConfig] = {
    # nanoGPT's CPU "baby GPT" run of train_shakespeare_char (eval_iters 20, dropout 0).
    "shakespeare-char-cpu": TrainConfig(
        max_steps=2000,
        batch_size=12,
        learning_rate=1e-3,
        min_lr=1e-4,
        warmup_steps=100,
        eval_interval=250,
        eval_batches=20,
        sample_interval=500,
    ),
    # nanoGPT's train_shakespeare_char on a GPU (dropout 0.2 lives in the model preset).
    "shakespeare-char": TrainConfig(
        max_steps=5000,
        batch_size=64,
        learning_rate=1e-3,
        min_lr=1e-4,
        warmup_steps=100,
        eval_interval=250,
        eval_batches=200,
        sample_interval=1000,
    ),
    # GPT-2 small from scratch on GPT-2 BPE tokens: GPT-3 paper's small-model settings
    # (peak 6e-4, floor 6e-5, β₂ 0.95), 65,536 tokens per update through accumulation.
    # Tiny Shakespeare is only ~0.3M BPE tokens, so this overfits within a few hundred updates.
    "gpt2-124m": TrainConfig(
        max_steps=1000,
        batch_size=8,
        grad_accum_steps=8,
        learning_rate=6e-4,
        min_lr=6e-5,
        warmup_steps=100,
        beta2=0.95,
        eval_interval=100,
        eval_batches=20,
        sample_interval=250,
    ),
}
