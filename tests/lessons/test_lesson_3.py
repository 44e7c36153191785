"""Lesson 3 (embeddings and position) headless: its numbers against core, its exercises, its
bad-input messages, and the training section offline without its data file.

The app is run with `app.run(defs=...)`, which replaces the cells that define the learner's
controls with stand-ins holding a value (see tests/lessons/test_lessons.py).
"""

from __future__ import annotations

import html
import importlib.util
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from core.course.attention_lessons import format_number
from core.course.embeddings import nearest_neighbours, prepare_pairs, train_word_embedding
from core.mirrors.positions import sinusoidal_positions
from tests.lessons.test_lessons import callout_kinds
from tests.lessons.test_lessons import outputs_text as _outputs_html

LESSON = Path(__file__).resolve().parents[2] / "lessons" / "4-1-3-embeddings-and-position.py"


def load_app():
    spec = importlib.util.spec_from_file_location("lesson_3", LESSON)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def outputs_text(outputs) -> str:
    """The page's HTML with entities decoded (an apostrophe arrives as &#x27;)."""
    return html.unescape(_outputs_html(outputs))


def element(value):
    return SimpleNamespace(value=value)


def run(**defs):
    return load_app().run(defs=defs)


@pytest.fixture(scope="module")
def default_run():
    return load_app().run()


def test_unanswered_exercises_are_neutral_and_hide_the_answer(default_run):
    outputs, defs = default_run
    for exercise in (1, 2):
        assert callout_kinds(outputs, exercise) == ["neutral"], exercise
    text = outputs_text(outputs)
    assert "The measurement appears once you have answered" in text
    assert "Dot product of two positions" not in text
    assert "Press <strong>Train</strong>" in text  # training waits for its button
    assert "word_model" not in defs


def test_lookup_is_a_row_and_a_step_moves_only_used_rows(default_run):
    _, defs = default_run
    assert defs["lookup_equal"] is True
    np.testing.assert_array_equal(defs["product"], defs["toy_E"][defs["lookup_id"]])
    vocab, ids = defs["VOCAB"], defs["step_ids"]
    moved = {vocab[i] for i in range(len(vocab)) if np.any(defs["step_E"][i] != defs["toy_E"][i])}
    assert moved == {vocab[i] for i in ids[:-1]} == {"the", "dog", "bit"}
    # "the" is an input twice: its gradient row is the sum of both positions' rows
    assert np.all(defs["step_grad"][[vocab.index(w) for w in ("man", "cat", "sat")]] == 0)


@pytest.mark.parametrize(
    "text, message",
    [("the dog ate", "'ate' is not in the toy vocabulary"), ("dog", "at least two words")],
)
def test_bad_sentences_get_a_message(text, message):
    outputs, _ = run(step_text=element(text))
    assert message in outputs_text(outputs)


def test_attention_sees_a_bag_until_told_positions(default_run):
    _, defs = default_run
    assert defs["order_gap"] < 1e-12
    outputs, defs = run(
        order_text=element("the dog bit a man"), order_radio=element("no, the same vector")
    )
    assert defs["order_gap"] is None
    assert "is not a reordering" in outputs_text(outputs)


def test_exercise_1_accepts_sin_half_and_names_mistakes():
    answer = math.sin(5 * 10000 ** (-2 / 8))
    assert answer == pytest.approx(sinusoidal_positions(6, 8)[5, 2])
    outputs, _ = run(pe_number=element(round(answer, 4)))
    assert callout_kinds(outputs, 1) == ["success"]
    for wrong, says in [
        (math.cos(0.5), "that is the cosine"),
        (math.sin(math.radians(0.5)), "degrees"),
        (math.sin(5 * 10000 ** (-4 / 8)), "uses i = 2"),
        (0.3, "Hint"),
    ]:
        outputs, _ = run(pe_number=element(round(wrong, 4)))
        assert callout_kinds(outputs, 1) == ["warn"], wrong
        assert says in outputs_text(outputs), wrong


def pair_defs(choice):
    return dict(PAIR_A=(2, 9), PAIR_B=(60, 63), pair_radio=element(choice))


def test_exercise_2_the_closer_pair_wins_wherever_it_sits():
    pe = sinusoidal_positions(100, 64)
    assert pe[60] @ pe[63] > pe[2] @ pe[9]
    outputs, defs = run(**pair_defs("positions 60 and 63"))
    assert callout_kinds(outputs, 2) == ["success"]
    assert defs["pair_dots"][(60, 63)] == pytest.approx(pe[60] @ pe[63])
    text = outputs_text(outputs)
    assert "Dot product of two positions" in text or "vega" in text.lower()
    assert format_number(float(pe[60] @ pe[63])) in text
    for wrong in ("positions 2 and 9", "they are equal"):
        assert callout_kinds(run(**pair_defs(wrong))[0], 2) == ["warn"], wrong


def test_rotation_and_rope_depend_on_the_offset_only():
    _, defs = run(
        rotation_p=element(17), rotation_k=element(9), length_slider=element(12),
        rope_m=element(4), rope_n=element(11), rope_shift=element(300),
    )  # fmt: skip
    assert defs["rotation_gap"] < 1e-12
    scores = defs["rope_scores"]
    assert scores["here"] == pytest.approx(scores["moved"], abs=1e-9)
    assert scores["here"] == pytest.approx(scores["offset only"], abs=1e-9)
    assert scores["here"] != pytest.approx(scores["plain"])
    # a learned table of 8 positions has no row for a 12-token text
    assert "position 11 has no row" in defs["toy_input_error"]


