"""The course's lock, `requirements-lock.txt`: every Python package at the version the tests
passed with. Written only by this script (`just upgrade`, `just lock`); installed by
`tools/setup.py` (`just setup`); read by `tools/doctor.py` and the site build.

    python tools/lock.py --upgrade [PACKAGE ...]   newest versions that satisfy pyproject.toml
                                                   (`just upgrade`; torch stays unless named)
    python tools/lock.py                           re-lock after editing pyproject.toml's
                                                   dependencies, keeping every pin that fits
    python tools/lock.py --check                   offline: is the lock made from the
                                                   pyproject.toml that is here now?
    --dry-run                                      print what would change, write nothing

What the file is: `uv pip compile --universal --generate-hashes` of the project with its `dev`
extra and its build backend (hatchling), for every platform (Linux, macOS, Windows: pip skips the lines whose marker does not
fit the machine) and every Python the project allows, each package pinned with `==` and the SHA-256 of each of its files
on PyPI. `tools/setup.py` installs it with `pip install --require-hashes --no-deps -r`, so pip
evaluates the markers for the machine it runs on and refuses any file whose hash differs.

Two things are not hash-checked lines, on purpose:
- torch. Its pin is the header line `# torch==X`; setup installs exactly that version, from
  PyTorch's CPU index on a machine without an NVIDIA GPU, from PyPI otherwise, or from
  $TORCH_INDEX_URL. The same version is a different file (and hash) on each index, so one
  hash list cannot serve them all. torch's own dependencies (sympy, networkx, ...) are locked.
- torch's CUDA runtime (nvidia-*, cuda-*, triton): only PyPI's Linux build of torch needs
  them, and it pins them itself; as lines of the lock, pip would install them on every Linux
  machine, GPU or not.

Standard library only (tools/setup.py imports it before .venv exists); the compile step runs
the `uv` of .venv (a dev dependency) and needs the package registry.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements-lock.txt"
PYPROJECT = ROOT / "pyproject.toml"
PYTHON_FLOOR = "3.11"  # the lowest Python pyproject.toml allows: the lock is resolved from it
EXTRAS = ("dev",)
# Only PyPI's Linux torch depends on these; it pins them itself (see the docstring).
TORCH_RUNTIME = re.compile(r"^(nvidia-.*|cuda-.*|triton)$")
_TORCH_PIN = re.compile(r"^# torch==(\S+)\s*$", re.M)
_INPUTS = re.compile(r"^# pyproject-dependencies-sha256: ([0-9a-f]{64})\s*$", re.M)
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\#]*?))?\s*(?:\\)?$")


class LockError(RuntimeError):
    """The lock cannot be made or read; the message says what to do."""


@dataclass(frozen=True)
class Pin:
    """One line of the lock: `name==version ; marker` (marker "" when unconditional)."""

    name: str  # normalized (PEP 503)
    version: str
    marker: str = ""


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(text: str) -> list[Pin]:
    """The pins of a lock's text, in file order (a package may appear once per marker)."""
    pins = []
    for line in text.splitlines():
        match = _PIN.match(line)
        if match:
            pins.append(Pin(normalize(match[1]), match[2], (match[3] or "").strip()))
    return pins


def torch_pin(text: str) -> str:
    """The torch version of a lock's text (its `# torch==X` line)."""
    match = _TORCH_PIN.search(text)
    if match is None:
        raise LockError(
            f"{LOCK.name} has no `# torch==X` line: it was not written by tools/lock.py. "
            "Restore it with `git checkout requirements-lock.txt`."
        )
    return match[1]


