"""Build the course's static web site: `python tools/site.py [--out site]` (or `just site`).

The site needs only a static file server (GitHub Pages, `python -m http.server`); every link
in it is relative. Layout, with the app's URLs (tools/serve.py) mirrored on purpose:

    index.html                  the course home, lessons/home.py executed at build time
    lessons/<stem>/index.html   one lesson: a WebAssembly page (it runs in the browser on
                                Pyodide) when the catalog marks it `browser`, else a static
                                page whose outputs were computed at build time (torch); for a
                                lesson not published, a "coming soon" page, so that every
                                lesson's address works and lessons may link to the next one
    lessons/<stem>/edit/index.html  a browser lesson's edit view: the same WebAssembly page in
                                marimo's edit mode (the code shown and editable, cells added),
                                where the learner does the exercises. The reading view links
                                to it ("edit/") and it links back ("../")
    lessons/assets/ …           marimo's frontend, one copy shared by every page
    lessons/public/wheels/      the course's own modules (core, widgets) as wheels, which the
                                WebAssembly lessons install when they load
    lessons/public/shakespeare-char-cpu.npz  the trained model lessons 7 and 9 look inside, when
                                it was made on this machine (`python -m core.train.lesson_model`;
                                never committed); without it those pages show a random model

Why lessons/assets: a WebAssembly page starts marimo's worker from `assets/`, and the worker
resolves both `mo.notebook_location()` and the wheels (`../public/wheels/…`) from the folder
that holds `assets/`. With one shared `lessons/assets/` that folder is `site/lessons/`, the
image of the repository's `lessons/` (a lesson's `public/` files land in `lessons/public/`).
The edit view, one folder deeper, loads the same `lessons/assets/` (`../../assets/`), so it
shares the frontend, the worker and the wheels: it costs one HTML file, not a second export.
It is the reading view's page with `"mode": "read"` set to `"edit"`, which is all that
`marimo export html-wasm --mode edit` changes (tests/tools/test_site.py compares the two).

The widgets' JavaScript reaches a WebAssembly page inside the `widgets` wheel, as the generated
`widgets/_assets.py` (marimo's wheels carry only `.py` files): the build regenerates it from
`widgets/*.js`, `*.css` before exporting, so the pages never ship a stale copy.

Offline builds: the WebAssembly export pins package versions from Pyodide's lock file. Set
`MARIMO_PYODIDE_LOCK_FILE` to a local `pyodide-lock.json`; without it the builder downloads
marimo's (and fails with a message saying so when there is no network). Every exported pin is
then checked against that lock file, because a page that pins this machine's numpy instead of
Pyodide's would fail in the browser. The export also needs `uv` on PATH (the venv's is used).

Versions: the pages do not run on the course's lock (`requirements-lock.txt`). Pyodide ships its
own build of numpy, pandas, altair, ...; the other packages a page asks for (anywidget, ...) are
installed from PyPI when it loads. The build reports, package by package, the version the
browser gets beside the locked one (`SiteReport.browser_versions`, printed by `just site`),
so that a difference is seen, not discovered.

Example:
    >>> report = build_site(Path("site"))
    >>> [page.kind for page in report.pages][:1]
    ['home']
"""

from __future__ import annotations

import argparse
import filecmp
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if not __package__ and str(REPO) not in sys.path:  # run as `python tools/site.py`
    sys.path.insert(0, str(REPO))

from core.course import catalog, lesson_model  # noqa: E402
from core.data.atomic import write_bytes_atomically  # noqa: E402
from tools import lock as course_lock  # noqa: E402
from tools.coming_soon import coming_soon_html  # noqa: E402

HOME = catalog.LESSONS_DIR / "home.py"
LOCK_ENV = "MARIMO_PYODIDE_LOCK_FILE"
SITE_MARKER = ".course-site"  # marks a folder this builder made, so a rebuild may replace it
EXPORT_TIMEOUT_S = 900  # one notebook; a torch lesson executes in full at build time
# Files of marimo's frontend bundle that no page needs.
_SKIP_STATIC = {"index.html", "CLAUDE.md"}
_TAG = re.compile(r"""<[a-zA-Z](?:[^>"']|"[^"]*"|'[^']*')*>""")
_RELATIVE_ATTR = re.compile(r"""(\s(?:href|src)=["'])\./""")
_REQUIREMENT_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;,]+)")


