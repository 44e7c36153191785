"""Trait types that turn learner data into what crosses the wire, or say what is wrong with it.

Each type accepts Python lists or NumPy arrays and stores plain lists (JSON for the browser).
Malformed data raises `WidgetDataError` (a `ValueError`) naming the widget and the trait.
Numbers must be numbers: a string such as "3" is refused, not converted. Text must be text:
a string holding a lone surrogate (half of a UTF-16 pair, "\ud800") is refused.

    Matrix()             2-D, non-empty, rectangular, finite floats -> list[list[float]]
    Matrix(neg_inf=True) the same, but -inf is allowed and sent as None (a masked score)
    Vector()             1-D, non-empty, finite floats -> list[float]
    Tokens()             non-empty list of non-empty strings (a token's text)
    Labels(d, size=)     names along an axis: distinct non-empty strings (`size` of them when
                         given), or None (the default `d=None`: the browser numbers them 0, 1, 2)
    Index()              an int >= 0, or None; range checks against other traits are the widget's
    Number(d, low=, high=, kind=int|float, allow_none=)   a bounded number
    Flag(d)              True or False

Checks between traits (a widget's tokens and its weights, a selection and what it selects):

    check_sizes(w, proposal, tokens=count("tokens"), logits=count("logits"))   in a validator
    _check_selected, _forget_selected = selection("selected", among="tokens")   in the class

Example:
    >>> class W(CourseWidget):
    ...     m = Matrix().tag(sync=True)
    >>> W(m=np.eye(2)).m
    [[1.0, 0.0], [0.0, 1.0]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import traitlets

from widgets._base import WidgetDataError


def fail(obj: Any, trait: str, problem: str) -> WidgetDataError:
    """An error that names the widget class and the trait: `AttentionHeatmap.weights: ...`."""
    return WidgetDataError(f"{type(obj).__name__}.{trait}: {problem}")


def as_float_array(
    obj: Any, trait: str, value: Any, ndims: tuple[int, ...], *, neg_inf: bool = False
) -> np.ndarray:
    """`value` as a float64 array with a number of dimensions in `ndims`, with no NaN (and no
    infinity, except -inf when `neg_inf`)."""
    if isinstance(value, str | bytes) or value is None:
        raise fail(obj, trait, f"expected numbers, got {type(value).__name__}")
    rectangular = "expected a rectangular array of numbers (rows of equal length)"
    try:
        cells = np.asarray(value)  # no dtype yet: NumPy would turn "3" into 3.0
    except (TypeError, ValueError):
        raise fail(obj, trait, rectangular) from None
    if cells.dtype.kind in "US" and not isinstance(value, np.ndarray):
        cells = np.asarray(value, dtype=object)  # the entries as given, numbers and strings
    if cells.dtype.kind in "OUSc":
        _refuse_non_numbers(obj, trait, cells, neg_inf)
        if neg_inf and cells.dtype.kind == "O":
            # the wire form sends -inf as None; accept it back (traitlets re-validates)
            cells = np.where(np.equal(cells, None), -np.inf, cells)
    try:
        array = np.asarray(cells, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail(obj, trait, rectangular) from None
    if array.size == 0:
        raise fail(obj, trait, f"is empty (shape {array.shape})")
    if array.ndim not in ndims:
        expected = " or ".join(f"{n}-D" for n in ndims)
        raise fail(obj, trait, f"expected a {expected} array, got shape {array.shape}")
    if np.isnan(array).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(array))[0])
        raise fail(obj, trait, f"contains NaN (first at index {where})")
    bad = np.isposinf(array) | (np.isneginf(array) if not neg_inf else False)
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise fail(obj, trait, f"contains an infinite entry (first at index {where})")
    return array


def _refuse_non_numbers(obj: Any, trait: str, cells: np.ndarray, none_ok: bool) -> None:
    """Raise naming the first entry that is text (or complex, or None unless `none_ok`)."""
    if cells.dtype.kind == "c":
        raise fail(obj, trait, "expected real numbers, got complex ones")
    # NumPy makes [1, "0"] an array of strings ("1", "0"): look at the entries as given
    entries = cells.astype(object)
    for where, cell in np.ndenumerate(entries):
        if isinstance(cell, str | bytes):
            text = cell if isinstance(cell, bytes) else str(cell)
            raise fail(
                obj,
                trait,
                f"expected numbers, got the string {text!r} at index {where} (text is not "
                "converted: pass numbers)",
            )
        if cell is None and not none_ok:
            raise fail(obj, trait, f"expected numbers, got None at index {where}")


def check_text(obj: Any, trait: str, where: str, text: str) -> str:
    """`text` if it is text (encodable as UTF-8), else raise: a lone surrogate is half of a
    character, which the browser would draw as �. Example: check_text(w, "tokens", "entry 0",
    "\ud83d") raises "W.tokens: entry 0 holds a lone surrogate U+D83D ..."."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        code = ord(text[err.start])
        raise fail(
            obj,
            trait,
            f"{where} holds a lone surrogate U+{code:04X} at character {err.start}: half of a "
            "character, not text (give the token's bytes instead, as bytes)",
        ) from None
    return text


