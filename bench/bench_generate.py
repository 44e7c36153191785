"""KV-cached versus uncached greedy decoding, GPT-2 124M shape (random weights), batch 1.

Prints: cached/uncached speed-up (target >= 5x), and cached tokens/s as a fraction of the
memory-bandwidth limit (target >= 0.6). Also the cached run with every `core.linear.Linear`
turned back into a plain nn.Linear, to show what splitting one-row products across the
cores is worth (see core/linear.py). Each generated token must read every weight once
(the LM head is the token embedding, read in full; one row of the position table), so
tokens/s can be at most bandwidth / weight bytes. Bandwidth is measured in the same run,
interleaved with the decoding, on an array larger than the CPU cache.
"""

from __future__ import annotations

from copy import deepcopy

import torch
from torch import nn

from bench.common import copy_bandwidth_fn, header, interleave, median, read_bandwidth_fn
from core.config import GPTConfig
from core.generate import generate
from core.linear import Linear
from core.model import GPT

NEW_TOKENS = 100
PROMPT = 8


def main(rounds: int = 3) -> dict[str, float]:
    header("generation: KV cache versus none (GPT-2 124M shape, fp32, batch 1)")
    torch.manual_seed(0)
    model = GPT(GPTConfig.from_preset("gpt2")).eval()
    plain = deepcopy(model)  # same weights, every projection a plain nn.Linear
    for module in plain.modules():
        if isinstance(module, Linear):
            module.__class__ = nn.Linear
    prompt = torch.randint(0, 50257, (1, PROMPT))
    read, read_bytes = read_bandwidth_fn()
    copy, copy_bytes = copy_bandwidth_fn()
    times = interleave(
        {
            "cached": lambda: generate(model, prompt, NEW_TOKENS, temperature=0, use_cache=True),
            "uncached": lambda: generate(model, prompt, NEW_TOKENS, temperature=0, use_cache=False),
            "plain": lambda: generate(plain, prompt, NEW_TOKENS, temperature=0, use_cache=True),
            "read": read,
            "copy": copy,
        },
        rounds=rounds,
    )
    cached, uncached = median(times["cached"]), median(times["uncached"])
    bandwidth = max(read_bytes / median(times["read"]), copy_bytes / median(times["copy"]))
    weight_bytes = 4 * (model.num_parameters() - model.transformer.wpe.weight.numel())
    tokens_per_s = NEW_TOKENS / cached
    limit = bandwidth / weight_bytes
    speedup = uncached / cached
    print(f"   cached {tokens_per_s:.1f} tok/s, uncached {NEW_TOKENS / uncached:.1f} tok/s")
    print(f"   speed-up with the cache: {speedup:.1f}x (target >= 5)")
    split_gain = median(times["plain"]) / cached
    print(f"   one-row products split across cores vs plain nn.Linear: {split_gain:.2f}x")
    print(
        f"   memory bandwidth {bandwidth / 1e9:.1f} GB/s, weights {weight_bytes / 1e6:.0f} MB/token "
        f"-> limit {limit:.1f} tok/s; cached reaches {tokens_per_s / limit:.2f} of it (target >= 0.6)"
    )
    return {
        "speedup": speedup,
        "bandwidth_fraction": tokens_per_s / limit,
        "split_gain": split_gain,
    }


if __name__ == "__main__":
    main()
