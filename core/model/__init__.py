"""The GPT itself, in PyTorch.

config.py     GPTConfig (validated) and its presets: the GPT-2 sizes, the Shakespeare
              models, a tiny one; count_parameters from the shape alone
attention.py  causal self-attention written out and through fused SDPA; the KV cache
gpt.py        MLP, Block, GPT (plain nn.Linear layers, attention weights on request)
generate.py   generate() with or without the KV cache, and the sampling filters
export.py     a GPT's weights as NumPy arrays / an .npz for core.mirrors.gpt (the browser)
"""

from core.model.attention import CausalSelfAttention, KVCache, causal_mask, scaled_dot_product
from core.model.config import PRESETS, GPTConfig, count_parameters
from core.model.generate import filter_logits, generate, sample_next
from core.model.gpt import GPT

__all__ = [
    "GPT",
    "PRESETS",
    "CausalSelfAttention",
    "GPTConfig",
    "KVCache",
    "causal_mask",
    "count_parameters",
    "filter_logits",
    "generate",
    "sample_next",
    "scaled_dot_product",
]
