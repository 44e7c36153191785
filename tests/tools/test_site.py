"""tools/site.py: the static site, built once per test run, offline, then checked file by file
and (tests marked `browser`) served by `python -m http.server` on 127.0.0.1 to Chromium.

The build (`site_build`, tests/conftest.py and tests/exports.py) publishes the repository's
torch-free lessons (whatever exists) plus two small notebooks: a torch lesson, whose page must
show outputs computed at build time, and a browser lesson that imports `core` and `widgets`.
The lessons' tests read the same build. WebAssembly pages load Pyodide from a CDN and cannot
boot here: their files are checked instead (pins, wheels, the widgets' JavaScript). Each of
them has an edit view (`edit/`, marimo's edit mode, for the exercises): both views, the links
between them and their shared frontend are checked the same way, and clicked in Chromium.
"""

from __future__ import annotations

import ast
import contextlib
import html
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from core.course import catalog
from tests.browser.support import (
    artifacts_dir,
    chromium,
    free_port,
    pyodide_lock_file,
    require_chromium,
)
from tests.exports import BROWSER_NOTEBOOK, TORCH_LESSON, export_wasm, page_wheels
from tools import site as site_builder
from tools.site import (
    SITE_MARKER,
    SiteBuildError,
    build_site,
    check_wasm_pins,
    links_in,
    notebook_code,
    page_links,
    rebase_wasm_page,
    script_dependencies,
    static_outputs,
)
from widgets import _build_assets

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(site_build):
    """The build shared by the whole test run: (report, the synthetic lesson paths)."""
    return site_build.report, site_build.synthetic


@pytest.fixture(scope="module")
def site(built) -> Path:
    return built[0].out_dir


def _a_browser_notebook(synthetic: list[Path]) -> Path:
    """A browser notebook the build published: the synthetic one while a browser lesson is
    still unwritten, else lesson 1 (both import core.mirrors.sampling and NextTokenDistribution)."""
    browser_stems = {x.stem for x in catalog.LESSONS if x.browser}
    made = [p for p in synthetic if p.stem in browser_stems]
    return made[0] if made else catalog.lesson(1).path()


def _wasm_pages(report) -> list:
    return [page for page in report.pages if page.kind == "wasm"]


def _lesson_pages(report) -> list:
    """The published lessons' pages (WebAssembly or static), in course order."""
    return [page for page in report.pages if page.kind in ("wasm", "static")]


def _lock_versions() -> dict[str, str]:
    return site_builder.pyodide_versions(pyodide_lock_file())


