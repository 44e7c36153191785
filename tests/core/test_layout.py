"""The shape of `core`: a lazy public API, torch-free packages that stay torch-free, no marimo.

Each check runs in a fresh interpreter, since this test process has long imported torch.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import core

REPO = Path(__file__).resolve().parents[2]
PUBLIC = {
    "GPT": "core.model.gpt",
    "GPTConfig": "core.model.config",
    "generate": "core.model.generate",
    "BPETokenizer": "core.tokenize",
    "CharTokenizer": "core.tokenize",
    "TrainConfig": "core.train.config",
    "load_gpt2": "core.gpt2",
    "save_hf": "core.gpt2",
}
# What the browser lessons may import: these must load with torch unavailable.
TORCH_FREE = ["core.tokenize", "core.data", "core.data.atomic", "core.mirrors", "core.course"]

# Makes `import torch` (and marimo, when asked) fail, then imports the modules named in argv and
# prints which heavy modules ended up loaded.
PROBE = """
import importlib, json, sys
blocked = set(sys.argv[2].split(",")) - {""}

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ImportError(f"{name} is blocked in this test")

sys.meta_path.insert(0, Block())
for name in sys.argv[1].split(","):
    importlib.import_module(name)
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & {"torch", "marimo", "numpy"})))
"""


def probe(modules: list[str], block: tuple[str, ...] = ()) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(modules), ",".join(block)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_core_loads_neither_torch_nor_marimo():
    assert probe(["core"]) == []


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_each_public_name_comes_from_its_package(name):
    obj = getattr(core, name)
    assert obj.__module__.startswith(PUBLIC[name]), (name, obj.__module__)
    assert name in core.__all__ and name in dir(core)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'GTP'"):
        core.GTP  # noqa: B018


def test_the_torch_free_packages_import_with_torch_blocked():
    assert "torch" not in probe(TORCH_FREE, block=("torch",))


def test_no_module_of_core_imports_marimo():
    names = [
        m.name
        for m in pkgutil.walk_packages(core.__path__, "core.")
        if not m.name.endswith("__main__")  # running those starts a command
    ]
    assert len(names) > 20
    assert "marimo" not in probe(names, block=("marimo",))


def test_no_source_file_of_core_imports_marimo_even_inside_a_function():
    """Progress reaches a notebook through callbacks or tqdm.auto, never through marimo."""
    offenders = []
    for path in sorted((REPO / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            if any(n.split(".")[0] == "marimo" for n in names):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize(
    "package", ["core", "core.tokenize", "core.data", "core.mirrors", "core.course"]
)
def test_torch_free_package_inits_import_nothing_of_core_at_run_time(package):
    """marimo's WebAssembly export ships the modules a page imports, plus the `__init__.py` of
    their packages, but not what those `__init__` files import: so they import nothing of core
    at run time (TYPE_CHECKING imports are fine: Python never runs them; `from core import
    _lazy_exports` is fine: every page ships core/__init__.py)."""
    init = REPO / package.replace(".", "/") / "__init__.py"
    tree = ast.parse(init.read_text(encoding="utf-8"))
    type_checking = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and getattr(block.test, "id", "") == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    imported = [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and id(node) not in type_checking
    ] + [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import) and id(node) not in type_checking
        for alias in node.names
    ]
    assert [m for m in imported if m and m.split(".")[0] == "core" and m != "core"] == []