class SiteBuildError(RuntimeError):
    """The site could not be built; the message says which notebook or tool and what to do."""


@dataclass(frozen=True)
class Page:
    """One page of the site.

    `kind`: "home"; "wasm" (runs in the browser); "static" (outputs computed at build time);
    "soon" (the "coming soon" page of a lesson that is not published).
    """

    kind: str
    path: Path  # relative to the site's root
    source: Path | None  # the notebook; None for a "coming soon" page
    seconds: float
    stem: str | None = None  # the lesson's stem; None for the home
    edit: Path | None = None  # a "wasm" lesson's edit view (relative to the site's root)


@dataclass(frozen=True)
class BrowserVersion:
    """A package the WebAssembly pages ask for: its version in the course's lock, and what the
    browser gets. `browser`: Pyodide's version, or None when it comes from PyPI at page load
    (the newest that fits `requirement`)."""

    package: str
    locked: str | None
    browser: str | None
    requirement: str

    @property
    def same(self) -> bool:
        return self.browser is not None and self.browser == self.locked

    def describe(self) -> str:
        locked = self.locked or "not locked"
        if self.browser is None:
            got = f"PyPI at page load, newest for {self.requirement!r}"
        elif self.package == "marimo":
            got = f"{self.browser} (marimo-base, with the site's frontend)"
        else:
            got = f"{self.browser} (Pyodide)"
        mark = "same" if self.same else "DIFFERS"
        return f"{self.package:12} locked {locked:12} browser {got}  {mark}"


@dataclass
class SiteReport:
    """What `build_site` made: the pages in course order, the lock file it pinned to, and the
    versions the browser gets beside the course's lock."""

    out_dir: Path
    pages: list[Page] = field(default_factory=list)
    pyodide_lock: Path | None = None
    seconds: float = 0.0
    browser_versions: list[BrowserVersion] = field(default_factory=list)
    lesson_model: Path | None = None  # the trained model shipped for lessons 7 and 9, if any


# --- which notebooks ------------------------------------------------------------------------


def resolve_lessons(lessons: Iterable[Path | str] | None) -> list[tuple[catalog.Lesson, Path]]:
    """Each notebook with its catalog entry, in course order.

    `lessons`: notebook files named `{series}-{module}-{lesson}-{slug}.py` as in core.course.catalog;
    None means every lesson in lessons/. Raises ValueError for a name the catalog lacks.
    """
    paths = catalog.lesson_files() if lessons is None else [Path(p) for p in lessons]
    by_stem = {lesson.stem: lesson for lesson in catalog.LESSONS}
    found: dict[str, tuple[catalog.Lesson, Path]] = {}
    for path in paths:
        lesson = by_stem.get(path.stem)
        if lesson is None:
            raise ValueError(
                f"lessons: {path.name!r} is not a lesson of core.course.catalog (expected one of "
                f"{_lesson_names_hint()}); rename it or add it to the catalog"
            )
        if not path.is_file():
            raise ValueError(f"lessons: {path} does not exist")
        if path.stem in found:
            raise ValueError(f"lessons: {path.name!r} is given twice")
        found[path.stem] = (lesson, path.resolve())
    return sorted(found.values(), key=lambda item: item[0].number)


def _lesson_names_hint() -> str:
    names = [lesson.filename for lesson in catalog.LESSONS]
    return f"{names[0]} … {names[-1]}"


# --- tools the export needs -----------------------------------------------------------------


def _tool_env(lock: Path | None) -> dict[str, str]:
    """The environment for marimo's exports: this venv's bin first (uv), the lock file."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    if lock is not None:
        env[LOCK_ENV] = str(lock)
    return env


def cached_pyodide_lock() -> Path:
    """Where `just data` keeps marimo's Pyodide lock file (one per marimo version)."""
    import marimo

    from core.data.files import cache_dir

    return cache_dir() / "pyodide" / f"pyodide-lock-marimo-{marimo.__version__}.json"


def find_pyodide_lock() -> Path | None:
    """$MARIMO_PYODIDE_LOCK_FILE when set, else the cached copy if there is one, else None."""
    if os.environ.get(LOCK_ENV):
        return Path(os.environ[LOCK_ENV]).expanduser().resolve()
    cached = cached_pyodide_lock()
    return cached if cached.is_file() else None