def _imports(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


# ---------------------------------------------------------------------------- the build


def test_the_site_has_the_home_then_each_lesson_in_course_order(built, site):
    report, _ = built
    assert report.pages[0].kind == "home" and report.pages[0].path == Path("index.html")
    published = _lesson_pages(report)
    numbers = [catalog.lesson_sort_key(p.source.name)[2] for p in published]
    assert numbers == sorted(numbers) and TORCH_LESSON.number in numbers
    assert report.pages[1 : 1 + len(published)] == published
    for page in published:
        lesson = next(x for x in catalog.LESSONS if x.stem == page.stem)
        assert page.path == Path("lessons", lesson.stem, "index.html")
        assert page.kind == ("wasm" if lesson.browser else "static")
        assert (site / page.path).is_file()
    assert (site / SITE_MARKER).is_file() and (site / ".nojekyll").is_file()
    assert not list(site.parent.glob(".site-build-*"))  # the scratch folder is gone


def test_every_lesson_has_an_address_unwritten_ones_a_coming_soon_page(built, site):
    report, _ = built
    published = {page.stem for page in _lesson_pages(report)}
    soon = [page for page in report.pages if page.kind == "soon"]
    assert {page.stem for page in soon} == {x.stem for x in catalog.LESSONS} - published
    for page in soon:
        lesson = next(x for x in catalog.LESSONS if x.stem == page.stem)
        text = (site / page.path).read_text()
        assert "coming soon" in text and html.escape(lesson.title) in text
        assert html.escape(lesson.description) in text
        assert links_in(text) == ["../../"]  # back to the course, nothing else to load


def test_every_link_of_every_page_resolves_to_a_file(site):
    assert site_builder.broken_links(site) == []
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 3 and sum(len(page_links(p)) for p in pages) > 100


def test_the_home_links_exactly_the_published_lessons_and_the_edit_views(built, site):
    report, _ = built
    expected = []
    for page in _lesson_pages(report):
        expected.append(f"lessons/{page.stem}/")
        if page.kind == "wasm":  # a browser lesson: its edit view, beside its title
            expected.append(f"lessons/{page.stem}/edit/")
    outputs = static_outputs((site / "index.html").read_text())
    assert [link for output in outputs for link in links_in(output)] == expected
    for link in expected:
        assert (site / link / "index.html").is_file()
    assert "edit** view" in "".join(outputs) or "edit</strong> view" in "".join(outputs)


def _view_links(page: Path) -> list[str]:
    """The hrefs of a page's links to a lesson's other view."""
    text = page.read_text()
    return re.findall(r'<a class="course-view-link" href="([^"]*)"', text)


def test_every_browser_lesson_has_a_reading_view_and_an_edit_view(built, site):
    report, _ = built
    pages = _wasm_pages(report)
    assert pages
    for page in pages:
        read, edit = site / page.path, site / page.edit
        assert page.edit == Path("lessons", page.stem, "edit", "index.html") and edit.is_file()
        assert site_builder.mount_config(read.read_text())["mode"] == "read"
        assert site_builder.mount_config(edit.read_text())["mode"] == "edit"
        # the same notebook in both
        assert notebook_code(read.read_text()) == notebook_code(edit.read_text())
        assert "<marimo-wasm" in edit.read_text()
    for page in report.pages:
        if page.kind != "wasm":
            assert page.edit is None
            assert not (site / page.path.parent / "edit").exists()


def test_each_view_links_to_the_other_and_the_link_resolves(built, site):
    report, _ = built
    for page in _wasm_pages(report):
        read, edit = site / page.path, site / page.edit
        assert _view_links(read) == ["edit/"] and _view_links(edit) == ["../"]
        assert "Edit this lesson and do its exercises" in read.read_text()
        assert "Back to the reading view" in edit.read_text()
        assert (read.parent / "edit/" / "index.html").resolve() == edit.resolve()
        assert (edit.parent / "../" / "index.html").resolve() == read.resolve()
    static = [p for p in report.pages if p.kind == "static"]
    for page in static:  # a torch lesson has no edit view: it says how to do its exercises
        text = (site / page.path).read_text()
        assert _view_links(site / page.path) == [] and "just edit" in text
        assert "do its exercises" in text


def test_the_edit_views_share_the_one_frontend_and_the_wheels(built, site):
    report, _ = built
    for page in _wasm_pages(report):
        links = page_links(site / page.edit)
        assets = [link for link in links if "/assets/" in link]
        assert assets and all(link.startswith("../../assets/") for link in assets), links[:5]
        assert all(link.startswith("../../") for link in links if link != "../"), links[:5]
        # no copy of the assets or the wheels beside it: one HTML file
        assert sorted(p.name for p in (site / page.edit.parent).iterdir()) == ["index.html"]
        # the wheels resolve from lessons/assets/, as for the reading view
        code = notebook_code((site / page.edit).read_text())
        assert all(w.is_file() for w in page_wheels(site, code).values())
    assert len(list(site.rglob("worker-*.js"))) == 1
    assert len(list(site.rglob("assets"))) == 1


def test_the_edit_view_is_what_marimos_edit_mode_export_writes(built, tmp_path):
    """The build derives the edit view from the `--mode run` export instead of exporting
    twice: the derived page must equal marimo's own `--mode edit` page, bar the link."""
    notebook = _a_browser_notebook(built[1])
    run = export_wasm(notebook, tmp_path / "run")
    edit = export_wasm(notebook, tmp_path / "edit", mode="edit")
    derived = site_builder.edit_mode_page((run / "index.html").read_text())
    assert derived == (edit / "index.html").read_text()
    files = sorted(str(p.relative_to(run)) for p in run.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(edit)) for p in edit.rglob("*") if p.is_file())


