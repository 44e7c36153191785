"""Every lesson in real Chromium, served by `marimo run` on 127.0.0.1.

For each lesson file (found by `core.course.catalog.lesson_files()`):
- it opens and no cell ends in an error;
- one interaction (a matrix entry typed, a vector moved, a slider stepped) changes the page
  the way the mathematics says: the expected numbers are computed here with `core`.

How errors are seen: in `marimo run` (app view) a cell that raises is not drawn at all, so the
DOM has nothing to find. The kernel still sends each cell's output over the page's websocket;
`KernelLog` keeps the last output of every cell, and a cell whose last output is on the
`marimo-error` channel (other than "ancestor stopped", which `mo.stop` causes on purpose) is a
failure. The server's log is checked too: marimo logs every error it hides from the page
with an `error_id`.

Each lesson's interaction is a module of `tests/browser/interactions/` (one per lesson, so
lessons written in parallel do not edit one file); a lesson without one fails
`test_interaction`. Failure screenshots and page text go to $COURSE_TEST_ARTIFACTS (else pytest's temp
folder); the path is printed.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

import pytest

from core.course.catalog import lesson_files
from tests.browser.interactions import interactions
from tests.browser.support import (
    VIEWPORT,
    artifacts_dir,
    chromium,
    failure_artifacts,
    marimo_server,
)

pytestmark = pytest.mark.browser

LESSON_FILES = lesson_files()
TIMEOUT_MS = 60_000


class KernelLog:
    """What the kernel told the page: every cell's last output and status."""

    def __init__(self, page) -> None:
        self.outputs: dict[str, dict] = {}
        self.status: dict[str, str] = {}
        self.last_message = time.monotonic()
        page.on("websocket", lambda ws: ws.on("framereceived", self._receive))

    def _receive(self, payload) -> None:
        self.last_message = time.monotonic()
        try:
            message = json.loads(payload)
        except (TypeError, ValueError):
            return
        data = message.get("data") if isinstance(message, dict) else None
        if not isinstance(data, dict) or data.get("op") != "cell-op":
            return
        cell = data.get("cell_id")
        if data.get("output") is not None:
            self.outputs[cell] = data["output"]
        if data.get("status") is not None:
            self.status[cell] = data["status"]

    def errors(self) -> dict[str, list[dict]]:
        """{cell id: its errors} for cells whose last output is an error."""
        found = {}
        for cell, output in self.outputs.items():
            if output.get("channel") != "marimo-error":
                continue
            errors = [e for e in output.get("data") or [] if e.get("type") != "ancestor-stopped"]
            if errors:
                found[cell] = errors
        return found

    def wait_idle(
        self, page, *, after: float = 0.0, quiet_s: float = 1.0, timeout_s: float = 60.0
    ) -> None:
        """Until a message newer than `after` came, every cell is idle, and `quiet_s` passed."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            busy = [c for c, s in self.status.items() if s in ("running", "queued")]
            quiet = time.monotonic() - self.last_message > quiet_s
            if self.status and not busy and quiet and self.last_message > after:
                return
            page.wait_for_timeout(200)
        raise AssertionError(
            f"no quiet, idle kernel within {timeout_s:.0f} s (a message since the interaction: "
            f"{self.last_message > after}); cell status: {self.status}"
        )


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module", params=LESSON_FILES, ids=[p.stem for p in LESSON_FILES])
def server(request, tmp_path_factory):
    """One `marimo run` per lesson, shared by that lesson's tests."""
    with marimo_server(request.param, log_dir=tmp_path_factory.mktemp("marimo")) as server:
        server.notebook = request.param
        yield server


@pytest.fixture(scope="module")
def lesson(server, browser):
    """(page, kernel log) with the lesson loaded and every cell run; one page per lesson.

    The lesson's tests share it in order: first what it shows on opening, then the interaction.
    """
    context = browser.new_context(viewport=VIEWPORT, color_scheme="light")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    kernel = KernelLog(page)
    page.goto(f"{server.url}/?theme=light")
    page.locator(".marimo-cell >> visible=true").first.wait_for()
    kernel.wait_idle(page)
    yield page, kernel
    context.close()


@pytest.fixture
def screenshot_on_failure(request, lesson, tmp_path_factory):
    """Keep a screenshot and the page's text of a failed test (see tests/browser_support.py)."""
    with failure_artifacts(request, lesson[0], artifacts_dir(tmp_path_factory)):
        yield


def assert_no_errors(server, kernel) -> None:
    errors = kernel.errors()
    assert errors == {}, f"cells ended in errors: {errors}\nserver log:\n{server.log()[-3000:]}"
    hidden = re.findall(r".*error_id=.*", server.log())
    assert hidden == [], "marimo logged errors it hid from the page:\n" + "\n".join(hidden)


def test_lesson_opens_without_errors(server, lesson, screenshot_on_failure):
    _, kernel = lesson
    assert kernel.outputs, "the kernel sent no cell output"
    assert_no_errors(server, kernel)


def test_interaction(server, lesson, screenshot_on_failure):
    page, kernel = lesson
    interaction = INTERACTIONS.get(server.notebook.name)
    assert interaction is not None, (
        f"no browser interaction for {server.notebook.name}: add a module lesson_N.py to "
        "tests/browser/interactions/ (see its docstring): a slider, a matrix entry or a drag, "
        "and what the page must show afterwards"
    )
    start = time.monotonic()
    interaction(page)
    kernel.wait_idle(page, after=start)
    assert_no_errors(server, kernel)


BROKEN = """
import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo

    slider = mo.ui.slider(0, 2, value=1, label="n")
    slider
    return mo, slider


@app.cell
def _(mo, slider):
    mo.md(f"one over n is {1 / slider.value}")
    return


@app.cell
def _(mo):
    mo.stop(True, mo.md("stopped on purpose"))
    return


if __name__ == "__main__":
    app.run()
"""


def test_kernel_log_sees_an_error_the_page_hides(browser, tmp_path):
    """The detector itself: a cell that raises after an interaction is reported; mo.stop is not."""
    notebook = tmp_path / "broken.py"
    notebook.write_text(BROKEN)
    with marimo_server(notebook, log_dir=tmp_path) as server:
        page = browser.new_page(viewport=VIEWPORT)
        kernel = KernelLog(page)
        page.goto(server.url)
        kernel.wait_idle(page)
        assert kernel.errors() == {}
        start = time.monotonic()
        page.get_by_role("slider").focus()
        page.keyboard.press("Home")  # n = 0: the second cell divides by zero
        kernel.wait_idle(page, after=start)
        page.close()
    errors = kernel.errors()
    assert len(errors) == 1, errors
    assert "error_id=" in server.log() and "ZeroDivisionError" in server.log()


def test_a_lesson_opens_in_marimo_edit(browser, tmp_path):
    """The editor finds `core` and `widgets` the same way (pyproject's marimo pythonpath)."""
    notebook = LESSON_FILES[0]
    with marimo_server(notebook, log_dir=tmp_path, mode="edit") as server:
        page = browser.new_page(viewport=VIEWPORT)
        kernel = KernelLog(page)
        page.goto(server.url)
        kernel.wait_idle(page)
        page.close()
        assert kernel.outputs, "the editor ran no cell"
        assert_no_errors(server, kernel)


INTERACTIONS: dict[str, Callable] = interactions()
