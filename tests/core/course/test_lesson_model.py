"""core.course.lesson_model: finding the lessons' trained model, the random stand-in, the vocabulary."""

from __future__ import annotations

from pathlib import PurePosixPath

import numpy as np
import pytest
import torch

from core.course import lesson_model as lm_module
from core.course.lesson_model import (
    MAKE_COMMAND,
    MODEL_FILE,
    SHAKESPEARE_CHARS,
    SHAPE,
    from_file,
    load_lesson_model,
)
from core.data import browser
from core.data.files import fetch
from core.model.config import GPTConfig
from core.model.export import save_npz
from core.model.gpt import GPT
from core.tokenize import CharTokenizer


@pytest.fixture
def no_model(tmp_path, monkeypatch):
    """A machine with no model file anywhere: empty data and cache dirs."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "data").mkdir()
    return tmp_path


def small_model(seed=0) -> GPT:
    torch.manual_seed(seed)
    return GPT(GPTConfig.from_preset("shakespeare-char-cpu")).eval()


def test_constants_match_the_preset_and_the_text():
    text = fetch("tinyshakespeare").read_text(encoding="utf-8")
    assert SHAKESPEARE_CHARS == "".join(CharTokenizer.from_text(text).vocab)
    config = GPTConfig.from_preset("shakespeare-char-cpu")
    assert SHAPE == {k: getattr(config, k) for k in SHAPE}


def test_random_stand_in_says_so(no_model):
    lm = load_lesson_model()
    assert not lm.trained and lm.source == ""
    assert lm.chars == SHAKESPEARE_CHARS
    assert "random, untrained" in lm.description and MAKE_COMMAND in lm.description
    assert f"No {MODEL_FILE} on this machine" in lm.description
    assert "809,856 parameters" in lm.description
    logits, weights = lm.model.forward(lm.encode("To be, or"))
    assert logits.shape == (9, 65) and weights.shape == (4, 4, 9, 9)
    # seeded: the same stand-in every time
    np.testing.assert_array_equal(
        load_lesson_model().model.forward(lm.encode("To be, or"))[0], logits
    )


def test_finds_the_file_in_the_cache_and_matches_torch(no_model):
    model = small_model()
    path = save_npz(
        model,
        no_model / "cache" / MODEL_FILE,
        chars=SHAKESPEARE_CHARS,
        steps=1234,
        val_loss=1.8765,
        preset="shakespeare-char-cpu",
    )
    lm = load_lesson_model()
    assert lm.trained and lm.source == str(path)
    assert "trained 1,234 steps" in lm.description and "validation loss 1.877" in lm.description
    ids = lm.encode("First Citizen:\nBefore we proceed")
    logits, weights = lm.model.forward(ids)
    with torch.no_grad():
        expected = model(torch.tensor(ids)[None])[0][0].numpy()
    np.testing.assert_allclose(logits, expected, atol=1e-4)
    np.testing.assert_allclose(weights.sum(-1), 1.0)


def test_the_data_dir_comes_before_the_cache(no_model):
    save_npz(small_model(0), no_model / "cache" / MODEL_FILE, chars=SHAKESPEARE_CHARS, steps=1)
    save_npz(small_model(1), no_model / "data" / MODEL_FILE, chars=SHAKESPEARE_CHARS, steps=2)
    assert load_lesson_model().meta["steps"] == 2


def test_a_public_folder_beside_the_notebook(no_model):
    class Mo:
        @staticmethod
        def notebook_location():
            return no_model / "lessons"

    save_npz(small_model(), no_model / "lessons" / "public" / MODEL_FILE, chars=SHAKESPEARE_CHARS)
    lm = load_lesson_model(Mo)
    assert lm.trained and "lessons/public" in lm.source
    assert "trained" in lm.description  # no steps recorded: just "trained"


def test_a_damaged_file_falls_back_and_says_why(no_model):
    (no_model / "cache").mkdir()
    (no_model / "cache" / MODEL_FILE).write_bytes(b"not a zip")
    lm = load_lesson_model()
    assert not lm.trained and "could not be read" in lm.description
    save_npz(small_model(), no_model / "cache" / MODEL_FILE)  # no chars in the metadata
    with pytest.raises(ValueError, match="no character vocabulary"):
        from_file(no_model / "cache" / MODEL_FILE)


def test_encode_decode_and_bad_characters(no_model):
    lm = load_lesson_model()
    text = "O Romeo, Romeo! wherefore art thou Romeo?\n"
    assert lm.decode(lm.encode(text)) == text
    assert lm.encode("").shape == (0,)
    assert list(lm.encode("a ")) == [SHAKESPEARE_CHARS.index("a"), 1]
    with pytest.raises(ValueError, match=r"a tab, '4', 'é'"):
        lm.encode("é4\tb")


class BrowserMo:
    @staticmethod
    def notebook_location():
        return PurePosixPath("https:/example.org/lessons")


def test_browser_reads_the_public_folder(no_model, monkeypatch):
    path = save_npz(small_model(), no_model / "m.npz", chars=SHAKESPEARE_CHARS, steps=7)
    asked = []
    monkeypatch.setattr(browser, "in_browser", lambda: True)
    monkeypatch.setattr(browser, "browser_get", lambda url: asked.append(url) or path.read_bytes())
    lm = load_lesson_model(BrowserMo)
    assert lm.trained and lm.meta["steps"] == 7
    assert asked == [f"https:/example.org/lessons/public/{MODEL_FILE}"] and lm.source == asked[0]


def test_browser_without_the_file_shows_the_random_model(no_model, monkeypatch):
    def missing(url):
        raise OSError("HTTP 404 Not Found")

    monkeypatch.setattr(browser, "in_browser", lambda: True)
    monkeypatch.setattr(browser, "browser_get", missing)
    lm = load_lesson_model(BrowserMo)
    assert not lm.trained and "HTTP 404" in lm.description and "built without it" in lm.description
    assert "could not look" in load_lesson_model().description  # no mo: no location to ask
    assert lm_module.random_lesson_model().chars == SHAKESPEARE_CHARS