def inputs_digest(pyproject_text: str) -> str:
    """SHA-256 of what the lock is made from: pyproject.toml's dependencies, extras,
    requires-python and build requirements (nothing else in the file matters)."""
    data = tomllib.loads(pyproject_text)
    project = data.get("project", {})
    inputs = {
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "requires-python": project.get("requires-python"),
        "build-system": build_requirements(pyproject_text),
        "extras": list(EXTRAS),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def recorded_digest(text: str) -> str | None:
    match = _INPUTS.search(text)
    return match[1] if match else None


def is_current(lock_text: str, pyproject_text: str) -> bool:
    """True when the lock was made from these dependencies of pyproject.toml."""
    return recorded_digest(lock_text) == inputs_digest(pyproject_text)


def header(torch_version: str, digest: str) -> str:
    return (
        "# The course's lock: every Python package at the version the tests passed with.\n"
        "# Do not edit: `just upgrade` moves it (tools/lock.py), `just setup` installs it.\n"
        "#\n"
        "# torch is pinned here and installed by tools/setup.py from the index that fits the\n"
        "# machine (CPU build without an NVIDIA GPU); it and its CUDA runtime (nvidia-*,\n"
        "# cuda-*, triton, pinned by torch itself) are not hash-checked lines: see tools/lock.py.\n"
        f"# torch=={torch_version}\n"
        f"# pyproject-dependencies-sha256: {digest}\n"
    )


# --- compiling ------------------------------------------------------------------------------


def find_uv() -> Path:
    """The uv of .venv (a dev dependency), else the running Python's, else one on PATH."""
    name = "uv.exe" if os.name == "nt" else "uv"
    for folder in (ROOT / ".venv" / ("Scripts" if os.name == "nt" else "bin"),):
        if (folder / name).exists():
            return folder / name
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return beside
    found = shutil.which("uv")
    if found is None:
        raise LockError("uv is needed to resolve the lock: run `just setup` first (it installs uv)")
    return Path(found)


def build_requirements(pyproject_text: str) -> list[str]:
    """`[build-system] requires`, and what hatchling asks for to build an editable install
    (`editables`): locked too, so that setup installs the project itself without build
    isolation (nothing unlocked is downloaded)."""
    build = tomllib.loads(pyproject_text).get("build-system", {})
    requires = list(build.get("requires", []))
    if build.get("build-backend") == "hatchling.build":
        requires.append("editables")
    return requires


def _compile(uv: Path, out: Path, extra_args: list[str]) -> None:
    # `-`: the build backend's requirements, from stdin
    command = [str(uv), "pip", "compile", str(PYPROJECT), "-", "--universal"]
    command += ["--python-version", PYTHON_FLOOR, "--quiet", "-o", str(out)]
    for extra in EXTRAS:
        command += ["--extra", extra]
    command += extra_args
    env = dict(os.environ, UV_SYSTEM_CERTS="1", UV_NATIVE_TLS="1")
    build = "\n".join(build_requirements(PYPROJECT.read_text())) + "\n"
    result = subprocess.run(command, cwd=ROOT, env=env, input=build, capture_output=True, text=True)
    if result.returncode != 0:
        raise LockError(f"`uv pip compile` failed:\n{result.stderr.strip()[-3000:]}")


def resolve(
    current: str | None,
    *,
    upgrade: bool = False,
    packages: tuple[str, ...] = (),
    upgrade_torch: bool = False,
    prefer: str | None = None,
    uv: Path | None = None,
) -> str:
    """The text of a new lock. `current`: the lock's text now (its pins are kept where they
    still fit, unless upgraded); `upgrade`: every package to its newest version (torch only
    with `upgrade_torch`); `packages`: only these to their newest; `prefer`: the text of a
    requirements file (`pip freeze`) whose pins to keep where they fit, instead of `current`'s.
    """
    uv = uv or find_uv()
    seed = prefer if prefer is not None else current
    torch_version = None
    if current and prefer is None:
        torch_version = torch_pin(current)
    elif seed:
        torch_version = next((p.version for p in parse(seed) if p.name == "torch"), None)
        torch_version = torch_version.split("+")[0] if torch_version else None
    with tempfile.TemporaryDirectory(prefix="course-lock-") as tmp:
        scratch = Path(tmp)
        constraints = scratch / "torch.txt"
        if upgrade_torch or torch_version is None:
            constraints.write_text("")
        else:
            constraints.write_text(f"torch=={torch_version}\n")
        args = ["-c", str(constraints), "--no-header", "--no-annotate"]
        if upgrade:
            args.append("--upgrade")
        for package in packages:
            args += ["--upgrade-package", package]
        if upgrade_torch:
            args += ["--upgrade-package", "torch"]
        # Pass 1: the whole resolution, to find torch's version and its CUDA runtime.
        plain = scratch / "plain.txt"
        if seed:  # uv keeps the pins of the output file it overwrites, where they fit
            plain.write_text(re.sub(r"^(torch==[^+\s]+)\+\S+", r"\1", seed, flags=re.M))
        _compile(uv, plain, args)
        pins = parse(plain.read_text())
        torch_versions = {pin.version for pin in pins if pin.name == "torch"}
        if len(torch_versions) != 1:
            raise LockError(f"expected one torch version in the resolution, got {torch_versions}")
        torch_version = torch_versions.pop()
        constraints.write_text(f"torch=={torch_version}\n")
        left_out = sorted({"torch"} | {p.name for p in pins if TORCH_RUNTIME.match(p.name)})
        # Pass 2: the lock itself, with hashes, without torch and its CUDA runtime.
        locked = scratch / "lock.txt"
        locked.write_text(plain.read_text())  # pass 1 chose the versions: uv keeps them
        args = ["-c", str(constraints), "--generate-hashes", "--no-header"]
        for name in left_out:
            args += ["--no-emit-package", name]
        _compile(uv, locked, args)
        body = locked.read_text()
    return header(torch_version, inputs_digest(PYPROJECT.read_text())) + body


def pin_changes(old: str, new: str) -> list[str]:
    """`name: old -> new` lines (added, removed, moved), torch included."""

    def versions(text: str) -> dict[str, str]:
        found: dict[str, set[str]] = {}
        for pin in parse(text):
            found.setdefault(pin.name, set()).add(pin.version)
        if _TORCH_PIN.search(text):
            found["torch"] = {torch_pin(text)}
        return {name: ", ".join(sorted(v)) for name, v in found.items()}

    before, after = versions(old), versions(new)
    lines = []
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        if a != b:
            lines.append(f"{name}: {a or '(none)'} -> {b or '(removed)'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upgrade", action="store_true", help="move packages to their newest")
    parser.add_argument("--check", action="store_true", help="offline: is the lock current?")
    parser.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")
    parser.add_argument("--out", type=Path, help="write the new lock here instead")
    parser.add_argument(
        "--prefer", type=Path, help="keep the pins of this file (a `pip freeze`) where they fit"
    )
    parser.add_argument(
        "packages", nargs="*", help="with --upgrade: only these (`torch` moves torch too)"
    )
    args = parser.parse_args(argv)
    current = LOCK.read_text() if LOCK.exists() else None
    if args.check:
        if current is None or not is_current(current, PYPROJECT.read_text()):
            print(
                f"{LOCK.name} was not made from pyproject.toml's dependencies as they are now: "
                "run `just lock` (keeps every pin that still fits) or `just upgrade`.",
                file=sys.stderr,
            )
            return 1
        print(f"{LOCK.name} matches pyproject.toml.")
        return 0
    if args.packages and not args.upgrade:
        parser.error("packages are named only with --upgrade")
    names = tuple(p for p in args.packages if normalize(p) != "torch")
    upgrade_torch = len(names) != len(args.packages)
    try:
        new = resolve(
            current,
            upgrade=args.upgrade and not args.packages,
            packages=names,
            upgrade_torch=upgrade_torch,
            prefer=args.prefer.read_text() if args.prefer else None,
        )
    except LockError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    changes = pin_changes(current or "", new)
    print("\n".join(changes) if changes else "No version changes.")
    if args.dry_run:
        diff = difflib.unified_diff(
            (current or "").splitlines(),
            new.splitlines(),
            LOCK.name,
            f"{LOCK.name} (new)",
            lineterm="",
        )
        print(f"(dry run: {sum(1 for _ in diff)} diff lines; nothing written)")
        return 0
    target = args.out or LOCK
    if current != new or target != LOCK:
        target.write_text(new)
        print(f"Wrote {target}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
