"""Causal self-attention in PyTorch, two ways, and the KV cache that makes generation fast.

Notation: B batch, T time (tokens), C channels (n_embd), H heads, D head size (C // H).
Tq is the number of query positions in this call, Tk the number of key positions they see:
Tq == Tk without a cache; Tk == cached + Tq with one.

`scaled_dot_product` is the obvious path, softmax(q kᵀ / √D) v, written out so it can return
its weights; `CausalSelfAttention` uses PyTorch's fused `scaled_dot_product_attention` by
default and that obvious path when weights are asked for. Tests hold the two equal.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from core.model.config import GPTConfig

AttnImpl = Literal["sdpa", "explicit"]


def causal_mask(t_query: int, t_key: int, device: torch.device | None = None) -> torch.Tensor:
    """Boolean (Tq, Tk) mask, True where a query may look at a key.

    The queries are the *last* Tq of the Tk positions (a KV cache holds the earlier ones),
    so query i sits at absolute position Tk - Tq + i and sees keys 0 … Tk - Tq + i.
    Example: causal_mask(2, 3) -> [[True, True, False], [True, True, True]]
    """
    if t_query > t_key:
        raise ValueError(f"more queries ({t_query}) than keys ({t_key})")
    ones = torch.ones(t_query, t_key, dtype=torch.bool, device=device)
    return torch.tril(ones, diagonal=t_key - t_query)


def scaled_dot_product(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    causal: bool = True,
    dropout_p: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q @ kᵀ / √D) @ v, returning (output, weights).

    q: (B, H, Tq, D); k, v: (B, H, Tk, D) with Tk >= Tq when a KV cache is in use.
    Returns output (B, H, Tq, D) and weights (B, H, Tq, Tk), each row summing to 1.
    Example: Tq = Tk = 3, causal -> weights[..., 0, :] == [1, 0, 0]
    """
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (B, H, Tq, Tk)
    if causal:
        mask = causal_mask(q.size(-2), k.size(-2), device=q.device)
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = F.softmax(scores, dim=-1)
    if dropout_p > 0.0:
        weights = F.dropout(weights, p=dropout_p)
    return weights @ v, weights


