"""`python -m core.train`: train a preset from the command line, alone or under torchrun.

    python -m core.train --preset shakespeare-char-cpu [--max-iters N] [--out DIR] [--resume]
    torchrun --standalone --nproc_per_node=2 -m core.train --preset shakespeare-char-cpu

Writes DIR/ckpt.safetensors (see core.train.checkpoint) and DIR/history.json (the `History`),
shows a progress bar with the loss, and prints samples as they are drawn.

Under torchrun (it sets RANK, WORLD_SIZE, LOCAL_RANK), each process joins a process group
(NCCL on CUDA, gloo on CPU), trains its share of every update's micro-batches inside
PyTorch's DistributedDataParallel, and process 0 alone prints and saves. `--grad-accum`
counts micro-batches over all processes together, so `torchrun --nproc_per_node=2 …
--grad-accum 4` trains on the same windows as one process with `--grad-accum 4`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import torch

from core.data.lm import TokenSplits
from core.model.config import GPTConfig
from core.train.config import TRAIN_PRESETS
from core.train.loop import History, StepEvent, TrainConfig, resolve_device, train

# Which tokens each preset trains on.
PRESET_DATA = {
    "shakespeare-char-cpu": "shakespeare_char",
    "shakespeare-char": "shakespeare_char",
    "gpt2-124m": "shakespeare_gpt2",
}


def load_data(name: str) -> TokenSplits:
    """The TokenSplits loader `name` from core.data.lm (imported lazily)."""
    import core.data.lm

    loader = getattr(core.data.lm, name, None)
    if loader is None:
        raise SystemExit(
            f"core.data.lm has no loader {name!r}, which this preset trains on; "
            "update the project (or choose a shakespeare-char preset)"
        )
    return loader()


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
    parser.add_argument("--preset", required=True, choices=sorted(TRAIN_PRESETS))
    parser.add_argument("--max-iters", type=int, help="number of updates (default: the preset's)")
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
    parser.add_argument("--checkpoint-interval", type=int)
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
        help="override a GPTConfig field of the preset's model, e.g. --model n_layer=2",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _train_config(args: argparse.Namespace, device: str) -> TrainConfig:
    fields = {
        "max_steps": args.max_iters,
        "batch_size": args.batch_size,
        "grad_accum_steps": args.grad_accum,
        "learning_rate": args.lr,
        "warmup_steps": args.warmup,
        "eval_interval": args.eval_interval,
        "eval_batches": args.eval_iters,
        "sample_interval": args.sample_interval,
        "checkpoint_interval": args.checkpoint_interval,
        "seed": args.seed,
        "dtype": args.dtype,
    }
    overrides = {k: v for k, v in fields.items() if v is not None}
    config = TrainConfig.from_preset(args.preset, device=device, **overrides)
    if args.checkpoint_interval is None:
        config = config.replace(checkpoint_interval=config.eval_interval)
    return config


def _write_json_atomically(path: Path, document: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(document), encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    rank, world, local_rank = (
        int(os.environ.get(k, d)) for k, d in (("RANK", 0), ("WORLD_SIZE", 1), ("LOCAL_RANK", 0))
    )
    distributed = world > 1
    device = args.device or "auto"
    if distributed:
        use_cuda = resolve_device(device).type == "cuda"
        torch.distributed.init_process_group(backend="nccl" if use_cuda else "gloo")
        if use_cuda:
            torch.cuda.set_device(local_rank)
            device = f"cuda:{local_rank}"
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        return _run(args, device, rank)
    finally:
        if distributed:
            torch.distributed.destroy_process_group()


def _run(args: argparse.Namespace, device: str, rank: int) -> int:
    from core.model.gpt import GPT

    config = _train_config(args, device)
    out = args.out or Path("out") / args.preset
    ckpt_path = out / "ckpt.safetensors"
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    data = load_data(PRESET_DATA[args.preset])
    model_overrides = dict(args.model)
    if "vocab_size" not in model_overrides:
        preset_vocab = GPTConfig.from_preset(args.preset).vocab_size
        model_overrides["vocab_size"] = max(preset_vocab, data.vocab_size)
    model_config = GPTConfig.from_preset(args.preset, **model_overrides)
    torch.manual_seed(config.seed)  # the same initial weights in every process
    model = GPT(model_config)
    resume = ckpt_path if args.resume and ckpt_path.exists() else None
    if args.resume and resume is None and rank == 0:
        print(f"no checkpoint at {ckpt_path}: starting from scratch", file=sys.stderr)

    bar = None
    if rank == 0 and not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=config.max_steps, desc=args.preset, unit="step", dynamic_ncols=True)

    def report(event: StepEvent) -> None:
        if bar is None:
            return
        bar.n = event.step
        postfix = {
            "loss": f"{event.loss:.4f}",
            "lr": f"{event.lr:.2e}",
            "tok/s": f"{event.tokens_per_s:,.0f}",
        }
        if event.val_loss is not None:
            bar.write(
                f"step {event.step}: train {event.eval_train_loss:.4f}, val {event.val_loss:.4f}"
            )
        if event.sample is not None:
            bar.write(f"--- sample at step {event.step} ---\n{event.sample}\n---")
        bar.set_postfix(postfix, refresh=True)

    history: History = train(
        model, data, config, callbacks=report, checkpoint_path=ckpt_path, resume_from=resume
    )
    if bar is not None:
        bar.close()
    if rank == 0:
        _write_json_atomically(out / "history.json", history.to_dict())
        if history.val_losses:
            print(
                f"final: step {history.eval_steps[-1]}, val loss {history.val_losses[-1]:.4f}, "
                f"{history.tokens_per_s:,.0f} tokens/s; checkpoint {ckpt_path}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
