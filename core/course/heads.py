"""What lesson 7 (multi-head attention) needs beside core: a C = 4 toy, costs, head scores. Torch-free.

The toy widens lessons 4-6's table (`core.course.attention_lessons`) by one feature, so that
C = 4 splits into H = 2 heads of width D = 2, and adds two words that carry it:

    features  animal  plant  owned  describes
    the        0.0    0.0    0.0    0.0
    dog        1.0    0.0    0.0    0.0
    tree       0.0    1.0    0.0    0.0
    's         0.0    0.0    0.5    0.0
    loud       0.2    0.0    0.0    1.0     describes the noun after it (loud: mostly animals)
    rough      0.0    0.2    0.0    1.0     (rough: mostly plants, a tree's bark)
    bark       0.3    0.3    1.0    0.0

    "the dog 's loud bark", "the tree 's rough bark": X is (T, C) = (5, 4).

bark needs two things at once: its owner (dog or tree) and the word that describes it (loud or
rough). One softmax row sums to 1, so one head cannot give both 0.8 of bark's attention; two
heads, each with its own row, can.

Head scores for a real model's attention weights (L, H, T, T) or (H, T, T) or (T, T):
    previous_token_score  mean over positions i ≥ 1 of w[i, i-1]
    induction_score       mean over positions i whose token appeared before, at j (the most
                          recent time), of w[i, j+1]: the token that followed it then
                          (Olsson et al. 2022, "In-context learning and induction heads")

Notation: T tokens, C model width, H heads, D = C/H head width.

Example:
    >>> tokens, X = toy_sentence("the dog 's loud bark")
    >>> X.shape, X[3].tolist()
    ((5, 4), [0.2, 0.0, 0.0, 1.0])
    >>> previous_token_score(np.eye(3, k=-1) + np.eye(3) * [1, 0, 0])
    1.0
"""

from __future__ import annotations

import math

import numpy as np

from core.course.attention_lessons import FEATURES as FEATURES_3
from core.course.attention_lessons import TOY_EMBEDDINGS as TOY_EMBEDDINGS_3
from core.course.attention_lessons import Check
from core.course.attention_lessons import toy_sentence as toy_sentence_3

FEATURES = (*FEATURES_3, "describes")
_WIDER = {word: (*x, 0.0) for word, x in TOY_EMBEDDINGS_3.items()}  # describes = 0
TOY_EMBEDDINGS: dict[str, tuple[float, ...]] = {
    **{word: x for word, x in _WIDER.items() if word != "bark"},
    "loud": (0.2, 0.0, 0.0, 1.0),
    "rough": (0.0, 0.2, 0.0, 1.0),
    "bark": _WIDER["bark"],
}
SENTENCES = ("the dog 's loud bark", "the tree 's rough bark")
OWNERS = {"dog", "tree"}
DESCRIBERS = {"loud", "rough"}
RELATIONS = ("owner", "describer")
GOAL = 0.8  # the share of bark's attention each relation must get (exercise 1)
LABEL_THRESHOLD = 0.5  # a head is labelled when a score reaches half of its attention
# GPT-2 small (Radford et al. 2019): 1,024 positions, width 768, 12 heads of 64
# (core.model.config's "gpt2" preset; a test holds them equal)
GPT2_SMALL = {"T": 1024, "C": 768, "H": 12}


def toy_sentence(text: str) -> tuple[list[str], np.ndarray]:
    """(tokens, X): the tokens of `text` and their C = 4 embeddings, X of shape (T, 4).

    ValueError names a word the toy vocabulary does not have, or says the text is empty.
    """
    return toy_sentence_3(text, TOY_EMBEDDINGS)


def relation_shares(tokens: list[str], weights) -> dict[str, float]:
    """How much of the last token's attention (a row of `weights`, (T, T)) goes to its owner
    and to its describing word: {"owner": w, "describer": w}."""
    row = np.asarray(weights)[len(tokens) - 1]
    return {
        "owner": float(sum(w for t, w in zip(tokens, row) if t in OWNERS)),
        "describer": float(sum(w for t, w in zip(tokens, row) if t in DESCRIBERS)),
    }