def download_pyodide_lock() -> Path:
    """marimo's Pyodide lock file, downloaded once into the cache (atomically)."""
    import marimo

    target = cached_pyodide_lock()
    if target.is_file():
        return target
    url = f"https://wasm.marimo.app/pyodide-lock.json?v={marimo.__version__}"
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "llms-and-transformers"})
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
        json.loads(payload)
        write_bytes_atomically(target, payload, durable=False)
    except (OSError, ValueError) as err:
        raise SiteBuildError(
            f"the WebAssembly pages must pin Pyodide's package versions, from its lock file, "
            f"and downloading it from {url} failed ({err}). Offline, set {LOCK_ENV} to a local "
            "pyodide-lock.json (for example ../shared/pyodide/pyodide-lock.json) and build again."
        ) from err
    return target


def pyodide_lock(explicit: Path | None) -> Path:
    """The Pyodide lock file: `explicit`, else $MARIMO_PYODIDE_LOCK_FILE, else marimo's
    (cached by `just data`, downloaded now if it is not)."""
    if explicit is None:
        explicit = find_pyodide_lock()
    if explicit is not None:
        explicit = explicit.expanduser().resolve()
        if not explicit.is_file():
            raise SiteBuildError(
                f"{LOCK_ENV} (or --pyodide-lock) names {explicit}, which does not exist"
            )
        return explicit
    return download_pyodide_lock()


def pyodide_versions(lock: Path) -> dict[str, str]:
    """{normalized package name: version} of the packages Pyodide ships (from its lock file)."""
    packages = json.loads(Path(lock).read_text())["packages"]
    return {_normalize(spec["name"]): spec["version"] for spec in packages.values()}


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def write_widget_assets() -> bool:
    """Regenerate the git-ignored `widgets/_assets.py` from the widgets' `.js`/`.css` files
    (a no-op when current; True when written). Run before every WebAssembly export: marimo
    ships whatever copy it finds, and ruff's import graph only sees the file if it exists."""
    from widgets import _build_assets

    return _build_assets.write()


def _run_marimo(args: Sequence[str], env: dict[str, str], what: str) -> None:
    command = [sys.executable, "-m", "marimo", *args]
    try:
        result = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=EXPORT_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as err:
        raise SiteBuildError(f"{what} took more than {EXPORT_TIMEOUT_S} s and was stopped") from err
    if result.returncode != 0:
        raise SiteBuildError(f"{what} failed:\n{(result.stderr or result.stdout)[-4000:]}")


# --- pages ----------------------------------------------------------------------------------


def _cdn_prefix() -> str:
    import marimo

    version = str(marimo.__version__).replace(".dev", "-dev")
    return f"https://cdn.jsdelivr.net/npm/@marimo-team/frontend@{version}/dist"


def localize_static_page(text: str, assets_base: str) -> str:
    """Point a `marimo export html` page at the site's own copy of marimo's frontend.

    `assets_base` is the folder holding `assets/`, relative to the page ("lessons", "..").
    Raises SiteBuildError if the page does not load marimo's frontend from the expected CDN.
    """
    prefix = _cdn_prefix()
    if prefix not in text:
        raise SiteBuildError(
            f"the exported page does not load marimo's frontend from {prefix}: marimo changed "
            "its export, so tools/site.py cannot point the page at lessons/assets/"
        )
    return text.replace(prefix, assets_base)


def rebase_wasm_page(text: str, levels: int = 1) -> str:
    """Move a WebAssembly page `levels` folders down: its `./x` asset links become `../x`
    (`../../x` for two levels).

    Only `href`/`src` attributes of tags change (as marimo itself rewrites them); the
    notebook's code is URL-encoded in the page and cannot match.
    """
    up = "../" * levels
    return _TAG.sub(lambda tag: _RELATIVE_ATTR.sub(lambda m: m[1] + up, tag.group()), text)


_READ_MODE = '"mode": "read"'


