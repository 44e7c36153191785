"""core.course.attention_lessons: the toy sentences, the tables, and the lesson-6 attention check."""

import numpy as np
import pytest
import torch

from core.course.attention_lessons import (
    FEATURES,
    SENTENCES,
    TOY_EMBEDDINGS,
    check_attention_function,
    format_number,
    markdown_matrix,
    toy_sentence,
    toy_tokens,
)
from core.model.attention import scaled_dot_product as torch_attention


def test_toy_sentences_by_hand():
    assert toy_tokens("The dog's bark") == ["the", "dog", "'s", "bark"]
    tokens, X = toy_sentence(SENTENCES[1])
    assert tokens == ["the", "tree", "'s", "bark"]
    assert X.shape == (4, len(FEATURES)) == (4, 3)
    np.testing.assert_array_equal(X[1], [0.0, 1.0, 0.0])
    # the numbers lesson 4 quotes: bark matches itself (1.18) above its owner (0.30)
    _, X = toy_sentence(SENTENCES[0])
    scores = X @ X.T
    assert scores[3, 3] == pytest.approx(1.18) and scores[3, 1] == pytest.approx(0.3)
    assert set(TOY_EMBEDDINGS) == {"the", "dog", "tree", "'s", "bark"}


@pytest.mark.parametrize(
    "text, message", [("the cat 's bark", "'cat' not in the toy vocabulary"), ("  ", "empty")]
)
def test_toy_sentence_rejects(text, message):
    with pytest.raises(ValueError, match=message):
        toy_sentence(text)


def test_format_number():
    assert [format_number(v) for v in (1.005, -0.5, -0.001, -np.inf, np.inf)] == [
        "1.00",  # 1.005 is 1.00499… in binary
        "−0.50",
        "0.00",  # no "−0.00"
        "−∞",
        "∞",
    ]


def test_markdown_matrix_golden():
    text = markdown_matrix(
        [[1.0, -np.inf], [0.25, 2.0]],
        ["a|b", "c"],
        ["x", "y"],
        corner="q ↓ · k →",
        bold=np.eye(2, dtype=bool),
    )
    assert text.splitlines() == [
        "| q ↓ · k → | x | y |",
        "|:---|---:|---:|",
        "| **a\\|b** | **1.00** | −∞ |",
        "| **c** | 0.25 | **2.00** |",
    ]
    assert markdown_matrix([1, 2], ["row"], ["x", "y"], decimals=0).endswith("| 1 | 2 |")


def test_markdown_matrix_names_the_shape_mismatch():
    with pytest.raises(ValueError, match=r"shape \(2, 2\) but there are 3 row labels"):
        markdown_matrix(np.eye(2), ["a", "b", "c"], ["x", "y"])


# --- check_attention_function ----------------------------------------------------------------


def by_hand(
    X,
    W_Q,
    W_K,
    W_V,
    *,
    scale=True,
    mask=-np.inf,
    axis=-1,
    swap=False,
    values=True,
    softmax=True,
    hide="future",
    mask_after_softmax=False,
    transpose=False,
    project=True,
):
    """Causal attention written out with loops, with switches for the usual mistakes.

    scale: True (√d), False, "d", "C" (√C), "d_v" (√d_v) or a number to divide by.
    hide: which keys the mask hides, "future" (j > i), "past" (j < i) or "self too" (j >= i).
    """
    if transpose:
        W_Q, W_K, W_V = W_Q.T, W_K.T, W_V.T
    Q, K, V = (X @ W_Q, X @ W_K, X @ W_V) if project else (X, X, X @ W_V)
    T, d = Q.shape
    divisor = {
        True: np.sqrt(d),
        False: 1.0,
        "d": d,
        "C": np.sqrt(X.shape[1]),
        "d_v": np.sqrt(V.shape[1]),
    }.get(scale, scale)
    hidden = {
        "future": lambda i, j: j > i,
        "past": lambda i, j: j < i,
        "self too": lambda i, j: j >= i,
    }
    scores = np.empty((T, T))
    for i in range(T):
        for j in range(T):
            a, b = (K[i], Q[j]) if swap else (Q[i], K[j])
            scores[i, j] = sum(a[c] * b[c] for c in range(d)) / divisor
            if mask is not None and hidden[hide](i, j) and not mask_after_softmax:
                scores[i, j] = mask
    if softmax:
        with np.errstate(invalid="ignore"):
            e = np.exp(scores - scores.max(axis=axis, keepdims=True))
            weights = e / e.sum(axis=axis, keepdims=True)
    else:
        weights = scores
    if mask_after_softmax:
        weights = np.tril(weights)
    return weights @ (V if values else X)


