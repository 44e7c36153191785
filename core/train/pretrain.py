"""Language-model pretraining: what the generic loop needs to learn to predict the next token.

The loop (core.train.loop) takes batches, a loss and an evaluation; for pretraining they are

    batches   lm_batches: B random windows of T+1 tokens from the training split, cut into
              x (B, T) and y = x shifted left by one (core.data.lm.random_windows)
    loss      lm_loss: mean cross-entropy of the model's next-token logits against y
    evaluate  lm_evaluation: {"val_loss", "train_loss"}, each the mean loss over the same
              fixed windows at every evaluation (seeds seed+1 and seed+2, never the batches)

and `pretrain(model, data, config)` wires the three. A `TextSamples` callback shows what the
model writes as it learns (samples are a report, not part of the loop or of the history).

Example:
    >>> data = shakespeare_char()
    >>> model = GPT(GPTConfig.from_preset("shakespeare-char-cpu"))
    >>> history = pretrain(model, data, TrainConfig.from_preset("shakespeare-char-cpu"))
    >>> round(history.val_losses[-1], 3)          # after 2,000 updates on one CPU
    1.886
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from core.data.lm import TokenSplits, random_windows
from core.model.generate import generate
from core.train.config import TrainConfig
from core.train.loop import train
from core.train.report import History, StepEvent

EVAL_SEED_OFFSETS = {"val_loss": 1, "train_loss": 2}  # fixed evaluation windows
SAMPLE_SEED_OFFSET = 3

Windows = tuple[torch.Tensor, torch.Tensor]


def lm_batches(
    tokens: torch.Tensor, batch_size: int, block_size: int
) -> Callable[[torch.Generator], Windows]:
    """A batch maker for `train`: each call draws (x, y), both (B, T), from `generator`."""

    def draw(generator: torch.Generator) -> Windows:
        return random_windows(tokens, batch_size, block_size, generator)

    return draw


def lm_loss(model: nn.Module, batch: Windows) -> torch.Tensor:
    """Mean next-token cross-entropy of `model` (a GPT) on windows (x, y)."""
    x, y = batch
    _, loss = model(x, y)
    return loss


def mean_loss(
    model: nn.Module, tokens: torch.Tensor, batch_size: int, batches: int, seed: int
) -> float:
    """Mean `lm_loss` over `batches` windows drawn from a generator seeded with `seed`."""
    generator = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    total = torch.zeros((), device=device)
    for _ in range(batches):
        x, y = random_windows(tokens, batch_size, model.config.block_size, generator, device)
        total += lm_loss(model, (x, y)).float()
    return float(total) / batches


def lm_evaluation(
    data: TokenSplits, *, batch_size: int, batches: int, seed: int
) -> Callable[[nn.Module], dict[str, float]]:
    """An evaluation hook: {"val_loss": …, "train_loss": …} over fixed windows of each split.

    The loop calls it without gradients, in eval mode and under the run's autocast.
    """

    def evaluate(model: nn.Module) -> dict[str, float]:
        splits = {"val_loss": data.val, "train_loss": data.train}
        return {
            name: mean_loss(model, splits[name], batch_size, batches, seed + offset)
            for name, offset in EVAL_SEED_OFFSETS.items()
        }

    return evaluate


def pretrain(
    model: nn.Module, data: TokenSplits, config: TrainConfig | None = None, **train_options: Any
) -> History:
    """Train `model` (a GPT) to predict the next token of `data.train`; see `train`.

    train_options: callbacks, should_stop, checkpoint_path, resume_from (as `train` takes).
    History.evals hold "val_loss" and "train_loss" every `config.eval_interval` updates.
    """
    config = config or TrainConfig()
    if data.vocab_size > model.config.vocab_size:
        raise ValueError(
            f"the data has {data.vocab_size} token ids but the model only "
            f"{model.config.vocab_size}: build the model with vocab_size >= {data.vocab_size}"
        )
    batches = lm_batches(data.train, config.batch_size, model.config.block_size)
    evaluate = lm_evaluation(
        data, batch_size=config.batch_size, batches=config.eval_batches, seed=config.seed
    )
    return train(model, batches, lm_loss, config, evaluate=evaluate, **train_options)


class TextSamples:
    """A callback: every `every` updates, sample `tokens` tokens after `prompt` and keep them.

    samples: (step, text) pairs, the prompt included; on_sample(step, text) is called with
    each, e.g. to print it. Every sample uses a generator seeded with `seed`, so samples at
    different steps differ only because the model changed.
    """

    def __init__(
        self,
        model: nn.Module,
        data: TokenSplits,
        every: int,
        *,
        prompt: str = "\n",
        tokens: int = 200,
        temperature: float = 1.0,
        top_k: int | None = None,
        seed: int = SAMPLE_SEED_OFFSET,
        on_sample: Callable[[int, str], Any] | None = None,
    ) -> None:
        if every < 0 or not prompt:
            raise ValueError(f"need every >= 0 and a non-empty prompt, got {every}, {prompt!r}")
        self.model, self.data, self.every = model, data, every
        self.prompt, self.tokens, self.seed = prompt, tokens, seed
        self.temperature, self.top_k = temperature, top_k
        self.on_sample = on_sample
        self.samples: list[tuple[int, str]] = []

    def __call__(self, event: StepEvent) -> None:
        if self.every and event.step % self.every == 0:
            text = self.sample()
            self.samples.append((event.step, text))
            if self.on_sample is not None:
                self.on_sample(event.step, text)

    def sample(self) -> str:
        """What the model writes now after the prompt."""
        device = next(self.model.parameters()).device
        ids = torch.tensor([self.data.encode(self.prompt)], dtype=torch.long, device=device)
        generator = torch.Generator(device=device).manual_seed(self.seed)
        out = generate(
            self.model,
            ids[:, -self.model.config.block_size :],
            self.tokens,
            temperature=self.temperature,
            top_k=self.top_k,
            generator=generator,
        )
        return self.data.decode(out[0].tolist())