def check_two_heads(shares: list[list[dict[str, float]]], goal: float = GOAL) -> Check:
    """Exercise: one head finds bark's owner, the other its describing word, in every sentence.

    shares[s][h]: `relation_shares` of head h in sentence s. Passes when, in every sentence,
    one head gives at least `goal` of bark's attention to the owner and the other head at
    least `goal` to the describer. The message names what is missing.
    """
    n_heads = len(shares[0])
    found = {
        relation: [
            h for h in range(n_heads) if all(sentence[h][relation] >= goal for sentence in shares)
        ]
        for relation in RELATIONS
    }
    pairs = [(a, b) for a in found["owner"] for b in found["describer"] if a != b]
    if pairs:
        a, b = pairs[0]
        return Check(
            True,
            f"head {a} finds bark's owner and head {b} its describing word, in both "
            f"sentences, each with at least {goal:.0%} of its own softmax row.",
        )
    if found["owner"] and found["owner"] == found["describer"]:
        return Check(False, "one head cannot do both: its row sums to 1.")
    missing = [r for r in RELATIONS if not found[r]]
    if len(missing) == 2:
        return Check(
            False,
            f"no head gives bark {goal:.0%} of its attention to either relation yet. Start with "
            "one head: its W_Q row *owned* makes bark's query, its W_K rows *animal* and "
            "*plant* make the owners' keys; put large numbers (2 or 3) in the same column "
            "of both.",
        )
    relation = missing[0]
    rows = "the row *describes*" if relation == "describer" else "the rows *animal* and *plant*"
    return Check(
        False,
        f"the {relation} is not found yet (it needs {goal:.0%} of one head's row, in both "
        f"sentences). In the other head, bark's query comes from W_Q's row *owned*; the "
        f"{relation}'s key from {rows} of W_K. Use the same column in both, with large numbers.",
    )


def parse_row(text: str, width: int) -> np.ndarray:
    """A row of `width` numbers typed as "0.1, 0.2, …" (commas or spaces; − accepted).

    ValueError says what was wrong (a word that is not a number, the wrong count).
    """
    parts = [p for p in text.replace("−", "-").replace(",", " ").split() if p]
    if not parts:
        raise ValueError(f"type {width} numbers separated by commas")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        bad = next(p for p in parts if not _is_number(p))
        raise ValueError(f"{bad!r} is not a number") from None
    if len(values) != width:
        raise ValueError(f"that is {len(values)} numbers; the row has {width}")
    return np.array(values)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_concat_row(
    text: str, head_rows: list[np.ndarray], after_projection: np.ndarray, tol: float = 0.011
) -> Check:
    """Exercise: the concatenation of one token's per-head outputs, typed as numbers.

    head_rows: that token's output in each head (H rows of width D), in head order.
    after_projection: the same row after W_O (a likely mix-up). The message names the mistake
    (head order, the projected row, a sum instead of a concatenation).
    """
    expected = np.concatenate(head_rows)
    try:
        got = parse_row(text, len(expected))
    except ValueError as err:
        if len(head_rows[0]) == len(text.replace(",", " ").split()):
            return Check(False, f"{err}: a concatenation is as wide as all heads together.")
        return Check(False, f"{err}.")
    if np.allclose(got, expected, atol=tol):
        return Check(True, "that is the concatenated row: head 0's output, then head 1's.")
    if np.allclose(got, np.concatenate(head_rows[::-1]), atol=tol):
        return Check(False, "those are the right numbers in the wrong order: head 0 comes first.")
    if np.allclose(got, after_projection, atol=tol):
        return Check(False, "that is the row after W_O; the concatenation comes before it.")
    return Check(
        False,
        "not yet. For each head h, multiply bark's row of weights (one number per token) by "
        "each column of V_h and add; write head 0's D numbers, then head 1's.",
    )


# --- cost: the same as one wide head ---------------------------------------------------------


def attention_cost(T: int, C: int, H: int) -> dict[str, int]:
    """Parameters and multiply-adds of causal multi-head attention on T tokens.

    Counted without the mask's savings and without biases: projections X W_Q, X W_K, X W_V
    (3·T·C·C), scores per head (H·T·T·D = T·T·C), weights · V (T·T·C), W_O (T·C·C); the
    softmax takes H·T·T exponentials (the only count that grows with H).
    Example: attention_cost(64, 128, 4)["parameters"] == 4 * 128 * 128
    """
    if C % H:
        raise ValueError(f"C = {C} is not divisible by H = {H}: heads need width C/H")
    D = C // H
    counts = {
        "projections Q, K, V": 3 * T * C * C,
        "scores Q Kᵀ": H * T * T * D,
        "weights · V": H * T * T * D,
        "output projection W_O": T * C * C,
    }
    return {
        "parameters": 3 * C * H * D + C * C,
        **counts,
        "multiply-adds": sum(counts.values()),
        "softmax exponentials": H * T * T,
    }


# --- what real heads do -----------------------------------------------------------------------


