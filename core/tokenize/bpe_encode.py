"""Encoding one chunk with known merges: the lowest-ranked pair first, again and again. Torch-free.

`bpe.py` learns merges; this module applies them to one chunk's ids, by the rule GPT-2 and
tiktoken follow: while some adjacent pair has a merge, merge the pair of lowest rank, and
where that pair occurs more than once, its leftmost occurrence first. That equals applying
every merge in rank order with `bpe.merge_pair` (the obvious way), because a merge only
builds on ids made by earlier merges: merging never creates a pair of lower rank than the one
just merged.

    "aaab" with (a, a) -> X at rank 0 and (X, a) -> Y at rank 1:
    pair ranks [0, 0, -]   lowest 0, leftmost: merge positions 0, 1 -> [X, a, b]
    pair ranks [1, -]      lowest 1:           merge positions 0, 1 -> [Y, b]
    pair ranks [-]         no merge left:      done

Two implementations of that one rule, tested equal to each other and to `merge_pair`:

- `merge_by_scan`, the one to read first: a list holds the rank of every adjacent pair;
  `min` finds the lowest, `index` its leftmost occurrence; merge, then re-rank the pairs on
  either side of the new id. Fast on ordinary chunks (a word is a few bytes; `min` and
  `index` run in C), but each merge scans the whole chunk, so a chunk of n bytes costs up to
  n^2 steps. Chunks can be long: GPT-2's pre-tokenizer keeps "aaaa…", a run of digits or of
  newlines as one chunk however long it is (200,000 "a"s would take minutes).
- `merge_by_heap`: the same choices, made with a heap of (rank, position) entries. Positions
  are the chunk's original byte positions, linked to their neighbours (`prev`, `next`), so a
  merge is a few list writes instead of a shift of the whole list; the heap gives the lowest
  rank, and among equal ranks the smallest position, which is the leftmost. A merge changes
  only the pairs on either side of it: their new ranks are pushed, and the entries they
  replace stay in the heap until they surface and are recognised as stale. O(n log n).

`apply_merges` picks: the scan for chunks shorter than `HEAP_FROM` ids, the heap above.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from itertools import pairwise

HEAP_FROM = 40  # ids: below about this length the scan is the faster of the two


def apply_merges(
    ids: list[int], ranks: Mapping[tuple[int, int], int], new_ids: Sequence[int], limit: int
) -> list[int]:
    """The ids of one chunk after the merges of rank < `limit` (lowest rank first).

    `ranks[pair]` is a merge's rank, `new_ids[rank]` its new id. May change `ids` in place.
    Example: apply_merges([97, 97, 97, 98], {(97, 97): 0, (256, 97): 1}, [256, 257], 2)
             -> [257, 98]
    """
    if len(ids) < HEAP_FROM:
        return merge_by_scan(ids, ranks, new_ids, limit)
    return merge_by_heap(ids, ranks, new_ids, limit)


def merge_by_scan(
    ids: list[int], ranks: Mapping[tuple[int, int], int], new_ids: Sequence[int], limit: int
) -> list[int]:
    """`apply_merges` by scanning the pair ranks for the lowest at every merge: O(n^2).

    Changes `ids` in place and returns it.
    Example: merge_by_scan([97, 97, 97, 98], {(97, 97): 0, (256, 97): 1}, [256, 257], 2)
             -> [257, 98]
    """
    get = ranks.get
    pair_ranks = [get(pair, limit) for pair in pairwise(ids)]  # [i]: rank of ids[i], ids[i+1]
    while pair_ranks:
        best = min(pair_ranks)
        if best >= limit:
            break
        i = pair_ranks.index(best)  # the leftmost occurrence
        ids[i : i + 2] = [new_ids[best]]
        del pair_ranks[i]  # only the pairs beside the new id change
        if i < len(pair_ranks):
            pair_ranks[i] = get((ids[i], ids[i + 1]), limit)
        if i > 0:
            pair_ranks[i - 1] = get((ids[i - 1], ids[i]), limit)
    return ids


def merge_by_heap(
    ids: list[int], ranks: Mapping[tuple[int, int], int], new_ids: Sequence[int], limit: int
) -> list[int]:
    """`apply_merges` with a heap of (rank, position) over linked positions: O(n log n).

    Position i holds the token that starts at byte i; merging the tokens at i and j = next[i]
    leaves the new token at i and empties j. An entry (rank, i) in the heap is current when
    the pair now at i, (tokens[i], tokens[next[i]]), still has that rank; any other entry was
    made stale by a merge beside it and is skipped (an emptied position holds None, which is
    in no pair). Returns a new list.
    Example: merge_by_heap([97, 97, 97, 98], {(97, 97): 0, (256, 97): 1}, [256, 257], 2)
             -> [257, 98]
    """
    get = ranks.get
    n = len(ids)
    tokens: list[int | None] = list(ids)
    prev = list(range(-1, n - 1))  # prev[i]: the position before i (-1: none)
    next_ = list(range(1, n + 1))  # next[i]: the position after i (n: none)
    heap = [(r, i) for i, pair in enumerate(pairwise(ids)) if (r := get(pair, limit)) < limit]
    heapq.heapify(heap)
    while heap:
        rank, i = heapq.heappop(heap)
        j = next_[i]
        if j == n or get((tokens[i], tokens[j])) != rank:
            continue  # stale: a merge beside it changed the pair at i
        # merge: the new token at i, position j emptied and unlinked
        tokens[i], tokens[j] = new_ids[rank], None
        k = next_[i] = next_[j]
        if k < n:
            prev[k] = i
            r = get((tokens[i], tokens[k]), limit)
            if r < limit:
                heapq.heappush(heap, (r, i))
        h = prev[i]
        if h >= 0:
            r = get((tokens[h], tokens[i]), limit)
            if r < limit:
                heapq.heappush(heap, (r, h))
    return [t for t in tokens if t is not None]
