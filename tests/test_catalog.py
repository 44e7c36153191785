from core.catalog import LESSONS, MODULES, lesson, lesson_files, lesson_sort_key


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
        assert path.name in known, f"{path.name} is not in core/catalog.py"
