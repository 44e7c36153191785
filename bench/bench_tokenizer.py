"""Benchmark core.tokenizer: ratios of times measured interleaved (A B A B ...) in one run.

1. BPE training, vocab 512 (256 merges) on the first 200,000 characters of Tiny Shakespeare:
   `BPETokenizer.train` (pair counts updated incrementally over a table of distinct chunks)
   against `train_merges_naive` (the teaching version: recount every pair of every chunk after
   each merge), and against a recount over the distinct-chunk table (written here, to show how
   much of the gain is the table and how much the incremental counts). Target: the same merges,
   ours at least 5x faster than the naive version.
2. Encoding all of Tiny Shakespeare with GPT-2's merges: ours (a fresh tokenizer each run, so
   its chunk cache starts empty; and again with the cache warm) against tiktoken's
   `encode_ordinary`. Target: the same ids, ours within 5x of tiktoken's time.

Usage: python bench/bench_tokenizer.py [--repeats N]   (about 2 minutes with N=2 on 2 cores)
Needs the data files (COURSE_DATA_DIR or the cache, see `python -m core.data`). Exit status 1
if an output differs from its reference; the ratios are printed, not judged by the exit status.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.data import fetch
from core.tokenizer import (
    GPT2_PATTERN,
    BPETokenizer,
    Merge,
    best_pair,
    count_pairs,
    merge_pair,
    pretokenize,
    tiktoken_gpt2,
    train_merges_naive,
)

TRAIN_CHARS = 200_000
TRAIN_VOCAB = 512


def recount_over_distinct_chunks(text: str, n_merges: int) -> list[Merge]:
    """Naive recount after every merge, but over {distinct chunk: frequency}."""
    table = Counter(c.encode("utf-8") for c in pretokenize(text, GPT2_PATTERN))
    words = [list(w) for w in table]
    freqs = list(table.values())
    merges = []
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


def interleaved(runs: dict[str, Callable[[], object]], repeats: int):
    """Median seconds of each run, the runs alternating; and each run's last output."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    outputs: dict[str, object] = {}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            outputs[name] = run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}, outputs


def bench_training(repeats: int) -> bool:
    text = fetch("tinyshakespeare").read_text(encoding="utf-8")[:TRAIN_CHARS]
    n_merges = TRAIN_VOCAB - 256
    medians, out = interleaved(
        {
            "ours": lambda: BPETokenizer.train(text, TRAIN_VOCAB).merges,
            "naive": lambda: train_merges_naive(text, n_merges),
            "table": lambda: recount_over_distinct_chunks(text, n_merges),
        },
        repeats,
    )
    same = out["ours"] == out["naive"] == out["table"]
    ours = medians["ours"]
    print(
        f"BPE training: vocab {TRAIN_VOCAB} ({n_merges} merges), first {TRAIN_CHARS:,} "
        f"characters of Tiny Shakespeare, median of {repeats}"
    )
    print(f"  ours (incremental counts)          {ours:8.2f} s")
    print(
        f"  naive: recount every chunk         {medians['naive']:8.2f} s   "
        f"ours is {medians['naive'] / ours:5.1f}x faster (target >= 5x)"
    )
    print(
        f"  naive: recount the distinct chunks {medians['table']:8.2f} s   "
        f"ours is {medians['table'] / ours:5.1f}x faster"
    )
    print(f"  same merges in all three: {'yes' if same else 'NO'}")
    return same


def bench_encoding(repeats: int) -> bool:
    text = fetch("tinyshakespeare").read_text(encoding="utf-8")
    gpt2 = BPETokenizer.from_gpt2()
    reference = tiktoken_gpt2()
    warm = BPETokenizer(gpt2.merges, byte_ids=gpt2.byte_ids, special_tokens=gpt2.special_tokens)
    warm.encode_ordinary(text)
    fresh: list[BPETokenizer] = []

    def cold() -> list[int]:
        return fresh.pop().encode_ordinary(text)

    for _ in range(repeats):  # built outside the timed runs
        fresh.append(
            BPETokenizer(gpt2.merges, byte_ids=gpt2.byte_ids, special_tokens=gpt2.special_tokens)
        )
    medians, out = interleaved(
        {
            "tiktoken": lambda: reference.encode_ordinary(text),
            "cold": cold,
            "warm": lambda: warm.encode_ordinary(text),
        },
        repeats,
    )
    same = out["tiktoken"] == out["cold"] == out["warm"]
    base = medians["tiktoken"]
    print(
        f"Encoding Tiny Shakespeare ({len(text):,} characters, {len(out['tiktoken']):,} tokens) "
        f"with GPT-2's merges, median of {repeats}"
    )
    print(f"  tiktoken encode_ordinary           {base:8.3f} s")
    print(
        f"  ours, empty chunk cache            {medians['cold']:8.3f} s   "
        f"{medians['cold'] / base:5.2f}x tiktoken's time (target <= 5x)"
    )
    print(
        f"  ours, warm chunk cache             {medians['warm']:8.3f} s   "
        f"{medians['warm'] / base:5.2f}x tiktoken's time"
    )
    print(f"  same ids: {'yes' if same else 'NO'}")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="runs of each variant (default 2)")
    parser.add_argument("--only", choices=["training", "encoding"], help="run one benchmark")
    args = parser.parse_args()
    ok = True
    if args.only in (None, "training"):
        ok &= bench_training(args.repeats)
    if args.only in (None, "encoding"):
        ok &= bench_encoding(max(args.repeats, 5))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
