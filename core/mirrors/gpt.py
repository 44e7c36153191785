"""The whole GPT forward pass in NumPy, for the browser lessons (7-9). Torch-free.

The twin of `core.model.gpt.GPT` (a test holds their logits equal in float64). The weights are
a flat dict of arrays named and shaped as in the torch model's `state_dict()`, without the
`transformer.` prefix, so `core.model.export.numpy_weights(model)` moves a trained model here
and `.npz` files carry it to the browser:

    wte.weight (V, C)  wpe.weight (T, C)  ln_f.weight/bias (C,)
    h.{i}.ln_1.weight/bias (C,)     h.{i}.attn.c_attn.weight (3C, C), .bias (3C,)
    h.{i}.attn.c_proj.weight (C, C), .bias (C,)    h.{i}.ln_2.weight/bias (C,)
    h.{i}.mlp.c_fc.weight (4C, C), .bias (4C,)     h.{i}.mlp.c_proj.weight (C, 4C), .bias (C,)

Weights are stored as torch's `nn.Linear` keeps them, (out, in): a layer computes x @ W.T + b.
The LM head is tied to `wte` (logits = x @ wte.T), as in GPT-2.

    ids (T,) -> wte[ids] + wpe[:T] -> L x block -> layer_norm -> @ wte.T -> logits (T, V)
    block:  x = x + attention(layer_norm(x));  x = x + mlp(layer_norm(x))

Example:
    >>> model = NumpyGPT.random(vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=4)
    >>> logits, weights = model.forward([1, 2, 3])
    >>> logits.shape, weights.shape     # (T, V); (L, H, T, T): every head's attention
    ((3, 10), (1, 2, 3, 3))
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.mirrors.attention import scaled_dot_product

_erf = np.vectorize(math.erf, otypes=[np.float64])  # NumPy has no erf; Python's math does


def layer_norm(x, weight=None, bias=None, eps: float = 1e-5) -> np.ndarray:
    """(x - mean) / sqrt(var + eps) over the last axis, then * weight + bias (torch's LayerNorm:
    the biased variance, eps inside the square root)."""
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def gelu(x, kind: str = "tanh") -> np.ndarray:
    """GELU: "exact" x·Φ(x) = 0.5·x·(1 + erf(x/√2)), or "tanh", GPT-2's approximation
    0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))."""
    x = np.asarray(x, dtype=np.float64)
    if kind == "exact":
        return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))
    if kind == "tanh":
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    raise ValueError(f"gelu kind must be 'tanh' or 'exact', got {kind!r}")


def linear(x, weight, bias=None) -> np.ndarray:
    """x @ weight.T + bias, with weight (out, in) as torch's nn.Linear stores it."""
    y = np.asarray(x, dtype=np.float64) @ np.asarray(weight, dtype=np.float64).T
    return y if bias is None else y + bias