def edit_mode_page(text: str) -> str:
    """A `--mode run` WebAssembly page as `--mode edit` exports it: the mount config's
    `"mode": "read"` becomes `"edit"` (the only difference between the two exports).

    Raises SiteBuildError unless the config holds exactly one such entry (the notebook's code
    is URL-encoded, so its quotes cannot match).
    """
    config = text.find("__MARIMO_MOUNT_CONFIG__")
    if config < 0 or text.count(_READ_MODE) != 1 or text.find(_READ_MODE) < config:
        raise SiteBuildError(
            f"the WebAssembly page does not carry one {_READ_MODE} in its mount config: marimo "
            "changed its export, so tools/site.py cannot make the lesson's edit view"
        )
    return text.replace(_READ_MODE, '"mode": "edit"', 1)


def view_link(href: str, label: str, *, edit_view: bool) -> str:
    """The link a browser lesson's view carries to its other view, fixed in a corner that
    marimo's page leaves free (bottom left in the reading view; top, beside the sidebar, in
    the edit view, whose footer fills the bottom)."""
    corner = "top: 10px; left: 64px;" if edit_view else "bottom: 16px; left: 16px;"
    style = (
        f"position: fixed; {corner} z-index: 1000; padding: 6px 12px; border-radius: 999px; "
        "border: 1px solid #1a7f37; background: #dafbe1; color: #0f5323; "
        "font: 600 13px/1.4 system-ui, sans-serif; text-decoration: none; "
        "box-shadow: 0 2px 8px rgba(0, 0, 0, 0.15);"
    )
    return (
        f'<a class="course-view-link" href="{html.escape(href)}" style="{style}">'
        f"{html.escape(label)}</a>"
    )


READ_TO_EDIT = ("edit/", "Edit this lesson and do its exercises")
EDIT_TO_READ = ("../", "Back to the reading view")


def _after_body(text: str, snippet: str) -> str:
    """`snippet` inserted right after the page's `<body …>` tag."""
    new, count = re.subn(r"<body([^>]*)>", lambda m: f"<body{m[1]}>{snippet}", text, count=1)
    if count != 1:
        raise SiteBuildError("the exported page has no <body> tag")
    return new


def notebook_code(page: str) -> str:
    """The notebook source embedded in an exported page (`<marimo-code>`)."""
    start = page.find("<marimo-code")
    if start < 0:
        raise SiteBuildError("the exported page has no <marimo-code> element")
    body = page[page.index(">", start) + 1 : page.index("</marimo-code>", start)]
    return urllib.parse.unquote(body.strip())


def script_dependencies(code: str) -> list[str]:
    """The PEP 723 `dependencies` of a notebook's code (empty when it has no header)."""
    match = re.search(r"^# /// script\s*$(.*?)^# ///\s*$", code, flags=re.M | re.S)
    if match is None:
        return []
    import tomllib

    header = "\n".join(
        line[2:] if line.startswith("# ") else line[1:] for line in match[1].splitlines()
    )
    return list(tomllib.loads(header).get("dependencies", []))


def check_wasm_pins(dependencies: Sequence[str], versions: dict[str, str], what: str) -> None:
    """Every `name==version` for a package Pyodide ships must be Pyodide's version; no bare torch."""
    for requirement in dependencies:
        name = re.split(r"[\s;<>=!~\[@]", requirement.strip(), maxsplit=1)[0]
        if _normalize(name) == "torch" and "emscripten" not in requirement:
            raise SiteBuildError(
                f"{what} requires {requirement!r}, which cannot install in the browser: write "
                "\"torch; sys_platform != 'emscripten'\" in its script header, or mark the "
                "lesson browser=False in core/course/catalog.py"
            )
        pin = _REQUIREMENT_PIN.match(requirement)
        if pin is None:
            continue
        wanted = versions.get(_normalize(pin[1]))
        if wanted is not None and pin[2] != wanted:
            raise SiteBuildError(
                f"{what} pins {pin[1]}=={pin[2]} but Pyodide ships {pin[1]} {wanted}; the page "
                f"would fail to install it. Export with {LOCK_ENV} pointing at Pyodide's lock file."
            )


def locked_versions(lock_file: Path = course_lock.LOCK) -> dict[str, str]:
    """{normalized name: version} of the course's lock (torch from its header line; a package
    locked at two versions, one per marker, shows both)."""
    text = Path(lock_file).read_text()
    found: dict[str, list[str]] = {}
    for pin in course_lock.parse(text):
        found.setdefault(pin.name, []).append(pin.version)
    found["torch"] = [course_lock.torch_pin(text)]
    return {name: " | ".join(dict.fromkeys(versions)) for name, versions in found.items()}


