"""core.train.lesson_model: a quick, seeded lesson model, read back by the lessons' loader."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.course.lesson_model import SHAKESPEARE_CHARS, from_file
from core.train.lesson_model import main, make_lesson_model

STEPS = 30


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    return make_lesson_model(tmp_path_factory.mktemp("lm") / "m.npz", steps=STEPS, seed=0)


def test_quick_model_learns_and_records_its_run(quick):
    lm = from_file(quick)
    meta = lm.meta
    assert lm.trained and lm.chars == SHAKESPEARE_CHARS
    assert meta["steps"] == STEPS and meta["seed"] == 0 and meta["preset"] == "shakespeare-char-cpu"
    assert meta["tokens"] == STEPS * 12 * 64
    # 30 updates take the loss from ln 65 ≈ 4.17 (uniform guessing) well down
    assert meta["val_loss"] < math.log(65) - 0.8
    assert meta["val_history"][-1] == [STEPS, meta["val_loss"]]
    assert f"trained {STEPS} steps" in lm.description
    logits, weights = lm.model.forward(lm.encode("ROMEO:\nBut soft"))
    assert weights.shape == (4, 4, 15, 15) and np.isfinite(logits).all()


def test_seeded(quick, tmp_path):
    again = make_lesson_model(tmp_path / "again.npz", steps=STEPS, seed=0)
    a, b = from_file(quick), from_file(again)
    for name, w in a.model.weights.items():
        np.testing.assert_array_equal(w, b.model.weights[name])


def test_cli_keeps_an_existing_file(quick, capsys):
    before = quick.read_bytes()
    assert main(["--out", str(quick)]) == 0
    assert "already there" in capsys.readouterr().out and quick.read_bytes() == before


def test_cli_rejects_zero_steps(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "m.npz"), "--steps", "0"]) == 2
    assert "steps must be at least 1" in capsys.readouterr().err
