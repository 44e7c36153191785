"""A training step of the course's GPT against nanoGPT's own `model.py`, timed side by side.

nanoGPT's CPU "baby GPT" (its README's Shakespeare-on-a-MacBook run): 4 layers, 4 heads,
128 wide, block 64, batch 12, vocabulary 65, no dropout, no bias on either side. Both models
take the same batches and the same optimizer (AdamW, weight decay on matrices only, built
the same way for both), one step = forward with targets, backward, optimizer step. They are
timed in turn (A B A B …) in one process; the result is nanoGPT's time over ours, per round,
so > 1 means the course is faster (target: median >= 1).

The course's model is the `shakespeare-char-cpu` preset without biases: q, k, v in one
product and PyTorch's exact GELU, as nanoGPT computes them. Also timed beside them: the same
model with GPT-2's tanh GELU (`gelu="tanh"`, what the GPT-2 presets need), to show what the
tanh form costs here.

nanoGPT is not part of the course: point NANOGPT_DIR at a checkout (a folder holding its
model.py) and run

    NANOGPT_DIR=~/src/nanoGPT python bench/bench_nanogpt.py [--threads N] [--rounds R] [--fused]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import statistics
from pathlib import Path
from types import ModuleType

import torch
from torch import nn

from bench.common import clock_for, header, interleave, load, median
from core.model.config import GPTConfig
from core.model.gpt import GPT

ENV = "NANOGPT_DIR"
SHAPE = {"vocab_size": 65, "block_size": 64, "n_layer": 4, "n_head": 4, "n_embd": 128}
BATCH = 12
STEPS = 1  # training steps per timed sample: short samples interleave finely


def load_nanogpt() -> ModuleType | None:
    """nanoGPT's model.py from $NANOGPT_DIR, imported under a name of its own."""
    folder = os.environ.get(ENV)
    if not folder:
        print(f"   skipped: set {ENV} to a nanoGPT checkout (the folder with its model.py)")
        return None
    path = Path(folder).expanduser() / "model.py"
    if not path.is_file():
        print(f"   skipped: {path} does not exist; {ENV} must name the folder holding model.py")
        return None
    spec = importlib.util.spec_from_file_location("nanogpt_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def adamw(model: nn.Module, fused: bool) -> torch.optim.Optimizer:
    """AdamW with weight decay on the matrices (dim >= 2) only: the same rule for both models."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.99), fused=fused)


def trainer(model: nn.Module, batches: list[tuple[torch.Tensor, torch.Tensor]], fused: bool):
    model.train()
    opt = adamw(model, fused)

    def run() -> None:
        for x, y in batches:
            _, loss = model(x, y)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)

    return run


def main(rounds: int = 40, threads: int | None = None, fused: bool = False) -> dict[str, float]:
    clock, clock_name = clock_for(threads)
    header("training step: the course's GPT vs nanoGPT's model.py (baby GPT, batch 12 x 64)")
    nanogpt = load_nanogpt()
    if nanogpt is None:
        return {}
    optimizer = "fused" if fused else "foreach"
    print(f"   load before: {load()}; AdamW ({optimizer}) for both; timed by {clock_name}")
    torch.manual_seed(0)
    with contextlib.redirect_stdout(io.StringIO()):  # nanoGPT prints its parameter count
        theirs = nanogpt.GPT(nanogpt.GPTConfig(**SHAPE, dropout=0.0, bias=False))
    config = GPTConfig.from_preset("shakespeare-char-cpu", bias=False)  # gelu="exact"
    assert {k: getattr(config, k) for k in SHAPE} == SHAPE and config.dropout == 0.0
    ours = GPT(config)
    tanh = GPT(config.replace(gelu="tanh"))  # GPT-2's GELU, which its weights need
    assert ours.num_parameters() == sum(p.numel() for p in theirs.parameters())
    g = torch.Generator().manual_seed(0)
    batches = [  # the same STEPS batches for both, every round
        tuple(
            torch.randint(0, SHAPE["vocab_size"], (BATCH, SHAPE["block_size"]), generator=g)
            for _ in "xy"
        )
        for _ in range(STEPS)
    ]
    times = interleave(
        {
            "nanogpt": trainer(theirs, batches, fused),
            "ours": trainer(ours, batches, fused),
            "ours_tanh_gelu": trainer(tanh, batches, fused),
        },
        rounds=rounds,
        clock=clock,
    )
    paired = [t / o for t, o in zip(times["nanogpt"], times["ours"], strict=True)]
    gelu = [t / o for t, o in zip(times["ours_tanh_gelu"], times["ours"], strict=True)]
    ratio = median(times["nanogpt"]) / median(times["ours"])
    q = statistics.quantiles(paired, n=4) if len(paired) > 1 else [paired[0]] * 3
    tokens_per_s = STEPS * BATCH * SHAPE["block_size"] / median(times["ours"])
    print(
        f"   nanoGPT time / ours: {ratio:.2f} (ratio of medians; per round: median "
        f"{median(paired):.2f}, quartiles {q[0]:.2f}–{q[2]:.2f}, range {min(paired):.2f}–"
        f"{max(paired):.2f}, {rounds} rounds) (target >= 1)"
    )
    print(
        f"   ours (exact GELU) vs with the tanh GELU: {median(gelu):.2f}x as fast (per-round median)"
    )
    print(f"   ours: {tokens_per_s:.0f} tokens/s; load after: {load()}")
    return {"nanogpt_over_ours": ratio, "exact_gelu_gain": median(gelu)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument(
        "--fused", action="store_true", help="fused AdamW for both (default: foreach)"
    )
    args = parser.parse_args()
    main(args.rounds, args.threads, args.fused)
