"""The WebAssembly exports the tests check, made once per test run, and how to read them.

`tests/conftest.py`'s session fixture `site_build` builds the static site once (tools/site.py,
offline, Pyodide's lock file) with the repository's browser lessons plus two small notebooks
written here, and every test that needs an exported page reads it from there:
tests/tools/test_site.py checks the site, tests/lessons/test_lessons.py checks each browser
lesson's page and runs it from its wheels alone.

The synthetic notebooks: a torch lesson, because its page must show outputs computed at build
time, and a browser lesson that imports `core` and `widgets` under the name of a browser
lesson not yet written, so the WebAssembly path (and the widgets' JavaScript in the wheel) is
exercised even before the real lessons land.

`export_wasm(notebook, out)` exports a single notebook that is not a lesson (the widgets'
demo) the same way, after regenerating the widgets' `_assets.py` as the site build does.
"""

from __future__ import annotations

import ast
import json
import os
import posixpath
import subprocess
import sys
import urllib.parse
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.course import catalog
from tests.browser.support import pyodide_lock_file
from tools import site as site_builder

REPO = Path(__file__).resolve().parents[1]
TORCH_LESSON = catalog.lesson(10)  # a torch lesson (browser=False)
EXPORT_TIMEOUT_S = 300

TORCH_NOTEBOOK = """# /// script
# dependencies = ["marimo>=0.25.2", "torch; sys_platform != 'emscripten'"]
# ///
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo
    import torch

    total = torch.arange(1, 5, dtype=torch.float32).pow(2).sum().item()
    mo.md(f"Built with torch: the sum of squares is {total:.1f} [home](../../)")
    return


if __name__ == "__main__":
    app.run()
"""

BROWSER_NOTEBOOK = """# /// script
# dependencies = ["marimo>=0.25.2", "numpy>=1.26", "anywidget>=0.11", "traitlets>=5.9"]
# ///
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo
    import numpy as np

    from core.mirrors.sampling import softmax
    from widgets import NextTokenDistribution

    mo.md(f"Softmax of zeros: {softmax(np.zeros(2))}")
    return


if __name__ == "__main__":
    app.run()
"""


def synthetic_lessons(folder: Path) -> list[Path]:
    """The torch notebook, and a browser one under a browser lesson's name not yet written."""
    folder.mkdir(parents=True)
    # import roots for the WebAssembly export: this folder and the repository (core, widgets)
    (folder / "pyproject.toml").write_text(
        f"[tool.marimo.runtime]\npythonpath = [{json.dumps(str(REPO))}]\n"
    )
    torch_path = folder / TORCH_LESSON.filename
    torch_path.write_text(TORCH_NOTEBOOK)
    made = [torch_path]
    free = [lesson for lesson in catalog.LESSONS if lesson.browser and not lesson.exists()]
    if free:
        browser_path = folder / free[0].filename
        browser_path.write_text(BROWSER_NOTEBOOK)
        made.append(browser_path)
    return made


@dataclass(frozen=True)
class SiteBuild:
    """One offline build: what `build_site` reported, and the synthetic notebooks it published."""

    report: site_builder.SiteReport
    synthetic: list[Path]

    @property
    def site(self) -> Path:
        return self.report.out_dir

    def wasm_page(self, stem: str) -> Path:
        """The WebAssembly page of lesson `stem` (fails the test when the build made none)."""
        pages = [p for p in self.report.pages if p.kind == "wasm" and p.stem == stem]
        if not pages:
            pytest.fail(f"the site build made no WebAssembly page for {stem}")
        return self.site / pages[0].path


def build_test_site(tmp_path_factory: pytest.TempPathFactory) -> SiteBuild:
    """Build the site offline from the repository's browser lessons and the synthetic ones.

    The torch lessons are left out (each executes in full at build time: too slow here).
    """
    lock = pyodide_lock_file()
    synthetic = synthetic_lessons(tmp_path_factory.mktemp("notebooks") / "lessons")
    browser_stems = {lesson.stem for lesson in catalog.LESSONS if lesson.browser}
    real = [p for p in catalog.lesson_files() if p.stem in browser_stems]
    out = tmp_path_factory.mktemp("build") / "site"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UV_OFFLINE", "1")  # marimo's export runs ruff through uv: from its cache
        mp.setenv("MARIMO_PYODIDE_LOCK_FILE", str(lock))
        report = site_builder.build_site(out, lessons=[*real, *synthetic], jobs=2)
    return SiteBuild(report, synthetic)


def page_wheels(site: Path, code: str) -> dict[str, Path]:
    """{distribution: wheel file} for each `name @ ../public/wheels/…` requirement of a page's
    notebook `code`, resolved as the worker resolves it: relative to lessons/assets/."""
    wheels = {}
    for requirement in site_builder.script_dependencies(code):
        name, _, url = (part.strip() for part in requirement.partition("@"))
        if not url:
            continue
        resolved = posixpath.normpath(posixpath.join("lessons/assets", urllib.parse.unquote(url)))
        wheels[name] = site / resolved
    return wheels


def export_wheels(export: Path) -> list[Path]:
    """The wheels a `marimo export html-wasm` folder ships (its public/wheels/)."""
    return sorted((export / "public" / "wheels").glob("*.whl"))


def wheel_sources(wheels: list[Path]) -> dict[str, str]:
    """{path inside the wheel: text} for every .py file of `wheels`."""
    files = {}
    for wheel in sorted(wheels):
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if name.endswith(".py"):
                    files[name] = archive.read(name).decode()
    return files


def export_wasm(notebook: Path, out: Path, mode: str = "run") -> Path:
    """`marimo export html-wasm notebook -o out --mode run` (or `mode`), offline, as the site
    build runs it (the widgets' `_assets.py` regenerated first); returns `out`."""
    site_builder.write_widget_assets()
    env = dict(os.environ, MARIMO_PYODIDE_LOCK_FILE=str(pyodide_lock_file()), UV_OFFLINE="1")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "marimo", "export", "html-wasm", str(notebook), "-o", str(out)]
    command += ["--mode", mode, "--no-sandbox", "-f"]
    result = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=EXPORT_TIMEOUT_S
    )
    assert result.returncode == 0, (
        f"html-wasm export of {notebook.name} failed (offline it needs marimo's pinned ruff in "
        f"uv's cache: `just setup` puts it there):\n{result.stderr[-3000:]}"
    )
    return out


def imports_torch(source: str) -> bool:
    """True if Python `source` imports torch anywhere: `import`, `from … import`, `__import__`."""
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
            names = [a.value for a in node.args[:1] if isinstance(a, ast.Constant)]
        if any(str(name).split(".")[0] == "torch" for name in names):
            return True
    return False
