"""The training loop: it learns, it is deterministic, it resumes exactly, it stops on request."""

from __future__ import annotations

import math

import pytest
import torch

from core.data.lm import TokenSplits, shakespeare_char
from core.model.config import GPTConfig
from core.model.gpt import GPT
from core.train.checkpoint import load_checkpoint, save_checkpoint
from core.train.loop import History, StepEvent, StopTraining, TrainConfig, train
from core.train.schedule import lr_at


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models on a shared 2-core machine: one thread avoids OpenMP spinning against
    other processes (10x faster here); results do not depend on it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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
    history = train(model, tiny, config, callbacks=stop_when_memorised)
    assert history.losses[0] > 3.5  # ln 65 = 4.17 at the start
    assert history.losses[-1] < 0.1
    assert history.stopped_early and history.steps[-1] < 200


def test_same_seed_same_run_exactly(data):
    runs = [train(fresh(0), data, QUICK) for _ in range(2)]
    assert runs[0].losses == runs[1].losses
    assert runs[0].val_losses == runs[1].val_losses
    other = train(fresh(0), data, QUICK.replace(seed=1))
    assert other.losses != runs[0].losses  # the seed picks the batches


def test_history_and_events_report_what_happened(data):
    events: list[StepEvent] = []
    config = QUICK.replace(sample_interval=4, sample_tokens=20)
    history = train(fresh(0), data, config, callbacks=[events.append])
    assert [e.step for e in events] == history.steps == list(range(1, 13))
    assert history.eval_steps == [6, 12]
    assert [e.step for e in events if e.val_loss is not None] == [6, 12]
    assert [e.val_loss for e in events if e.val_loss is not None] == history.val_losses
    for e in events:  # the schedule is the one in core.train.schedule (step s -> update s - 1)
        assert e.lr == lr_at(e.step - 1, max_lr=1e-3, min_lr=1e-4, warmup_steps=3, decay_steps=12)
        assert e.tokens_per_s > 0 and e.grad_norm > 0 and math.isfinite(e.loss)
    samples = [e.sample for e in events if e.sample is not None]
    assert len(samples) == 3 and all(s.startswith("\n") and len(s) == 21 for s in samples)
    assert history.samples == list(zip([4, 8, 12], samples))
    assert history.losses[0] == pytest.approx(math.log(65), abs=0.15)  # uniform at the start
    rows = history.records()
    assert {r["split"] for r in rows} == {"train (batch)", "train", "val"}
    assert len(rows) == 12 + 2 * 2
    assert History.from_dict(history.to_dict()) == history


def test_a_callback_or_should_stop_ends_the_run(data, tmp_path):
    def stop_at_5(event: StepEvent) -> None:
        if event.step == 5:
            raise StopTraining

    path = tmp_path / "ckpt.safetensors"
    history = train(fresh(0), data, QUICK, callbacks=stop_at_5, checkpoint_path=path)
    assert history.steps == [1, 2, 3, 4, 5] and history.stopped_early
    assert load_checkpoint(path).step == 5  # a stopped run still saves where it stopped

    calls = []
    history = train(
        fresh(0), data, QUICK, should_stop=lambda: len(calls) >= 3, callbacks=calls.append
    )
    assert history.steps == [1, 2, 3] and history.stopped_early


def test_resume_reproduces_the_uninterrupted_run_exactly(data, tmp_path):
    # dropout and gradient accumulation on, so the global RNG and the batch stream both matter
    config = QUICK.replace(max_steps=10, grad_accum_steps=2, eval_interval=5)
    model_config = SMALL.replace(dropout=0.1)
    straight_model = fresh(0, model_config)
    straight = train(straight_model, data, config)

    def stop_at_5(event: StepEvent) -> None:
        if event.step == 5:
            raise StopTraining

    path = tmp_path / "ckpt.safetensors"
    half = train(fresh(0, model_config), data, config, callbacks=stop_at_5, checkpoint_path=path)
    assert half.losses == straight.losses[:5]
    assert load_checkpoint(path).step == 5

    resumed_model = fresh(123, model_config)  # other weights: everything must come from the file
    torch.manual_seed(999)  # and another global RNG state
    resumed = train(resumed_model, data, config, resume_from=path)
    assert resumed.steps == list(range(1, 11))  # the history continues the saved one
    assert resumed.losses == straight.losses  # exactly, not approximately
    assert resumed.grad_norms == straight.grad_norms
    assert resumed.val_losses == straight.val_losses
    for a, b in zip(resumed_model.parameters(), straight_model.parameters()):
        assert torch.equal(a, b)


