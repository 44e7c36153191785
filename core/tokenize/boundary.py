"""What enters a tokenizer, checked once at the boundary: ids for `decode`, specials for `encode`.

Ids come from everywhere: a list, a NumPy array, a torch tensor straight out of `generate`.
`as_token_ids` turns any of them into a list of ints in one step (a tensor's `.tolist()`, then
`operator.index`, both in C), so that a tokenizer checks the ids once per call, not token by
token, and says which id at which position was wrong. Integers only: `operator.index` takes
Python's and NumPy's integers and refuses 1.5 and "7" (which `int()` would quietly round and
parse). Bools are refused too: True == 1 in Python, but a sequence of them is a mask. The model does not check ids on every
forward pass: a bad id is caught here, at the edge, or by the embedding lookup.

Text may contain a special token such as "<|endoftext|>" typed by a user; `split_special`
applies tiktoken's rules for when it becomes its id and when it is refused.

Shared by `char.py` and `bpe_tokenizer.py`. Torch-free.

Example: as_token_ids(torch.tensor([15496, 11])) -> [15496, 11]
"""

from __future__ import annotations

import operator
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Literal


def as_token_ids(ids: Iterable[int]) -> list[int]:
    """`ids` (a sequence, a 1-D array or tensor of integers) as a list of Python ints.

    Raises ValueError for anything else: a float, a string, a bool (a mask is not ids), a 2-D
    batch (decode its rows). Integers only, as `operator.index` takes them: 7.0 and "7" are
    refused, not rounded or parsed. May return `ids` itself when it is a list of ints.
    Example: as_token_ids((1, 2)) -> [1, 2]; as_token_ids([[1, 2]]) raises ValueError
    """
    if isinstance(ids, (str, bytes)):
        raise ValueError(f"decode takes token ids (integers), not {type(ids).__name__}")
    values = ids.tolist() if hasattr(ids, "tolist") else ids  # arrays, tensors: one call, in C
    if not isinstance(values, Iterable):  # a single id, or a 0-d tensor's .tolist()
        raise ValueError(f"decode takes a sequence of ids, got the single value {values!r}")
    values = values if isinstance(values, list) else list(values)
    kinds = set(map(type, values))  # one pass, in C
    if kinds <= {int}:  # the usual case: a list of ints, or what .tolist() gave
        return values
    if bool not in kinds:
        try:
            return list(map(operator.index, values))  # NumPy's integers, and the like
        except TypeError:
            pass
    sample = next(v for v in values if not _is_id(v))
    batch = "; for a batch, decode each row" if isinstance(sample, list) else ""
    mask = "; True/False make a mask, not ids" if type(sample).__name__ == "bool" else ""
    raise ValueError(
        f"decode takes one sequence of integer ids, but it holds {sample!r} "
        f"({type(sample).__name__}){batch}{mask}"
    )


def as_token_id(value: int) -> int:
    """One id (an int, a NumPy integer, a 0-d tensor) as a Python int; the same rules.

    Example: as_token_id(np.int64(995)) -> 995; as_token_id(995.0) raises ValueError
    """
    if not _is_id(value):
        raise ValueError(f"a token id is an integer, not {value!r} ({type(value).__name__})")
    return operator.index(value)


def _is_id(value: object) -> bool:
    """An integer that is not a bool. Python's True == 1, but a sequence of bools is a mask
    (`ids == eos`), not ids: it is refused rather than decoded as the tokens 1 and 0. (NumPy's
    bool has no `__index__`, so `operator.index` refuses it already.)"""
    if isinstance(value, bool):
        return False
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


def split_special(
    text: str,
    special_tokens: Mapping[str, int],
    allowed_special: Collection[str] | Literal["all"] = (),
    disallowed_special: Collection[str] | Literal["all"] = "all",
) -> list[str | int]:
    """`text` cut at the allowed special tokens: ordinary pieces (str) and special ids (int).

    tiktoken's rules: a special token is an id only where `allowed_special` says so; text that
    contains a disallowed one raises ValueError (a special token typed by a user must not act
    as one), unless `disallowed_special=()` says to treat it as ordinary characters.
    Example: split_special("hi<|endoftext|>", {"<|endoftext|>": 50256}, "all") -> ["hi", 50256]
    """
    allowed = set(special_tokens) if allowed_special == "all" else set(allowed_special)
    unknown = allowed - set(special_tokens)
    if unknown:
        raise ValueError(
            f"allowed_special names {sorted(unknown)}, which are not special tokens of this "
            f"tokenizer (it has {sorted(special_tokens)})"
        )
    disallowed = (
        set(special_tokens) - allowed if disallowed_special == "all" else set(disallowed_special)
    )
    for s in sorted(disallowed):
        pos = text.find(s)
        if pos >= 0:
            raise ValueError(
                f"the text contains the special token {s!r} at position {pos}, and special "
                f"tokens are not encoded from ordinary text. Pass allowed_special={{{s!r}}} "
                f"to encode it as its id {special_tokens.get(s)}, or "
                "disallowed_special=() to encode it as ordinary characters."
            )
    if not allowed:
        return [text]
    alternation = "|".join(re.escape(s) for s in sorted(allowed, key=len, reverse=True))
    # the capturing group keeps the special tokens, at the odd positions
    pieces = re.split(f"({alternation})", text)
    return [special_tokens[p] if k % 2 else p for k, p in enumerate(pieces) if k % 2 or p]
