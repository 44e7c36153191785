# The course's commands. `just --list` shows them; every recipe sets up .venv first if needed.

set shell := ["bash", "-euo", "pipefail", "-c"]
set positional-arguments := false

python := env("PYTHON", "python3")
venv_bin := justfile_directory() / ".venv" / "bin"
port := env("COURSE_PORT", "2718")

# Show the recipes.
default:
    @just --list

# Create .venv, install exactly requirements-lock.txt and the course, regenerate the git-ignored widgets/_assets.py (idempotent: a second run takes under a second).
setup:
    @{{python}} tools/setup.py

# Print what to paste into a report when something fails: Python, torch and its device, versions against the lock, data, Chromium, Hugging Face cache (works even when .venv is broken).
doctor *args:
    @{{python}} tools/doctor.py {{args}}

# Move the lock to the newest versions pyproject.toml allows (torch too with `just upgrade torch`; only some: `just upgrade marimo numpy`; preview: `just upgrade --dry-run`), install it, run the whole test suite.
upgrade *args: setup
    {{venv_bin}}/python tools/lock.py --upgrade {{args}}
    @if [[ " {{args}} " != *" --dry-run "* ]]; then \
        {{python}} tools/setup.py && {{just_executable()}} test || { \
            echo "The upgraded lock fails: fix what broke, or go back with" \
                 "'git checkout requirements-lock.txt && just setup'." >&2; exit 1; }; \
    fi

# Re-lock after editing pyproject.toml's dependencies, keeping every pin that still fits (no upgrades).
lock: setup
    {{venv_bin}}/python tools/lock.py
    @{{python}} tools/setup.py

# Open the course as an app on http://127.0.0.1:2718 (COURSE_PORT to change): the home, then each lesson.
run *args: setup
    {{venv_bin}}/python tools/serve.py --port {{port}} {{args}}

# Serve the app to other machines behind a password: `COURSE_TOKEN_PASSWORD=... just serve-public` (plain HTTP: put TLS in front).
serve-public *args: setup
    {{venv_bin}}/python tools/serve.py --host 0.0.0.0 --port {{port}} --headless {{args}}

# Open the lessons in the marimo editor (read, edit, do the exercises).
edit *args: setup
    {{venv_bin}}/marimo edit lessons/ --host 127.0.0.1 --port {{port}} --no-sandbox {{args}}

# Build the static web site into site/ (offline: set MARIMO_PYODIDE_LOCK_FILE; see README).
site *args: setup
    {{venv_bin}}/python tools/site.py --out site {{args}}

# Serve site/ on http://127.0.0.1:8000 the way a static host (GitHub Pages) would.
serve-site site_port="8000":
    {{venv_bin}}/python -m http.server {{site_port}} --bind 127.0.0.1 --directory site

# Download the course's public data files and Pyodide's lock file into your cache
# (a no-op when COURSE_DATA_DIR and MARIMO_PYODIDE_LOCK_FILE point at offline copies).
data: setup
    {{venv_bin}}/python -m core.data fetch-all
    {{venv_bin}}/python tools/site.py --fetch-pyodide-lock

# Run the whole test suite (core, widgets, lessons, and the browser tests when Chromium is there).
test *args: setup data
    {{venv_bin}}/python -m pytest {{args}}

# Run only the fast tests.
test-fast *args: setup
    {{venv_bin}}/python -m pytest -m "not slow and not browser" {{args}}

# Lint and check formatting with ruff, and lint the notebooks with marimo.
lint: setup
    {{venv_bin}}/ruff check .
    {{venv_bin}}/ruff format --check .
    {{venv_bin}}/marimo check --strict lessons/*.py widgets/demo/demo.py

# Check the lessons only: headless runs, marimo check, WebAssembly exports (no torch), exercises.
check-lessons *args: setup
    {{venv_bin}}/python -m pytest tests/lessons tests/core/course {{args}}

# Format the code with ruff.
fmt: setup
    {{venv_bin}}/ruff check --fix .
    {{venv_bin}}/ruff format .

# Run the benchmarks (they print ratios measured side by side; see bench/README.md).
bench *names: setup data
    {{venv_bin}}/python bench/run.py {{names}}

# Train the small character model that lessons 7 and 9 look inside (once, ~10 minutes on a CPU; kept in the cache, shipped by `just site`).
lesson-model *args: setup data
    {{venv_bin}}/python -m core.train.lesson_model {{args}}