def to_wire(array: np.ndarray) -> list:
    """Nested lists of Python floats, with -inf as None (JSON has no infinity)."""
    neg_inf = np.isneginf(array)
    if neg_inf.any():
        return np.where(neg_inf, None, array).tolist()
    return array.tolist()


class Matrix(traitlets.TraitType):
    """A 2-D array of finite floats (or a 3-D one with `ndim=3`), stored as nested lists."""

    default_value: Any = traitlets.Undefined
    info_text = "a 2-D array of finite numbers"

    def __init__(self, *, ndim: int | tuple[int, ...] = 2, neg_inf: bool = False, **kwargs) -> None:
        self.ndims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        self.neg_inf = neg_inf
        super().__init__(default_value=[], **kwargs)

    def validate(self, obj: Any, value: Any) -> list:
        return to_wire(as_float_array(obj, self.name, value, self.ndims, neg_inf=self.neg_inf))


class Vector(Matrix):
    """A 1-D array of finite floats, stored as a list."""

    info_text = "a 1-D array of finite numbers"

    def __init__(self, **kwargs) -> None:
        super().__init__(ndim=1, **kwargs)


class Tokens(traitlets.TraitType):
    """A non-empty list of non-empty strings: the text of each token, in order."""

    info_text = "a non-empty list of strings"

    def __init__(self, **kwargs) -> None:
        super().__init__(default_value=[], **kwargs)

    def validate(self, obj: Any, value: Any) -> list[str]:
        if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
            raise fail(obj, self.name, f"expected a list of strings, got {type(value).__name__}")
        tokens = list(value)
        if not tokens:
            raise fail(obj, self.name, "is empty")
        for i, token in enumerate(tokens):
            if not isinstance(token, str):
                raise fail(obj, self.name, f"entry {i} is {type(token).__name__}, not a string")
            if token == "":
                raise fail(obj, self.name, f"entry {i} is an empty string")
            check_text(obj, self.name, f"entry {i}", token)
        return tokens


class Labels(Tokens):
    """Names for the entries along one axis of a picture (a matrix's columns, a plot's axes).

    None (allowed only when it is the default) means "no names": the browser numbers them.
    Otherwise distinct non-empty strings, exactly `size` of them when `size` is given; how
    many a widget needs when that depends on its data is the widget's check.

    Example: Labels(size=2, default=("x", "y")) accepts ["animal", "owned"], rejects ["a"].
    """

    def __init__(self, default: Any = None, *, size: int | None = None, **kwargs) -> None:
        self.size = size
        count = "" if size is None else f"{size} "
        none = " or None" if default is None else ""
        self.info_text = f"a list of {count}distinct strings{none}"
        traitlets.TraitType.__init__(
            self,
            default_value=None if default is None else list(default),
            allow_none=default is None,
            **kwargs,
        )

    def validate(self, obj: Any, value: Any) -> list[str]:
        labels = super().validate(obj, value)
        if self.size is not None and len(labels) != self.size:
            raise fail(obj, self.name, f"expected {self.size} labels, got {len(labels)}: {labels}")
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise fail(
                obj, self.name, f"labels must be distinct; {', '.join(map(repr, repeated))} repeats"
            )
        return labels


class Number(traitlets.TraitType):
    """An int (or a float with `kind=float`) within [low, high]; None only if `allow_none`."""

    def __init__(
        self,
        default: float | None,
        *,
        kind: type = int,
        low: float | None = None,
        high: float | None = None,
        allow_none: bool = False,
        **kwargs,
    ) -> None:
        self.kind, self.low, self.high = kind, low, high
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        self.info_text = f"{'an integer' if kind is int else 'a number'} in [{lo}, {hi}]"
        if allow_none:
            self.info_text += " or None"
        super().__init__(default_value=default, allow_none=allow_none, **kwargs)

    def validate(self, obj: Any, value: Any) -> float:
        ok_types = (int, np.integer) if self.kind is int else (int, float, np.integer, np.floating)
        if isinstance(value, bool) or not isinstance(value, ok_types):
            raise fail(obj, self.name, f"expected {self.info_text}, got {value!r}")
        value = self.kind(value)
        if (
            not np.isfinite(value)
            or (self.low is not None and value < self.low)
            or (self.high is not None and value > self.high)
        ):
            raise fail(obj, self.name, f"expected {self.info_text}, got {value!r}")
        return value


