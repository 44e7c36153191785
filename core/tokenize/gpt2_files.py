"""GPT-2's tokenizer as OpenAI shipped it: two files, a byte table, and tiktoken. Torch-free.

`bpe_tokenizer.BPETokenizer` is the algorithm; this module holds what is particular to GPT-2:

- its sizes: 256 byte tokens + 50,000 merges + `<|endoftext|>` = `GPT2_VOCAB_SIZE` (50,257),
  the one definition the model's GPT-2 presets use too (`core.model.config` imports it);
- `gpt2_byte_to_char`: the files spell every byte as a printable character ("Ġ" is a space);
- `read_gpt2_files`: `encoder.json` (token -> id) and `vocab.bpe` (the merges in rank order)
  -> the merges, the byte ids and the special token that `BPETokenizer` takes;
- `tiktoken_gpt2`: tiktoken's own `gpt2` Encoding from the same two files, offline.

tiktoken is the well-kept library for GPT-2's tokenizer (Rust, also in Pyodide), and the
reference `BPETokenizer` is tested against (equal ids) and benchmarked against. The course
keeps its own Python tokenizer beside it because a learner can read, train and replay it merge
by merge, which tiktoken's compiled one cannot show.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from core.tokenize.bpe import GPT2_PATTERN, Merge

ENDOFTEXT = "<|endoftext|>"
GPT2_VOCAB_SIZE = 50257  # 256 byte tokens + 50,000 merges + <|endoftext|>
GPT2_ENDOFTEXT_ID = GPT2_VOCAB_SIZE - 1  # 50256: the last id


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


@dataclass(frozen=True)
class GPT2Files:
    """What GPT-2's two files say, in the terms `BPETokenizer(...)` takes."""

    merges: list[Merge]  # 50,000, in rank order
    byte_ids: list[int]  # byte_ids[b]: the id of byte b ("!" is 0, not 33)
    special_tokens: dict[str, int]  # {"<|endoftext|>": 50256}


def read_gpt2_files(
    encoder_json: str | bytes | Mapping[str, int], vocab_bpe: str | bytes
) -> GPT2Files:
    """The *contents* of `encoder.json` and `vocab.bpe` -> merges, byte ids, special token.

    No file access: in the browser the lesson fetches the two files and passes what it got.
    `encoder.json` maps each token, spelled with `gpt2_byte_to_char`, to its id; `vocab.bpe`
    lists the merges in rank order, one per line: "Ġ t" merges the ids of "Ġ" and "t" into
    the id of "Ġt".
    Example: read_gpt2_files(...).merges[0] == Merge((220, 83), 256)  # "Ġ" + "t"
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
    made = 256 + len(merges) + len(special)
    if made != len(encoder):
        raise ValueError(
            f"encoder_json has {len(encoder)} tokens but the bytes, merges and special token "
            f"make {made}: the two files do not belong together"
        )
    return GPT2Files(merges, byte_ids, special)


def _as_text(data: str | bytes, what: str) -> str:
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValueError(f"{what} is not UTF-8 text ({err})") from None
    if isinstance(data, str):
        return data
    raise ValueError(f"{what} must be the file's contents as str or bytes, got {type(data)}")


def tiktoken_gpt2():
    """tiktoken's `gpt2` Encoding, built offline from the two files `core.data` provides.

    The same Encoding as `tiktoken.get_encoding("gpt2")` (its pre-tokenization pattern, ranks
    and special token) without tiktoken's download cache; tiktoken checks both files' SHA-256
    itself. The reference our tokenizer is tested and benchmarked against.
    """
    import tiktoken
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks
    from tiktoken_ext import openai_public

    from core.data import REGISTRY, fetch

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
        special_tokens={ENDOFTEXT: GPT2_ENDOFTEXT_ID},
        explicit_n_vocab=GPT2_VOCAB_SIZE,
    )
