"""Lesson 3's embeddings: the lookup, its gradient, and a small word embedding trained on the spot.

Torch-free, NumPy only, so it runs in the browser. Notation: V vocabulary size, C embedding
width, T tokens in a sequence, E the (V, C) table whose row i is token i's vector.

    one_hot(ids, V) @ E == E[ids]               a lookup is a matrix product with one-hot rows
    embedding_backward(ids, dX, V)              dL/dE: each token's rows of dX summed into its row
                                                (rows of absent tokens stay zero)

The trained embedding is the smallest language model that has one: the previous word's vector,
then a linear layer to logits over the next word,

    logits(next | prev) = E[prev] @ W + b       E (V, C), W (C, V), b (V,)

trained by full-batch Adam on the exact cross-entropy over every (prev, next) pair of a text.
Because the model sees only one previous word, the pairs can be counted once into a (V, V)
table N, and the loss is Σ N[i, j] · -log p(j | i) / Σ N: one step costs three (V, C, V)
products however long the text is. Words followed by the same words end up with similar rows.

Example:
    >>> E = np.arange(6.0).reshape(3, 2)
    >>> (one_hot([2, 0], 3) @ E).tolist()
    [[4.0, 5.0], [0.0, 1.0]]
    >>> embedding_backward([2, 0, 2], np.ones((3, 2)), 3).tolist()   # token 2 twice: summed
    [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]]
    >>> words("Thou art; 'tis I'll")
    ['thou', 'art', 'tis', "i'll"]
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def one_hot(ids: Sequence[int], vocab_size: int) -> np.ndarray:
    """(T, V) rows of zeros with a 1 in column ids[t]."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1:
        raise ValueError(f"ids must be a list of token ids, got shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"token ids must lie in 0 … {vocab_size - 1}, got {ids.tolist()}")
    out = np.zeros((len(ids), vocab_size))
    out[np.arange(len(ids)), ids] = 1.0
    return out


def embedding_backward(ids: Sequence[int], grad_rows, vocab_size: int) -> np.ndarray:
    """dL/dE (V, C) from dL/dX (T, C), where X = E[ids]: row t of dX is added into row ids[t].

    Equal to one_hot(ids, V).T @ grad_rows, without building the (T, V) matrix; a token that
    appears twice gets both contributions, and a token that does not appear gets zeros.
    """
    ids = np.asarray(ids, dtype=np.int64)
    grad_rows = np.asarray(grad_rows, dtype=np.float64)
    if grad_rows.ndim != 2 or len(grad_rows) != len(ids):
        raise ValueError(
            f"grad_rows must be (T, C) with T = {len(ids)} (one row per id), got {grad_rows.shape}"
        )
    one_hot(ids, vocab_size)  # validates the ids
    grad = np.zeros((vocab_size, grad_rows.shape[1]))
    np.add.at(grad, ids, grad_rows)
    return grad


def words(text: str) -> list[str]:
    """Lower-case words of `text` (letters, with an inner apostrophe kept: "i'll", "'tis" -> "tis")."""
    return WORD.findall(text.lower())


def build_vocabulary(tokens: Sequence[str], size: int) -> list[str]:
    """The `size` most frequent tokens, most frequent first (ties in alphabetical order)."""
    if size < 2:
        raise ValueError(f"a vocabulary needs at least 2 words, got size={size}")
    counts = Counter(tokens)
    if len(counts) < size:
        raise ValueError(
            f"the text has only {len(counts)} distinct words; ask for fewer than {size}"
        )
    return [w for w, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:size]]


def pair_counts(ids: Sequence[int], vocab_size: int) -> np.ndarray:
    """(V, V) counts N[i, j] of word j following word i; ids < 0 (out of vocabulary) are skipped."""
    ids = np.asarray(ids, dtype=np.int64)
    prev, nxt = ids[:-1], ids[1:]
    keep = (prev >= 0) & (nxt >= 0)
    counts = np.zeros((vocab_size, vocab_size))
    np.add.at(counts, (prev[keep], nxt[keep]), 1.0)
    return counts


