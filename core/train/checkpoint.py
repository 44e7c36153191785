"""Checkpoints: one safetensors file holding weights, optimizer state, RNG states and JSON.

A checkpoint is a single file, so that saving it can be atomic (core.data.atomic): it is
written to a temporary file in the same directory, flushed to disk (fsync), then renamed
over the old one (`os.replace`, atomic on POSIX and Windows). A process killed at any
moment leaves either the old checkpoint or the new one, never half of each.

Inside the file (safetensors: a JSON header, then raw tensor bytes; loading it runs no
code, unlike a pickle):

    model.<name>                  model weights; a tied weight (lm_head = wte) is stored once
    optimizer.<i>.<key>           optimizer state of parameter i (AdamW: exp_avg, exp_avg_sq, step)
    rng.<name>                    random-generator states (uint8 tensors)

and in the header's metadata, under the key "course", one JSON document:
{"format", "version", "model_config", "train_config", "step", "tied", "optimizer", "extra",
"digests"}.

Integrity: "digests" holds the SHA-256 of every tensor's bytes, checked on every load, so a
flipped bit on a disk or in a copy is an error naming the tensor, not weights that are quietly
wrong (hashing runs at about 1 GB/s: a second for GPT-2 small with its optimizer state).
Files written before digests existed still load, with a `CheckpointWarning`: refusing them
would strand the runs a learner already has, and the next save adds the digests. A checkpoint
is never written with weights or optimizer state that are not finite (NaN, inf): a run that
diverged must not replace the last good file with a broken one.

Example:
    >>> save_checkpoint(tmp / "ckpt.safetensors", model, step=100)
    >>> ckpt = load_checkpoint(tmp / "ckpt.safetensors")
    >>> ckpt.step, ckpt.model_config == model.config
    (100, True)
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from core.data.atomic import atomic_path
from core.model.config import GPTConfig

FORMAT = "llms-course-checkpoint"
VERSION = 1
META_KEY = "course"


class CheckpointError(ValueError):
    """A file that is not a readable checkpoint of this course (truncated, corrupt, foreign)."""


class CheckpointWarning(UserWarning):
    """A checkpoint loaded, but its integrity could not be checked (written before digests)."""


@dataclass
class Checkpoint:
    """What `load_checkpoint` read: enough to rebuild the model and continue training."""

    path: Path
    model_config: GPTConfig
    weights: dict[str, torch.Tensor]  # a full state dict, tied names included
    step: int = 0
    train_config: dict[str, Any] | None = None
    optimizer_state: dict[str, Any] | None = None  # torch's optimizer.state_dict() layout
    rng: dict[str, torch.Tensor] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def build_model(self, device: torch.device | str = "cpu") -> nn.Module:
        """A fresh `GPT` with these weights."""
        from core.model.gpt import GPT

        model = GPT(self.model_config)
        model.load_state_dict(self.weights)
        return model.to(device)


def digest(tensor: torch.Tensor) -> str:
    """SHA-256 of a CPU tensor's bytes, as stored in the file (row-major, native dtype)."""
    data = tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8)
    return hashlib.sha256(data.numpy()).hexdigest()


def first_non_finite(tensors: dict[str, torch.Tensor]) -> str | None:
    """The name of the first floating-point tensor holding a NaN or an inf, else None.

    min and max carry a NaN or an inf through, and are ~25x faster than `isfinite().all()`.
    """
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and tensor.numel() > 0:
            low, high = torch.aminmax(tensor)
            if not bool(low.isfinite() & high.isfinite()):
                return name
    return None


def _storage_key(t: torch.Tensor) -> tuple:
    return (t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape), t.stride())


