"""Byte-pair encoding, the algorithm: count pairs, merge the most frequent, repeat. Torch-free.

This module holds the pieces themselves, the ones lesson 2 derives by hand; the next one,
`bpe_tokenizer.py`, wraps them into `BPETokenizer` (a vocabulary, fast encoding with a cache,
special tokens, saving).

A text is split by a regular expression (`pattern`, GPT-2's by default) into *chunks*
("pre-tokens": words with their leading space, numbers, punctuation runs, whitespace); merges
never cross a chunk boundary. Each chunk becomes its UTF-8 bytes, each byte a *base id* (256 of
them). A *merge* replaces every adjacent pair of ids (a, b) by a new id; merges have an order
(their *rank*), and encoding applies them in that order:

    "aaabdaaabac"  -> bytes [97, 97, 97, 98, 100, 97, 97, 97, 98, 97, 99]
    merge (97, 97) -> 256:  [256, 97, 98, 100, 256, 97, 98, 97, 99]
    merge (97, 98) -> 257:  [256, 257, 100, 256, 257, 97, 99]
    merge (256, 257) -> 258: [258, 100, 258, 97, 99]

Training picks, at every step, the adjacent pair that occurs most often in the training chunks
(overlapping occurrences count: "aaa" holds (a, a) twice). **Tie-break**: among pairs with the
same count, the smallest pair in tuple order wins (smallest first id, then smallest second id).
`train_merges_naive` (recount everything after each merge) is the obvious version;
`train_merges_incremental` (counts kept up to date over a table of distinct chunks) is the fast
one `BPETokenizer.train` uses; tests hold their merges equal. Likewise for encoding:
`merge_pair` applied merge by merge is the obvious way; `bpe_encode.apply_merges` (the
lowest-ranked pair present, again and again) the fast one, tested equal. `build_vocab` gives
the bytes each id stands for, and checks that merges only build on ids defined before them.

`regex` (a dependency, also in Pyodide) is imported only when a pattern is compiled: GPT-2's
pattern needs the Unicode classes \\p{L} (letters) and \\p{N} (numbers) that `re` lacks.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

# GPT-2's pre-tokenization pattern, as in OpenAI's original encoder.py.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


# ---------------------------------------------------------------------------------------------
# The building blocks (the lesson derives these by hand, then uses them from here)


@dataclass(frozen=True)
class Merge:
    """One learned BPE merge: every adjacent `pair` (a, b) of ids becomes `new_id`.

    `count` is how many times the pair occurred in the training chunks when it was chosen
    (overlapping occurrences counted), or None for merges read from GPT-2's files, which do not
    record counts. A training run's record is the list of its merges in the order learned.

    Example: Merge(pair=(97, 97), new_id=256, count=4) is the first merge on "aaabdaaabac".
    """

    pair: tuple[int, int]
    new_id: int
    count: int | None = None


def count_pairs(ids: list[int], counts: dict[tuple[int, int], int] | None = None, weight: int = 1):
    """Add `weight` to counts[(a, b)] for every adjacent pair of `ids`; return the counts.

    Example: count_pairs([1, 2, 1, 2]) -> {(1, 2): 2, (2, 1): 1}
    """
    counts = {} if counts is None else counts
    for pair in pairwise(ids):
        counts[pair] = counts.get(pair, 0) + weight
    return counts


def merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace each occurrence of `pair` in `ids`, scanning left to right, by `new_id`.

    Example: merge_pair([97, 97, 97, 98], (97, 97), 256) -> [256, 97, 98]
    """
    a, b = pair
    out: list[int] = []
    i, n = 0, len(ids)
    while i < n:
        if ids[i] == a and i + 1 < n and ids[i + 1] == b:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def best_pair(counts: Mapping[tuple[int, int], int]) -> tuple[int, int]:
    """The most frequent pair; ties go to the smallest pair in tuple order (the tie-break).

    Example: best_pair({(5, 1): 3, (2, 9): 3, (0, 0): 1}) -> (2, 9)
    """
    return max(counts, key=lambda p: (counts[p], -p[0], -p[1]))


def compile_pattern(pattern: str):
    import regex  # the `regex` package: \p{L} and \p{N}; in Pyodide too

    try:
        return regex.compile(pattern)
    except regex.error as err:
        raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {err}") from err


def split_on_specials(text: str, specials: Collection[str]) -> list[str]:
    """The pieces of `text` between occurrences of the special tokens (which are dropped)."""
    if not specials:
        return [text]
    alternation = "|".join(re.escape(s) for s in sorted(specials, key=len, reverse=True))
    return re.split(alternation, text)


def pretokenize(text: str, pattern: str | None, specials: Collection[str] = ()) -> list[str]:
    """Pre-tokenize: the chunks of `text` that merges never cross, in order."""
    pieces = [p for p in split_on_specials(text, specials) if p]
    if pattern is None:
        return pieces
    compiled = compile_pattern(pattern)
    return [c for piece in pieces for c in compiled.findall(piece)]


