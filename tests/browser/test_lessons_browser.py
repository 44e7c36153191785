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

A lesson without an entry in `INTERACTIONS` fails `test_interaction`: add one when you add a
lesson. Failure screenshots and page text go to $COURSE_TEST_ARTIFACTS (else pytest's temp
folder); the path is printed.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from core.course.attention_lessons import format_number, toy_sentence
from core.course.catalog import lesson_files
from core.mirrors.attention import attention_stages, softmax
from core.mirrors.positions import with_positions
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
        f"no browser interaction for {server.notebook.name}: add one to INTERACTIONS in "
        f"{Path(__file__).name} (a slider, a matrix entry or a drag, and what the page must "
        "show afterwards)"
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


# --- helpers for interactions --------------------------------------------------------------


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


# --- lesson 4: move a vector, see its dot products ---------------------------------------------


def lesson_4(page) -> None:
    from playwright.sync_api import expect

    # the plane starts at the toy table's animal and owned columns, and says so on its axes
    _, X = toy_sentence("the dog 's bark")
    vectors = X[:, [0, 2]].copy()
    expect(page.locator(".cw-plane .vp-axis-name")).to_have_text(["animal", "owned"])
    before = vectors @ vectors.T
    expect_text(callout(page, 2), f"and dog {format_number(before[3, 1])}")

    # one arrow-key step moves dog's tip by the plane's snap, 0.1, along x
    page.locator('[aria-label="vector dog: arrow keys move it"]').focus()
    page.keyboard.press("ArrowRight")
    vectors[1, 0] += 0.1
    scores = vectors @ vectors.T
    expect_text(callout(page, 2), f"and dog {format_number(scores[3, 1])}")
    expect_text(callout(page, 2), f"itself {format_number(scores[3, 3])} (its squared length)")
    # the heatmap beside the plane shows softmax of bark's new row of scores
    bark_to_dog = softmax(scores)[3, 1]
    heatmap = page.locator(".cw-heatmap").first
    expect_text(heatmap, format_number(bark_to_dog))

    # section 5: "the bark 's dog" gives the rows of "the dog 's bark", reordered ...
    def outputs(text, positions):
        _, X = toy_sentence(text)
        X = with_positions(X) if positions else X
        return attention_stages(X, causal=False, scale=False)["output"]

    tables = [
        page.locator("table").filter(has=page.locator("thead", has_text=f"in “{t}”"))
        for t in ("the dog 's bark", "the bark 's dog")
    ]
    a, b = outputs("the dog 's bark", False), outputs("the bark 's dog", False)
    np.testing.assert_allclose(a[1], b[3])  # dog: row 2 of one, row 4 of the other
    expect(tables[0].locator("tbody tr").nth(1).locator("td")).to_have_text(
        ["dog", *map(format_number, a[1])]
    )
    expect(tables[1].locator("tbody tr").nth(3).locator("td")).to_have_text(
        ["dog", *map(format_number, b[3])]
    )
    expect_text(page.locator("marimo-callout-output").filter(has_text="rows"), "Same rows")
    # ... until the position toggle appends (sin p, cos p): then dog's two rows differ
    page.get_by_role("checkbox", name="position feature").check()
    a, b = outputs("the dog 's bark", True), outputs("the bark 's dog", True)
    assert not np.allclose(a[1], b[3])
    expect(tables[0].locator("tbody tr").nth(1).locator("td")).to_have_text(
        ["dog", *map(format_number, a[1])]
    )
    expect(tables[1].locator("tbody tr").nth(3).locator("td")).to_have_text(
        ["dog", *map(format_number, b[3])]
    )
    expect_text(
        page.locator("marimo-callout-output").filter(has_text="order"), "Now the order shows"
    )

    # typing exercise 4's answer (bark · dog in the toy table) turns its check green
    _, X = toy_sentence("the dog 's bark")
    page.locator("marimo-number").filter(has_text="bark · dog =").locator("input").fill(
        format_number(X[3] @ X[1])
    )
    page.keyboard.press("Enter")
    expect_text(callout(page, 4), "Correct")


# --- lesson 5: edit W_Q, see Q and QKᵀ; step d, see the measured variance ------------------------


