"""The training loop: `train(model, data, config, callbacks=...)` -> `History`.

Notation: B windows per micro-batch, T block size, A micro-batches per update
(`grad_accum_steps`), W processes (world size, 1 without torchrun), r this process's rank.

One update (optimizer step s = 0, 1, …):

    η ← lr_at(s)                                     warmup, then cosine (core.train.schedule)
    for each of this process's A/W micro-batches (x, y):
        loss = cross_entropy(model(x), y)            under autocast if dtype asks for it
        backward(loss / (A/W))                       gradients add up over micro-batches
    (DDP averages the gradients over the W processes during the last backward)
    clip the global gradient norm; AdamW step; zero the gradients

Which micro-batches each process gets: update s draws A micro-batches, j = 0 … A-1, from
one `torch.Generator` seeded with `config.seed` (every process draws all A, in the same
order, so their generators stay in step), and process r trains on those with j % W == r:
its k-th micro-batch is j = k·W + r. One process with A micro-batches and W processes with
A/W each therefore see exactly the same windows, and (up to rounding) the same gradients.

Randomness: batches come from that generator; evaluation batches from fixed seeds (the
same validation windows at every evaluation); samples from a seeded generator. Dropout
uses torch's global RNG, which is re-seeded at every update from (seed, s, r), so a run
resumed at update s draws exactly the masks the uninterrupted run drew. The caller's
global RNG state is restored when `train` returns.

Example:
    >>> model = GPT(GPTConfig.from_preset("shakespeare-char-cpu"))
    >>> history = train(model, shakespeare_char(), TrainConfig(max_steps=300),
    ...                 callbacks=lambda ev: print(ev.step, ev.loss))
    >>> history.val_losses[-1]   # about 2.4 after 300 updates (1.89 after the preset's 2000)

In a marimo lesson, a progress bar and a Stop button (the training runs in a thread, e.g.
`mo.Thread`, so that the button's click reaches a `threading.Event` while it runs):

    with mo.status.progress_bar(total=config.max_steps) as bar:
        history = train(model, data, config, callbacks=lambda ev: bar.update(),
                        should_stop=stop_event.is_set)
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from core.data.lm import TokenSplits, random_windows
from core.model.generate import generate
from core.train.checkpoint import load_checkpoint, save_checkpoint
from core.train.config import TRAIN_PRESETS, TrainConfig
from core.train.optim import clip_gradients, make_adamw
from core.train.schedule import lr_at

__all__ = [
    "TRAIN_PRESETS",
    "History",
    "StepEvent",
    "StopTraining",
    "TrainConfig",
    "resolve_device",
    "train",
]

EVAL_SEED_OFFSETS = {"val": 1, "train": 2}  # evaluation windows: fixed, never the batch stream
SAMPLE_SEED_OFFSET = 3
HARDWARE_OPTIONS = ("foreach", "fused", "capturable", "differentiable")


class StopTraining(Exception):
    """Raise from a callback to end training after the current update (a Stop button)."""


@dataclass(frozen=True)
class StepEvent:
    """What a callback receives after each update.

    step counts finished updates (1 … max_steps); loss is the mean training loss of that
    update's micro-batches; grad_norm is the global gradient norm before clipping;
    tokens_per_s counts training tokens over training time so far (evaluation excluded).
    val_loss and eval_train_loss are set on evaluation steps, sample on sampling steps.
    """

    step: int
    max_steps: int
    loss: float
    lr: float
    grad_norm: float
    tokens_per_s: float
    elapsed_s: float
    val_loss: float | None = None
    eval_train_loss: float | None = None
    sample: str | None = None


@dataclass
class History:
    """Everything a run reported, as parallel lists ready to plot.

    steps/losses/lrs/grad_norms: one entry per update. eval_steps/val_losses/
    eval_train_losses: one per evaluation. samples: (step, text) pairs.
    """

    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    val_losses: list[float] = field(default_factory=list)
    eval_train_losses: list[float] = field(default_factory=list)
    samples: list[tuple[int, str]] = field(default_factory=list)
    tokens_per_s: float = 0.0
    stopped_early: bool = False

    def records(self) -> list[dict[str, Any]]:
        """Long-format rows {step, split, loss} for a chart (altair, pandas).

        split is "train (batch)" for the per-update loss, "train" and "val" for evaluations.
        """
        rows = [
            {"step": s, "split": "train (batch)", "loss": v}
            for s, v in zip(self.steps, self.losses)
        ]
        for s, tr, va in zip(self.eval_steps, self.eval_train_losses, self.val_losses):
            rows.append({"step": s, "split": "train", "loss": tr})
            rows.append({"step": s, "split": "val", "loss": va})
        return rows

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        history = cls(**data)
        history.samples = [(int(s), str(t)) for s, t in history.samples]
        return history


Callback = Callable[[StepEvent], Any]


def resolve_device(name: str) -> torch.device:
    """The device to train on: "auto" picks cuda, then mps, then cpu; others as torch spells them."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but this PyTorch sees no CUDA GPU")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {name!r} asked for, but MPS is not available here")
    return device


