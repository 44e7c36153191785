"""Lesson 2 (tokenization) headless: its exercises, its numbers against core, its offline page.

The app is run with `app.run()` / `app.run(defs=...)` (a learner's answer replaces the cell
that defines the control), as tests/lessons/test_lessons.py does for lessons 4-6. The GPT-2
examples the lesson shows are checked here against tiktoken's own `gpt2` encoding.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.course import tokenization as course
from core.data import read_text
from core.tokenize import BPETokenizer
from tests.core.tokenize.conftest import gpt2, tiktoken_reference  # noqa: F401 (shared fixtures)
from tests.lessons.test_lessons import callout_kinds

CITATION = r"SolidGoldMagikarp\s+\(plus, prompt generation\)"  # Rumbelow & Watkins (2023)
LESSON = Path(__file__).resolve().parents[2] / "lessons" / "4-1-2-tokenization.py"


def load_app():
    spec = importlib.util.spec_from_file_location("lesson_2", LESSON)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def element(value):
    """A stand-in for a marimo UI element: the cells only read `.value`."""
    return SimpleNamespace(value=value)


def text_of(outputs) -> str:
    return "\n".join(getattr(o, "text", "") or "" for o in outputs)


@pytest.fixture(scope="module")
def default_run():
    return load_app().run()


def test_unanswered_exercises_are_neutral_and_hide_their_answers(default_run):
    outputs, _ = default_run
    for exercise in (1, 2, 3):
        assert callout_kinds(outputs, exercise) == ["neutral"], exercise
    text = text_of(outputs)
    assert "appear once you have predicted" in text
    assert not re.search(CITATION, text)  # the rare-token table waits for the answer
    assert "Singh &amp; Strouse" not in text and "Singh & Strouse" not in text


def test_right_answers_turn_green():
    outputs, _ = load_app().run(
        defs={
            "next_merge_radio": element((256, 257)),  # Z Y
            "number_count": element(2),  # 123 + 45
            "rare_count": element(1),  # one token
            "five_digit_button": element(True),
        }
    )
    for exercise in (1, 2, 3):
        assert callout_kinds(outputs, exercise) == ["success"], exercise
    text = text_of(outputs)
    assert "the same ✓" in text  # the hand-derived merges equal core's
    assert re.search(CITATION, text)
    assert "merge 43,198 of 50,000" in text  # id 43453 - 256 + 1
    assert "Singh" in text and "Strouse" in text
    assert "88 are 1 token, 8,883 are 2 tokens, 29 are 3 tokens" in text  # 4 digits, at once
    assert "77,539 are 2 tokens, 12,457 are 3 tokens" in text  # 5 digits, behind the button
    assert "50,257. Their follow-up" in text  # the vocabulary size, computed


def test_wrong_answers_name_the_mistake():
    outputs, _ = load_app().run(
        defs={
            "next_merge_radio": element((97, 99)),  # a c
            "number_count": element(5),
            "rare_count": element(6),
        }
    )
    for exercise in (1, 2, 3):
        assert callout_kinds(outputs, exercise) == ["warn"], exercise
    text = text_of(outputs)
    assert "it counts" in text  # exercise 1: BPE counts pairs
    assert "no rule of one token per digit" in text  # exercise 2
    assert "the text the tokenizer learned from" in text  # exercise 3
    outputs, _ = load_app().run(defs={"number_count": element(1)})
    assert "12345 was not" in text_of(outputs)


@pytest.mark.parametrize(("guess", "direction"), [(3, "fewer than that"), (4, "fewer than that")])
def test_exercise_2_hint_points_the_way(guess, direction):
    """A guess between 1 and 5 is told which way to go (the truth is 2: 123 · 45)."""
    outputs, _ = load_app().run(defs={"number_count": element(guess)})
    assert callout_kinds(outputs, 2) == ["warn"]
    assert f"Not {guess}: {direction}" in text_of(outputs)


def test_guesses_below_one_token_are_answered():
    outputs, _ = load_app().run(defs={"number_count": element(0), "rare_count": element(0)})
    text = text_of(outputs)
    assert callout_kinds(outputs, 2) == callout_kinds(outputs, 3) == ["warn"]
    assert "at least 1 token" in text and "1 token or more" in text


def test_hand_derivation_equals_core(default_run):
    _, defs = default_run
    core = BPETokenizer.train(course.MINBPE_TEXT, 259, pattern=None)
    assert defs["hand_merges"] == [(m.pair, m.new_id, m.count) for m in core.merges]
    assert defs["hand_merges"] == [((97, 97), 256, 4), ((97, 98), 257, 2), ((256, 257), 258, 2)]
    assert defs["hand_steps"][3] == core.encode(course.MINBPE_TEXT) == [258, 100, 258, 97, 99]


def test_headline_numbers_equal_core(default_run):
    outputs, defs = default_run
    train, held = course.heldout_split(read_text("tinyshakespeare"))
    slice_ = train[:100_000]
    tok = BPETokenizer.train(slice_, 256 + 768)
    assert defs["shakespeare_bpe"].merges == tok.merges
    row = defs["bpe_row"]
    assert row.vocab_size == 512
    assert row.train_tokens == len(tok.encode_with_merges(slice_, 256)) == 49_010
    assert row.heldout_tokens == len(tok.encode_with_merges(held, 256)) == 61_459
    chars, words = defs["baseline_rows"]
    assert (chars.vocab_size, words.vocab_size, words.heldout_unknown) == (61, 3_300, 4_460)
    text = text_of(outputs)
    assert f"{100 * 4_460 / words.heldout_units:.1f}% of the" in text  # 16.6%
    assert "61,459" in text and "49,010" in text
    assert f"{chars.heldout_tokens / row.heldout_tokens:.2f}×" in text
    assert "37 held-out characters (<code>'Z'</code>: never in the slice)" in text


def test_the_slider_and_the_slice_change_the_numbers():
    _, defs = load_app().run(
        defs={"merges_slider": element(512), "slice_dropdown": element(50_000)}
    )
    train, held = course.heldout_split(read_text("tinyshakespeare"))
    tok = BPETokenizer.train(train[:50_000], 256 + 768)
    row = defs["bpe_row"]
    assert row.vocab_size == 768
    assert row.heldout_tokens == len(tok.encode_with_merges(held, 512))


def test_a_large_slice_trains_only_behind_its_run_button():
    """300,000 characters take seconds in Pyodide: the page waits for a click."""
    outputs, defs = load_app().run(defs={"slice_dropdown": element(300_000)})
    assert "shakespeare_bpe" not in defs and "bpe_row" not in defs
    assert "Learn 768 merges from 300,000 characters" in text_of(outputs)
    _, defs = load_app().run(
        defs={"slice_dropdown": element(300_000), "train_button": element(True)}
    )
    assert defs["bpe_row"].vocab_size == 512 and len(defs["shakespeare_bpe"].merges) == 768


def test_the_learners_characters_line_reads_well():
    outputs, _ = load_app().run(defs={"text_input": element("Zebra ⚡")})
    text = text_of(outputs)
    assert "every character is known" not in text and "'⚡'" in text
    outputs, _ = load_app().run(defs={"text_input": element("good morrow")})
    assert "every character is known" in text_of(outputs)


def test_gpt2_examples_equal_tiktoken(gpt2, tiktoken_reference, default_run):  # noqa: F811
    """Every GPT-2 tokenization the lesson shows, ours against tiktoken.get_encoding("gpt2")."""
    _, defs = default_run
    examples = [
        course.MINBPE_TEXT,
        defs["learner_text"],
        "12345",
        " Magikarp",
        " onomatopoeia",
        *course.NUMBER_EXAMPLES,
        *course.SPACE_CASE_EXAMPLES,
        *course.SPELLING_EXAMPLES,
        *course.LANGUAGE_EXAMPLES.values(),
        *course.RARE_TOKEN_EXAMPLES,
    ]
    for text in examples:
        assert gpt2.encode_ordinary(text) == tiktoken_reference.encode_ordinary(text), text
    # the lesson's own two tokenizers (both built in the page from the two files)
    for text in examples:
        assert defs["gpt2"].encode_ordinary(text) == defs["gpt2_tiktoken"].encode_ordinary(text)
    # the held-out plays in GPT-2's tokens, as the page states
    _, held = course.heldout_split(read_text("tinyshakespeare"))
    held_ids = gpt2.encode_ordinary(held)
    assert held_ids == tiktoken_reference.encode_ordinary(held)
    outputs, _ = default_run
    assert f"<strong>{len(held_ids):,}</strong> tokens" in text_of(outputs)  # 36,059
    # the digit tables: every number of 3 to 5 digits
    numbers = [str(n) for n in range(100, 100_000)]
    assert [gpt2.encode_ordinary(n) for n in numbers] == tiktoken_reference.encode_ordinary_batch(
        numbers
    )
    # the claims the prose makes about them
    assert len(gpt2.encode_ordinary("12345")) == 2 and len(gpt2.encode_ordinary("1234")) == 2
    assert all(len(gpt2.encode_ordinary(t)) == 1 for t in course.RARE_TOKEN_EXAMPLES)
    assert len(gpt2.encode_ordinary(" Magikarp")) == 2
    assert len(gpt2.encode_ordinary(" onomatopoeia")) == 6
    assert gpt2.encode_ordinary(" strawberry") == [41236]
    english = len(gpt2.encode_ordinary(course.LANGUAGE_EXAMPLES["English"]))
    assert all(len(gpt2.encode_ordinary(t)) >= english for t in course.LANGUAGE_EXAMPLES.values())


def test_learners_text_is_checked_live(default_run):
    outputs, defs = load_app().run(defs={"text_input": element("Thou art 12345 tokens, naïve 🙂")})
    text = text_of(outputs)
    assert "the same ids ✓" in text
    ids = defs["gpt2"].encode_ordinary("Thou art 12345 tokens, naïve 🙂")
    assert f"<strong>{len(ids)}</strong> GPT-2 tokens for your" in text


def test_empty_text_gets_a_message_not_an_error():
    outputs, _ = load_app().run(defs={"text_input": element("   ")})
    assert "there is nothing to cut" in text_of(outputs)


def test_offline_without_the_files_the_page_says_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))  # an empty offline folder
    outputs, defs = load_app().run()
    text = text_of(outputs)
    assert "python -m core.data fetch tinyshakespeare" in text
    assert "python -m core.data fetch gpt2-vocab-bpe" in text
    assert "Traceback" not in text
    assert defs["shakespeare"] is None and defs["gpt2"] is None
    # the hand derivation needs no file
    assert callout_kinds(outputs, 1) == ["neutral"]
