from core.course.catalog import LESSONS, MODULES, lesson, lesson_files, lesson_sort_key


def test_eighteen_lessons_in_four_modules_in_order():
    assert [item.number for item in LESSONS] == list(range(1, 19))
    assert [m.number for m in MODULES] == [1, 2, 3, 4]
    assert [sum(item.module == m.number for item in LESSONS) for m in MODULES] == [3, 6, 4, 5]
    assert lesson(5).filename == "4-2-5-queries-and-keys.py"
    # the browser (no torch) runs lessons 1-9; 10-18 need torch
    assert [item.number for item in LESSONS if item.browser] == list(range(1, 10))


def test_sort_by_integers_not_strings():
    names = ["4-2-10-b.py", "4-2-9-a.py", "4-10-1-c.py", "4-3-1-d.py"]
    assert sorted(names, key=lesson_sort_key) == [
        "4-2-9-a.py",
        "4-2-10-b.py",
        "4-3-1-d.py",
        "4-10-1-c.py",
    ]


def test_every_lesson_file_is_in_the_catalog():
    known = {item.filename for item in LESSONS}
    for path in lesson_files():
        assert path.name in known, f"{path.name} is not in core/course/catalog.py"


class FakeMo:
    """The two marimo calls `where_shown` reads."""

    def __init__(self, mode, args=None, notebook_dir=None):
        self._mode, self._args, self._dir = mode, args or {}, notebook_dir

    def cli_args(self):
        return self._args

    def app_meta(self):
        return type("Meta", (), {"mode": self._mode})()

    def notebook_dir(self):
        return self._dir


def test_links_between_lessons_in_each_place(tmp_path):
    from core.course.catalog import lesson_href, next_lesson_markdown, where_shown

    assert where_shown(FakeMo("edit")) == "editor"
    assert where_shown(FakeMo("run")) == "app"
    assert where_shown(FakeMo("edit", {"published": "x"})) == "site"  # marimo export html
    assert lesson_href(lesson(5), "app") == "../4-2-5-queries-and-keys/"
    assert lesson_href(lesson(5), "site") == "../4-2-5-queries-and-keys/"
    # the editor links only to notebooks that exist
    assert lesson_href(lesson(5), "editor", tmp_path) is None
    (tmp_path / lesson(5).filename).write_text("")
    assert lesson_href(lesson(5), "editor", tmp_path) == "?file=4-2-5-queries-and-keys.py"
    assert next_lesson_markdown(4, FakeMo("edit", notebook_dir=tmp_path)) == (
        "**Next:** [Lesson 5 · Queries, Keys, and the Relevance Function]"
        "(?file=4-2-5-queries-and-keys.py)"
    )
    assert "(coming soon)" in next_lesson_markdown(5, FakeMo("edit", notebook_dir=tmp_path))
    assert next_lesson_markdown(6, FakeMo("run")).endswith("(../4-2-7-multi-head-attention/)")
