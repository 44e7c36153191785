"""Text to token ids and back. Torch-free: the browser lessons use it as it is.

One idea per module, each building on the one before (as in minbpe):

char.py           CharTokenizer: one id per distinct character of a text
bpe.py            the byte-pair-encoding algorithm: pre-tokenizing, pair counts, merges,
                  the vocabulary they define, a naive and an incremental trainer
bpe_encode.py     the merges applied to one chunk, lowest rank first: a scan to read, and a
                  heap over linked positions for long chunks ("aaaa…": n log n, not n^2)
bpe_tokenizer.py  BPETokenizer: that algorithm as a tokenizer, trained from scratch with a
                  record of its merges, or GPT-2's rebuilt from its files; replay, save, load
gpt2_files.py     GPT-2's own: its sizes, its byte table, its two files, tiktoken's Encoding
boundary.py       what enters a tokenizer, checked once: ids for decode, special tokens

tiktoken (Rust, also in Pyodide) is the reference the course's tokenizer is tested against,
not a replacement: the course's shows its merges; see gpt2_files.py.

Example:
    >>> from core.tokenize import BPETokenizer
    >>> BPETokenizer.from_gpt2().encode("Hello, world!")
    [15496, 11, 995, 0]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import _lazy_exports

# Never run: for type checkers and for ruff's import graph (marimo's export); see core/__init__.py
if TYPE_CHECKING:
    from core.tokenize.bpe import GPT2_PATTERN, Merge
    from core.tokenize.bpe_tokenizer import BPETokenizer
    from core.tokenize.char import CharTokenizer
    from core.tokenize.gpt2_files import (
        ENDOFTEXT,
        GPT2_ENDOFTEXT_ID,
        GPT2_VOCAB_SIZE,
        gpt2_byte_to_char,
        tiktoken_gpt2,
    )

_EXPORTS = {
    "GPT2_PATTERN": "core.tokenize.bpe",
    "Merge": "core.tokenize.bpe",
    "BPETokenizer": "core.tokenize.bpe_tokenizer",
    "CharTokenizer": "core.tokenize.char",
    "ENDOFTEXT": "core.tokenize.gpt2_files",
    "GPT2_ENDOFTEXT_ID": "core.tokenize.gpt2_files",
    "GPT2_VOCAB_SIZE": "core.tokenize.gpt2_files",
    "gpt2_byte_to_char": "core.tokenize.gpt2_files",
    "tiktoken_gpt2": "core.tokenize.gpt2_files",
}
__all__ = [
    "ENDOFTEXT",
    "GPT2_ENDOFTEXT_ID",
    "GPT2_PATTERN",
    "GPT2_VOCAB_SIZE",
    "BPETokenizer",
    "CharTokenizer",
    "Merge",
    "gpt2_byte_to_char",
    "tiktoken_gpt2",
]
__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS)
