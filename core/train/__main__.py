"""`python -m core.train`: train a named run from the command line, alone or under torchrun.

    python -m core.train --preset shakespeare-char-cpu [--max-iters N] [--out DIR] [--resume]
    torchrun --standalone --nproc_per_node=2 -m core.train --preset shakespeare-char-cpu

The runs are the table in core.train.runs (model, training, data). Writes DIR/ckpt.safetensors
(core.train.checkpoint), DIR/history.json (the `History`) and DIR/samples.txt, shows a
progress bar with the loss, and prints evaluations and samples as they come.

Under torchrun (it sets RANK, WORLD_SIZE, LOCAL_RANK), each process joins a process group
(NCCL on CUDA, gloo on CPU), trains its share of every update's micro-batches inside
PyTorch's DistributedDataParallel, and process 0 alone prints and saves. `--grad-accum`
counts micro-batches over all processes together, so `torchrun --nproc_per_node=2 …
--grad-accum 4` trains on the same windows as one process with `--grad-accum 4`.

What it says instead of a traceback (one line on stderr), and its exit status:

    0   the run finished (or was stopped); notes such as "note: … warming up over 2 updates"
        or "note: resuming … with settings changed …" may come first
    1   error: training diverged at update s … (the loss went NaN or inf; nothing was saved
        from that update, and the last checkpoint is untouched)
    2   error: … something to change: a flag (--device cuda without a GPU, --model n_layer=0),
        a corrupt or unsuitable checkpoint for --resume, data that is not on this machine
    130 interrupted (Ctrl-C): the last checkpoint stands; --resume continues from it
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from core.data.atomic import write_text_atomically
from core.data.files import DataUnavailableError
from core.model.config import GPTConfig
from core.train import distributed
from core.train.checkpoint import CheckpointError
from core.train.config import TrainConfig
from core.train.guard import TrainingDiverged
from core.train.pretrain import SAMPLE_SEED_OFFSET, TextSamples, pretrain
from core.train.report import StepEvent
from core.train.resume import ResumeError, ResumeNotice
from core.train.runs import RUNS, Run
from core.train.runtime import autocast_for, resolve_device

EXIT_DIVERGED = 1
EXIT_USAGE = 2  # argparse's own status for a bad command line
EXIT_INTERRUPTED = 130  # the shell's status for a process ended by Ctrl-C (128 + SIGINT)


class UsageError(Exception):
    """Something on the command line (or what it points at) to change; one `error:` line."""


def _parse_override(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core.train", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--preset", required=True, choices=sorted(RUNS), help="the named run")
    parser.add_argument("--max-iters", type=int, help="number of updates (default: the run's)")
    parser.add_argument("--out", type=Path, help="output directory (default: out/PRESET)")
    parser.add_argument("--device", help="cpu, cuda, cuda:1, mps or auto (default)")
    parser.add_argument("--dtype", choices=["float32", "bfloat16", "float16"])
    parser.add_argument("--resume", action="store_true", help="continue from OUT/ckpt.safetensors")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--grad-accum", type=int, help="micro-batches per update, all processes")
    parser.add_argument("--lr", type=float, help="peak learning rate")
    parser.add_argument("--warmup", type=int, help="warmup updates")
    parser.add_argument("--eval-interval", type=int)
    parser.add_argument("--eval-iters", type=int, help="batches per evaluation")
    parser.add_argument("--sample-interval", type=int, help="0 disables samples")
    parser.add_argument("--checkpoint-interval", type=int, help="default: the eval interval")
    parser.add_argument("--seed", type=int)
    parser.add_argument(
        "--threads", type=int, help="torch.set_num_threads (1 is fastest on a busy shared CPU)"
    )
    parser.add_argument(
        "--model",
        action="append",
        type=_parse_override,
        default=[],
        metavar="KEY=VALUE",
        help="override a GPTConfig field of the run's model, e.g. --model n_layer=2",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


FLAGS = {  # TrainConfig field -> the flag that sets it
    "max_steps": "--max-iters",
    "batch_size": "--batch-size",
    "grad_accum_steps": "--grad-accum",
    "learning_rate": "--lr",
    "warmup_steps": "--warmup",
    "eval_interval": "--eval-interval",
    "eval_batches": "--eval-iters",
    "checkpoint_interval": "--checkpoint-interval",
    "seed": "--seed",
    "dtype": "--dtype",
}


def shortened_warmup(args: argparse.Namespace, run: Run) -> int | None:
    """The warmup for a run shorter than its preset's warmup (None: keep the preset's).

    The warmup keeps the preset's share of the run. Example: shakespeare-char-cpu warms up
    over 100 of 2000 updates (5%); with --max-iters 50 it warms up over 2.
    """
    preset = run.train
    if args.warmup is not None or args.max_iters is None or preset.decay_steps is not None:
        return None
    if args.max_iters >= preset.warmup_steps:
        return None
    return preset.warmup_steps * args.max_iters // preset.max_steps


def train_config(args: argparse.Namespace, run: Run, device: str) -> TrainConfig:
    """The run's TrainConfig with the command line's overrides; UsageError names the flag."""
    given = {field: getattr(args, flag[2:].replace("-", "_")) for field, flag in FLAGS.items()}
    given = {field: value for field, value in given.items() if value is not None}
    warmup = shortened_warmup(args, run)
    fields = given if warmup is None else {**given, "warmup_steps": warmup}
    try:
        config = run.train.replace(device=device, **fields)
        if args.checkpoint_interval is None:
            config = config.replace(checkpoint_interval=config.eval_interval)
    except ValueError as err:
        flags = [f"{FLAGS[f]} {v}" for f, v in given.items() if f in str(err)]
        raise UsageError(f"{', '.join(flags) + ': ' if flags else ''}{err}") from None
    return config


def model_config(args: argparse.Namespace, run: Run, vocab_size: int) -> GPTConfig:
    """The run's GPTConfig with the --model overrides; UsageError names the bad one."""
    overrides = dict(args.model)
    known = set(GPTConfig.__dataclass_fields__)
    unknown = [f"--model {k}={v}" for k, v in overrides.items() if k not in known]
    if unknown:
        raise UsageError(f"{', '.join(unknown)}: not a GPTConfig field; known: {sorted(known)}")
    overrides.setdefault("vocab_size", max(run.model.vocab_size, vocab_size))
    try:
        return GPTConfig.from_dict({**run.model.to_dict(), **overrides})
    except ValueError as err:
        bad = [f"--model {k}={v}" for k, v in dict(args.model).items() if k in str(err)]
        raise UsageError(f"{', '.join(bad)}: {err}" if bad else str(err)) from None


