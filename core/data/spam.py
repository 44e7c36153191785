"""The SMS Spam Collection: short texts with a label, for the classification-finetuning lesson.

`spam_splits(seed)` gives balanced train/val/test sets (half spam, half ham in each).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

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

    `text`: the file's contents (lines "ham<TAB>message"); by default read via core.data.files.
    """
    if text is None:
        from core.data.files import fetch

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
