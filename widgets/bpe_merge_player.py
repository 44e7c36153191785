"""BPEMergePlayer: replay a byte-pair-encoding training merge by merge.

The input is plain data, so any BPE trainer can feed it (`core.tokenize.BPETokenizer.train`
records one):

    initial_tokens   the text before any merge, one entry per token: str or bytes (for a
                     byte-level BPE, one byte each: `BPEMergePlayer.from_text` builds this)
    merges           in training order; each {"pair": (left, right), "id": new_id,
                     "count": n} or the tuple ((left, right), new_id, n), where left and right
                     are the two tokens joined (str or bytes, or token ids: 0..255 for a byte,
                     else an earlier merge's new_id), new_id the id given to left+right (256
                     or more, since 0..255 are the bytes, and new in each merge) and n
                     how often the pair occurred when it was chosen (None if unknown).
                     `core.tokenize.BPETokenizer(...).merges` (Merge(pair, new_id, count) with
                     id pairs) is accepted as it is, for a tokenizer whose base ids are bytes
    chunk_starts     indices into initial_tokens where the pre-tokenizer started a new chunk;
                     merges never join tokens across one ([] means one chunk)
    initial_ids      the id of each initial token, or [] (single bytes then show their value)

The widget re-segments the text after `step` merges (the learner moves it with buttons, a
slider or play), shows the pair just merged, its count, and the tokens it created.
Tokens travel to the browser as lists of byte values (so a half character is no problem).

Example:
    >>> player = BPEMergePlayer.from_text("low lower", [((b"l", b"o"), 256, 2),
    ...                                              ((b"lo", b"w"), 257, 2)])
    >>> len(player.initial_tokens), player.merges[1]["pair"]
    (9, [[108, 111], [119]])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import traitlets

from core.tokenize.bpe import merge_pair
from widgets._base import CourseWidget, css, esm
from widgets._checks import Number, as_bytes, check_sizes, count, fail
from widgets.token_strip import Ids


class ByteTokens(traitlets.TraitType):
    """A non-empty list of tokens, each stored as its list of byte values."""

    info_text = "a non-empty list of str or bytes tokens"

    def __init__(self, **kwargs) -> None:
        super().__init__(default_value=[], **kwargs)

    def validate(self, obj: Any, value: Any) -> list[list[int]]:
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise fail(obj, self.name, f"expected {self.info_text}, got {type(value).__name__}")
        tokens = [list(as_bytes(obj, self.name, f"entry {i}", t)) for i, t in enumerate(value)]
        if not tokens:
            raise fail(obj, self.name, "is empty")
        return tokens


def _int(obj: Any, trait: str, where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise fail(obj, trait, f"{where} must be an integer >= 0, got {value!r}")
    return int(value)


class MergeRecord(traitlets.TraitType):
    """A non-empty list of merges, each stored as {"pair": [left, right], "id": int, "count": int}.

    A side of a pair may also be a token id: 0..255 is that byte, a larger id the token made by
    an earlier merge. So `core.tokenize.BPETokenizer`'s record (objects with `pair`, `new_id`, `count`) goes
    in as it is. The count may be None (GPT-2's files do not record counts).
    """

    info_text = 'a list of {"pair": (left, right), "id": int, "count": int} (or tuples)'

    def __init__(self, **kwargs) -> None:
        super().__init__(default_value=[], **kwargs)

    def validate(self, obj: Any, value: Any) -> list[dict[str, Any]]:
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise fail(obj, self.name, f"expected {self.info_text}, got {type(value).__name__}")
        made = {b: bytes([b]) for b in range(256)}  # id -> bytes, for pairs given as ids
        merges: list[dict[str, Any]] = []
        given = {}  # new id -> the merge that gave it
        for i, merge in enumerate(value):
            merges.append(self._one(obj, i, merge, made))
            new_id = merges[-1]["id"]
            if new_id < 256:
                raise fail(
                    obj,
                    self.name,
                    f"merge {i} id {new_id} is below 256: ids 0..255 are the single bytes, "
                    "a merge makes a new token with a new id (256, 257, ...)",
                )
            if new_id in given:
                raise fail(
                    obj,
                    self.name,
                    f"merge {i} id {new_id} was already given by merge {given[new_id]}: each "
                    "merge makes a new token with an id of its own",
                )
            given[new_id] = i
            made[new_id] = bytes(merges[-1]["pair"][0] + merges[-1]["pair"][1])
        if not merges:
            raise fail(obj, self.name, "is empty: there is nothing to replay")
        return merges

    def _one(self, obj: Any, i: int, merge: Any, made: dict[int, bytes]) -> dict[str, Any]:
        where = f"merge {i}"
        if all(hasattr(merge, key) for key in ("pair", "new_id", "count")):  # core's Merge
            merge = (merge.pair, merge.new_id, merge.count)
        if isinstance(merge, Mapping):
            if set(merge) != {"pair", "id", "count"}:
                raise fail(
                    obj, self.name, f"{where} has keys {sorted(merge)}; expected pair, id, count"
                )
            pair, new_id, count = merge["pair"], merge["id"], merge["count"]
        elif isinstance(merge, Sequence) and len(merge) == 3:
            pair, new_id, count = merge
        else:
            raise fail(obj, self.name, f"{where} is {merge!r:.60}: expected {self.info_text}")
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise fail(obj, self.name, f"{where}: pair must be two tokens, got {pair!r:.60}")
        sides = []
        for k, side in enumerate(pair):
            if isinstance(side, int | np.integer) and not isinstance(side, bool):
                if int(side) not in made:
                    raise fail(
                        obj,
                        self.name,
                        f"{where} pair[{k}]: id {side} is neither a byte (0..255) nor made by "
                        "an earlier merge",
                    )
                side = made[int(side)]
            sides.append(list(as_bytes(obj, self.name, f"{where} pair[{k}]", side)))
        return {
            "pair": sides,
            "id": _int(obj, self.name, f"{where} id", new_id),
            "count": None if count is None else _int(obj, self.name, f"{where} count", count),
        }


class BPEMergePlayer(CourseWidget):
    """A merge record in; the step the learner chose comes back (`step`).

    initial_tokens, merges, chunk_starts, initial_ids: see the module docstring.
    step: how many merges are applied, 0 to len(merges). Python may set it too.
    """

    _esm = esm("bpe_merge_player")
    _css = css("bpe_merge_player")
    _required = ("initial_tokens", "merges")

    initial_tokens = ByteTokens().tag(sync=True)
    merges = MergeRecord().tag(sync=True)
    chunk_starts = Ids().tag(sync=True)
    initial_ids = Ids().tag(sync=True)
    step = Number(0, low=0).tag(sync=True)

    @classmethod
    def from_text(
        cls, text: str | Sequence[str], merges: Iterable[Any], **kwargs: Any
    ) -> BPEMergePlayer:
        """A byte-level replay: each UTF-8 byte of `text` starts as its own token.

        `text` may be a list of pre-tokenized chunks (e.g. ["low", " lower"]): merges then stay
        inside each chunk, as in GPT-2's tokenizer.
        """
        chunks = [text] if isinstance(text, str) else list(text)
        if not chunks or not all(isinstance(c, str) and c for c in chunks):
            raise ValueError("text must be a non-empty string or a list of non-empty strings")
        starts, tokens = [], []
        for chunk in chunks:
            starts.append(len(tokens))
            tokens.extend(bytes([b]) for b in chunk.encode("utf-8"))
        return cls(initial_tokens=tokens, merges=list(merges), chunk_starts=starts[1:], **kwargs)

    @traitlets.validate("merges")
    def _check_merges(self, proposal):
        """Each pair must be made of tokens that exist by then: bytes, initial tokens or merges."""
        known = {(b,) for b in range(256)} | {tuple(t) for t in self.initial_tokens}
        for i, merge in enumerate(proposal.value):
            left, right = (tuple(t) for t in merge["pair"])
            for side, token in (("left", left), ("right", right)):
                if token not in known:
                    raise fail(
                        self,
                        "merges",
                        f"merge {i}: the {side} token {bytes(token)!r} is neither a byte, an "
                        "initial token, nor made by an earlier merge (is the record in order?)",
                    )
            known.add(left + right)
        return proposal.value

    @traitlets.validate("chunk_starts")
    def _check_starts(self, proposal):
        starts = proposal.value
        n = len(self.initial_tokens)
        if any(not 0 < s < n for s in starts) or starts != sorted(set(starts)):
            raise fail(
                self,
                "chunk_starts",
                f"must be increasing indices between 1 and {n - 1} (token 0 always starts a "
                f"chunk), got {starts}",
            )
        return starts

    @traitlets.validate("initial_tokens", "initial_ids")
    def _check_ids(self, proposal):
        check_sizes(
            self, proposal, initial_tokens=count("initial tokens"), initial_ids=count("ids")
        )
        return proposal.value

    @traitlets.validate("step")
    def _check_step(self, proposal):
        if proposal.value > len(self.merges):
            raise fail(
                self, "step", f"{proposal.value} is past the last of {len(self.merges)} merges"
            )
        return proposal.value

    @traitlets.observe("merges")
    def _keep_step_in_range(self, change) -> None:
        self.step = min(self.step, len(self.merges))

    def segmentation(self, step: int | None = None) -> list[bytes]:
        """The tokens after `step` merges (default: the current step), as the widget shows them.

        Example: for the record in the module docstring, segmentation(2)[:2] == [b"low", b" "]
        """
        step = self.step if step is None else step
        bounds = [0, *self.chunk_starts, len(self.initial_tokens)]
        chunks = [[bytes(t) for t in self.initial_tokens[a:b]] for a, b in pairwise(bounds)]
        for merge in self.merges[:step]:
            left, right = (bytes(t) for t in merge["pair"])
            # the rule of core's encoder, on byte strings: a pair becomes its concatenation
            chunks = [merge_pair(chunk, (left, right), left + right) for chunk in chunks]
        return [token for chunk in chunks for token in chunk]
