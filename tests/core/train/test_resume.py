"""Resuming checks the file against the run that continues it: a finished run, a changed batch
stream, a corrupt step or broken weights are refused; other changes are said, once."""

from __future__ import annotations

import json
import warnings

import pytest
import torch
from safetensors import safe_open

from core.model.config import GPTConfig
from core.model.gpt import GPT
from core.train import (
    CheckpointError,
    ResumeError,
    ResumeNotice,
    StopTraining,
    TrainConfig,
    train,
)
from core.train.checkpoint import CheckpointWarning
from core.train.optim import make_adamw
from core.train.pretrain import lm_loss
from core.train.resume import restore_run
from tests.core.train.damage import rewrite_checkpoint

MODEL = GPTConfig(vocab_size=16, block_size=8, n_layer=1, n_head=2, n_embd=16)
CONFIG = TrainConfig(
    max_steps=6, batch_size=4, warmup_steps=1, eval_interval=3, device="cpu", optimizer="fused"
)


def draw(generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randint(16, (4, 9), generator=generator)
    return x[:, :-1], x[:, 1:]


def model(seed: int = 0) -> GPT:
    torch.manual_seed(seed)
    return GPT(MODEL)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A checkpoint after all 6 updates of CONFIG."""
    path = tmp_path_factory.mktemp("run") / "ckpt.safetensors"
    train(model(), draw, lm_loss, CONFIG, checkpoint_path=path)
    return path


def resume(path, config: TrainConfig):
    return train(model(1), draw, lm_loss, config, resume_from=path)


def test_a_finished_run_says_so_and_how_to_extend_it(finished):
    with pytest.raises(
        ResumeError, match=r"after update 6, .* ends at update 6 .* already finished"
    ):
        resume(finished, CONFIG)
    with pytest.raises(ResumeError, match="--max-iters N with N > 6"):
        resume(finished, CONFIG.replace(max_steps=4, warmup_steps=0))
    with pytest.warns(
        ResumeNotice, match=r"max_steps 6 -> 8 \(the cosine decay now ends at update 8\)"
    ):
        history = resume(finished, CONFIG.replace(max_steps=8))
    assert history.steps == list(range(1, 9))


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"seed": 1}, "seed 1337 -> 1"),
        ({"batch_size": 8}, "batch_size 4 -> 8"),
        ({"grad_accum_steps": 2}, "grad_accum_steps 1 -> 2"),
    ],
)
def test_a_changed_batch_stream_is_refused(finished, change, said):
    config = CONFIG.replace(max_steps=8, **change)
    with pytest.raises(ResumeError, match=f"belongs to another run: {said} .stored -> given."):
        resume(finished, config)


def test_allowed_changes_are_said_in_one_notice(finished):
    config = CONFIG.replace(max_steps=8, learning_rate=5e-4, min_lr=5e-5, eval_interval=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resume(finished, config)
    notices = [w for w in caught if issubclass(w.category, ResumeNotice)]
    assert len(notices) == 1
    text = str(notices[0].message)
    assert "at update 6 with settings changed from the stored run" in text
    for change in ("max_steps 6 -> 8", "learning_rate 0.001 -> 0.0005", "eval_interval 3 -> 4"):
        assert change in text
    assert "\n" not in text


def test_where_and_how_fast_change_silently(tmp_path):
    def stop_at_3(event) -> None:
        if event.step == 3:
            raise StopTraining

    path = tmp_path / "ckpt.safetensors"
    train(model(), draw, lm_loss, CONFIG, callbacks=stop_at_3, checkpoint_path=path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = resume(path, CONFIG.replace(optimizer="loop", device="auto"))
    assert history.steps == list(range(1, 7))


def test_the_optimizer_takes_the_new_settings_and_the_stored_state(finished):
    net = model(1)
    optimizer = make_adamw(net, lr=1e-3, weight_decay=0.5, betas=(0.8, 0.9))
    generator = torch.Generator()
    with pytest.warns(ResumeNotice, match="weight_decay 0.1 -> 0.5"):
        restore_run(finished, net, optimizer, None, generator, CONFIG.replace(
            max_steps=8, weight_decay=0.5, beta1=0.8, beta2=0.9))  # fmt: skip
    decayed, vectors = optimizer.param_groups
    assert (decayed["weight_decay"], vectors["weight_decay"]) == (0.5, 0.0)
    assert decayed["betas"] == (0.8, 0.9)
    assert all(len(optimizer.state[p]) == 3 for p in net.parameters())  # step, exp_avg, exp_avg_sq


def test_a_corrupt_step_is_refused_not_a_schedule_error(finished, tmp_path):
    path = tmp_path / "ckpt.safetensors"
    rewrite_checkpoint(finished, path, step=-1)
    with pytest.raises(CheckpointError, match="is corrupt: it says it was saved after update -1"):
        resume(path, CONFIG)


@pytest.mark.filterwarnings("ignore::core.train.ResumeNotice")
def test_non_finite_weights_in_an_old_checkpoint_are_refused(finished, tmp_path):
    path = tmp_path / "ckpt.safetensors"
    with safe_open(finished, framework="pt") as handle:
        weight = handle.get_tensor("model.transformer.wpe.weight")
    weight[0, 0] = float("nan")  # what a diverged run saved before checkpoints refused NaN
    rewrite_checkpoint(
        finished, path, digests=None, tensors={"model.transformer.wpe.weight": weight}
    )
    with pytest.warns(CheckpointWarning), pytest.raises(CheckpointError, match="NaN or inf"):
        resume(path, CONFIG.replace(max_steps=8))


def test_optimizer_state_for_other_parameters_is_refused_with_what_to_do(finished, tmp_path):
    """A run saved when q, k and v were three parameters per block: more Adam states than the
    model has parameters. Its weights load; resuming its optimizer is refused by name."""
    with safe_open(finished, framework="pt") as handle:
        document = json.loads(handle.metadata()["course"])
    groups = document["optimizer"]["param_groups"]
    extra = max(i for g in groups for i in g["params"]) + 1
    groups[0]["params"] += [extra, extra + 1]  # two more matrices than the model has
    old = tmp_path / "old.safetensors"
    rewrite_checkpoint(finished, old, optimizer=document["optimizer"])
    with (
        pytest.warns(ResumeNotice, match="max_steps 6 -> 8"),
        pytest.raises(ResumeError, match=r"older version of the course.*start a new run"),
    ):
        resume(old, CONFIG.replace(max_steps=8))