def _dropout_seed(seed: int, step: int, rank: int) -> int:
    """A distinct global-RNG seed for every (run seed, update, process)."""
    return ((seed * 1_000_003 + step) * 1_009 + rank) % (2**63)


def _world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


@torch.no_grad()
def _mean_loss(
    model: nn.Module, tokens: torch.Tensor, config: TrainConfig, seed: int, device, autocast
) -> float:
    """Mean loss over `config.eval_batches` windows drawn from a generator seeded afresh."""
    generator = torch.Generator().manual_seed(seed)
    block_size = model.config.block_size
    was_training = model.training
    model.eval()
    total = torch.zeros((), device=device)
    for _ in range(config.eval_batches):
        x, y = random_windows(tokens, config.batch_size, block_size, generator, device)
        with autocast():
            _, loss = model(x, y)
        total += loss.float()
    model.train(was_training)
    return float(total) / config.eval_batches


def _check(model: nn.Module, data: TokenSplits, config: TrainConfig, world: int) -> None:
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    model_config = getattr(model, "config", None)
    if model_config is None:
        raise ValueError("model must be a core.model.gpt.GPT (it needs model.config)")
    if data.vocab_size > model_config.vocab_size:
        raise ValueError(
            f"the data has {data.vocab_size} token ids but the model only "
            f"{model_config.vocab_size}: build the model with vocab_size >= {data.vocab_size}"
        )
    if config.grad_accum_steps % world != 0:
        raise ValueError(
            f"grad_accum_steps ({config.grad_accum_steps}) must be a multiple of the number "
            f"of processes ({world}): each process takes the same number of micro-batches"
        )


def _autocast_factory(device: torch.device, dtype: str) -> Callable[[], Any]:
    if dtype == "float32":
        return contextlib.nullcontext
    if dtype == "float16" and device.type != "cuda":
        raise ValueError('dtype "float16" needs a CUDA device (it relies on a gradient scaler)')
    torch_dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
    return lambda: torch.autocast(device_type=device.type, dtype=torch_dtype)


