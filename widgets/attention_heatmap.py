"""AttentionHeatmap: attention weights as a T×T grid, tokens on both axes.

Rows are queries (the token doing the looking), columns are keys (the token looked at), so
row i holds softmax weights that sum to 1. Hover a cell for its value; click a row to select
that query (`selected_query` comes back to Python). Give (H, T, T) weights for H heads: a grid
of small maps, one per head; click one to enlarge it (`selected_head`).

A long text is shown through a window: at most `MAX_VIEW` (256) tokens at a time, and fewer
with several heads (at most `MAX_CELLS` weights cross to the browser at once: 73 tokens for
12 heads). Python keeps all the weights; the browser receives only the window's rows and
columns (`view`), and the learner moves the window with ◀ ▶ and a slider, which appear when
the text is longer than the window (`window_start` comes back to Python). Positions
(`selected_query`, the numbers on hover) are always the tokens' positions in the whole text.
Inside a window that does not start at token 0, rows leave out the earlier keys, so a row
may sum to less than 1.

Notation: T tokens, H heads; weights[h, i, j] = how much query i attends to key j in head h.

Example:
    >>> heatmap = AttentionHeatmap(tokens=["the", " cat", " sat"],
    ...                            weights=[[1, 0, 0], [0.4, 0.6, 0], [0.2, 0.3, 0.5]])
    >>> heatmap.selected_query is None     # until the learner clicks a row
    True
    >>> heatmap.update(tokens=["a", "b"], weights=np.eye(2))   # change T: set both at once
    >>> long = AttentionHeatmap(tokens=["t"] * 1024, weights=np.eye(1024))
    >>> long.view_size, long.view["start"], len(long.view["tokens"])   # 256 of 1,024 sent
    (256, 0, 256)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import traitlets

from widgets._base import CourseWidget, css, esm
from widgets._checks import (
    Flag,
    Index,
    Matrix,
    Number,
    Tokens,
    as_float_array,
    check_sizes,
    fail,
    selection,
)

MAX_VIEW = 256  # the most tokens one view draws: 256² cells is what a browser draws briskly
MAX_CELLS = MAX_VIEW * MAX_VIEW  # the most weights sent at once, over all heads


def _heads(weights: Any) -> int:
    return len(weights) if np.ndim(weights) == 3 else 1


def _square(tokens: list[str]) -> tuple[tuple[int, int], str]:
    """T tokens ask for (T, T) weights."""
    return (len(tokens), len(tokens)), f"{len(tokens)} tokens"


def _shape(weights: Any) -> tuple[tuple[int, ...], str]:
    shape = np.shape(weights)
    return shape[-2:], f"weights of shape {shape} (expected (T, T) or (H, T, T))"


class Weights(Matrix):
    """Attention weights kept in Python as a read-only float64 array (never sent whole)."""

    def validate(self, obj: Any, value: Any) -> np.ndarray:
        array = np.array(as_float_array(obj, self.name, value, self.ndims), copy=True)
        array.setflags(write=False)  # changes go through the trait, so the view follows
        return array


def view_size(n_tokens: int, n_heads: int, window_size: int) -> int:
    """How many tokens one view shows: the window, no more than the text, and no more than
    MAX_CELLS weights over all heads. Example: view_size(1024, 12, 256) -> 73"""
    return max(1, min(window_size, n_tokens, math.isqrt(MAX_CELLS // n_heads)))


class AttentionHeatmap(CourseWidget):
    """Weights go in; the clicked query row (and, with several heads, the enlarged head) come back.

    tokens: T token strings (whitespace is drawn visibly: " cat" shows as "␣cat").
    weights: (T, T) attention weights in [0, 1], or (H, T, T) for H heads. Kept in Python
        (read back as a read-only NumPy array); only the window's part is sent.
    selected_query: the query row the learner clicked (its position in the whole text), or
        None. Python may set it too: the window moves to show it.
    selected_head: with several heads, the head drawn large (default 0).
    decimals: digits shown in the cells and on hover (0 to 4, default 2).
    show_values: print each weight inside its cell when the cells are large enough.
    window_size: the most tokens shown at once (1 to 256, default 256; fewer with several
        heads, see `view_size`).
    window_start: the first token shown; the learner moves it when the text is longer.
    view: read-only, computed here: what the browser draws ({"start", "total", "tokens",
        "weights"}: the window's tokens and the weights among them).
    """

    _esm = esm("attention_heatmap")
    _css = css("attention_heatmap")
    _required = ("tokens", "weights")

    tokens = Tokens()
    weights = Weights(ndim=(2, 3))
    selected_query = Index().tag(sync=True)
    selected_head = Index(0).tag(sync=True)
    decimals = Number(2, low=0, high=4).tag(sync=True)
    show_values = Flag(True).tag(sync=True)
    window_size = Number(MAX_VIEW, low=1, high=MAX_VIEW).tag(sync=True)
    window_start = Number(0, low=0).tag(sync=True)
    view = traitlets.Dict(read_only=True).tag(sync=True)

    _check_query, _forget_query = selection("selected_query", among="tokens")
    _check_head, _forget_head = selection(
        "selected_head", among="weights", what="heads", size=_heads, reset=0
    )

    @classmethod
    def data_trait_names(cls) -> set[str]:
        """The learner's data: tokens and weights too (kept here, not synced), not `view`."""
        return (super().data_trait_names() - {"view"}) | {"tokens", "weights"}

    @property
    def n_heads(self) -> int:
        """H, or 1 for a single (T, T) map."""
        return _heads(self.weights)

    @property
    def view_size(self) -> int:
        """How many tokens the window shows now (see the module function `view_size`)."""
        return view_size(max(1, len(self.tokens)), self.n_heads, self.window_size)

    @traitlets.validate("tokens", "weights")
    def _check_sizes(self, proposal):
        check_sizes(self, proposal, tokens=_square, weights=_shape)
        if proposal.trait.name == "weights":
            weights = proposal.value
            if weights.min() < -1e-9 or weights.max() > 1 + 1e-9:
                raise fail(
                    self,
                    "weights",
                    f"attention weights must lie in [0, 1], got values from {weights.min():.3g} "
                    f"to {weights.max():.3g} (apply softmax to scores first)",
                )
        return proposal.value

    @traitlets.validate("window_start")
    def _check_start(self, proposal):
        last = len(self.tokens) - self.view_size
        if self.tokens and proposal.value > last:
            raise fail(
                self,
                "window_start",
                f"{proposal.value} is past the last window: {len(self.tokens)} tokens shown "
                f"{self.view_size} at a time start at 0 to {last}",
            )
        return proposal.value

    @traitlets.observe("tokens", "weights", "window_size")
    def _keep_window_inside(self, change) -> None:
        last = max(0, len(self.tokens) - self.view_size)
        if self.window_start > last:
            self.window_start = last  # recomputes the view
        else:
            self._recompute()

    @traitlets.observe("selected_query")
    def _show_selected(self, change) -> None:
        q, start, size = change.new, self.window_start, self.view_size
        if q is not None and not start <= q < start + size:
            self.window_start = min(max(0, q - size // 2), len(self.tokens) - size)

    @traitlets.observe("window_start")
    def _recompute(self, change=None) -> None:
        if len(self.tokens) == 0 or len(self.weights) == 0:
            return
        if np.shape(self.weights)[-1] != len(self.tokens):
            return  # in the middle of .update(tokens=..., weights=...): the next call draws
        start = self.window_start
        stop = start + self.view_size
        self.set_trait(
            "view",
            {
                "start": start,
                "total": len(self.tokens),
                "tokens": self.tokens[start:stop],
                "weights": self.weights[..., start:stop, start:stop].tolist(),
            },
        )
