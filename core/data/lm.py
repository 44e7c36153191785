"""Language-modelling text: one token stream, split into training and validation.

- `shakespeare_char()`, `shakespeare_gpt2()`: Tiny Shakespeare as character or GPT-2 BPE ids,
  the first 90% for training and the last 10% for validation (`TokenSplits`).
- `random_windows(...)`: a batch of (x, y) windows drawn with a `torch.Generator`.

Notation: B batch, T block size. A window of T+1 consecutive tokens gives an input x and
the target y = x shifted left by one: at every position the model predicts the next token.

    tokens: 5 9 2 7 3 ...      x = [5, 9, 2, 7]
                               y = [9, 2, 7, 3]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass
class TokenSplits:
    """A 1-D token stream split once into train and validation parts, with its decoder."""

    train: torch.Tensor  # (N_train,) long
    val: torch.Tensor  # (N_val,) long
    vocab_size: int
    decode: Callable[[list[int]], str]
    encode: Callable[[str], list[int]]

    def __post_init__(self) -> None:
        """Token ids are checked here, where they enter, once: nothing downstream checks
        them again (the model's forward pass does not, to avoid a host sync per call)."""
        for name in ("train", "val"):
            part = getattr(self, name)
            if not isinstance(part, torch.Tensor) or part.dim() != 1 or part.is_floating_point():
                raise ValueError(f"TokenSplits.{name} must be a 1-D tensor of integer token ids")
            if len(part) == 0:
                continue
            lo, hi = int(part.min()), int(part.max())
            if lo < 0 or hi >= self.vocab_size:
                raise ValueError(
                    f"TokenSplits.{name} holds token ids from {lo} to {hi}, outside "
                    f"[0, vocab_size={self.vocab_size}): encode with the tokenizer whose "
                    f"vocabulary this is, or pass its vocab_size (at least {hi + 1})"
                )

    @classmethod
    def from_ids(
        cls,
        ids: list[int] | torch.Tensor,
        vocab_size: int,
        *,
        encode: Callable[[str], list[int]],
        decode: Callable[[list[int]], str],
        val_fraction: float = 0.1,
    ) -> TokenSplits:
        """The first (1 - val_fraction) of the stream trains, the rest validates (no shuffling:
        neighbouring windows overlap, so a random split would leak validation text).

        Every id must lie in [0, vocab_size); a ValueError names the range found otherwise.
        Example: from_ids(range(10), 10, ...) -> train [0..8], val [9]
        """
        if not 0.0 < val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
        data = torch.as_tensor(ids, dtype=torch.long)
        n = int(len(data) * (1 - val_fraction))
        return cls(data[:n], data[n:], vocab_size, decode, encode)


def random_windows(
    tokens: torch.Tensor,
    batch_size: int,
    block_size: int,
    generator: torch.Generator,
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """B random windows from `tokens`: x (B, T) and y (B, T), y shifted by one.

    Starting points are drawn from `generator` (never the global RNG), so a seed fixes them.
    """
    if len(tokens) <= block_size:
        raise ValueError(
            f"need more than block_size={block_size} tokens to cut a window, got {len(tokens)}"
        )
    starts = torch.randint(len(tokens) - block_size, (batch_size,), generator=generator)
    offsets = torch.arange(block_size)
    x = tokens[starts[:, None] + offsets]  # (B, T)
    y = tokens[starts[:, None] + offsets + 1]  # (B, T)
    return x.to(device), y.to(device)


def shakespeare_char(val_fraction: float = 0.1) -> TokenSplits:
    """Tiny Shakespeare as character ids (65 symbols), first 90% train, last 10% validation."""
    from core.data.files import fetch
    from core.tokenize import CharTokenizer

    text = fetch("tinyshakespeare").read_text(encoding="utf-8")
    tok = CharTokenizer.from_text(text)
    return TokenSplits.from_ids(
        tok.encode(text),
        tok.vocab_size,
        encode=tok.encode,
        decode=tok.decode,
        val_fraction=val_fraction,
    )


def shakespeare_gpt2(val_fraction: float = 0.1) -> TokenSplits:
    """Tiny Shakespeare as GPT-2 BPE ids (338,025 tokens, vocabulary 50,257), split 90/10.

    Encoded by `core.tokenize.BPETokenizer.from_gpt2()` (ids equal tiktoken's `gpt2`).
    """
    from core.data.files import fetch
    from core.tokenize import BPETokenizer

    text = fetch("tinyshakespeare").read_text(encoding="utf-8")
    tok = BPETokenizer.from_gpt2()
    return TokenSplits.from_ids(
        tok.encode_ordinary(text),
        tok.vocab_size,
        encode=tok.encode,
        decode=tok.decode,
        val_fraction=val_fraction,
    )
