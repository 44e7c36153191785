"""AttentionHeatmap: attention weights as a T×T grid, tokens on both axes.

Rows are queries (the token doing the looking), columns are keys (the token looked at), so
row i holds softmax weights that sum to 1. Hover a cell for its value; click a row to select
that query (`selected_query` comes back to Python). Give (H, T, T) weights for H heads: a grid
of small maps, one per head; click one to enlarge it (`selected_head`).

Notation: T tokens, H heads; weights[h, i, j] = how much query i attends to key j in head h.

Example:
    >>> heatmap = AttentionHeatmap(tokens=["the", " cat", " sat"],
    ...                            weights=[[1, 0, 0], [0.4, 0.6, 0], [0.2, 0.3, 0.5]])
    >>> heatmap.selected_query is None     # until the learner clicks a row
    True
    >>> heatmap.update(tokens=["a", "b"], weights=np.eye(2))   # change T: set both at once
"""

from __future__ import annotations

import numpy as np
import traitlets

from widgets._base import CourseWidget, css, esm
from widgets._checks import Flag, Index, Matrix, Number, Tokens, check_sizes, fail, selection


def _heads(weights: list) -> int:
    return len(weights) if np.ndim(weights) == 3 else 1


def _square(tokens: list[str]) -> tuple[tuple[int, int], str]:
    """T tokens ask for (T, T) weights."""
    return (len(tokens), len(tokens)), f"{len(tokens)} tokens"


def _shape(weights: list) -> tuple[tuple[int, ...], str]:
    shape = np.shape(weights)
    return shape[-2:], f"weights of shape {shape} (expected (T, T) or (H, T, T))"


class AttentionHeatmap(CourseWidget):
    """Weights go in; the clicked query row (and, with several heads, the enlarged head) come back.

    tokens: T token strings (whitespace is drawn visibly: " cat" shows as "␣cat").
    weights: (T, T) attention weights in [0, 1], or (H, T, T) for H heads.
    selected_query: the query row the learner clicked, or None. Python may set it too.
    selected_head: with several heads, the head drawn large (default 0).
    decimals: digits shown in the cells and on hover (0 to 4, default 2).
    show_values: print each weight inside its cell when the cells are large enough.
    """

    _esm = esm("attention_heatmap")
    _css = css("attention_heatmap")
    _required = ("tokens", "weights")

    tokens = Tokens().tag(sync=True)
    weights = Matrix(ndim=(2, 3)).tag(sync=True)
    selected_query = Index().tag(sync=True)
    selected_head = Index(0).tag(sync=True)
    decimals = Number(2, low=0, high=4).tag(sync=True)
    show_values = Flag(True).tag(sync=True)

    _check_query, _forget_query = selection("selected_query", among="tokens")
    _check_head, _forget_head = selection(
        "selected_head", among="weights", what="heads", size=_heads, reset=0
    )

    @property
    def n_heads(self) -> int:
        """H, or 1 for a single (T, T) map."""
        return _heads(self.weights)

    @traitlets.validate("tokens", "weights")
    def _check_sizes(self, proposal):
        check_sizes(self, proposal, tokens=_square, weights=_shape)
        if proposal.trait.name == "weights":
            weights = np.asarray(proposal.value, dtype=np.float64)
            if weights.min() < -1e-9 or weights.max() > 1 + 1e-9:
                raise fail(
                    self,
                    "weights",
                    f"attention weights must lie in [0, 1], got values from {weights.min():.3g} "
                    f"to {weights.max():.3g} (apply softmax to scores first)",
                )
        return proposal.value
