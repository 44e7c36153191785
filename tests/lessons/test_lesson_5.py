"""Lesson 5 headless: M = W_Q W_Kᵀ and the slot remix, the softmax weight by hand (exercise 4),
the √d section's computed counts, and the training section against core.course.qk_training."""

import re

import numpy as np
import pytest

from core.course.attention_lessons import SENTENCES, format_number, toy_sentence
from core.course.qk_training import bilinear_form, train_queries_keys
from core.mirrors.attention import attention_stages
from tests.lessons.test_lessons import callout_kinds, element, load_app, outputs_text

# exercise 1's solution: owned -> q0, animal and plant -> k0
SOLVED_Q = [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [2.0, 0.0, 0.0]]
SOLVED_K = [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]


def matrices(W_Q, W_K):
    return {
        "wq_matrix": element(W_Q),
        "wk_matrix": element(W_K),
        "sentence_radio": element(SENTENCES[0]),
    }


def run(**defs):
    outputs, names = load_app(5).run(defs=defs)
    return outputs, names, outputs_text(outputs)


@pytest.fixture(scope="module")
def solved_and_trained():
    """Exercise 1 solved, a prediction typed, and the train button pressed."""
    return run(
        **matrices(SOLVED_Q, SOLVED_K),
        variance_number=element(256),
        train_button=element(True),
    )


def test_m_is_the_live_feature_by_feature_table(solved_and_trained):
    _, names, text = solved_and_trained
    M = bilinear_form(SOLVED_Q, SOLVED_K)
    np.testing.assert_array_equal(names["M"], M)
    assert M.shape == (3, 3)
    assert "M[owned, animal] = 2.00: a token with <em>owned</em> seeks tokens with" in text
    # bark → dog through M, derived term by term, equals q_bark · k_dog (2.00)
    assert "<strong>2.00</strong>, the same as q<sub>bark</sub>" in text
    assert "<strong>True</strong>" in text
    # M is not symmetric, and the page names the most one-sided pair
    assert "M differs from its transpose (largest |M − Mᵀ| = 2.00)" in text


def test_symmetric_m_says_so():
    eye = np.eye(3)
    _, _, text = run(**matrices((2 * eye).tolist(), eye.tolist()))
    assert "M equals its transpose (largest |M − Mᵀ| = 0.00)" in text


@pytest.mark.parametrize("angle", [0, 30, 135])
def test_remixed_slots_leave_m_and_scores_alone(angle):
    _, _, text = run(**matrices(SOLVED_Q, SOLVED_K), mix_slider=element(angle))
    moved = float(re.search(r"Largest entry that moved in W_Q: (\d+\.\d+)", text).group(1))
    assert moved > 0.5  # the slots did change
    m_change = float(re.search(r"Largest change in M: ([\d.e+-]+)", text).group(1))
    score_change = float(
        re.search(r"in the scores of\s+<em>[^<]+</em>: ([\d.e+-]+)", text).group(1)
    )
    assert m_change < 1e-12 and score_change < 1e-12


def softmax_weight_defs(value):
    return {
        **matrices(SOLVED_Q, SOLVED_K),
        "variance_number": element(256),
        "weight_number": element(value),
    }


def exercise_4_weights():
    """The right answer and the usual slips, from core: 's looking at dog."""
    _, X = toy_sentence(SENTENCES[0])
    W_Q, W_K = np.array(SOLVED_Q), np.array(SOLVED_K)

    def weight(**options):
        return float(attention_stages(X, W_Q, W_K, **options)["weights"][2, 1])

    return {
        "right": weight(),
        "no scale": weight(scale=False),
        "no mask": weight(causal=False),
        "neither": weight(causal=False, scale=False),
    }


def test_exercise_4_waits_for_a_prediction_then_asks():
    outputs, _, text = run()
    assert callout_kinds(outputs, 4) == []
    assert "Exercise 4" not in text
    outputs, _, text = run(variance_number=element(256))
    assert callout_kinds(outputs, 4) == ["neutral"]
    # the raw row of 's is given with the identity matrices: the 0, dog 0, 's 0.25, bark 0.5
    assert "<em>the</em> 0.00, <em>dog</em> 0.00, <em>'s</em> 0.25, <em>bark</em> 0.50" in text


def test_exercise_4_accepts_the_right_weight():
    w = exercise_4_weights()
    # golden: 's seeks with q = (1, 0, 0); it sees the, dog, 's with raw scores 0, 1, 0, so
    # the weight on dog is e^(1/√3) / (1 + e^(1/√3) + 1)
    assert format_number(w["right"], 3) == "0.471"
    outputs, _, text = run(**softmax_weight_defs(round(w["right"], 3)))
    assert callout_kinds(outputs, 4) == ["success"]
    assert "= 0.471" in text