def split_heads(x: np.ndarray, n_head: int) -> np.ndarray:
    """(T, C) -> (H, T, C/H): head h gets columns h·D … (h+1)·D - 1."""
    t, c = x.shape
    if c % n_head:
        raise ValueError(f"width {c} is not divisible by {n_head} heads")
    return x.reshape(t, n_head, c // n_head).transpose(1, 0, 2)


def merge_heads(x: np.ndarray) -> np.ndarray:
    """(H, T, D) -> (T, H·D): the heads' outputs side by side (concatenation)."""
    h, t, d = x.shape
    return x.transpose(1, 0, 2).reshape(t, h * d)


def multi_head_attention(
    x,
    c_attn_weight,
    c_attn_bias,
    c_proj_weight,
    c_proj_bias,
    n_head: int,
    *,
    causal=True,
    allowed=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fused q, k, v projection, H heads of softmax(q kᵀ/√D) v, concatenated, then W_O.

    Returns (output (T, C), weights (H, T, T)).
    """
    qkv = linear(x, c_attn_weight, c_attn_bias)
    q, k, v = (split_heads(part, n_head) for part in np.split(qkv, 3, axis=-1))
    out, weights = scaled_dot_product(q, k, v, causal=causal, allowed=allowed)
    return linear(merge_heads(out), c_proj_weight, c_proj_bias), weights


def mlp(x, c_fc_weight, c_fc_bias, c_proj_weight, c_proj_bias, kind: str = "tanh"):
    """Expand to 4C, GELU, project back to C; each position on its own."""
    return linear(gelu(linear(x, c_fc_weight, c_fc_bias), kind), c_proj_weight, c_proj_bias)


@dataclass(frozen=True)
class Config:
    """The shape of a GPT (the fields of `core.model.config.GPTConfig` the forward needs)."""

    vocab_size: int
    block_size: int
    n_layer: int
    n_head: int
    n_embd: int
    gelu: str = "tanh"


def expected_shapes(config: Config) -> dict[str, tuple[int, ...]]:
    """{name: shape} of every array a GPT of this shape has (the LM head is tied to wte)."""
    c, v, t = config.n_embd, config.vocab_size, config.block_size
    shapes: dict[str, tuple[int, ...]] = {"wte.weight": (v, c), "wpe.weight": (t, c)}
    for i in range(config.n_layer):
        p = f"h.{i}."
        shapes |= {
            p + "ln_1.weight": (c,), p + "ln_1.bias": (c,),
            p + "attn.c_attn.weight": (3 * c, c), p + "attn.c_attn.bias": (3 * c,),
            p + "attn.c_proj.weight": (c, c), p + "attn.c_proj.bias": (c,),
            p + "ln_2.weight": (c,), p + "ln_2.bias": (c,),
            p + "mlp.c_fc.weight": (4 * c, c), p + "mlp.c_fc.bias": (4 * c,),
            p + "mlp.c_proj.weight": (c, 4 * c), p + "mlp.c_proj.bias": (c,),
        }  # fmt: skip
    return shapes | {"ln_f.weight": (c,), "ln_f.bias": (c,)}


class NumpyGPT:
    """A GPT's forward pass in NumPy (float64), from a dict of arrays named as above."""

    def __init__(self, config: Config, weights: dict[str, np.ndarray]) -> None:
        self.config = config
        self.weights = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
        missing = [k for k in expected_shapes(config) if k not in self.weights]
        if missing:
            raise ValueError(f"weights are missing {len(missing)} arrays, e.g. {missing[:3]}")
        wrong = {
            k: (self.weights[k].shape, shape)
            for k, shape in expected_shapes(config).items()
            if self.weights[k].shape != shape
        }
        if wrong:
            raise ValueError(f"arrays with the wrong shape (got, expected): {wrong}")

    @classmethod
    def random(cls, *, seed: int = 0, std: float = 0.02, **config) -> NumpyGPT:
        """A GPT with N(0, std²) weights, LayerNorms at (1, 0) and zero biases: untrained."""
        cfg = Config(**config)
        rng = np.random.default_rng(seed)
        weights = {}
        for name, shape in expected_shapes(cfg).items():
            if name.endswith("bias"):
                weights[name] = np.zeros(shape)
            elif ".ln_" in name or name.startswith("ln_"):
                weights[name] = np.ones(shape)
            else:
                weights[name] = rng.normal(0.0, std, shape)
        return cls(cfg, weights)

    @classmethod
    def load(cls, path) -> tuple[NumpyGPT, dict]:
        """A model saved by `core.model.export.save_npz`, and its metadata (a dict; for a
        character model `meta["chars"]` is the vocabulary, id i is chars[i])."""
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["__meta__"]))
            weights = {k: data[k] for k in data.files if k != "__meta__"}
        return cls(Config(**meta["config"]), weights), meta

    def block(self, x: np.ndarray, i: int, *, causal: bool = True, allowed=None):
        """Block i on x (T, C): returns (x after the block, its attention weights (H, T, T))."""
        w, p = self.weights, f"h.{i}."
        a, weights = multi_head_attention(
            layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"]),
            w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"],
            w[p + "attn.c_proj.weight"], w[p + "attn.c_proj.bias"],
            self.config.n_head, causal=causal, allowed=allowed,
        )  # fmt: skip
        x = x + a
        m = mlp(
            layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"]),
            w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"],
            w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"], self.config.gelu,
        )  # fmt: skip
        return x + m, weights

    def forward(self, ids, *, causal: bool = True, allowed=None) -> tuple[np.ndarray, np.ndarray]:
        """Logits (T, V) for a sequence of token ids, and every head's attention (L, H, T, T).

        causal=False removes the mask (what lesson 9's leak detector shows); a trained GPT
        never ran that way. `allowed` (T, T), True where query i may read key j, replaces
        the causal mask in every layer (lesson 9 opens one cell of it).
        """
        ids = np.asarray(ids)
        if ids.ndim != 1 or len(ids) == 0:
            raise ValueError(f"ids must be a non-empty 1-D sequence, got shape {ids.shape}")
        if len(ids) > self.config.block_size:
            raise ValueError(
                f"{len(ids)} tokens is longer than the context of {self.config.block_size}: "
                f"keep the last {self.config.block_size}"
            )
        if ids.min() < 0 or ids.max() >= self.config.vocab_size:
            raise ValueError(f"token ids must lie in 0 … {self.config.vocab_size - 1}")
        w = self.weights
        x = w["wte.weight"][ids] + w["wpe.weight"][: len(ids)]
        attention = []
        for i in range(self.config.n_layer):
            x, weights = self.block(x, i, causal=causal, allowed=allowed)
            attention.append(weights)
        x = layer_norm(x, w["ln_f.weight"], w["ln_f.bias"])
        return x @ w["wte.weight"].T, np.stack(attention)
