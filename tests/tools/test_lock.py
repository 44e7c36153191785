"""tools/lock.py and requirements-lock.txt: the lock is current, complete, hashed, and holds
neither torch nor its CUDA runtime as lines; the compile plumbing, with a stand-in uv."""

from __future__ import annotations

import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tools import lock

REPO = Path(__file__).resolve().parents[2]


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def _blocks(text: str) -> list[str]:
    """Each pin line of a lock with its continuation lines (hashes)."""
    blocks: list[str] = []
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            blocks.append(line)
        elif blocks and line.startswith("    --hash="):
            blocks[-1] += "\n" + line
    return blocks


def test_the_lock_is_made_from_this_pyproject():
    assert lock.is_current(lock.LOCK.read_text(), lock.PYPROJECT.read_text()), (
        "requirements-lock.txt is stale: run `just lock`"
    )


def test_every_requirement_of_pyproject_is_locked_at_a_version_it_allows():
    data = _pyproject()
    requirements = list(data["project"]["dependencies"])
    for extra in lock.EXTRAS:
        requirements += data["project"]["optional-dependencies"][extra]
    requirements += lock.build_requirements(lock.PYPROJECT.read_text())
    text = lock.LOCK.read_text()
    pinned: dict[str, list[str]] = {}
    for pin in lock.parse(text):
        pinned.setdefault(pin.name, []).append(pin.version)
    pinned["torch"] = [lock.torch_pin(text)]
    for requirement in map(Requirement, requirements):
        versions = pinned.get(lock.normalize(requirement.name))
        assert versions, f"{requirement.name} is not in the lock"
        for version in versions:
            assert requirement.specifier.contains(Version(version), prereleases=True), (
                requirement,
                version,
            )


def test_every_pin_is_exact_and_hashed_and_torch_is_no_line():
    text = lock.LOCK.read_text()
    blocks = _blocks(text)
    assert len(blocks) == len(lock.parse(text)) > 50
    for block in blocks:
        assert "==" in block.splitlines()[0], block
        assert "--hash=sha256:" in block, f"no hash: {block.splitlines()[0]}"
    names = {pin.name for pin in lock.parse(text)}
    assert "torch" not in names
    assert not [n for n in names if lock.TORCH_RUNTIME.match(n)]
    assert {"marimo", "numpy", "anywidget", "hatchling", "editables", "sympy"} <= names


def test_the_lock_covers_every_platform():
    """Universal resolution: packages only Windows or macOS need are locked too."""
    markers = {pin.name: pin.marker for pin in lock.parse(lock.LOCK.read_text())}
    assert markers.get("colorama") == "sys_platform == 'win32'"  # click's, on Windows


def test_parse_reads_names_versions_and_markers():
    text = textwrap.dedent(
        """\
        # torch==2.13.0
        Foo_Bar==1.2 ; sys_platform == 'win32' \\
            --hash=sha256:aa
            # via x
        baz==3.0 \\
            --hash=sha256:bb
        qux==0.1
        """
    )
    assert lock.parse(text) == [
        lock.Pin("foo-bar", "1.2", "sys_platform == 'win32'"),
        lock.Pin("baz", "3.0"),
        lock.Pin("qux", "0.1"),
    ]
    assert lock.torch_pin(text) == "2.13.0"
    with pytest.raises(lock.LockError, match="torch"):
        lock.torch_pin("baz==3.0\n")


def test_the_digest_follows_the_dependencies_only():
    base = lock.PYPROJECT.read_text()
    digest = lock.inputs_digest(base)
    assert lock.inputs_digest(base.replace("line-length = 100", "line-length = 99")) == digest
    assert lock.inputs_digest(base.replace('"tqdm>=4.66"', '"tqdm>=4.67"')) != digest
    assert lock.inputs_digest(base.replace('"uv>=0.5"', '"uv>=0.6"')) != digest