@pytest.mark.parametrize(
    "slip, hint",
    [
        ("no scale", "without the division by √3"),
        ("no mask", "without the mask"),
        ("neither", "forgets both the mask"),
    ],
)
def test_exercise_4_names_the_slip(slip, hint):
    w = exercise_4_weights()
    assert abs(w[slip] - w["right"]) > 0.01, slip  # each slip gives a distinct number
    outputs, _, text = run(**softmax_weight_defs(round(w[slip], 3)))
    assert callout_kinds(outputs, 4) == ["warn"]
    assert hint in text


def test_exercise_4_other_wrong_answer_gets_the_steps():
    outputs, _, text = run(**softmax_weight_defs(0.9))
    assert callout_kinds(outputs, 4) == ["warn"]
    assert "divide each by √3, exponentiate, and divide dog" in text


def test_the_sqrt_d_section_computes_its_counts(solved_and_trained):
    _, names, text = solved_and_trained
    e = names["experiments"][64]
    assert f"over {e['n_pairs']} random pairs" in text
    assert f"largest of {e['n_keys']} softmax weights" in text
    assert "divides by  $\\sqrt{3}$" not in text  # the toy d is rendered, not typed
    assert "so it divides by" in text


def test_the_mask_recalls_data_leakage():
    _, _, text = run()
    assert "data leakage</strong> in a new place" in text


def test_training_waits_for_its_button():
    _, names, text = run()
    assert names["training"] is None
    assert "Press the button to run 100 steps" in text
    assert names["gradient_gap"] < 1e-8  # the in-page check runs without training


def test_training_section_matches_core(solved_and_trained):
    _, names, text = solved_and_trained
    run_ = names["training"]
    expected = train_queries_keys(d=2, steps=100)
    np.testing.assert_allclose(run_.W_Q, expected.W_Q)
    assert run_.W_Q.shape == (3, 2)  # d differs from C here
    assert len(run_.losses) == 101
    assert (
        f"fell from <strong>{format_number(expected.losses[0], 3)}</strong>" in text
        and f"<strong>{format_number(expected.losses[-1], 3)}</strong> after 100 steps" in text
    )
    assert "<strong>3 × 2</strong>" in text and "trained W_Q</strong> (3 × 2)" in text
    # the trained M and the hand-set one point the same way
    trained_M = bilinear_form(run_.W_Q, run_.W_K)
    hand_M = bilinear_form(SOLVED_Q, SOLVED_K)
    cosine = (trained_M * hand_M).sum() / np.linalg.norm(trained_M) / np.linalg.norm(hand_M)
    assert cosine > 0.8
    assert f"is <strong>{format_number(cosine)}</strong>, so they point much the same way" in text


def test_training_width_follows_the_slider():
    _, names, text = run(train_button=element(True), train_d_slider=element(3), TRAIN_STEPS=100)
    assert names["training"].W_Q.shape == (3, 3)
    assert "3 × 3" in text
    # with the identity matrices the comparison says so
    assert "set W_Q and W_K as exercise 1 asks" in text


def test_exercise_5_predicts_the_largest_entry_of_the_trained_m():
    outputs, _, _ = run()
    assert callout_kinds(outputs, 5) == ["neutral"]
    prediction = {"seek_row": element("owned"), "seek_column": element("animal")}
    outputs, _, text = run(**prediction)
    assert callout_kinds(outputs, 5) == ["neutral"] and "Now train" in text
    outputs, _, text = run(**prediction, train_button=element(True))
    assert callout_kinds(outputs, 5) == ["success"]
    assert "M[owned, animal] = 10.32, the largest entry" in text  # golden: d = 2, seed 0
    # plant is as good as animal (9.93, within 80% of the largest)
    outputs, _, text = run(
        seek_row=element("owned"), seek_column=element("plant"), train_button=element(True)
    )
    assert callout_kinds(outputs, 5) == ["success"]
    assert "M[owned, plant] = 9.93, close to the largest, M[owned, animal] = 10.32" in text
    # the reverse direction is the classic slip: owners do not seek owned things
    outputs, _, text = run(
        seek_row=element("animal"), seek_column=element("owned"), train_button=element(True)
    )
    assert callout_kinds(outputs, 5) == ["warn"]
    assert "a row is a feature of the token that looks" in text


def cat_scores(W_Q, W_K):
    """Exercise 2 from core's numbers: bark looking at the toy token cat, and the slips."""
    _, X = toy_sentence(SENTENCES[0])
    bark, cat = X[3], np.array([0.9, 0.0, 0.4])
    W_Q, W_K = np.array(W_Q), np.array(W_K)
    return {
        "right": float((bark @ W_Q) @ (cat @ W_K)),
        "scaled": float((bark @ W_Q) @ (cat @ W_K)) / np.sqrt(3),
        "reversed": float((cat @ W_Q) @ (bark @ W_K)),
        "key through W_Q": float((bark @ W_Q) @ (cat @ W_Q)),
        "raw": float(bark @ cat),
    }


