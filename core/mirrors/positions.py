"""Positional encodings in NumPy: where in the sequence each token sits. Torch-free.

Lesson 3 (embeddings and position) teaches these; lesson 4 uses `with_positions` to show that
attention on its own cannot tell word order, and that a position feature lets it.

Notation: T tokens, C width of the encoding, p a position (0 … T-1), i a frequency index.
The sinusoidal encoding of the original transformer (Vaswani et al. 2017, section 3.5):

    PE[p, 2i]   = sin(p · ω_i)
    PE[p, 2i+1] = cos(p · ω_i),      ω_i = base^(-2i / C),  base = 10000

Each (sin, cos) pair turns at its own speed, so PE(p + k) is PE(p) with every pair rotated by
the angle k · ω_i, and PE(p) · PE(q) depends only on p - q:

    PE(p + k) = R(k) PE(p),   R(k) block-diagonal, block i = [[cos kω_i, sin kω_i],
                                                              [-sin kω_i, cos kω_i]]

R(k) depends on the offset k only, never on p (`shift_rotation`).

GPT-2 learns its positions instead: a table wpe (block_size, C), one row per position, added
to the token's row of wte (`learned_positions`, `embed`; the twin of `core.model.gpt.GPT`'s
`wte(idx) + wpe(pos)`). A position past the table has no row at all.

Example:
    >>> sinusoidal_positions(3, 2).round(3).tolist()   # C = 2: one pair, ω = 1
    [[0.0, 1.0], [0.841, 0.54], [0.909, -0.416]]
    >>> with_positions(np.ones((2, 1)), width=2).round(3).tolist()
    [[1.0, 0.0, 1.0], [1.0, 0.841, 0.54]]
    >>> pe = sinusoidal_positions(10, 4)
    >>> np.allclose(shift_rotation(3, 4) @ pe[2], pe[5])
    True
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "embed",
    "frequencies",
    "learned_positions",
    "shift_rotation",
    "sinusoidal_positions",
    "with_positions",
]


def frequencies(C: int, *, base: float = 10000.0) -> np.ndarray:
    """(ceil(C / 2),) angular speeds ω_i = base^(-2i / C) of the (sin, cos) pairs, fastest first."""
    if int(C) != C or C < 1:
        raise ValueError(f"C must be a whole width >= 1, got {C!r}")
    if not base > 1:
        raise ValueError(f"base must be > 1 (the transformer uses 10000), got {base!r}")
    return base ** (-2.0 * np.arange((int(C) + 1) // 2) / int(C))


def sinusoidal_positions(T: int, C: int, *, base: float = 10000.0) -> np.ndarray:
    """(T, C) sinusoidal encodings of positions 0 … T-1 (an odd C drops the last cosine)."""
    if int(T) != T or T < 0:
        raise ValueError(f"T must be a whole number of tokens >= 0, got {T!r}")
    omega = frequencies(C, base=base)  # (pairs,) angular speeds, fastest first
    T, C, pairs = int(T), int(C), len(omega)
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


def shift_rotation(k: float, C: int, *, base: float = 10000.0) -> np.ndarray:
    """(C, C) block-diagonal R(k) with R(k) @ PE(p) == PE(p + k) for every p (C even).

    Block i rotates the pair (sin pω_i, cos pω_i) by the angle kω_i:
    [[cos kω_i, sin kω_i], [-sin kω_i, cos kω_i]]. It depends on k alone.
    """
    if int(C) != C or C < 2 or C % 2:
        raise ValueError(f"C must be an even width >= 2 (whole sin, cos pairs), got {C!r}")
    theta = k * frequencies(C, base=base)
    R = np.zeros((int(C), int(C)))
    for i, t in enumerate(theta):
        R[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = [[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]]
    return R


def learned_positions(wpe, T: int, *, start: int = 0) -> np.ndarray:
    """Rows start … start + T - 1 of a learned position table wpe (block_size, C): (T, C).

    There is no row past the table: a model with block_size positions has never seen
    position block_size, and asking for it raises ValueError (GPT-2: block_size = 1024).
    """
    wpe = np.asarray(wpe, dtype=np.float64)
    if wpe.ndim != 2:
        raise ValueError(f"wpe must be a (block_size, C) table, got shape {wpe.shape}")
    if int(T) != T or T < 0 or int(start) != start or start < 0:
        raise ValueError(f"T and start must be whole numbers >= 0, got T={T!r}, start={start!r}")
    if start + T > len(wpe):
        raise ValueError(
            f"position {start + T - 1} has no row: this table was learned for positions "
            f"0 … {len(wpe) - 1} only (block_size {len(wpe)}); shorten the text to at most "
            f"{len(wpe) - start} tokens"
        )
    return wpe[int(start) : int(start + T)]


def embed(ids, wte, wpe, *, start: int = 0) -> np.ndarray:
    """A GPT's input: each token's row of wte plus its position's row of wpe, (T, C).

    The twin of `wte(idx) + wpe(pos)` in `core.model.gpt.GPT.forward`. Example: ids [5, 5]
    give two different vectors, wte[5] + wpe[0] and wte[5] + wpe[1].
    """
    wte = np.asarray(wte, dtype=np.float64)
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1:
        raise ValueError(f"ids must be a list of token ids, got shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= len(wte)):
        raise ValueError(f"token ids must lie in 0 … {len(wte) - 1}, got {ids.tolist()}")
    return wte[ids] + learned_positions(wpe, len(ids), start=start)
