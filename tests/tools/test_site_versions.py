"""tools/site.py's version report: for each package the WebAssembly pages ask for, the version
in the course's lock beside the one the browser gets (Pyodide's, or PyPI's at page load)."""

from __future__ import annotations

from tests.browser.support import pyodide_lock_file
from tools import lock
from tools.site import BrowserVersion, browser_versions, locked_versions, pyodide_versions


def test_the_report_sets_the_lock_beside_the_browser():
    locked = {"numpy": "2.4.6", "traitlets": "5.16.1", "anywidget": "0.11.0", "marimo": "0.25.2"}
    pyodide = {"numpy": "2.4.3", "traitlets": "5.16.1"}
    report = browser_versions(
        [
            "marimo>=0.25.2",
            "numpy==2.4.3",
            "anywidget>=0.11",
            "traitlets>=5.9",
            "core @ ../public/wheels/core-0.1.0-py3-none-any.whl",
            "torch; sys_platform != 'emscripten'",
            "numpy==2.4.3",
        ],
        pyodide,
        locked,
        marimo_version="0.25.2",
    )
    assert report == [
        BrowserVersion("anywidget", "0.11.0", None, "anywidget>=0.11"),
        BrowserVersion("marimo", "0.25.2", "0.25.2", "marimo>=0.25.2"),
        BrowserVersion("numpy", "2.4.6", "2.4.3", "numpy==2.4.3"),
        BrowserVersion("traitlets", "5.16.1", "5.16.1", "traitlets>=5.9"),
    ]
    same = {v.package: v.same for v in report}
    assert same == {"anywidget": False, "marimo": True, "numpy": False, "traitlets": True}
    assert "DIFFERS" in report[2].describe() and "2.4.3 (Pyodide)" in report[2].describe()
    assert "PyPI at page load" in report[0].describe()


def test_locked_versions_read_the_courses_lock_and_torch_from_its_header():
    versions = locked_versions()
    text = lock.LOCK.read_text()
    assert versions["torch"] == lock.torch_pin(text)
    assert versions["marimo"] == next(p.version for p in lock.parse(text) if p.name == "marimo")


def test_the_built_site_reports_numpy_from_pyodide_beside_the_lock(site_build):
    report = site_build.report
    by_name = {v.package: v for v in report.browser_versions}
    assert "numpy" in by_name, by_name
    numpy = by_name["numpy"]
    assert numpy.locked == locked_versions()["numpy"]
    assert numpy.browser == pyodide_versions(pyodide_lock_file())["numpy"]
    assert "torch" not in by_name and "core" not in by_name
