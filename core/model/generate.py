"""Autoregressive generation: sample a token, append it, repeat; with or without a KV cache.

The filters below mirror `core.mirrors.sampling` (NumPy, for the browser lessons) on torch tensors;
a test holds the two equal. Logits: (..., V); the filters set dropped tokens to -inf.
Temperature subtracts each row's largest logit before dividing (the same distribution), so a
tiny temperature or logits near the float limit cannot overflow to +inf and then give NaN.
Logits with NaN or +inf, or a row with no finite logit, are refused: nothing can be sampled.

Sampling always draws from the `torch.Generator` it is given (a fresh, randomly seeded one
if none is), never from torch's global RNG: `marimo run` serves many learners from one
process, and one learner's seed must not move another's samples.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from core.mirrors.sampling import check_sampling_args, logits_problem
from core.model.attention import KVCache


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """(logits - max) / temperature, the distribution of logits / temperature; temperature 0
    keeps only the largest logit (greedy). Example: [1., 3.] at 0.5 -> [-4., 0.]"""
    check_sampling_args(temperature)
    return _temperature(logits, temperature)


def top_k_filter(logits: torch.Tensor, k: int | None) -> torch.Tensor:
    """Keep exactly the k largest logits; k >= V (or None) keeps all."""
    check_sampling_args(top_k=k)
    return _top_k(logits, k)


def top_p_filter(logits: torch.Tensor, p: float | None) -> torch.Tensor:
    """Keep the smallest set of most likely tokens whose probability mass reaches p."""
    check_sampling_args(top_p=p)
    return _top_p(logits, p)


def filter_logits(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> torch.Tensor:
    """Temperature, then top-k, then top-p (on the temperature-scaled distribution)."""
    check_sampling_args(temperature, top_k, top_p)
    check_logits(logits)
    return _top_p(_top_k(_temperature(logits, temperature), top_k), top_p)


def sample_next(
    logits: torch.Tensor,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """One next token per row of logits (B, V) -> ids (B, 1)."""
    check_sampling_args(temperature, top_k, top_p)
    check_logits(logits)
    if generator is None and temperature != 0:
        generator = torch.Generator(device=logits.device)
        generator.seed()
    return _sample(logits, temperature, top_k, top_p, generator)


def check_logits(logits: torch.Tensor) -> None:
    """Raise ValueError unless every row's maximum is finite: no NaN, no +inf, and at least
    one logit above -inf per row (the wording is `core.mirrors.sampling.logits_problem`'s)."""
    if logits.dim() == 0 or logits.size(-1) == 0:
        raise ValueError("logits must have at least one entry on the last axis")
    if not bool(torch.isfinite(logits.amax(dim=-1)).all()):
        raise ValueError(_problem(logits))


def _problem(logits: torch.Tensor) -> str:
    return (
        logits_problem(
            bool(logits.isnan().any()),
            bool(logits.isposinf().any()),
            bool(logits.isneginf().all(dim=-1).any()),
        )
        or "logits are not finite"
    )


# The filters' arithmetic, unchecked: the public functions above validate their arguments
# once and call these; `generate` validates once per call, not once per sampled token.


def _temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    if temperature == 0:
        keep = torch.zeros_like(logits, dtype=torch.bool)
        keep.scatter_(-1, logits.argmax(dim=-1, keepdim=True), True)
        return logits.masked_fill(~keep, float("-inf"))
    top = logits.amax(dim=-1, keepdim=True)
    # rows whose maximum is not finite are refused by check_logits; leave them unshifted here
    return (logits - torch.where(torch.isfinite(top), top, 0.0)) / temperature


def _top_k(logits: torch.Tensor, k: int | None) -> torch.Tensor:
    if k is None or k >= logits.size(-1):
        return logits
    # a stable sort ranks equal logits by position, as core.mirrors.sampling does
    order = torch.sort(logits, dim=-1, descending=True, stable=True).indices[..., :k]
    keep = torch.zeros_like(logits, dtype=torch.bool).scatter_(-1, order, True)
    return logits.masked_fill(~keep, float("-inf"))


def _top_p(logits: torch.Tensor, p: float | None) -> torch.Tensor:
    if p is None or p >= 1.0:
        return logits
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True, stable=True)
    sorted_probs = F.softmax(sorted_logits.double(), dim=-1)
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs
    keep_sorted = mass_before < p  # the first token always has mass_before == 0
    keep = torch.zeros_like(keep_sorted).scatter_(-1, order, keep_sorted)
    return logits.masked_fill(~keep, float("-inf"))


