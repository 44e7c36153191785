"""Every lesson notebook: runs headless, passes `marimo check`, and (browser lessons) exports.

Lessons are the files in `lessons/` named `{series}-{module}-{lesson}-{slug}.py`, found by
`core.course.catalog.lesson_files()`; a lesson is browser-capable when its `core.course.catalog` entry says
`browser=True`. For each lesson:

- `python lessons/<file>.py` exits 0 within 60 s, offline (tests/conftest.py blocks the
  network for this process; the subprocess gets no proxy and HF/tiktoken offline settings).
  A browser lesson runs with torch blocked (`sys.modules["torch"] = None`): anything that
  imports torch, directly or through `core`/`widgets`, fails it.
- `marimo check --strict` reports nothing.

For each browser lesson, its WebAssembly page (made by `marimo export html-wasm`, offline, with
Pyodide's lock file, in the site that tests/conftest.py builds once per test run) ships
`core`/`widgets` wheels, imports no torch anywhere, pins Pyodide's numpy, and the exported
notebook runs from those wheels alone with torch blocked.

The exercises of lessons 4-6 are answered here too (`app.run(defs=...)` replaces the cells that
hold the learner's answers): a right answer turns the check green, the default stays not green.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from core.course.catalog import LESSONS, lesson_files
from tests.browser.support import pyodide_lock_file
from tests.exports import imports_torch, page_wheels, wheel_sources
from tools.site import notebook_code

REPO = Path(__file__).resolve().parents[2]
LESSON_FILES = lesson_files()
CATALOG = {lesson.filename: lesson for lesson in LESSONS}
BROWSER_FILES = [p for p in LESSON_FILES if p.name in CATALOG and CATALOG[p.name].browser]
HEADLESS_LIMIT_S = 60

# Runs a notebook as `python <notebook>` would (as __main__, its folder first on sys.path),
# optionally with torch blocked, then reports where `core` and `widgets` were imported from.
RUNNER = r"""
import json, runpy, sys
notebook, block_torch, report = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
if block_torch:
    sys.modules["torch"] = None  # any `import torch` now raises ImportError
sys.path[0] = __import__("os").path.dirname(notebook)
sys.argv = [notebook]
runpy.run_path(notebook, run_name="__main__")
loaded = {
    name: getattr(module, "__file__", None)
    for name, module in sys.modules.items()
    if module is not None and name.split(".")[0] in ("core", "widgets", "torch")
}
with open(report, "w") as f:
    json.dump(loaded, f)
"""


def ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def offline_env(**extra: str) -> dict[str, str]:
    """The environment of a lesson subprocess: this checkout first on the path, no network."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(HF_HUB_OFFLINE="1", UV_OFFLINE="1", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def run_notebook(notebook: Path, tmp_path: Path, *, block_torch: bool, env=None, cwd=REPO):
    """Run `notebook` in a subprocess; return (completed process, seconds, loaded modules)."""
    runner, report = tmp_path / "runner.py", tmp_path / "loaded.json"
    runner.write_text(RUNNER)
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(runner), str(notebook), "1" if block_torch else "0", str(report)],
        cwd=cwd,
        env=env or offline_env(),
        capture_output=True,
        text=True,
        timeout=HEADLESS_LIMIT_S + 30,
    )
    seconds = time.monotonic() - start
    loaded = json.loads(report.read_text()) if report.exists() else {}
    return result, seconds, loaded


# --- every lesson -----------------------------------------------------------------------------


def test_lessons_are_found_and_in_the_catalog():
    assert LESSON_FILES, "no lesson files found in lessons/"
    unknown = [p.name for p in LESSON_FILES if p.name not in CATALOG]
    assert unknown == [], f"lesson files missing from core.course.catalog.LESSONS: {unknown}"


