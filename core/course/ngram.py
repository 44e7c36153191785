"""Counted n-gram language models over token ids, in NumPy: lesson 1's first language model.

A model of order k predicts token x_t from the k tokens before it, by counting:

    P(c | ctx) = (N(ctx, c) + alpha) / (N(ctx) + alpha * V)        add-alpha smoothing

N(ctx, c) counts how often c followed ctx in the training ids, N(ctx) how often ctx was
followed by anything, V is the vocabulary size; alpha = 1 is add-one (Laplace) smoothing.
Two rules follow from the formula and are worth saying out loud:

- a context never seen in training has N(ctx) = 0, so its prediction is uniform, 1/V;
- a token never seen after a context still gets alpha / (N(ctx) + alpha V) > 0, so no
  held-out text has probability 0 (its perplexity stays finite).

The first tokens of a sequence have fewer than k tokens before them: position t uses the
min(t, k) tokens it has, so an order-k model holds the counts of every order 0 … k
(order 0 is plain token frequency). `sequence_log_probs` therefore scores every token, and
the log-probability of a whole sequence is their sum (the chain rule).

How counting stays fast (order 7 over a million characters in about a second): a window of
m consecutive ids is one integer, sum_j ids[t+j] * V^(m-1-j) (exact, no hash collisions,
while V^m < 2^63), and `np.unique` sorts the windows and counts each once. The windows that
share a context are then neighbours in that sorted array, so the context totals are sums
over runs (`np.add.reduceat`), with no second sort. Looking up a window is a binary search
(`np.searchsorted`). Notation: V vocabulary size, k order (tokens of context), N tokens.

Example:
    >>> ids = np.array([0, 1, 0, 1, 1])            # "abab b" with vocabulary {a: 0, b: 1}
    >>> model = NGramModel.fit(ids, order=1, vocab_size=2)
    >>> model.next_probs([0]).tolist()             # after a: b twice, a never -> (0+1)/(2+2)
    [0.25, 0.75]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from core.mirrors.sampling import sample as sample_from_logits

MAX_CODE = 2**63 - 1


def encode_chars(text: str, vocab: Sequence[str]) -> np.ndarray:
    """The ids of `text`'s characters in `vocab` (a list of single characters), vectorised.

    Equal to `CharTokenizer(vocab).encode(text)`, as a NumPy array, without a Python loop. A
    character outside the vocabulary raises ValueError naming it and where it is.
    Example: encode_chars("hole", ["e", "h", "l", "o"]).tolist() == [1, 3, 2, 0]
    """
    if not vocab:
        raise ValueError("the vocabulary is empty")
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    points = np.array([ord(c) for c in vocab], dtype=np.int64)
    lut = np.full(max(int(codes.max()), int(points.max())) + 1, -1, dtype=np.int64)
    lut[points] = np.arange(len(vocab))  # code point -> id, -1 for characters not in vocab
    ids = lut[codes]
    unknown = np.flatnonzero(ids < 0)
    if len(unknown):
        missing = sorted({text[i] for i in unknown})
        raise ValueError(
            f"{len(missing)} character(s) not in the {len(vocab)}-character vocabulary: "
            f"{', '.join(repr(c) for c in missing)} (first at position {int(unknown[0])}); "
            "remove them or build the vocabulary from a text that contains them"
        )
    return ids


def split_train_val(ids: np.ndarray, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """The first (1 - val_fraction) of the stream trains, the rest validates (no shuffling).

    The same rule as `core.data.lm.TokenSplits.from_ids` (the course's 90/10 split of Tiny
    Shakespeare), without torch. Example: split_train_val(np.arange(10)) -> ([0..8], [9])
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    ids = np.asarray(ids)
    n = int(len(ids) * (1 - val_fraction))
    return ids[:n], ids[n:]


def window_codes(ids: np.ndarray, length: int, vocab_size: int) -> np.ndarray:
    """One int64 per window of `length` consecutive ids: (N - length + 1,), base-V digits.

    Example: window_codes([1, 2, 3], 2, vocab_size=10).tolist() == [12, 23]
    """
    ids = np.asarray(ids, dtype=np.int64)
    count = len(ids) - length + 1
    codes = np.zeros(max(count, 0), dtype=np.int64)
    for j in range(length):
        codes = codes * vocab_size + ids[j : j + count]
    return codes


