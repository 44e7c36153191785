"""`just doctor`: what to paste into a report when something fails.

    python3 tools/doctor.py [--strict] [--venv PATH]

Prints Python and the system; torch and its build (CPU, CUDA, ROCm) with the device it would
use; marimo and the other key packages against `requirements-lock.txt`, then every locked
package for this machine; the data directory and which of the course's files it holds;
Pyodide's lock file, Chromium and the Hugging Face cache. Standard library only, and it never
imports the course's packages into this process, so it works when `.venv` is missing or broken
(the Python of .venv is asked in a subprocess). `--strict`: exit 1 when .venv is unusable or
differs from the lock (CI runs it so).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEY_PACKAGES = (
    "marimo",
    "anywidget",
    "traitlets",
    "numpy",
    "altair",
    "pandas",
    "tiktoken",
    "regex",
    "safetensors",
    "huggingface-hub",
    "transformers",
    "playwright",
    "pytest",
    "uv",
)
CHROMIUM = Path("/usr/bin/chromium")
LOCK_ENV = "MARIMO_PYODIDE_LOCK_FILE"

# Runs in .venv's Python: reads {"pins": [[name, version, marker], ...]} on stdin, prints JSON.
PROBE = r"""
import json, sys, platform
from importlib import metadata
out = {"python": platform.python_version(), "executable": sys.executable}
pins = json.load(sys.stdin)["pins"]
try:
    from packaging.markers import Marker
except ImportError:
    try:
        from pip._vendor.packaging.markers import Marker
    except ImportError:
        Marker = None
def norm(name):
    import re
    return re.sub(r"[-_.]+", "-", name).lower()
installed = {}
for dist in metadata.distributions():
    name = dist.metadata["Name"]
    if name:
        installed[norm(name)] = dist.version
out["installed"] = installed
applies = []
for name, version, marker in pins:
    try:
        ok = True if not marker or Marker is None else Marker(marker).evaluate()
    except Exception:
        ok = True
    applies.append(ok)
out["applies"] = applies
out["markers_checked"] = Marker is not None
try:
    import torch
    t = {"version": torch.__version__, "cuda": torch.version.cuda,
         "hip": getattr(torch.version, "hip", None), "threads": torch.get_num_threads()}
    t["cuda_available"] = bool(torch.cuda.is_available())
    if t["cuda_available"]:
        t["device_name"] = torch.cuda.get_device_name(0)
        t["device_count"] = torch.cuda.device_count()
    mps = getattr(torch.backends, "mps", None)
    t["mps_available"] = bool(mps is not None and mps.is_available())
    out["torch"] = t
except Exception as err:
    out["torch_error"] = f"{type(err).__name__}: {err}"