def previous_token_score(weights) -> np.ndarray | float:
    """Mean weight on the previous token, w[i, i-1] over i = 1 … T-1, for each map.

    weights (..., T, T) -> (...); a float for one map. T = 1 gives NaN (no previous token).
    """
    w = np.asarray(weights, dtype=np.float64)
    T = w.shape[-1]
    if T < 2:
        return _scalar(np.full(w.shape[:-2], np.nan))
    i = np.arange(1, T)
    return _scalar(w[..., i, i - 1].mean(axis=-1))


def induction_targets(ids) -> list[tuple[int, int]]:
    """(i, j + 1) for each position i whose token appeared before, j its latest earlier
    position, when j + 1 < i (else the target is the previous token itself).

    Example: induction_targets([5, 6, 7, 5, 6]) -> [(3, 1), (4, 2)]
    """
    last: dict[int, int] = {}
    pairs = []
    for i, token in enumerate(np.asarray(ids).tolist()):
        j = last.get(token)
        if j is not None and j + 1 < i:
            pairs.append((i, j + 1))
        last[token] = i
    return pairs


def induction_score(weights, ids) -> np.ndarray | float:
    """Mean weight on the token after the previous occurrence of the current token, over the
    positions `induction_targets(ids)` lists; NaN when the text repeats no token."""
    w = np.asarray(weights, dtype=np.float64)
    pairs = induction_targets(ids)
    if not pairs:
        return _scalar(np.full(w.shape[:-2], np.nan))
    rows, cols = (np.array(p) for p in zip(*pairs))
    return _scalar(w[..., rows, cols].mean(axis=-1))


def uniform_causal(T: int) -> np.ndarray:
    """The (T, T) weights of a head that spreads each row evenly over what it may see:
    the baseline a score is compared with."""
    mask = np.tril(np.ones((T, T)))
    return mask / mask.sum(axis=1, keepdims=True)


def distance_profile(weights, distances: int = 6) -> np.ndarray:
    """How far back each head looks: the share of attention on the key k steps back,
    k = 0 … distances-1 (0: the token itself), then on everything farther, averaged over all T
    queries (a query with no key k steps back counts 0 there). Each profile sums to 1.

    weights (..., T, T) -> (..., distances + 1). A previous-token head peaks at k = 1.
    Example: distance_profile(np.eye(3), 2).tolist() == [1.0, 0.0, 0.0]
    """
    w = np.asarray(weights, dtype=np.float64)
    T = w.shape[-1]
    back = np.arange(T)[:, None] - np.arange(T)[None, :]  # i - j
    columns = [(w * (back == k)).sum(axis=-1).mean(axis=-1) for k in range(distances)]
    farther = (w * (back >= distances)).sum(axis=-1).mean(axis=-1)
    return np.stack([*columns, farther], axis=-1)


def ideal_heads(ids) -> np.ndarray:
    """Two heads made by hand for the text `ids`, to compare a trained model's with: (2, T, T).

    Head 0, a perfect previous-token head: every token puts all its weight on the one before
    (the first on itself). Head 1, a perfect induction head: every token whose token appeared
    before puts all its weight on the token after that earlier occurrence (`induction_targets`);
    the others on themselves.
    """
    T = len(np.asarray(ids))
    previous = np.eye(T, k=-1)
    previous[0, 0] = 1.0
    induction = np.eye(T)
    for i, target in induction_targets(ids):
        induction[i] = 0.0
        induction[i, target] = 1.0
    return np.stack([previous, induction])


def head_label(previous: float, induction: float, threshold: float = LABEL_THRESHOLD) -> str:
    """ "previous-token", "induction" or "" for a head's two scores (NaN counts as 0)."""
    previous = 0.0 if math.isnan(previous) else previous
    induction = 0.0 if math.isnan(induction) else induction
    if max(previous, induction) < threshold:
        return ""
    return "induction" if induction > previous else "previous-token"


def repeated_random_text(chars: str, length: int, seed: int = 0) -> str:
    """`length` different lowercase letters and spaces from `chars` in a random order (fewer when
    `chars` has fewer), written twice: text the model cannot predict the first time and can copy
    the second (what induction heads do). No character repeats within a copy, so each character
    of the second copy has one earlier occurrence, in the first: a perfect induction head draws
    one clean diagonal stripe there.

    Example: repeated_random_text("abc", 2, seed=0) is one of "abab", "acac", "baba", …
    """
    pool = list(dict.fromkeys(c for c in chars if c.islower() or c == " "))
    part = "".join(np.random.default_rng(seed).permutation(pool)[:length])
    return part + part


def _scalar(value: np.ndarray) -> np.ndarray | float:
    return float(value) if np.ndim(value) == 0 else value
