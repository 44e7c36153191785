"""Turning a model's logits into a choice of next token: temperature, top-k, top-p. NumPy only.

These are the torch-free versions the early lessons (and the browser) use; `core.model.generate`
has the same filters for torch tensors, and a test holds the two equal.

Each filter takes logits (any shape, the vocabulary on the last axis) and returns logits of the
same shape, with the tokens it drops set to -inf, so filters chain and `softmax` of the result
is the distribution that will be sampled. Order, as in most libraries: temperature, then top-k,
then top-p (measured on the temperature-scaled distribution).

Temperature subtracts each row's largest logit before dividing: the distribution is the same
(softmax ignores a shift), but the largest becomes exactly 0 and every other logit a gap of
at most 0, so no division by a tiny temperature can overflow to +inf (and then inf - inf = NaN).

Example:
    >>> probs = softmax(filter_logits(np.array([2.0, 1.0, 0.0, -1.0]), top_k=2))
    >>> probs.round(3).tolist()
    [0.731, 0.269, 0.0, 0.0]
"""

from __future__ import annotations

import numpy as np

from core.mirrors.softmax import softmax as _softmax


def _is_number(value: object) -> bool:
    """A real number: an int or float (NumPy's too), not a bool and not a string such as "3"."""
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def check_sampling_args(
    temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> None:
    """Raise ValueError naming the argument that is out of range (or not a number at all)."""
    if not _is_number(temperature) or not np.isfinite(temperature) or temperature < 0:
        raise ValueError(f"temperature must be a number >= 0 (0 means greedy), got {temperature!r}")
    if top_k is not None and (
        not _is_number(top_k) or not np.isfinite(top_k) or int(top_k) != top_k or top_k < 1
    ):
        raise ValueError(f"top_k must be a positive integer or None, got {top_k!r}")
    if top_p is not None and (not _is_number(top_p) or not 0.0 < top_p <= 1.0):
        raise ValueError(f"top_p must be a number in (0, 1] or None, got {top_p!r}")


def logits_problem(has_nan: bool, has_pos_inf: bool, row_all_neg_inf: bool) -> str | None:
    """What makes logits unusable for sampling, in words, or None when they are usable.

    Usable: no NaN, no +inf, and at least one finite logit in every row (-inf alone is a
    token already filtered out). Equivalently: every row's maximum is finite. The torch
    twin (`core.model.generate`) words its errors with this too.
    """
    if has_nan:
        return (
            "logits contain NaN: nothing can be sampled from them (a model whose training "
            "diverged gives NaN; check its loss)"
        )
    if has_pos_inf:
        return "logits contain +inf: give finite logits (-inf is allowed: a token filtered out)"
    if row_all_neg_inf:
        return "every logit of a row is -inf: no token is left to sample"
    return None


def check_logits(logits: np.ndarray) -> None:
    """Raise ValueError unless every row's maximum is finite (see `logits_problem`)."""
    if logits.ndim == 0 or logits.shape[-1] == 0:
        raise ValueError("logits must have at least one entry on the last axis")
    if not np.isfinite(logits.max(axis=-1)).all():
        problem = logits_problem(
            bool(np.isnan(logits).any()),
            bool(np.isposinf(logits).any()),
            bool(np.isneginf(logits).all(axis=-1).any()),
        )
        raise ValueError(problem)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """softmax(logits / temperature) along the last axis (`core.mirrors.softmax`, -inf -> 0).

    Example: softmax([1.0, 3.0], temperature=0) -> [0.0, 1.0] (greedy)
    """
    return _softmax(apply_temperature(logits, temperature))


def apply_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """(logits - max) / temperature, row by row: the distribution of logits / temperature.

    Temperature 0 is the limit: all mass on the largest logit (returned unshifted).
    Example: apply_temperature([1.0, 3.0], 0.5) -> [-4.0, 0.0]; at 0 -> [-inf, 3.0] (greedy)
    """
    check_sampling_args(temperature)
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        keep = np.zeros(logits.shape, dtype=bool)
        np.put_along_axis(keep, logits.argmax(axis=-1)[..., None], True, axis=-1)
        return np.where(keep, logits, -np.inf)
    with np.errstate(over="ignore"):  # a gap beyond the float range is -inf: probability 0
        return shift_to_max(logits) / temperature


def shift_to_max(logits: np.ndarray) -> np.ndarray:
    """logits minus each row's largest logit (rows whose maximum is not finite are left as
    they are: `check_logits` refuses those). Example: [1.0, 3.0, -inf] -> [-2.0, 0.0, -inf]"""
    top = logits.max(axis=-1, keepdims=True)
    with np.errstate(over="ignore"):  # overflow can only give -inf (probability 0)
        return logits - np.where(np.isfinite(top), top, 0.0)


def top_k_filter(logits: np.ndarray, k: int | None) -> np.ndarray:
    """Keep exactly the k largest logits (ties broken by position); k >= vocab keeps all."""
    check_sampling_args(top_k=k)
    logits = np.asarray(logits, dtype=np.float64)
    if k is None or k >= logits.shape[-1]:
        return logits
    # a stable sort of the negated logits ranks equal logits by position
    order = np.argsort(-logits, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(logits.shape, dtype=bool)
    np.put_along_axis(keep, order, True, axis=-1)
    return np.where(keep, logits, -np.inf)


def top_p_filter(logits: np.ndarray, p: float | None) -> np.ndarray:
    """Nucleus filter: keep the smallest set of most likely tokens whose mass reaches p.

    A token is kept if the mass of the tokens ranked above it is still below p, so the
    most likely token always survives. p = 1 keeps everything.
    Example: probabilities [0.5, 0.3, 0.2], p = 0.7 -> keeps the first two (0.5 < 0.7 <= 0.8)
    """
    check_sampling_args(top_p=p)
    logits = np.asarray(logits, dtype=np.float64)
    if p is None or p >= 1.0:
        return logits
    order = np.argsort(-logits, axis=-1, kind="stable")
    sorted_probs = np.take_along_axis(softmax(logits), order, axis=-1)
    mass_before = np.cumsum(sorted_probs, axis=-1) - sorted_probs
    keep_sorted = mass_before < p
    keep = np.zeros(logits.shape, dtype=bool)
    np.put_along_axis(keep, order, keep_sorted, axis=-1)
    return np.where(keep, logits, -np.inf)


def filter_logits(
    logits: np.ndarray,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> np.ndarray:
    """Temperature, then top-k, then top-p."""
    check_sampling_args(temperature, top_k, top_p)
    logits = np.asarray(logits, dtype=np.float64)
    check_logits(logits)
    return top_p_filter(top_k_filter(apply_temperature(logits, temperature), top_k), top_p)


def sample(
    logits: np.ndarray,
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> int:
    """Draw one token id from 1-D logits with the given filters, using `rng` (never a global)."""
    probs = softmax(filter_logits(logits, temperature, top_k, top_p))
    return int(rng.choice(probs.shape[-1], p=probs))


def entropy(probs: np.ndarray) -> np.ndarray:
    """Shannon entropy in nats along the last axis (0·log 0 counts as 0)."""
    probs = np.asarray(probs, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(probs > 0, probs * np.log(probs), 0.0)
    return -terms.sum(axis=-1)