class KVCache:
    """Keys and values of every layer for the tokens processed so far.

    Preallocated to the model's block_size. Each attention layer calls `update` with the
    keys and values of its new tokens and gets back all keys and values up to them; the
    model calls `advance` once per forward pass. It is state passed in explicitly by the
    caller (`generate`), never hidden inside the model.
    """

    def __init__(
        self,
        n_layer: int,
        batch_size: int,
        n_head: int,
        capacity: int,
        head_size: int,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        shape = (n_layer, batch_size, n_head, capacity, head_size)
        # empty, not zeros: a position is always written before anything reads it
        self.keys = torch.empty(shape, device=device, dtype=dtype)
        self.values = torch.empty(shape, device=device, dtype=dtype)
        self.capacity = capacity
        self.length = 0

    @classmethod
    def for_model(cls, model: nn.Module, batch_size: int) -> KVCache:
        cfg: GPTConfig = model.config
        p = next(model.parameters())
        return cls(
            cfg.n_layer,
            batch_size,
            cfg.n_head,
            cfg.block_size,
            cfg.head_size,
            device=p.device,
            dtype=p.dtype,
        )

    def update(
        self, layer: int, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Store k, v (B, H, T_new, D) after the cached ones; return keys and values so far."""
        end = self.length + k.size(-2)
        if end > self.capacity:
            raise ValueError(
                f"KV cache is full: {self.length} cached + {k.size(-2)} new > capacity {self.capacity}; "
                "reset it (or crop the context) before adding more tokens"
            )
        keys, values = self.keys[layer], self.values[layer]  # (B, H, capacity, D) views
        keys[:, :, self.length : end] = k
        values[:, :, self.length : end] = v
        return keys[:, :, :end], values[:, :, :end]

    def advance(self, n: int) -> None:
        self.length += n

    def reset(self) -> None:
        self.length = 0


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention: one product gives q, k and v for every head.

    The query, key and value projections are three (C, C) matrices; as in GPT-2 and nanoGPT
    they are stored stacked in one `c_attn` (nn.Linear(C, 3C)), so one matrix product computes
    all three (faster than three on a CPU). Its weight's rows are [q; k; v]:

        c_attn.weight (3C, C) = [q_weight; k_weight; v_weight]   each (C, C), as (out, in)
        c_attn.bias (3C,)     = [q_bias | k_bias | v_bias]
        c_attn(x) (B, T, 3C)  = [q | k | v], q = x @ q_weightᵀ + q_bias = x @ W_Q + q_bias

    To read, trace or plot them one at a time, `q_weight`, `k_weight`, `v_weight` (and
    `q_bias`, …) are views of those rows, in nn.Linear's (out, in) orientation, and `W_Q`, `W_K`,
    `W_V` the same views transposed, (C_in, C_out), in the lessons' orientation: q = X @ W_Q.
    They are views, not copies: they share memory (and gradients) with `c_attn`. There is no
    setter: to change a block, write into it under `torch.no_grad()` (`attn.W_Q.copy_(w)`).

    A state dict from before the fusion (`q_proj`, `k_proj`, `v_proj`) still loads: see
    `_load_from_state_dict`.
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        C = config.n_embd
        self.n_head = config.n_head
        # q: what each token seeks; k: what it offers to be found by; v: what it contributes
        self.c_attn = nn.Linear(C, 3 * C, bias=config.bias)  # rows [q; k; v]
        self.c_proj = nn.Linear(C, C, bias=config.bias)  # mixes the heads back into the stream
        self.dropout = config.dropout  # on the attention weights and on the output, in training

    def _rows(self, tensor: torch.Tensor | None, i: int) -> torch.Tensor | None:
        C = self.c_attn.in_features
        return None if tensor is None else tensor[i * C : (i + 1) * C]

    # nn.Linear's orientation, (C_out, C_in): q = x @ q_weight.T + q_bias
    @property
    def q_weight(self) -> torch.Tensor:
        """Rows 0:C of c_attn.weight, (C, C) as (out, in): a view."""
        return self._rows(self.c_attn.weight, 0)

    @property
    def k_weight(self) -> torch.Tensor:
        """Rows C:2C of c_attn.weight, (C, C) as (out, in): a view."""
        return self._rows(self.c_attn.weight, 1)

    @property
    def v_weight(self) -> torch.Tensor:
        """Rows 2C:3C of c_attn.weight, (C, C) as (out, in): a view."""
        return self._rows(self.c_attn.weight, 2)

    @property
    def q_bias(self) -> torch.Tensor | None:
        """Entries 0:C of c_attn.bias (None without biases): a view."""
        return self._rows(self.c_attn.bias, 0)

    @property
    def k_bias(self) -> torch.Tensor | None:
        """Entries C:2C of c_attn.bias (None without biases): a view."""
        return self._rows(self.c_attn.bias, 1)

    @property
    def v_bias(self) -> torch.Tensor | None:
        """Entries 2C:3C of c_attn.bias (None without biases): a view."""
        return self._rows(self.c_attn.bias, 2)

    # The lessons' orientation, (C_in, C_out): Q = X @ W_Q (+ q_bias)
    @property
    def W_Q(self) -> torch.Tensor:
        """q_weight transposed, (C_in, C_out): X @ W_Q + q_bias are the queries. A view."""
        return self.q_weight.T

    @property
    def W_K(self) -> torch.Tensor:
        """k_weight transposed, (C_in, C_out): X @ W_K + k_bias are the keys. A view."""
        return self.k_weight.T

    @property
    def W_V(self) -> torch.Tensor:
        """v_weight transposed, (C_in, C_out): X @ W_V + v_bias are the values. A view."""
        return self.v_weight.T

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        """Accept checkpoints written before q, k, v were fused: stack their three tensors.

        `{prefix}q_proj.weight`, `k_proj.weight`, `v_proj.weight` (each (C, C)) become
        `{prefix}c_attn.weight` = their rows stacked [q; k; v], the biases likewise; the
        result is the same network, to the bit. Anything else is left to nn.Module, which
        reports missing and unexpected keys as usual.
        """
        for kind in ("weight", "bias"):
            old = [f"{prefix}{p}_proj.{kind}" for p in "qkv"]
            if all(k in state_dict for k in old) and f"{prefix}c_attn.{kind}" not in state_dict:
                state_dict[f"{prefix}c_attn.{kind}"] = torch.cat([state_dict.pop(k) for k in old])
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(
        self,
        x: torch.Tensor,
        *,
        kv_cache: KVCache | None = None,
        layer: int = 0,
        attn_impl: AttnImpl = "sdpa",
        need_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x: (B, T, C) -> (output (B, T, C), weights (B, H, T, Tk) or None)."""
        B, T, C = x.shape
        H = self.n_head

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(B, T, H, C // H).transpose(1, 2)  # (B, H, T, D)

        q, k, v = (
            heads(t) for t in self.c_attn(x).split(C, dim=2)
        )  # (B, T, 3C) -> 3 × (B, H, T, D)
        if kv_cache is not None:
            k, v = kv_cache.update(layer, k, v)  # (B, H, Tk, D), Tk = cached + T
        dropout_p = self.dropout if self.training else 0.0
        weights = None
        if need_weights or attn_impl == "explicit":
            y, weights = scaled_dot_product(q, k, v, causal=True, dropout_p=dropout_p)
        elif attn_impl == "sdpa":
            t_key = k.size(-2)
            if T == t_key:  # no cache: the usual lower-triangular mask
                y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
            elif T == 1:  # one new token sees everything cached
                y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
            else:  # several new tokens after a cache: the mask is offset, not top-left
                mask = causal_mask(T, t_key, device=x.device)
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        else:
            raise ValueError(f"attn_impl must be 'sdpa' or 'explicit', got {attn_impl!r}")
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again
        return F.dropout(self.c_proj(y), dropout_p), weights
