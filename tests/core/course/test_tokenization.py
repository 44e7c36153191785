"""core.course.tokenization: lesson 2's word baseline, measurements, examples and data messages."""

from __future__ import annotations

from collections import Counter

import pytest

from core.course.tokenization import (
    LANGUAGE_EXAMPLES,
    MINBPE_TEXT,
    UNKNOWN,
    WordVocabulary,
    chunk_table,
    compare_tokenizers,
    digit_token_counts,
    heldout_split,
    load_gpt2,
    load_text,
    missing_data_message,
    pair_label,
    split_summary,
    split_words,
    tokens_after_merges,
)
from core.data import read_text
from core.tokenize import BPETokenizer
from tests.core.tokenize.conftest import gpt2, tiktoken_reference  # noqa: F401 (shared fixtures)


def test_split_words_by_hand():
    assert split_words("Thou art, Shakespearean!") == ["Thou", "art", ",", "Shakespearean", "!"]
    assert split_words("I'll go.\n") == ["I", "'", "ll", "go", "."]
    assert split_words("  \n ") == []


def test_word_vocabulary_marks_unseen_words_unknown():
    vocab = WordVocabulary.from_text("the cat sat on the mat.")
    assert vocab.vocab_size == 6 + 1  # cat mat on sat the . and <unk>
    assert vocab.tokens("the dog sat.") == ["the", UNKNOWN, "sat", "."]
    assert vocab.unknown("dog and dog") == ["dog", "and", "dog"]
    with pytest.raises(ValueError, match="no words"):
        WordVocabulary.from_text("   ")


def test_heldout_split_is_lesson_11s():
    assert heldout_split("abcdefghij") == ("abcdefghi", "j")
    train, held = heldout_split("x" * 1000)
    assert len(train) == 900 and len(held) == 100


def test_compare_tokenizers_counts_by_hand():
    chars, words = compare_tokenizers("ab ab.", "ab cd!")
    assert (chars.vocab_size, chars.train_tokens, chars.heldout_tokens) == (4, 6, 6)
    assert chars.heldout_unknown == 3 and chars.heldout_units == 6  # c, d, !
    assert (words.vocab_size, words.train_tokens, words.heldout_tokens) == (3, 3, 3)
    assert words.heldout_unknown == 2  # cd, !


def test_compare_tokenizers_on_tiny_shakespeare_golden():
    """The numbers lesson 2 shows at its default slice (100,000 characters)."""
    train, held = heldout_split(read_text("tinyshakespeare"))
    chars, words = compare_tokenizers(train[:100_000], held)
    assert (chars.vocab_size, chars.heldout_tokens, chars.heldout_unknown) == (61, 111_540, 37)
    assert (words.vocab_size, words.train_tokens) == (3_300, 23_398)
    assert (words.heldout_tokens, words.heldout_unknown) == (26_844, 4_460)


def test_tokens_after_merges_equals_encoding_the_text():
    text = read_text("tinyshakespeare")[:20_000]
    tok = BPETokenizer.train(text[:10_000], 256 + 64)
    steps = [0, 1, 10, 64]
    lengths = tokens_after_merges(chunk_table(text), tok, steps)
    assert lengths == {k: len(tok.encode_with_merges(text, k)) for k in steps}
    assert lengths[0] == len(text.encode("utf-8"))
    # steps in any order: each continues from the one before, as encoding afresh would give
    assert tokens_after_merges(chunk_table(text), tok, [64, 10, 0, 1]) == lengths
    with pytest.raises(ValueError, match=r"0\.\.64"):
        tokens_after_merges(chunk_table(text), tok, [65])


def test_tokens_after_merges_on_minbpe_example():
    tok = BPETokenizer.train(MINBPE_TEXT, 256 + 3, pattern=None)
    table = chunk_table(MINBPE_TEXT, None)
    assert table == Counter({b"aaabdaaabac": 1})
    assert tokens_after_merges(table, tok, [0, 1, 2, 3]) == {0: 11, 1: 9, 2: 7, 3: 5}


def test_digit_token_counts_gpt2_golden(gpt2, tiktoken_reference):  # noqa: F811
    assert digit_token_counts(gpt2, 1) == Counter({1: 10})
    assert digit_token_counts(gpt2, 3) == Counter({1: 719, 2: 181})
    assert digit_token_counts(gpt2, 4) == Counter({1: 88, 2: 8_883, 3: 29})
    # tiktoken's split of every 4-digit number agrees
    numbers = [str(n) for n in range(1000, 10_000)]
    assert Counter(map(len, tiktoken_reference.encode_ordinary_batch(numbers))) == Counter(
        {1: 88, 2: 8_883, 3: 29}
    )
    with pytest.raises(ValueError, match=r"1\.\.6"):
        digit_token_counts(gpt2, 7)


def test_pair_label_shows_spaces_and_newlines():
    assert pair_label((b" ", b"t")) == "␣ + t"
    assert pair_label(("\n", "a")) == "↵ + a"
    assert pair_label((b"\xe2", b"\x82")) == "\\xe2 + \\x82"


def test_language_examples_are_one_line_each():
    assert len(LANGUAGE_EXAMPLES) == 10 and "English" in LANGUAGE_EXAMPLES
    assert all(t and "\n" not in t for t in LANGUAGE_EXAMPLES.values())


def test_missing_files_give_the_command_not_an_exception(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))  # an empty offline folder
    text, message = load_text("tinyshakespeare")
    assert text is None
    assert "python -m core.data fetch tinyshakespeare" in message and "Get it with" in message
    tok, reference, message = load_gpt2()
    assert tok is None and reference is None
    assert "python -m core.data fetch gpt2-vocab-bpe" in message
    assert "python -m core.data fetch gpt2-encoder-json" in message and "Get them" in message


def test_missing_data_message_in_the_browser(monkeypatch):
    monkeypatch.setattr("sys.platform", "emscripten")
    message = missing_data_message(["tinyshakespeare"], OSError("offline"))
    assert "python -m" not in message and "could not" in message and "(offline)" in message


def test_load_text_and_load_gpt2_when_the_files_are_here(tiktoken_reference):  # noqa: F811
    text, message = load_text("the-verdict")
    assert message == "" and len(text) > 10_000
    tok, reference, message = load_gpt2()
    assert message == ""
    sample = "Hello, world! 12345 SolidGoldMagikarp"
    assert tok.encode(sample) == reference.encode(sample) == tiktoken_reference.encode(sample)


def test_split_summary_reads_as_prose():
    assert split_summary({2: 181, 1: 719}) == "719 are 1 token, 181 are 2 tokens"
    assert split_summary({1: 1, 3: 2}) == "1 is 1 token, 2 are 3 tokens"
    assert split_summary({}) == ""
