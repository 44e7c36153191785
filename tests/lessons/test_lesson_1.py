"""Lesson 1 headless: its numbers equal core's, its exercises answer right and wrong, and it
opens without the data file.

The lesson is run with `app.run(defs=...)`, which replaces the cells that define the learner's
answers and controls by stand-ins (`element(value)`), as tests/lessons/test_lessons.py does
for lessons 4-6.
"""

from __future__ import annotations

import html
import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from core.course.ngram import NGramCounts, NGramModel, bigram_matrix, encode_chars, split_train_val
from core.mirrors.sampling import filter_logits, softmax
from core.tokenize.char import CharTokenizer
from tests.lessons.test_lessons import callout_kinds, element

REPO = Path(__file__).resolve().parents[2]
LESSON = REPO / "lessons" / "4-1-1-what-is-a-language-model.py"
COLD, HOT = "all mass on the most likely character", "uniform over all characters"
# the held-out perplexities of orders 1 … 7 (add-one, 90/10 split): tests/core/course/test_ngram.py
GOLDEN = [11.96, 7.91, 7.05, 8.79, 13.37, 20.63, 29.66]


def run(**defs):
    spec = importlib.util.spec_from_file_location("lesson_1", LESSON)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app.run(defs=defs)


def text_of(outputs) -> str:
    return html.unescape("\n".join(getattr(o, "text", "") or "" for o in outputs))


@pytest.fixture(scope="module")
def core_side(data_available):
    """The same text, split and models, built here from core alone."""
    from core.data.files import read_text

    text = read_text("tinyshakespeare")
    tok = CharTokenizer.from_text(text)
    train, val = split_train_val(encode_chars(text, tok.vocab))
    tables = [NGramCounts.count(train, j, tok.vocab_size) for j in range(8)]
    models = [NGramModel(tables[: k + 1]) for k in range(8)]
    return SimpleNamespace(tok=tok, train=train, val=val, models=models)


@pytest.fixture(scope="module")
def default_run(data_available):
    return run()


def right_answers(core_side):
    tok, models = core_side.tok, core_side.models
    counts = bigram_matrix(core_side.train, tok.vocab_size)
    q, u = tok.stoi["q"], tok.stoi["u"]
    p_u_q = (counts[q, u] + 1) / (counts[q].sum() + tok.vocab_size)
    probs = np.round(np.exp(models[1].sequence_log_probs(tok.encode("the"))), 4)
    best = 1 + int(np.argmin([models[k].perplexity(core_side.val) for k in range(1, 8)]))
    return dict(
        q_number=element(round(float(p_u_q), 3)),
        ppl_number=element(round(float(np.prod(probs) ** (-1 / 3)), 2)),
        order_prediction=element("fall, then rise"),
        best_order_number=element(best),
        cold_radio=element(COLD),
        hot_radio=element(HOT),
    )


@pytest.fixture(scope="module")
def answered_run(core_side):
    return run(
        **right_answers(core_side),
        order_slider=element(5),
        curve_button=element(True),
        temperature_slider=element(0.0),
        top_k_slider=element(0),
        top_p_slider=element(1.0),
    )


def test_headline_numbers_equal_core(default_run, core_side):
    _, defs = default_run
    models, val = core_side.models, core_side.val
    assert defs["bigram_perplexity"] == pytest.approx(models[1].perplexity(val), rel=1e-12)
    assert defs["unigram_perplexity"] == pytest.approx(models[0].perplexity(val), rel=1e-12)
    assert defs["uniform_perplexity"] == core_side.tok.vocab_size == 65
    assert defs["bigram_perplexity"] == pytest.approx(GOLDEN[0], abs=0.01)
    assert defs["train_ids"].tolist() == core_side.train.tolist()
    np.testing.assert_array_equal(defs["counts"], bigram_matrix(core_side.train, 65))
    assert "agree on every pair" in text_of(default_run[0])  # the Counter by hand


def test_the_heatmaps_capitals_sentence_is_counted(default_run, core_side):
    counts = bigram_matrix(core_side.train, core_side.tok.vocab_size)
    upper = np.array([c.isupper() for c in core_side.tok.vocab])
    lower = np.array([c.islower() for c in core_side.tok.vocab])
    share = counts[upper][:, upper].sum() / counts[upper].sum()
    assert counts[lower][:, upper].sum() == 0  # Tiny Shakespeare: no camelCase
    text = text_of(default_run[0])
    assert f"After a capital, {100 * share:.0f}% of next characters are capitals too" in text
    assert "a lowercase letter is followed by a capital never" in text