def lesson_5(page) -> None:
    from playwright.sync_api import expect

    _, X = toy_sentence("the dog 's bark")
    W_Q, W_K = np.eye(3), np.eye(3)
    expect_text(page.locator("marimo-callout-output").filter(has_text="Relevance"), "symmetric")

    type_into_matrix(page, 0, 2, 0, 2.0)  # W_Q[owned, q₀] = 2
    W_Q[2, 0] = 2.0
    s = attention_stages(X, W_Q, W_K)
    relevance = page.locator("marimo-callout-output").filter(has_text="Relevance")
    expect_text(relevance, f"= {format_number(s['scores'][3, 1])}")
    expect_text(relevance, f"= {format_number(s['scores'][1, 3])}")
    expect_text(relevance, "no longer symmetric")
    # the trace shows bark's new query row, its columns named, and stops at the weights
    trace = page.locator(".cw-root").first
    for value in s["Q"][3]:
        expect_text(trace, format_number(value))
    expect(trace.locator('table[data-stage="Q"] th.tr-col')).to_have_text(["q₀", "q₁", "q₂"])
    expect(trace.locator('table[data-stage="X"] th.tr-col')).to_have_text(
        ["animal", "plant", "owned"]
    )
    for stage in ("V", "output"):
        expect(trace.locator(f'table[data-stage="{stage}"]')).to_have_count(0)

    # the mask starts off and switches on in its own section: dog's weight on bark drops to 0
    mask_table = page.locator("table").filter(has_text="query ↓ · key →").first
    s = attention_stages(X, W_Q, W_K, causal=False, scale=False)
    expect_text(mask_table, format_number(s["weights"][1, 3]))
    expect(page.get_by_text("Measured at")).to_have_count(0)  # no experiment before a guess
    page.get_by_role("checkbox", name="causal mask").check()
    expect_text(page.locator("body"), "Weights with the mask on")
    dog_row = mask_table.locator("tbody tr").nth(1)
    expect(dog_row.locator("td")).to_have_text(
        ["dog"]
        + [format_number(w) for w in attention_stages(X, W_Q, W_K, scale=False)["weights"][1]]
    )
    expect(dog_row.locator("td").last).to_have_text("0.00")

    # a prediction first, then the experiment appears
    page.locator("marimo-number").filter(has_text="Var(q·k)").locator("input").fill("200")
    page.keyboard.press("Enter")
    expect_text(page.locator("body"), "Measured at d = 64")
    # step the d slider from 64 to 128: the measured variance of q·k follows d
    slider = page.get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowRight")
    table = page.locator("table").filter(has_text="variance of the score")
    expect_text(page.locator("body"), "Measured at d = 128")
    row = table.locator("tr").filter(has_text="variance of the score").inner_text()
    raw, scaled = (float(x.replace("−", "-")) for x in re.findall(r"−?\d+\.\d+", row))
    assert abs(raw - 128) < 0.1 * 128, f"Var(q·k) at d = 128 measured {raw}"
    assert abs(scaled - 1) < 0.1, f"Var(q·k/√d) at d = 128 measured {scaled}"


# --- lesson 6: edit W_V, see bark's output change -------------------------------------------------


def lesson_6(page) -> None:
    from playwright.sync_api import expect

    W_Q = np.array([[0.0, 0, 0], [0, 0, 0], [2, 0, 0]])
    W_K = np.array([[1.0, 0, 0], [1, 0, 0], [0, 0, 0]])
    W_V = np.eye(3)
    expect_text(callout(page, 1), "Not yet")

    type_into_matrix(page, 2, 2, 2, 0)  # W_V[owned, v₂] = 0: owned is no longer handed over
    W_V[2, 2] = 0.0
    outputs = []
    for text in ("the dog 's bark", "the tree 's bark"):
        _, X = toy_sentence(text)
        outputs.append(attention_stages(X, W_Q, W_K, W_V)["output"][3])
    expect_text(callout(page, 1), "Correct")
    expect_text(callout(page, 1), f"{vec(outputs[0])} after dog, {vec(outputs[1])} after tree")
    # the trace names V's and the output's columns as W_V's editor does, and shows the edit
    trace = page.locator(".cw-trace")
    for stage in ("W_V", "V", "output"):
        header = trace.locator(f'table[data-stage="{stage}"]').first.locator("th.tr-col")
        expect(header).to_have_text(["v₀", "v₁", "v₂"])
    expect(trace.locator('td[data-stage="W_V"][data-i="2"][data-j="2"]')).to_have_text("0.00")


INTERACTIONS: dict[str, Callable] = {
    "4-2-4-the-problem-attention-solves.py": lesson_4,
    "4-2-5-queries-and-keys.py": lesson_5,
    "4-2-6-values-and-attention-output.py": lesson_6,
}
