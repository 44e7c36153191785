"""The generic loop: the same `train` that pretrains also trains a classifier, with its own
batches, loss and evaluation, and resumes it exactly."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from core.model.config import GPTConfig
from core.model.gpt import GPT
from core.train import StopTraining, TrainConfig, train
from core.train.runtime import count_tokens, step_seed, to_device

V, T = 16, 12  # vocabulary, sequence length
FIRST, SECOND = 1, 2  # the two marker tokens; the other positions hold ids 4 … 15


def order_task(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Sequences holding tokens 1 and 2 once each; label 1 if 1 comes first, else 0.

    Both classes hold the same tokens, so counting tokens gives chance (0.5): the model must
    attend to where they are. Example row, label 1: [7, 1, 12, 5, 2, 9, …].
    """
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(4, V, (n, T), generator=g)
    y = torch.randint(2, (n,), generator=g)
    where = torch.rand(n, T, generator=g).argsort(dim=1)[:, :2].sort(dim=1).values  # p < q
    rows = torch.arange(n)
    x[rows, where[:, 0]] = torch.where(y == 1, FIRST, SECOND)
    x[rows, where[:, 1]] = torch.where(y == 1, SECOND, FIRST)
    return x, y


TRAIN_X, TRAIN_Y = order_task(2048, 0)
VAL_X, VAL_Y = order_task(512, 1)
CONFIG = TrainConfig(
    max_steps=100, batch_size=32, learning_rate=3e-3, min_lr=3e-4, warmup_steps=10,
    eval_interval=20, device="cpu",
)  # fmt: skip


def classifier(seed: int = 0) -> GPT:
    """A small GPT body whose LM head is replaced by a 2-way linear head (lesson 14's recipe)."""
    torch.manual_seed(seed)
    model = GPT(GPTConfig(vocab_size=V, block_size=T, n_layer=2, n_head=2, n_embd=32))
    model.lm_head = nn.Linear(32, 2)
    return model


def draw(generator: torch.Generator) -> dict[str, torch.Tensor]:
    """32 labelled sequences, sampled with replacement: a dict batch, to show any shape works."""
    i = torch.randint(len(TRAIN_X), (CONFIG.batch_size,), generator=generator)
    return {"ids": TRAIN_X[i], "labels": TRAIN_Y[i]}


def last_token_logits(model: nn.Module, ids: torch.Tensor) -> torch.Tensor:
    logits, _ = model(ids)  # (B, T, 2)
    return logits[:, -1]  # the last position has seen the whole sequence


def loss_fn(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return F.cross_entropy(last_token_logits(model, batch["ids"]), batch["labels"])


def accuracy(model: nn.Module) -> dict[str, float]:
    assert not model.training and not torch.is_grad_enabled()  # the loop's promise
    logits = last_token_logits(model, VAL_X)
    return {
        "val_accuracy": float((logits.argmax(-1) == VAL_Y).float().mean()),
        "val_loss": float(F.cross_entropy(logits, VAL_Y)),
    }


def test_the_same_loop_trains_a_classifier():
    model = classifier()
    with torch.no_grad():
        before = accuracy(model.eval())["val_accuracy"]
    events = []
    history = train(model, draw, loss_fn, CONFIG, evaluate=accuracy, callbacks=events.append)
    assert 0.4 < before < 0.6  # chance
    acc = history.metric("val_accuracy")
    assert history.eval_steps == [20, 40, 60, 80, 100]
    assert acc[-1] >= 0.97 and acc[-1] > acc[0]  # measured: 0.744 at 20, 0.836 at 40, 0.998 at 100
    assert [e.metrics["val_accuracy"] for e in events if e.metrics] == acc
    assert history.losses[-1] < 0.1 < history.losses[0]
    assert history.tokens_per_s > 0  # ids counted: 32 × 12 per update
    assert {r["split"] for r in history.records()} == {"train (batch)", "val"}


def test_a_classifier_run_resumes_exactly(tmp_path):
    config = CONFIG.replace(max_steps=12, eval_interval=6)
    straight_model = classifier()
    straight = train(straight_model, draw, loss_fn, config, evaluate=accuracy)

    def stop_at_5(event) -> None:
        if event.step == 5:
            raise StopTraining

    path = tmp_path / "ckpt.safetensors"
    half = train(classifier(), draw, loss_fn, config, callbacks=stop_at_5, checkpoint_path=path)
    assert half.stopped_early and half.steps == [1, 2, 3, 4, 5]
    resumed_model = classifier(seed=7)
    resumed = train(resumed_model, draw, loss_fn, config, evaluate=accuracy, resume_from=path)
    assert resumed.losses == straight.losses  # bit for bit
    assert resumed.metric("val_accuracy") == straight.metric("val_accuracy")
    for a, b in zip(resumed_model.parameters(), straight_model.parameters()):
        assert torch.equal(a, b)


def test_config_must_be_a_train_config():
    with pytest.raises(TypeError, match="TrainConfig"):
        train(classifier(), draw, loss_fn, {"max_steps": 3})


def test_batches_of_any_shape_reach_the_device_and_are_counted():
    batch = {"ids": torch.zeros(4, 8, dtype=torch.long), "labels": torch.zeros(4)}
    moved = to_device(batch, torch.device("cpu"))
    assert moved.keys() == batch.keys() and torch.equal(moved["ids"], batch["ids"])
    assert count_tokens(batch) == 32
    assert count_tokens((torch.zeros(12, 64), torch.zeros(12, 64))) == 768
    assert count_tokens([torch.zeros(3)]) == 3
    with pytest.raises(TypeError, match="first entry"):
        count_tokens({"n": 3})


def test_step_seeds_differ_across_updates_and_ranks():
    seeds = {step_seed(1337, s, r) for s in range(100) for r in range(4)}
    assert len(seeds) == 400
