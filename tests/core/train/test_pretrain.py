"""Pretraining on the loop: it learns, it is deterministic, it resumes exactly, it stops on request."""

from __future__ import annotations

import math

import pytest
import torch

from core.data.lm import TokenSplits, shakespeare_char
from core.model.config import GPTConfig
from core.model.gpt import GPT
from core.train.checkpoint import load_checkpoint, save_checkpoint
from core.train.config import TrainConfig
from core.train.pretrain import TextSamples, lm_batches, pretrain
from core.train.report import History, StepEvent, StopTraining
from core.train.schedule import lr_at

SMALL = GPTConfig(vocab_size=65, block_size=32, n_layer=2, n_head=2, n_embd=32)
QUICK = TrainConfig(
    max_steps=12,
    batch_size=4,
    warmup_steps=3,
    eval_interval=6,
    eval_batches=2,
    device="cpu",
)


@pytest.fixture(scope="module")
def data(data_available) -> TokenSplits:
    return shakespeare_char()


def fresh(seed: int = 0, config: GPTConfig = SMALL) -> GPT:
    torch.manual_seed(seed)
    return GPT(config)


def test_overfits_one_fixed_batch_below_0_1_within_200_steps(data):
    # A training split of block_size + 4 tokens holds exactly 4 windows: every batch is
    # drawn from the same 4 sequences, so the model can memorise them.
    block = 32
    tiny = TokenSplits(data.train[: block + 4], data.val, data.vocab_size, data.decode, data.encode)
    config = TrainConfig(
        max_steps=200, batch_size=4, learning_rate=3e-3, min_lr=3e-3, warmup_steps=10,
        weight_decay=0.0, eval_interval=200, eval_batches=1, device="cpu",
    )  # fmt: skip

    def stop_when_memorised(event: StepEvent) -> None:
        if event.loss < 0.1:
            raise StopTraining

    model = fresh(0, SMALL.replace(n_embd=64))
    history = pretrain(model, tiny, config, callbacks=stop_when_memorised)
    assert history.losses[0] > 3.5  # ln 65 = 4.17 at the start
    assert history.losses[-1] < 0.1
    assert history.stopped_early and history.steps[-1] < 200


def test_same_seed_same_run_exactly(data):
    runs = [pretrain(fresh(0), data, QUICK) for _ in range(2)]
    assert runs[0].losses == runs[1].losses
    assert runs[0].val_losses == runs[1].val_losses
    other = pretrain(fresh(0), data, QUICK.replace(seed=1))
    assert other.losses != runs[0].losses  # the seed picks the batches


def test_history_and_events_report_what_happened(data):
    events: list[StepEvent] = []
    history = pretrain(fresh(0), data, QUICK, callbacks=[events.append])
    assert [e.step for e in events] == history.steps == list(range(1, 13))
    assert history.eval_steps == [6, 12]
    evaluated = [e for e in events if e.metrics]
    assert [e.step for e in evaluated] == [6, 12]
    assert [e.metrics["val_loss"] for e in evaluated] == history.val_losses
    assert [e.metrics["train_loss"] for e in evaluated] == history.metric("train_loss")
    assert [dict(e.metrics, step=e.step) for e in evaluated] == history.evals
    for e in events:  # the schedule is the one in core.train.schedule (step s -> update s - 1)
        assert e.lr == lr_at(e.step - 1, max_lr=1e-3, min_lr=1e-4, warmup_steps=3, decay_steps=12)
        assert e.tokens_per_s > 0 and e.grad_norm > 0 and math.isfinite(e.loss)
    assert history.losses[0] == pytest.approx(math.log(65), abs=0.15)  # uniform at the start
    rows = history.records()
    assert {r["split"] for r in rows} == {"train (batch)", "train", "val"}
    assert len(rows) == 12 + 2 * 2
    assert History.from_dict(history.to_dict()) == history


def test_text_samples_come_from_a_callback(data):
    model = fresh(0)
    printed = []
    samples = TextSamples(model, data, 4, tokens=20, on_sample=lambda *s: printed.append(s))
    history = pretrain(model, data, QUICK, callbacks=samples)
    assert [step for step, _ in samples.samples] == [4, 8, 12]
    assert all(text.startswith("\n") and len(text) == 21 for _, text in samples.samples)
    assert printed == samples.samples
    assert samples.sample() == samples.samples[-1][1]  # a fixed seed: the same model, same text
    assert "samples" not in history.to_dict()  # a report of the run, not part of its history
    with pytest.raises(ValueError, match="non-empty prompt"):
        TextSamples(model, data, 4, prompt="")


