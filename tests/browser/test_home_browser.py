"""The course as an app: tools/serve.py serves lessons/home.py at `/` and each lesson at
`/lessons/<stem>/`; Chromium follows the home's links (tests marked `browser`).

The server runs on a copy of the home in a temporary lessons folder, beside two small
notebooks written here under the names of lesson 1 (torch-free) and lesson 10 (torch; the
stand-in needs no torch), so the tests know exactly which lessons exist. The access rules (no password only on loopback) and the token
password are checked over plain HTTP.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from core.course import catalog
from tests.browser.support import (
    artifacts_dir,
    chromium,
    free_port,
    open_notebook,
    require_chromium,
)
from tools import serve

REPO = Path(__file__).resolve().parents[2]
HOME = REPO / "lessons" / "home.py"
FIRST = catalog.lesson(1)  # torch-free
TENTH = catalog.lesson(10)  # torch

LESSON = '''import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo

    mo.md("""
    # {title} (test stand-in)

    [Back to the course](../../) · [Lesson {other_number}](../{other_stem}/)
    """)
    return


if __name__ == "__main__":
    app.run()
'''


def _lessons_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(HOME, folder / "home.py")
    for lesson, other in ((FIRST, TENTH), (TENTH, FIRST)):
        text = LESSON.format(title=lesson.title, other_number=other.number, other_stem=other.stem)
        (folder / lesson.filename).write_text(text)
    return folder


@contextlib.contextmanager
def course_server(lessons_dir: Path, log: Path, *, password: str | None = None):
    """`python tools/serve.py` on 127.0.0.1 and a free port; yields its URL."""
    port = free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop(serve.PASSWORD_ENV, None)
    if password is not None:
        env[serve.PASSWORD_ENV] = password
    command = [sys.executable, str(REPO / "tools" / "serve.py"), "--headless"]
    command += ["--port", str(port), "--lessons-dir", str(lessons_dir)]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"serve.py exited {process.returncode}:\n{log.read_text()}")
            try:
                urllib.request.urlopen(url + "/health", timeout=2).close()
                break
            except urllib.error.HTTPError:  # it answers (401: it wants the password)
                break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"serve.py did not answer /health:\n{log.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        process.wait(timeout=20)


def _status(url: str, opener=None) -> int:
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def _with_password(url: str, user: str, password: str):
    """A urllib opener that answers the Basic challenge of the server at `url`."""
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, url, user, password)
    return urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(manager))


# ------------------------------------------------------------------------ access rules


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("example.org", False),
    ],
)
def test_only_loopback_hosts_count_as_local(host, loopback):
    assert serve.is_loopback(host) is loopback


def test_a_public_host_needs_a_long_enough_password():
    serve.check_access("127.0.0.1", None)
    serve.check_access("0.0.0.0", "correct-horse-battery")
    with pytest.raises(ValueError, match=r"--host 0\.0\.0\.0 would let anyone on the network"):
        serve.check_access("0.0.0.0", None)
    with pytest.raises(ValueError, match="has 6 characters; use at least 12"):
        serve.check_access("0.0.0.0", "secret")
    with pytest.raises(ValueError, match="use at least 12"):
        serve.check_access("127.0.0.1", "short")


def test_the_command_refuses_a_public_server_without_a_password(monkeypatch, capsys):
    monkeypatch.delenv(serve.PASSWORD_ENV, raising=False)
    assert serve.main(["--host", "0.0.0.0", "--headless", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert serve.PASSWORD_ENV in err and "Traceback" not in err
    monkeypatch.setenv(serve.PASSWORD_ENV, "hunter2")
    assert serve.main(["--host", "0.0.0.0", "--headless", "--port", str(free_port())]) == 2
    assert "use at least 12" in capsys.readouterr().err


def test_the_password_file_wins_and_is_stripped(tmp_path, monkeypatch):
    monkeypatch.setenv(serve.PASSWORD_ENV, "from-the-environment")
    secret = tmp_path / "secret.txt"
    secret.write_text("  from-the-file-123\n")
    assert serve.read_password(str(secret)) == "from-the-file-123"
    assert serve.read_password(None) == "from-the-environment"
    monkeypatch.delenv(serve.PASSWORD_ENV)
    assert serve.read_password(None) is None


@pytest.mark.parametrize("blank", [" " * 12, "\t \n" * 6, ""])
def test_a_blank_password_is_refused_from_the_file_and_the_environment(
    blank, tmp_path, monkeypatch, capsys
):
    """Twelve spaces pass a length check but are no password: stripped, then refused."""
    secret = tmp_path / "secret.txt"
    secret.write_text(blank)
    with pytest.raises(ValueError, match=f"from {secret} is blank"):
        serve.read_password(str(secret))
    monkeypatch.setenv(serve.PASSWORD_ENV, blank)
    with pytest.raises(ValueError, match=rf"from \${serve.PASSWORD_ENV} is blank"):
        serve.read_password(None)
    monkeypatch.setenv(serve.PASSWORD_ENV, "  padded-but-long-enough \n")
    assert serve.read_password(None) == "padded-but-long-enough"
    monkeypatch.setenv(serve.PASSWORD_ENV, blank)
    for host in ("0.0.0.0", "127.0.0.1"):
        assert serve.main(["--host", host, "--headless", "--port", str(free_port())]) == 2
        err = capsys.readouterr().err
        assert "is blank" in err and "Traceback" not in err


def test_only_lesson_names_are_served_under_lessons():
    assert serve.lesson_path_is_valid("4-2-5-queries-and-keys/")
    assert serve.lesson_path_is_valid("4-2-5-queries-and-keys/assets/x.js")
    for bad in ("home/", "_private/", "..%2F/", "4-2-5-Queries/", "notes/"):
        assert not serve.lesson_path_is_valid(bad), bad


def test_the_home_runs_headless():
    result = subprocess.run(
        [sys.executable, str(HOME)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.fixture(scope="module")
def lessons_dir(tmp_path_factory) -> Path:
    return _lessons_folder(tmp_path_factory.mktemp("app") / "lessons")


def test_the_gate_checks_the_password_and_a_user_name():
    gate = serve.PasswordGate(app=None, password="a-long-enough-secret")

    def header(credentials: bytes) -> list[tuple[bytes, bytes]]:
        return [(b"host", b"x"), (b"authorization", b"Basic " + base64.b64encode(credentials))]

    assert gate.authorized(header(b"learner:a-long-enough-secret"))
    assert gate.authorized(header(b"anyone:a-long-enough-secret"))
    assert not gate.authorized(header(b":a-long-enough-secret"))  # a user name is needed
    assert not gate.authorized(header(b"learner:a-long-enough-secreT"))
    assert not gate.authorized(header(b"learner"))
    assert not gate.authorized([(b"authorization", b"Basic not-base64!")])
    assert not gate.authorized([(b"authorization", b"Bearer a-long-enough-secret")])
    assert not gate.authorized([])


def test_with_a_password_every_request_needs_it(lessons_dir, tmp_path):
    password = "a-long-enough-secret"
    with course_server(lessons_dir, tmp_path / "serve.log", password=password) as url:
        lesson = f"{url}/lessons/{FIRST.stem}/"
        for address in (url + "/", lesson, url + "/health", lesson + "assets/x.js"):
            assert _status(address) == 401, address
        assert _status(f"{url}/?access_token={password}") == 401  # only the browser's prompt
        assert _status(lesson, _with_password(url, "learner", "not-the-password")) == 401
        signed_in = _with_password(url, "learner", password)
        assert _status(url + "/", signed_in) == 200
        assert _status(lesson, signed_in) == 200
        assert _status(f"{url}/lessons/{TENTH.stem}/", signed_in) == 200
    assert password not in (tmp_path / "serve.log").read_text()


# ------------------------------------------------------------------------------ in Chromium


@pytest.fixture(scope="module")
def app(lessons_dir, tmp_path_factory):
    require_chromium()
    with course_server(lessons_dir, tmp_path_factory.mktemp("serve") / "serve.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser(app):
    with chromium() as browser:
        yield browser


@pytest.mark.browser
def test_the_app_home_lists_the_course_and_links_the_lessons_that_exist(app, browser):
    page = open_notebook(browser, app)
    page.get_by_role("heading", name="Module 4.3 · Building & Training GPT").wait_for()
    items = page.locator("li.ch-lesson")
    assert items.count() == len(catalog.LESSONS)
    links = page.locator("a.ch-title")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        f"lessons/{FIRST.stem}/",
        f"lessons/{TENTH.stem}/",
    ]
    assert page.locator("li.ch-soon").count() == len(catalog.LESSONS) - 2
    assert page.locator("li.ch-soon a").count() == 0
    first = page.locator(f'li[data-lesson="{FIRST.number}"]').inner_text()
    tenth = page.locator(f'li[data-lesson="{TENTH.number}"]').inner_text()
    assert "runs in the browser" in first and "needs PyTorch" in tenth
    assert "coming soon" not in first + tenth
    for href in ("lessons/x/", "lessons/home/", "lessons/4-9-99-not-a-lesson/"):
        assert _status(f"{app}/{href}") == 404, href
    unwritten = catalog.lesson(2)
    with urllib.request.urlopen(f"{app}/lessons/{unwritten.stem}", timeout=20) as response:
        assert response.url.endswith(f"/lessons/{unwritten.stem}/")  # redirected to the folder
        text = response.read().decode()
    assert "coming soon" in text and unwritten.title in text and 'href="../../"' in text
    page.context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_links_go_home_to_a_lesson_to_another_and_back(app, browser):
    page = open_notebook(browser, app)
    page.get_by_role("link", name=FIRST.title).click()
    page.get_by_text(f"{FIRST.title} (test stand-in)").wait_for()
    assert page.url == f"{app}/lessons/{FIRST.stem}/"
    page.get_by_role("link", name=f"Lesson {TENTH.number}").click()  # ../<stem>/
    page.get_by_text(f"{TENTH.title} (test stand-in)").wait_for()
    assert page.url == f"{app}/lessons/{TENTH.stem}/"
    page.get_by_role("link", name="Back to the course").click()  # ../../
    page.get_by_role("heading", name="Module 4.1 · Language Modeling Fundamentals").wait_for()
    assert page.url == f"{app}/"
    page.context.close()


@pytest.mark.browser
def test_the_app_home_in_light_and_dark(app, browser, tmp_path_factory):
    folder = artifacts_dir(tmp_path_factory)
    backgrounds = {}
    for theme in ("light", "dark"):
        page = open_notebook(browser, app, theme=theme)
        page.get_by_role("heading", name="Module 4.4 · Beyond Pretraining").wait_for()
        page.screenshot(path=str(folder / f"app-home-{theme}.png"), full_page=True)
        backgrounds[theme] = page.evaluate(
            "() => getComputedStyle(document.querySelector('.ch-badge.ch-browser')).color"
        )
        page.context.close()
    assert backgrounds["light"] != backgrounds["dark"]  # the badges follow the theme


@pytest.mark.browser
def test_behind_a_password_the_browser_signs_in_once_for_every_notebook(
    lessons_dir, browser, tmp_path
):
    password = "another-long-secret"
    with course_server(lessons_dir, tmp_path / "serve.log", password=password) as url:
        stranger = browser.new_context()
        assert stranger.request.get(url + "/").status == 401
        stranger.close()
        context = browser.new_context(
            http_credentials={"username": "learner", "password": password}
        )
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(url + "/")
        page.get_by_role("link", name=FIRST.title).click()  # its kernel talks over a WebSocket
        page.get_by_text(f"{FIRST.title} (test stand-in)").wait_for()
        context.close()