def browser_versions(
    dependencies: Iterable[str],
    pyodide: dict[str, str],
    locked: dict[str, str],
    marimo_version: str | None = None,
) -> list[BrowserVersion]:
    """One entry per package the pages' `dependencies` name (not the course's own wheels, not
    torch), sorted: what the lock has, what the browser gets. marimo itself runs in the browser
    as `marimo-base` at the version of the frontend the site ships (`marimo_version`, the
    builder's), unless Pyodide's lock names another."""
    seen: dict[str, BrowserVersion] = {}
    for requirement in dependencies:
        if "@" in requirement:  # the course's own modules, built into wheels for the page
            continue
        name = _normalize(re.split(r"[\s;<>=!~\[]", requirement.strip(), maxsplit=1)[0])
        if not name or name == "torch" or name in seen:
            continue
        spec = requirement.split(";")[0].strip()
        browser = pyodide.get(name)
        if name == "marimo":
            browser = pyodide.get("marimo-base", marimo_version)
        seen[name] = BrowserVersion(name, locked.get(name), browser, spec)
    return sorted(seen.values(), key=lambda v: v.package)


def _merge_tree(source: Path, target: Path) -> None:
    """Copy `source` into `target`; a file already there must be identical."""
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        elif destination.exists():
            if not filecmp.cmp(path, destination, shallow=False):
                raise SiteBuildError(
                    f"two lessons ship different files at {destination}; give them distinct names"
                )
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)


def copy_frontend(lessons_out: Path) -> None:
    """marimo's frontend (the same files its CDN serves) into `lessons_out`, once."""
    import marimo

    static = Path(marimo.__file__).parent / "_static"
    for item in static.iterdir():
        if item.name in _SKIP_STATIC:
            continue
        if item.is_dir():
            shutil.copytree(item, lessons_out / item.name, dirs_exist_ok=True)
        else:
            shutil.copy2(item, lessons_out / item.name)


def static_note(lesson: catalog.Lesson) -> str:
    """The note on a torch lesson's static page: what the learner sees, how to run it.

    Fixed in a corner (marimo scrolls its own root to the top, hiding anything above it);
    the learner can close it.
    """
    style = (
        "position: fixed; left: 16px; bottom: 16px; z-index: 1000; "
        "max-width: min(440px, calc(100vw - 32px)); box-sizing: border-box; "
        "padding: 10px 34px 10px 14px; border-radius: 8px; border: 1px solid #d4a72c; "
        "background: #fff8c5; color: #3b2300; font: 13px/1.45 system-ui, sans-serif; "
        "box-shadow: 0 2px 10px rgba(0, 0, 0, 0.18);"
    )
    close = (
        '<button type="button" aria-label="Close this note" onclick="this.parentElement.remove()" '
        'style="position: absolute; top: 4px; right: 6px; border: 0; background: none; '
        'color: inherit; font-size: 18px; line-height: 1; cursor: pointer;">×</button>'
    )
    return (
        f'<div class="course-static-note" role="note" style="{style}">'
        f"<strong>{html.escape(lesson.title)}</strong> needs PyTorch, so this page shows the "
        "outputs computed when the site was built: its controls do not recompute. To run it "
        "and do its exercises, run the course on your machine (<code>just edit</code>; see "
        f'the <a href="../../" style="color: inherit">course home</a>).{close}</div>'
    )


@dataclass(frozen=True)
class _Job:
    """One notebook to export. `target` is the page's path in the site."""

    kind: str  # "home", "wasm" or "static"
    source: Path
    target: Path
    lesson: catalog.Lesson | None = None
    args: tuple[str, ...] = ()

    @property
    def what(self) -> str:
        if self.kind == "wasm":
            return f"the WebAssembly export of {self.source.name}"
        if self.kind == "static":
            return f"the static export of {self.source.name} (it runs the notebook)"
        return f"the export of the course home {self.source.name}"


