"""One browser interaction per lesson, found by the lesson's file name.

Each module here (`lesson_N.py`) defines `NOTEBOOK` (the lesson's file name in `lessons/`) and
`interact(page)`: one thing a learner does on the page served by `marimo run` (a slider stepped,
a matrix entry typed, a button pressed) and the numbers the page must show afterwards, computed
here with `core`. `tests/browser/test_lessons_browser.py` runs each after the lesson opened
without errors. Add a module when you add a lesson: a lesson without one fails.

The page helpers below are shared by the modules.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from core.course.attention_lessons import format_number

TIMEOUT_MS = 60_000


def interactions() -> dict[str, Callable]:
    """{lesson file name: its interaction}, from every `lesson_*` module of this package."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("lesson_"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            found[module.NOTEBOOK] = module.interact
    return found


def expect_text(locator, text: str) -> None:
    from playwright.sync_api import expect

    expect(locator).to_contain_text(text, timeout=TIMEOUT_MS)


def callout(page, exercise: int):
    """The check callout of `exercise`."""
    return page.locator("marimo-callout-output").filter(has_text=f"Exercise {exercise}.")


def type_into_matrix(page, matrix: int, row: int, column: int, value: float) -> None:
    """Double-click entry (row, column) of the page's `matrix`-th mo.ui.matrix and type."""
    cell = (
        page.locator("marimo-matrix")
        .nth(matrix)
        .locator(f"[data-testid=matrix-cell-{row}-{column}]")
    )
    cell.dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type(str(value))
    page.keyboard.press("Enter")


def vec(values) -> str:
    return "(" + ", ".join(format_number(v) for v in values) + ")"