def test_gradient_accumulation_equals_one_bigger_batch(data):
    # 2 micro-batches of 4 windows draw the same windows as 1 batch of 8 (same generator
    # stream), and averaging their gradients equals the big batch's gradient.
    small = train(fresh(0), data, QUICK.replace(batch_size=4, grad_accum_steps=2, max_steps=5))
    big = train(fresh(0), data, QUICK.replace(batch_size=8, grad_accum_steps=1, max_steps=5))
    assert small.losses == pytest.approx(big.losses, rel=1e-5)
    assert small.grad_norms == pytest.approx(big.grad_norms, rel=1e-4)


def test_training_leaves_the_callers_global_rng_and_model_mode_alone(data):
    model = fresh(0, SMALL.replace(dropout=0.1)).eval()
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    train(model, data, QUICK.replace(max_steps=2, warmup_steps=1))
    assert torch.equal(torch.rand(3), expected)
    assert not model.training


def test_bf16_autocast_runs_on_cpu(data):
    fp32 = train(fresh(0), data, QUICK.replace(max_steps=2, warmup_steps=1, eval_interval=2))
    bf16 = train(
        fresh(0),
        data,
        QUICK.replace(max_steps=2, warmup_steps=1, eval_interval=2, dtype="bfloat16"),
    )
    assert all(math.isfinite(v) for v in bf16.losses + bf16.val_losses)
    assert bf16.losses == pytest.approx(fp32.losses, abs=0.05)
    assert bf16.losses != fp32.losses  # it really ran in lower precision


def test_clear_errors(data, tmp_path):
    with pytest.raises(ValueError, match="float16"):
        train(fresh(0), data, QUICK.replace(dtype="float16"))
    with pytest.raises(ValueError, match="vocab_size >= 65"):
        train(fresh(0, SMALL.replace(vocab_size=50)), data, QUICK)
    weights_only = save_checkpoint(tmp_path / "w.safetensors", fresh(0))
    with pytest.raises(ValueError, match="weights only"):
        train(fresh(0), data, QUICK, resume_from=weights_only)
    with pytest.raises(ValueError, match="shape"):
        train(fresh(0, SMALL.replace(n_layer=1)), data, QUICK, resume_from=weights_only)
    with pytest.raises(ValueError, match="warmup_steps"):
        TrainConfig(max_steps=50, warmup_steps=100)
    with pytest.raises(ValueError, match="dtype"):
        TrainConfig(dtype="fp8")
    with pytest.raises(ValueError, match="unknown TrainConfig preset"):
        TrainConfig.from_preset("gpt5")


def test_presets_match_nanogpt_shakespeare_char():
    cpu = TrainConfig.from_preset("shakespeare-char-cpu")
    assert (cpu.max_steps, cpu.batch_size, cpu.learning_rate, cpu.min_lr) == (2000, 12, 1e-3, 1e-4)
    assert (cpu.warmup_steps, cpu.lr_decay_steps, cpu.eval_batches) == (100, 2000, 20)
    assert (cpu.beta1, cpu.beta2, cpu.weight_decay, cpu.grad_clip) == (0.9, 0.99, 0.1, 1.0)
    gpu = TrainConfig.from_preset("shakespeare-char")
    assert (gpu.max_steps, gpu.batch_size, gpu.eval_batches) == (5000, 64, 200)
    model = GPTConfig.from_preset("shakespeare-char")
    assert (model.n_layer, model.n_head, model.n_embd, model.block_size, model.dropout) == (
        6,
        6,
        384,
        256,
        0.2,
    )
    gpt2 = TrainConfig.from_preset("gpt2-124m")
    assert gpt2.grad_accum_steps * gpt2.batch_size * 1024 == 65_536
    assert (gpt2.learning_rate, gpt2.min_lr, gpt2.beta2) == (6e-4, 6e-5, 0.95)


@pytest.mark.slow
def test_shortened_shakespeare_char_cpu_run_beats_a_bigram_model(data):
    # The preset's model and hyperparameters, 300 updates instead of 2000 (warmup 20).
    # Measured on the project's 2-core machine (torch 2.13): val loss 2.4126 at seed 1337;
    # seeds 1 and 2 gave 2.3865 and 2.4234. The full 2000-update run reaches 1.886.
    torch.manual_seed(1337)
    model = GPT(GPTConfig.from_preset("shakespeare-char-cpu"))
    config = TrainConfig.from_preset(
        "shakespeare-char-cpu", max_steps=300, warmup_steps=20, eval_interval=300,
        sample_interval=0, device="cpu",
    )  # fmt: skip
    history = train(model, data, config)
    # the best a bigram table (counts of character pairs) can do on the validation text
    counts = torch.zeros(65, 65).index_put_(
        (data.train[:-1], data.train[1:]), torch.ones(len(data.train) - 1), accumulate=True
    )
    probs = (counts + 0.1) / (counts + 0.1).sum(dim=1, keepdim=True)
    bigram = float(-probs[data.val[:-1], data.val[1:]].log().mean())
    assert bigram == pytest.approx(2.484, abs=0.001)
    assert history.val_losses[-1] < 2.47 < bigram
