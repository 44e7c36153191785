"""Drive a notebook served by `marimo run` with Debian's Chromium, for the browser tests.

Building blocks (each usable on its own, all fixture-friendly):

    require_chromium()                 path of /usr/bin/chromium; else pytest.skip, or
                                       pytest.fail when COURSE_REQUIRE_BROWSER=1 (CI)
    marimo_server(notebook, log_dir)   context manager: `marimo run` (mode="edit": `marimo edit`,
                                       best with copy_into=tmp) on 127.0.0.1, a free port, waits
                                       for GET /health; yields MarimoServer(url, log_path)
    chromium()                         context manager: a Playwright Browser on that Chromium
    open_notebook(browser, url, theme=, ready_text=)  a Page (its own context, 1366x768) with
                                       the app loaded, in marimo's light or dark theme
    failure_artifacts(request, page, folder)         context manager: screenshot + page text
                                       on failure (around a fixture's yield, or inside a test)
    artifacts_dir(tmp_path_factory)    where screenshots go: $COURSE_TEST_ARTIFACTS, or a pytest
                                       temporary folder (printed in the failure message)
    pyodide_lock_file()                Pyodide's lock file, for WebAssembly exports

A lesson's browser test:

    @pytest.fixture(scope="module")
    def server(tmp_path_factory):
        with marimo_server(LESSON, log_dir=tmp_path_factory.mktemp("marimo")) as server:
            yield server

    @pytest.fixture(scope="module")
    def browser():
        with chromium() as browser:   # skips (or fails in CI) without Chromium
            yield browser

    @pytest.fixture
    def page(request, server, browser, tmp_path_factory):
        page = open_notebook(browser, server.url, ready_text="text a cell prints")
        with failure_artifacts(request, page, artifacts_dir(tmp_path_factory)):
            yield page
        page.context.close()

Then assert with Playwright's `expect(...)` (it retries until a timeout): there is no "kernel
idle" flag in the page. CSS locators pierce the widgets' shadow roots.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
)
VIEWPORT = {"width": 1366, "height": 768}  # a laptop screen
REPO = Path(__file__).resolve().parents[2]


def require_chromium() -> str:
    """Chromium's path; skip the test when it is missing, unless CI requires it (then fail)."""
    if CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK):
        return str(CHROMIUM)
    reason = f"Chromium not found at {CHROMIUM} (Debian: `apt-get install chromium`)"
    if os.environ.get("COURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; COURSE_REQUIRE_BROWSER=1 requires the browser tests to run")
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class MarimoServer:
    """A running `marimo run`: its address and the file its output goes to."""

    url: str
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _wait_healthy(server: MarimoServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"marimo exited with code {server.process.returncode}:\n{server.log()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(f"{server.url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"marimo did not answer /health within {timeout:.0f} s:\n{server.log()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def marimo_server(
    notebook: str | Path,
    log_dir: Path,
    *,
    mode: str = "run",
    copy_into: Path | None = None,
    timeout: float = 90.0,
    extra_args: tuple[str, ...] = (),
) -> Iterator[MarimoServer]:
    """Serve `notebook` with `marimo run` (or `marimo edit`, mode="edit") on 127.0.0.1 and
    stop it (and its children) after.

    `marimo edit` saves the session's outputs in `__marimo__/session/` beside the notebook and
    shows them on the next start, before anything has run: give `copy_into` (a temporary
    folder) to serve a fresh copy of the notebook from there instead.

    The repository root goes first on PYTHONPATH so the notebook imports this checkout's
    `core` and `widgets`. The server's output is written to `log_dir/marimo-<port>.log`.
    """
    if mode not in ("run", "edit"):
        raise ValueError(f"mode must be 'run' or 'edit', got {mode!r}")
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise FileNotFoundError(notebook)
    if copy_into is not None:
        notebook = Path(shutil.copy2(notebook, Path(copy_into) / notebook.name))
    port = free_port()
    log_path = Path(log_dir) / f"marimo-{port}.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    marimo = shutil.which("marimo", path=str(Path(sys.executable).parent)) or "marimo"
    command = [
        marimo,
        mode,
        str(notebook),
        "--headless",
        "--no-token",
        "--host",
        "127.0.0.1",
        "-p",
        str(port),
        "--no-sandbox",
        *extra_args,
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = MarimoServer(url=f"http://127.0.0.1:{port}", log_path=log_path, process=process)
    try:
        _wait_healthy(server, timeout)
        yield server
    finally:
        _stop(process)


@contextlib.contextmanager
def chromium(*, headless: bool = True):
    """A Playwright Browser on Debian's Chromium (never a downloaded one)."""
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=headless, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


def open_notebook(
    browser,
    url: str,
    *,
    theme: str = "light",
    viewport: dict[str, int] | None = None,
    ready_text: str | None = None,
    timeout_ms: float = 60_000,
):
    """A new page showing the app at `url` in marimo's `theme` ("light" or "dark").

    Waits until the cells have produced output (and `ready_text`, if given, is on the page).
    """
    if theme not in ("light", "dark"):
        raise ValueError(f"theme must be 'light' or 'dark', got {theme!r}")
    context = browser.new_context(viewport=viewport or VIEWPORT, color_scheme=theme)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(f"{url}/?theme={theme}")
    page.locator(".marimo-cell >> visible=true").first.wait_for(timeout=timeout_ms)
    if ready_text is not None:
        page.get_by_text(ready_text, exact=False).first.wait_for(timeout=timeout_ms)
    return page


def artifacts_dir(tmp_path_factory) -> Path:
    """Folder for failure screenshots: $COURSE_TEST_ARTIFACTS, else inside pytest's tmp root."""
    folder = os.environ.get("COURSE_TEST_ARTIFACTS")
    path = Path(folder) if folder else tmp_path_factory.getbasetemp() / "test-artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def failure_artifacts(request, page, folder: Path) -> Iterator[None]:
    """Save a screenshot and the page's text when the test fails.

    Use it around a fixture's `yield page`, or around a block inside a test. A fixture's
    teardown cannot see the test's exception, but the session's failure count has already gone
    up by then (pytest reports the call before tearing down); inside a test the exception
    passes through here.
    """
    failed_before = request.session.testsfailed
    try:
        yield
    except BaseException:
        _save_artifacts(request, page, folder)
        raise
    if request.session.testsfailed > failed_before:
        _save_artifacts(request, page, folder)


def _save_artifacts(request, page, folder: Path) -> None:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)[:120]
    with contextlib.suppress(Exception):
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        (folder / f"{name}.txt").write_text(page.inner_text("body"))
        sys.stderr.write(f"\nbrowser test failed: screenshot in {folder / name}.png\n")


def pyodide_lock_file() -> Path:
    """Pyodide's lock file for the WebAssembly exports: $MARIMO_PYODIDE_LOCK_FILE, else the
    copy `just data` cached, else the project's offline copy beside the checkout."""
    from tools.site import find_pyodide_lock

    lock = find_pyodide_lock() or REPO.parent / "shared" / "pyodide" / "pyodide-lock.json"
    if not lock.is_file():
        pytest.fail(
            f"Pyodide's lock file is missing ({lock}): run `just data` (it caches marimo's), "
            "or set MARIMO_PYODIDE_LOCK_FILE to a pyodide-lock.json"
        )
    return lock