@dataclass(frozen=True)
class PairData:
    """A text cut into words: the vocabulary and the (V, V) pair counts of two slices."""

    vocabulary: list[str]
    train_counts: np.ndarray  # pairs in the first (1 - val_fraction) of the words
    val_counts: np.ndarray  # pairs in the rest, never trained on
    n_words: int


def prepare_pairs(text: str, vocab_size: int = 300, val_fraction: float = 0.1) -> PairData:
    """Words of `text`, its `vocab_size` commonest words, and the pair counts of both slices.

    The vocabulary is taken from the training slice only. A pair with a word outside the
    vocabulary is skipped.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must lie between 0 and 1, got {val_fraction}")
    tokens = words(text)
    split = int(len(tokens) * (1 - val_fraction))
    vocabulary = build_vocabulary(tokens[:split], vocab_size)
    index = {w: i for i, w in enumerate(vocabulary)}
    ids = np.array([index.get(w, -1) for w in tokens], dtype=np.int64)
    return PairData(
        vocabulary,
        pair_counts(ids[:split], vocab_size),
        pair_counts(ids[split:], vocab_size),
        len(tokens),
    )


def _product(spec: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A small matrix product by einsum's single-threaded loop, not BLAS.

    These products are (300, 16, 300): a multi-threaded BLAS call costs more in thread
    start-up and contention than the arithmetic (measured 3x slower on a busy 2-core machine),
    and Pyodide has no BLAS anyway.
    """
    return np.einsum(spec, a, b)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def pair_loss(counts: np.ndarray, E: np.ndarray, W: np.ndarray, b: np.ndarray) -> float:
    """Mean cross-entropy (nats per pair) of the model E @ W + b on the pairs counted in `counts`."""
    return float(-(counts * _log_softmax(_product("vc,cw->vw", E, W) + b)).sum() / counts.sum())


def count_loss(counts: np.ndarray, reference: np.ndarray | None = None) -> float:
    """Cross-entropy of the plain count table: p(j | i) = reference[i, j] / Σ_j reference[i, j].

    With reference = counts (the default) this is the best any previous-word model can do on
    those pairs; the embedding model, with only C numbers per word, cannot beat it there.
    """
    reference = counts if reference is None else reference
    rows = reference.sum(axis=1, keepdims=True)
    p = np.divide(reference, rows, out=np.zeros_like(reference), where=rows > 0)
    used = counts > 0
    if np.any(p[used] == 0):
        return float("inf")
    return float(-(counts[used] * np.log(p[used])).sum() / counts.sum())


def pair_gradients(counts, E, W, b) -> tuple[float, list[np.ndarray]]:
    """(loss, [dL/dE, dL/dW, dL/db]) of `pair_loss`, by hand.

    With P = softmax(E @ W + b) row by row and n_i = Σ_j N[i, j]:
    dL/dlogits = (n_i P[i, j] - N[i, j]) / Σ N, then dE = dlogits @ Wᵀ, dW = Eᵀ @ dlogits,
    db = column sums of dlogits.
    """
    total = counts.sum()
    log_p = _log_softmax(_product("vc,cw->vw", E, W) + b)
    loss = float(-(counts * log_p).sum() / total)
    d_logits = (counts.sum(axis=1, keepdims=True) * np.exp(log_p) - counts) / total  # (V, V)
    d_E = _product("vw,cw->vc", d_logits, W)  # d_logits @ Wᵀ
    d_W = _product("vc,vw->cw", E, d_logits)  # Eᵀ @ d_logits
    return loss, [d_E, d_W, d_logits.sum(axis=0)]


