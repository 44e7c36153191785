"""The shape of a GPT: `GPTConfig` and its named presets.

Field names follow GPT-2's own checkpoint config (`n_layer`, `n_head`, `n_embd`,
`block_size`, `vocab_size`), so a Hugging Face GPT-2 maps onto it field by field.

Example:
    >>> cfg = GPTConfig.from_preset("gpt2")
    >>> cfg.n_layer, cfg.n_head, cfg.n_embd, cfg.head_size
    (12, 12, 768, 64)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from core.tokenize.gpt2_files import GPT2_VOCAB_SIZE  # torch-free: the one definition

GELU_FORMS = ("tanh", "exact")


@dataclass(frozen=True)
class GPTConfig:
    """Hyperparameters of a decoder-only transformer.

    vocab_size: number of token ids (50257 for GPT-2's tokenizer, 65 for Tiny Shakespeare's characters)
    block_size: the longest context the model can see (its number of learned positions)
    n_layer:    transformer blocks stacked
    n_head:     attention heads per block; each has head_size = n_embd // n_head dimensions
    n_embd:     width of the residual stream (the embedding dimension C)
    dropout:    dropout probability during training, in [0, 1)
    bias:       whether Linear and LayerNorm layers have biases (GPT-2: True)
    gelu:       the MLP's GELU, "tanh" or "exact":
                  "tanh"  GPT-2's approximation, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)));
                          GPT-2's weights were trained with it, so they need it
                  "exact" x·Φ(x) = 0.5·x·(1 + erf(x/√2)), nanoGPT's; ~1.5x faster in PyTorch on
                          the course's CPUs, so the from-scratch presets use it
                A NumPy twin of an "exact" model needs erf, which NumPy lacks:
                `np.vectorize(math.erf)` (Python's math.erf, one number at a time).
    """

    vocab_size: int
    block_size: int
    n_layer: int
    n_head: int
    n_embd: int
    dropout: float = 0.0
    bias: bool = True
    gelu: str = "tanh"

    def __post_init__(self) -> None:
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"GPTConfig.{name} must be an int, got {value!r}")
            if value <= 0:
                raise ValueError(f"GPTConfig.{name} must be positive, got {value}")
        if self.n_embd % self.n_head != 0:
            raise ValueError(
                f"GPTConfig.n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head}): "
                f"each head gets n_embd // n_head dimensions"
            )
        if not isinstance(self.dropout, int | float) or not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"GPTConfig.dropout must be in [0, 1), got {self.dropout!r}")
        if not isinstance(self.bias, bool):
            raise ValueError(f"GPTConfig.bias must be True or False, got {self.bias!r}")
        if self.gelu not in GELU_FORMS:
            raise ValueError(
                f"GPTConfig.gelu must be one of {GELU_FORMS} (GPT-2's tanh approximation or the "
                f"exact erf form), got {self.gelu!r}"
            )

    @property
    def head_size(self) -> int:
        """D, the width of one attention head."""
        return self.n_embd // self.n_head

    def replace(self, **changes: Any) -> GPTConfig:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GPTConfig:
        """Build from a dict, rejecting unknown keys (a typo fails here, not later).

        A dict written before `gelu` existed gets "tanh", what every model then was built with.
        """
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown GPTConfig fields {unknown}; known fields: {sorted(known)}")
        return cls(**data)

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> GPTConfig:
        """A named preset (see `PRESETS`), optionally with fields overridden."""
        try:
            base = PRESETS[name]
        except KeyError:
            raise ValueError(
                f"unknown GPTConfig preset {name!r}; choose one of {sorted(PRESETS)}"
            ) from None
        return replace(base, **overrides) if overrides else base


GPT2_BLOCK_SIZE = 1024

PRESETS: dict[str, GPTConfig] = {
    # The four GPT-2 sizes (OpenAI, 2019). Parameter counts with the tied LM head.
    "gpt2": GPTConfig(GPT2_VOCAB_SIZE, GPT2_BLOCK_SIZE, n_layer=12, n_head=12, n_embd=768),  # 124M
    "gpt2-medium": GPTConfig(GPT2_VOCAB_SIZE, GPT2_BLOCK_SIZE, 24, 16, 1024),  # 355M
    "gpt2-large": GPTConfig(GPT2_VOCAB_SIZE, GPT2_BLOCK_SIZE, 36, 20, 1280),  # 774M
    "gpt2-xl": GPTConfig(GPT2_VOCAB_SIZE, GPT2_BLOCK_SIZE, 48, 25, 1600),  # 1558M
    # Small models that train on a laptop CPU (character-level Tiny Shakespeare: 65 symbols),
    # from scratch, so with the exact GELU, as nanoGPT trains them.
    "shakespeare-char-cpu": GPTConfig(65, 64, n_layer=4, n_head=4, n_embd=128, gelu="exact"),
    "shakespeare-char": GPTConfig(
        65, 256, n_layer=6, n_head=6, n_embd=384, dropout=0.2, gelu="exact"
    ),
    # Tiny shapes for tests and for tracing by hand.
    "tiny": GPTConfig(vocab_size=64, block_size=16, n_layer=2, n_head=2, n_embd=16),
}
PRESETS["gpt2-124m"] = PRESETS["gpt2"]
PRESETS["gpt2-355m"] = PRESETS["gpt2-medium"]
PRESETS["gpt2-774m"] = PRESETS["gpt2-large"]
PRESETS["gpt2-1558m"] = PRESETS["gpt2-xl"]


def count_parameters(config: GPTConfig, *, include_position_embeddings: bool = True) -> int:
    """Parameters of `GPT(config)` computed from the shape alone (nothing is allocated).

    The LM head is tied to the token embedding, so it adds nothing.
    Example: count_parameters(GPTConfig.from_preset("gpt2")) == 124_439_808
    """
    C, V, L, T = config.n_embd, config.vocab_size, config.n_layer, config.block_size
    b = 1 if config.bias else 0
    layer_norm = C + b * C  # weight (+ bias)
    attention = 4 * (C * C + b * C)  # q, k, v (one fused c_attn) and the output projection
    mlp = (C * 4 * C + b * 4 * C) + (4 * C * C + b * C)
    per_block = 2 * layer_norm + attention + mlp
    total = V * C + L * per_block + layer_norm  # token embedding, blocks, final LayerNorm
    if include_position_embeddings:
        total += T * C
    return total
