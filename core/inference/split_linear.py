"""Opt-in: one-token products spread over every CPU core. `use_split_linear(model)` turns it on.

    >>> model = use_split_linear(GPT(GPTConfig.from_preset("tiny")))   # in place, returns model
    >>> model = use_plain_linear(model)                                 # and back

It is hardware-specific, so the model never uses it by default: on the course's AMD EPYC
(2 cores) it made cached GPT-2 decoding 1.36x as fast as plain nn.Linear; on an Intel Xeon,
whose MKL already streams one-row products near the memory bandwidth, 0.93x (slower).
Measure before you use it: `python bench/run.py generate` prints what it is worth here.

Notation: C_in input features, C_out output features; W is (C_out, C_in) as in nn.Linear.

Decoding with a KV cache runs the model on one token at a time, so every projection is a
matrix-vector product: y (1, C_out) = x (1, C_in) @ Wᵀ + b. It does two FLOPs per weight it
reads, so its speed is set by how fast the weights stream in from memory, not by arithmetic.
One core cannot draw the machine's whole memory bandwidth, and MKL (the BLAS inside
PyTorch's x86 CPU builds) runs a one-row product on a single core whatever the thread count:
measured on the course's 2-core machine, 8–10 GB/s against 18–21 GB/s for a plain sum.

The fix is to hand the library independent pieces of work. Cut W's rows into one block per
thread and multiply x by the blocks as one batched product (`torch.baddbmm`), which runs the
batch's members on different cores at once:

    W (C_out, C_in) -> S blocks (S, C_out/S, C_in);  x -> (S, 1, C_in), the same row S times
    y = x_s @ W_sᵀ + b_s for each block s, side by side -> (1, C_out)

Each output is still the same dot product, so the result equals F.linear's (to float
rounding; a test holds them together). Everything else (several rows, a GPU, one thread, a
small matrix, a weight that is a strided view) takes the ordinary F.linear.

`use_split_linear` swaps the class of every plain nn.Linear in a model to `Linear` below:
the same module objects, parameters (a tied LM head stays tied) and state-dict keys.
`use_plain_linear` swaps them back. A library that matches exact types, such as
`torch.ao.quantization.quantize_dynamic(model, {nn.Linear})`, skips a `Linear` silently:
go back to plain layers first.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["SPLIT_MIN_WEIGHTS", "Linear", "linear", "use_plain_linear", "use_split_linear"]

# Smaller matrices stay with F.linear: measured on 2 cores, splitting a 512x512 product is no
# faster when the weights come from memory and 25% slower when they sit in cache, while from
# 1024x512 on it saves 25% (GPT-2's 768x768 projections are just past this line).
SPLIT_MIN_WEIGHTS = 1 << 19


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """F.linear(x, weight, bias); a single row on a multi-core CPU is split across the cores.

    x: (..., C_in) -> (..., C_out).
    Example: linear(torch.ones(1, 1, 4), torch.eye(4)) -> tensor([[[1., 1., 1., 1.]]])
    """
    splits = torch.get_num_threads()
    c_out, c_in = weight.shape
    one_row = x.dim() >= 1 and x.numel() == x.size(-1)
    if (
        not one_row
        or splits < 2
        or x.device.type != "cpu"
        or weight.numel() < SPLIT_MIN_WEIGHTS
        or c_out < splits
        or not weight.is_contiguous()  # the blocks are views of W's rows
    ):
        return F.linear(x, weight, bias)
    rows = c_out // splits  # each block's share; the last c_out % splits rows go separately
    even = rows * splits
    xs = x.reshape(1, 1, c_in).expand(splits, 1, c_in)
    blocks = weight[:even].view(splits, rows, c_in).transpose(1, 2)  # (S, C_in, rows), no copy
    if bias is None:
        y = torch.bmm(xs, blocks)
    else:
        y = torch.baddbmm(bias[:even].view(splits, 1, rows), xs, blocks)
    y = y.reshape(1, even)
    if even < c_out:
        rest = F.linear(x.reshape(1, c_in), weight[even:], None if bias is None else bias[even:])
        y = torch.cat([y, rest], dim=1)
    return y.view(*x.shape[:-1], c_out)


class Linear(nn.Linear):
    """nn.Linear (same parameters, same state-dict keys, same results) using `linear` above."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear(x, self.weight, self.bias)


def use_split_linear(model: nn.Module) -> nn.Module:
    """Make every plain nn.Linear in `model` a split `Linear`, in place; returns `model`.

    Only exact nn.Linear layers change (subclasses such as a LoRA layer are left alone).
    Example: use_split_linear(GPT(cfg)).lm_head -> Linear(in_features=…, out_features=…)
    """
    return _swap_class(model, nn.Linear, Linear)


def use_plain_linear(model: nn.Module) -> nn.Module:
    """Undo `use_split_linear`: every split `Linear` in `model` is a plain nn.Linear again."""
    return _swap_class(model, Linear, nn.Linear)


def _swap_class(model: nn.Module, old: type[nn.Module], new: type[nn.Module]) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch nn.Module, got {type(model).__name__}")
    for module in model.modules():
        if type(module) is old:
            module.__class__ = new  # same object, parameters and hooks: nothing is copied
    return model
