"""core.tokenize.gpt2_files: GPT-2's tokenizer rebuilt from its files, equal to tiktoken's."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data import fetch
from core.tokenize import (
    ENDOFTEXT,
    GPT2_VOCAB_SIZE,
    BPETokenizer,
    Merge,
    gpt2_byte_to_char,
    tiktoken_gpt2,
)
from core.tokenize.gpt2_files import read_gpt2_files

# Strings the issue asks for: emoji (with skin tone and ZWJ), CJK, combining accents, runs of
# spaces and newlines, digits, punctuation clusters, contractions, and mixtures.
HARD_STRINGS = [
    "Hello, world! The quick brown fox.",
    "👋🏽 hi 👨‍👩‍👧‍👦 family 🇫🇷 flag ✨✨",
    "日本語のテキスト、中文文本。한국어 텍스트",
    "e\u0301 cafe\u0301 n\u0303 a\u0308\u0304 Zalgo: Z\u0351\u0364\u0350",
    "a    b\t\tc\n\n\nd \n \n  \r\n\r\n   ",
    "   leading and trailing   ",
    "1234567890 3.14159 1,000,000 0x1F 2024-05-09 1e-10",
    "?!?!... --- ;;; ::: '' \"\" ((([[[{{{}}}]]]))) @#$%^&*~`|\\",
    "I'm, you're, it's, we'll, they've, he'd, 'tis, O'Neil's DON'T",
    "\x00\x01\x1b[31mred\x1b[0m \x7f\u200b\ufeff",
    "",
    " ",
    "\n",
]

# The first merges learned on the first 20,000 characters of Tiny Shakespeare (pinned).
FIRST_MERGES_20K = [
    Merge((32, 116), 256, 404),  # " t"
    Merge((104, 101), 257, 383),  # "he"
    Merge((111, 117), 258, 270),  # "ou"
    Merge((32, 97), 259, 255),  # " a"
]


# ------------------------------------------------------------------------------------ GPT-2


def test_gpt2_known_answer(gpt2):
    assert gpt2.encode("Hello, world! The quick brown fox.") == [
        15496, 11, 995, 0, 383, 2068, 7586, 21831, 13,
    ]  # fmt: skip
    assert gpt2.vocab_size == 50257 and len(gpt2.merges) == 50_000
    assert gpt2.token_bytes(995) == b" world"
    assert gpt2.byte_ids[ord("!")] == 0


def test_gpt2_byte_table():
    table = gpt2_byte_to_char()
    assert len(set(table.values())) == 256
    assert (table[32], table[10], table[97], table[0]) == ("Ġ", "Ċ", "a", "Ā")


def test_helper_equals_tiktoken_get_encoding(tiktoken_reference):
    helper = tiktoken_gpt2()
    text = fetch("the-verdict").read_text(encoding="utf-8")
    assert helper.encode_ordinary(text) == tiktoken_reference.encode_ordinary(text)
    assert helper.n_vocab == tiktoken_reference.n_vocab == 50257


def test_gpt2_equals_tiktoken_on_tiny_shakespeare_and_the_verdict(gpt2, tiktoken_reference):
    for name in ("tinyshakespeare", "the-verdict"):
        text = fetch(name).read_text(encoding="utf-8")
        ours = gpt2.encode(text)
        assert ours == tiktoken_reference.encode(text), name
        assert gpt2.decode(ours) == text
    assert len(gpt2.encode(fetch("tinyshakespeare").read_text(encoding="utf-8"))) == 338_025


@pytest.mark.parametrize("text", HARD_STRINGS)
def test_gpt2_equals_tiktoken_on_hard_strings(gpt2, tiktoken_reference, text):
    assert gpt2.encode(text) == tiktoken_reference.encode(text)
    assert gpt2.decode(gpt2.encode(text)) == text


def test_gpt2_special_token_matches_tiktoken(gpt2, tiktoken_reference):
    text = f"The end.{ENDOFTEXT}Once upon a time{ENDOFTEXT}"
    ours = gpt2.encode(text, allowed_special={ENDOFTEXT})
    assert ours == tiktoken_reference.encode(text, allowed_special={ENDOFTEXT})
    assert ours.count(50256) == 2
    assert gpt2.encode(text, allowed_special="all") == ours
    plain = tiktoken_reference.encode(text, disallowed_special=())
    assert gpt2.encode(text, disallowed_special=()) == plain
    with pytest.raises(ValueError, match="allowed_special"):
        gpt2.encode(text)


@settings(
    max_examples=1000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=40))
def test_gpt2_equals_tiktoken_on_random_unicode(gpt2, tiktoken_reference, text):
    assert gpt2.encode(text, disallowed_special=()) == tiktoken_reference.encode_ordinary(text)


def test_gpt2_from_file_contents_in_every_form():
    encoder_bytes = fetch("gpt2-encoder-json").read_bytes()
    vocab_bytes = fetch("gpt2-vocab-bpe").read_bytes()
    from_bytes = BPETokenizer.from_gpt2_files(encoder_bytes, vocab_bytes)
    from_str = BPETokenizer.from_gpt2_files(encoder_bytes.decode(), vocab_bytes.decode())
    from_dict = BPETokenizer.from_gpt2_files(json.loads(encoder_bytes), vocab_bytes)
    assert from_bytes.merges == from_str.merges == from_dict.merges
    assert from_bytes.byte_ids == from_dict.byte_ids
    truncated = vocab_bytes[: len(vocab_bytes) // 2].rsplit(b"\n", 1)[0]
    with pytest.raises(ValueError, match="do not belong together"):
        BPETokenizer.from_gpt2_files(encoder_bytes, truncated)
    with pytest.raises(ValueError, match="#version"):
        BPETokenizer.from_gpt2_files(encoder_bytes, b"t h\n")


def test_the_two_files_read_as_merges_and_byte_ids():
    files = read_gpt2_files(
        fetch("gpt2-encoder-json").read_bytes(), fetch("gpt2-vocab-bpe").read_bytes()
    )
    assert files.merges[0] == Merge((220, 83), 256)  # "Ġ" + "t" -> "Ġt"
    assert len(files.merges) == 50_000 and files.special_tokens == {ENDOFTEXT: 50256}
    assert 256 + len(files.merges) + len(files.special_tokens) == GPT2_VOCAB_SIZE


def test_gpt2_vocab_size_is_defined_once():
    """core.model's GPT-2 presets use the tokenizer's constant (core.tokenize stays torch-free)."""
    from core.model import config

    assert config.GPT2_VOCAB_SIZE is GPT2_VOCAB_SIZE
    assert config.PRESETS["gpt2"].vocab_size == GPT2_VOCAB_SIZE == tiktoken_gpt2().n_vocab