def test_a_page_without_one_read_mode_entry_is_refused():
    with pytest.raises(SiteBuildError, match="edit view"):
        site_builder.edit_mode_page("<html><body><marimo-code>x</marimo-code></body></html>")
    page = '<marimo-code>%22mode%22</marimo-code><script>__MARIMO_MOUNT_CONFIG__ {"mode": "read"}'
    assert site_builder.edit_mode_page(page).endswith('{"mode": "edit"}')


def test_the_home_lists_every_lesson_and_says_where_it_runs(built, site):
    report, _ = built
    text = (site / "index.html").read_text()
    outputs = "".join(static_outputs(text))
    items = re.findall(r'<li class="ch-lesson( ch-soon)?" data-lesson="(\d+)">(.*?)</li>', outputs)
    assert [int(number) for _, number, _ in items] == [x.number for x in catalog.LESSONS]
    published = {page.stem for page in _lesson_pages(report)}
    for soon, number, body in items:
        lesson = catalog.lesson(int(number))
        assert html.escape(lesson.title) in body and html.escape(lesson.description) in body
        assert f"4.{lesson.module}.{lesson.number}" in body
        assert bool(soon) == (lesson.stem not in published)
        assert ("coming soon" in body) == bool(soon)
        assert ("runs in the browser" in body) == lesson.browser
        assert ("needs PyTorch" in body) == (not lesson.browser)
        assert ("<a " in body) == (lesson.stem in published)
    for module in catalog.MODULES:
        assert f"Module 4.{module.number} · {html.escape(module.title)}" in outputs
    assert f"{len(published)} of 18 lessons are ready" in outputs
    assert "import html" not in text.split("<marimo-code")[0]  # the home's code is not shown


def test_static_lesson_shows_outputs_computed_at_build_time(site):
    page = (site / "lessons" / TORCH_LESSON.stem / "index.html").read_text()
    assert "the sum of squares is 30.0" in page  # 1 + 4 + 9 + 16, computed by torch at build
    assert 'class="course-static-note"' in page and "needs PyTorch" in page
    assert "cdn.jsdelivr.net/npm/@marimo-team" not in page
    assert 'src="../assets/index-' in page  # marimo's frontend from the site's own copy


def test_no_page_loads_marimos_frontend_from_a_cdn(site):
    for page in site.rglob("*.html"):
        assert "cdn.jsdelivr.net/npm/@marimo-team" not in page.read_text(), page


def test_wasm_pages_share_one_frontend_and_start_its_worker(built, site):
    report, _ = built
    assert _wasm_pages(report), "no WebAssembly page was built"
    for page in _wasm_pages(report):
        text = (site / page.path).read_text()
        links = [link for link in page_links(site / page.path) if link != "edit/"]
        assert links and all(link.startswith("../") for link in links), links[:5]
        assert any(re.fullmatch(r"\.\./assets/index-.*\.js", link) for link in links)
        assert "<marimo-wasm" in text
    workers = list((site / "lessons" / "assets").glob("worker-*.js"))
    assert len(workers) == 1


def test_wasm_pages_pin_pyodides_packages_not_this_machines(built, site):
    import numpy

    report, _ = built
    versions = _lock_versions()
    for page in _wasm_pages(report):
        code = notebook_code((site / page.path).read_text())
        dependencies = script_dependencies(code)
        check_wasm_pins(dependencies, versions, page.stem)  # raises on any mismatch
        if "numpy" in _imports(code):
            assert f"numpy=={versions['numpy']}" in dependencies, dependencies
            if numpy.__version__ != versions["numpy"]:
                assert f"numpy=={numpy.__version__}" not in dependencies
        assert not any(d.split(";")[0].strip() == "torch" for d in dependencies)


