"""Damaging checkpoints on purpose, as a bad disk, a bad copy or an older version would."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file


def rewrite_checkpoint(
    source: Path, path: Path, *, tensors: dict[str, torch.Tensor] | None = None, **changes
) -> None:
    """Copy a checkpoint to `path` (it may be `source`) with some tensors replaced and some
    fields of its JSON document changed (a value of None deletes the field)."""
    with safe_open(source, framework="pt") as handle:
        metadata = handle.metadata()
        stored = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    document = json.loads(metadata["course"])
    for key, value in changes.items():
        document[key] = value
        if value is None:
            del document[key]
    metadata = {**metadata, "course": json.dumps(document)}
    save_file({**stored, **(tensors or {})}, path, metadata=metadata)


def tensor_offset(path: Path, name: str) -> int:
    """Where a tensor's bytes start in a safetensors file (8-byte header size, header, data)."""
    raw = path.read_bytes()
    header_size = int.from_bytes(raw[:8], "little")
    start, _ = json.loads(raw[8 : 8 + header_size])[name]["data_offsets"]
    return 8 + header_size + start