def test_a_correct_function_passes():
    result = check_attention_function(by_hand)
    assert result.passed, result.message
    assert "equals" in result.message


def test_torch_attention_passes_the_same_check():
    """core.model.attention (torch) and core.mirrors.attention agree through the learner's check too."""

    def with_torch(X, W_Q, W_K, W_V):
        q, k, v = (torch.tensor(X @ W) for W in (W_Q, W_K, W_V))
        return torch_attention(q, k, v, causal=True)[0].numpy()

    result = check_attention_function(with_torch)
    assert result.passed, result.message


@pytest.mark.parametrize(
    "options, hint",
    [
        ({"scale": False}, "without the 1/√d scaling"),
        ({"scale": "d"}, "divided the scores by d"),
        ({"mask": None}, "can see the future"),
        ({"mask": None, "scale": False}, "Two steps are missing"),
        ({"mask": 0.0}, "You masked with 0"),
        ({"axis": 0}, "normalises each column"),
        ({"swap": True}, "not K @ Q.T"),
        ({"values": False}, "not X itself"),
        ({"softmax": False, "scale": False, "mask": None}, "weights are the raw scores"),
        ({"softmax": False, "mask": None}, "must be a softmax of each row"),
        ({"scale": "C"}, "You divided by √C = √7, the embedding's width"),
        ({"scale": "d_v"}, "You divided by √d_v = √5, the width of the values"),
        ({"scale": np.sqrt(3)}, "You divided by √3, the toy's width"),
        ({"hide": "past"}, "Your mask hides the past and shows the future"),
        ({"mask_after_softmax": True}, "You zeroed the future after the softmax"),
        ({"transpose": True}, "You multiplied by the transposes"),
        ({"project": False}, "Your scores compare the embeddings themselves"),
        ({"project": False, "scale": "C"}, "Your scores compare the embeddings themselves"),
        ({"hide": "self too"}, "Row 0 of your output is NaN: your mask hides the diagonal"),
    ],
)
def test_each_usual_mistake_gets_its_own_hint(options, hint):
    result = check_attention_function(lambda *args: by_hand(*args, **options))
    assert not result.passed
    assert hint in result.message


def test_an_unrecognised_mistake_names_the_shapes_and_the_gap():
    """Scores divided by 2 (no usual mistake): the check says where and by how much."""
    result = check_attention_function(lambda *args: by_hand(*args, scale=2.0))
    assert not result.passed and result.started
    assert "X (4, 3)" in result.message and "differs from core's by up to" in result.message


def test_the_starting_code_is_not_started_not_wrong():
    """The exercise's cell raises NotImplementedError until the learner writes it."""

    def starting_code(X, W_Q, W_K, W_V):
        raise NotImplementedError("write the six steps")

    result = check_attention_function(starting_code)
    assert not result.passed and not result.started
    assert "Not written yet" in result.message
    assert check_attention_function(lambda *args: None).started  # returned None: a mistake


@pytest.mark.parametrize(
    "fn, message",
    [
        (lambda X, W_Q, W_K, W_V: None, "returned None"),
        (lambda X, W_Q, W_K, W_V: 1 / 0, "raised ZeroDivisionError: division by zero"),
        (lambda X, W_Q, W_K, W_V: X @ W_Q @ (X @ W_K).T, "shape of the weights"),
        (lambda X, W_Q, W_K, W_V: X[:, :2], "expected (4, 3)"),
        (lambda X, W_Q, W_K, W_V: np.full((len(X), W_V.shape[1]), np.nan), "NaN"),
        (lambda X, W_Q, W_K, W_V: {"not": "an array"}, "not an array"),
    ],
)
def test_broken_functions_are_reported_not_raised(fn, message):
    result = check_attention_function(fn)
    assert not result.passed
    assert message in result.message


