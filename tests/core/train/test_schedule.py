"""The learning-rate schedule: warmup reaches the peak, cosine reaches the floor, monotone between."""

from __future__ import annotations

import itertools
import math

import pytest

from core.train.schedule import lr_at

PEAK, FLOOR, WARMUP, END = 1e-3, 1e-4, 100, 2000


def lr(step: int) -> float:
    return lr_at(step, max_lr=PEAK, min_lr=FLOOR, warmup_steps=WARMUP, decay_steps=END)


def test_end_of_warmup_is_the_peak_and_end_of_decay_is_the_floor():
    assert lr(WARMUP) == PEAK
    assert lr(END) == FLOOR
    assert lr(END + 1) == FLOOR
    assert lr(10 * END) == FLOOR


def test_warmup_is_linear_from_above_zero():
    assert lr(0) == pytest.approx(PEAK / (WARMUP + 1))
    assert lr(49) == pytest.approx(PEAK * 50 / 101)
    rises = [lr(s + 1) - lr(s) for s in range(WARMUP - 1)]
    assert all(d == pytest.approx(PEAK / (WARMUP + 1)) for d in rises)


def test_cosine_is_halfway_at_the_midpoint_and_follows_the_formula():
    mid = (WARMUP + END) // 2  # 1050: progress exactly 0.5
    assert lr(mid) == pytest.approx((PEAK + FLOOR) / 2, rel=1e-12)
    quarter = WARMUP + (END - WARMUP) // 4  # progress 0.25
    expected = FLOOR + 0.5 * (1 + math.cos(math.pi / 4)) * (PEAK - FLOOR)
    assert lr(quarter) == pytest.approx(expected, rel=1e-12)


def test_decay_is_strictly_decreasing_and_stays_between_floor_and_peak():
    values = [lr(s) for s in range(WARMUP, END + 1)]
    assert all(a > b for a, b in itertools.pairwise(values))
    assert all(FLOOR <= v <= PEAK for v in values)


def test_no_warmup_starts_at_the_peak():
    assert lr_at(0, max_lr=PEAK, min_lr=FLOOR, warmup_steps=0, decay_steps=10) == PEAK


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"step": -1}, "step"),
        ({"warmup_steps": 200, "decay_steps": 100}, "decay_steps"),
        ({"min_lr": 2e-3}, "min_lr"),
        ({"warmup_steps": -5}, "warmup_steps"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, message):
    args = {"step": 0, "max_lr": PEAK, "min_lr": FLOOR, "warmup_steps": WARMUP, "decay_steps": END}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        lr_at(**args)
