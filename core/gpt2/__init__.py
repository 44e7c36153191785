"""OpenAI's GPT-2 in the course's GPT: the tensor mapping, the hub, loading, the comparison.

mapping.py    the name/shape mapping, tensor by tensor: prefix, mask buffers, the Conv1D
              transpose, the fused c_attn (rows q, k, v), the tied head (what lesson 13 shows)
hf_config.py  config.json <-> GPTConfig, and the config of a bare weights file
hub.py        a name or path -> the files on disk, through huggingface_hub's cache
load.py       load_gpt2 (checked, one model of memory) and save_hf (atomic)
compare.py    compare_with_transformers: the course's GPT beside transformers' on one checkpoint

Progress: `load_gpt2(..., tqdm_class=...)` hands the bar class to huggingface_hub (tqdm.auto
when None). `core` never imports marimo; in a marimo notebook pass `tqdm.notebook.tqdm`, which
marimo replaces by its own progress bar while a notebook runs.

Example:
    >>> model = load_gpt2("gpt2")  # into the Hugging Face cache once (548 MB), then offline
    >>> compare_with_transformers("gpt2", prompt_ids=[15496, 11]).greedy_agree
    True
"""

from core.gpt2.compare import Comparison, compare_with_transformers
from core.gpt2.hf_config import config_from_hf, hf_config_dict, infer_config
from core.gpt2.hub import (
    HUB_REPOS,
    CheckpointFiles,
    GPT2WeightsUnavailableError,
    resolve_checkpoint,
)
from core.gpt2.load import allocate_gpt, load_files, load_gpt2, save_hf
from core.gpt2.mapping import (
    GPT2CheckpointError,
    TensorMap,
    check_tensors,
    gpt2_tensor_maps,
    mapping_rows,
)

__all__ = [
    "HUB_REPOS",
    "CheckpointFiles",
    "Comparison",
    "GPT2CheckpointError",
    "GPT2WeightsUnavailableError",
    "TensorMap",
    "allocate_gpt",
    "check_tensors",
    "compare_with_transformers",
    "config_from_hf",
    "gpt2_tensor_maps",
    "hf_config_dict",
    "infer_config",
    "load_files",
    "load_gpt2",
    "mapping_rows",
    "resolve_checkpoint",
    "save_hf",
]
