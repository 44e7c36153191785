"""What lessons 4-6 share: the toy sentences, labelled tables, and the exercise checks. Torch-free.

The three attention lessons trace one example by hand: four tokens, three made-up features.

    features  animal  plant  owned        a token's embedding x is one row
    the        0.0    0.0    0.0
    dog        1.0    0.0    0.0
    tree       0.0    1.0    0.0
    's         0.0    0.0    0.5          marks possession
    bark       0.3    0.3    1.0          a dog's bark or a tree's bark: it needs an owner

    "the dog 's bark" and "the tree 's bark": X is (T, C) = (4, 3).

Notation as in `core.mirrors.attention`: T tokens, C embedding width, d query/key width.
The arithmetic itself lives in `core.mirrors.attention`; this module only sets up examples,
formats numbers for reading, and checks a learner's answers.

Example:
    >>> tokens, X = toy_sentence("the dog 's bark")
    >>> X[3].tolist()
    [0.3, 0.3, 1.0]
    >>> check_attention_function(lambda X, W_Q, W_K, W_V: X).passed
    False
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from core.mirrors.attention import attention_stages, causal_mask, softmax

FEATURES = ("animal", "plant", "owned")
TOY_EMBEDDINGS: dict[str, tuple[float, float, float]] = {
    "the": (0.0, 0.0, 0.0),
    "dog": (1.0, 0.0, 0.0),
    "tree": (0.0, 1.0, 0.0),
    "'s": (0.0, 0.0, 0.5),
    "bark": (0.3, 0.3, 1.0),
}
SENTENCES = ("the dog 's bark", "the tree 's bark")


def slot_labels(letter: str, n: int = len(FEATURES)) -> list[str]:
    """Names for the slots of a query, key or value vector.

    Example: slot_labels("q") -> ["q₀", "q₁", "q₂"]
    """
    subscripts = "₀₁₂₃₄₅₆₇₈₉"
    return [letter + "".join(subscripts[int(d)] for d in str(i)) for i in range(n)]


def toy_tokens(text: str) -> list[str]:
    """Split `text` into the toy vocabulary's tokens: words, and "'s" on its own.

    Example: toy_tokens("the dog's bark") -> ["the", "dog", "'s", "bark"]
    """
    return text.lower().replace("'s", " 's").split()


def toy_sentence(
    text: str, embeddings: dict[str, tuple[float, ...]] | None = None
) -> tuple[list[str], np.ndarray]:
    """(tokens, X): the tokens of `text` and their embeddings, X of shape (T, 3) (or (T, C) for
    another toy table passed as `embeddings`, as lesson 7's C = 4 one).

    Raises ValueError naming a word the toy vocabulary does not have.
    """
    table = TOY_EMBEDDINGS if embeddings is None else embeddings
    tokens = toy_tokens(text)
    unknown = [t for t in tokens if t not in table]
    if unknown:
        raise ValueError(
            f"{', '.join(map(repr, unknown))} not in the toy vocabulary; "
            f"use only {', '.join(table)}"
        )
    if not tokens:
        raise ValueError("the sentence is empty; type a few words")
    return tokens, np.array([table[t] for t in tokens])


def format_number(value: float, decimals: int = 2) -> str:
    """A number as the tables print it: fixed decimals, a real minus sign, ∞ for infinities."""
    if math.isinf(value):
        return "−∞" if value < 0 else "∞"
    text = f"{value:.{decimals}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", "−")


def markdown_matrix(
    matrix,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    *,
    corner: str = "",
    decimals: int = 2,
    bold=None,
) -> str:
    """A labelled matrix as a Markdown table (numbers right-aligned), for `mo.md`.

    corner: the text of the top-left cell, saying what rows and columns are
        ("query ↓ key →"). bold: a boolean array of the matrix's shape, True where a number
        should stand out (the diagonal, a selected row).

    Example:
        >>> print(markdown_matrix([[1, 0]], ["dog"], ["animal", "plant"], corner="token"))
        | token | animal | plant |
        |:---|---:|---:|
        | **dog** | 1.00 | 0.00 |
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim == 1:
        m = m[None, :]
    if m.shape != (len(row_labels), len(column_labels)):
        raise ValueError(
            f"matrix has shape {m.shape} but there are {len(row_labels)} row labels and "
            f"{len(column_labels)} column labels"
        )
    marks = np.zeros(m.shape, dtype=bool) if bold is None else np.asarray(bold, dtype=bool)

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "| " + " | ".join(cell(c) for c in [corner, *column_labels]) + " |",
        "|:---|" + "---:|" * len(column_labels),
    ]
    for label, row, row_marks in zip(row_labels, m, marks):
        values = [
            f"**{format_number(v, decimals)}**" if mark else format_number(v, decimals)
            for v, mark in zip(row, row_marks)
        ]
        lines.append(f"| **{cell(label)}** | " + " | ".join(values) + " |")
    return "\n".join(lines)


