"""Rotary position embeddings (RoPE) in NumPy: position as a rotation of q and k. Torch-free.

RoFormer (Su et al. 2021), used by Llama, Mistral, Qwen and most open models since. Instead of
adding a position vector to the token's embedding, each query and key is rotated, pair by pair,
by an angle proportional to its position, with the sinusoidal encoding's speeds ω_i:

    rotate(x, p)[2i : 2i+2] = [[cos pω_i, -sin pω_i], [sin pω_i, cos pω_i]] @ x[2i : 2i+2]
    ω_i = base^(-2i / D),  base = 10000,  D the width of q and k (even)

A rotation by a and one by b meet in the dot product as a rotation by b - a, so

    rotate(q, m) · rotate(k, n) = q · rotate(k, n - m)

depends on the offset n - m alone: moving both tokens along the sentence leaves the score as
it is. This module pairs neighbouring entries (x[0], x[1]), (x[2], x[3]), … as the RoFormer
paper and Meta's Llama code do; Hugging Face's Llama pairs x[i] with x[i + D/2] instead (the
same idea on permuted entries). No torch twin in `core`: GPT-2 learns its positions. The test
holds it to the complex-number form, x as complex pairs times e^{i p ω}.

Example:
    >>> q, k = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> round(float(rotate(q, 3) @ rotate(k, 5)), 6) == round(float(rotate(q, 10) @ rotate(k, 12)), 6)
    True
"""

from __future__ import annotations

import numpy as np

from core.mirrors.positions import frequencies

__all__ = ["rotary_scores", "rotate"]


def rotate(x, positions, *, base: float = 10000.0) -> np.ndarray:
    """x (..., D) with each pair (x[2i], x[2i+1]) turned by the angle p · ω_i.

    positions: one position for the whole of x, or (T,) positions for x of shape (T, D).
    """
    x = np.asarray(x, dtype=np.float64)
    D = x.shape[-1]
    if D < 2 or D % 2:
        raise ValueError(f"the last axis of x must be even (whole pairs), got width {D}")
    p = np.asarray(positions, dtype=np.float64)
    if p.ndim > 1 or (p.ndim == 1 and (x.ndim < 2 or len(p) != x.shape[-2])):
        raise ValueError(
            f"positions must be one number or one per row of x (T = {x.shape[:-1]}), got {p.shape}"
        )
    angles = p[..., None] * frequencies(D, base=base)  # (pairs,) or (T, pairs)
    cos, sin = np.cos(angles), np.sin(angles)
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = cos * even - sin * odd
    out[..., 1::2] = sin * even + cos * odd
    return out


def rotary_scores(Q, K, *, base: float = 10000.0) -> np.ndarray:
    """(T, T) scores q_m · k_n with q and k rotated by their positions 0 … T-1 (Q, K: (T, D))."""
    Q, K = np.asarray(Q, dtype=np.float64), np.asarray(K, dtype=np.float64)
    if Q.ndim != 2 or Q.shape != K.shape:
        raise ValueError(f"Q and K must both be (T, D), got {Q.shape} and {K.shape}")
    positions = np.arange(len(Q))
    return rotate(Q, positions, base=base) @ rotate(K, positions, base=base).T
