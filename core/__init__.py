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
torch nor marimo, and `from core import GPT` loads torch only then.

Example:
    >>> from core import GPT, GPTConfig
    >>> GPT(GPTConfig.from_preset("tiny")).num_parameters()
    9344
"""

from __future__ import annotations

from core._lazy import lazy_exports

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
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
