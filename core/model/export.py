"""A trained GPT as NumPy arrays, for the browser lessons' NumPy forward (`core.mirrors.gpt`).

    numpy_weights(model)  {name: array} in the mirror's naming: the torch state dict without
                          the `transformer.` prefix and without the tied `lm_head.weight`
    save_npz(model, path, **meta)  those arrays and a JSON metadata record (the model's shape
                          under "config", plus whatever the caller adds: a character model's
                          vocabulary as `chars`, the run that trained it) in one .npz, written
                          atomically; `core.mirrors.gpt.NumpyGPT.load` reads it back

Example:
    >>> model = GPT(GPTConfig.from_preset("tiny"))
    >>> sorted(numpy_weights(model))[:2]
    ['h.0.attn.c_attn.bias', 'h.0.attn.c_attn.weight']
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from core.data.atomic import atomic_path
from core.mirrors.gpt import Config, expected_shapes
from core.model.config import GPTConfig
from core.model.gpt import GPT


def mirror_config(config: GPTConfig) -> Config:
    """The NumPy mirror's Config for a GPTConfig (biases are required there)."""
    if not config.bias:
        raise ValueError("the NumPy mirror needs a model with biases (GPTConfig.bias=True)")
    return Config(
        vocab_size=config.vocab_size, block_size=config.block_size, n_layer=config.n_layer,
        n_head=config.n_head, n_embd=config.n_embd, gelu=config.gelu,
    )  # fmt: skip


@torch.no_grad()
def numpy_weights(model: GPT, dtype=np.float32) -> dict[str, np.ndarray]:
    """The model's weights as NumPy arrays named as `core.mirrors.gpt` expects."""
    state = model.state_dict()
    out = {}
    for name in expected_shapes(mirror_config(model.config)):
        out[name] = state["transformer." + name].detach().cpu().numpy().astype(dtype)
    return out


def save_npz(model: GPT, path, **meta) -> Path:
    """Write the model for the browser: float32 arrays plus a `__meta__` JSON record."""
    record = {"config": mirror_config(model.config).__dict__, **meta}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, __meta__=np.array(json.dumps(record)), **numpy_weights(model))
    return path
