"""core.tokenize.bpe: the algorithm's pieces, known answers, the fast trainer equal to the naive one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.data import fetch
from core.tokenize import ENDOFTEXT, GPT2_PATTERN, BPETokenizer, Merge
from core.tokenize.bpe import best_pair, count_pairs, merge_pair, train_merges_naive

# The first merges learned on the first 20,000 characters of Tiny Shakespeare (pinned).
FIRST_MERGES_20K = [
    Merge((32, 116), 256, 404),  # " t"
    Merge((104, 101), 257, 383),  # "he"
    Merge((111, 117), 258, 270),  # "ou"
    Merge((32, 97), 259, 255),  # " a"
]


# ------------------------------------------------------------------------- BPE building blocks


def test_building_blocks_known_answers():
    assert count_pairs([1, 2, 1, 2]) == {(1, 2): 2, (2, 1): 1}
    assert count_pairs([7, 7, 7]) == {(7, 7): 2}  # overlapping occurrences count
    assert merge_pair([97, 97, 97, 98], (97, 97), 256) == [256, 97, 98]  # left to right
    assert merge_pair([1, 2, 3, 1, 2], (1, 2), 9) == [9, 3, 9]
    assert best_pair({(5, 1): 3, (2, 9): 3, (0, 0): 1}) == (2, 9)  # tie -> smallest pair


def test_three_merges_on_aaabdaaabac():
    tok = BPETokenizer.train("aaabdaaabac", 256 + 3)
    assert tok.encode("aaabdaaabac") == [258, 100, 258, 97, 99]
    assert tok.merges == [
        Merge((97, 97), 256, 4),
        Merge((97, 98), 257, 2),  # ties with (256, 97): 2; the smaller pair wins
        Merge((256, 257), 258, 2),
    ]
    assert tok.decode([258, 100, 258, 97, 99]) == "aaabdaaabac"
    assert [tok.token_bytes(i) for i in (256, 257, 258)] == [b"aa", b"ab", b"aaab"]


def test_tie_break_is_the_smallest_pair():
    # Chunks "ba", " ab": every pair occurs once, so (32, 97) < (97, 98) < (98, 97) wins.
    # Then " ab" is [256, 98], leaving (98, 97) < (256, 98): (98, 97) wins.
    for merges in (train_merges_naive("ba ab", 2), BPETokenizer.train("ba ab", 258).merges):
        assert [m.pair for m in merges] == [(32, 97), (98, 97)]
        assert [m.count for m in merges] == [1, 1]


def test_training_equals_naive_recount_on_shakespeare():
    text = fetch("tinyshakespeare").read_text(encoding="utf-8")[:20_000]
    fast = BPETokenizer.train(text, 256 + 150).merges
    assert fast == train_merges_naive(text, 150) == train_merges_naive(text, 150, distinct=True)
    assert [m.new_id for m in fast] == list(range(256, 406))
    assert fast[:4] == FIRST_MERGES_20K


@settings(max_examples=300, deadline=None, database=None)
@given(
    text=st.text(alphabet="ab \n.'1é", max_size=60),
    n_merges=st.integers(0, 25),
    use_pattern=st.booleans(),
)
def test_training_equals_naive_on_random_texts(text, n_merges, use_pattern):
    """Tiny alphabets make many ties and overlapping runs ("aaaa"): the hard cases."""
    pattern = GPT2_PATTERN if use_pattern else None
    fast = BPETokenizer.train(text, 256 + n_merges, pattern=pattern)
    assert fast.merges == train_merges_naive(text, n_merges, pattern=pattern)
    assert fast.decode(fast.encode(text)) == text


def test_training_reports_progress_and_stops_when_no_pair_is_left():
    calls = []
    tok = BPETokenizer.train("abab", 300, progress=lambda done, total: calls.append((done, total)))
    # "abab": merge (a, b) -> 256, then (256, 256) -> 257, then nothing is left to merge.
    assert [m.pair for m in tok.merges] == [(97, 98), (256, 256)]
    assert calls == [(1, 44), (2, 44)]
    assert tok.vocab_size == 258


def test_train_validates_its_arguments():
    with pytest.raises(ValueError, match="vocab_size=256 is too small"):
        BPETokenizer.train("abc", 256, special_tokens=[ENDOFTEXT])
    with pytest.raises(ValueError, match="distinct"):
        BPETokenizer.train("abc", 300, special_tokens=["<a>", "<a>"])
    with pytest.raises(ValueError, match="not a valid regular expression"):
        BPETokenizer.train("abc", 300, pattern="(")


def test_constructor_rejects_inconsistent_merges():
    with pytest.raises(ValueError, match="uses an id that no byte or earlier merge defines"):
        BPETokenizer([Merge((300, 97), 256)])
    with pytest.raises(ValueError, match="already taken"):
        BPETokenizer([Merge((97, 98), 97)])
    with pytest.raises(ValueError, match="repeats the pair"):
        BPETokenizer([Merge((97, 98), 256), Merge((97, 98), 257)])
    with pytest.raises(ValueError, match="256 distinct"):
        BPETokenizer([], byte_ids=[0] * 256)