def Index(default: int | None = None, **kwargs) -> Number:
    """A non-negative int, or None for "nothing selected"; range checks are the widget's."""
    return Number(default, low=0, allow_none=True, **kwargs)


class Flag(traitlets.TraitType):
    """True or False (NumPy bools accepted), nothing else."""

    info_text = "True or False"

    def __init__(self, default: bool, **kwargs) -> None:
        super().__init__(default_value=default, **kwargs)

    def validate(self, obj: Any, value: Any) -> bool:
        if not isinstance(value, bool | np.bool_):
            raise fail(obj, self.name, f"expected True or False, got {value!r}")
        return bool(value)


def as_bytes(obj: Any, trait: str, where: str, token: Any) -> bytes:
    """A token's bytes: str is UTF-8 encoded; bytes, or a list of ints 0..255, taken as is."""
    if isinstance(token, str):
        data = check_text(obj, trait, where, token).encode("utf-8")
    elif isinstance(token, bytes | bytearray):
        data = bytes(token)
    elif isinstance(token, list | tuple) and all(
        isinstance(b, int | np.integer) and not isinstance(b, bool) and 0 <= b <= 255 for b in token
    ):
        data = bytes(int(b) for b in token)
    else:
        raise fail(obj, trait, f"{where} is {token!r:.60}: expected str, bytes or byte values")
    if not data:
        raise fail(obj, trait, f"{where} is empty")
    return data


def mismatch(obj: Any, trait: str, sizes: dict[str, str]) -> WidgetDataError:
    """Two traits that go together disagree. `sizes` maps each trait name to what it holds,
    always in the same order, so the message reads the same whichever trait was set last.

    Example: mismatch(w, "weights", {"tokens": "3 tokens", "weights": "weights of shape (4, 4)"})
    -> "W.weights: 3 tokens but weights of shape (4, 4); to change both, call
        .update(tokens=..., weights=...)"
    """
    told = " but ".join(sizes.values())
    keys = ", ".join(f"{key}=..." for key in sizes)
    return fail(obj, trait, f"{told}; to change both, call .update({keys})")


def check_index(obj: Any, trait: str, index: int | None, size: int, what: str) -> None:
    """Raise unless `index` is None or within range(size)."""
    if index is not None and not 0 <= index < size:
        raise fail(obj, trait, f"{index} is out of range: there are {size} {what}")


Measure = Callable[[Any], tuple[Any, str]]


def count(what: str) -> Measure:
    """The measure of a list for `check_sizes`: its length, said as "3 tokens"."""
    return lambda value: (len(value), f"{len(value)} {what}")


def check_sizes(obj: Any, proposal: Any, **measures: Measure) -> None:
    """Raise `mismatch` unless the traits named by the keywords agree in size.

    Call it from the widget's validator of those traits: `proposal` holds the value being set,
    the other traits are read from `obj`. Each keyword maps a trait to its measure, value ->
    (size, what it holds in words); sizes agree when they are equal. An empty value (or None)
    is not measured: not given yet, or "none" (as `ids=[]`). Nothing is checked when the trait
    being set is not among the keywords, so one validator can make several such checks.

    Example: check_sizes(w, proposal, tokens=count("tokens"), logits=count("logits"))
    -> "W.logits: 3 tokens but 2 logits; to change both, call .update(tokens=..., logits=...)"
    """
    trait = proposal.trait.name
    if trait not in measures:
        return
    values = {name: getattr(obj, name) for name in measures} | {trait: proposal.value}
    if any(value is None or len(value) == 0 for value in values.values()):  # arrays too
        return
    measured = {name: measures[name](value) for name, value in values.items()}
    if len({size for size, _ in measured.values()}) > 1:
        raise mismatch(obj, trait, {name: what for name, (_, what) in measured.items()})


def selection(
    trait: str,
    among: str,
    what: str | None = None,
    *,
    size: Callable[[Any], int] = len,
    reset: int | None = None,
) -> tuple[traitlets.EventHandler, traitlets.EventHandler]:
    """The validator and the observer of an index into the entries of trait `among`.

    The validator rejects an index outside range(size(among)) (None: nothing selected); the
    observer puts the index back to `reset` when `among` changes and leaves it out of range.
    `what` names the entries in the error (default: `among`). In a widget's class body:

        _check_selected, _forget_selected = selection("selected", among="tokens")
    """
    what = among if what is None else what

    def check(obj: Any, proposal: Any) -> Any:
        check_index(obj, trait, proposal.value, size(getattr(obj, among)), what)
        return proposal.value

    def forget(obj: Any, change: Any) -> None:
        index = getattr(obj, trait)
        if index != reset and (index is None or index >= size(change.new)):
            setattr(obj, trait, reset)

    return traitlets.validate(trait)(check), traitlets.observe(among)(forget)