def test_wasm_pages_carry_the_wheels_of_the_modules_they_import(built, site):
    report, synthetic = built
    for page in _wasm_pages(report):
        code = notebook_code((site / page.path).read_text())
        wheels = page_wheels(site, code)
        local = _imports(code) & {"core", "widgets"}
        assert set(wheels) == local, (page.stem, set(wheels))
        for name, wheel in wheels.items():
            assert wheel.is_file() and wheel.parent == site / "lessons" / "public" / "wheels"
            with zipfile.ZipFile(wheel) as archive:
                sources = {
                    n: archive.read(n).decode() for n in archive.namelist() if n.endswith(".py")
                }
            assert f"{name}/__init__.py" in sources
            assert not any("torch" in _imports(src) for src in sources.values()), wheel.name
    # lesson 1 (or the synthetic stand-in) imports core.mirrors.sampling and a widget
    path = _a_browser_notebook(synthetic)
    code = notebook_code((site / "lessons" / path.stem / "index.html").read_text())
    wheels = page_wheels(site, code)
    with zipfile.ZipFile(wheels["core"]) as archive:
        assert "core/mirrors/sampling.py" in archive.namelist()
    with zipfile.ZipFile(wheels["widgets"]) as archive:
        assert "widgets/next_token.py" in archive.namelist()


def test_wasm_pages_carry_the_widgets_javascript(built, site):
    """marimo's wheels hold only .py files: the widgets' JS/CSS travel in the generated
    widgets/_assets.py, which must be in the wheel and equal to the .js/.css files."""
    report, _ = built
    checked = []
    for page in _wasm_pages(report):
        code = notebook_code((site / page.path).read_text())
        if "widgets" not in _imports(code):
            continue
        with zipfile.ZipFile(page_wheels(site, code)["widgets"]) as archive:
            names = archive.namelist()
            assert {"widgets/_base.py", "widgets/_assets.py"} <= set(names), (page.stem, names)
            assert not [n for n in names if n.endswith((".js", ".css"))]  # why _assets exists
            shipped: dict = {}
            exec(archive.read("widgets/_assets.py").decode(), shipped)
        assert shipped["FILES"] == _build_assets.source_files(), page.stem
        checked.append(page.stem)
    assert checked, "no WebAssembly page imports widgets"


