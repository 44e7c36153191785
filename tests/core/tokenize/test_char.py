"""core.tokenize.char and core.tokenize.boundary: CharTokenizer, and ids checked at decode."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.data import fetch
from core.tokenize import BPETokenizer, CharTokenizer
from core.tokenize.boundary import as_token_ids

# ----------------------------------------------------------------------------- CharTokenizer


def test_char_tokenizer_on_tiny_shakespeare():
    text = fetch("tinyshakespeare").read_text(encoding="utf-8")
    tok = CharTokenizer.from_text(text)
    assert tok.vocab_size == 65
    assert tok.vocab[:3] == ["\n", " ", "!"]
    ids = tok.encode(text[:1000])
    assert max(ids) < 65 and tok.decode(ids) == text[:1000]
    assert tok.encode("First") == [18, 47, 56, 57, 58]


def test_char_tokenizer_rejects_unknown_characters_and_ids():
    tok = CharTokenizer.from_text("hello")
    with pytest.raises(ValueError, match=r"'z' \(U\+007A\) at position 2"):
        tok.encode("hez")
    with pytest.raises(ValueError, match="outside this vocabulary"):
        tok.decode([4])
    with pytest.raises(ValueError, match="empty"):
        CharTokenizer.from_text("")
    with pytest.raises(ValueError, match="repeated"):
        CharTokenizer(["a", "a"])


def test_char_tokenizer_save_load(tmp_path):
    tok = CharTokenizer.from_text("héllo wörld")
    tok.save(tmp_path / "char.json")
    again = CharTokenizer.load(tmp_path / "char.json")
    assert again.vocab == tok.vocab
    assert "wörld" in tok.decode(again.encode("wörld"))
    BPETokenizer.train("abc", 257).save(tmp_path / "bpe.json")
    with pytest.raises(ValueError, match="not a saved CharTokenizer"):
        CharTokenizer.load(tmp_path / "bpe.json")


# --------------------------------------------------------- ids at the boundary (boundary.py)


@pytest.mark.parametrize(
    "ids",
    [
        [7, 4, 11],
        (7, 4, 11),
        np.array([7, 4, 11]),
        np.array([7, 4, 11], dtype=np.uint8),
        [np.int64(7), np.int32(4), 11],
        torch.tensor([7, 4, 11]),
        torch.tensor([7, 4, 11], dtype=torch.int32),
    ],
)
def test_decode_takes_lists_arrays_and_tensors(ids):
    char = CharTokenizer([chr(c) for c in range(ord("a"), ord("z") + 1)])
    bpe = BPETokenizer([])
    assert char.decode(ids) == "hel"
    assert bpe.decode(ids) == "\x07\x04\x0b"


def test_decode_names_the_bad_id_and_its_position():
    char = CharTokenizer.from_text("hello")
    with pytest.raises(
        ValueError, match=r"id -1 at position 2 is outside this vocabulary \(0\.\.3\)"
    ):
        char.decode(torch.tensor([0, 1, -1, 9]))  # negative ids must not index from the end
    with pytest.raises(ValueError, match="id 300 at position 1 is not in this 256-token"):
        BPETokenizer([]).decode([97, 300])


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([[1, 2]], "for a batch, decode each row"),
        (torch.tensor([[1, 2]]), "for a batch, decode each row"),
        ([1.0, 2.0], r"holds 1\.0 \(float\)"),
        ([3, 1.5], r"holds 1\.5 \(float\)"),
        (["7"], r"holds '7' \(str\)"),
        (np.array([1.0, 2.0]), r"holds 1\.0 \(float\)"),
        ([1, True], r"holds True \(bool\); True/False make a mask, not ids"),
        (np.array([True, False]), "a mask, not ids"),
        ([np.True_], "a mask, not ids"),
        (torch.tensor([True]), "a mask, not ids"),
        ("abc", "not str"),
        (5, "single value 5"),
    ],
)
def test_as_token_ids_rejects_what_is_not_a_flat_sequence_of_ints(ids, message):
    with pytest.raises(ValueError, match=message):
        as_token_ids(ids)
    assert as_token_ids(i for i in (3, 1)) == [3, 1] and as_token_ids([np.int64(2)]) == [2]


@pytest.mark.parametrize("ids", [[1.5], ["7"], [True], [2.0], np.array([0.0]), [None]])
def test_both_tokenizers_refuse_ids_that_are_not_integers(ids):
    """int() would decode 1.5 as 1 and "7" as 7; a bool mask would decode as tokens 1 and 0."""
    char = CharTokenizer([chr(c) for c in range(ord("a"), ord("z") + 1)])
    for tok in (char, BPETokenizer([])):
        with pytest.raises(ValueError, match="integer ids"):
            tok.decode(ids)


def test_token_bytes_takes_one_integer_id():
    bpe = BPETokenizer([])
    assert bpe.token_bytes(97) == bpe.token_bytes(np.int64(97)) == b"a"
    assert bpe.token_bytes(torch.tensor(97)) == b"a" and bpe.token_str(np.uint8(98)) == "b"
    for bad in (97.0, 97.5, "97", True):
        with pytest.raises(ValueError, match="a token id is an integer"):
            bpe.token_bytes(bad)
