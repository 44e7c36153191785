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
    X, W_Q, W_K, W_V, *, scale=True, mask=-np.inf, axis=-1, swap=False, values=True, softmax=True
):
    """Causal attention written out with loops, with switches for the usual mistakes."""
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    T, d = Q.shape
    scores = np.empty((T, T))
    for i in range(T):
        for j in range(T):
            a, b = (K[i], Q[j]) if swap else (Q[i], K[j])
            scores[i, j] = sum(a[c] * b[c] for c in range(d))
            if scale is True:
                scores[i, j] /= np.sqrt(d)
            elif scale == "d":
                scores[i, j] /= d
            if mask is not None and j > i:
                scores[i, j] = mask
    if softmax:
        e = np.exp(scores - scores.max(axis=axis, keepdims=True))
        weights = e / e.sum(axis=axis, keepdims=True)
    else:
        weights = scores
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
    ],
)
def test_each_usual_mistake_gets_its_own_hint(options, hint):
    result = check_attention_function(lambda *args: by_hand(*args, **options))
    assert not result.passed
    assert hint in result.message


def test_hard_coded_sqrt3_fails_on_the_non_square_trial():
    def sqrt3(X, W_Q, W_K, W_V):
        Q, K, V = X @ W_Q, X @ W_K, X @ W_V
        scores = np.where(np.tril(np.ones((len(X),) * 2)) > 0, Q @ K.T / np.sqrt(3), -np.inf)
        w = np.exp(scores - scores.max(-1, keepdims=True))
        return (w / w.sum(-1, keepdims=True)) @ V

    result = check_attention_function(sqrt3)
    assert not result.passed
    assert "X (6, 5)" in result.message and "differs from core's" in result.message


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