def to_utf8(text: str) -> bytes:
    """text.encode("utf-8"), with a clear error for strings UTF-8 cannot encode."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:
        bad = text[err.start]
        raise ValueError(
            f"the text has a lone surrogate U+{ord(bad):04X} at position {err.start}, which has "
            "no UTF-8 encoding (it usually comes from a broken decode, e.g. errors='surrogate"
            "escape'); remove it or replace it, e.g. text.encode('utf-8', 'replace').decode()"
        ) from None


def build_vocab(
    merges: Sequence[Merge], byte_ids: Sequence[int], special_tokens: Mapping[str, int]
) -> dict[int, bytes]:
    """id -> the bytes it stands for: the 256 bytes, each merge's pair joined, the specials.

    Raises ValueError when the ids do not make one consistent vocabulary: a merge that uses an
    id no byte or earlier merge defines, repeats a pair, or reuses an id.
    Example: build_vocab([Merge((97, 97), 256)], range(256), {})[256] -> b"aa"
    """
    if sorted(byte_ids) != sorted(set(byte_ids)) or len(byte_ids) != 256:
        raise ValueError("byte_ids must hold 256 distinct ids, one for each byte value")
    vocab: dict[int, bytes] = {i: bytes([b]) for b, i in enumerate(byte_ids)}
    seen_pairs: set[tuple[int, int]] = set()
    for rank, m in enumerate(merges):
        a, b = m.pair
        if a not in vocab or b not in vocab:
            raise ValueError(
                f"merge {rank} {m.pair} -> {m.new_id} uses an id that no byte or earlier "
                "merge defines"
            )
        if m.pair in seen_pairs:
            raise ValueError(f"merge {rank} repeats the pair {m.pair} of an earlier merge")
        seen_pairs.add(m.pair)
        if m.new_id in vocab:
            raise ValueError(f"merge {rank} reuses id {m.new_id}, which is already taken")
        vocab[m.new_id] = vocab[a] + vocab[b]
    for text, i in special_tokens.items():
        if not text or i in vocab:
            raise ValueError(
                f"special token {text!r} -> {i}: it needs non-empty text and an unused id"
            )
        vocab[i] = text.encode("utf-8")
    return vocab


def train_merges_naive(
    text: str,
    n_merges: int,
    *,
    pattern: str | None = GPT2_PATTERN,
    special_tokens: Collection[str] = (),
    distinct: bool = False,
) -> list[Merge]:
    """The obvious BPE trainer: after every merge, recount every pair of every chunk.

    The reference that `BPETokenizer.train` is checked against (same merges, same tie-break),
    and the teaching version: O(n_merges x text length). Stops early when no pair is left.
    distinct=True recounts over the table of distinct chunks instead, each pair counted times
    its chunk's frequency: the same merges, a step towards the fast trainer.

    Example: [m.pair for m in train_merges_naive("aaabdaaabac", 3)]
             -> [(97, 97), (97, 98), (256, 257)]
    """
    chunks = [to_utf8(c) for c in pretokenize(text, pattern, special_tokens)]
    if distinct:
        table = Counter(chunks)
        words, freqs = [list(w) for w in table], list(table.values())
    else:
        words, freqs = [list(c) for c in chunks], [1] * len(chunks)
    merges: list[Merge] = []
    for new_id in range(256, 256 + n_merges):
        counts: dict[tuple[int, int], int] = {}
        for ids, f in zip(words, freqs):
            count_pairs(ids, counts, f)
        if not counts:
            break
        pair = best_pair(counts)
        merges.append(Merge(pair, new_id, counts[pair]))
        words = [merge_pair(ids, pair, new_id) for ids in words]
    return merges


def train_merges_incremental(
    word_counts: Mapping[bytes, int],
    n_merges: int,
    progress: Callable[[int, int], None] | None = None,
) -> list[Merge]:
    """BPE merges from a table {distinct chunk: how often it occurs}, counts kept up to date.

    Instead of recounting the whole text after a merge, only the distinct chunks that contain
    the merged pair change: for each, its old pairs are subtracted and its new pairs added
    (times the chunk's frequency), so every count stays exactly what a recount would give.
    A heap of (-count, a, b) finds the best pair with the same tie-break as `best_pair`;
    entries whose count went stale are skipped when they reach the top.
    """
    words = [list(w) for w in word_counts]
    freqs = list(word_counts.values())
    counts: dict[tuple[int, int], int] = {}
    where: dict[tuple[int, int], set[int]] = {}  # pair -> indices of the words that hold it
    for w, ids in enumerate(words):
        for pair in pairwise(ids):
            counts[pair] = counts.get(pair, 0) + freqs[w]
            where.setdefault(pair, set()).add(w)
    heap = [(-c, a, b) for (a, b), c in counts.items()]
    heapq.heapify(heap)

    merges: list[Merge] = []
    while len(merges) < n_merges:
        while heap and counts.get((heap[0][1], heap[0][2])) != -heap[0][0]:
            heapq.heappop(heap)  # stale: the pair's count has changed since this was pushed
        if not heap:
            break
        neg_count, a, b = heapq.heappop(heap)
        pair, new_id = (a, b), 256 + len(merges)
        merges.append(Merge(pair, new_id, -neg_count))
        changed: set[tuple[int, int]] = set()
        for w in sorted(where.pop(pair)):
            old, f = words[w], freqs[w]
            new = merge_pair(old, pair, new_id)
            words[w] = new
            for p in pairwise(old):
                counts[p] -= f
                changed.add(p)
            for p in pairwise(new):
                counts[p] = counts.get(p, 0) + f
                changed.add(p)
                where.setdefault(p, set()).add(w)
            for p in set(pairwise(old)) - set(pairwise(new)):
                holders = where.get(p)
                if holders is not None:
                    holders.discard(w)
        for p in changed:
            c = counts[p]
            if c > 0:
                heapq.heappush(heap, (-c, p[0], p[1]))
            else:
                del counts[p]
                where.pop(p, None)
        if progress is not None:
            progress(len(merges), n_merges)
    return merges