def test_exercise_2_asks_for_a_score_no_table_shows():
    """bark → dog is printed in the relevance callout; exercise 2 asks for bark → cat."""
    outputs, names, text = run(**matrices(SOLVED_Q, SOLVED_K))
    assert callout_kinds(outputs, 2) == ["neutral"]
    np.testing.assert_array_equal(names["x_cat"], [0.9, 0.0, 0.4])
    assert "animal 0.9, plant 0.0, owned 0.4" in text
    w = cat_scores(SOLVED_Q, SOLVED_K)
    assert format_number(w["right"]) == "1.80"  # golden: q_bark = (2, 0, 0), k_cat = (0.9, 0, 0)
    assert format_number(w["right"]) not in text.split("Exercise 2.")[0]


@pytest.mark.parametrize(
    "slip, hint",
    [
        ("scaled", "divided by √3"),
        ("reversed", "That is cat looking at bark"),
        ("key through W_Q", "You made cat"),
        ("raw", "lesson 4"),
    ],
)
def test_exercise_2_names_the_slip(slip, hint):
    w = cat_scores(SOLVED_Q, SOLVED_K)
    assert abs(w[slip] - w["right"]) > 0.01, slip  # each slip gives its own number
    outputs, _, text = run(**matrices(SOLVED_Q, SOLVED_K), score_number=element(round(w[slip], 2)))
    assert callout_kinds(outputs, 2) == ["warn"]
    assert hint in text


def test_exercise_2_right_and_other_answers():
    w = cat_scores(SOLVED_Q, SOLVED_K)
    outputs, _, text = run(**matrices(SOLVED_Q, SOLVED_K), score_number=element(1.8))
    assert callout_kinds(outputs, 2) == ["success"]
    assert "k_cat = (0.90, 0.00, 0.00)" in text and w["right"] == pytest.approx(1.8)
    outputs, _, text = run(**matrices(SOLVED_Q, SOLVED_K), score_number=element(5.0))
    assert callout_kinds(outputs, 2) == ["warn"] and "k_cat is cat" in text
    # with W_Q = W_K = I every slip gives the right number, and the right number wins
    eye = np.eye(3).tolist()
    outputs, _, _ = run(**matrices(eye, eye), score_number=element(0.67))
    assert callout_kinds(outputs, 2) == ["success"]


def test_remix_changes_exactly_the_rows_with_something_in_slots_0_and_1():
    """The prose: every row with something in slot 0 or 1 changes; slot 2 is left alone."""
    from core.course.qk_training import remix_slots, slot_mixer

    W_Q = np.array(SOLVED_Q) + np.array([[0, 0, 0.5], [0, 0, 0], [0, 0, 0]])  # animal: slot 2
    for angle in (0, 30, 135):
        W_Q2, _ = remix_slots(W_Q, np.array(SOLVED_K), slot_mixer(angle, 3))
        moved = ~np.isclose(W_Q2, W_Q).all(axis=1)
        np.testing.assert_array_equal(moved, (W_Q[:, :2] != 0).any(axis=1))
        np.testing.assert_array_equal(W_Q2[:, 2], W_Q[:, 2])
    _, _, text = run(**matrices(SOLVED_Q, SOLVED_K))
    assert "every row with\n    something in slot 0 or 1" not in text  # rendered, not raw
    assert "something in slot 0 or 1; slot 2 is left alone" in text


def test_the_train_button_waits_for_exercise_5s_prediction():
    _, _, text = run()
    assert "The train button appears once you have picked a row and a column" in text
    assert "Train W_Q and W_K" not in text
    _, _, text = run(seek_row=element("owned"), seek_column=element("animal"))
    assert "The train button appears" not in text and "Train W_Q and W_K" in text


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_the_recap_claim_holds_for_every_width(d):
    """The recap: from a random start, the trained M's two largest entries are owned →
    animal and owned → plant, whatever d the slider picks."""
    trained = train_queries_keys(d=d)
    M = np.abs(bilinear_form(trained.W_Q, trained.W_K))
    top_two = {np.unravel_index(i, M.shape) for i in np.argsort(-M.ravel())[:2]}
    assert top_two == {(2, 0), (2, 1)}


@pytest.mark.parametrize(
    "guess, kind, words",
    [
        (256, "success", "Divided by √256 = 16"),
        (16, "warn", "is the spread (standard deviation)"),
        (1, "warn", "1 is the variance of one product"),
        (64, "warn", "variances of independent terms add"),
    ],
)
def test_exercise_3_names_the_square_root_slip(guess, kind, words):
    outputs, _, text = run(variance_number=element(guess))
    assert callout_kinds(outputs, 3) == [kind]
    assert words in text
