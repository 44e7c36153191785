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
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

from core.data.atomic import write_text_atomically
from core.train import distributed
from core.train.config import TrainConfig
from core.train.pretrain import SAMPLE_SEED_OFFSET, TextSamples, pretrain
from core.train.report import StepEvent
from core.train.runs import RUNS, Run


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


def train_config(args: argparse.Namespace, run: Run, device: str) -> TrainConfig:
    """The run's TrainConfig with the command line's overrides."""
    fields = {
        "max_steps": args.max_iters,
        "batch_size": args.batch_size,
        "grad_accum_steps": args.grad_accum,
        "learning_rate": args.lr,
        "warmup_steps": args.warmup,
        "eval_interval": args.eval_interval,
        "eval_batches": args.eval_iters,
        "checkpoint_interval": args.checkpoint_interval,
        "seed": args.seed,
        "dtype": args.dtype,
    }
    config = run.train.replace(device=device, **{k: v for k, v in fields.items() if v is not None})
    if args.checkpoint_interval is None:
        config = config.replace(checkpoint_interval=config.eval_interval)
    return config


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    rank, _, device = distributed.init_from_environment(args.device or "auto")
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        return _run(args, device, rank)
    finally:
        distributed.shutdown()


def _run(args: argparse.Namespace, device: str, rank: int) -> int:
    from core.model.gpt import GPT

    run = RUNS[args.preset]
    config = train_config(args, run, device)
    out = args.out or Path("out") / args.preset
    ckpt_path = out / "ckpt.safetensors"
    data = run.data()
    overrides = dict(args.model)
    overrides.setdefault("vocab_size", max(run.model.vocab_size, data.vocab_size))
    torch.manual_seed(config.seed)  # the same initial weights in every process
    model = GPT(run.model.replace(**overrides))
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
    history = pretrain(
        model, data, config, callbacks=[report, samples], checkpoint_path=ckpt_path,
        resume_from=resume,
    )  # fmt: skip
    if bar is not None:
        bar.close()
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
