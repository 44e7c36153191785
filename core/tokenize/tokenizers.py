"""Tokenizers: text <-> integer ids. Torch-free (the early lessons run in the browser).

- `CharTokenizer`: one id per distinct character of a training text (Tiny Shakespeare: 65).
- `BPETokenizer`: byte-level byte-pair encoding, trained from scratch or rebuilt from GPT-2's
  own files (`encoder.json`, `vocab.bpe`), in which case its ids equal tiktoken's `gpt2`.

The BPE algorithm itself (chunks, pair counts, merges, the tie-break, the naive and the
incremental trainer) is in `core.tokenize.bpe`; its names are re-exported here.

The record of a training run is `tokenizer.merges`, a list of `Merge(pair, new_id, count)` in
the order they were learned; `encode_with_merges(text, n)` and `replay(text)` re-segment a text
after the first n merges (the merge-player widget shows that step by step).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

from core.tokenize.bpe import (
    GPT2_PATTERN,
    Merge,
    best_pair,
    compile_pattern,
    count_pairs,
    merge_pair,
    pretokenize,
    to_utf8,
    train_merges_incremental,
    train_merges_naive,
)

__all__ = [
    "ENDOFTEXT",
    "GPT2_PATTERN",
    "GPT2_VOCAB_SIZE",
    "BPETokenizer",
    "CharTokenizer",
    "Merge",
    "best_pair",
    "count_pairs",
    "gpt2_byte_to_char",
    "merge_pair",
    "pretokenize",
    "tiktoken_gpt2",
    "train_merges_naive",
]

ENDOFTEXT = "<|endoftext|>"
GPT2_VOCAB_SIZE = 50257


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
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < self.vocab_size:
                raise ValueError(f"id {i} is outside this vocabulary (0..{self.vocab_size - 1})")
            out.append(self.vocab[i])
        return "".join(out)

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


# ---------------------------------------------------------------------------------------------
# GPT-2's byte <-> character table (its files spell every byte as a printable character)


def gpt2_byte_to_char() -> dict[int, str]:
    """GPT-2's reversible map from the 256 byte values to printable characters.

    Bytes that are printable Latin-1 characters (33..126, 161..172, 174..255) stand for
    themselves; the other 68 bytes, in increasing order, take the characters from U+0100 up.
    Example: space (32) -> "Ġ" (U+0120), newline (10) -> "Ċ", "a" (97) -> "a".
    """
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    table = {b: chr(b) for b in printable}
    others = [b for b in range(256) if b not in table]
    table.update({b: chr(256 + k) for k, b in enumerate(others)})
    return table


def _as_text(data: str | bytes, what: str) -> str:
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValueError(f"{what} is not UTF-8 text ({err})") from None
    if isinstance(data, str):
        return data
    raise ValueError(f"{what} must be the file's contents as str or bytes, got {type(data)}")


# ---------------------------------------------------------------------------------------------
# The tokenizer


class BPETokenizer:
    """Byte-level BPE: bytes -> base ids, then the merges in order; special tokens on request.

    Build it with `BPETokenizer.train(text, vocab_size)`, `BPETokenizer.from_gpt2()` (GPT-2's
    files through `core.data.files`), `BPETokenizer.from_gpt2_files(encoder_json, vocab_bpe)` (the
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

        if sorted(self.byte_ids) != sorted(set(self.byte_ids)) or len(self.byte_ids) != 256:
            raise ValueError("byte_ids must hold 256 distinct ids, one for each byte value")
        vocab: dict[int, bytes] = {i: bytes([b]) for b, i in enumerate(self.byte_ids)}
        seen_pairs: set[tuple[int, int]] = set()
        for rank, m in enumerate(self.merges):
            a, b = m.pair
            if a not in vocab or b not in vocab:
                raise ValueError(
                    f"merge {rank} {m.pair} -> {m.new_id} uses an id that no byte or earlier "
                    "merge defines"
                )
            if m.pair in seen_pairs:
                raise ValueError(f"merge {rank} repeats the pair {m.pair} of an earlier merge")
            seen_pairs.add(m.pair)
            if m.new_id in vocab:
                raise ValueError(f"merge {rank} reuses id {m.new_id}, which is already taken")
            vocab[m.new_id] = vocab[a] + vocab[b]
        for text, i in self.special_tokens.items():
            if not text or i in vocab:
                raise ValueError(
                    f"special token {text!r} -> {i}: it needs non-empty text and an unused id"
                )
            vocab[i] = text.encode("utf-8")
        self.vocab: dict[int, bytes] = vocab  # id -> the bytes it stands for
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
        """GPT-2's tokenizer from the *contents* of `encoder.json` and `vocab.bpe`.

        No file access: in the browser the lesson fetches the two files from their URLs and
        passes what it got. `encoder.json` maps each token, spelled with `gpt2_byte_to_char`,
        to its id; `vocab.bpe` lists the 50,000 merges in rank order ("Ġ t" merges "Ġ" and "t").
        """
        encoder = (
            dict(encoder_json)
            if isinstance(encoder_json, Mapping)
            else json.loads(_as_text(encoder_json, "encoder_json"))
        )
        lines = _as_text(vocab_bpe, "vocab_bpe").split("\n")
        if not lines[0].startswith("#version"):
            raise ValueError("vocab_bpe does not start with GPT-2's '#version' line")
        byte_to_char = gpt2_byte_to_char()
        try:
            byte_ids = [encoder[byte_to_char[b]] for b in range(256)]
            merges = []
            for line in lines[1:]:
                if not line:
                    continue
                left, right = line.split(" ")
                merges.append(Merge((encoder[left], encoder[right]), encoder[left + right]))
        except (KeyError, ValueError) as err:
            raise ValueError(
                f"encoder_json and vocab_bpe do not fit together ({err!r}): pass GPT-2's "
                "encoder.json and vocab.bpe, unmodified"
            ) from None
        special = {s: i for s, i in encoder.items() if s == ENDOFTEXT}
        tok = cls(merges, byte_ids=byte_ids, special_tokens=special, pattern=GPT2_PATTERN)
        if len(tok.vocab) != len(encoder):
            raise ValueError(
                f"encoder_json has {len(encoder)} tokens but the bytes, merges and special token "
                f"make {len(tok.vocab)}: the two files do not belong together"
            )
        return tok

    @classmethod
    def from_gpt2(cls) -> BPETokenizer:
        """GPT-2's tokenizer rebuilt from GPT-2's own files, fetched through `core.data.files`."""
        from core.data.files import fetch

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
            return self.vocab[int(token_id)]
        except KeyError:
            raise ValueError(
                f"id {token_id} is not in this {self.vocab_size}-token vocabulary"
            ) from None

    def token_str(self, token_id: int) -> str:
        """`token_bytes` for display: bytes that are not whole UTF-8 characters show as \\xNN."""
        return self.token_bytes(token_id).decode("utf-8", errors="backslashreplace")

    # -- encoding -----------------------------------------------------------------------------

    def _merge(self, ids: list[int], limit: int) -> list[int]:
        """Apply the first `limit` merges to one chunk's ids (a fresh list, changed in place).

        Repeatedly merge the leftmost occurrence of the lowest-ranked pair present. That equals
        applying the merges in rank order with `merge_pair`, because a merge's pair only holds
        ids made by earlier merges: merging never creates a pair of lower rank.
        """
        get, new_ids = self._ranks.get, self._new_ids
        ranks = [get(pair, limit) for pair in pairwise(ids)]  # ranks[i]: pair at i, i+1
        while ranks:
            best = min(ranks)
            if best >= limit:
                break
            i = ranks.index(best)
            ids[i : i + 2] = [new_ids[best]]
            del ranks[i]  # only the pairs beside the new id change
            if i < len(ranks):
                ranks[i] = get((ids[i], ids[i + 1]), limit)
            if i > 0:
                ranks[i - 1] = get((ids[i - 1], ids[i]), limit)
        return ids

    def _ordinary_chunks(self, text: str) -> list[str]:
        to_utf8(text)  # fail early, with position, on lone surrogates
        if self._regex is None:
            return [text] if text else []
        return self._regex.findall(text)

    def encode_ordinary(self, text: str) -> list[int]:
        """Ids of `text`, every character treated as ordinary text (no special tokens).

        Each distinct chunk is merged once and remembered: most text repeats its words.
        Example (GPT-2): encode_ordinary("Hello, world!") -> [15496, 11, 995, 0]
        """
        byte_ids, cache, limit = self.byte_ids, self._cache, len(self.merges)
        if self._regex is None:  # one chunk: nothing to reuse
            return self._merge([byte_ids[b] for b in to_utf8(text)], limit)
        out: list[int] = []
        for chunk in self._ordinary_chunks(text):
            ids = cache.get(chunk)
            if ids is None:
                ids = self._merge([byte_ids[b] for b in chunk.encode("utf-8")], limit)
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
        allowed = set(self.special_tokens) if allowed_special == "all" else set(allowed_special)
        unknown = allowed - set(self.special_tokens)
        if unknown:
            raise ValueError(
                f"allowed_special names {sorted(unknown)}, which are not special tokens of this "
                f"tokenizer (it has {sorted(self.special_tokens)})"
            )
        disallowed = (
            set(self.special_tokens) - allowed
            if disallowed_special == "all"
            else set(disallowed_special)
        )
        for s in sorted(disallowed):
            pos = text.find(s)
            if pos >= 0:
                raise ValueError(
                    f"the text contains the special token {s!r} at position {pos}, and special "
                    f"tokens are not encoded from ordinary text. Pass allowed_special={{{s!r}}} "
                    f"to encode it as its id {self.special_tokens.get(s)}, or "
                    "disallowed_special=() to encode it as ordinary characters."
                )
        if not allowed:
            return self.encode_ordinary(text)
        alternation = "|".join(re.escape(s) for s in sorted(allowed, key=len, reverse=True))
        out: list[int] = []
        for k, piece in enumerate(re.split(f"({alternation})", text)):
            if k % 2:  # the split keeps the separators at odd positions
                out.append(self.special_tokens[piece])
            elif piece:
                out.extend(self.encode_ordinary(piece))
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
            out.extend(self._merge([self.byte_ids[b] for b in chunk.encode("utf-8")], n_merges))
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
        """The bytes the ids stand for, concatenated."""
        vocab = self.vocab
        try:
            return b"".join([vocab[i] for i in ids])
        except KeyError as err:
            raise ValueError(
                f"id {err.args[0]!r} is not in this {self.vocab_size}-token vocabulary"
            ) from None

    def decode(self, ids: Iterable[int], errors: str = "replace") -> str:
        """Text of `ids`. A sequence that ends inside a UTF-8 character (possible when ids are
        sampled) decodes its broken bytes to U+FFFD with errors="replace" (the default)."""
        return self.decode_bytes(int(i) for i in ids).decode("utf-8", errors=errors)

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


def tiktoken_gpt2():
    """tiktoken's `gpt2` Encoding, built offline from the two files `core.data.files` provides.

    The same Encoding as `tiktoken.get_encoding("gpt2")` (its pre-tokenization pattern, ranks
    and special token) without tiktoken's download cache; tiktoken checks both files' SHA-256
    itself. The reference our tokenizer is tested and benchmarked against.
    """
    import tiktoken
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks
    from tiktoken_ext import openai_public

    from core.data.files import REGISTRY, fetch

    vocab, encoder = REGISTRY["gpt2-vocab-bpe"], REGISTRY["gpt2-encoder-json"]
    ranks = data_gym_to_mergeable_bpe_ranks(
        vocab_bpe_file=str(fetch(vocab.name)),
        encoder_json_file=str(fetch(encoder.name)),
        vocab_bpe_hash=vocab.sha256,
        encoder_json_hash=encoder.sha256,
    )
    return tiktoken.Encoding(
        "gpt2",
        # tiktoken's own spelling of GPT-2's pattern (equivalent, faster in its regex engine)
        pat_str=getattr(openai_public, "r50k_pat_str", GPT2_PATTERN),
        mergeable_ranks=ranks,
        special_tokens={ENDOFTEXT: GPT2_VOCAB_SIZE - 1},
        explicit_n_vocab=GPT2_VOCAB_SIZE,
    )
