"""TokenStrip: a text shown as its tokens, alternately coloured, ids on hover.

Whitespace is made visible (a leading space shows as "␣", a newline as "↵" followed by a line
break, a tab as "⇥"), and a byte-level piece that is not valid UTF-8 on its own (half of an
emoji, say) shows as its bytes in hex, "⟨f0 9f⟩". Clicking a token reports its index.

Example:
    >>> strip = TokenStrip(tokens=["Hello", ",", " world", "\\n", b"\\xf0\\x9f", b"\\x98\\x80"],
    ...                    ids=[15496, 11, 995, 198, 8582, 222])
    >>> strip.tokens[-2:]          # bytes that are not text on their own travel as byte values
    [[240, 159], [152, 128]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

from widgets._base import CourseWidget, css, esm
from widgets._checks import (
    Flag,
    Index,
    as_bytes,
    check_sizes,
    check_text,
    count,
    fail,
    selection,
)


def token_piece(obj: Any, trait: str, index: int, piece: Any) -> str | list[int]:
    """One token as it crosses the wire: text when it is text, else its byte values.

    str stays str; bytes (or a list of ints 0..255) become str when they decode as UTF-8,
    else a list of ints.
    """
    if isinstance(piece, str) and piece:
        return check_text(obj, trait, f"entry {index}", piece)
    data = as_bytes(obj, trait, f"entry {index}", piece)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return list(data)


class TokenPieces(traitlets.TraitType):
    """A non-empty list of tokens, each str, bytes, or a list of byte values."""

    info_text = "a non-empty list of str or bytes tokens"

    def __init__(self, **kwargs) -> None:
        super().__init__(default_value=[], **kwargs)

    def validate(self, obj: Any, value: Any) -> list:
        if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
            raise fail(obj, self.name, f"expected a list of tokens, got {type(value).__name__}")
        pieces = [token_piece(obj, self.name, i, piece) for i, piece in enumerate(value)]
        if not pieces:
            raise fail(obj, self.name, "is empty")
        return pieces


class Ids(traitlets.TraitType):
    """A list of non-negative ints (NumPy arrays accepted); empty means "no ids to show"."""

    info_text = "a list of token ids (ints >= 0)"

    def __init__(self, **kwargs) -> None:
        super().__init__(default_value=[], **kwargs)

    def validate(self, obj: Any, value: Any) -> list[int]:
        array = np.asarray(value)
        if array.ndim != 1 or (array.size and not np.issubdtype(array.dtype, np.integer)):
            raise fail(obj, self.name, f"expected {self.info_text}, got {value!r:.80}")
        if array.size and array.min() < 0:
            raise fail(obj, self.name, f"ids must be >= 0, got {int(array.min())}")
        return [int(i) for i in array]


class TokenStrip(CourseWidget):
    """Tokens in, the clicked token's index out.

    tokens: the pieces of the text in order: str, or bytes for byte-level tokens (pieces that
        are not valid UTF-8 alone are kept as byte values and drawn in hex).
    ids: the id of each token (same length), or [] to show none.
    selected: index of the token the learner clicked, or None.
    show_ids: print each id under its token (otherwise ids show on hover).
    """

    _esm = esm("token_strip")
    _css = css("token_strip")
    _required = ("tokens",)

    tokens = TokenPieces().tag(sync=True)
    ids = Ids().tag(sync=True)
    selected = Index().tag(sync=True)
    show_ids = Flag(False).tag(sync=True)

    _check_selected, _forget_selected = selection("selected", among="tokens")

    @traitlets.validate("tokens", "ids")
    def _check_sizes(self, proposal):
        check_sizes(self, proposal, tokens=count("tokens"), ids=count("ids"))
        return proposal.value