def test_lm_batches_are_the_windows_of_the_generator(data):
    draw = lm_batches(data.train, 4, 32)
    x, y = draw(torch.Generator().manual_seed(0))
    again, _ = draw(torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (4, 32) and torch.equal(x, again)
    assert torch.equal(x[:, 1:], y[:, :-1])  # y is x shifted by one


def test_a_callback_or_should_stop_ends_the_run(data, tmp_path):
    def stop_at_5(event: StepEvent) -> None:
        if event.step == 5:
            raise StopTraining

    path = tmp_path / "ckpt.safetensors"
    history = pretrain(fresh(0), data, QUICK, callbacks=stop_at_5, checkpoint_path=path)
    assert history.steps == [1, 2, 3, 4, 5] and history.stopped_early
    assert load_checkpoint(path).step == 5  # a stopped run still saves where it stopped

    calls = []
    history = pretrain(
        fresh(0), data, QUICK, should_stop=lambda: len(calls) >= 3, callbacks=calls.append
    )
    assert history.steps == [1, 2, 3] and history.stopped_early


def test_resume_reproduces_the_uninterrupted_run_exactly(data, tmp_path):
    # dropout and gradient accumulation on, so the global RNG and the batch stream both matter
    config = QUICK.replace(max_steps=10, grad_accum_steps=2, eval_interval=5)
    model_config = SMALL.replace(dropout=0.1)
    straight_model = fresh(0, model_config)
    straight = pretrain(straight_model, data, config)

    def stop_at_5(event: StepEvent) -> None:
        if event.step == 5:
            raise StopTraining

    path = tmp_path / "ckpt.safetensors"
    half = pretrain(fresh(0, model_config), data, config, callbacks=stop_at_5, checkpoint_path=path)
    assert half.losses == straight.losses[:5]
    assert load_checkpoint(path).step == 5

    resumed_model = fresh(123, model_config)  # other weights: everything must come from the file
    torch.manual_seed(999)  # and another global RNG state
    resumed = pretrain(resumed_model, data, config, resume_from=path)
    assert resumed.steps == list(range(1, 11))  # the history continues the saved one
    assert resumed.losses == straight.losses  # exactly, not approximately
    assert resumed.grad_norms == straight.grad_norms
    assert resumed.val_losses == straight.val_losses
    for a, b in zip(resumed_model.parameters(), straight_model.parameters()):
        assert torch.equal(a, b)


def test_gradient_accumulation_equals_one_bigger_batch(data):
    # 2 micro-batches of 4 windows draw the same windows as 1 batch of 8 (same generator
    # stream), and averaging their gradients equals the big batch's gradient.
    small = pretrain(fresh(0), data, QUICK.replace(batch_size=4, grad_accum_steps=2, max_steps=5))
    big = pretrain(fresh(0), data, QUICK.replace(batch_size=8, grad_accum_steps=1, max_steps=5))
    assert small.losses == pytest.approx(big.losses, rel=1e-5)
    assert small.grad_norms == pytest.approx(big.grad_norms, rel=1e-4)


def test_training_leaves_the_callers_global_rng_and_model_mode_alone(data):
    model = fresh(0, SMALL.replace(dropout=0.1)).eval()
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    pretrain(model, data, QUICK.replace(max_steps=2, warmup_steps=1))
    assert torch.equal(torch.rand(3), expected)
    assert not model.training


def test_bf16_autocast_runs_on_cpu(data):
    fp32 = pretrain(fresh(0), data, QUICK.replace(max_steps=2, warmup_steps=1, eval_interval=2))
    bf16 = pretrain(
        fresh(0),
        data,
        QUICK.replace(max_steps=2, warmup_steps=1, eval_interval=2, dtype="bfloat16"),
    )
    assert all(math.isfinite(v) for v in bf16.losses + bf16.val_losses)
    assert bf16.losses == pytest.approx(fp32.losses, abs=0.05)
    assert bf16.losses != fp32.losses  # it really ran in lower precision


def test_clear_errors(data, tmp_path):
    with pytest.raises(ValueError, match="float16"):
        pretrain(fresh(0), data, QUICK.replace(dtype="float16"))
    with pytest.raises(ValueError, match="vocab_size >= 65"):
        pretrain(fresh(0, SMALL.replace(vocab_size=50)), data, QUICK)
    weights_only = save_checkpoint(tmp_path / "w.safetensors", fresh(0))
    with pytest.raises(ValueError, match="weights only"):
        pretrain(fresh(0), data, QUICK, resume_from=weights_only)
    with pytest.raises(ValueError, match="another model: n_layer 2 -> 1"):
        pretrain(fresh(0, SMALL.replace(n_layer=1)), data, QUICK, resume_from=weights_only)
    with pytest.raises(ValueError, match="warmup_steps"):
        TrainConfig(max_steps=50, warmup_steps=100)
    with pytest.raises(ValueError, match="dtype"):
        TrainConfig(dtype="fp8")
    with pytest.raises(ValueError, match="unknown run"):
        TrainConfig.from_preset("gpt5")


@pytest.mark.slow
def test_shortened_shakespeare_char_cpu_run_beats_a_bigram_model(data):
    # The preset's model and hyperparameters, 300 updates instead of 2000 (warmup 20).
    # Measured on the project's 2-core machine (torch 2.13): val loss 2.4126 at seed 1337;
    # seeds 1 and 2 gave 2.3865 and 2.4234. The full 2000-update run reaches 1.886.
    torch.manual_seed(1337)
    model = GPT(GPTConfig.from_preset("shakespeare-char-cpu"))
    config = TrainConfig.from_preset(
        "shakespeare-char-cpu", max_steps=300, warmup_steps=20, eval_interval=300,
        device="cpu",
    )  # fmt: skip
    history = pretrain(model, data, config)
    # the best a bigram table (counts of character pairs) can do on the validation text
    counts = torch.zeros(65, 65).index_put_(
        (data.train[:-1], data.train[1:]), torch.ones(len(data.train) - 1), accumulate=True
    )
    probs = (counts + 0.1) / (counts + 0.1).sum(dim=1, keepdim=True)
    bigram = float(-probs[data.val[:-1], data.val[1:]].log().mean())
    assert bigram == pytest.approx(2.484, abs=0.001)
    assert history.val_losses[-1] < 2.47 < bigram
