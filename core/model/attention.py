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
    """Multi-head causal self-attention with separate query, key and value projections.

    GPT-2 stores q, k and v fused in one `c_attn` matrix; they are kept apart here so each
    can be read, traced and targeted (by LoRA, later) on its own.
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        C = config.n_embd
        self.n_head = config.n_head
        self.q_proj = nn.Linear(C, C, bias=config.bias)  # what each token seeks
        self.k_proj = nn.Linear(C, C, bias=config.bias)  # what each token offers to be found by
        self.v_proj = nn.Linear(C, C, bias=config.bias)  # what each token contributes when found
        self.c_proj = nn.Linear(C, C, bias=config.bias)  # mixes the heads back into the stream
        self.dropout = config.dropout  # on the attention weights and on the output, in training

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

        q, k, v = heads(self.q_proj(x)), heads(self.k_proj(x)), heads(self.v_proj(x))
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