def _fork_rng(device: torch.device):
    """Save torch's global RNG state now and restore it on exit."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return torch.random.fork_rng(devices=[index], device_type="cuda")
    return torch.random.fork_rng(devices=[])


def train(
    model: nn.Module,
    data: TokenSplits,
    config: TrainConfig | None = None,
    *,
    callbacks: Callback | Iterable[Callback] = (),
    should_stop: Callable[[], bool] | None = None,
    checkpoint_path: str | Path | None = None,
    resume_from: str | Path | None = None,
) -> History:
    """Train `model` (a `GPT`) on `data.train` in place; return the `History`.

    callbacks: called with a `StepEvent` after every update (on process 0 only); raising
        `StopTraining` ends the run after that update, as does `should_stop()` returning True.
    checkpoint_path: where to save (every `checkpoint_interval` updates, at the end, and
        where a run is stopped).
    resume_from: a checkpoint to continue from: weights, optimizer, batch stream, step and
        history are restored, and the run goes on to `config.max_steps`.
    The model is moved to `config.device`. Under torchrun (torch.distributed initialised)
    it is wrapped in DistributedDataParallel for the run; only process 0 evaluates,
    samples, calls back and saves.
    """
    config = config or TrainConfig()
    callbacks = [callbacks] if callable(callbacks) else list(callbacks)
    rank, world = _world()
    _check(model, data, config, world)
    device = resolve_device(config.device)
    autocast = _autocast_factory(device, config.dtype)
    model.to(device)
    optimizer = make_adamw(
        model,
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
        betas=(config.beta1, config.beta2),
        implementation=config.optimizer,
    )
    scaler = torch.amp.GradScaler("cuda") if config.dtype == "float16" else None
    batches = torch.Generator().manual_seed(config.seed)
    history, start = History(), 0
    if resume_from is not None:
        start, history = _restore(resume_from, model, optimizer, scaler, batches)
    ddp_model = model
    if world > 1:
        ids = [device.index] if device.type == "cuda" else None
        ddp_model = nn.parallel.DistributedDataParallel(model, device_ids=ids)
    reporter = _Reporter(model, data, config, device, autocast, callbacks, history)
    tokens_per_update = config.grad_accum_steps * config.batch_size * model.config.block_size
    train_time = 0.0
    was_training = model.training
    model.train()
    try:
        with _fork_rng(device):
            for step in range(start, config.max_steps):
                t0 = time.perf_counter()
                lr = lr_at(
                    step,
                    max_lr=config.learning_rate,
                    min_lr=config.min_lr,
                    warmup_steps=config.warmup_steps,
                    decay_steps=config.lr_decay_steps,
                )
                for group in optimizer.param_groups:
                    group["lr"] = lr
                torch.manual_seed(_dropout_seed(config.seed, step, rank))
                micro = _micro_batches(data.train, config, model, batches, device, rank, world)
                loss, grad_norm = _update(
                    ddp_model, optimizer, scaler, micro, autocast, config.grad_clip
                )
                train_time += time.perf_counter() - t0

                done = step + 1
                history.steps.append(done)
                history.losses.append(loss)
                history.lrs.append(lr)
                history.grad_norms.append(grad_norm)
                history.tokens_per_s = tokens_per_update * (done - start) / train_time
                stop = reporter.report(done, lr) if rank == 0 else False
                stop = stop or (should_stop is not None and bool(should_stop()))
                if world > 1:  # every process must agree to stop, or the others would hang
                    flag = torch.tensor(float(stop), device=device)
                    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
                    stop = bool(flag)
                interval = config.checkpoint_interval
                due = stop or done == config.max_steps or (interval and done % interval == 0)
                if checkpoint_path is not None and rank == 0 and due:
                    _save(checkpoint_path, model, config, done, optimizer, scaler, batches, history)
                if stop and done < config.max_steps:
                    history.stopped_early = True
                    break
    finally:
        model.train(was_training)
    return history


class _Reporter:
    """Process 0's side of each update: evaluate, sample, record, and call back."""

    def __init__(self, model, data, config, device, autocast, callbacks, history) -> None:
        self.model, self.data, self.config = model, data, config
        self.device, self.autocast = device, autocast
        self.callbacks, self.history = callbacks, history
        self.t_start = time.perf_counter()
        self.prompt = None
        if config.sample_interval:
            ids = data.encode(config.sample_prompt)
            self.prompt = torch.tensor([ids], dtype=torch.long, device=device)

    def report(self, done: int, lr: float) -> bool:
        """Evaluate/sample if due, emit the `StepEvent`; True if a callback asked to stop."""
        config, history = self.config, self.history
        extra: dict[str, Any] = {}
        if done % config.eval_interval == 0 or done == config.max_steps:
            val, tr = _evaluate(self.model, self.data, config, self.device, self.autocast)
            history.eval_steps.append(done)
            history.val_losses.append(val)
            history.eval_train_losses.append(tr)
            extra.update(val_loss=val, eval_train_loss=tr)
        if self.prompt is not None and done % config.sample_interval == 0:
            text = _sample(self.model, self.data, self.prompt, config)
            history.samples.append((done, text))
            extra["sample"] = text
        event = StepEvent(
            step=done,
            max_steps=config.max_steps,
            loss=history.losses[-1],
            lr=lr,
            grad_norm=history.grad_norms[-1],
            tokens_per_s=history.tokens_per_s,
            elapsed_s=time.perf_counter() - self.t_start,
            **extra,
        )
        return _call_back(self.callbacks, event)


def _call_back(callbacks: list[Callback], event: StepEvent) -> bool:
    """Run every callback; True if one of them asked to stop."""
    stop = False
    for callback in callbacks:
        try:
            callback(event)
        except StopTraining:
            stop = True
    return stop


