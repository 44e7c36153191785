"""The course's named training runs: one table, each run naming its model, training and data.

| run                    | model         | data                         | batch (tokens/update) |
|------------------------|---------------|------------------------------|-----------------------|
| `shakespeare-char-cpu` | 4 × 4 × 128   | Tiny Shakespeare, characters | 12 × 64 = 768         |
| `shakespeare-char`     | 6 × 6 × 384   | Tiny Shakespeare, characters | 64 × 256 = 16,384     |
| `gpt2-124m`            | 12 × 12 × 768 | Tiny Shakespeare, GPT-2 BPE  | 8 × 1024 × 8 = 65,536 |

The two character-level runs are nanoGPT's `train_shakespeare_char` configuration and its
"baby GPT" for a laptop CPU: AdamW (β₁ 0.9, β₂ 0.99, weight decay 0.1), peak learning rate
1e-3 after 100 warmup updates, cosine decay to 1e-4 at the last update, gradients clipped
to norm 1, validation loss every 250 updates (20 batches for the CPU run, 200 on the GPU).
The CPU run reaches a validation loss of 1.886 after its 2,000 updates (nanoGPT: 1.88).

`python -m core.train --preset NAME` trains one of these; a lesson can do the same by hand:

Example:
    >>> run = get_run("shakespeare-char-cpu")
    >>> model = GPT(run.model)
    >>> history = pretrain(model, run.data(), run.train.replace(max_steps=300))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.data.lm import TokenSplits, shakespeare_char, shakespeare_gpt2
from core.model.config import GPTConfig
from core.train.config import TrainConfig


@dataclass(frozen=True)
class Run:
    """A named run: the model to build, how to train it, and the loader of its tokens.

    sample_every: a text sample every this many updates during the run (0: none).
    """

    model: GPTConfig
    train: TrainConfig
    data: Callable[[], TokenSplits]
    sample_every: int = 0


# fmt: off
RUNS: dict[str, Run] = {
    # nanoGPT's CPU "baby GPT" run of train_shakespeare_char (eval_iters 20, dropout 0).
    "shakespeare-char-cpu": Run(
        model=GPTConfig.from_preset("shakespeare-char-cpu"),
        train=TrainConfig(
            max_steps=2000, batch_size=12, learning_rate=1e-3, min_lr=1e-4, warmup_steps=100,
            eval_interval=250, eval_batches=20,
        ),
        data=shakespeare_char,
        sample_every=500,
    ),
    # nanoGPT's train_shakespeare_char on a GPU (dropout 0.2 lives in the model preset).
    "shakespeare-char": Run(
        model=GPTConfig.from_preset("shakespeare-char"),
        train=TrainConfig(
            max_steps=5000, batch_size=64, learning_rate=1e-3, min_lr=1e-4, warmup_steps=100,
            eval_interval=250, eval_batches=200,
        ),
        data=shakespeare_char,
        sample_every=1000,
    ),
    # GPT-2 small from scratch on GPT-2 BPE tokens: GPT-3 paper's small-model settings
    # (peak 6e-4, floor 6e-5, β₂ 0.95), 65,536 tokens per update through accumulation.
    # Tiny Shakespeare is only ~0.3M BPE tokens, so this overfits within a few hundred updates.
    "gpt2-124m": Run(
        model=GPTConfig.from_preset("gpt2-124m"),
        train=TrainConfig(
            max_steps=1000, batch_size=8, grad_accum_steps=8, learning_rate=6e-4, min_lr=6e-5,
            warmup_steps=100, beta2=0.95, eval_interval=100, eval_batches=20,
        ),
        data=shakespeare_gpt2,
        sample_every=250,
    ),
}
# fmt: on


def get_run(name: str) -> Run:
    """The run called `name`; a ValueError lists the names there are."""
    try:
        return RUNS[name]
    except KeyError:
        raise ValueError(f"unknown run (preset) {name!r}; choose one of {sorted(RUNS)}") from None
