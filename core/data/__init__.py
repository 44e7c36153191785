"""Data: the course's public files, then one module per data set.

    registry.py  what each file is: `DataFile` (URL, SHA-256, size) and `REGISTRY`   torch-free
    files.py     `fetch(name)`: offline folder, cache, verified download             torch-free
    browser.py   the same download in a WebAssembly page (Pyodide's XMLHttpRequest)  torch-free
    atomic.py    writing a file so that a crash leaves the old one or the new one    torch-free
    lm.py        language-modelling text: Tiny Shakespeare as characters or GPT-2 tokens,
                 train/validation splits and random windows                          (torch)
    spam.py      the SMS Spam Collection as balanced labelled splits                 (torch)

`python -m core.data list | fetch NAME | fetch-all` from a terminal. The course keeps its own
downloader rather than pooch because the browser lessons need the same one (see files.py).

The names below come from the torch-free modules, so `import core.data` stays torch-free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import _lazy_exports

# Never run: for type checkers and for ruff's import graph (marimo's export); see core/__init__.py
if TYPE_CHECKING:
    from core.data.files import (
        DataUnavailableError,
        cache_dir,
        data_dir,
        fetch,
        fetch_file,
        read_bytes,
        read_text,
    )
    from core.data.registry import REGISTRY, DataFile

_EXPORTS = {
    "DataUnavailableError": "core.data.files",
    "cache_dir": "core.data.files",
    "data_dir": "core.data.files",
    "fetch": "core.data.files",
    "fetch_file": "core.data.files",
    "read_bytes": "core.data.files",
    "read_text": "core.data.files",
    "DataFile": "core.data.registry",
    "REGISTRY": "core.data.registry",
}
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
__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS)