@dataclass(frozen=True)
class Check:
    """What an exercise's check cell says: passed or not, and a sentence for the learner.

    started: False while the learner has not written anything yet (the exercise's starting
    code raises NotImplementedError); a lesson shows that as a neutral note, not a mistake.
    """

    passed: bool
    message: str
    started: bool = True


# --- lesson 6: the learner's own attention function ----------------------------------------

AttentionFunction = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]

# (T, C, d, d_v) of the inputs `check_attention_function` tries (a lesson may quote them): a
# square trial, then one where C, d and d_v all differ, so that a hard-coded √3, a √C or √d_v
# for √d, or a transposed W shows up (and d, √C, √d_v, √3 all differ)
ATTENTION_TRIAL_SHAPES = ((4, 3, 3, 3), (6, 7, 2, 5))
# the toy's width: a learner who tested on the toy sentence may have typed it in
_TOY_WIDTH = len(FEATURES)


def _near_misses(X, W_Q, W_K, W_V) -> dict[str, tuple[np.ndarray, str]]:
    """Outputs of the usual mistakes, each with the hint that fixes it."""
    s = attention_stages(X, W_Q, W_K, W_V)
    T, C = X.shape
    d, d_v = s["Q"].shape[1], s["V"].shape[1]
    mask = causal_mask(T)
    V = s["V"]

    def rows(scores: np.ndarray, visible: np.ndarray = mask) -> np.ndarray:
        return softmax(np.where(visible, scores, -np.inf)) @ V

    from_x = (
        "Your scores compare the embeddings themselves (X @ X.T, lesson 4). Compare "
        "queries with keys: Q @ K.T, with Q = X @ W_Q and K = X @ W_K, then divide by √d "
        "with d = Q.shape[1]."
    )

    def unkept_sums(shift: bool) -> np.ndarray:
        # e / e.sum(axis=-1) without keepdims: column j is divided by row j's sum
        masked = s["masked"]
        e = np.exp(masked - masked.max(axis=-1, keepdims=True) if shift else masked)
        return (e / e.sum(axis=-1)) @ V

    unkept = (
        "Your softmax divides by the row sums laid out as a row, so column j is divided by "
        "row j's sum. Keep the sum a column: `e.sum(axis=-1, keepdims=True)`."
    )
    one_matrix = (
        "Queries and keys come from one matrix in your code. Q = X @ W_Q and K = X @ W_K: "
        "two different readings of the same X (lesson 5)."
    )
    misses = {
        "softmax sums without keepdims": (unkept_sums(True), unkept),
        "softmax sums without keepdims, no shift": (unkept_sums(False), unkept),
        "K from W_Q": (attention_stages(X, W_Q, W_Q, W_V)["output"], one_matrix),
        "Q from W_K": (attention_stages(X, W_K, W_K, W_V)["output"], one_matrix),
        "no scale": (
            attention_stages(X, W_Q, W_K, W_V, scale=False)["output"],
            "It matches attention without the 1/√d scaling: divide the scores by √d, "
            "where d = Q.shape[1].",
        ),
        "scale by d": (
            rows(s["scores"] / d),
            "You divided the scores by d; divide by √d (`np.sqrt(d)`).",
        ),
        "scale by √C": (
            rows(s["scores"] / math.sqrt(C)),
            f"You divided by √C = √{C}, the embedding's width (X.shape[1]). d is the width "
            f"of the queries and keys, Q.shape[1] (here {d}): divide by √d.",
        ),
        "scale by √d_v": (
            rows(s["scores"] / math.sqrt(d_v)),
            f"You divided by √d_v = √{d_v}, the width of the values. The scale belongs to "
            f"the dot products q·k, so use d = Q.shape[1] (here {d}).",
        ),
        "scale by √3": (
            rows(s["scores"] / math.sqrt(_TOY_WIDTH)),
            f"You divided by √{_TOY_WIDTH}, the toy's width. Your function must work for any "
            f"shape (here d = {d}): compute d = Q.shape[1].",
        ),
        "no mask": (
            attention_stages(X, W_Q, W_K, W_V, causal=False)["output"],
            "Tokens can see the future: before the softmax, set scores[i, j] = -inf "
            "wherever j > i (`np.triu(np.ones((T, T), bool), k=1)` marks those).",
        ),
        "no scale, no mask": (
            attention_stages(X, W_Q, W_K, W_V, causal=False, scale=False)["output"],
            "Two steps are missing: divide the scores by √d, and mask the future "
            "(-inf where j > i) before the softmax.",
        ),
        "mask with zero": (
            softmax(np.where(mask, s["scaled"], 0.0)) @ V,
            "You masked with 0, but exp(0) = 1 still gives the future weight. "
            "Mask with -np.inf, so that its weight after the softmax is exactly 0.",
        ),
        "mask hides the past": (
            rows(s["scaled"], mask.T),
            "Your mask hides the past and shows the future. Token i may see keys j <= i: "
            "set -inf where j > i, above the diagonal (`np.triu(..., k=1)`, not `np.tril`).",
        ),
        "mask after softmax": (
            (softmax(s["scaled"]) * mask) @ V,
            "You zeroed the future after the softmax, so the rows no longer sum to 1. Mask "
            "before it: -inf in the scores, and the softmax shares 1 among the visible keys.",
        ),
        "softmax over columns": (
            softmax(s["masked"], axis=0) @ V,
            "Your softmax normalises each column; each *row* (one query) must sum to 1: "
            "use axis=-1.",
        ),
        "K Qᵀ": (
            rows((s["K"] @ s["Q"].T) / math.sqrt(d)),
            "Scores are Q @ K.T (row i: query i against every key), not K @ Q.T. (Or W_Q "
            "and W_K traded places: Q = X @ W_Q asks, K = X @ W_K answers.)",
        ),
        "scores from X": (rows((X @ X.T) / math.sqrt(d)), from_x),
        "scores from X, √C": (rows((X @ X.T) / math.sqrt(C)), from_x),
        "no softmax": (
            s["scores"] @ V,
            "Your weights are the raw scores: divide them by √d, mask the future with "
            "-inf, then softmax each row so that it sums to 1.",
        ),
        "no softmax, scaled": (
            s["scaled"] @ V,
            "You scaled the scores, but the weights must be a softmax of each row, after "
            "masking the future with -inf.",
        ),
        "forgot W_V": (
            s["weights"] @ X,
            "The weights multiply V = X @ W_V, not X itself.",
        ),
        "returned V": (
            V,
            "You returned V itself: the output is the weighted sum `weights @ V`.",
        ),
    }
    if C == d == d_v:  # only then can the transposes be multiplied at all
        misses["W transposed"] = (
            attention_stages(X, W_Q.T, W_K.T, W_V.T)["output"],
            "You multiplied by the transposes (X @ W_Q.T, ...). Here each W is (C, d), "
            "features by slots: Q = X @ W_Q. (PyTorch's nn.Linear stores the transpose; "
            "that is lesson 10's version of this exercise.)",
        )
    return misses


