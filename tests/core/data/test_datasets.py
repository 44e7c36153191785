"""core.data.lm and core.data.spam: Tiny Shakespeare token streams, random windows, the balanced spam split."""

from __future__ import annotations

from collections import Counter

import pytest
import torch

from core.data.files import fetch
from core.data.lm import TokenSplits, random_windows, shakespeare_char, shakespeare_gpt2
from core.data.spam import HAM, SPAM, LabeledTexts, read_sms_spam, spam_splits
from core.tokenize import tiktoken_gpt2


@pytest.fixture(scope="module")
def shakespeare_text() -> str:
    return fetch("tinyshakespeare").read_text(encoding="utf-8")


def test_shakespeare_char(shakespeare_text):
    splits = shakespeare_char()
    assert splits.vocab_size == 65
    assert (len(splits.train), len(splits.val)) == (1_003_854, 111_540)  # 90% of 1,115,394
    assert splits.train.dtype == torch.long
    assert splits.decode(splits.train[:14].tolist()) == "First Citizen:"
    assert splits.decode(torch.cat([splits.train, splits.val]).tolist()) == shakespeare_text


def test_shakespeare_gpt2(shakespeare_text):
    splits = shakespeare_gpt2()
    assert splits.vocab_size == 50257
    assert (len(splits.train), len(splits.val)) == (304_222, 33_803)  # 90% of 338,025
    stream = torch.cat([splits.train, splits.val]).tolist()
    assert stream == tiktoken_gpt2().encode_ordinary(shakespeare_text)
    assert splits.decode(stream) == shakespeare_text
    assert splits.encode("First Citizen:") == stream[:3] == [5962, 22307, 25]


def test_split_is_first_part_train_last_part_validation():
    splits = TokenSplits.from_ids(list(range(100)), 100, encode=list, decode=str)
    assert splits.train.tolist() == list(range(90)) and splits.val.tolist() == list(range(90, 100))
    quarter = TokenSplits.from_ids(list(range(8)), 8, encode=list, decode=str, val_fraction=0.25)
    assert len(quarter.val) == 2
    with pytest.raises(ValueError, match="val_fraction"):
        TokenSplits.from_ids([1, 2], 3, encode=list, decode=str, val_fraction=1.0)


def test_token_ids_are_checked_where_they_enter():
    # The model does not check ids in its forward pass (a host sync per call): TokenSplits does.
    with pytest.raises(ValueError, match=r"ids from 0 to 70, outside \[0, vocab_size=65\)"):
        TokenSplits.from_ids([0, 5, 70, 3] * 10, 65, encode=list, decode=str)
    with pytest.raises(ValueError, match="at least 71"):
        TokenSplits.from_ids([1] * 9 + [70], 65, encode=list, decode=str)  # only in val
    with pytest.raises(ValueError, match="from -1 to 3"):
        TokenSplits.from_ids([-1, 2, 3] * 10, 65, encode=list, decode=str)
    with pytest.raises(ValueError, match="integer token ids"):
        TokenSplits(torch.zeros(4), torch.zeros(2, dtype=torch.long), 65, str, list)
    ok = TokenSplits.from_ids(torch.arange(65), 65, encode=list, decode=str)
    assert int(ok.val.max()) == 64


def test_random_windows_are_shifted_contiguous_slices():
    tokens = torch.arange(1000)
    x, y = random_windows(tokens, 16, 8, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (16, 8)
    assert torch.equal(y, x + 1)  # y is x shifted by one
    assert torch.equal(x - x[:, :1], torch.arange(8).expand(16, 8))  # each row is contiguous
    assert int(y.max()) <= 999 and int(x.min()) >= 0
    again, _ = random_windows(tokens, 16, 8, torch.Generator().manual_seed(0))
    other, _ = random_windows(tokens, 16, 8, torch.Generator().manual_seed(1))
    assert torch.equal(x, again) and not torch.equal(x, other)


def test_random_windows_reach_both_ends_and_need_enough_tokens():
    tokens = torch.arange(10)
    x, y = random_windows(tokens, 500, 9, torch.Generator().manual_seed(0))
    assert set(x[:, 0].tolist()) == {0} and int(y[:, -1].max()) == 9  # the only window
    with pytest.raises(ValueError, match="block_size=10"):
        random_windows(tokens, 1, 10, torch.Generator())


def test_random_windows_leave_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    random_windows(torch.arange(100), 4, 5, torch.Generator().manual_seed(7))
    assert torch.equal(torch.rand(3), expected)


# ------------------------------------------------------------------------------------- spam


def test_read_sms_spam():
    data = read_sms_spam()
    assert len(data) == 5574
    assert Counter(data.labels) == {HAM: 4827, SPAM: 747}
    assert data.texts[0].startswith("Go until jurong point")
    assert data.labels[:3] == [HAM, HAM, SPAM]
    with pytest.raises(ValueError, match="line 2 is not 'ham<TAB>text'"):
        read_sms_spam("ham\tfine\nspam no tab here\n")


def test_spam_splits_are_balanced_disjoint_and_reproducible():
    data = read_sms_spam()
    splits = spam_splits(seed=0, data=data)
    sizes = {name: len(getattr(splits, name)) for name in ("train", "val", "test")}
    assert sizes == {"train": 1046, "val": 150, "test": 298}
    for part in (splits.train, splits.val, splits.test):
        assert 2 * sum(part.labels) == len(part)  # exactly half spam
        assert part.labels != sorted(part.labels)  # classes mixed, not ham then spam
    together = Counter()
    for part in (splits.train, splits.val, splits.test):
        together.update(zip(part.texts, part.labels))
    everything = Counter(zip(data.texts, data.labels))
    assert not together - everything  # drawn from the data, no message used twice
    assert sum(n for (_, label), n in together.items() if label == SPAM) == 747  # all spam
    again = spam_splits(seed=0, data=data)
    other = spam_splits(seed=1, data=data)
    assert again == splits and other.train.texts != splits.train.texts


def test_spam_splits_validate_fractions_and_classes():
    with pytest.raises(ValueError, match="leave something to train on"):
        spam_splits(val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ValueError, match="one message of each class"):
        spam_splits(data=LabeledTexts(["a", "b"], [HAM, HAM]))
    with pytest.raises(ValueError, match="differ in length"):
        LabeledTexts(["a"], [])