def _export(job: _Job, scratch: Path, env: dict[str, str]) -> Path:
    """Run marimo's export for `job` into `scratch` (the slow part; jobs run side by side)."""
    out = scratch / f"{job.kind}-{job.source.stem}"
    if job.kind == "wasm":
        command = ["export", "html-wasm", str(job.source), "-o", str(out), "--mode", "run"]
        command += ["--no-sandbox", "-f"]
        _run_marimo(command, env, job.what)
        return out
    out.mkdir(parents=True)
    page = out / "index.html"
    command = ["export", "html", str(job.source), "-o", str(page), "--no-sandbox", "-f"]
    if job.kind == "home":
        command.append("--no-include-code")  # the home is a page, not a notebook to read
    if job.args:
        command += ["--", *job.args]
    _run_marimo(command, env, job.what)
    return page


def _install(job: _Job, exported: Path, site: Path, versions: dict[str, str]) -> list[str]:
    """Check an export and put it in place in `site` (one job at a time); the page's
    dependencies (a WebAssembly page's script header, as exported) or []."""
    target = site / job.target
    target.parent.mkdir(parents=True, exist_ok=True)
    if job.kind == "wasm":
        page = (exported / "index.html").read_text(encoding="utf-8")
        dependencies = script_dependencies(notebook_code(page))
        check_wasm_pins(dependencies, versions, job.what)
        read, edit = page, edit_mode_page(page)
        target.write_text(
            _after_body(rebase_wasm_page(read), view_link(*READ_TO_EDIT, edit_view=False)),
            encoding="utf-8",
        )
        edit_target = target.parent / "edit" / target.name
        edit_target.parent.mkdir(exist_ok=True)
        edit_link = view_link(*EDIT_TO_READ, edit_view=True)
        edit_target.write_text(_after_body(rebase_wasm_page(edit, 2), edit_link), encoding="utf-8")
        if (exported / "public").is_dir():
            _merge_tree(exported / "public", site / "lessons" / "public")
        return dependencies
    assets_base = "lessons" if job.kind == "home" else ".."
    text = localize_static_page(exported.read_text(encoding="utf-8"), assets_base)
    if job.kind == "static":
        text = _after_body(text, static_note(job.lesson))
    target.write_text(text, encoding="utf-8")
    return []


# --- the trained model lessons 7 and 9 look inside -------------------------------------------

MODEL_LESSONS = (7, 9)  # browser lessons that call core.course.lesson_model.load_lesson_model


def ship_lesson_model(
    site: Path, lessons: Iterable[catalog.Lesson], model: Path | None = None
) -> Path | None:
    """Copy the lessons' trained model into `site`/lessons/public/, where their pages fetch it
    (`mo.notebook_location() / "public"` is `lessons/` on the site), when a browser lesson that
    loads it is published. Returns the file shipped, or None (no such lesson, or no model).

    model: the .npz to ship (default: the first of `lesson_model.model_paths()` that exists,
    which `python -m core.train.lesson_model` writes). The file is never committed, so a site
    built without it shows those lessons' random stand-in, which says so and how to make it.
    Raises SiteBuildError when the file is not a lesson model.
    """
    if not any(lesson.number in MODEL_LESSONS and lesson.browser for lesson in lessons):
        return None
    if model is None:
        model = next((path for path in lesson_model.model_paths() if path.is_file()), None)
        if model is None:
            return None
    try:
        lesson_model.from_file(model)
    except (OSError, ValueError, KeyError) as err:
        raise SiteBuildError(
            f"{model} is not a lesson model ({err}): make it again with "
            f"`{lesson_model.MAKE_COMMAND} --force`"
        ) from err
    target = site / "lessons" / "public" / lesson_model.MODEL_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, target)  # not copy2: the cache's file may be private (0600)
    return Path(model)


# --- the site -------------------------------------------------------------------------------


