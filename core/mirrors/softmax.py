"""Softmax in NumPy, the one both mirrors use (attention weights, next-token probabilities).

    softmax(x)_j = exp(x_j - m) / Σ_k exp(x_k - m),  m = max_k x_k   (along `axis`)

Subtracting the row's maximum changes nothing mathematically (it cancels) but keeps exp from
overflowing on large logits; a -inf entry (a masked key, a filtered token) gets probability 0.
The torch twin is `torch.softmax`.

Example:
    >>> softmax(np.array([1000.0, 1000.0, -np.inf])).tolist()
    [0.5, 0.5, 0.0]
"""

from __future__ import annotations

import numpy as np


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Probabilities along `axis`: each slice is >= 0 and sums to 1; -inf becomes 0."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