def test_the_build_regenerates_the_widget_assets_before_exporting(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(site_builder, "write_widget_assets", lambda: calls.append("assets"))

    def export(job, scratch, env):
        calls.append(job.kind)
        raise SiteBuildError("stop here")

    monkeypatch.setattr(site_builder, "_export", export)
    lesson = tmp_path / catalog.lesson(1).filename
    lesson.write_text(BROWSER_NOTEBOOK)
    with pytest.raises(SiteBuildError, match="stop here"):
        build_site(tmp_path / "out", lessons=[lesson], pyodide_lock_file=pyodide_lock_file())
    assert calls[0] == "assets" and len(calls) > 1  # before the first export starts


def test_writing_the_widget_assets_is_a_no_op_when_current(tmp_path, monkeypatch):
    target = tmp_path / "_assets.py"
    monkeypatch.setattr(_build_assets, "TARGET", target)
    assert site_builder.write_widget_assets() is True
    written = target.stat().st_mtime_ns
    assert site_builder.write_widget_assets() is False and target.stat().st_mtime_ns == written
    assert _build_assets.is_current()


# ------------------------------------------------------------------- the parts, on their own


def test_pins_are_checked_against_pyodide():
    versions = {"numpy": "2.4.3", "traitlets": "5.14.3"}
    check_wasm_pins(
        ["numpy==2.4.3", "marimo>=0.25", "torch; sys_platform != 'emscripten'"], versions, "x"
    )
    with pytest.raises(SiteBuildError, match=r"numpy==2\.4\.6 but Pyodide ships numpy 2\.4\.3"):
        check_wasm_pins(["numpy==2.4.6"], versions, "lesson")
    with pytest.raises(SiteBuildError, match="cannot install in the browser"):
        check_wasm_pins(["torch>=2.4"], versions, "lesson")


def test_rebasing_a_wasm_page_moves_only_tag_links():
    page = (
        '<link rel="icon" href="./favicon.ico" /><script type="module" src="./assets/a.js">'
        "</script><marimo-code hidden>x%20%3D%20'.%2Fkeep'</marimo-code>"
        '<a href="https://example.org/./x">y</a>'
    )
    rebased = rebase_wasm_page(page)
    assert 'href="../favicon.ico"' in rebased and 'src="../assets/a.js"' in rebased
    assert "'.%2Fkeep'" in rebased and 'href="https://example.org/./x"' in rebased
    twice = rebase_wasm_page(page, 2)
    assert 'href="../../favicon.ico"' in twice and 'src="../../assets/a.js"' in twice
    assert "'.%2Fkeep'" in twice


def test_a_page_that_does_not_load_marimo_from_its_cdn_is_refused():
    with pytest.raises(SiteBuildError, match="marimo changed its export"):
        site_builder.localize_static_page("<html><script src='./x.js'></script></html>", "..")


def test_lessons_must_carry_catalog_names(tmp_path):
    stray = tmp_path / "my-notes.py"
    stray.write_text("")
    with pytest.raises(ValueError, match=r"my-notes\.py.*not a lesson of core\.course\.catalog"):
        build_site(tmp_path / "out", lessons=[stray])
    twice = tmp_path / TORCH_LESSON.filename
    twice.write_text("")
    with pytest.raises(ValueError, match="given twice"):
        build_site(tmp_path / "out", lessons=[twice, twice])
    with pytest.raises(ValueError, match="does not exist"):
        build_site(tmp_path / "out", lessons=[tmp_path / catalog.lesson(3).filename])


def test_a_folder_it_did_not_build_is_never_replaced(tmp_path):
    mine = tmp_path / "site"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    with pytest.raises(ValueError, match=r"not empty and was not built by tools/site\.py"):
        build_site(mine, lessons=[])
    assert (mine / "thesis.tex").read_text() == "precious"


def test_without_a_lock_file_or_network_the_build_says_what_to_set(tmp_path, monkeypatch):
    monkeypatch.delenv("MARIMO_PYODIDE_LOCK_FILE", raising=False)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))  # nothing cached either
    (tmp_path / "lessons").mkdir()
    lesson = tmp_path / "lessons" / catalog.lesson(1).filename
    lesson.write_text(BROWSER_NOTEBOOK)
    with pytest.raises(SiteBuildError) as err:  # conftest blocks the download: offline
        build_site(tmp_path / "out", lessons=[lesson])
    assert "MARIMO_PYODIDE_LOCK_FILE" in str(err.value) and "pyodide-lock.json" in str(err.value)
    monkeypatch.setenv("MARIMO_PYODIDE_LOCK_FILE", str(tmp_path / "nowhere.json"))
    with pytest.raises(SiteBuildError, match=r"nowhere\.json, which does not exist"):
        build_site(tmp_path / "out", lessons=[lesson])
    assert not (tmp_path / "out").exists()


def test_a_cached_lock_file_is_used_when_the_variable_is_unset(tmp_path, monkeypatch):
    """`just data` caches marimo's lock file; the build and the tests then find it offline."""
    lock_text = pyodide_lock_file().read_text()  # before unsetting what may point at it
    monkeypatch.delenv("MARIMO_PYODIDE_LOCK_FILE", raising=False)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    assert site_builder.find_pyodide_lock() is None
    cached = site_builder.cached_pyodide_lock()
    assert cached.is_relative_to(tmp_path / "cache")
    cached.parent.mkdir(parents=True)
    cached.write_text(lock_text)
    assert site_builder.find_pyodide_lock() == cached
    assert site_builder.pyodide_lock(None) == cached
    assert site_builder.main(["--fetch-pyodide-lock"]) == 0  # nothing to download