def _split_tied(state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Keep the first name of each shared tensor; map the other names onto it."""
    kept: dict[str, torch.Tensor] = {}
    first_name: dict[tuple, str] = {}
    tied: dict[str, str] = {}
    for name, tensor in state.items():
        key = _storage_key(tensor)
        if key in first_name:
            tied[name] = first_name[key]
        else:
            first_name[key] = name
            kept[name] = tensor
    return kept, tied


def _to_json_value(value: Any, where: str) -> Any:
    try:
        json.dumps(value)
    except TypeError as err:
        raise ValueError(
            f"{where} must be JSON-serialisable to go into a checkpoint: {err}"
        ) from None
    return value


def _optimizer_parts(
    optimizer: torch.optim.Optimizer,
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    state_dict = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, entries in state_dict["state"].items():
        for key, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{index}.{key}"] = value
            else:
                scalars.setdefault(str(index), {})[key] = value
    groups = _to_json_value(state_dict["param_groups"], "optimizer param_groups")
    return tensors, {"param_groups": groups, "scalars": _to_json_value(scalars, "optimizer state")}


def save_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    step: int = 0,
    train_config: dict[str, Any] | None = None,
    rng: dict[str, torch.Tensor] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint file atomically and return its path.

    model: a `GPT` (its `config` is stored); optimizer: its full state, for resuming;
    rng: named generator states (`torch.Generator.get_state()` tensors);
    train_config, extra: JSON-serialisable dicts (training hyperparameters, history, ...).
    Raises ValueError, leaving any file at `path` as it was, if a weight or an optimizer
    state is not finite.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"checkpoint path {path} is a directory; give a file name inside it")
    if step < 0:
        raise ValueError(f"step must be >= 0 (updates done so far), got {step}")
    config = getattr(model, "config", None)
    if not isinstance(config, GPTConfig):
        raise ValueError("model must carry a GPTConfig as model.config (a core.model.gpt.GPT)")
    weights, tied = _split_tied(model.state_dict())
    tensors = {f"model.{k}": v for k, v in weights.items()}
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "model_config": config.to_dict(),
        "train_config": _to_json_value(train_config, "train_config"),
        "step": int(step),
        "tied": tied,
        "optimizer": None,
        "extra": _to_json_value(extra or {}, "extra"),
    }
    if optimizer is not None:
        optimizer_tensors, document["optimizer"] = _optimizer_parts(optimizer)
        tensors.update(optimizer_tensors)
    for name, state in (rng or {}).items():
        tensors[f"rng.{name}"] = state
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    broken = first_non_finite(tensors)
    if broken is not None:
        raise ValueError(
            f"refusing to save {path}: {broken} holds NaN or inf values (the run diverged); "
            "the file already there, if any, is left as it was"
        )
    document["digests"] = {name: digest(tensor) for name, tensor in tensors.items()}
    with atomic_path(path) as tmp:
        save_file(tensors, tmp, metadata={"format": FORMAT, META_KEY: json.dumps(document)})
    return path


def _read_document(path: Path, handle) -> dict[str, Any]:
    metadata = handle.metadata() or {}
    if metadata.get("format") != FORMAT or META_KEY not in metadata:
        raise CheckpointError(
            f"{path} is a safetensors file but not a checkpoint of this course (its metadata "
            f"has no format={FORMAT!r}); to load bare weights use safetensors.torch.load_file"
        )
    try:
        document = json.loads(metadata[META_KEY])
    except json.JSONDecodeError as err:
        raise CheckpointError(
            f"{path}: the checkpoint's JSON metadata is corrupt ({err})"
        ) from None
    if document.get("version") != VERSION:
        raise CheckpointError(
            f"{path} has checkpoint version {document.get('version')!r}; this code reads "
            f"version {VERSION}"
        )
    return document


def load_checkpoint(
    path: str | os.PathLike, map_location: str | torch.device = "cpu"
) -> Checkpoint:
    """Read a checkpoint written by `save_checkpoint`; nothing in it is executed.

    Raises FileNotFoundError if there is no file, CheckpointError if the file is truncated,
    corrupt (a tensor that does not match its digest, a negative step), or not one of this
    course's checkpoints. Warns (CheckpointWarning) if the file has no digests to check.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        with safe_open(path, framework="pt", device="cpu") as handle:
            document = _read_document(path, handle)
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    except SafetensorError as err:
        raise CheckpointError(
            f"{path} is not a readable checkpoint: it is truncated (a copy or save that did "
            f"not finish?) or not a safetensors file at all ({err})"
        ) from None
    _verify(path, document.get("digests"), tensors)
    tensors = {key: tensor.to(map_location) for key, tensor in tensors.items()}
    try:
        if not isinstance(document["step"], int) or document["step"] < 0:
            raise CheckpointError(
                f"{path} is corrupt: it says it was saved after update {document['step']!r}, "
                "which no run reaches; use another checkpoint or start a new run"
            )
        model_config = GPTConfig.from_dict(document["model_config"])
        weights = {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
        for alias, target in document["tied"].items():
            weights[alias] = weights[target]
        optimizer_state = None
        if document["optimizer"] is not None:
            optimizer_state = _rebuild_optimizer_state(document["optimizer"], tensors)
        rng = {k[len("rng.") :]: v for k, v in tensors.items() if k.startswith("rng.")}
        return Checkpoint(
            path=path,
            model_config=model_config,
            weights=weights,
            step=int(document["step"]),
            train_config=document["train_config"],
            optimizer_state=optimizer_state,
            rng=rng,
            extra=document["extra"],
        )
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{path}: the checkpoint is inconsistent ({err!r})") from None


def _verify(path: Path, digests: Any, tensors: dict[str, torch.Tensor]) -> None:
    """Check every tensor against its stored SHA-256; warn if the file predates digests."""
    if digests is None:
        warnings.warn(
            f"{path} was saved without digests (by an older version of the course), so its "
            "integrity cannot be checked; saving it again adds them",
            CheckpointWarning,
            stacklevel=3,
        )
        return
    if not isinstance(digests, dict) or set(digests) != set(tensors):
        raise CheckpointError(
            f"{path} is corrupt: its list of tensor digests does not match the tensors in it; "
            "use another checkpoint or start a new run"
        )
    for name, tensor in tensors.items():
        if digest(tensor) != digests[name]:
            raise CheckpointError(
                f"{path} is corrupt: tensor {name} does not match its stored SHA-256 (a flipped "
                "bit on the disk or in a copy?); use another checkpoint or start a new run"
            )


def _rebuild_optimizer_state(
    meta: dict[str, Any], tensors: dict[str, torch.Tensor]
) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, tensor in tensors.items():
        if key.startswith("optimizer."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = tensor
    for index, entries in meta["scalars"].items():
        state.setdefault(int(index), {}).update(entries)
    groups = []
    for group in meta["param_groups"]:
        group = dict(group)
        if isinstance(group.get("betas"), list):
            group["betas"] = tuple(group["betas"])  # JSON has no tuples
        groups.append(group)
    return {"state": state, "param_groups": groups}