def test_pin_changes_lists_moves_additions_and_removals():
    old = "# torch==2.13.0\na==1\nb==2\n"
    new = "# torch==2.14.0\na==1\nb==3\nc==1\n"
    assert lock.pin_changes(old, new) == [
        "b: 2 -> 3",
        "c: (none) -> 1",
        "torch: 2.13.0 -> 2.14.0",
    ]
    assert lock.pin_changes(new, "# torch==2.14.0\na==1\n")[-1] == "c: 1 -> (removed)"


def test_check_says_what_to_run_when_pyproject_moved(tmp_path, monkeypatch, capsys):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(lock.PYPROJECT.read_text())
    lock_file = tmp_path / "requirements-lock.txt"
    lock_file.write_text(lock.LOCK.read_text())
    monkeypatch.setattr(lock, "PYPROJECT", pyproject)
    monkeypatch.setattr(lock, "LOCK", lock_file)
    assert lock.main(["--check"]) == 0
    pyproject.write_text(pyproject.read_text().replace('"tqdm>=4.66"', '"tqdm>=4.66", "rich"'))
    assert lock.main(["--check"]) == 1
    assert "just lock" in capsys.readouterr().err


FAKE_UV = r"""
import json, sys
from pathlib import Path
args = sys.argv[1:]
log = Path(__file__).with_name("calls.jsonl")
with log.open("a") as f:
    f.write(json.dumps(args) + "\n")
out = Path(args[args.index("-o") + 1])
constraint = Path(args[args.index("-c") + 1]).read_text().strip()
torch = constraint.split("==")[1] if constraint else "2.99.0"
skip = {args[i + 1] for i, a in enumerate(args) if a == "--no-emit-package"}
hashes = "--generate-hashes" in args
lines = []
for name, version in [("marimo", "9.9.9"), ("numpy", "3.0.0"), ("nvidia-cublas", "13.0"),
                      ("sympy", "1.14.0"), ("torch", torch), ("triton", "3.7.1")]:
    if name in skip:
        continue
    lines.append(f"{name}=={version}" + (" \\\n    --hash=sha256:00" if hashes else ""))
out.write_text("\n".join(lines) + "\n")
"""


@pytest.fixture
def fake_uv(tmp_path) -> Path:
    script = tmp_path / "uv"
    script.write_text(f"#!{sys.executable}\n{FAKE_UV}")
    script.chmod(0o755)
    return script


def _calls(fake_uv: Path) -> list[list[str]]:
    import json

    return [json.loads(line) for line in fake_uv.with_name("calls.jsonl").read_text().splitlines()]


def test_resolve_keeps_torch_and_leaves_it_and_its_cuda_runtime_out(fake_uv):
    current = "# torch==2.13.0\nmarimo==0.25.2 \\\n    --hash=sha256:00\n"
    text = lock.resolve(current, upgrade=True, uv=fake_uv)
    assert lock.torch_pin(text) == "2.13.0"  # `just upgrade` moves torch only when asked
    assert lock.is_current(text, lock.PYPROJECT.read_text())
    assert [p.name for p in lock.parse(text)] == ["marimo", "numpy", "sympy"]
    first, second = _calls(fake_uv)
    assert "--upgrade" in first and "--generate-hashes" not in first
    assert "--generate-hashes" in second and "--upgrade" not in second
    skipped = {second[i + 1] for i, a in enumerate(second) if a == "--no-emit-package"}
    assert skipped == {"torch", "nvidia-cublas", "triton"}
    assert {"--universal", "--extra", "dev", "--python-version"} <= set(first)


def test_upgrading_torch_takes_the_newest(fake_uv):
    text = lock.resolve("# torch==2.13.0\n", upgrade_torch=True, uv=fake_uv)
    assert lock.torch_pin(text) == "2.99.0"
    first = _calls(fake_uv)[0]
    assert first[first.index("--upgrade-package") + 1] == "torch"


def test_a_freeze_seeds_the_first_lock_torch_without_its_local_label(fake_uv):
    text = lock.resolve(None, prefer="torch==2.13.0+cpu\nmarimo==0.25.2\n", uv=fake_uv)
    assert lock.torch_pin(text) == "2.13.0"
