"""tools/setup.py: installs the lock, then torch at the lock's pin from the index that fits the
machine; the stamp follows the lock; setup, lock and doctor need only the standard library."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def setup_module():
    spec = importlib.util.spec_from_file_location("_course_setup_test", REPO / "tools" / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The course modules these tools (and widgets/_build_assets.py, which setup loads) may import:
# each of them needs nothing but the standard library, as the second test checks.
STDLIB_ONLY_COURSE = ["core/__init__.py", "core/data/files.py", "core/data/registry.py",
                      "core/data/browser.py", "core/data/atomic.py"]  # fmt: skip


def _top_level_imports(path: Path, *, at_load_only: bool = False) -> set[str]:
    """Top-level package names `path` imports: anywhere, or only when it is loaded (what its
    functions import when called, such as tqdm for a download bar, is left out)."""
    tree = ast.parse(path.read_text())
    imported = set()
    for node in tree.body if at_load_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    return imported - {"__future__"}


@pytest.mark.parametrize(
    "script", ["tools/setup.py", "tools/lock.py", "tools/doctor.py", "widgets/_build_assets.py"]
)
def test_the_tools_that_run_before_the_venv_need_only_the_standard_library(script):
    assert _top_level_imports(REPO / script) <= set(sys.stdlib_module_names) | {"core"}


@pytest.mark.parametrize("module", STDLIB_ONLY_COURSE)
def test_the_course_modules_those_tools_import_need_only_the_standard_library(module):
    imported = _top_level_imports(REPO / module, at_load_only=True)
    assert imported <= set(sys.stdlib_module_names) | {"core"}


def test_the_stamp_follows_the_lock(setup_module, tmp_path, monkeypatch):
    for name in ("pyproject.toml", "requirements-lock.txt", "tools/setup.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((REPO / name).read_bytes())
    monkeypatch.setattr(setup_module, "ROOT", tmp_path)
    before = setup_module.stamp_text()
    lock = tmp_path / "requirements-lock.txt"
    lock.write_text(lock.read_text().replace("marimo==", "marimo==9"))
    assert setup_module.stamp_text() != before


def _recorded(setup_module, monkeypatch) -> list[tuple[str, ...]]:
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(setup_module, "pip", lambda *args: calls.append(args))
    return calls


def test_without_an_nvidia_gpu_linux_gets_the_cpu_build(setup_module, monkeypatch):
    calls = _recorded(setup_module, monkeypatch)
    monkeypatch.delenv("TORCH_INDEX_URL", raising=False)
    monkeypatch.setattr(setup_module.platform, "system", lambda: "Linux")
    monkeypatch.setattr(setup_module, "has_nvidia_gpu", lambda: False)
    setup_module.install_torch("2.13.0")
    (args,) = calls
    assert args[:2] == ("install", "torch==2.13.0")
    assert args[args.index("--extra-index-url") + 1] == setup_module.CPU_INDEX


def test_with_a_gpu_pypis_build_and_torch_index_url_wins(setup_module, monkeypatch):
    calls = _recorded(setup_module, monkeypatch)
    monkeypatch.delenv("TORCH_INDEX_URL", raising=False)
    monkeypatch.setattr(setup_module.platform, "system", lambda: "Linux")
    monkeypatch.setattr(setup_module, "has_nvidia_gpu", lambda: True)
    setup_module.install_torch("2.13.0")
    assert calls[-1] == ("install", "torch==2.13.0")
    monkeypatch.setenv("TORCH_INDEX_URL", "https://example.invalid/cu126")
    setup_module.install_torch("2.13.0")
    assert calls[-1][-1] == "https://example.invalid/cu126"


def test_the_lock_is_installed_hash_checked_without_dependencies(setup_module, monkeypatch):
    calls = _recorded(setup_module, monkeypatch)
    setup_module.install_lock()
    (args,) = calls
    assert "--require-hashes" in args and "--no-deps" in args
    assert args[args.index("-r") + 1] == str(REPO / "requirements-lock.txt")
