"""tools/site.py ships the trained model of lessons 7 and 9 into the site's lessons/public/."""

from __future__ import annotations

import filecmp

import pytest

from core.course import catalog
from core.course.lesson_model import MODEL_FILE, from_file
from core.train.lesson_model import make_lesson_model
from tools.site import MODEL_LESSONS, SiteBuildError, ship_lesson_model


@pytest.fixture(scope="module")
def quick_model(tmp_path_factory):
    """A seeded model trained for a few updates: the real file's format, in seconds."""
    return make_lesson_model(tmp_path_factory.mktemp("model") / MODEL_FILE, steps=3, seed=0)


@pytest.fixture
def no_model_here(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "data").mkdir()
    return tmp_path


def test_shipped_where_the_pages_fetch_it(tmp_path, quick_model):
    site = tmp_path / "site"
    shipped = ship_lesson_model(site, [catalog.lesson(4), catalog.lesson(7)], quick_model)
    target = site / "lessons" / "public" / MODEL_FILE
    assert shipped == quick_model and filecmp.cmp(target, quick_model, shallow=False)
    assert from_file(target).meta["steps"] == 3


def test_found_in_the_cache_like_the_lessons_find_it(no_model_here, quick_model):
    cached = no_model_here / "cache" / MODEL_FILE
    cached.parent.mkdir()
    cached.write_bytes(quick_model.read_bytes())
    site = no_model_here / "site"
    assert ship_lesson_model(site, [catalog.lesson(9)]) == cached
    assert (site / "lessons" / "public" / MODEL_FILE).is_file()


def test_nothing_shipped_without_a_lesson_that_loads_it_or_without_the_file(
    no_model_here, quick_model
):
    site = no_model_here / "site"
    assert ship_lesson_model(site, [catalog.lesson(5)], quick_model) is None
    assert ship_lesson_model(site, [catalog.lesson(7)]) is None  # no file on this machine
    assert not site.exists()
    assert set(MODEL_LESSONS) == {7, 9}


def test_a_file_that_is_not_a_lesson_model_stops_the_build(tmp_path):
    bad = tmp_path / MODEL_FILE
    bad.write_bytes(b"not a model")
    with pytest.raises(SiteBuildError, match="not a lesson model"):
        ship_lesson_model(tmp_path / "site", [catalog.lesson(7)], bad)


def test_the_session_build_shipped_what_this_machine_has(site_build):
    """The shared build ships the model exactly when one is here and lesson 7 or 9 exists."""
    report = site_build.report
    target = report.out_dir / "lessons" / "public" / MODEL_FILE
    published = {page.stem for page in report.pages if page.kind == "wasm"}
    if not published & {catalog.lesson(n).stem for n in MODEL_LESSONS}:
        pytest.skip("neither lesson 7 nor lesson 9 is written yet")
    if report.lesson_model is None:
        assert not target.exists()
    else:
        assert filecmp.cmp(target, report.lesson_model, shallow=False)