@pytest.mark.parametrize("notebook", LESSON_FILES, ids=ids(LESSON_FILES))
def test_lesson_runs_headless(notebook, tmp_path):
    browser = notebook in BROWSER_FILES
    result, seconds, loaded = run_notebook(notebook, tmp_path, block_torch=browser)
    assert result.returncode == 0, (
        f"`python {notebook.relative_to(REPO)}` failed"
        + (" (torch blocked: a browser lesson must not import it)" if browser else "")
        + f":\n{result.stderr[-4000:]}"
    )
    assert seconds < HEADLESS_LIMIT_S, f"took {seconds:.0f} s; the limit is {HEADLESS_LIMIT_S} s"
    local = {name: path for name, path in loaded.items() if name.split(".")[0] != "torch"}
    elsewhere = {n: p for n, p in local.items() if p and not p.startswith(str(REPO))}
    assert elsewhere == {}, f"imported from outside this checkout: {elsewhere}"
    if browser:
        assert not any(name.split(".")[0] == "torch" for name in loaded), sorted(loaded)


@pytest.fixture(scope="module")
def marimo_check() -> dict[str, list[dict]]:
    """`marimo check --strict` over every lesson at once: {file name: its issues}."""
    result = subprocess.run(
        [sys.executable, "-m", "marimo", "check", "--strict", "--format", "json"]
        + [str(p) for p in LESSON_FILES],
        cwd=REPO,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"marimo check printed no JSON (exit {result.returncode}):\n{result.stderr}")
    issues: dict[str, list[dict]] = {p.name: [] for p in LESSON_FILES}
    for issue in report["issues"]:
        issues.setdefault(Path(issue["filename"]).name, []).append(issue)
    assert report["summary"]["total_files"] == len(LESSON_FILES), report["summary"]
    return issues


@pytest.mark.parametrize("notebook", LESSON_FILES, ids=ids(LESSON_FILES))
def test_marimo_check_passes(notebook, marimo_check):
    problems = [
        f"line {i.get('line')}: {i['code']} {i['message']}" for i in marimo_check[notebook.name]
    ]
    assert problems == [], f"marimo check --strict {notebook.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("notebook", LESSON_FILES, ids=ids(LESSON_FILES))
def test_header_declares_what_the_browser_installs(notebook):
    """PEP 723 header: marimo is listed; torch only with the emscripten marker."""
    header = re.search(r"^# /// script\n(.*?)^# ///$", notebook.read_text(), re.S | re.M)
    assert header, f"{notebook.name} has no PEP 723 `# /// script` header"
    deps = re.findall(r'^#\s+"([^"]+)",?$', header[1], re.M)
    assert any(d.startswith("marimo") for d in deps), deps
    for dep in deps:
        if re.match(r"torch\b", dep):
            assert "sys_platform != 'emscripten'" in dep, (
                f"{notebook.name}: write torch as \"torch; sys_platform != 'emscripten'\" so "
                "that the WebAssembly build can install the rest"
            )
            assert notebook not in BROWSER_FILES, f"{notebook.name} runs in the browser: no torch"


# --- browser lessons: the WebAssembly export --------------------------------------------------


@pytest.fixture(scope="module")
def wasm_pages(site_build):
    """Each browser lesson's page in the shared site build: {file name: (code, wheels)}."""
    pages = {}
    for notebook in BROWSER_FILES:
        text = site_build.wasm_page(notebook.stem).read_text()
        code = notebook_code(text)
        pages[notebook.name] = (code, list(page_wheels(site_build.site, code).values()))
    return pages


def header_dependencies(code: str) -> list[str]:
    header = code.split("# ///")[1]
    line = next(x for x in header.splitlines() if x.startswith("# dependencies"))
    return json.loads(line.split("=", 1)[1])


def test_the_catalog_marks_these_lessons_for_the_browser():
    # lessons 4-6 import no torch by design; the export tests below hold them to it
    assert all(CATALOG[f"4-2-{n}-{s}.py"].browser for n, s in LESSONS_4_TO_6)


@pytest.mark.parametrize("notebook", BROWSER_FILES, ids=ids(BROWSER_FILES))
def test_wasm_export_ships_no_torch(notebook, wasm_pages):
    code, wheels = wasm_pages[notebook.name]
    assert all(wheel.is_file() for wheel in wheels), wheels
    sources = wheel_sources(wheels)
    assert any(name.startswith("core/") for name in sources), "core is not in the export"
    offenders = [name for name, source in sources.items() if imports_torch(source)]
    assert offenders == [], f"shipped modules that import torch: {offenders}"
    assert "import marimo" in code and not imports_torch(code)
    deps = header_dependencies(code)
    assert not [d for d in deps if re.match(r"torch\b", d)], deps


