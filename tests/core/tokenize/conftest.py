"""Fixtures the tokenizer tests share: GPT-2's tokenizer, tiktoken's, a small trained one."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from core.data import REGISTRY, fetch
from core.tokenize import ENDOFTEXT, BPETokenizer


@pytest.fixture(scope="session")
def gpt2() -> BPETokenizer:
    return BPETokenizer.from_gpt2()


@pytest.fixture(scope="session")
def tiktoken_reference(tmp_path_factory):
    """tiktoken.get_encoding("gpt2") itself, from a tiktoken cache this fixture lays out.

    tiktoken names each cached file by the SHA-1 of its URL and checks its SHA-256 on load.
    """
    import tiktoken

    cache = tmp_path_factory.mktemp("tiktoken-cache")
    for name in ("gpt2-vocab-bpe", "gpt2-encoder-json"):
        key = hashlib.sha1(REGISTRY[name].url.encode()).hexdigest()
        shutil.copyfile(fetch(name), cache / key)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TIKTOKEN_CACHE_DIR", str(cache))
        return tiktoken.get_encoding("gpt2")


@pytest.fixture(scope="session")
def small_bpe() -> BPETokenizer:
    """A 400-token tokenizer trained on 20 kB of Tiny Shakespeare."""
    text = fetch("tinyshakespeare").read_text(encoding="utf-8")[:20_000]
    return BPETokenizer.train(text, 400, special_tokens=[ENDOFTEXT])