def test_a_function_that_overwrites_its_inputs_is_still_diagnosed():
    """The check hands out copies: its own diagnosis must not see the learner's zeros."""

    def unscaled_and_mutating(X, W_Q, W_K, W_V):
        out = by_hand(X, W_Q, W_K, W_V, scale=False)
        for array in (X, W_Q, W_K, W_V):
            array[...] = 0.0
        return out

    result = check_attention_function(unscaled_and_mutating)
    assert not result.passed
    assert "without the 1/√d scaling" in result.message


def test_slot_labels():
    from core.course.attention_lessons import slot_labels

    assert slot_labels("q") == ["q₀", "q₁", "q₂"]
    assert slot_labels("v", 12)[10:] == ["v₁₀", "v₁₁"]


def test_near_misses_differ_from_the_answer_and_from_each_other():
    """Each mistake is named only if no other mistake (nor the right answer) gives its output,
    on the trial where it can first be told apart: a collision would name the wrong hint."""
    from core.course.attention_lessons import ATTENTION_TRIAL_SHAPES, _near_misses
    from core.mirrors.attention import attention_stages

    rng = np.random.default_rng(0)
    told_apart = set()
    for T, C, d, d_v in ATTENTION_TRIAL_SHAPES:
        X = rng.normal(size=(T, C))
        W_Q, W_K, W_V = rng.normal(size=(C, d)), rng.normal(size=(C, d)), rng.normal(size=(C, d_v))
        right = attention_stages(X, W_Q, W_K, W_V)["output"]
        misses = {
            name: miss
            for name, miss in _near_misses(X, W_Q, W_K, W_V).items()
            if miss[0].shape != right.shape or not np.allclose(miss[0], right, atol=1e-8)
        }
        names = list(misses)
        for a in range(len(names)):
            for b in range(a + 1, len(names)):
                (one, hint), (other, other_hint) = misses[names[a]], misses[names[b]]
                same = one.shape == other.shape and np.allclose(one, other, atol=1e-8)
                assert not same or hint == other_hint, (names[a], names[b], (T, C, d, d_v))
        told_apart |= set(names)
    # everything is caught somewhere; √C, √d_v and √3 only where C, d, d_v differ
    assert told_apart == set(_near_misses(*(np.eye(3),) * 4))


def test_trial_shapes_text_names_every_shape_the_check_tries():
    from core.course.attention_lessons import ATTENTION_TRIAL_SHAPES, trial_shapes_text

    text = trial_shapes_text()
    assert text == "(T, C, d, d_v) = (4, 3, 3, 3) and (6, 7, 2, 5)"
    assert all(str(shape) in text for shape in ATTENTION_TRIAL_SHAPES)
    from core.mirrors.attention import attention_stages

    def right(X, W_Q, W_K, W_V):  # the success message quotes the same shapes
        return attention_stages(X, W_Q, W_K, W_V)["output"]

    assert text in check_attention_function(right).message


def _learner_attention(sums_keepdims=True, key_matrix="W_K"):
    """An attention function as a learner writes it, with one mistake switched on."""

    def fn(X, W_Q, W_K, W_V):
        Q, V = X @ W_Q, X @ W_V
        K = X @ (W_K if key_matrix == "W_K" else W_Q)
        T = X.shape[0]
        scores = Q @ K.T / np.sqrt(Q.shape[1])
        scores = np.where(np.triu(np.ones((T, T), bool), k=1), -np.inf, scores)
        e = np.exp(scores - scores.max(axis=-1, keepdims=True))
        return (e / e.sum(axis=-1, keepdims=sums_keepdims)) @ V

    return fn


@pytest.mark.parametrize(
    "mistake, says",
    [
        (dict(sums_keepdims=False), "keepdims=True"),
        (dict(key_matrix="W_Q"), "come from one matrix"),
        (dict(), None),
    ],
)
def test_check_names_the_keepdims_and_copy_paste_mistakes(mistake, says):
    result = check_attention_function(_learner_attention(**mistake))
    assert result.passed is (says is None)
    if says:
        assert says in result.message
