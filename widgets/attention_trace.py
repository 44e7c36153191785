"""AttentionTrace: one attention head on tiny sizes, every intermediate matrix with its numbers.

The lesson computes the matrices (`core.mirrors.attention.attention_stages`); the widget lays
them out stage by stage so a learner can follow the arithmetic by hand:

    1  X · W_Q = Q    X · W_K = K    X · W_V = V              (T, C) · (C, d) = (T, d)
    2  Q Kᵀ = scores -> ÷ √d = scaled -> mask = masked -> softmax = weights      (T, T)
    3  weights · V = output                                                     (T, d_v)

The selected query's row is highlighted through every stage; clicking a row selects it
(`selected_query` comes back to Python). Hovering a number writes out how it was computed from
the numbers it came from, and outlines those. `show_values=False` leaves out V and stage 3
(a lesson on queries and keys alone).

Columns are numbered 0, 1, 2 unless named: `feature_labels` name the embedding's C features
(X's columns, and the rows of W_Q, W_K, W_V), `query_labels` and `key_labels` the d slots of
Q and K (with W_Q's and W_K's columns), `value_labels` the d_v slots of V and the output
(with W_V's columns). Q and K share their slots (a score adds q_c k_c slot by slot); they have
a name each so that a lesson can write q₀ above Q and k₀ above K.

Notation: T tokens, C embedding width, d query/key width, d_v value width.

Example:
    >>> from core.mirrors.attention import attention_stages
    >>> X, W = np.eye(4, 3), np.eye(3)
    >>> trace = AttentionTrace(tokens=["a", "b", "c", "d"],
    ...                        stages={**attention_stages(X, W, W, W), "W_Q": W, "W_K": W, "W_V": W},
    ...                        feature_labels=["animal", "plant", "owned"])
    >>> trace.stages["masked"][0]          # -inf (a hidden future key) travels as None
    [0.5773502691896258, None, None, None]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from core.mirrors.attention import STAGES
from widgets._base import CourseWidget, css, esm
from widgets._checks import (
    Flag,
    Index,
    Labels,
    Measure,
    Number,
    Tokens,
    as_float_array,
    check_sizes,
    count,
    fail,
    selection,
    to_wire,
)

PROJECTIONS = ("W_Q", "W_K", "W_V")
# How far a row of weights may sum from 1. Float64 softmax rows are within 1e-15 of it; a
# float32 one (torch's default) of T entries within about T·6e-8; 1e-5 allows that for any T
# this widget can draw, and refuses a real mistake (weights not normalised, a wrong row).
ROW_SUM_TOLERANCE = 1e-5


def _expected_shapes(arrays: dict[str, np.ndarray]) -> dict[str, tuple[int, int]]:
    """The shape each matrix must have, given X, Q and V (which fix T, C, d and d_v)."""
    t, c = arrays["X"].shape
    d, d_v = arrays["Q"].shape[1], arrays["V"].shape[1]
    shapes = {"X": (t, c), "Q": (t, d), "K": (t, d), "V": (t, d_v), "output": (t, d_v)}
    shapes |= {key: (t, t) for key in ("scores", "scaled", "masked", "weights")}
    shapes |= {"W_Q": (c, d), "W_K": (c, d), "W_V": (c, d_v)}
    return shapes


# each label trait: the matrix whose columns it names, and what those columns are
LABELLED = {
    "feature_labels": ("X", "features"),
    "query_labels": ("Q", "query slots"),
    "key_labels": ("K", "key slots"),
    "value_labels": ("V", "value slots"),
}


def _rows(stages: dict[str, list]) -> tuple[int, str]:
    """One row of X per token."""
    return len(stages["X"]), f"X has {len(stages['X'])} rows"


def _columns(matrix: str, what: str) -> Measure:
    """The measure of `stages` that a label trait must fit: the columns of `matrix`."""

    def measure(stages: dict[str, list]) -> tuple[int, str]:
        n = len(stages[matrix][0])
        return n, f"{matrix} has {n} columns ({what})"

    return measure


class Stages(traitlets.TraitType):
    """A mapping with the nine matrices of `STAGES` (and optionally W_Q, W_K, W_V), shapes agreeing.

    Only `masked` may hold -inf (sent to the browser as None).
    """

    info_text = f"a dict with keys {', '.join(STAGES)} (and optionally {', '.join(PROJECTIONS)})"

    def __init__(self, **kwargs) -> None:
        super().__init__(default_value={}, **kwargs)

    def validate(self, obj: Any, value: Any) -> dict[str, list]:
        if not hasattr(value, "keys"):
            raise fail(obj, self.name, f"expected {self.info_text}, got {type(value).__name__}")
        missing = [key for key in STAGES if key not in value]
        unknown = sorted(set(value) - set(STAGES) - set(PROJECTIONS))
        if missing or unknown:
            problems = [f"missing {', '.join(missing)}"] if missing else []
            problems += [f"unknown {', '.join(unknown)}"] if unknown else []
            raise fail(obj, self.name, f"{'; '.join(problems)} (expected {self.info_text})")
        arrays = {
            key: as_float_array(
                obj, f"{self.name}[{key!r}]", value[key], (2,), neg_inf=key == "masked"
            )
            for key in (*STAGES, *PROJECTIONS)
            if key in value
        }
        for key, shape in _expected_shapes(arrays).items():
            if key in arrays and arrays[key].shape != shape:
                raise fail(
                    obj,
                    self.name,
                    f"{key} has shape {arrays[key].shape}, expected {shape} from X "
                    f"{arrays['X'].shape}, Q {arrays['Q'].shape} and V {arrays['V'].shape}",
                )
        _check_weights(obj, self.name, arrays["weights"], np.isneginf(arrays["masked"]))
        return {key: to_wire(array) for key, array in arrays.items()}


def _check_weights(obj: Any, trait: str, weights: np.ndarray, hidden: np.ndarray) -> None:
    """Softmax weights: in [0, 1], 0 where the mask hides the key, each row summing to 1."""
    where = f"{trait}['weights']"
    low, high = weights.min(), weights.max()
    if low < -1e-12 or high > 1 + 1e-12:
        raise fail(
            obj,
            where,
            f"attention weights must lie in [0, 1], got values from {low:.3g} to {high:.3g} "
            "(weights are softmax(masked), row by row)",
        )
    leaked = np.argwhere(hidden & (weights > 1e-12))
    if leaked.size:
        i, j = (int(k) for k in leaked[0])
        raise fail(
            obj,
            where,
            f"row {i} gives weight {weights[i, j]:.3g} to key {j}, which the mask hides "
            "(masked is -inf there, so its weight must be 0)",
        )
    sums = weights.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1) > ROW_SUM_TOLERANCE)
    if off.size:
        i = int(off[0])
        raise fail(
            obj,
            where,
            f"row {i} sums to {sums[i]:.6g}, not 1 (within {ROW_SUM_TOLERANCE:g}): each row of "
            "weights is a softmax over the keys that query may see",
        )


class AttentionTrace(CourseWidget):
    """Every stage of one attention computation, numbers shown, the selected query highlighted.

    tokens: T token strings (the row labels).
    stages: {"X", "Q", "K", "V", "scores", "scaled", "masked", "weights", "output"} matrices,
        as returned by `core.mirrors.attention.attention_stages`, plus optionally the projection
        matrices "W_Q", "W_K", "W_V" (shown in the X · W = Q equations when given).
    selected_query: the query row followed through the stages (None: none); clicks set it.
    decimals: digits shown (0 to 4, default 2).
    feature_labels: C names for the embedding's features: X's columns, the rows of W_Q, W_K
        and W_V (None, the default: numbered 0, 1, 2, ...).
    query_labels, key_labels: d names for the slots of Q and of K: their columns and those of
        W_Q and W_K (None: numbered).
    value_labels: d_v names for the slots of V and the output: their columns and W_V's
        (None: numbered).
    show_values: draw V and stage 3 (weights · V = output); False stops at the weights.
    """

    _esm = esm("attention_trace")
    _css = css("attention_trace")
    _required = ("tokens", "stages")

    tokens = Tokens().tag(sync=True)
    stages = Stages().tag(sync=True)
    selected_query = Index().tag(sync=True)
    decimals = Number(2, low=0, high=4).tag(sync=True)
    feature_labels = Labels().tag(sync=True)
    query_labels = Labels().tag(sync=True)
    key_labels = Labels().tag(sync=True)
    value_labels = Labels().tag(sync=True)
    show_values = Flag(True).tag(sync=True)

    _check_query, _forget_query = selection("selected_query", among="tokens")

    @traitlets.validate("tokens", "stages", *LABELLED)
    def _check_sizes(self, proposal):
        check_sizes(self, proposal, tokens=count("tokens"), stages=_rows)
        for trait, (matrix, what) in LABELLED.items():
            check_sizes(self, proposal, stages=_columns(matrix, what), **{trait: count(trait)})
        return proposal.value
