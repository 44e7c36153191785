"""core.tokenize.bpe_tokenizer: special tokens, errors, round trips, saving, replaying merges."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data import fetch
from core.tokenize import ENDOFTEXT, GPT2_PATTERN, BPETokenizer

ROOT = Path(__file__).resolve().parents[3]


# ------------------------------------------------------------------- special tokens, errors


def test_special_tokens_of_a_trained_tokenizer(small_bpe):
    eot = small_bpe.special_tokens[ENDOFTEXT]
    assert eot == 256 + len(small_bpe.merges) == small_bpe.vocab_size - 1 == 399
    text = f"To be{ENDOFTEXT}or not"
    ids = small_bpe.encode(text, allowed_special={ENDOFTEXT})
    assert ids.count(eot) == 1
    assert small_bpe.decode(ids) == text
    with pytest.raises(ValueError, match=r"special token '<\|endoftext\|>' at position 5"):
        small_bpe.encode(text)
    as_text = small_bpe.encode(text, disallowed_special=())
    assert eot not in as_text and small_bpe.decode(as_text) == text
    with pytest.raises(ValueError, match="not special tokens of this tokenizer"):
        small_bpe.encode("x", allowed_special={"<|im_start|>"})


def test_special_tokens_are_cut_out_of_the_training_text():
    text = f"ab{ENDOFTEXT}ab{ENDOFTEXT}ab"
    tok = BPETokenizer.train(text, 300, special_tokens=[ENDOFTEXT])
    learned = {tok.token_bytes(m.new_id) for m in tok.merges}
    assert learned == {b"ab"}  # nothing from "<|endoftext|>" itself, nothing across it


def test_lone_surrogates_get_a_clear_error(gpt2, small_bpe):
    for tok in (gpt2, small_bpe):
        with pytest.raises(ValueError, match=r"lone surrogate U\+D800 at position 3"):
            tok.encode("abc\ud800def")
    with pytest.raises(ValueError, match="lone surrogate"):
        BPETokenizer.train("x\udcff", 260)


def test_decode_rejects_unknown_ids_and_replaces_broken_utf8(gpt2):
    with pytest.raises(ValueError, match="not in this 50257-token vocabulary"):
        gpt2.decode([50257])
    first_byte_of_euro = gpt2.byte_ids[0xE2]  # "€" is E2 82 AC in UTF-8
    assert gpt2.decode_bytes([first_byte_of_euro]) == b"\xe2"
    assert gpt2.decode([first_byte_of_euro, *gpt2.encode("x")]) == "\ufffdx"
    assert gpt2.token_str(first_byte_of_euro) == "\\xe2"


# ----------------------------------------------------------------------------- round trips


@settings(
    max_examples=3000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text())
def test_decode_encode_round_trip(gpt2, small_bpe, text):
    for tok in (gpt2, small_bpe):
        assert tok.decode(tok.encode(text, disallowed_special=())) == text


@settings(
    max_examples=500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_round_trip_without_pretokenization(text):
    tok = BPETokenizer.train("the theme then there", 270, pattern=None)
    assert tok.decode(tok.encode(text)) == text


def test_cache_does_not_change_results(gpt2):
    text = fetch("the-verdict").read_text(encoding="utf-8")
    fresh = BPETokenizer(gpt2.merges, byte_ids=gpt2.byte_ids, special_tokens=gpt2.special_tokens)
    first = fresh.encode(text)
    assert fresh.encode(text) == first == gpt2.encode_with_merges(text, len(gpt2.merges))


def test_save_and_load(tmp_path, small_bpe, gpt2):
    path = tmp_path / "bpe.json"
    small_bpe.save(path)
    again = BPETokenizer.load(path)
    assert again.merges == small_bpe.merges
    assert again.special_tokens == small_bpe.special_tokens and again.pattern == GPT2_PATTERN
    text = fetch("the-verdict").read_text(encoding="utf-8")[:2000]
    assert again.encode(text) == small_bpe.encode(text)
    lines = path.read_text(encoding="utf-8").splitlines()
    first = small_bpe.merges[0]
    assert json.loads(lines[1].rstrip(",")) == [
        *first.pair,
        first.new_id,
        first.count,
        small_bpe.token_str(first.new_id),
    ]  # one merge per line, readable
    gpt2.save(tmp_path / "gpt2.json")
    assert BPETokenizer.load(tmp_path / "gpt2.json").encode(text) == gpt2.encode(text)
    (tmp_path / "char.json").write_text('{"type": "char", "vocab": ["a"]}')
    with pytest.raises(ValueError, match="not a saved BPETokenizer"):
        BPETokenizer.load(tmp_path / "char.json")


# -------------------------------------------------------------------- replaying the merges


def test_replay_equals_encode_with_the_first_n_merges(small_bpe):
    text = "First Citizen:\nBefore we proceed any further, hear me speak. Ünïcödé 😀"
    steps = small_bpe.replay(text)
    assert len(steps) == len(small_bpe.merges) + 1
    assert steps[0] == list(text.encode("utf-8"))
    assert steps[-1] == small_bpe.encode_ordinary(text)
    for n in range(0, len(small_bpe.merges) + 1, 7):
        assert steps[n] == small_bpe.encode_with_merges(text, n)
    lengths = [len(s) for s in steps]
    assert lengths == sorted(lengths, reverse=True)  # a merge never lengthens the text
    ascii_part = text[:-10]
    assert "".join(small_bpe.segment(ascii_part)) == ascii_part
    # No merge covers the emoji: its four bytes show one by one, escaped.
    assert small_bpe.segment("😀") == ["\\xf0", "\\x9f", "\\x98", "\\x80"]


def test_replay_on_gpt2_merges(gpt2):
    text = "Hello, world! The quick brown fox."
    steps = gpt2.replay(text, 3000)
    assert steps[3000] == gpt2.encode_with_merges(text, 3000)
    assert steps[0] == [gpt2.byte_ids[b] for b in text.encode()]
    assert gpt2.segment(text) == [
        "Hello", ",", " world", "!", " The", " quick", " brown", " fox", ".",
    ]  # fmt: skip
    with pytest.raises(ValueError, match=r"n_merges must be in 0\.\.50000"):
        gpt2.encode_with_merges(text, 50_001)


def test_merge_record_is_plain_data(small_bpe):
    record = [dataclasses.asdict(m) for m in small_bpe.merges[:2]]
    assert json.loads(json.dumps(record)) == [
        {"pair": list(m.pair), "new_id": m.new_id, "count": m.count} for m in small_bpe.merges[:2]
    ]
    assert small_bpe.merges[0].count >= small_bpe.merges[1].count


# ------------------------------------------------------------------------------ torch-free


def test_tokenizer_and_data_import_without_torch_or_marimo():
    code = (
        "import sys; sys.modules['torch'] = sys.modules['marimo'] = None\n"
        "import core.tokenize, core.data\n"
        "tok = core.tokenize.BPETokenizer.train('aaabdaaabac', 259)\n"
        "assert tok.encode('aaabdaaabac') == [258, 100, 258, 97, 99]\n"
        "assert core.data.fetch('the-verdict').exists()\n"
        "assert sys.modules['torch'] is None and sys.modules['marimo'] is None\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
