"""Benchmark core.tokenize.bpe_tokenizer: ratios of times measured interleaved (A B A B ...) in one run.

1. BPE training, vocab 512 (256 merges) on the first 200,000 characters of Tiny Shakespeare:
   `BPETokenizer.train` (pair counts updated incrementally over a table of distinct chunks)
   against `train_merges_naive` (the teaching version: recount every pair of every chunk after
   each merge), and against the same recount over the table of distinct chunks (distinct=True:
   shows how much of the gain is the table and how much the incremental counts). Target: the same merges,
   ours at least 5x faster than the naive version.
2. Encoding all of Tiny Shakespeare with GPT-2's merges: ours (a fresh tokenizer each run, so
   its chunk cache starts empty; and again with the cache warm) against tiktoken's
   `encode_ordinary`. Target: the same ids, ours within 5x of tiktoken's time.
3. Pathological chunks, each one chunk of 200,000 characters that GPT-2's pre-tokenizer keeps
   whole (one letter repeated, a repeated pair, digits, spaces, newlines, punctuation, a long
   made-up word): ours (`bpe_encode.merge_by_heap` for long chunks) against tiktoken. Target:
   the same ids, and ours growing like n log n: 4x the characters, about 4-6x the time. The
   scan used before for every chunk grows 16x; it is timed alone on 5,000 and 20,000 "a"s,
   where it still finishes (200,000 would take minutes).

Usage: python bench/bench_tokenizer.py [--repeats N]   (about 3 minutes with N=2 on 2 cores)
Needs the data files (COURSE_DATA_DIR or the cache, see `python -m core.data`). Exit status 1
if an output differs from its reference; the ratios are printed, not judged by the exit status.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.data import fetch
from core.tokenize import BPETokenizer, tiktoken_gpt2
from core.tokenize.bpe import train_merges_naive
from core.tokenize.bpe_encode import merge_by_heap, merge_by_scan

TRAIN_CHARS = 200_000
TRAIN_VOCAB = 512


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


def row(label: str, seconds: float, note: str = "") -> None:
    print(f"  {label:<36}{seconds:8.3f} s   {note}".rstrip())


def bench_training(repeats: int) -> bool:
    text = fetch("tinyshakespeare").read_text(encoding="utf-8")[:TRAIN_CHARS]
    n_merges = TRAIN_VOCAB - 256
    medians, out = interleaved(
        {
            "ours": lambda: BPETokenizer.train(text, TRAIN_VOCAB).merges,
            "naive": lambda: train_merges_naive(text, n_merges),
            "table": lambda: train_merges_naive(text, n_merges, distinct=True),
        },
        repeats,
    )
    same = out["ours"] == out["naive"] == out["table"]
    ours = medians["ours"]
    print(
        f"BPE training: vocab {TRAIN_VOCAB} ({n_merges} merges), first {TRAIN_CHARS:,} "
        f"characters of Tiny Shakespeare, median of {repeats}"
    )
    row("ours (incremental counts)", ours)
    speedup = medians["naive"] / ours
    row(
        "naive: recount every chunk",
        medians["naive"],
        f"ours {speedup:5.1f}x faster (target >= 5x)",
    )
    speedup = medians["table"] / ours
    row("naive: recount the distinct chunks", medians["table"], f"ours {speedup:5.1f}x faster")
    print(f"  same merges in all three: {'yes' if same else 'NO'}")
    return same


def bench_encoding(repeats: int) -> bool:
    text = fetch("tinyshakespeare").read_text(encoding="utf-8")
    gpt2 = BPETokenizer.from_gpt2()
    reference = tiktoken_gpt2()

    def fresh_copy() -> BPETokenizer:  # the same merges, an empty chunk cache
        return BPETokenizer(gpt2.merges, byte_ids=gpt2.byte_ids, special_tokens=gpt2.special_tokens)

    warm = fresh_copy()
    warm.encode_ordinary(text)
    fresh = [fresh_copy() for _ in range(repeats)]  # built outside the timed runs

    def cold() -> list[int]:
        return fresh.pop().encode_ordinary(text)

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
    row("tiktoken encode_ordinary", base)
    ratio = medians["cold"] / base
    row("ours, empty chunk cache", medians["cold"], f"{ratio:5.2f}x tiktoken's time (target <= 5x)")
    ratio = medians["warm"] / base
    row("ours, warm chunk cache", medians["warm"], f"{ratio:5.2f}x tiktoken's time")
    print(f"  same ids: {'yes' if same else 'NO'}")
    return same


PATHOLOGICAL_CHARS = 200_000
PATHOLOGICAL = {  # one chunk each, however long
    "one letter": "a",
    "a repeated pair": "ab",
    "one digit": "7",
    "all the digits": "0123456789",
    "spaces": " ",
    "newlines": "\n",
    "punctuation": "!?",
    "a made-up word": "etaoinshrdlu",
}


def bench_pathological(repeats: int) -> bool:
    gpt2 = BPETokenizer.from_gpt2()  # chunks over 1,000 characters are never cached
    reference = tiktoken_gpt2()
    n = PATHOLOGICAL_CHARS
    print(
        f"Pathological chunks of {n:,} characters (one chunk each) with GPT-2's merges, "
        f"median of {repeats}"
    )
    same = True
    for kind, unit in PATHOLOGICAL.items():
        text, quarter = (unit * n)[:n], (unit * n)[: n // 4]
        medians, out = interleaved(
            {
                "tiktoken": lambda t=text: reference.encode_ordinary(t),
                "ours": lambda t=text: gpt2.encode_ordinary(t),
                "quarter": lambda t=quarter: gpt2.encode_ordinary(t),
            },
            repeats,
        )
        same &= out["tiktoken"] == out["ours"]
        ratio, growth = medians["ours"] / medians["tiktoken"], medians["ours"] / medians["quarter"]
        print(
            f"  {kind:<18} tiktoken {medians['tiktoken']:6.3f} s   ours {medians['ours']:6.3f} s"
            f" = {ratio:5.1f}x tiktoken's; 4x the length took {growth:4.1f}x the time"
        )
    print(f"  same ids: {'yes' if same else 'NO'}")

    # the scan (the encoder used before for every chunk) against the heap, on one letter
    ranks, new_ids, limit = gpt2._ranks, gpt2._new_ids, len(gpt2.merges)
    small, large = ([gpt2.byte_ids[ord("a")]] * k for k in (5_000, 20_000))
    medians, out = interleaved(
        {
            "scan small": lambda: merge_by_scan(list(small), ranks, new_ids, limit),
            "scan large": lambda: merge_by_scan(list(large), ranks, new_ids, limit),
            "heap small": lambda: merge_by_heap(list(small), ranks, new_ids, limit),
            "heap large": lambda: merge_by_heap(list(large), ranks, new_ids, limit),
        },
        repeats,
    )
    agree = out["scan large"] == out["heap large"]
    for name in ("scan", "heap"):
        growth = medians[f"{name} large"] / medians[f"{name} small"]
        print(
            f"  {name} alone, 5,000 -> 20,000 'a's: {medians[f'{name} small']:6.3f} s -> "
            f"{medians[f'{name} large']:6.3f} s ({growth:4.1f}x; n log n ~4x, n^2 16x)"
        )
    print(f"  scan and heap agree: {'yes' if agree else 'NO'}")
    return same and agree


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="runs of each variant (default 2)")
    parser.add_argument(
        "--only", choices=["training", "encoding", "pathological"], help="run one benchmark"
    )
    args = parser.parse_args()
    ok = True
    if args.only in (None, "training"):
        ok &= bench_training(args.repeats)
    if args.only in (None, "encoding"):
        ok &= bench_encoding(max(args.repeats, 5))
    if args.only in (None, "pathological"):
        ok &= bench_pathological(max(args.repeats, 3))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