def test_unanswered_exercises_are_not_green_and_controls_wait(default_run):
    outputs, defs = default_run
    for exercise in (1, 2, 4):
        assert callout_kinds(outputs, exercise) == ["neutral"], exercise
    text = text_of(outputs)
    assert "The order slider appears here once you have made your prediction" in text
    assert "The temperature slider and the rest of this section appear here" in text
    assert "Why it turns" not in text  # the explanation waits for the prediction
    assert "order_perplexity" not in defs and "curve" not in defs
    # exercise 3 needs the slider, and the whole curve would give it away: both wait
    assert callout_kinds(outputs, 3) == [] and "Exercise 3." not in text
    assert "Measure all seven orders" not in text
    # entropy is read out with the temperature slider, after the predictions
    assert "How spread out is a distribution" not in text
    # the rest of section 4 says what T = 0 does: it waits for exercise 4 too, and the recap
    # does not give it away
    assert "Written out by hand" not in text and "distinct_draws" not in defs
    assert "greedy" not in text[text.index("Exercise 4.") :]
    assert "then hurt" not in text and "then rise" not in text.replace("fall, then rise", "")


def test_the_curve_waits_for_an_answer_to_exercise_3(core_side):
    outputs, defs = run(order_prediction=element("keep falling"), curve_button=element(True))
    text = text_of(outputs)
    assert callout_kinds(outputs, 3) == ["neutral"]
    assert "Once you have answered exercise 3, a button here measures" in text
    assert "curve" not in defs and "Best at k" not in text
    assert "Why it turns" not in text  # the explanation gives the turning point away too


def test_exercise_3_hints_on_every_wrong_answer(core_side):
    ppl = [core_side.models[k].perplexity(core_side.val) for k in range(8)]
    for answer, hint in [
        (8, "Not 8: the slider's context lengths are the whole numbers 1 to 7"),
        (3.5, "Not 3.5: the slider's context lengths are the whole numbers 1 to 7"),
        (2, f"Not 2: k = 3 is lower still ({ppl[3]:.2f} against {ppl[2]:.2f})"),
        (5, f"Not 5: its perplexity is {ppl[5]:.2f}, more than k = 4's {ppl[4]:.2f}"),
    ]:
        outputs, _ = run(
            order_prediction=element("fall, then rise"), best_order_number=element(answer)
        )
        assert callout_kinds(outputs, 3) == ["warn"], answer
        assert hint in text_of(outputs), answer


def test_right_answers_turn_green(answered_run):
    outputs, _ = answered_run
    for exercise in (1, 2, 3, 4):
        assert callout_kinds(outputs, exercise) == ["success"], exercise


def test_order_slider_and_curve_equal_core(answered_run, core_side):
    outputs, defs = answered_run
    val = core_side.val
    assert defs["order_perplexity"] == pytest.approx(core_side.models[5].perplexity(val))
    curve = defs["curve"]
    assert curve["context length k"].tolist() == list(range(1, 8))
    expected = [core_side.models[k].perplexity(val) for k in range(1, 8)]
    np.testing.assert_allclose(curve["held-out perplexity"], expected, rtol=1e-12)
    np.testing.assert_allclose(expected, GOLDEN, atol=0.01)
    unseen = [core_side.models[k].unseen_context_fraction(val) for k in range(1, 8)]
    np.testing.assert_allclose(curve["held-out share after an unseen context"], unseen)
    text = text_of(outputs)
    assert "Best at k = 3 (7.05)" in text
    assert (
        "You predicted <em>fall, then rise</em>; the measured curve does <em>fall, then "
        "rise</em>, as you predicted" in text
    )
    assert "held-out perplexity <strong>13.37</strong>" in text  # k = 5, in the readout


def test_temperature_zero_is_greedy_and_every_draw_is_the_same(answered_run, core_side):
    outputs, defs = answered_run
    logits = np.log(core_side.models[3].next_probs(core_side.tok.encode("my lord, th")))
    np.testing.assert_allclose(defs["logits"], logits)
    final = defs["final_probs"]
    assert final[int(np.argmax(logits))] == 1.0 and final.sum() == 1.0
    assert defs["distinct_draws"] == 1 and defs["draws_repeat"]
    text = text_of(outputs)
    assert "T = 0</strong> is greedy" in text
    assert "Top-k and top-p are off" in text
    # entropy is defined before its numbers; at T = 0 one character is left, entropy 0
    uniform = f"ln 65 = {np.log(65):.2f}"
    model_h = float(-(np.exp(logits) * logits).sum())
    assert text.index("How spread out is a distribution") < text.index(uniform)
    assert f"the model's distribution <strong>{model_h:.2f}</strong> nats" in text
    assert "after temperature T = 0, <strong>0.00</strong> nats" in text


def test_truncation_after_greedy_removes_nothing(core_side):
    outputs, _ = run(
        **right_answers(core_side),
        temperature_slider=element(0.0),
        top_k_slider=element(3),
        top_p_slider=element(1.0),
    )
    text = text_of(outputs)
    assert "The truncation removed <strong>0</strong> of 65 characters" in text
    assert "only one character was left to keep" in text


