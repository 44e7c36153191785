"""GPT-2's weights into the course's GPT (`load_gpt2`), and back out (`save_hf`).

Given the files (`hub.py`) and the sizes (`hf_config.py`), loading follows `mapping.py`:
check every tensor's name and shape first, then allocate the model without its random
initialisation, then copy the tensors in one at a time, so that memory peaks at about one
model (plus its largest tensor), not two. `save_hf` writes the layout `transformers`'
`save_pretrained` writes, atomically (`core.data.atomic`), so `GPT2LMHeadModel.from_pretrained`
and `load_gpt2` both read it.

safetensors reads the files (its memory-mapped `safe_open` and `save_file`); `transformers`
is not needed here (only `compare.py` uses it, as the reference).

Example:
    >>> model = load_gpt2("gpt2")  # into the Hugging Face cache once (548 MB), then offline
    >>> model.num_parameters()
    124439808
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from torch.overrides import TorchFunctionMode

from core.data.atomic import atomic_path, write_text_atomically
from core.gpt2.hf_config import config_from_hf, hf_config_dict, infer_config
from core.gpt2.hub import CONFIG_FILE, WEIGHTS_FILE, CheckpointFiles, resolve_checkpoint
from core.gpt2.mapping import (
    HF_PREFIX,
    GPT2CheckpointError,
    check_tensors,
    first_few,
    gpt2_tensor_maps,
)
from core.model.config import GPTConfig
from core.model.gpt import GPT


def read_shapes(files: Sequence[Path]) -> dict[str, tuple[int, tuple[int, ...]]]:
    """Stored key -> (index of its file in `files`, shape), from the headers alone (no data read)."""
    shapes: dict[str, tuple[int, tuple[int, ...]]] = {}
    for i, path in enumerate(files):
        with _open(path) as f:
            for key in f.keys():  # noqa: SIM118 (safe_open is not a dict)
                shapes[key] = (i, tuple(f.get_slice(key).get_shape()))
    return shapes


def _open(path: Path):
    try:
        return safe_open(str(path), framework="pt")
    except SafetensorError as err:
        raise GPT2CheckpointError(
            f"{path} is not a readable safetensors file ({err}): most likely a download was "
            "interrupted and the file is truncated. Delete it and download it again (for the "
            "hub cache: hf_hub_download(..., force_download=True))."
        ) from err


class _SkipRandomInit(TorchFunctionMode):
    """Inside this context the `torch.nn.init` functions do nothing.

    `GPT.__init__` draws a random value for every parameter (124M of them for GPT-2, 1.5B
    for GPT-2 XL); when a checkpoint is about to overwrite them all, that is wasted time.
    """

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if getattr(func, "__module__", None) == "torch.nn.init":
            return kwargs.get("tensor", args[0] if args else None)
        return func(*args, **kwargs)


def allocate_gpt(
    config: GPTConfig,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> GPT:
    """A GPT whose parameters have memory but no meaningful values yet: fill them before use.

    The random initialisation is skipped, and memory the model never writes is never
    touched, so this is fast and costs nothing until the parameters are filled.
    Example: allocate_gpt(GPTConfig.from_preset("gpt2"), device="meta").num_parameters() == 124_439_808
    """
    with torch.device(device), _SkipRandomInit():
        model = GPT(config)
    return model.to(dtype)


def load_gpt2(
    name_or_path: str | os.PathLike,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    dropout: float = 0.0,
    tqdm_class: type | None = None,
) -> GPT:
    """GPT-2's weights in the course's GPT, in eval mode.

    name_or_path: "gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl" (downloaded once into the
    Hugging Face cache; HF_HUB_OFFLINE=1 uses only the cache), another hub repo id, a local
    model.safetensors, or a directory written by `save_pretrained` / `save_hf`.
    tqdm_class: the download's progress bar (huggingface_hub's tqdm.auto bar when None).
    Memory: about one model's worth, plus its largest tensor while it is copied.
    Example: load_gpt2("gpt2").num_parameters() == 124_439_808
    """
    files = resolve_checkpoint(name_or_path, tqdm_class=tqdm_class)
    return load_files(files, device=device, dtype=dtype, dropout=dropout)


def load_files(
    files: CheckpointFiles,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    dropout: float = 0.0,
) -> GPT:
    """`load_gpt2` for files already on disk (`hub.resolve_checkpoint`'s answer)."""
    located = read_shapes(files.weights)  # the headers only: names and shapes
    shapes = {key: shape for key, (_, shape) in located.items()}
    if files.config is not None:
        config = _read_config(files.config, dropout)
        source = f"config.json ({files.config})"
    else:
        config, source = infer_config(shapes, dropout=dropout), "the tensors' shapes"
    # the config's sizes against the tensors' first: nothing is built from a size not backed
    plan = check_tensors(config, shapes, source)
    model = allocate_gpt(config, device=device, dtype=dtype)
    params = dict(model.named_parameters())  # the tied head appears once, as wte
    filled = [k for m in plan.values() for k in m.course_keys]
    if sorted(filled) != sorted(params):  # the mapping and core.model.gpt disagree: a bug here
        differ = sorted(set(params) ^ set(filled))
        raise RuntimeError(f"GPT-2 mapping does not cover GPT: {first_few(differ)}")
    with torch.no_grad():
        for key, m in plan.items():
            path = files.weights[located[key][0]]
            # safe_open maps the file into memory, and every page read stays mapped (and counts
            # as this process's memory) until the file is closed: opening it per tensor keeps
            # at most one tensor's pages there, so the peak stays about one model.
            with _open(path) as f:
                for name, part in zip(m.course_keys, m.to_course(f.get_tensor(key))):
                    params[name].copy_(part)
        if "lm_head.weight" in located:
            _check_tied_head(files.weights[located["lm_head.weight"][0]], params)
    return model.eval()


def _read_config(path: Path, dropout: float) -> GPTConfig:
    """config.json -> GPTConfig; any error names the file."""
    try:
        hf = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise GPT2CheckpointError(
            f"{path} is not valid JSON ({err}): it may be damaged or cut short; put back the "
            "config.json saved with the weights (or delete it to size the model from the "
            "tensors, for GPT-2's own widths)"
        ) from None
    try:
        return config_from_hf(hf, dropout=dropout)
    except GPT2CheckpointError as err:
        raise GPT2CheckpointError(f"{err} ({path})") from None


def _check_tied_head(path: Path, params: dict[str, torch.Tensor]) -> None:
    wte = params["transformer.wte.weight"]
    with _open(path) as f:
        head = f.get_tensor("lm_head.weight")
    if not torch.equal(head.to(wte), wte):
        raise GPT2CheckpointError(
            f"{path} has an lm_head.weight that differs from wte.weight: the course's GPT ties "
            "the two (as GPT-2 does), so this finetuned, untied head cannot be loaded"
        )


def save_hf(model: GPT, directory: str | os.PathLike) -> Path:
    """Write `model` as a Hugging Face GPT-2 checkpoint: config.json and model.safetensors.

    The layout is `save_pretrained`'s (a `transformer.` prefix, no lm_head), so
    `transformers.GPT2LMHeadModel.from_pretrained(directory)` and `load_gpt2(directory)` read it.
    Returns the directory.
    """
    from safetensors.torch import save_file

    if model.lm_head.weight.data_ptr() != model.transformer.wte.weight.data_ptr():
        raise ValueError("the model's lm_head is not tied to wte, so it is not a GPT-2")
    config_json = hf_config_dict(model.config)
    state = model.state_dict()
    tensors = {
        HF_PREFIX + m.hf_key: m.to_hf([state[k].detach().cpu() for k in m.course_keys])
        for m in gpt2_tensor_maps(model.config)
    }
    out = Path(directory)
    with atomic_path(out / WEIGHTS_FILE) as tmp:  # a crash leaves the old file or the new one
        save_file(tensors, str(tmp), metadata={"format": "pt"})
    write_text_atomically(out / CONFIG_FILE, json.dumps(config_json, indent=2) + "\n")
    return out
