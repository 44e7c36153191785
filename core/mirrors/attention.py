"""Single-head attention in NumPy, stage by stage, for tracing by hand. Torch-free.

The browser lessons (4-6) and the attention-trace widget use this; `core.model.attention` is the
torch implementation the GPT runs, and a test holds the two equal.

Notation: T tokens, d_model (C) embedding width, d query/key width, d_v value width
(d_v may differ from d, and both from d_model; GPT uses d_v = d = d_model / n_head).
    X (T, d_model) · W_Q (d_model, d) = Q (T, d)      what each token seeks
    X · W_K = K (T, d)                                 what each token offers to be found by
    X · W_V = V (T, d_v)                               what each token contributes
    scores = Q Kᵀ (T, T); scaled = scores / √d; masked: -inf above the diagonal
    weights = softmax(masked) row by row; output = weights · V (T, d_v)

Example:
    >>> X = np.eye(3)
    >>> s = attention_stages(X, np.eye(3), np.eye(3), np.eye(3))
    >>> s["weights"][0].tolist()   # the first token can only attend to itself
    [1.0, 0.0, 0.0]
"""

from __future__ import annotations

import math

import numpy as np

from core.mirrors.softmax import softmax

__all__ = ["STAGES", "attention_stages", "causal_mask", "scaled_dot_product", "softmax"]

STAGES = ("X", "Q", "K", "V", "scores", "scaled", "masked", "weights", "output")


def causal_mask(t_query: int, t_key: int | None = None) -> np.ndarray:
    """Boolean (Tq, Tk) mask, True where query i may see key j (j <= i, aligned at the end)."""
    t_key = t_query if t_key is None else t_key
    return np.tril(np.ones((t_query, t_key), dtype=bool), k=t_key - t_query)


def scaled_dot_product(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, *, causal: bool = True, allowed=None
) -> tuple[np.ndarray, np.ndarray]:
    """softmax(q kᵀ / √d) v over the last two axes; returns (output, weights).

    `allowed` (Tq, Tk), True where query i may read key j, replaces the causal mask (lesson 9
    opens single cells of it); every row must allow at least one key.
    """
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    elif causal:
        scores = np.where(causal_mask(q.shape[-2], k.shape[-2]), scores, -np.inf)
    weights = softmax(scores)
    return weights @ v, weights


def _as_matrix(name: str, value, rows: int | None = None) -> np.ndarray:
    a = np.asarray(value, dtype=np.float64)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D matrix, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite entries")
    if rows is not None and a.shape[0] != rows:
        raise ValueError(
            f"{name} must have {rows} rows (one per embedding dimension), got {a.shape[0]}"
        )
    return a


def attention_stages(
    X, W_Q=None, W_K=None, W_V=None, *, causal: bool = True, scale: bool = True
) -> dict[str, np.ndarray]:
    """Every intermediate matrix of one attention head, keyed by the names in STAGES.

    W_Q, W_K, W_V default to the identity (attention on the raw embeddings: lesson 4).
    scale=False skips the 1/√d (to show what it prevents); causal=False skips the mask.
    """
    X = _as_matrix("X", X)
    d_model = X.shape[1]
    eye = np.eye(d_model)
    W_Q = eye if W_Q is None else _as_matrix("W_Q", W_Q, d_model)
    W_K = eye if W_K is None else _as_matrix("W_K", W_K, d_model)
    W_V = eye if W_V is None else _as_matrix("W_V", W_V, d_model)
    if W_Q.shape != W_K.shape:
        raise ValueError(f"W_Q {W_Q.shape} and W_K {W_K.shape} must have the same shape")
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    scores = Q @ K.T
    scaled = scores / math.sqrt(Q.shape[1]) if scale else scores.copy()
    masked = np.where(causal_mask(len(X)), scaled, -np.inf) if causal else scaled.copy()
    weights = softmax(masked)
    return {
        "X": X,
        "Q": Q,
        "K": K,
        "V": V,
        "scores": scores,
        "scaled": scaled,
        "masked": masked,
        "weights": weights,
        "output": weights @ V,
    }
