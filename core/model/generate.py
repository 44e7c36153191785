"""Autoregressive generation: sample a token, append it, repeat; with or without a KV cache.

The filters below mirror `core.mirrors.sampling` (NumPy, for the browser lessons) on torch tensors;
a test holds the two equal. Logits: (..., V); the filters set dropped tokens to -inf.

Sampling always draws from the `torch.Generator` it is given (a fresh, randomly seeded one
if none is), never from torch's global RNG: `marimo run` serves many learners from one
process, and one learner's seed must not move another's samples.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from core.mirrors.sampling import check_sampling_args
from core.model.attention import KVCache


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """logits / temperature; temperature 0 keeps only the largest logit (greedy)."""
    check_sampling_args(temperature)
    if temperature == 0:
        keep = torch.zeros_like(logits, dtype=torch.bool)
        keep.scatter_(-1, logits.argmax(dim=-1, keepdim=True), True)
        return logits.masked_fill(~keep, float("-inf"))
    return logits / temperature


def top_k_filter(logits: torch.Tensor, k: int | None) -> torch.Tensor:
    """Keep exactly the k largest logits; k >= V (or None) keeps all."""
    check_sampling_args(top_k=k)
    if k is None or k >= logits.size(-1):
        return logits
    # a stable sort ranks equal logits by position, as core.mirrors.sampling does
    order = torch.sort(logits, dim=-1, descending=True, stable=True).indices[..., :k]
    keep = torch.zeros_like(logits, dtype=torch.bool).scatter_(-1, order, True)
    return logits.masked_fill(~keep, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float | None) -> torch.Tensor:
    """Keep the smallest set of most likely tokens whose probability mass reaches p."""
    check_sampling_args(top_p=p)
    if p is None or p >= 1.0:
        return logits
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True, stable=True)
    sorted_probs = F.softmax(sorted_logits.double(), dim=-1)
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs
    keep_sorted = mass_before < p  # the first token always has mass_before == 0
    keep = torch.zeros_like(keep_sorted).scatter_(-1, order, keep_sorted)
    return logits.masked_fill(~keep, float("-inf"))


def filter_logits(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> torch.Tensor:
    """Temperature, then top-k, then top-p (on the temperature-scaled distribution)."""
    return top_p_filter(top_k_filter(apply_temperature(logits, temperature), top_k), top_p)


def sample_next(
    logits: torch.Tensor,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """One next token per row of logits (B, V) -> ids (B, 1)."""
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    probs = F.softmax(filter_logits(logits.float(), temperature, top_k, top_p), dim=-1)
    if generator is None:
        generator = torch.Generator(device=probs.device)
        generator.seed()
    ids = torch.multinomial(probs.to(generator.device), num_samples=1, generator=generator)
    return ids.to(logits.device)


@torch.no_grad()
def generate(
    model: torch.nn.Module,
    idx: torch.Tensor,
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    use_cache: bool = True,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Continue `idx` by `max_new_tokens` tokens; returns the prompt followed by them.

    idx: (B, T) or (T,) token ids; the result has the same number of dimensions.
    A prompt longer than block_size is cropped to its last block_size tokens for the model
    (the returned sequence still starts with the whole prompt). With use_cache, keys and
    values of earlier tokens are kept, so each step runs the model on one token. Once the
    sequence outgrows block_size, the window slides: every token's position changes, so the
    cache is refilled from the window at each step (exactly what the uncached path computes).
    The model is put in eval mode while generating and restored afterwards.
    Example: generate(model, torch.tensor([[0]]), 5, temperature=0) -> (1, 6) greedy ids
    """
    check_sampling_args(temperature, top_k, top_p)
    if not isinstance(idx, torch.Tensor):
        raise ValueError(f"idx must be a tensor of token ids, got {type(idx).__name__}")
    squeeze = idx.dim() == 1
    if squeeze:
        idx = idx.unsqueeze(0)
    if idx.dim() != 2 or idx.size(0) == 0 or idx.size(1) == 0:
        raise ValueError(
            f"the prompt is empty (shape {tuple(idx.shape)}): give at least one token id; "
            "for GPT-2, <|endoftext|> (id 50256) is the usual start of an unconditioned sample"
        )
    if int(max_new_tokens) != max_new_tokens or max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be a non-negative integer, got {max_new_tokens!r}")
    if generator is None and temperature != 0:
        generator = torch.Generator(device=idx.device)
        generator.seed()

    block_size = model.config.block_size
    was_training = model.training
    model.eval()
    try:
        cache = KVCache.for_model(model, idx.size(0)) if use_cache else None
        out = idx
        for _ in range(max_new_tokens):
            if cache is None:
                logits, _ = model(out[:, -block_size:])
            elif cache.length == 0 or out.size(1) > block_size:
                # prefill, or refill once the window slides (every position shifted by one)
                cache.reset()
                logits, _ = model(out[:, -block_size:], kv_cache=cache)
            else:
                logits, _ = model(out[:, -1:], kv_cache=cache)  # only the newest token
            next_id = sample_next(
                logits[:, -1, :],
                temperature=temperature,
                top_k=top_k,
                top_p=top_p,
                generator=generator,
            )
            out = torch.cat([out, next_id], dim=1)
    finally:
        model.train(was_training)
    return out.squeeze(0) if squeeze else out
