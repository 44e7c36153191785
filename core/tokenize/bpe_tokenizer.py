"""`BPETokenizer`: byte-level BPE as a tokenizer: train, encode, decode, replay, save. Torch-free.

`bpe.py` holds the algorithm's pieces; this class keeps a vocabulary (id -> bytes), encodes
fast (each distinct chunk merged once and remembered), treats special tokens as tiktoken does
and saves a readable file. Unlike `char.py`'s, its ids stand for byte sequences learned from
text, so any text encodes. GPT-2's tokenizer is one, rebuilt from its files (`gpt2_files.py`).

The record of a training run is `tokenizer.merges`, `Merge(pair, new_id, count)` in the order
learned; `encode_with_merges(text, n)` and `replay(text)` re-segment a text after the first n
merges (the merge-player widget shows that step by step).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from core.tokenize.boundary import as_token_id, as_token_ids, split_special
from core.tokenize.bpe import (
    GPT2_PATTERN,
    Merge,
    build_vocab,
    compile_pattern,
    merge_pair,
    pretokenize,
    to_utf8,
    train_merges_incremental,
)
from core.tokenize.bpe_encode import apply_merges
from core.tokenize.gpt2_files import read_gpt2_files


class BPETokenizer:
    """Byte-level BPE: bytes -> base ids, then the merges in order; special tokens on request.

    Build it with `BPETokenizer.train(text, vocab_size)`, `BPETokenizer.from_gpt2()` (GPT-2's
    files through `core.data`), `BPETokenizer.from_gpt2_files(encoder_json, vocab_bpe)` (the
    files' contents, for the browser), or `BPETokenizer.load(path)`.

    Arguments of the constructor:
        merges: the merges in rank order; each pair holds ids defined before it.
        byte_ids: byte_ids[b] is the id of the single byte b (default: b itself). GPT-2 numbers
            its bytes in another order ("!" is 0), so it passes its own.
        special_tokens: {text: id} of tokens such as "<|endoftext|>" that `encode` produces only
            when allowed, never from ordinary text.
        pattern: the pre-tokenization regular expression (`regex` syntax), or None to treat
            each text as one chunk.

    Example:
        >>> tok = BPETokenizer.train("aaabdaaabac", 256 + 3)
        >>> tok.encode("aaabdaaabac")
        [258, 100, 258, 97, 99]
        >>> [(m.pair, m.new_id, m.count) for m in tok.merges]
        [((97, 97), 256, 4), ((97, 98), 257, 2), ((256, 257), 258, 2)]
    """

    def __init__(
        self,
        merges: Iterable[Merge],
        *,
        byte_ids: Iterable[int] | None = None,
        special_tokens: Mapping[str, int] | None = None,
        pattern: str | None = GPT2_PATTERN,
    ) -> None:
        self.merges: list[Merge] = list(merges)
        self.byte_ids: list[int] = list(range(256) if byte_ids is None else byte_ids)
        self.special_tokens: dict[str, int] = dict(special_tokens or {})
        self.pattern = pattern

        # id -> the bytes it stands for; raises if a merge uses an id not defined before it
        self.vocab: dict[int, bytes] = build_vocab(self.merges, self.byte_ids, self.special_tokens)
        self._ranks = {m.pair: rank for rank, m in enumerate(self.merges)}
        self._new_ids = [m.new_id for m in self.merges]
        self._regex = None if pattern is None else compile_pattern(pattern)
        self._cache: dict[str, list[int]] = {}  # chunk -> its ids under all the merges

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        text: str,
        vocab_size: int,
        *,
        pattern: str | None = GPT2_PATTERN,
        special_tokens: Iterable[str] = (),
        progress: Callable[[int, int], None] | None = None,
    ) -> BPETokenizer:
        """Learn vocab_size - 256 - len(special_tokens) merges from `text`.

        Special tokens get the ids after the merges, in the order given; their occurrences in
        `text` are cut out before training (nothing is learned across or from them).
        `progress(done, total)` is called after each merge. Training stops early when no
        adjacent pair is left (then `len(tok.merges)` is smaller than asked).

        Example: BPETokenizer.train(text, 512, special_tokens=["<|endoftext|>"]) learns 255
        merges (ids 256..510) and gives "<|endoftext|>" the id 511.
        """
        specials = list(special_tokens)
        if len(set(specials)) != len(specials) or any(not s for s in specials):
            raise ValueError(f"special_tokens must be distinct non-empty strings, got {specials}")
        n_merges = vocab_size - 256 - len(specials)
        if n_merges < 0:
            raise ValueError(
                f"vocab_size={vocab_size} is too small: the 256 bytes and {len(specials)} special "
                f"token(s) already need {256 + len(specials)}"
            )
        words = Counter(to_utf8(c) for c in pretokenize(text, pattern, specials))
        merges = train_merges_incremental(words, n_merges, progress)
        first_special = 256 + len(merges)
        return cls(
            merges,
            special_tokens={s: first_special + k for k, s in enumerate(specials)},
            pattern=pattern,
        )

    @classmethod
    def from_gpt2_files(
        cls, encoder_json: str | bytes | Mapping[str, int], vocab_bpe: str | bytes
    ) -> BPETokenizer:
        """GPT-2's tokenizer from the *contents* of `encoder.json` and `vocab.bpe` (no file
        access: in the browser the lesson fetches the files). See `gpt2_files.read_gpt2_files`.
        """
        files = read_gpt2_files(encoder_json, vocab_bpe)
        return cls(
            files.merges,
            byte_ids=files.byte_ids,
            special_tokens=files.special_tokens,
            pattern=GPT2_PATTERN,
        )

    @classmethod
    def from_gpt2(cls) -> BPETokenizer:
        """GPT-2's tokenizer rebuilt from GPT-2's own files, fetched through `core.data`."""
        from core.data import fetch

        return cls.from_gpt2_files(
            fetch("gpt2-encoder-json").read_bytes(), fetch("gpt2-vocab-bpe").read_bytes()
        )

    # -- the vocabulary -----------------------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        """Number of ids: 256 bytes + merges + special tokens (GPT-2: 50,257)."""
        return len(self.vocab)

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes that `token_id` stands for. Example (GPT-2): token_bytes(995) -> b" world"."""
        try:
            return self.vocab[as_token_id(token_id)]
        except KeyError:
            raise ValueError(
                f"id {token_id} is not in this {self.vocab_size}-token vocabulary"
            ) from None

    def token_str(self, token_id: int) -> str:
        """`token_bytes` for display: bytes that are not whole UTF-8 characters show as \\xNN."""
        return self.token_bytes(token_id).decode("utf-8", errors="backslashreplace")

    # -- encoding -----------------------------------------------------------------------------

    def _ordinary_chunks(self, text: str) -> list[str]:
        to_utf8(text)  # fail early, with position, on lone surrogates
        if self._regex is None:
            return [text] if text else []
        return self._regex.findall(text)

    def encode_ordinary(self, text: str) -> list[int]:
        """Ids of `text`, every character treated as ordinary text (no special tokens).

        Each distinct chunk is merged once and remembered: most text repeats its words. A
        chunk longer than 1,000 characters (a run of one character, of digits) is merged
        each time instead: it rarely comes back, and remembering it would hold its memory.
        Example (GPT-2): encode_ordinary("Hello, world!") -> [15496, 11, 995, 0]
        """
        byte_ids, cache, limit = self.byte_ids, self._cache, len(self.merges)
        ranks, new_ids = self._ranks, self._new_ids
        if self._regex is None:  # one chunk: nothing to reuse
            return apply_merges([byte_ids[b] for b in to_utf8(text)], ranks, new_ids, limit)
        out: list[int] = []
        for chunk in self._ordinary_chunks(text):
            ids = cache.get(chunk)
            if ids is None:
                ids = apply_merges(
                    [byte_ids[b] for b in chunk.encode("utf-8")], ranks, new_ids, limit
                )
                if len(chunk) <= 1000:
                    if len(cache) >= 200_000:  # bound the memory on huge, varied texts
                        cache.clear()
                    cache[chunk] = ids
            out.extend(ids)
        return out

    def encode(
        self,
        text: str,
        *,
        allowed_special: Collection[str] | Literal["all"] = (),
        disallowed_special: Collection[str] | Literal["all"] = "all",
    ) -> list[int]:
        """Ids of `text`; special tokens become their ids only where allowed.

        As in tiktoken: text that contains a special token that is not in `allowed_special`
        raises ValueError, unless `disallowed_special=()` says to encode it as ordinary text.
        Example (GPT-2): encode("hi<|endoftext|>", allowed_special={"<|endoftext|>"})
                         -> [5303, 50256]
        """
        out: list[int] = []
        for piece in split_special(text, self.special_tokens, allowed_special, disallowed_special):
            out += [piece] if isinstance(piece, int) else self.encode_ordinary(piece)
        return out

    def encode_with_merges(self, text: str, n_merges: int) -> list[int]:
        """Ids of ordinary `text` when only the first `n_merges` merges are known.

        n_merges = 0 gives the base ids of the bytes; n_merges = len(self.merges) equals
        `encode_ordinary`. Example: with the three merges above, "aaabdaaabac" and n_merges=1
        -> [256, 97, 98, 100, 256, 97, 98, 97, 99]
        """
        if not 0 <= n_merges <= len(self.merges):
            raise ValueError(f"n_merges must be in 0..{len(self.merges)}, got {n_merges}")
        out: list[int] = []
        for chunk in self._ordinary_chunks(text):
            ids = [self.byte_ids[b] for b in chunk.encode("utf-8")]
            out.extend(apply_merges(ids, self._ranks, self._new_ids, n_merges))
        return out

    def replay(self, text: str, n_merges: int | None = None) -> list[list[int]]:
        """The ids of ordinary `text` after 0, 1, ..., n_merges merges (default: all of them).

        Step k applies merge k to the ids of step k - 1 (within chunks), so the whole
        sequence costs one pass per merge; replay(text)[n] == encode_with_merges(text, n).
        For a widget that shows the text re-segmented merge by merge.
        """
        n = len(self.merges) if n_merges is None else n_merges
        if not 0 <= n <= len(self.merges):
            raise ValueError(f"n_merges must be in 0..{len(self.merges)}, got {n}")
        chunks = [
            [self.byte_ids[b] for b in c.encode("utf-8")] for c in self._ordinary_chunks(text)
        ]
        steps = [[i for ids in chunks for i in ids]]
        for m in self.merges[:n]:
            if any(len(ids) > 1 for ids in chunks):
                chunks = [merge_pair(ids, m.pair, m.new_id) for ids in chunks]
            steps.append([i for ids in chunks for i in ids])
        return steps

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The bytes the ids (a list, array or tensor) stand for, concatenated."""
        ids = as_token_ids(ids)
        try:
            return b"".join(map(self.vocab.__getitem__, ids))  # one lookup per id checks it
        except KeyError as err:
            bad = err.args[0]
            raise ValueError(
                f"id {bad} at position {ids.index(bad)} is not in this {self.vocab_size}-token "
                "vocabulary"
            ) from None

    def decode(self, ids: Iterable[int], errors: str = "replace") -> str:
        """Text of `ids`. A sequence that ends inside a UTF-8 character (possible when ids are
        sampled) decodes its broken bytes to U+FFFD with errors="replace" (the default)."""
        return self.decode_bytes(ids).decode("utf-8", errors=errors)

    def segment(self, text: str, n_merges: int | None = None) -> list[str]:
        """`text` cut into its tokens (as `token_str` shows them), after the first n_merges.

        Example: segment("aaabdaaabac", 1) -> ['aa', 'a', 'b', 'd', 'aa', 'a', 'b', 'a', 'c']
        """
        n = len(self.merges) if n_merges is None else n_merges
        return [self.token_str(i) for i in self.encode_with_merges(text, n)]

    # -- saving -------------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write a readable JSON file: one merge per line as [a, b, new_id, count, "text"].

        The "text" field (the merged token, \\xNN for partial characters) is for people;
        `load` ignores it.
        """
        head = {
            "type": "bpe",
            "version": 1,
            "pattern": self.pattern,
            "special_tokens": self.special_tokens,
            "byte_ids": self.byte_ids,
        }
        lines = [json.dumps(head, ensure_ascii=False)[:-1] + ', "merges": [']
        rows = [
            json.dumps([*m.pair, m.new_id, m.count, self.token_str(m.new_id)], ensure_ascii=False)
            for m in self.merges
        ]
        lines.append(",\n".join(rows))
        lines.append("]}\n")
        Path(path).write_text("\n".join(lines), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> BPETokenizer:
        """Read a file written by `save`."""
        data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("type") != "bpe":
            raise ValueError(f"{path} is not a saved BPETokenizer (its 'type' is not 'bpe')")
        merges = [Merge((a, b), new_id, count) for a, b, new_id, count, *_ in data["merges"]]
        return cls(
            merges,
            byte_ids=data["byte_ids"],
            special_tokens=data["special_tokens"],
            pattern=data["pattern"],
        )

    def __repr__(self) -> str:
        return (
            f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, "
            f"special_tokens={self.special_tokens})"
        )