def test_training_matches_core_and_finds_neighbours():
    from core.data import DataUnavailableError, read_text

    try:
        text = read_text("tinyshakespeare")
    except DataUnavailableError as err:
        pytest.skip(str(err))
    outputs, defs = run(train_button=element(True))
    data = prepare_pairs(text, vocab_size=300)
    model = train_word_embedding(
        data.train_counts, data.vocabulary, width=16, steps=100, val_counts=data.val_counts
    )
    np.testing.assert_allclose(defs["word_model"].E, model.E)
    page = outputs_text(outputs)
    for loss in (model.train_losses[-1], model.val_losses[-1]):
        assert format_number(loss, 3) in page
    assert "∞" in page  # the count table on held-out pairs
    near = [model.vocabulary[i] for i, _ in nearest_neighbours(model.E, model.index("my"), 8)]
    assert [model.vocabulary[i] for i, _ in defs["neighbours"]] == near
    assert "thy" in near
    assert f"{format_number(100 * defs['pca_kept'].sum(), 1)}% of the variance" in page


def test_training_offline_without_the_file_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))  # an empty offline folder
    outputs, defs = run(train_button=element(True))
    text = outputs_text(outputs)
    assert "python -m core.data fetch tinyshakespeare" in text
    assert "word_model" not in defs
    assert "Traceback" not in text


def test_an_id_as_a_number_puts_man_halfway_whatever_the_weights(default_run):
    _, defs = default_run
    assert defs["id_halfway"] is True
    for draws in (1, 7):
        _, defs = run(redraw_button=element(draws))
        assert defs["id_halfway"] is True
        np.testing.assert_allclose(defs["id_scores"]["man"], defs["id_midpoint"])


def test_the_order_runs_wait_for_a_prediction(default_run):
    outputs, _ = default_run
    text = outputs_text(outputs)
    assert "The two runs appear once you have predicted" in text
    assert "softmax(XXᵀ)X</strong> for" not in text
    outputs, _ = run(order_radio=element("yes, its place changed, so its output changes"))
    text = outputs_text(outputs)
    assert "Not what you predicted" in text and "the same output row in both" in text
    outputs, _ = run(order_radio=element("no, the same vector"))
    assert "As you predicted" in outputs_text(outputs)


def test_nothing_answers_exercise_2_before_it_is_asked(default_run):
    outputs, _ = default_run
    text = outputs_text(outputs)
    assert "How alike are two positions?" in text
    assert "Nearby positions look alike" not in text  # the old heading gave the answer away


@pytest.mark.parametrize("width", [8, 16, 32, 64])
def test_the_sinusoid_written_by_hand_equals_core(width):
    _, defs = run(width_slider=element(width))
    assert defs["pe_matches_core"] is True
    np.testing.assert_allclose(
        defs["pe_by_hand"], sinusoidal_positions(defs["HEATMAP_POSITIONS"], width), atol=1e-12
    )


def test_gpt2_sizes_are_cited_and_no_id_is_typed(default_run):
    outputs, defs = default_run
    text = outputs_text(outputs)
    flat = " ".join(text.split())
    assert "as OpenAI published it" in flat and "Radford et al. 2019" in flat
    assert f"{defs['GPT2_VOCAB']:,} of them" in text
    assert "464" not in text.split("1 · An id")[0]  # no example id typed into the opening
    assert "with ripples, falls off with it" in flat  # the recap does not oversell


def test_the_bag_claim_names_the_missing_mask():
    outputs, _ = run(order_radio=element("no, the same vector"))
    flat = " ".join(outputs_text(outputs).split())
    assert "This attention has no causal mask" in flat
    assert "Attention on its own (no causal mask)" in flat


def test_pca_prose_reads_the_width_and_neighbour_count():
    from core.data import DataUnavailableError, read_text

    try:
        read_text("tinyshakespeare")
    except DataUnavailableError as err:
        pytest.skip(str(err))
    outputs, defs = run(
        train_button=element(True),
        WORD_VOCAB=200, WORD_WIDTH=8, TRAIN_STEPS=10, HELD_OUT=0.1, NEIGHBOURS=5,
    )  # fmt: skip
    assert defs["word_model"].E.shape == (200, 8)
    assert len(defs["neighbours"]) == 5
    flat = " ".join(outputs_text(outputs).split())
    assert "far apart in 8 dimensions" in flat
    assert "its 5 nearest are coloured" in flat
    assert "16 dimensions" not in flat


def test_the_dot_chart_marks_exercise_2s_pairs():
    _, defs = run(**pair_defs("positions 60 and 63"))

    def frames(chart):  # every data frame in the layered chart (altair hoists shared data)
        yield getattr(chart, "data", None)
        for layer in getattr(chart, "layer", None) or []:
            yield from frames(layer)

    marks = next(f for f in frames(defs["dot_chart"]) if "pair" in getattr(f, "columns", ()))
    pe = sinusoidal_positions(64, 64)
    assert sorted(marks["distance"]) == [3, 7]
    for _, row in marks.iterrows():
        p, q = (60, 63) if row["distance"] == 3 else (2, 9)
        assert row["dot"] == pytest.approx(pe[p] @ pe[q])
        assert row["pair"] == f"PE({p}) · PE({q})"
