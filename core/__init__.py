"""The course's one implementation of the GPT stack, and the torch-free pieces around it.

One sub-package per idea:

    core.model      GPTConfig and its presets, GPT, attention and the KV cache, generate
    core.tokenize   the BPE algorithm, CharTokenizer, BPETokenizer (GPT-2's too)   torch-free
    core.data       the course's public files (fetch, cache, offline folder), then one
                    module per data set: LM text, spam                   files.py is torch-free
    core.train      one training loop, its config, optimizer, schedule, checkpoints, the
                    named runs, and `python -m core.train`
    core.gpt2       GPT-2's tensor mapping, hub access, comparison with `transformers`
    core.inference  opt-in, hardware-specific speed tricks for generation
    core.mirrors    NumPy twins of what the browser lessons trace by hand      torch-free
    core.course     course plumbing: catalog and links, toy data, exercise checkers   torch-free

The names most lessons need come from `core` itself, lazily: `import core` loads neither
torch nor marimo, and `from core import GPT` loads torch only then. `core.tokenize` and
`core.data` name their public objects lazily too, with `_lazy_exports` below. Why lazily:
`import core.tokenize.bpe` runs `core/tokenize/__init__.py` first, and marimo's WebAssembly
export ships only the modules it sees imported (it does not follow the imports of a package's
`__init__.py` when a notebook imports one of its modules), so a package `__init__` imports
nothing at run time but `core` itself, which every page ships. Their `if TYPE_CHECKING:`
imports are never run but are read by ruff's import graph (which the export uses), so that
`from core.tokenize import BPETokenizer` also ships the module behind the name.

Example:
    >>> from core import GPT, GPTConfig
    >>> GPT(GPTConfig.from_preset("tiny")).num_parameters()
    9344
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def _lazy_exports(
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


# public name -> the module that defines it (imported on first use). No TYPE_CHECKING imports
# here: a WebAssembly export must never see torch modules behind `core`.
_EXPORTS = {
    "GPT": "core.model",
    "GPTConfig": "core.model",
    "generate": "core.model",
    "BPETokenizer": "core.tokenize",
    "CharTokenizer": "core.tokenize",
    "TrainConfig": "core.train.config",
    "load_gpt2": "core.gpt2",
    "save_hf": "core.gpt2",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS)
