"""The simplest tokenizer: one id per distinct character of a training text. Torch-free.

Tiny Shakespeare has 65 distinct characters, so its vocabulary has 65 ids and every text of
its alphabet encodes to exactly as many ids as it has characters. `bpe_tokenizer.py` is the
next step: ids for whole byte sequences, learned from the text, so that texts get shorter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from core.tokenize.boundary import as_token_ids


class CharTokenizer:
    """Character-level tokenizer: the vocabulary is the sorted set of characters of a text.

    A character that was not in the training text has no id: `encode` raises ValueError
    naming it (there is no unknown token, so decode(encode(s)) == s whenever encode works).

    Example:
        >>> tok = CharTokenizer.from_text("hello")
        >>> tok.vocab, tok.encode("hole")
        (['e', 'h', 'l', 'o'], [1, 3, 2, 0])
    """

    def __init__(self, vocab: Iterable[str]) -> None:
        vocab = list(vocab)
        if not vocab:
            raise ValueError("CharTokenizer needs at least one character in its vocabulary")
        if any(not isinstance(c, str) or len(c) != 1 for c in vocab):
            raise ValueError("every vocabulary entry must be a single character")
        if len(set(vocab)) != len(vocab):
            raise ValueError("the vocabulary has repeated characters")
        self.vocab = vocab
        self.stoi = {c: i for i, c in enumerate(vocab)}

    @classmethod
    def from_text(cls, text: str) -> CharTokenizer:
        if not text:
            raise ValueError("cannot build a vocabulary from empty text")
        return cls(sorted(set(text)))

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> list[int]:
        try:
            return [self.stoi[c] for c in text]
        except KeyError as err:
            ch = err.args[0]
            pos = text.index(ch)
            raise ValueError(
                f"character {ch!r} (U+{ord(ch):04X}) at position {pos} is not in this "
                f"tokenizer's {self.vocab_size}-character vocabulary; remove it or build the "
                "tokenizer from a text that contains it"
            ) from None

    def decode(self, ids: Iterable[int]) -> str:
        """Text of `ids` (a list, array or tensor); an id outside 0..vocab_size-1 raises."""
        ids = as_token_ids(ids)
        V = self.vocab_size
        if ids and (min(ids) < 0 or max(ids) >= V):  # one check for the whole sequence
            pos, bad = next((p, i) for p, i in enumerate(ids) if not 0 <= i < V)
            raise ValueError(f"id {bad} at position {pos} is outside this vocabulary (0..{V - 1})")
        return "".join(map(self.vocab.__getitem__, ids))

    def save(self, path: str | Path) -> None:
        """Write the vocabulary as readable JSON."""
        Path(path).write_text(
            json.dumps({"type": "char", "vocab": self.vocab}, ensure_ascii=False),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, path: str | Path) -> CharTokenizer:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("type") != "char":
            raise ValueError(f"{path} is not a saved CharTokenizer")
        return cls(data["vocab"])
