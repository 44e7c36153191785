"""Positional encodings in NumPy: where in the sequence each token sits. Torch-free.

Lesson 3 (embeddings and position, not written yet) will teach these; lesson 4 already uses
`with_positions` to show that attention on its own cannot tell word order, and that a
position feature lets it.

Notation: T tokens, C width of the encoding, p a position (0 … T-1), i a frequency index.
The sinusoidal encoding of the original transformer (Vaswani et al. 2017, section 3.5):

    PE[p, 2i]   = sin(p · ω_i)
    PE[p, 2i+1] = cos(p · ω_i),      ω_i = base^(-2i / C),  base = 10000

Each (sin, cos) pair turns at its own speed, so PE(p + k) is PE(p) with every pair rotated by
the angle k · ω_i, and PE(p) · PE(q) depends only on p - q.

Example:
    >>> sinusoidal_positions(3, 2).round(3).tolist()   # C = 2: one pair, ω = 1
    [[0.0, 1.0], [0.841, 0.54], [0.909, -0.416]]
    >>> with_positions(np.ones((2, 1)), width=2).round(3).tolist()
    [[1.0, 0.0, 1.0], [1.0, 0.841, 0.54]]
"""

from __future__ import annotations

import numpy as np

__all__ = ["sinusoidal_positions", "with_positions"]


def sinusoidal_positions(T: int, C: int, *, base: float = 10000.0) -> np.ndarray:
    """(T, C) sinusoidal encodings of positions 0 … T-1 (an odd C drops the last cosine)."""
    if int(T) != T or T < 0:
        raise ValueError(f"T must be a whole number of tokens >= 0, got {T!r}")
    if int(C) != C or C < 1:
        raise ValueError(f"C must be a whole width >= 1, got {C!r}")
    if not base > 1:
        raise ValueError(f"base must be > 1 (the transformer uses 10000), got {base!r}")
    T, C = int(T), int(C)
    pairs = (C + 1) // 2
    omega = base ** (-2.0 * np.arange(pairs) / C)  # (pairs,) angular speeds, fastest first
    angles = np.arange(T, dtype=np.float64)[:, None] * omega[None, :]  # (T, pairs)
    pe = np.empty((T, 2 * pairs))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe[:, :C]


def with_positions(X, *, width: int = 2, base: float = 10000.0) -> np.ndarray:
    """X (T, C) with `width` sinusoidal position columns appended: (T, C + width).

    The token's own features stay as they are (nothing is added onto them), so a table can
    show both; the transformer instead adds PE to the embedding, which lesson 3 explains.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a (T, C) matrix, got shape {X.shape}")
    return np.hstack([X, sinusoidal_positions(len(X), width, base=base)])
