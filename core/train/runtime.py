"""Where and how a training run computes: device, precision, batches on the device, randomness.

Randomness in a run (core.train.loop) has three sources, each pinned by the run's seed:

- batches: drawn from one `torch.Generator` seeded with `config.seed`, whose state is saved
  in the checkpoint, so that a resumed run draws what the uninterrupted run drew;
- dropout: torch's global RNG, re-seeded before every update from (seed, s, r) by
  `step_seed`, so that the masks of update s on process r never depend on what ran before;
- evaluation and samples: generators seeded afresh each time by the hooks themselves.

The caller's global RNG state is saved on entry and restored on exit (`fork_rng`).

Example:
    >>> to_device((torch.zeros(2, 3), {"labels": torch.ones(2)}), "cpu")[1]["labels"].shape
    torch.Size([2])
    >>> count_tokens((torch.zeros(12, 64, dtype=torch.long), torch.zeros(12, 64)))
    768
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import torch

AUTOCAST_DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16}


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


def autocast_for(device: torch.device, dtype: str) -> Callable[[], Any]:
    """A factory of contexts that run the forward pass in `dtype` ("float32": no autocast)."""
    if dtype == "float32":
        return contextlib.nullcontext
    if dtype == "float16" and device.type != "cuda":
        raise ValueError('dtype "float16" needs a CUDA device (it relies on a gradient scaler)')
    return lambda: torch.autocast(device_type=device.type, dtype=AUTOCAST_DTYPES[dtype])


def to_device(batch: Any, device: torch.device) -> Any:
    """`batch` with every tensor in it moved to `device` (tuples, lists and dicts recursed)."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(value, device) for value in batch)
    return batch


def count_tokens(batch: Any) -> int:
    """Elements of the batch's first tensor: B·T token ids for (x, y) windows."""
    first = batch
    while not isinstance(first, torch.Tensor):
        if isinstance(first, dict) and first:
            first = next(iter(first.values()))
        elif isinstance(first, (tuple, list)) and first:
            first = first[0]
        else:
            raise TypeError(
                "a batch must be a tensor, or a tuple, list or dict whose first entry is one; "
                f"got {type(batch).__name__}"
            )
    return first.numel()


def step_seed(seed: int, step: int, rank: int) -> int:
    """A distinct global-RNG seed for every (run seed, update, process): dropout's masks."""
    return ((seed * 1_000_003 + step) * 1_009 + rank) % (2**63)


def fork_rng(device: torch.device):
    """Save torch's global RNG state (CPU, and `device` if it is a GPU); restore it on exit."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return torch.random.fork_rng(devices=[index], device_type="cuda")
    return torch.random.fork_rng(devices=[])