def test_a_failing_notebook_names_itself_and_keeps_the_old_site(tmp_path):
    old = tmp_path / "site"
    old.mkdir()
    (old / SITE_MARKER).write_text("")
    (old / "index.html").write_text("the old home")
    broken = tmp_path / TORCH_LESSON.filename
    broken.write_text(
        "import marimo\n\napp = marimo.App()\n\n\n@app.cell\ndef _():\n    1 / 0\n    return\n"
    )
    with pytest.raises(SiteBuildError, match=rf"static export of {TORCH_LESSON.filename}") as err:
        build_site(old, lessons=[broken], jobs=2)
    assert "division by zero" in str(err.value)  # marimo's own report, passed on
    assert (old / "index.html").read_text() == "the old home"
    assert not list(tmp_path.glob(".site-build-*"))


def test_command_line_reports_errors_without_a_traceback(tmp_path, capsys):
    stray = tmp_path / "draft.py"
    stray.write_text("")
    assert site_builder.main(["--out", str(tmp_path / "out"), str(stray)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: lessons: 'draft.py' is not a lesson") and "Traceback" not in err


# ------------------------------------------------------------- in Chromium, statically served


@contextlib.contextmanager
def static_server(root: Path, log: Path):
    """`python -m http.server` on 127.0.0.1 serving `root`; the site needs nothing more."""
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "-b", "127.0.0.1", "-d", str(root)]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"http.server did not start: {log.read_text()}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def served(site, tmp_path_factory):
    require_chromium()
    with static_server(site, tmp_path_factory.mktemp("http") / "http.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser(served):
    with chromium() as browser:
        yield browser


def _open(browser, url: str, *, theme: str = "light"):
    """A page that may only reach 127.0.0.1; records what it asked elsewhere and what failed."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, color_scheme=theme)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.elsewhere, page.failed = [], []

    def route(request_route):
        if request_route.request.url.startswith("http://127.0.0.1:"):
            request_route.continue_()
        else:
            page.elsewhere.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("response", lambda r: r.status >= 400 and page.failed.append(f"{r.status} {r.url}"))
    page.goto(url)
    return page


@pytest.mark.browser
def test_home_renders_from_a_static_server_and_every_link_answers(built, served, browser):
    report, _ = built
    page = _open(browser, served + "/")
    page.get_by_role("heading", name="Module 4.1 · Language Modeling Fundamentals").wait_for()
    for lesson in catalog.LESSONS:
        assert page.locator(f'li[data-lesson="{lesson.number}"]').inner_text().count(lesson.title)
    links = page.locator("a.ch-title")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == [f"lessons/{p.stem}/" for p in _lesson_pages(report)]
    for href in hrefs:
        with urllib.request.urlopen(f"{served}/{href}", timeout=10) as response:
            assert response.status == 200 and b"<html" in response.read(2000).lower()
    assert page.locator("li.ch-soon a").count() == 0  # coming soon: never a link
    unwritten = next(p for p in report.pages if p.kind == "soon")
    with urllib.request.urlopen(f"{served}/{unwritten.path.parent}/", timeout=10) as response:
        assert b"coming soon" in response.read()  # a lesson's link to it would not break
    assert page.failed == [] and page.elsewhere == []
    page.context.close()


@pytest.mark.browser
def test_clicking_the_torch_lesson_shows_its_built_outputs(served, browser):
    page = _open(browser, served + "/")
    page.get_by_role("link", name=TORCH_LESSON.title).click()
    page.get_by_text("the sum of squares is 30.0").wait_for()
    assert page.url == f"{served}/lessons/{TORCH_LESSON.stem}/"
    note = page.locator(".course-static-note")
    assert note.is_visible() and "needs PyTorch" in note.inner_text()
    assert note.get_by_role("link", name="course home").get_attribute("href") == "../../"
    page.get_by_role("button", name="Close this note").click()
    assert page.locator(".course-static-note").count() == 0
    assert page.failed == [] and page.elsewhere == []
    page.context.close()


@pytest.mark.browser
def test_a_wasm_page_loads_its_frontend_and_only_pyodide_is_missing(built, served, browser):
    report, _ = built
    stem = _wasm_pages(report)[0].stem
    page = _open(browser, f"{served}/lessons/{stem}/")
    deadline = time.monotonic() + 60  # the worker starts, then asks the CDN for Pyodide
    while not any("pyodide" in url for url in page.elsewhere) and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert page.failed == []  # every file of the site it asked for was there
    hosts = {urllib.parse.urlsplit(url).hostname for url in page.elsewhere}
    assert hosts <= {"cdn.jsdelivr.net", "wasm.marimo.app"}, page.elsewhere  # Pyodide and its lock
    assert any("pyodide" in url for url in page.elsewhere)
    page.context.close()


@pytest.mark.browser
def test_clicking_from_the_reading_view_to_the_edit_view_and_back(built, served, browser):
    report, _ = built
    stem = _wasm_pages(report)[0].stem
    page = _open(browser, served + "/")
    page.locator(f'a.ch-edit[href="lessons/{stem}/edit/"]').wait_for()
    page.goto(f"{served}/lessons/{stem}/")
    for link, url, mode in [
        ("Edit this lesson and do its exercises", f"lessons/{stem}/edit/", "edit"),
        ("Back to the reading view", f"lessons/{stem}/", "read"),
    ]:
        page.elsewhere.clear()
        page.get_by_role("link", name=link).click()
        page.wait_for_url(f"{served}/{url}")
        assert page.evaluate("window.__MARIMO_MOUNT_CONFIG__.mode") == mode
        deadline = time.monotonic() + 60  # its frontend starts the worker, which asks for Pyodide
        while not any("pyodide" in u for u in page.elsewhere) and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        assert any("pyodide" in u for u in page.elsewhere), page.elsewhere
        assert page.failed == [], page.failed  # the frontend's files were all on the site
    page.context.close()


@pytest.mark.browser
def test_home_screenshots_light_and_dark(served, browser, tmp_path_factory):
    """Not a visual diff: both themes render the lesson list with readable contrast."""
    folder = artifacts_dir(tmp_path_factory)
    colors = {}
    for theme in ("light", "dark"):
        page = _open(browser, f"{served}/?theme={theme}", theme=theme)
        page.get_by_role("heading", name="Module 4.2 · Attention & the Transformer").wait_for()
        page.screenshot(path=str(folder / f"site-home-{theme}.png"))
        colors[theme] = page.evaluate(
            """() => {
              const parse = (css) => {
                // "rgb(r, g, b)", "rgba(r, g, b, a)", or "color(srgb r g b / a)" with 0..1 channels
                const v = css.match(/[0-9.]+/g).map(Number);
                const scale = css.startsWith("color(") ? 255 : 1;
                return {rgb: v.slice(0, 3).map((x) => x * scale), alpha: v.length > 3 ? v[3] : 1};
              };
              const title = document.querySelector('.ch-title');
              let node = title, bg = null;
              while (node && node.nodeType === 1) {
                const c = parse(getComputedStyle(node).backgroundColor);
                if (c.alpha > 0.99) { bg = c.rgb; break; }
                node = node.parentElement;
              }
              return {fg: parse(getComputedStyle(title).color).rgb, bg: bg || [255, 255, 255]};
            }"""
        )
        page.context.close()
    for theme, c in colors.items():
        assert _contrast(c["fg"], c["bg"]) >= 4.5, (theme, c)
    assert sum(colors["dark"]["bg"]) < sum(colors["light"]["bg"])


def _contrast(fg, bg) -> float:
    def luminance(rgb):
        channels = [v / 255 for v in rgb]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_without_uv_the_build_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(site_builder.shutil, "which", lambda name, path=None: None)
    lesson = tmp_path / catalog.lesson(1).filename
    lesson.write_text(BROWSER_NOTEBOOK)
    with pytest.raises(SiteBuildError, match=r"needs `uv` on PATH"):
        build_site(tmp_path / "out", lessons=[lesson], pyodide_lock_file=pyodide_lock_file())