def _not_finite(got: np.ndarray) -> str:
    """Why an output holds NaN or ±inf, as far as its pattern tells."""
    if np.isnan(got[0]).all() and np.isfinite(got[1:]).all():
        return (
            "Row 0 of your output is NaN: your mask hides the diagonal too, so token 0 "
            "sees nothing and its softmax divides 0 by 0. A token may see itself: mask "
            "j > i only (`np.triu(..., k=1)`)."
        )
    return (
        "Your output contains NaN or ±inf. The -inf of the mask must go through the "
        "softmax (which turns it into 0) before multiplying by V; subtract each row's "
        "maximum before `np.exp`."
    )


def check_attention_function(fn: AttentionFunction, *, seed: int = 0) -> Check:
    """Compare `fn(X, W_Q, W_K, W_V)` with `core.mirrors.attention` on random inputs.

    fn must return the (T, d_v) output of causal single-head attention,
    softmax(mask(Q Kᵀ / √d)) V. The check never raises: a wrong answer, an exception or a
    malformed return value becomes a `Check` whose message says what is wrong and what to try.
    A function that raises NotImplementedError (the exercise's starting code) is not started.
    """
    rng = np.random.default_rng(seed)
    for T, C, d, d_v in ATTENTION_TRIAL_SHAPES:
        X = rng.normal(size=(T, C))
        W_Q, W_K = rng.normal(size=(C, d)), rng.normal(size=(C, d))
        W_V = rng.normal(size=(C, d_v))
        expected = attention_stages(X, W_Q, W_K, W_V)["output"]
        shapes = f"X {X.shape}, W_Q {W_Q.shape}, W_K {W_K.shape}, W_V {W_V.shape}"
        try:
            got = fn(X.copy(), W_Q.copy(), W_K.copy(), W_V.copy())
        except NotImplementedError:
            return Check(
                False,
                "Not written yet: replace the `raise NotImplementedError` line with the six "
                "steps, and run the cell.",
                started=False,
            )
        except Exception as error:  # the learner's code: report it, never raise
            return Check(
                False,
                f"With {shapes} your function raised {type(error).__name__}: {error}. "
                "Check each step's shape: Q and K are (T, d), V is (T, d_v), the scores "
                "(T, T), the output (T, d_v).",
            )
        if got is None:
            return Check(False, "Your function returned None: end it with `return weights @ V`.")
        try:
            got = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return Check(False, f"Your function returned {type(got).__name__}, not an array.")
        if got.shape != expected.shape:
            hint = (
                " That is the shape of the weights: multiply them by V."
                if got.shape == (T, T)
                else ""
            )
            return Check(
                False,
                f"With {shapes} your output has shape {got.shape}; expected {expected.shape} "
                f"(T, d_v).{hint}",
            )
        if not np.isfinite(got).all():
            return Check(False, _not_finite(got))
        if np.allclose(got, expected, atol=1e-8):
            continue
        for output, hint in _near_misses(X, W_Q, W_K, W_V).values():
            if output.shape == got.shape and np.allclose(got, output, atol=1e-8):
                return Check(False, hint)
        return Check(
            False,
            f"With {shapes} your output differs from core's by up to "
            f"{np.abs(got - expected).max():.3g}. Rebuild it step by step: Q, K, V, "
            "scores = Q @ K.T, ÷ √d, mask, softmax per row, weights @ V.",
        )
    return Check(
        True,
        "Your function equals `core.mirrors.attention` on random inputs of shapes "
        f"{trial_shapes_text()}, to 1e-8.",
    )


def trial_shapes_text() -> str:
    """The shapes `check_attention_function` tries, as a lesson's prose names them.

    Example: trial_shapes_text() -> "(T, C, d, d_v) = (4, 3, 3, 3) and (6, 7, 2, 5)"
    """
    shapes = [f"({', '.join(map(str, shape))})" for shape in ATTENTION_TRIAL_SHAPES]
    listed = shapes[0] if len(shapes) == 1 else ", ".join(shapes[:-1]) + " and " + shapes[-1]
    return "(T, C, d, d_v) = " + listed
