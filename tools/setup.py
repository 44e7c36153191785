"""Create `.venv` and install the course's lock into it: safe to run again (a no-op in seconds).

Run by `just setup` (and by every recipe that needs the environment). Standard library only,
so it runs with nothing but Python >= 3.11. Every run, even a no-op one, also brings the
git-ignored `widgets/_assets.py` (the widgets' JS/CSS as Python, which the WebAssembly export
needs) up to date with the `.js`/`.css` files, rewriting it only when they changed.

What it installs is `requirements-lock.txt` (tools/lock.py), exactly:
1. every locked package for this machine, `pip install --require-hashes --no-deps -r`: pip
   skips the lines whose marker does not fit, and refuses a file whose SHA-256 differs;
2. torch at the lock's `# torch==X`: from PyTorch's CPU index when there is no NVIDIA GPU
   (PyPI's Linux wheel is a multi-GB CUDA build), else from PyPI (CUDA on Linux, CPU/MPS on
   macOS, CPU on Windows), or from $TORCH_INDEX_URL; its dependencies are already there;
3. the course itself, editable, with no dependencies and no build isolation (its build
   backend is locked too); then `pip check`.

Environment variables:
    TORCH_INDEX_URL   install torch from this index instead (e.g. a ROCm or a CUDA 12.x index)
    COURSE_FORCE_SETUP=1   reinstall even when nothing changed
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".setup-stamp"
LOCK = ROOT / "requirements-lock.txt"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _load(name: str, path: Path):
    """A module of this repository by path: `import tools.x` may need packages not here yet."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


lock = _load("_course_lock", ROOT / "tools" / "lock.py")


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def has_nvidia_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None or Path("/proc/driver/nvidia").exists()


def stamp_text() -> str:
    h = hashlib.sha256()
    for name in ("pyproject.toml", "requirements-lock.txt", "tools/setup.py"):
        h.update((ROOT / name).read_bytes())
    h.update(sys.version.encode())
    h.update(os.environ.get("TORCH_INDEX_URL", "").encode())
    return h.hexdigest()


def run(*args: str | Path) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT)


def pip(*args: str) -> None:
    run(venv_python(), "-m", "pip", "--disable-pip-version-check", *args)


def installed_torch() -> str | None:
    """The version of the torch in .venv, without its local label (`2.13.0+cpu` -> `2.13.0`);
    None when it does not import."""
    probe = "import torch, sys; sys.stdout.write(torch.__version__)"
    result = subprocess.run(
        [str(venv_python()), "-c", probe], capture_output=True, text=True, cwd=ROOT
    )
    return result.stdout.split("+")[0] if result.returncode == 0 else None


def install_lock() -> None:
    """Every locked package for this machine, hash-checked, at exactly its locked version."""
    pip("install", "--require-hashes", "--no-deps", "-r", str(LOCK))


def install_torch(version: str) -> None:
    spec = f"torch=={version}"
    index = os.environ.get("TORCH_INDEX_URL")
    if index:
        pip("install", spec, "--extra-index-url", index)
    elif platform.system() == "Linux" and not has_nvidia_gpu():
        # PyPI's Linux wheel bundles CUDA; the CPU index has the same release as `+cpu`,
        # which pip prefers (a local version sorts above the plain one).
        print("No NVIDIA GPU found: installing the CPU build of torch.", flush=True)
        pip("install", spec, "--retries", "1", "--extra-index-url", CPU_INDEX)
    else:
        # macOS wheels are CPU/MPS builds; Windows' PyPI wheel is a CPU build;
        # on Linux with an NVIDIA GPU, PyPI's default is the CUDA build we want.
        pip("install", spec)


def generate_widget_assets() -> bool:
    """Write widgets/_assets.py from widgets/*.js, *.css if it is missing or stale (else touch
    nothing); True when written. Loads widgets/_build_assets.py by path: `import widgets`
    needs packages this Python may not have yet."""
    return _load("_course_build_assets", ROOT / "widgets" / "_build_assets.py").write()


def warm_uv_cache() -> None:
    """Put the ruff that marimo's WebAssembly export runs (`uv tool run --from ruff==X`) into
    uv's cache now, while the network is allowed: the export, and the tests that check it,
    then work offline (they run with UV_OFFLINE=1)."""
    probe = "from marimo._export.local_modules import _RUFF_REQUIREMENT as r; print(r)"
    result = subprocess.run([str(venv_python()), "-c", probe], capture_output=True, text=True)
    requirement = result.stdout.strip() or "ruff"  # a marimo that moved it: any ruff will do
    uv = venv_python().parent / ("uv.exe" if os.name == "nt" else "uv")
    # Trust the system's certificate store, as pip does (a company proxy's CA lives there).
    env = dict(os.environ, UV_SYSTEM_CERTS="1", UV_NATIVE_TLS="1")
    print(f"+ {uv} tool run --from {requirement} ruff --version", flush=True)
    subprocess.run(
        [str(uv), "tool", "run", "--from", requirement, "ruff", "--version"],
        check=True,
        cwd=ROOT,
        env=env,
    )


STALE = (
    "Warning: pyproject.toml's dependencies changed since requirements-lock.txt was made; "
    "installing the lock as it is. Run `just lock` to re-lock (keeping every pin that fits)."
)


def main() -> int:
    if sys.version_info < (3, 11):
        print(f"Python >= 3.11 is needed; this is {platform.python_version()}.", file=sys.stderr)
        return 1
    if generate_widget_assets():
        print("Wrote widgets/_assets.py from the widgets' .js/.css files.", flush=True)
    wanted = stamp_text()
    fresh = os.environ.get("COURSE_FORCE_SETUP") == "1"
    if not fresh and venv_python().exists() and STAMP.exists() and STAMP.read_text() == wanted:
        print("Environment is up to date (.venv).")
        return 0
    lock_text = LOCK.read_text()
    torch_version = lock.torch_pin(lock_text)
    stale = not lock.is_current(lock_text, (ROOT / "pyproject.toml").read_text())
    if stale:
        print(STALE, file=sys.stderr, flush=True)
    if not venv_python().exists():
        print(f"Creating {VENV} with Python {platform.python_version()}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    install_lock()
    if fresh and installed_torch() is not None:
        pip("uninstall", "-y", "torch")  # e.g. to change builds with TORCH_INDEX_URL
    if installed_torch() != torch_version:
        install_torch(torch_version)
    pip("install", "--no-deps", "--no-build-isolation", "-e", ".")
    check = subprocess.run(
        [str(venv_python()), "-m", "pip", "check"], capture_output=True, text=True, cwd=ROOT
    )
    if check.returncode != 0:
        print(check.stdout + check.stderr, file=sys.stderr)
        if not stale:  # a stale lock explains it, and `just lock` (which needs uv) mends it
            print("The installed packages do not fit together (pip check).", file=sys.stderr)
            return 1
    warm_uv_cache()
    STAMP.write_text(wanted)
    print("Setup complete: .venv is ready.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as err:
        print(
            f"\nSetup failed while running: {' '.join(map(str, err.cmd))}\n"
            "Check your network connection to PyPI (and download.pytorch.org for torch), "
            "then run `just setup` again; it resumes where it stopped.",
            file=sys.stderr,
        )
        sys.exit(1)