def _micro_batches(
    tokens: torch.Tensor,
    config: TrainConfig,
    model: nn.Module,
    generator: torch.Generator,
    device: torch.device,
    rank: int,
    world: int,
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """This process's micro-batches of one update: j = rank, rank + W, rank + 2W, ...

    Every process draws all A micro-batches so that all generators stay in step.
    """
    micro = []
    block_size = model.config.block_size
    for j in range(config.grad_accum_steps):
        x, y = random_windows(tokens, config.batch_size, block_size, generator, device)
        if j % world == rank:
            micro.append((x, y))
    return micro


def _update(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None,
    micro: list[tuple[torch.Tensor, torch.Tensor]],
    autocast: Callable[[], Any],
    grad_clip: float,
) -> tuple[float, float]:
    """One optimizer update over `micro`; returns (mean loss over all processes, grad norm).

    Under DDP, gradients are averaged across processes only in the last micro-batch's
    backward (`no_sync` on the others), which is all that is needed and saves traffic.
    """
    ddp = isinstance(model, nn.parallel.DistributedDataParallel)
    loss_sum = torch.zeros((), device=micro[0][0].device)
    for k, (x, y) in enumerate(micro):
        sync = model.no_sync() if ddp and k < len(micro) - 1 else contextlib.nullcontext()
        with sync:
            with autocast():
                _, loss = model(x, y)
            scaled = loss / len(micro)  # the gradient of the mean over micro-batches
            (scaler.scale(scaled) if scaler is not None else scaled).backward()
        loss_sum += loss.detach().float()
    if scaler is not None:
        scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
    raw = model.module if ddp else model
    grad_norm = clip_gradients(raw.parameters(), grad_clip)
    if scaler is not None:
        scaler.step(optimizer)  # skips the step if the gradients overflowed
        scaler.update()
    else:
        optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    mean_loss = loss_sum / len(micro)
    if ddp:
        dist.all_reduce(mean_loss)
        mean_loss /= dist.get_world_size()
    return float(mean_loss), grad_norm


def _evaluate(
    model: nn.Module, data: TokenSplits, config: TrainConfig, device: torch.device, autocast
) -> tuple[float, float]:
    """(validation loss, training-split loss), each over fixed evaluation windows."""
    val = _mean_loss(
        model, data.val, config, config.seed + EVAL_SEED_OFFSETS["val"], device, autocast
    )
    tr = _mean_loss(
        model, data.train, config, config.seed + EVAL_SEED_OFFSETS["train"], device, autocast
    )
    return val, tr


def _sample(model: nn.Module, data: TokenSplits, prompt: torch.Tensor, config: TrainConfig) -> str:
    generator = torch.Generator(device=prompt.device).manual_seed(config.seed + SAMPLE_SEED_OFFSET)
    ids = generate(
        model,
        prompt[:, -model.config.block_size :],
        config.sample_tokens,
        temperature=config.sample_temperature,
        top_k=config.sample_top_k,
        generator=generator,
    )
    return data.decode(ids[0].tolist())


def _save(
    path: str | Path,
    model: nn.Module,
    config: TrainConfig,
    step: int,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None,
    batches: torch.Generator,
    history: History,
) -> None:
    save_checkpoint(
        path,
        model,
        optimizer=optimizer,
        step=step,
        train_config=config.to_dict(),
        rng={"batches": batches.get_state()},
        extra={
            "history": history.to_dict(),
            "scaler": scaler.state_dict() if scaler is not None else None,
        },
    )


def _restore(path, model, optimizer, scaler, batches) -> tuple[int, History]:
    ckpt = load_checkpoint(path)
    if ckpt.model_config != model.config:
        raise ValueError(
            f"checkpoint {path} holds a model of shape {ckpt.model_config}, but the model "
            f"given has {model.config}: build it with GPT(load_checkpoint(path).model_config)"
        )
    if ckpt.optimizer_state is None or "batches" not in ckpt.rng:
        raise ValueError(
            f"checkpoint {path} holds weights only (no optimizer or batch-stream state): "
            "load it with load_checkpoint(...).build_model() and start a new run instead"
        )
    model.load_state_dict(ckpt.weights)
    state = ckpt.optimizer_state
    for saved, current in zip(state["param_groups"], optimizer.param_groups):
        for key in HARDWARE_OPTIONS:  # how to compute belongs to this machine, not the file
            if key in current:
                saved[key] = current[key]
    optimizer.load_state_dict(state)
    batches.set_state(ckpt.rng["batches"])
    if scaler is not None and ckpt.extra.get("scaler"):
        scaler.load_state_dict(ckpt.extra["scaler"])
    history = History.from_dict(ckpt.extra["history"]) if "history" in ckpt.extra else History()
    return ckpt.step, history