print(json.dumps(out))
"""


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def probe_venv(venv: Path, pins: list) -> tuple[dict | None, str | None]:
    """(what .venv's Python reports, None) or (None, why it could not be asked)."""
    python = venv_python(venv)
    if not python.exists():
        return None, f"{venv} has no Python: run `just setup`"
    payload = json.dumps({"pins": [[p.name, p.version, p.marker] for p in pins]})
    try:
        result = subprocess.run(
            [str(python), "-c", PROBE],
            input=payload,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return None, f"{python} did not answer ({err})"
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
        return None, f"{python} failed: {' '.join(tail)}"
    return json.loads(result.stdout.strip().splitlines()[-1]), None


def torch_lines(info: dict) -> list[str]:
    torch = info.get("torch")
    if torch is None:
        return [f"torch         does not import: {info.get('torch_error', '?')}"]
    if torch.get("hip"):
        build = f"ROCm {torch['hip']} build"
    elif torch.get("cuda"):
        build = f"CUDA {torch['cuda']} build"
    else:
        build = "CPU build"
    if torch.get("cuda_available"):
        device = f"cuda ({torch.get('device_name')}, {torch.get('device_count')} visible)"
    elif torch.get("mps_available"):
        device = "mps (Apple GPU)"
    else:
        device = f"cpu ({torch.get('threads')} threads)"
    lines = [f"torch         {torch['version']}  {build}; device: {device}"]
    if torch.get("cuda") and not torch.get("cuda_available"):
        lines.append(
            "              (a CUDA build, but no GPU is visible: training runs on the CPU)"
        )
    return lines


def compare(pins: list, info: dict) -> tuple[list[str], list[str], list[str]]:
    """(differs, missing, not in the lock) for the pins that apply to this machine."""
    installed = info["installed"]
    differs, missing, locked = [], [], set()
    for pin, applies in zip(pins, info["applies"]):
        if not applies:
            continue
        locked.add(pin.name)
        have = installed.get(pin.name)
        if have is None:
            missing.append(f"{pin.name}=={pin.version}")
        elif have != pin.version:
            differs.append(f"{pin.name} {have} (locked {pin.version})")
    allowed = locked | {"torch", "pip", "llms-and-transformers"}
    extra = sorted(
        f"{name} {version}"
        for name, version in installed.items()
        if name not in allowed and not name.startswith(("nvidia-", "cuda-", "triton"))
    )
    return differs, missing, extra


def data_lines() -> list[str]:
    lines = []
    data_dir = os.environ.get("COURSE_DATA_DIR")
    try:
        registry, cache_dir = _course_data()
        cache = cache_dir()
    except Exception as err:  # the course's code is broken: say so, keep going
        return [f"data          could not read core/data ({err})"]
    lines.append(f"COURSE_DATA_DIR {data_dir or '(unset)'}")
    lines.append(f"cache         {cache}{'' if cache.is_dir() else '  (does not exist yet)'}")
    here, absent = [], []
    for name, spec in registry.items():
        places = [Path(data_dir).expanduser()] if data_dir else []
        places.append(cache)
        found = next((p / spec.filename for p in places if (p / spec.filename).is_file()), None)
        if found is None:
            absent.append(name)
        else:
            size_ok = found.stat().st_size == spec.size or spec.zip_member is not None
            where = "data dir" if data_dir and found.is_relative_to(Path(data_dir)) else "cache"
            here.append(f"{name} ({where}{'' if size_ok else ', WRONG SIZE'})")
    lines.append(f"files         {len(here)} of {len(registry)} here: {', '.join(here) or '-'}")
    if absent:
        lines.append(f"              missing: {', '.join(absent)} (`just data` fetches them)")
    return lines


def _course_data():
    """This checkout's data registry and `cache_dir`, imported with this Python alone:
    `core` and `core.data` need nothing but the standard library (a test runs the doctor
    under `python -S`), so this works when .venv is missing or broken."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from core.data.files import cache_dir
    from core.data.registry import REGISTRY

    return REGISTRY, cache_dir


def pyodide_line(info: dict | None) -> str:
    if os.environ.get(LOCK_ENV):
        path = Path(os.environ[LOCK_ENV]).expanduser()
        state = "here" if path.is_file() else "MISSING"
        return f"Pyodide lock  {path} ({LOCK_ENV}; {state})"
    marimo = (info or {}).get("installed", {}).get("marimo")
    if marimo is None:
        return "Pyodide lock  unknown (no marimo in .venv)"
    try:
        path = _course_data()[1]() / "pyodide" / f"pyodide-lock-marimo-{marimo}.json"
    except Exception as err:
        return f"Pyodide lock  unknown (could not read core/data: {err})"
    state = "here" if path.is_file() else "missing: `just data` fetches it"
    return f"Pyodide lock  {path} ({state})"


def chromium_line() -> str:
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium      not at {CHROMIUM}: the browser tests skip (apt-get install chromium)"
    try:
        result = subprocess.run(
            [str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=20
        )
        version = result.stdout.strip() or result.stderr.strip().splitlines()[-1]
    except (OSError, subprocess.TimeoutExpired, IndexError) as err:
        version = f"did not say its version ({err})"
    return f"Chromium      {CHROMIUM}: {version}"


def hf_lines() -> list[str]:
    if os.environ.get("HF_HUB_CACHE"):
        hub = Path(os.environ["HF_HUB_CACHE"])
    elif os.environ.get("HF_HOME"):
        hub = Path(os.environ["HF_HOME"]) / "hub"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        hub = base / "huggingface" / "hub"
    offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
    mode = "offline (HF_HUB_OFFLINE)" if offline else "online"
    if not hub.is_dir():
        return [f"HF cache      {hub}: not there ({mode}; GPT-2's weights are not cached)"]
    models = sorted(
        p.name.removeprefix("models--").replace("--", "/") for p in hub.glob("models--*")
    )
    return [f"HF cache      {hub} ({mode}): {', '.join(models) or 'no models'}"]


def git_line() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        return f"course        {ROOT}"
    state = f"{len(changed)} files changed" if changed else "clean"
    return f"course        {ROOT} @ {head or '?'} ({state})"


def report(venv: Path) -> tuple[str, bool]:
    """(the report's text, whether .venv is usable and equal to the lock)."""
    lock = _load("_course_lock_doctor", ROOT / "tools" / "lock.py")
    out = ["Course doctor: paste everything below into your report.", ""]
    out.append(f"system        {platform.platform()} ({platform.machine()})")
    out.append(f"python        {platform.python_version()} ({sys.executable})")
    out.append(git_line())
    pins, torch_version, lock_note = [], None, ""
    try:
        text = lock.LOCK.read_text()
        pins = lock.parse(text)
        torch_version = lock.torch_pin(text)
        current = lock.is_current(text, lock.PYPROJECT.read_text())
        lock_note = "matches pyproject.toml" if current else "STALE: run `just lock`"
    except (OSError, lock.LockError) as err:
        lock_note = f"unreadable ({err})"
    out.append(f"lock          {lock.LOCK.name}: {len(pins)} pins, {lock_note}")
    out += ["", f".venv         {venv}"]
    info, why = probe_venv(venv, pins)
    healthy = info is not None
    if info is None:
        out.append(f"              NOT USABLE: {why}")
    else:
        stamp = venv / ".setup-stamp"
        out[-1] += f" (python {info['python']}{'' if stamp.exists() else '; setup never finished'})"
        out += torch_lines(info)
        have_torch = (info.get("torch") or {}).get("version", "").split("+")[0]
        if torch_version and have_torch and have_torch != torch_version:
            out.append(f"              torch differs from the lock ({torch_version})")
            healthy = False
        locked = {}
        for pin, applies in zip(pins, info["applies"]):
            if applies:
                locked[pin.name] = pin.version
        for name in KEY_PACKAGES:
            have = info["installed"].get(name)
            want = locked.get(name)
            state = "ok" if have == want else ("NOT INSTALLED" if have is None else "DIFFERS")
            out.append(f"{name:15} {have or '-':12} locked {want or '-':12} {state}")
        differs, missing, extra = compare(pins, info)
        applying = sum(info["applies"])
        if not differs and not missing:
            out.append(f"all locked    {applying} packages for this machine at the locked version")
        else:
            healthy = False
            out.append(f"all locked    {applying} for this machine; differ from the lock:")
            out += [
                f"                {line}" for line in differs + [f"{m} missing" for m in missing]
            ]
            out.append("              `just setup` (COURSE_FORCE_SETUP=1 to redo it) restores them")
        if extra:
            out.append(f"not locked    {', '.join(extra)}")
        if not info.get("markers_checked"):
            out.append("              (no `packaging` in .venv: every pin was counted)")
    out += ["", *data_lines(), pyodide_line(info), chromium_line(), *hf_lines()]
    for name in ("COURSE_QUICK", "TORCH_INDEX_URL", "COURSE_CACHE_DIR", "TIKTOKEN_CACHE_DIR"):
        if os.environ.get(name):
            out.append(f"{name} = {os.environ[name]}")
    return "\n".join(out), healthy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv", help="the venv to examine")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 unless .venv is usable and equal to the lock"
    )
    args = parser.parse_args(argv)
    text, healthy = report(args.venv)
    print(text)
    return 1 if args.strict and not healthy else 0


if __name__ == "__main__":
    sys.exit(main())
