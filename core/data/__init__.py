"""Data: the course's public files, then one module per data set.

    files.py  the registry (URL, SHA-256, size) and `fetch(name)`: offline folder, cache,
              verified download (in the browser too)                          torch-free
    lm.py     language-modelling text: Tiny Shakespeare as characters or GPT-2 tokens,
              train/validation splits and random windows                          (torch)
    spam.py   the SMS Spam Collection as balanced labelled splits                 (torch)

The names below come from files.py, so `import core.data` stays torch-free.
"""

from core.data.files import (
    REGISTRY,
    DataFile,
    DataUnavailableError,
    cache_dir,
    data_dir,
    fetch,
    fetch_file,
    read_bytes,
    read_text,
)

__all__ = [
    "REGISTRY",
    "DataFile",
    "DataUnavailableError",
    "cache_dir",
    "data_dir",
    "fetch",
    "fetch_file",
    "read_bytes",
    "read_text",
]
