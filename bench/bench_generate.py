"""KV-cached versus uncached greedy decoding, GPT-2 124M shape (random weights), batch 1.

Prints: cached/uncached speed-up (target >= 5x), and cached tokens/s as a fraction of the
memory-bandwidth limit (target >= 0.6). Also the cached run with every `core.inference.split_linear.Linear`
turned back into a plain nn.Linear, to show what splitting one-row products across the
cores is worth (see core/inference/split_linear.py). Each generated token must read every weight once
(the LM head is the token embedding, read in full; one row of the position table), so
tokens/s can be at most bandwidth / weight bytes. Bandwidth is measured in the same run,
interleaved with the decoding, on an array larger than the CPU cache.
"""

from __future__ import annotations

from copy import deepcopy

import torch
from torch import nn

from bench.common import copy_bandwidth_fn, header, interleave, median, read_bandwidth_fn
from core.inference.split_linear import Linear, linear
from core.model.config import GPTConfig
from core.model.generate import generate
from core.model.gpt import GPT

NEW_TOKENS = 100
PROMPT = 8
REPEAT = 10


def main(rounds: int = 5) -> dict[str, float]:
    header("generation: KV cache versus none (GPT-2 124M shape, fp32, batch 1)")
    torch.manual_seed(0)
    model = GPT(GPTConfig.from_preset("gpt2")).eval()
    plain = deepcopy(model)  # same weights, every projection a plain nn.Linear
    for module in plain.modules():
        if isinstance(module, Linear):
            module.__class__ = nn.Linear
    prompt = torch.randint(0, 50257, (1, PROMPT))
    # The ceiling: every projection of one step, back to back, nothing else in between.
    layers = [m for m in model.modules() if isinstance(m, Linear)]
    rows = {m.in_features: torch.randn(1, m.in_features) for m in layers}

    @torch.no_grad()
    def projections() -> None:  # REPEAT steps' worth, so one call is not a lone 40 ms sample
        for _ in range(REPEAT):
            for m in layers:
                linear(rows[m.in_features], m.weight, m.bias)

    read, read_bytes = read_bandwidth_fn()
    copy, copy_bytes = copy_bandwidth_fn()
    times = interleave(
        {  # the bandwidth probes sit on either side of the cached run: the host's load drifts
            "read": read,
            "cached": lambda: generate(model, prompt, NEW_TOKENS, temperature=0, use_cache=True),
            "copy": copy,
            "uncached": lambda: generate(model, prompt, NEW_TOKENS, temperature=0, use_cache=False),
            "plain": lambda: generate(plain, prompt, NEW_TOKENS, temperature=0, use_cache=True),
            "projections": projections,
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
    projection_time = median(times["projections"]) / REPEAT
    projection_rate = weight_bytes / projection_time
    print(
        f"   ceiling: one step's {len(layers)} projections alone stream {projection_rate / 1e9:.1f} GB/s, "
        f"{projection_rate / bandwidth:.2f} of the bandwidth; the rest of a cached step takes "
        f"{1e3 * (cached / NEW_TOKENS - projection_time):.1f} ms"
    )
    return {
        "speedup": speedup,
        "bandwidth_fraction": tokens_per_s / limit,
        "split_gain": split_gain,
        "projection_fraction": projection_rate / bandwidth,
    }


if __name__ == "__main__":
    main()