def build_site(
    out_dir: Path | str,
    *,
    lessons: Iterable[Path | str] | None = None,
    home: Path | str = HOME,
    pyodide_lock_file: Path | str | None = None,
    jobs: int | None = None,
    lesson_model_file: Path | str | None = None,
) -> SiteReport:
    """Build the static site into `out_dir` and return what was made.

    `lessons`: the notebooks to publish (default: every lesson in lessons/); each must carry a
    catalog name. The home links exactly these; the catalog's other lessons show as "coming
    soon". `jobs`: exports run side by side (default: the number of CPUs, at most 4).
    `out_dir` is replaced only if it is empty or a site this function built before; the new
    site is built beside it and moved into place at the end, so a failed build leaves the old
    site as it was. `lesson_model_file`: the trained model for lessons 7 and 9 (default: the
    one on this machine, if any; see `ship_lesson_model`). Raises SiteBuildError (a tool or
    notebook failed) or ValueError.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir).resolve()
    home = Path(home).resolve()
    if not home.is_file():
        raise ValueError(f"home: {home} does not exist")
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / SITE_MARKER).exists():
        raise ValueError(
            f"out_dir: {out_dir} is not empty and was not built by tools/site.py; "
            "choose another folder or empty it"
        )
    if jobs is not None and jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if lesson_model_file is not None and not Path(lesson_model_file).is_file():
        raise ValueError(f"lesson_model_file: {lesson_model_file} does not exist")
    chosen = resolve_lessons(lessons)
    published = ",".join(lesson.stem for lesson, _ in chosen)
    site_args = (f"--published={published}",)  # tells a notebook it is built for the site
    plan = [_Job("home", home, Path("index.html"), args=site_args)]
    for lesson, source in chosen:
        kind = "wasm" if lesson.browser else "static"
        target = Path("lessons", lesson.stem, "index.html")
        plan.append(_Job(kind, source, target, lesson, args=site_args if kind == "static" else ()))

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".site-build-", dir=out_dir.parent) as tmp:
        scratch = Path(tmp)
        lock = None
        if any(job.kind == "wasm" for job in plan):
            given = Path(pyodide_lock_file) if pyodide_lock_file else None
            lock = pyodide_lock(given)
        versions = pyodide_versions(lock) if lock is not None else {}
        env = _tool_env(lock)
        if lock is not None and shutil.which("uv", path=env["PATH"]) is None:
            raise SiteBuildError(
                "the WebAssembly export needs `uv` on PATH (marimo runs ruff's import graph "
                "through it): `pip install uv` into this environment, or install uv"
            )
        if lock is not None:
            write_widget_assets()
        site = scratch / "site"
        (site / "lessons").mkdir(parents=True)
        copy_frontend(site / "lessons")

        def timed_export(job: _Job) -> tuple[Path, float]:
            begun = time.perf_counter()
            return _export(job, scratch, env), time.perf_counter() - begun

        workers = jobs or min(4, os.cpu_count() or 1)
        report = SiteReport(out_dir=out_dir, pyodide_lock=lock)
        wasm_dependencies: list[str] = []
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(timed_export, job) for job in plan]
            try:
                for job, future in zip(plan, futures):
                    exported, seconds = future.result()
                    wasm_dependencies += _install(job, exported, site, versions)
                    stem = job.lesson.stem if job.lesson else None
                    edit = (
                        job.target.parent / "edit" / job.target.name if job.kind == "wasm" else None
                    )
                    page = Page(job.kind, job.target, job.source, seconds, stem, edit)
                    report.pages.append(page)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

        report.lesson_model = ship_lesson_model(
            site,
            [lesson for lesson, _ in chosen],
            Path(lesson_model_file) if lesson_model_file is not None else None,
        )
        published_stems = {lesson.stem for lesson, _ in chosen}
        for lesson in catalog.LESSONS:  # every lesson has an address; unwritten ones say so
            if lesson.stem not in published_stems:
                target = Path("lessons", lesson.stem, "index.html")
                (site / target).parent.mkdir(parents=True)
                (site / target).write_text(coming_soon_html(lesson), encoding="utf-8")
                report.pages.append(Page("soon", target, None, 0.0, lesson.stem))
        (site / ".nojekyll").write_text("")  # GitHub Pages: serve every file as it is
        (site / SITE_MARKER).write_text(
            "built by tools/site.py; `just site` replaces this folder\n"
        )
        missing = broken_links(site)
        if missing:
            raise SiteBuildError(f"pages link to files that are not on the site: {missing[:10]}")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        site.rename(out_dir)
    if wasm_dependencies and course_lock.LOCK.is_file():
        report.browser_versions = browser_versions(wasm_dependencies, versions, locked_versions())
    report.seconds = time.perf_counter() - started
    return report


# --- checks ---------------------------------------------------------------------------------


class _Links(HTMLParser):
    """Collects the `href` and `src` attributes of an HTML text's tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value for name, value in attrs if name in ("href", "src") and value]


def links_in(text: str) -> list[str]:
    """The `href`/`src` values of the tags in an HTML text, in order."""
    parser = _Links()
    parser.feed(text)
    parser.close()
    return parser.links