def test_seeded_draws_repeat_and_vary(core_side):
    outputs, defs = run(**right_answers(core_side))
    assert defs["draws_repeat"] and defs["distinct_draws"] == 8  # T = 1: eight different lines
    assert "the 8 lines come out identical" in text_of(outputs)


def test_truncation_matches_core(core_side):
    outputs, defs = run(
        **right_answers(core_side),
        temperature_slider=element(0.7),
        top_k_slider=element(4),
        top_p_slider=element(0.8),
    )
    settings = dict(temperature=0.7, top_k=4, top_p=0.8)
    assert defs["settings"] == settings
    expected = softmax(filter_logits(defs["logits"], **settings))
    np.testing.assert_allclose(defs["final_probs"], expected)
    np.testing.assert_allclose(defs["by_hand"](defs["logits"], **settings), expected, atol=1e-12)
    # the by-hand code is on the page, as its source
    assert "def by_hand(logits, temperature, top_k=None, top_p=None):" in text_of(outputs)
    assert 1 <= (expected > 0).sum() <= 4


def test_wrong_answers_get_hints(core_side):
    tok = core_side.tok
    counts = bigram_matrix(core_side.train, tok.vocab_size)
    raw = counts[tok.stoi["q"], tok.stoi["u"]] / counts[tok.stoi["q"]].sum()
    probs = np.round(np.exp(core_side.models[1].sequence_log_probs(tok.encode("the"))), 4)
    outputs, _ = run(
        q_number=element(float(raw)),
        ppl_number=element(float(1 / np.prod(probs))),
        order_prediction=element("keep falling"),
        best_order_number=element(7),
        cold_radio=element(HOT),
        hot_radio=element(COLD),
    )
    for exercise in (1, 2, 3, 4):
        assert callout_kinds(outputs, exercise) == ["warn"], exercise
    text = text_of(outputs)
    assert "that is the raw share N(q u) / N(q)" in text
    assert "take the cube root" in text
    assert "Not 7: at k = 7 the perplexity is 29.66" in text
    assert "for T → 0" in text and "for T → ∞" in text


def test_the_sentence_and_its_reverse_compare_the_right_way_round(core_side):
    bigram = core_side.models[1]
    for sentence in ("To be, or not to be", "eb ot ton ro ,eb oT"):
        gap = bigram.sequence_log_probs(core_side.tok.encode(sentence)).sum() - (
            bigram.sequence_log_probs(core_side.tok.encode(sentence[::-1])).sum()
        )
        outputs, _ = run(sentence_text=element(sentence))
        word = "less" if gap >= 0 else "more"
        assert f"so the reversed text is e<sup>{abs(gap):.2f}</sup>" in text_of(outputs)
        assert f"times {word} likely" in text_of(outputs), sentence


def test_bad_sentences_and_contexts_get_a_message(core_side):
    outputs, _ = run(sentence_text=element("def f(x): return x % 2"), context_text=element("{}"))
    text = text_of(outputs)
    assert "This model has never seen" in text and "'%'" in text and "'('" in text
    assert "The context has characters outside Tiny Shakespeare" in text
    outputs, _ = run(sentence_text=element(""))
    assert "Type a sentence (it is empty)" in text_of(outputs)


def test_opens_without_the_data_file(tmp_path, monkeypatch):
    """Offline and without tinyshakespeare.txt: a callout says how to get it, nothing raises."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    outputs, defs = run()
    text = text_of(outputs)
    assert "This lesson needs Tiny Shakespeare" in text
    assert "python -m core.data fetch tinyshakespeare" in text
    assert defs["train_ids"] is None
    assert "Traceback" not in text


def test_the_home_page_lists_lesson_1_as_available():
    spec = importlib.util.spec_from_file_location("home", REPO / "lessons" / "home.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    outputs, defs = module.app.run()
    assert "4-1-1-what-is-a-language-model" in defs["available"]
    assert "lessons/4-1-1-what-is-a-language-model/" in text_of(outputs)


def test_in_the_browser_the_text_arrives_through_core_datas_browser_path(
    tmp_path, monkeypatch, data_available
):
    """Pyodide has no sockets: core.data asks the page's XMLHttpRequest (browser.browser_get)
    for the registry's URL, verifies it and caches it. Here that request is stood in for,
    and the lesson's own progress bar class is what draws the download."""
    from core.data import browser
    from core.data.files import read_bytes
    from core.data.registry import spec

    body = read_bytes("tinyshakespeare")
    asked = []

    def browser_get(url):
        asked.append(url)
        return body

    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(browser, "in_browser", lambda: True)
    monkeypatch.setattr(browser, "browser_get", browser_get)
    _, defs = run()
    assert asked == [spec("tinyshakespeare").source_url(browser=True)]
    assert (tmp_path / "tinyshakespeare.txt").read_bytes() == body
    assert len(defs["train_ids"]) == 1_003_854