@dataclass
class WordEmbedding:
    """A trained previous-word model: vocabulary, E (V, C), W (C, V), b (V,), and its history."""

    vocabulary: list[str]
    E: np.ndarray
    W: np.ndarray
    b: np.ndarray
    E_initial: np.ndarray
    train_losses: list[float] = field(default_factory=list)
    val_losses: list[float] = field(default_factory=list)

    def index(self, word: str) -> int:
        try:
            return self.vocabulary.index(word)
        except ValueError:
            raise ValueError(
                f"{word!r} is not among the {len(self.vocabulary)} words this embedding knows"
            ) from None


def train_word_embedding(
    counts: np.ndarray,
    vocabulary: Sequence[str],
    *,
    width: int = 16,
    steps: int = 100,
    lr: float = 0.05,
    seed: int = 0,
    val_counts: np.ndarray | None = None,
    on_step: Callable[[int], None] | None = None,
) -> WordEmbedding:
    """Fit logits = E[prev] @ W + b to the pair counts by full-batch Adam (betas 0.9, 0.999).

    The gradient is exact (`pair_gradients`). train_losses[t] is the loss before step t + 1,
    and the last entry the loss after the last step (val_losses likewise). E and W start as N(0, 0.1²) (seeded), b at zero. on_step(t) is called after each step.
    """
    V = len(vocabulary)
    if counts.shape != (V, V):
        raise ValueError(f"counts must be (V, V) = ({V}, {V}), got {counts.shape}")
    if counts.sum() <= 0:
        raise ValueError("no pairs were counted: the text is empty or has no known words")
    rng = np.random.default_rng(seed)
    E = rng.normal(0.0, 0.1, (V, width))
    W = rng.normal(0.0, 0.1, (width, V))
    b = np.zeros(V)
    model = WordEmbedding(list(vocabulary), E, W, b, E.copy())
    params = [E, W, b]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for step in range(1, steps + 1):
        loss, grads = pair_gradients(counts, E, W, b)
        model.train_losses.append(loss)
        if val_counts is not None:
            model.val_losses.append(pair_loss(val_counts, E, W, b))
        for p, g, m_, v_ in zip(params, grads, m, v):
            m_ *= 0.9
            m_ += 0.1 * g
            v_ *= 0.999
            v_ += 0.001 * g * g
            p -= lr * (m_ / (1 - 0.9**step)) / (np.sqrt(v_ / (1 - 0.999**step)) + 1e-8)
        if on_step is not None:
            on_step(step)
    model.train_losses.append(pair_loss(counts, E, W, b))
    if val_counts is not None:
        model.val_losses.append(pair_loss(val_counts, E, W, b))
    return model


def cosine_similarities(E, index: int) -> np.ndarray:
    """(V,) cosine of the angle between row `index` of E and every row: a·b / (|a| |b|)."""
    E = np.asarray(E, dtype=np.float64)
    norms = np.linalg.norm(E, axis=1)
    return (E @ E[index]) / np.maximum(norms * norms[index], 1e-12)


def nearest_neighbours(E, index: int, k: int = 8) -> list[tuple[int, float]]:
    """The k rows most similar to row `index` by cosine, most similar first (itself left out)."""
    sims = cosine_similarities(E, index)
    order = [int(i) for i in np.argsort(-sims, kind="stable") if i != index]
    return [(i, float(sims[i])) for i in order[:k]]


def pca_2d(E) -> tuple[np.ndarray, np.ndarray]:
    """(coordinates (V, 2), fraction of the variance each keeps (2,)): the rows of E, centred,
    projected onto their two principal directions (the top right-singular vectors).

    The signs of the two axes are fixed so that each axis's largest coordinate is positive.
    """
    E = np.asarray(E, dtype=np.float64)
    centred = E - E.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ vt[:2].T
    signs = np.sign(coords[np.abs(coords).argmax(axis=0), [0, 1]])
    coords *= np.where(signs == 0, 1.0, signs)
    variance = s**2
    return coords, variance[:2] / variance.sum()
