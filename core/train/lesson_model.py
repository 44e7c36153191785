"""Make the browser lessons' trained model: train `shakespeare-char-cpu`, save it as .npz.

    python -m core.train.lesson_model [--steps N] [--seed S] [--out PATH] [--force]
    just lesson-model

Trains the course's `shakespeare-char-cpu` run (core.train.runs: 4 layers × 4 heads × 128,
2,000 updates, about ten minutes on one CPU core) and writes it with
`core.model.export.save_npz` to `core.course.lesson_model.MODEL_FILE` in the course's cache
(core.data.files.cache_dir()), where lessons 7 and 9 (`load_lesson_model`) and the site build
(tools/site.py, which ships it in those lessons' public/ folders) find it. An existing file is
kept (the command does nothing) unless --force. The metadata record holds the vocabulary
(`chars`), the run, the steps, the seed, the final validation loss and the training time.

Exit status: 0 made (or already there), 2 the data is missing or a flag is wrong (one line).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from core.course.lesson_model import MODEL_FILE, PRESET
from core.data.files import DataUnavailableError, cache_dir
from core.model.export import save_npz
from core.model.gpt import GPT
from core.train.pretrain import pretrain
from core.train.report import StepEvent
from core.train.runs import get_run


def default_path() -> Path:
    """Where the lessons look first on a machine without COURSE_DATA_DIR: the cache."""
    return cache_dir() / MODEL_FILE


def make_lesson_model(
    path=None,
    *,
    steps: int | None = None,
    seed: int = 0,
    progress: Callable[[StepEvent], None] | None = None,
) -> Path:
    """Train the lesson model from scratch on the CPU and save it to `path` (default: the cache).

    steps: updates (default the run's 2,000; tests use a few dozen). The warmup keeps the
    run's share of the schedule and the validation loss is measured every run's
    eval_interval updates and after the last. progress(event) is called after every update.
    Returns the path written.
    """
    run = get_run(PRESET)
    preset = run.train
    steps = preset.max_steps if steps is None else steps
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    warmup = min(preset.warmup_steps, preset.warmup_steps * steps // preset.max_steps)
    config = preset.replace(
        max_steps=steps, warmup_steps=warmup, seed=seed, device="cpu",
        eval_interval=min(preset.eval_interval, steps),
    )  # fmt: skip
    data = run.data()
    torch.manual_seed(seed)
    model = GPT(run.model)
    start = time.perf_counter()
    history = pretrain(model, data, config, callbacks=[progress] if progress else [])
    seconds = time.perf_counter() - start
    chars = data.decode(list(range(data.vocab_size)))
    return save_npz(
        model.eval(),
        default_path() if path is None else path,
        chars=chars,
        preset=PRESET,
        steps=steps,
        seed=seed,
        val_loss=history.val_losses[-1],
        train_loss=history.metric("train_loss")[-1],
        val_history=[[s, v] for s, v in zip(history.eval_steps, history.val_losses)],
        train_seconds=round(seconds, 1),
        tokens=steps * config.batch_size * run.model.block_size,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.train.lesson_model", description=__doc__.split("\n")[0])  # fmt: skip
    parser.add_argument("--steps", type=int, help="updates (default: the run's 2,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help=f"the .npz to write (default: {default_path()})")
    parser.add_argument("--force", action="store_true", help="train again over an existing file")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's)")
    args = parser.parse_args(argv)
    out = args.out or default_path()
    if out.exists() and not args.force:
        print(f"{out} is already there (--force to train it again)")
        return 0
    if args.threads:
        torch.set_num_threads(args.threads)
    from tqdm import tqdm

    total = args.steps or get_run(PRESET).train.max_steps
    with tqdm(total=total, desc=f"training {PRESET}", unit="step") as bar:

        def progress(event: StepEvent) -> None:
            bar.update(1)
            if "val_loss" in event.metrics:
                bar.set_postfix(val_loss=f"{event.metrics['val_loss']:.4f}")

        try:
            path = make_lesson_model(out, steps=args.steps, seed=args.seed, progress=progress)
        except (DataUnavailableError, ValueError) as err:
            bar.close()
            print(f"error: {err}", file=sys.stderr)
            return 2
    from core.course.lesson_model import from_file

    print(f"wrote {path}: {from_file(path).description}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