def _sample(
    logits: torch.Tensor,
    temperature: float,
    top_k: int | None,
    top_p: float | None,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """(B, V) -> (B, 1) ids; `generator` may be None only for temperature 0."""
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    # at least float32 (half-precision logits are widened), never narrowed: float64 logits
    # near 1e300 would become inf in float32
    logits = logits.to(torch.promote_types(logits.dtype, torch.float32))
    filtered = _top_p(_top_k(_temperature(logits, temperature), top_k), top_p)
    probs = F.softmax(filtered, dim=-1)
    ids = torch.multinomial(probs.to(generator.device), num_samples=1, generator=generator)
    return ids.to(logits.device)


def check_prompt(idx: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """A prompt of token ids, (B, T) or (T,), checked once as it enters: returns it as (B, T).

    The one place generation reads the ids' values (a host sync), so the model's forward
    never has to. Example: check_prompt(torch.tensor([3, 1]), 50) -> tensor([[3, 1]])
    """
    if not isinstance(idx, torch.Tensor):
        raise ValueError(f"idx must be a tensor of token ids, got {type(idx).__name__}")
    if idx.dim() == 1:
        idx = idx.unsqueeze(0)
    if idx.dim() != 2:
        raise ValueError(
            f"the prompt must be token ids of shape (B, T) or (T,), got {idx.dim()} dimensions "
            f"(shape {tuple(idx.shape)})"
        )
    if idx.size(0) == 0 or idx.size(1) == 0:
        raise ValueError(
            f"the prompt is empty (shape {tuple(idx.shape)}): give at least one token id; "
            "for GPT-2, <|endoftext|> (id 50256) is the usual start of an unconditioned sample"
        )
    if idx.dtype.is_floating_point or idx.dtype.is_complex or idx.dtype == torch.bool:
        raise ValueError(f"the prompt must hold integer token ids, got dtype {idx.dtype}")
    lo, hi = int(idx.min()), int(idx.max())
    if lo < 0 or hi >= vocab_size:
        raise ValueError(
            f"token ids must be in [0, {vocab_size}), got values from {lo} to {hi}: "
            "was the prompt encoded with this model's tokenizer?"
        )
    return idx


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
    The model is put in eval mode while generating and restored afterwards. Logits with NaN
    or inf (a diverged model) raise ValueError; to keep each step free of a host sync, that
    is checked once at the end (or as soon as sampling cannot go on).
    Example: generate(model, torch.tensor([[0]]), 5, temperature=0) -> (1, 6) greedy ids
    """
    check_sampling_args(temperature, top_k, top_p)
    if int(max_new_tokens) != max_new_tokens or max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be a non-negative integer, got {max_new_tokens!r}")
    squeeze = isinstance(idx, torch.Tensor) and idx.dim() == 1
    idx = check_prompt(idx, model.config.vocab_size)
    if generator is None and temperature != 0:
        generator = torch.Generator(device=idx.device)
        generator.seed()

    block_size = model.config.block_size
    B, prompt_len = idx.shape
    # filled in place: no new tensor per token
    out = torch.empty(B, prompt_len + max_new_tokens, dtype=torch.long, device=idx.device)
    out[:, :prompt_len] = idx
    was_training = model.training
    model.eval()
    # stays True while every step's logits are finite; read once, at the end (no sync per token)
    finite = torch.ones((), dtype=torch.bool, device=idx.device)
    try:
        # inference_mode skips all autograd bookkeeping (less work per operator than no_grad);
        # `out` was made before it, so the ids returned can still feed a training step.
        with torch.inference_mode():
            cache = KVCache.for_model(model, B) if use_cache else None
            for t in range(prompt_len, prompt_len + max_new_tokens):  # t: tokens so far
                window = out[:, max(0, t - block_size) : t]
                if cache is None:
                    logits, _ = model(window)
                elif cache.length == 0 or t > block_size:
                    # prefill, or refill once the window slides (every position shifted by one)
                    cache.reset()
                    logits, _ = model(window, kv_cache=cache)
                else:
                    logits, _ = model(out[:, t - 1 : t], kv_cache=cache)  # only the newest token
                last = logits[:, -1, :]
                finite &= torch.isfinite(last).all()
                out[:, t : t + 1] = _sample(last, temperature, top_k, top_p, generator)
    except RuntimeError as err:  # torch.multinomial refuses NaN probabilities
        if not bool(finite):
            raise ValueError(_model_problem(model)) from err
        raise
    finally:
        model.train(was_training)
    if not bool(finite):  # greedy argmax of NaN logits would have returned an arbitrary id
        raise ValueError(_model_problem(model))
    return out.squeeze(0) if squeeze else out


def _model_problem(model: torch.nn.Module) -> str:
    nan_weights = any(bool(p.isnan().any()) for p in model.parameters())
    why = "its weights hold NaN" if nan_weights else "check its weights and inputs"
    return (
        f"the model's logits contain NaN or inf ({why}; a training run that diverged leaves "
        "such weights): nothing can be sampled from them"
    )
