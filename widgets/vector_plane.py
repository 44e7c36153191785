"""VectorPlane: a few named 2-D vectors the learner drags; their coordinates come back.

Lesson 4 uses it to feel dot-product similarity before queries and keys exist: drag two
arrows, watch `a · b = |a| |b| cos θ` grow as they line up and turn negative as they oppose.
Each arrow starts at the origin; drag its tip (or focus it with Tab and use the arrow keys,
Shift for bigger steps). Positions snap to multiples of `snap` so the numbers stay readable.
The axes are called x and y unless `axis_labels` names them (the two features a lesson plots).

Notation: N vectors, vectors[n] = (x, y).

Example:
    >>> plane = VectorPlane(names=["a", "b"], vectors=[[1.0, 0.0], [0.5, 1.0]],
    ...                     axis_labels=("animal", "owned"))
    >>> # after the learner drags b: plane.vectors == [[1.0, 0.0], [0.8, 0.6]]
    >>> a, b = np.asarray(plane.vectors)
    >>> float(a @ b)
    0.5
"""

from __future__ import annotations

import numpy as np
import traitlets

from widgets._base import CourseWidget, css, esm
from widgets._checks import (
    Index,
    Labels,
    Matrix,
    Number,
    Tokens,
    check_sizes,
    count,
    fail,
    selection,
)


class VectorPlane(CourseWidget):
    """Named vectors in; their positions after dragging (and the last one touched) come back.

    names: N distinct labels (short: "a", "query", "cat").
    vectors: (N, 2) coordinates; each must lie within the visible square [-extent, extent]².
    extent: half the side of the visible square (default 2).
    snap: dragged coordinates are rounded to multiples of this (default 0.1; 0 = no rounding).
    selected: index of the vector the learner moved last, or None.
    axis_labels: the names of the horizontal and vertical axes (default ("x", "y")).
    """

    _esm = esm("vector_plane")
    _css = css("vector_plane")
    _required = ("names", "vectors")

    names = Tokens().tag(sync=True)
    vectors = Matrix().tag(sync=True)
    extent = Number(2.0, kind=float, low=1e-6).tag(sync=True)
    snap = Number(0.1, kind=float, low=0.0).tag(sync=True)
    selected = Index().tag(sync=True)
    axis_labels = Labels(("x", "y"), size=2).tag(sync=True)

    _check_selected, _forget_selected = selection("selected", among="names", what="vectors")

    @traitlets.validate("names", "vectors", "extent")
    def _check(self, proposal):
        trait, value = proposal.trait.name, proposal.value
        if trait == "names" and len(set(value)) != len(value):
            raise fail(self, "names", f"names must be distinct, got {value}")
        if trait == "vectors" and np.shape(value)[1] != 2:
            raise fail(self, "vectors", f"expected N rows of (x, y), got shape {np.shape(value)}")
        check_sizes(self, proposal, names=count("names"), vectors=count("vectors"))
        if trait == "vectors":
            outside = np.abs(value).max(axis=1) > self.extent + 1e-9
            if outside.any():
                n = int(np.argmax(outside))
                raise fail(
                    self,
                    "vectors",
                    f"vector {self.names[n]!r} at {tuple(value[n])} lies outside the visible "
                    f"square of extent {self.extent}; raise extent",
                )
        if trait == "extent" and self.vectors and np.abs(self.vectors).max() > value + 1e-9:
            raise fail(self, "extent", f"{value} is too small for the vectors {self.vectors}")
        return value

    def as_dict(self) -> dict[str, np.ndarray]:
        """{name: array([x, y])}, the form a lesson computes with."""
        return {name: np.array(v) for name, v in zip(self.names, self.vectors)}