def _find(sorted_codes: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positions, found): where each code sits in `sorted_codes`, and whether it is there."""
    if len(sorted_codes) == 0:
        return np.zeros(len(codes), dtype=np.int64), np.zeros(len(codes), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_codes, codes), len(sorted_codes) - 1)
    return pos, sorted_codes[pos] == codes


@dataclass(frozen=True)
class NGramCounts:
    """The counts of one order: every (context, next token) window seen, and its context's total.

    grams: sorted codes of the distinct windows of order + 1 ids; gram_counts: N(ctx, c) of each.
    contexts: sorted codes of the distinct contexts; context_counts: N(ctx) of each.
    """

    order: int
    vocab_size: int
    grams: np.ndarray
    gram_counts: np.ndarray
    contexts: np.ndarray
    context_counts: np.ndarray

    @classmethod
    def count(cls, ids: np.ndarray, order: int, vocab_size: int) -> NGramCounts:
        """Count every window of order + 1 ids in `ids` (one sort)."""
        check_order(order, vocab_size)
        ids = np.asarray(ids, dtype=np.int64)
        grams, gram_counts = np.unique(window_codes(ids, order + 1, vocab_size), return_counts=True)
        context_of = grams // vocab_size  # sorted, so equal contexts are neighbours
        if len(grams):
            starts = np.flatnonzero(np.r_[True, context_of[1:] != context_of[:-1]])
            contexts, context_counts = context_of[starts], np.add.reduceat(gram_counts, starts)
        else:
            contexts = context_counts = np.zeros(0, dtype=np.int64)
        return cls(order, vocab_size, grams, gram_counts, contexts, context_counts)

    def lookup(self, gram_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N(ctx, c), N(ctx)) for each window code; 0 for what training never saw."""
        gram_codes = np.asarray(gram_codes, dtype=np.int64)
        pos, found = _find(self.grams, gram_codes)
        pair = np.where(found, self.gram_counts[pos], 0) if len(self.grams) else found * 0
        pos, found = _find(self.contexts, gram_codes // self.vocab_size)
        total = np.where(found, self.context_counts[pos], 0) if len(self.contexts) else found * 0
        return pair, total

    @property
    def distinct_contexts(self) -> int:
        return len(self.contexts)


def check_order(order: int, vocab_size: int) -> None:
    """Raise ValueError unless 0 <= order and a window of order + 1 ids fits in an int64."""
    if isinstance(order, bool) or not isinstance(order, int | np.integer) or order < 0:
        raise ValueError(f"order must be an integer >= 0 (tokens of context), got {order!r}")
    if vocab_size < 1:
        raise ValueError(f"vocab_size must be at least 1, got {vocab_size}")
    if vocab_size ** (order + 1) > MAX_CODE:
        raise ValueError(
            f"order {order} with a vocabulary of {vocab_size} does not fit the int64 window "
            f"codes (V^(order+1) = {vocab_size ** (order + 1):.3g} > 2^63): use a lower order"
        )


class NGramModel:
    """An add-alpha smoothed n-gram model of order k: the counts of every order 0 … k.

    tables[j] are the counts of order j (`NGramCounts`); position t of a sequence is
    predicted from its last min(t, k) tokens.
    """

    def __init__(self, tables: Sequence[NGramCounts], alpha: float = 1.0) -> None:
        if not tables or [t.order for t in tables] != list(range(len(tables))):
            raise ValueError("tables must hold the counts of orders 0, 1, …, k, in that order")
        if len({t.vocab_size for t in tables}) != 1:
            raise ValueError("every table must have the same vocab_size")
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0 (add-alpha smoothing), got {alpha!r}")
        self.tables = list(tables)
        self.alpha = float(alpha)
        self.vocab_size = tables[0].vocab_size

    @classmethod
    def fit(
        cls,
        ids: np.ndarray,
        order: int,
        vocab_size: int,
        alpha: float = 1.0,
        counts: Callable[[int], NGramCounts] | None = None,
    ) -> NGramModel:
        """Count orders 0 … `order` in `ids`. counts: a function order -> NGramCounts to use
        instead (a cache, so that models of several orders share their tables)."""
        check_order(order, vocab_size)
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) and (ids.min() < 0 or ids.max() >= vocab_size):
            raise ValueError(f"ids must lie in [0, {vocab_size}), got {ids.min()} … {ids.max()}")
        count = counts or (lambda j: NGramCounts.count(ids, j, vocab_size))
        return cls([count(j) for j in range(order + 1)], alpha)

    @property
    def order(self) -> int:
        return len(self.tables) - 1

    def _probs(self, pair: np.ndarray, total: np.ndarray) -> np.ndarray:
        return (pair + self.alpha) / (total + self.alpha * self.vocab_size)

    def next_counts(self, context: Sequence[int]) -> tuple[np.ndarray, int]:
        """(N(ctx, c) for every c, N(ctx)) for the last min(len(context), k) ids of `context`."""
        context = np.asarray(context, dtype=np.int64)[len(context) - self._used(len(context)) :]
        table = self.tables[len(context)]
        code = int(window_codes(context, len(context), self.vocab_size)[0]) if len(context) else 0
        pair, total = table.lookup(code * self.vocab_size + np.arange(self.vocab_size))
        return pair, int(total[0])

    def next_probs(self, context: Sequence[int]) -> np.ndarray:
        """P(c | context) for every token c: (V,), sums to 1."""
        pair, total = self.next_counts(context)
        return self._probs(pair, np.full(self.vocab_size, total))

    def _used(self, available: int) -> int:
        return min(available, self.order)

    def _lookup_all(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N(ctx_t, x_t), N(ctx_t)) for every position t, ctx_t its last min(t, k) tokens."""
        pair = np.zeros(len(ids), dtype=np.int64)
        total = np.zeros(len(ids), dtype=np.int64)
        k = self.order
        for t in range(min(k, len(ids))):  # the first tokens: shorter contexts
            code = window_codes(ids[: t + 1], t + 1, self.vocab_size)
            pair[t], total[t] = (x[0] for x in self.tables[t].lookup(code))
        if len(ids) > k:
            pair[k:], total[k:] = self.tables[k].lookup(window_codes(ids, k + 1, self.vocab_size))
        return pair, total

    def sequence_log_probs(self, ids: Sequence[int]) -> np.ndarray:
        """log P(x_t | the min(t, k) tokens before it), natural log, for every t: (N,).

        The sum is log P(x_0 … x_{N-1}) by the chain rule; -mean is the cross-entropy in nats.
        """
        return np.log(self._probs(*self._lookup_all(np.asarray(ids, dtype=np.int64))))

    def context_counts(self, ids: Sequence[int]) -> np.ndarray:
        """N(ctx_t) for every position t: how often training saw the context each token is
        predicted from (0: never, so the prediction there is uniform). (N,) ints."""
        return self._lookup_all(np.asarray(ids, dtype=np.int64))[1]

    def perplexity(self, ids: Sequence[int]) -> float:
        """exp(mean surprisal in nats): the number of equally likely choices the model's
        average uncertainty is worth. Example: a uniform model over V tokens has perplexity V."""
        if len(ids) == 0:
            raise ValueError("cannot measure the perplexity of an empty sequence")
        return float(np.exp(-self.sequence_log_probs(ids).mean()))

    def unseen_context_fraction(self, ids: Sequence[int]) -> float:
        """The share of positions t >= k whose k tokens of context training never saw (the
        model's prediction there is uniform, 1/V). 0.0 when `ids` has no such position."""
        counts = self.context_counts(ids)[self.order :]
        return float(np.mean(counts == 0)) if len(counts) else 0.0

    def sample(
        self,
        rng: np.random.Generator,
        length: int,
        prompt: Sequence[int] = (),
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
    ) -> list[int]:
        """`length` new ids after `prompt`, one at a time, each drawn from the model's next-token
        distribution through `core.mirrors.sampling` (log-probabilities are the logits)."""
        if length < 0:
            raise ValueError(f"length must be >= 0, got {length}")
        ids = [int(i) for i in prompt]
        for _ in range(length):
            logits = np.log(self.next_probs(ids[len(ids) - self._used(len(ids)) :]))
            ids.append(sample_from_logits(logits, rng, temperature, top_k, top_p))
        return ids[len(prompt) :]


def bigram_matrix(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """(V, V) counts: entry [a, b] is how often b follows a in `ids`. Rows are contexts.

    The dense picture of `NGramCounts.count(ids, 1, V)`, for a heatmap.
    """
    ids = np.asarray(ids, dtype=np.int64)
    flat = np.bincount(ids[:-1] * vocab_size + ids[1:], minlength=vocab_size * vocab_size)
    return flat.reshape(vocab_size, vocab_size)
