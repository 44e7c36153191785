"""core.tokenize.bpe_encode: the scan and the heap encoders, equal to the obvious way and to
tiktoken, and the heap's n log n on the long chunks that made the scan quadratic."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data import fetch
from core.tokenize import BPETokenizer
from core.tokenize.bpe import merge_pair
from core.tokenize.bpe_encode import HEAP_FROM, apply_merges, merge_by_heap, merge_by_scan

ENCODERS = [merge_by_scan, merge_by_heap, apply_merges]


def merge_in_rank_order(ids, merges, limit):
    """The obvious way: every merge in rank order, each over the whole chunk."""
    for m in merges[:limit]:
        ids = merge_pair(ids, m.pair, m.new_id)
    return ids


@pytest.fixture(scope="module")
def shakespeare_merges():
    text = fetch("tinyshakespeare").read_text(encoding="utf-8")[:5_000]
    merges = BPETokenizer.train(text, 256 + 60).merges
    return merges, {m.pair: r for r, m in enumerate(merges)}, [m.new_id for m in merges]


@pytest.mark.parametrize("encode", ENCODERS)
def test_known_answer_and_ties_go_left(encode):
    ranks, new_ids = {(97, 97): 0, (256, 97): 1}, [256, 257]
    assert encode([97, 97, 97, 98], ranks, new_ids, 2) == [257, 98]
    assert encode([97, 97, 97, 98], ranks, new_ids, 1) == [256, 97, 98]
    assert encode([97, 97, 97], ranks, new_ids, 0) == [97, 97, 97]
    assert encode([97, 97, 97], {(97, 97): 0}, [256], 1) == [256, 97]  # "aaa": the left pair
    assert encode([], ranks, new_ids, 2) == [] and encode([97], ranks, new_ids, 2) == [97]


@pytest.mark.parametrize("encode", ENCODERS)
def test_equals_merge_pair_in_rank_order(encode, shakespeare_merges):
    merges, ranks, new_ids = shakespeare_merges
    words = ["the", " thou", " hath", "eeeeeee", " Citizen", "", "e" * 300, " the" * 50]
    for word in words:
        for limit in (0, 1, 10, 60):
            slow = merge_in_rank_order(list(word.encode()), merges, limit)
            assert encode(list(word.encode()), ranks, new_ids, limit) == slow, (word, limit)


# a small alphabet, so that random chunks are full of pairs that merge and overlap
SMALL_MERGES = BPETokenizer.train(
    "the theme then there, abba baab hat beth eat", 300, pattern=None
).merges


@settings(max_examples=300, deadline=None, database=None)
@given(
    ids=st.lists(st.sampled_from([97, 98, 104, 116, 101, 32]), max_size=3 * HEAP_FROM),
    limit=st.integers(0, len(SMALL_MERGES)),
)
def test_scan_and_heap_agree_on_random_chunks(ids, limit):
    merges = SMALL_MERGES
    ranks, new_ids = {m.pair: r for r, m in enumerate(merges)}, [m.new_id for m in merges]
    slow = merge_in_rank_order(list(ids), merges, limit)
    assert merge_by_scan(list(ids), ranks, new_ids, limit) == slow
    assert merge_by_heap(list(ids), ranks, new_ids, limit) == slow


# Chunks that GPT-2's pre-tokenizer keeps whole however long they are, so that an encoder
# quadratic in the chunk's length takes minutes on them (the scan did 80,000 "a"s in 71 s).
PATHOLOGICAL = {
    "one letter": lambda n: "a" * n,
    "a repeated pair": lambda n: "ab" * (n // 2),
    "one digit": lambda n: "7" * n,
    "all the digits": lambda n: "0123456789" * (n // 10),
    "spaces": lambda n: " " * n,
    "spaces, then a word": lambda n: " " * n + "word",
    "newlines": lambda n: "\n" * n,
    "punctuation": lambda n: "!?" * (n // 2),
    "a long made-up word": lambda n: "".join("etaoinshrdlu"[i * 7 % 12] for i in range(n)),
}


@pytest.mark.timeout(120)  # the heap: a few seconds in all; the scan: half an hour
@pytest.mark.parametrize("n", [50_000, 200_000])
def test_pathological_chunks_equal_tiktoken(gpt2, tiktoken_reference, n):
    for kind, make in PATHOLOGICAL.items():
        text = make(n)
        assert gpt2.encode_ordinary(text) == tiktoken_reference.encode_ordinary(text), kind


@pytest.mark.timeout(120)  # a 1 MB chunk: the heap about 5 s; the scan hours
def test_one_megabyte_chunk_equals_tiktoken(gpt2, tiktoken_reference):
    text = "a" * 1_000_000
    ids = gpt2.encode(text)
    assert ids == tiktoken_reference.encode_ordinary(text)
    assert len(ids) == 250_000 and gpt2.decode(ids) == text  # "aaaa" is one token
    assert text not in gpt2._cache  # merged, not remembered: it would hold 1 MB and its ids


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(word=st.text(alphabet="abcdeéz", min_size=HEAP_FROM, max_size=400))
def test_long_words_equal_tiktoken(gpt2, tiktoken_reference, word):
    # one chunk each, long enough for the heap; "é" makes two bytes of one character
    assert gpt2.encode_ordinary(" " + word) == tiktoken_reference.encode_ordinary(" " + word)
