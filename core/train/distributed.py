"""Training on W processes with PyTorch's own engine (torchrun, DistributedDataParallel).

Notation: A micro-batches per update (`grad_accum_steps`, counted over all processes),
W processes (world size; 1 without torchrun), r this process's rank.

Which micro-batches each process gets: update s draws A micro-batches, j = 0 … A-1, from
the run's one seeded `torch.Generator` (every process draws all A, in the same order, so
their generators stay in step), and process r trains on those with j % W == r: its k-th
micro-batch is j = k·W + r. One process with A micro-batches and W processes with A/W each
therefore see exactly the same batches, and (up to rounding) the same gradients:

    A = 4, W = 2:   j = 0 1 2 3
                    r = 0 1 0 1        process 0 trains on j = 0, 2; process 1 on j = 1, 3

DDP averages the gradients over the processes during the last micro-batch's backward
(`no_sync` on the others: one exchange per update). Only process 0 evaluates, calls back
and saves; a stop asked on any process stops them all (`agree`).

Under torchrun (it sets RANK, WORLD_SIZE, LOCAL_RANK) `init_from_environment` joins the
process group: NCCL on CUDA, gloo on CPU.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn

from core.train.runtime import resolve_device

T = TypeVar("T")


def world() -> tuple[int, int]:
    """(rank r, world size W) of this process: (0, 1) without torch.distributed."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def my_share(draws: Sequence[T], rank: int, world_size: int) -> list[T]:
    """The micro-batches j with j % W == r. Example: 4 draws, W = 2, r = 1 -> draws 1 and 3."""
    if len(draws) % world_size != 0:
        raise ValueError(
            f"grad_accum_steps ({len(draws)}) must be a multiple of the number of processes "
            f"({world_size}): each process takes the same number of micro-batches"
        )
    return list(draws[rank::world_size])


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """`model` inside DistributedDataParallel when W > 1, else `model` itself."""
    if world()[1] == 1:
        return model
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def sync_gradients(model: nn.Module, last: bool) -> Any:
    """A context for one micro-batch's backward: DDP exchanges gradients only on the last."""
    if isinstance(model, nn.parallel.DistributedDataParallel) and not last:
        return model.no_sync()
    return contextlib.nullcontext()


def mean_over_processes(value: torch.Tensor) -> torch.Tensor:
    """The mean of `value` over the W processes (the value itself when W = 1)."""
    world_size = world()[1]
    if world_size == 1:
        return value
    value = value.clone()
    dist.all_reduce(value)
    return value / world_size


def agree(stop: bool, device: torch.device) -> bool:
    """True on every process if any asked to stop (otherwise the others would hang)."""
    if world()[1] == 1:
        return stop
    flag = torch.tensor(float(stop), device=device)
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    return bool(flag)


def init_from_environment(device: str = "auto") -> tuple[int, int, str]:
    """Join torchrun's process group if torchrun started us; return (rank, W, device).

    On CUDA each process takes the GPU of its LOCAL_RANK. Outside torchrun: (0, 1, device).
    """
    rank, world_size, local_rank = (
        int(os.environ.get(k, d)) for k, d in (("RANK", 0), ("WORLD_SIZE", 1), ("LOCAL_RANK", 0))
    )
    if world_size == 1:
        return rank, world_size, device
    use_cuda = resolve_device(device).type == "cuda"
    dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = f"cuda:{local_rank}"
    return rank, world_size, device


def shutdown() -> None:
    """Leave the process group, if this process joined one."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