@pytest.mark.parametrize("notebook", BROWSER_FILES, ids=ids(BROWSER_FILES))
def test_wasm_export_pins_pyodides_numpy(notebook, wasm_pages):
    lock = json.loads(pyodide_lock_file().read_text())
    pyodide_numpy = lock["packages"]["numpy"]["version"]
    deps = header_dependencies(wasm_pages[notebook.name][0])
    numpy_pins = [d for d in deps if re.match(r"numpy\b", d)]
    assert numpy_pins == [f"numpy=={pyodide_numpy}"], (
        f"expected Pyodide's numpy {pyodide_numpy} (this machine has {np.__version__}), "
        f"got {numpy_pins}: is MARIMO_PYODIDE_LOCK_FILE set?"
    )


@pytest.mark.parametrize("notebook", BROWSER_FILES, ids=ids(BROWSER_FILES))
def test_wasm_export_runs_from_its_wheels_alone_without_torch(notebook, wasm_pages, tmp_path):
    """Unpack the shipped wheels, run the exported notebook with them (torch blocked).

    Only .py files are unpacked, as in the browser: the widgets find their JavaScript in the
    generated widgets/_assets.py."""
    code, wheels = wasm_pages[notebook.name]
    site = tmp_path / "site"
    for name, source in wheel_sources(wheels).items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(source)
    exported = site / notebook.name  # beside the modules: its folder comes first on sys.path
    exported.write_text(code)
    env = offline_env()
    env.pop("PYTHONPATH")
    result, _, loaded = run_notebook(exported, tmp_path, block_torch=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    assert loaded, "the notebook imported neither core nor widgets"
    outside = {name: path for name, path in loaded.items() if not str(path).startswith(str(site))}
    assert outside == {}, f"modules the export lacks (found elsewhere): {outside}"


# --- the exercises of lessons 4-6 ---------------------------------------------------------------

LESSONS_4_TO_6 = [
    (4, "the-problem-attention-solves"),
    (5, "queries-and-keys"),
    (6, "values-and-attention-output"),
]


def load_app(number: int):
    slug = dict(LESSONS_4_TO_6)[number]
    path = REPO / "lessons" / f"4-2-{number}-{slug}.py"
    spec = importlib.util.spec_from_file_location(f"lesson_{number}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def callout_kinds(outputs, exercise: int) -> list[str]:
    """The kinds ("success", "warn", ...) of the callouts that report on `exercise`."""
    kinds = []
    for output in outputs:
        text = getattr(output, "text", "") or ""
        if "marimo-callout-output" in text and f"Exercise {exercise}." in text:
            kinds += re.findall(r"data-kind='&quot;(\w+)&quot;'", text)
    return kinds


def element(value):
    """A stand-in for a marimo UI element: the cells only read `.value`."""
    return SimpleNamespace(value=value)


@pytest.fixture(scope="module")
def default_runs():
    """Each lesson run once with nothing answered: {number: (outputs, defs)}."""
    return {number: load_app(number).run() for number, _ in LESSONS_4_TO_6}


@pytest.mark.parametrize("number, exercises", [(4, [1, 2, 3, 4]), (5, [1, 2, 3]), (6, [1, 2, 3])])
def test_unanswered_exercises_are_not_green(default_runs, number, exercises):
    outputs, _ = default_runs[number]
    for exercise in exercises:
        kinds = callout_kinds(outputs, exercise)
        assert len(kinds) == 1, f"lesson {number} exercise {exercise}: callouts {kinds}"
        assert kinds[0] in ("neutral", "warn"), (number, exercise, kinds)


def answer(number: int, **defs):
    outputs, _ = load_app(number).run(defs=defs)
    return outputs


def test_lesson_4_exercises_accept_right_answers(default_runs):
    _, defs = default_runs[4]
    table = np.array(defs["embedding_matrix"].value)
    # exercise 1: a reordering with the same bag of words; exercise 3: "no, never";
    # exercise 4: the dot product of bark's and tree's rows of the (unedited) table
    bark_dog = float(table[4] @ table[2])
    outputs = answer(
        4,
        bag_text=element("the bark 's dog"),
        mutual_radio=element("no, never"),
        score_number=element(round(bark_dog, 2)),
    )
    for exercise in (1, 3, 4):
        assert callout_kinds(outputs, exercise) == ["success"], exercise
    # exercise 2: dog made long enough, along bark, that bark prefers it over itself
    # (the plane starts at the table's animal and owned columns: dog (1, 0), bark (0.3, 1))
    plane = SimpleNamespace(
        names=["the", "dog", "'s", "bark"],
        vectors=[[0.0, 0.0], [1.6, 1.2], [0.0, 0.5], [0.3, 1.0]],
    )
    heatmap = SimpleNamespace(update=lambda **traits: None)
    outputs = answer(4, plane=plane, plane_heatmap=heatmap)
    assert callout_kinds(outputs, 2) == ["success"]


def test_lesson_4_wrong_answers_get_a_hint():
    outputs = answer(
        4, mutual_radio=element("yes, with the right drag"), bag_text=element("the dog 's cat")
    )
    assert callout_kinds(outputs, 3) == ["warn"]
    assert callout_kinds(outputs, 1) == ["warn"]  # 'cat' is not in the toy vocabulary


def lesson_5_matrices(W_Q, W_K):
    return dict(
        wq_matrix=element(W_Q),
        wk_matrix=element(W_K),
        sentence_radio=element("the dog 's bark"),
        causal_checkbox=element(True),
        scale_checkbox=element(True),
    )


def test_lesson_5_exercises_accept_right_answers():
    W_Q = [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [2.0, 0.0, 0.0]]  # owned -> q0
    W_K = [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]  # animal, plant -> k0
    # bark = (0.3, 0.3, 1.0), cat = (0.9, 0, 0.4): q_bark = (2, 0, 0), k_cat = (0.9, 0, 0)
    outputs = answer(
        5,
        **lesson_5_matrices(W_Q, W_K),
        score_number=element(1.8),
        variance_number=element(250),
    )
    for exercise in (1, 2, 3):
        assert callout_kinds(outputs, exercise) == ["success"], exercise


def test_lesson_5_seeking_one_owner_only_is_not_enough():
    """W_K that finds dogs but not trees fails exercise 1 (both sentences are checked)."""
    W_Q = [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [2.0, 0.0, 0.0]]
    W_K = [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    scaled = round(1.8 / np.sqrt(3), 2)  # q_bark · k_cat = 2 · 0.9, divided by √3
    outputs = answer(5, **lesson_5_matrices(W_Q, W_K), score_number=element(scaled))
    assert callout_kinds(outputs, 1) == ["warn"]
    assert callout_kinds(outputs, 2) == ["warn"]  # the scaled score: not asked for yet
    assert "section 5 motivates" in outputs_text(outputs)


def test_lesson_5_controls_wait_for_their_sections():
    """Mask and scale start off; the experiment shows nothing until a prediction is typed."""
    outputs, defs = load_app(5).run()
    assert defs["causal_checkbox"].value is False and defs["scale_checkbox"].value is False
    text = outputs_text(outputs)
    assert "Measured at" not in text and "What the experiment shows" not in text
    assert "The experiment appears here once you have typed a prediction" in text
    text = outputs_text(answer(5, variance_number=element(100)))
    assert "Measured at <strong>d = 64</strong>" in text
    assert "What the experiment shows" in text


def lesson_6_matrices(W_V):
    return dict(
        wq_matrix=element([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [2.0, 0.0, 0.0]]),
        wk_matrix=element([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
        wv_matrix=element(W_V),
        sentence_radio=element("the dog 's bark"),
    )


def test_lesson_6_exercises_accept_right_answers():
    from core.course.attention_lessons import toy_sentence
    from core.mirrors.attention import attention_stages, scaled_dot_product

    W_V = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    defs = lesson_6_matrices(W_V)
    _, X = toy_sentence("the dog 's bark")
    stages = attention_stages(X, *(np.array(defs[k].value) for k in ("wq_matrix", "wk_matrix")))
    # exercise 2: bark's v₀ with its own key masked too (the other weights renormalised)
    w = stages["weights"][3][:3]
    v0 = float(w @ (X @ np.array(W_V))[:3, 0] / w.sum())

    def my_attention(X, W_Q, W_K, W_V):
        return scaled_dot_product(X @ W_Q, X @ W_K, X @ W_V, causal=True)[0]

    outputs = answer(6, **defs, output_number=element(round(v0, 2)), my_attention=my_attention)
    for exercise in (1, 2, 3):
        assert callout_kinds(outputs, exercise) == ["success"], exercise


def test_lesson_6_identity_values_repeat_owned():
    outputs = answer(6, **lesson_6_matrices(np.eye(3).tolist()))
    assert callout_kinds(outputs, 1) == ["warn"]


def outputs_text(outputs) -> str:
    return "\n".join(getattr(o, "text", "") or "" for o in outputs)


def test_lesson_5_different_but_symmetric_matrices_stay_symmetric():
    """W_Q = 2I, W_K = I differ, yet W_Q W_Kᵀ is symmetric, and so are the scores."""
    eye = np.eye(3)
    text = outputs_text(answer(5, **lesson_5_matrices((2 * eye).tolist(), eye.tolist())))
    assert "Relevance is still symmetric" in text
    assert "here it is)" in text
    lopsided = (2 * eye).tolist()
    lopsided[2][0] = 1.0  # owned -> q0 as well: W_Q W_Kᵀ = W_Q is no longer symmetric
    text = outputs_text(answer(5, **lesson_5_matrices(lopsided, eye.tolist())))
    assert "Relevance is now one-sided" in text and "here it is not)" in text


def test_lesson_5_identity_weights_are_lesson_4s_only_unscaled():
    """The page's numbers: bark's self-weight with W_Q = W_K = I, unscaled and scaled."""
    from core.course.attention_lessons import format_number, toy_sentence
    from core.mirrors.attention import attention_stages

    _, X = toy_sentence("the dog 's bark")
    raw = attention_stages(X, causal=False, scale=False)["weights"][3, 3]
    scaled = attention_stages(X, scale=True)["weights"][3, 3]
    assert format_number(raw, 3) == "0.449" and format_number(scaled, 3) == "0.359"
    text = outputs_text(load_app(5).run()[0])
    assert "0.449" in text and "0.359" in text


def test_lesson_4_any_reordering_solves_exercise_1():
    """The success text fits every reordering, not only "the bark 's dog"."""
    for text in ("the bark 's dog", "dog 's the bark", "bark the dog 's"):
        outputs = answer(4, bag_text=element(text))
        assert callout_kinds(outputs, 1) == ["success"], text
        assert "another order make another sentence" in outputs_text(outputs)


def test_lesson_5_says_what_survives_the_mask():
    text = outputs_text(load_app(5).run()[0])
    assert "The mask changes lesson 4" in text
    assert re.search(r"its weight on bark is\s+0\.00:", text)  # dog cannot see bark
    assert "Self-match" in text and "Finding means resembling" in text


def test_lesson_4_attention_alone_does_not_see_order():
    """Reordered words give reordered rows; the position toggle makes them differ."""
    _, defs = load_app(4).run()
    assert defs["order_gap"] < 1e-9
    outputs, defs = load_app(4).run(defs={"position_checkbox": element(True)})
    assert defs["order_gap"] > 0.1
    assert "Now the order shows" in outputs_text(outputs)
    # the hand-made features stay: positions are appended, not added
    _, columns, X, _ = defs["order_runs"][0]
    assert columns[:3] == ["animal", "plant", "owned"] and len(columns) == 5
    from core.course.attention_lessons import toy_sentence

    np.testing.assert_array_equal(X[:, :3], toy_sentence("the dog 's bark")[1])
