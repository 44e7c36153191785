"""tools/doctor.py (`just doctor`): a report that works with a missing or broken .venv, runs
on the standard library alone, and says what a learner's report needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.data import files
from core.data.registry import REGISTRY
from tools import doctor

REPO = Path(__file__).resolve().parents[2]
DOCTOR = REPO / "tools" / "doctor.py"


def _run(
    *args: str, env_extra: dict[str, str] | None = None, tmp: Path
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "HF_"))}
    env.update({"COURSE_CACHE_DIR": str(tmp / "cache"), "HF_HUB_CACHE": str(tmp / "hub")})
    env.update(env_extra or {})
    # -S: no site-packages at all, so the doctor can rely on nothing but the standard library
    return subprocess.run(
        [sys.executable, "-S", str(DOCTOR), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        cwd=tmp,
    )


def test_without_a_venv_it_still_reports_and_says_what_to_do(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    spec = REGISTRY["tinyshakespeare"]
    (data / spec.filename).parent.mkdir(parents=True, exist_ok=True)
    (data / spec.filename).write_bytes(b"x" * spec.size)
    hub = tmp_path / "hub" / "models--openai-community--gpt2"
    hub.mkdir(parents=True)
    result = _run(
        "--venv", str(tmp_path / "no-venv"), tmp=tmp_path, env_extra={"COURSE_DATA_DIR": str(data)}
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "NOT USABLE" in out and "just setup" in out
    assert f"python        {sys.version.split()[0]}" in out
    assert "requirements-lock.txt" in out and "matches pyproject.toml" in out
    assert f"COURSE_DATA_DIR {data}" in out
    assert f"files         1 of {len(REGISTRY)} here: tinyshakespeare (data dir)" in out
    assert "missing: the-verdict" in out
    assert "openai-community/gpt2" in out
    assert "Chromium" in out
    strict = _run("--strict", "--venv", str(tmp_path / "no-venv"), tmp=tmp_path)
    assert strict.returncode == 1


def test_a_broken_venv_python_is_reported_not_raised(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text("#!/bin/sh\necho 'ImportError: broken' >&2\nexit 1\n")
    python.chmod(0o755)
    result = _run("--venv", str(venv), tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "NOT USABLE" in result.stdout and "ImportError: broken" in result.stdout


def test_with_this_environment_it_names_torch_its_build_and_the_key_versions(tmp_path):
    import marimo
    import torch

    result = _run("--venv", sys.prefix, tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    build = "CPU build" if torch.version.cuda is None else f"CUDA {torch.version.cuda} build"
    assert f"torch         {torch.__version__}  {build}; device: " in out
    marimo_line = next(line for line in out.splitlines() if line.startswith("marimo "))
    assert marimo.__version__ in marimo_line and "locked" in marimo_line
    assert "all locked" in out


def test_it_reads_the_courses_own_registry_and_cache_dir():
    """No copy of the course's rules: the doctor imports core.data (standard library only)."""
    from core.data.registry import REGISTRY

    assert doctor._course_data() == (REGISTRY, files.cache_dir)


def test_compare_finds_what_differs_is_missing_or_extra():
    from tools.lock import Pin

    pins = [Pin("a", "1"), Pin("b", "2"), Pin("c", "3", "sys_platform == 'win32'"), Pin("d", "4")]
    info = {
        "applies": [True, True, False, True],
        "installed": {"a": "1", "b": "2.1", "torch": "2.13.0+cpu", "nvidia-cublas": "13", "e": "5"},
    }
    differs, missing, extra = doctor.compare(pins, info)
    assert differs == ["b 2.1 (locked 2)"]
    assert missing == ["d==4"]
    assert extra == ["e 5"]


@pytest.mark.parametrize(
    ("torch", "expected"),
    [
        (
            {"version": "2.13.0+cpu", "cuda": None, "threads": 2},
            "CPU build; device: cpu (2 threads)",
        ),
        (
            {
                "version": "2.13.0",
                "cuda": "12.6",
                "cuda_available": True,
                "device_name": "H200",
                "device_count": 1,
            },
            "CUDA 12.6 build; device: cuda (H200, 1 visible)",
        ),
        ({"version": "2.13.0", "cuda": None, "mps_available": True}, "device: mps (Apple GPU)"),
    ],
)
def test_torch_line_names_the_build_and_device(torch, expected):
    assert expected in doctor.torch_lines({"torch": torch})[0]


def test_a_cuda_build_without_a_gpu_says_so():
    lines = doctor.torch_lines({"torch": {"version": "2.13.0", "cuda": "12.6", "threads": 4}})
    assert "no GPU is visible" in lines[1]
