"""The GPT: token and position embeddings, a stack of pre-LayerNorm blocks, a tied LM head.

Notation: B batch, T time, C channels (n_embd), H heads, D head size, V vocab, L layers.

    idx (B, T) ─ wte + wpe ─> x (B, T, C) ─ L × Block ─> ln_f ─> lm_head ─> logits (B, T, V)

    Block:  x = x + attn(ln_1(x))     attention reads from other positions
            x = x + mlp(ln_2(x))      the MLP works on each position alone

Module names and layouts follow GPT-2's checkpoint (`transformer.h.0.ln_1`, `…attn.c_attn`,
`…mlp.c_fc`, …), so a GPT-2 tensor maps onto ours with at most a transpose. q, k and v come out
of one fused `attn.c_attn`; `attn.W_Q`, `attn.W_K`, `attn.W_V` show its three blocks as views.

The MLP's GELU is `config.gelu`: "tanh" (GPT-2's approximation; its weights need it) or "exact"
(x·Φ(x), with erf; the from-scratch presets use it, as nanoGPT does). A NumPy twin of the
forward (the browser lessons' mirrors) must follow the config: the tanh form is plain NumPy,
the exact form needs erf, which NumPy lacks: `np.vectorize(math.erf)` (Python's `math.erf`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from core.model.attention import AttnImpl, CausalSelfAttention, KVCache
from core.model.config import GPTConfig

INIT_STD = 0.02  # GPT-2's initialisation scale


class MLP(nn.Module):
    """Position-wise feed-forward network: C -> 4C -> GELU -> C."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        # GPT-2 used the tanh approximation; "exact" is x·Φ(x) (see GPTConfig.gelu)
        self.gelu = nn.GELU(approximate="tanh" if config.gelu == "tanh" else "none")
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = config.dropout  # in training only

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.dropout(self.c_proj(self.gelu(self.c_fc(x))), self.dropout, self.training)


class Block(nn.Module):
    """One transformer block, pre-LayerNorm as in GPT-2: normalise, transform, add back."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor, **attn_kwargs) -> tuple[torch.Tensor, torch.Tensor | None]:
        a, weights = self.attn(self.ln_1(x), **attn_kwargs)
        x = x + a  # the residual stream carries x forward; attention adds to it
        x = x + self.mlp(self.ln_2(x))
        return x, weights


class GPT(nn.Module):
    """A GPT-2-style language model.

    Example:
        >>> model = GPT(GPTConfig.from_preset("tiny"))
        >>> logits, loss = model(torch.zeros(1, 5, dtype=torch.long))
        >>> logits.shape, loss
        (torch.Size([1, 5, 64]), None)
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        if not isinstance(config, GPTConfig):
            raise TypeError(f"GPT needs a GPTConfig, got {type(config).__name__}")
        self.config = config
        self.transformer = nn.ModuleDict(
            {
                "wte": nn.Embedding(config.vocab_size, config.n_embd),  # token -> vector
                "wpe": nn.Embedding(config.block_size, config.n_embd),  # position -> vector
                "h": nn.ModuleList(Block(config) for _ in range(config.n_layer)),
                "ln_f": nn.LayerNorm(config.n_embd, bias=config.bias),
            }
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # Weight tying: reading a token in and writing it out use the same matrix.
        self.lm_head.weight = self.transformer.wte.weight
        self.apply(self._init_weights)
        # Each block adds two projections into the residual stream; scaling them by
        # 1/sqrt(2·n_layer) keeps the stream's variance from growing with depth (GPT-2 paper).
        for name, param in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(param, mean=0.0, std=INIT_STD / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=INIT_STD)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=INIT_STD)

    def num_parameters(self, *, include_position_embeddings: bool = True) -> int:
        """Number of parameters (the tied LM head counted once)."""
        n = sum(p.numel() for p in self.parameters())  # parameters() yields shared ones once
        if not include_position_embeddings:
            n -= self.transformer.wpe.weight.numel()
        return n

    def _check_idx(self, idx: torch.Tensor, start: int) -> None:
        """Shape, dtype and length: what can be checked without reading the ids (no host sync).

        The ids' values are checked where they enter: `generate` checks its prompt, the
        tokenizers and data sets produce ids in range. An id out of range reaching the model
        raises nn.Embedding's IndexError on CPU (a device-side assert on CUDA).
        """
        if not isinstance(idx, torch.Tensor) or idx.dim() != 2:
            shape = tuple(idx.shape) if isinstance(idx, torch.Tensor) else type(idx).__name__
            raise ValueError(f"idx must be a (batch, time) tensor of token ids, got {shape}")
        if idx.dtype not in (torch.long, torch.int32, torch.int16, torch.uint8):
            raise ValueError(f"idx must hold integer token ids, got dtype {idx.dtype}")
        T = idx.size(1)
        if T == 0:
            raise ValueError("idx is empty: give at least one token")
        if start + T > self.config.block_size:
            where = f" after {start} cached tokens" if start else ""
            raise ValueError(
                f"sequence of {T} tokens{where} is longer than the model's context "
                f"(block_size={self.config.block_size}); crop it to the last "
                f"{self.config.block_size - start} tokens"
            )

    def forward(
        self,
        idx: torch.Tensor,
        targets: torch.Tensor | None = None,
        *,
        kv_cache: KVCache | None = None,
        attn_impl: AttnImpl = "sdpa",
        return_attention: bool = False,
    ):
        """Run the model.

        idx: (B, T) token ids; targets: (B, T) next-token ids (-100 = ignore) or None.
        Returns (logits (B, T, V), loss or None); with return_attention=True also the
        attention weights of every layer and head, (L, B, H, T, Tk), as a third element.
        kv_cache: keys/values of earlier tokens (see `core.model.generate`); positions continue
        from `kv_cache.length`.
        """
        start = kv_cache.length if kv_cache is not None else 0
        self._check_idx(idx, start)
        T = idx.size(1)
        pos = torch.arange(start, start + T, device=idx.device)  # (T,)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B, T, C)
        x = F.dropout(x, self.config.dropout, self.training)
        attentions = []
        for i, block in enumerate(self.transformer.h):
            x, weights = block(
                x, kv_cache=kv_cache, layer=i, attn_impl=attn_impl, need_weights=return_attention
            )
            if return_attention:
                attentions.append(weights)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)  # (B, T, V)
        if kv_cache is not None:
            kv_cache.advance(T)
        loss = None
        if targets is not None:
            if targets.shape != idx.shape:
                raise ValueError(
                    f"targets shape {tuple(targets.shape)} must equal idx shape {tuple(idx.shape)}"
                )
            loss = F.cross_entropy(
                logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-100
            )
        if return_attention:
            return logits, loss, torch.stack(attentions)
        return logits, loss
