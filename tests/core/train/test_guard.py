"""A run whose loss goes NaN or inf stops at once, keeps its last finite weights, and never
writes them over a good checkpoint; float16's skipped steps are tolerated, a streak is not."""

from __future__ import annotations

import math

import pytest
import torch

from core.model.config import GPTConfig
from core.model.gpt import GPT
from core.train import TrainConfig, TrainingDiverged, train
from core.train.checkpoint import load_checkpoint
from core.train.guard import MAX_SKIPPED_IN_A_ROW, DivergenceGuard
from core.train.pretrain import lm_loss

NAN, INF = float("nan"), float("inf")
MODEL = GPTConfig(vocab_size=16, block_size=8, n_layer=1, n_head=2, n_embd=16)
CONFIG = TrainConfig(
    max_steps=8, batch_size=4, warmup_steps=1, eval_interval=4, checkpoint_interval=2,
    device="cpu",
)  # fmt: skip


def draw(generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randint(16, (4, 9), generator=generator)
    return x[:, :-1], x[:, 1:]


def model() -> GPT:
    torch.manual_seed(0)
    return GPT(MODEL)


def nan_from_update(bad: int):
    """lm_loss, but NaN from update `bad` on (a bad batch, an overflow)."""
    calls = []

    def loss_fn(model, batch):
        calls.append(1)
        loss = lm_loss(model, batch)
        return loss * NAN if len(calls) >= bad else loss

    return loss_fn


def test_without_a_scaler_the_first_non_finite_update_stops_the_run():
    guard = DivergenceGuard(skips_allowed=False)
    assert guard.check(loss=4.2, grad_norm=0.9) is None
    assert guard.check(loss=NAN, grad_norm=0.9) == "the loss is nan and the gradient norm 0.9"
    assert DivergenceGuard(skips_allowed=False).check(loss=3.0, grad_norm=INF) is not None


def test_with_a_float16_scaler_only_a_streak_of_skipped_steps_stops_the_run():
    guard = DivergenceGuard(skips_allowed=True)
    for _ in range(3):  # the scaler finding its scale: skipped steps, then a good one
        for _ in range(MAX_SKIPPED_IN_A_ROW - 1):
            assert guard.check(loss=2.0, grad_norm=INF) is None
        assert guard.check(loss=2.0, grad_norm=1.0) is None
    for _ in range(MAX_SKIPPED_IN_A_ROW - 1):
        assert guard.check(loss=NAN, grad_norm=NAN) is None
    why = guard.check(loss=NAN, grad_norm=NAN)
    assert f"{MAX_SKIPPED_IN_A_ROW} updates in a row overflowed float16" in why


def test_a_diverging_run_stops_and_leaves_the_last_good_checkpoint(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    net = model()
    with pytest.raises(TrainingDiverged) as caught:
        train(net, draw, nan_from_update(5), CONFIG, checkpoint_path=path)
    err = caught.value
    assert err.step == 5 and math.isnan(err.loss)
    message = str(err)
    assert message.startswith("training diverged at update 5: the loss is nan")
    assert f"{path} (update 4) is untouched" in message
    assert "lower the learning rate (this run's peak is 0.001)" in message
    assert err.history.steps == [1, 2, 3, 4]  # what ran before, for a chart
    ckpt = load_checkpoint(path)
    assert ckpt.step == 4  # not overwritten by the NaN update, nor by any later one
    for name, tensor in net.state_dict().items():  # the update was not applied
        assert torch.isfinite(tensor).all(), name
        assert torch.equal(ckpt.weights[name], tensor), name
    assert all(p.grad is None for p in net.parameters())


def test_a_learning_rate_of_a_million_diverges_within_a_few_updates():
    net = model()
    config = CONFIG.replace(learning_rate=1e6, min_lr=1e6, max_steps=50, warmup_steps=0)
    with pytest.raises(TrainingDiverged, match="this run's peak is 1e\\+06") as caught:
        train(net, draw, lm_loss, config)
    assert caught.value.step < 50
    assert all(torch.isfinite(p).all() for p in net.parameters())
