"""Training data: token streams for language modelling, and labelled texts for classification.

- `shakespeare_char()`, `shakespeare_gpt2()`: Tiny Shakespeare as character or GPT-2 BPE ids,
  the first 90% for training and the last 10% for validation (`TokenSplits`).
- `random_windows(...)`: a batch of (x, y) windows drawn with a `torch.Generator`.
- `spam_splits(seed)`: the SMS Spam Collection as balanced train/val/test sets.

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
        neighbouring windows overlap, so a random split would leak validation text)."""
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
    from core.data import fetch
    from core.tokenizer import CharTokenizer

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

    Encoded by `core.tokenizer.BPETokenizer.from_gpt2()` (ids equal tiktoken's `gpt2`).
    """
    from core.data import fetch
    from core.tokenizer import BPETokenizer

    text = fetch("tinyshakespeare").read_text(encoding="utf-8")
    tok = BPETokenizer.from_gpt2()
    return TokenSplits.from_ids(
        tok.encode_ordinary(text),
        tok.vocab_size,
        encode=tok.encode,
        decode=tok.decode,
        val_fraction=val_fraction,
    )


# ---------------------------------------------------------------------------------------------
# The SMS Spam Collection: texts with a label, for the classification-finetuning lessons

HAM, SPAM = 0, 1
SPAM_LABELS = {"ham": HAM, "spam": SPAM}


@dataclass(frozen=True)
class LabeledTexts:
    """Parallel lists: texts[i] has the class labels[i] (HAM = 0, SPAM = 1)."""

    texts: list[str]
    labels: list[int]

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(
                f"texts and labels differ in length ({len(self.texts)} vs {len(self.labels)})"
            )

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class SpamSplits:
    """Balanced train / validation / test sets: half spam, half ham in each."""

    train: LabeledTexts
    val: LabeledTexts
    test: LabeledTexts


def read_sms_spam(text: str | None = None) -> LabeledTexts:
    """All 5,574 messages of the SMS Spam Collection (4,827 ham, 747 spam), in file order.

    `text`: the file's contents (lines "ham<TAB>message"); by default read via core.data.
    """
    if text is None:
        from core.data import fetch

        text = fetch("sms-spam").read_text(encoding="utf-8")
    texts, labels = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        label, sep, message = line.partition("\t")
        if not sep or label not in SPAM_LABELS:
            raise ValueError(f"line {number} is not 'ham<TAB>text' or 'spam<TAB>text': {line!r}")
        texts.append(message)
        labels.append(SPAM_LABELS[label])
    return LabeledTexts(texts, labels)


def spam_splits(
    seed: int = 0,
    *,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    data: LabeledTexts | None = None,
) -> SpamSplits:
    """A balanced split of the SMS Spam Collection that `seed` reproduces.

    Every spam message is kept and as many ham messages are drawn at random (747 + 747); each
    class is then cut into train / val / test by the fractions (test and val rounded, train
    the rest), so each set is exactly half spam. Within a set the order is shuffled. All draws
    come from a `torch.Generator` seeded with `seed`, never the global RNG.

    Example: spam_splits(0) -> train 1,046, val 150, test 298 messages.
    """
    if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(
            f"val_fraction={val_fraction} and test_fraction={test_fraction} must be in (0, 1) "
            "and leave something to train on"
        )
    data = read_sms_spam() if data is None else data
    g = torch.Generator().manual_seed(seed)
    by_class = {c: [i for i, label in enumerate(data.labels) if label == c] for c in (HAM, SPAM)}
    n = min(len(idx) for idx in by_class.values())
    if n == 0:
        raise ValueError("the data needs at least one message of each class")
    n_test, n_val = round(n * test_fraction), round(n * val_fraction)
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for c in (HAM, SPAM):
        idx = by_class[c]
        chosen = [idx[k] for k in torch.randperm(len(idx), generator=g)[:n].tolist()]
        parts["test"] += chosen[:n_test]
        parts["val"] += chosen[n_test : n_test + n_val]
        parts["train"] += chosen[n_test + n_val :]

    def subset(indices: list[int]) -> LabeledTexts:
        order = torch.randperm(len(indices), generator=g).tolist()
        picked = [indices[k] for k in order]
        return LabeledTexts([data.texts[i] for i in picked], [data.labels[i] for i in picked])

    return SpamSplits(subset(parts["train"]), subset(parts["val"]), subset(parts["test"]))