def mount_config(text: str) -> dict | None:
    """The `__MARIMO_MOUNT_CONFIG__` object of an exported page (None when it has none)."""
    name = text.find("__MARIMO_MOUNT_CONFIG__")
    if name < 0:
        return None
    start = text.index("Object.freeze(", name) + len("Object.freeze(")
    end = text.rindex("})", start, text.index("writable:", start)) + 1
    return json.loads(text[start:end])


def static_outputs(text: str) -> list[str]:
    """The HTML of the cell outputs a static page carries (marimo draws them at load time)."""
    config = mount_config(text) or {}
    session = config.get("session") or {}
    found = []
    for cell in session.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data")
            if isinstance(data, dict):
                found += [data[m] for m in ("text/html", "text/markdown") if m in data]
    return found


def page_links(page: Path) -> list[str]:
    """Every `href`/`src` of a page: its own tags', then those of the cell outputs it carries.

    (A static marimo page draws its outputs from JSON at load time, so the links a learner
    clicks there are not among the page's tags.)
    """
    text = page.read_text(encoding="utf-8")
    links = links_in(text)
    for output in static_outputs(text):
        links += links_in(output)
    return links


def is_local(target: str) -> bool:
    """A link to a file of the site: relative, not `#x`, `?x`, `data:` or another host."""
    if not target or target.startswith(("#", "?", "//", "data:", "mailto:")):
        return False
    return not urllib.parse.urlsplit(target).scheme


def broken_links(site: Path) -> list[str]:
    """`page -> target` for every local link in the site's pages whose file is missing.

    A link to a folder resolves to its index.html, as static file servers do; a link that
    leaves the site counts as missing.
    """
    root = site.resolve()
    missing = []
    for page in sorted(root.rglob("*.html")):
        for target in filter(is_local, page_links(page)):
            path = urllib.parse.unquote(urllib.parse.urlsplit(target).path)
            resolved = (page.parent / path).resolve()
            if path.endswith("/") or resolved.is_dir():
                resolved = resolved / "index.html"
            if not resolved.is_file() or not resolved.is_relative_to(root):
                missing.append(f"{page.relative_to(root)} -> {target}")
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "site", help="output folder (site/)")
    parser.add_argument(
        "--pyodide-lock", type=Path, help=f"Pyodide's pyodide-lock.json (default: ${LOCK_ENV})"
    )
    parser.add_argument(
        "--fetch-pyodide-lock",
        action="store_true",
        help="only make sure Pyodide's lock file is here (download marimo's into the cache)",
    )
    parser.add_argument("lessons", nargs="*", type=Path, help="notebooks (default: every lesson)")
    args = parser.parse_args(argv)
    if args.fetch_pyodide_lock:
        try:
            print(f"Pyodide lock file: {pyodide_lock(args.pyodide_lock)}")
        except SiteBuildError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        return 0
    try:
        report = build_site(
            args.out, lessons=args.lessons or None, pyodide_lock_file=args.pyodide_lock
        )
    except (SiteBuildError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for page in report.pages:
        print(f"{page.kind:7} {page.path}  ({page.seconds:.1f} s)")
        if page.edit is not None:
            print(f"{'':7} {page.edit}  (its edit view)")
    if report.lesson_model is not None:
        print(f"lessons {', '.join(map(str, MODEL_LESSONS))}: shipped {report.lesson_model}")
    elif any(
        page.kind == "wasm" and page.stem in {catalog.lesson(n).stem for n in MODEL_LESSONS}
        for page in report.pages
    ):
        print(
            f"note: no trained model for lessons {', '.join(map(str, MODEL_LESSONS))}: their pages "
            f"show a random stand-in. `{lesson_model.MAKE_COMMAND}` makes it (~10 min), then "
            "build again."
        )
    if report.browser_versions:
        print(
            "Versions in the browser beside the course's lock (requirements-lock.txt); "
            "the lessons must work on both:"
        )
        for version in report.browser_versions:
            print(f"  {version.describe()}")
    print(
        f"Built {len(report.pages)} pages into {report.out_dir} in {report.seconds:.0f} s. "
        f"Serve it with: python -m http.server -d {report.out_dir} -b 127.0.0.1 8000"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
