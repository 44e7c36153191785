"""Package attributes imported on first use (PEP 562), for `core` and its torch-free packages.

Why: `import core.tokenize.bpe` runs `core/tokenize/__init__.py` first. If that file imported
every module of the package, a page exported to WebAssembly would need all of them, and
marimo's export ships only the modules it sees imported (it does not follow the imports of a
package's `__init__.py` when a notebook imports one of its modules directly). Lazy names cost
nothing until used, and keep `import core` free of torch.

A package that the browser lessons may import as `from core.tokenize import X` also lists its
modules under `if TYPE_CHECKING:`: ruff's import graph, which marimo's export reads, counts
those imports, so the modules travel with the page; Python never runs them.

Example (in a package's __init__.py):
    __getattr__, __dir__ = lazy_exports(__name__, {"BPETokenizer": "core.tokenize.bpe_tokenizer"})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for `package`: each name is taken from its module on first use."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # the next access is a plain lookup
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *names})

    return __getattr__, __dir__