def device_for(args: argparse.Namespace) -> torch.device:
    """The --device, checked here so that a missing GPU is one line, not a traceback."""
    name = args.device or "auto"
    try:
        device = resolve_device(name)
    except (RuntimeError, ValueError) as err:  # torch.device("gpu") raises a RuntimeError
        raise UsageError(f"--device {name}: {err}; use --device cpu, or leave it out") from None
    try:
        autocast_for(device, args.dtype or "float32")
    except ValueError as err:
        raise UsageError(f"--dtype {args.dtype} on {device}: {err}; use bfloat16") from None
    return device


def checkpoint_path(args: argparse.Namespace) -> Path:
    """OUT/ckpt.safetensors, OUT being --out or out/PRESET."""
    return (args.out or Path("out") / args.preset) / "ckpt.safetensors"


def main(argv: list[str] | None = None) -> int:
    """Train; return the exit status (0, or EXIT_DIVERGED / EXIT_USAGE after one error line)."""
    args = build_parser().parse_args(argv)
    with _one_line_warnings():
        try:
            device_for(args)
            rank, _, device = distributed.init_from_environment(args.device or "auto")
            if args.threads:
                torch.set_num_threads(args.threads)
            try:
                return _run(args, device, rank)
            finally:
                distributed.shutdown()
        except KeyboardInterrupt:
            path = checkpoint_path(args)
            said = (
                f"{path} holds the last checkpoint; continue with the same command and --resume"
                if path.exists()
                else "no checkpoint was saved yet"
            )
            print(f"interrupted: {said}", file=sys.stderr)
            return EXIT_INTERRUPTED
        except TrainingDiverged as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_DIVERGED
        except (UsageError, CheckpointError, ResumeError, DataUnavailableError) as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_USAGE


@contextlib.contextmanager
def _one_line_warnings() -> Iterator[None]:
    """Show the library's warnings as "note: …" / "warning: …" lines (process 0 only)."""

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if distributed.world()[0] == 0:
            label = "note" if issubclass(category, ResumeNotice) else "warning"
            print(f"{label}: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def _run(args: argparse.Namespace, device: str, rank: int) -> int:
    from core.model.gpt import GPT

    run = RUNS[args.preset]
    config = train_config(args, run, device)
    warmup = shortened_warmup(args, run)
    if warmup is not None and rank == 0:
        print(
            f"note: --max-iters {args.max_iters} is shorter than the preset's warmup of "
            f"{run.train.warmup_steps} updates: warming up over {warmup} instead (the same share "
            "of the run; --warmup sets it)",
            file=sys.stderr,
        )
    ckpt_path = checkpoint_path(args)
    out = ckpt_path.parent
    data = run.data()
    torch.manual_seed(config.seed)  # the same initial weights in every process
    model = GPT(model_config(args, run, data.vocab_size))
    resume = ckpt_path if args.resume and ckpt_path.exists() else None
    if args.resume and resume is None and rank == 0:
        print(f"no checkpoint at {ckpt_path}: starting from scratch", file=sys.stderr)

    bar = None
    if rank == 0 and not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=config.max_steps, desc=args.preset, unit="step", dynamic_ncols=True)
    write = bar.write if bar is not None else print

    def report(event: StepEvent) -> None:
        metrics = event.metrics
        if "val_loss" in metrics:
            write(f"step {event.step}: train {metrics['train_loss']:.4f}, "
                  f"val {metrics['val_loss']:.4f}")  # fmt: skip
        if bar is not None:
            bar.n = event.step
            postfix = {"loss": f"{event.loss:.4f}", "lr": f"{event.lr:.2e}",
                       "tok/s": f"{event.tokens_per_s:,.0f}"}  # fmt: skip
            bar.set_postfix(postfix, refresh=True)

    every = run.sample_every if args.sample_interval is None else args.sample_interval
    samples = TextSamples(
        model, data, every, seed=config.seed + SAMPLE_SEED_OFFSET,
        on_sample=lambda step, text: write(f"--- sample at step {step} ---\n{text}\n---"),
    )  # fmt: skip
    try:
        history = pretrain(
            model, data, config, callbacks=[report, samples], checkpoint_path=ckpt_path,
            resume_from=resume,
        )  # fmt: skip
    finally:
        if bar is not None:
            bar.close()  # before any error line, so that it stands on its own
    if rank == 0:
        write_text_atomically(out / "history.json", json.dumps(history.to_dict()))
        text = "".join(f"--- step {step} ---\n{sample}\n" for step, sample in samples.samples)
        write_text_atomically(out / "samples.txt", text)
        if history.val_losses:
            print(
                f"final: step {history.eval_steps[-1]}, val loss {history.val_losses[-1]:.4f}, "
                f"{history.tokens_per_s:,.0f} tokens/s; checkpoint {ckpt_path}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
