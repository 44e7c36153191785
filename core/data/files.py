"""Getting a registered file onto this machine: offline folder, cache, verified download.

`fetch(name)` returns a local path for a `registry.REGISTRY` entry, looking in this order:
1. the directory named by `COURSE_DATA_DIR`, when set (tests and CI point it at an offline
   copy; nothing is ever downloaded then),
2. the per-user cache (`COURSE_CACHE_DIR`, else e.g. ~/.cache/llms-and-transformers),
3. a download from the canonical URL with a progress bar, verified against the SHA-256 and
   written through `core.data.atomic` (a temporary file, renamed only once the hash
   matches), so a half-finished download is never used. A cached file with a wrong hash is
   fetched again.

`fetch_file(DataFile(...))` does the same for a file described outside the registry. Every
failure is a `DataUnavailableError` that names the file, its URL and where to put it.
`read_bytes(name)` and `read_text(name)` return the content directly.

In the browser the same calls work: `browser.py` makes the request, and everything else
(verification, the cache in Pyodide's in-memory file system, the errors) is this module's.
Offline, the error says that the page needs the network and which URL it tried.

Progress: `fetch(name, tqdm_class=...)` draws with that class (tqdm.auto by default). `core`
never imports marimo; a notebook may pass `tqdm.notebook.tqdm`, which marimo renders as its
own progress bar.

Why not pooch, the well-kept library for registries with hashes, caches and progress? It
runs only on the desktop (its downloads go through `requests`, which has no sockets in
Pyodide), and the browser lessons need the same registry, hashes and errors. One short code
path for both is simpler than pooch on the desktop beside this in the browser; GPT-2's weights,
which never go to the browser, do use a library (huggingface_hub, in `core.gpt2.hub`).

Torch-free: the browser lessons import this module.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import sys
import urllib.request
import zipfile
from pathlib import Path
from typing import BinaryIO

from core.data import browser
from core.data.atomic import atomic_path
from core.data.registry import DataFile, spec

APP_NAME = "llms-and-transformers"
DATA_DIR_ENV = "COURSE_DATA_DIR"
CACHE_DIR_ENV = "COURSE_CACHE_DIR"


class DataUnavailableError(FileNotFoundError):
    """A data file is not on this machine and could not be downloaded."""


def data_dir() -> Path | None:
    """The offline directory from COURSE_DATA_DIR, or None when it is not set."""
    value = os.environ.get(DATA_DIR_ENV)
    return Path(value).expanduser().resolve() if value else None


def cache_dir() -> Path:
    """Per-user cache: COURSE_CACHE_DIR, else the platform's usual cache location."""
    value = os.environ.get(CACHE_DIR_ENV)
    if value:
        return Path(value).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / APP_NAME


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def is_valid(path: Path, file: DataFile) -> bool:
    """True when `path` exists and has the registered size and SHA-256."""
    try:
        if path.stat().st_size != file.size:
            return False
    except OSError:  # missing, or a parent is not a directory, or not readable
        return False
    return sha256_of(path) == file.sha256


def fetch(name: str, *, tqdm_class: type | None = None) -> Path:
    """Local path of the data file `name` (see REGISTRY), downloading it if needed.

    In the browser the path is in Pyodide's in-memory file system. tqdm_class: the download's
    progress bar (tqdm.auto's when None).
    Example: fetch("tinyshakespeare").read_text()[:14] == "First Citizen:"
    """
    return fetch_file(spec(name), tqdm_class=tqdm_class)


def read_bytes(name: str) -> bytes:
    """The verified content of the data file `name`, on a machine or in the browser.

    Example: len(read_bytes("the-verdict")) == 20_479
    """
    return fetch(name).read_bytes()


def read_text(name: str, encoding: str = "utf-8") -> str:
    """The verified content of the data file `name` as text.

    Example: read_text("tinyshakespeare")[:14] == "First Citizen:"
    """
    return read_bytes(name).decode(encoding)


def fetch_file(file: DataFile, *, tqdm_class: type | None = None) -> Path:
    """Local path of `file`: COURSE_DATA_DIR, else the cache, else a verified download.

    `fetch(name)` for the registry's files; this takes any `DataFile` (tests serve their own).
    Raises DataUnavailableError when the file is not here and cannot be downloaded.
    """
    offline = data_dir()
    if offline is not None:
        path = offline / file.filename
        if not path.exists():
            raise DataUnavailableError(
                f"{DATA_DIR_ENV} is set to {offline}, but {file.filename} is not there. "
                f"To fix it, {_how_to_get(file, path)}, or unset {DATA_DIR_ENV} to let the course "
                "download and cache it."
            )
        if not is_valid(path, file):
            raise DataUnavailableError(
                f"{path} does not match the expected SHA-256 {file.sha256} (or size "
                f"{file.size:,} bytes): it is damaged or a different file. "
                f"To fix it, {_how_to_get(file, path)} again."
            )
        return path
    path = cache_dir() / file.filename
    if not is_valid(path, file):
        _download(file, path, tqdm_class)
    return path


def _how_to_get(file: DataFile, path: Path) -> str:
    if file.zip_member is None:
        return f"download {file.url} and save it as {path}"
    return (
        f"download the zip archive {file.url}, take its member {file.zip_member!r} out, "
        f"and save it as {path}"
    )


class _Interrupted(OSError):
    """The connection ended before the announced number of bytes arrived."""


def _download(file: DataFile, path: Path, tqdm_class: type | None) -> None:
    """Download into a temporary file beside `path`, verify it, then rename it into place.

    Any failure raises inside `atomic_path`'s block, which removes the temporary file, so an
    interrupted or corrupted download never leaves anything a later `fetch` could mistake for
    the file. durable=False: the cache is re-verified on every fetch, so a file lost to a
    power cut is simply fetched again; no need to wait for the disk.
    """
    with contextlib.ExitStack() as stack:
        try:
            tmp = stack.enter_context(atomic_path(path, durable=False))
        except OSError as err:
            raise DataUnavailableError(
                f"cannot write into the cache directory {path.parent} ({err}). Set "
                f"{CACHE_DIR_ENV} to a writable directory, or {DATA_DIR_ENV} to a directory "
                f"that holds {file.filename}."
            ) from err
        try:
            with open(tmp, "wb") as out:
                _stream(file, out, tqdm_class)
        except (OSError, http.client.HTTPException) as err:  # URLError, timeouts, resets
            raise DataUnavailableError(_download_failed(file, path, err)) from err
        if file.zip_member is not None:
            _extract_member(tmp, file)
        if not is_valid(tmp, file):
            raise DataUnavailableError(
                f"the download of {file.filename} from {file.url} has SHA-256 {sha256_of(tmp)} "
                f"and {tmp.stat().st_size:,} bytes, expected {file.sha256} and "
                f"{file.size:,}: it was corrupted or the source changed. Nothing was saved. "
                f"Try again, or {_how_to_get(file, path)}."
            )


def _download_failed(file: DataFile, path: Path, err: Exception) -> str:
    if browser.in_browser():
        return (
            f"this page could not download {file.filename} from "
            f"{file.source_url(browser=True)} ({err}). It needs the network: check your "
            "connection and run this cell again, or install the course on your machine, "
            "which downloads the file once and keeps it."
        )
    return (
        f"could not download {file.filename} from {file.url} ({err}). If you are offline, "
        f"{_how_to_get(file, path)} (or set {DATA_DIR_ENV} to a directory that holds "
        f"{file.filename}) and run again."
    )


def _extract_member(archive: Path, file: DataFile) -> None:
    """Replace the zip file at `archive` by the content of its member `file.zip_member`."""
    try:
        with zipfile.ZipFile(archive) as zf:
            data = zf.read(file.zip_member)
    except (zipfile.BadZipFile, KeyError) as err:
        raise DataUnavailableError(
            f"the archive downloaded from {file.url} has no readable member "
            f"{file.zip_member!r} ({err}). Nothing was saved; try again."
        ) from err
    archive.write_bytes(data)


def _stream(file: DataFile, out: BinaryIO, tqdm_class: type | None) -> None:
    """Copy the response body to `out`, drawing progress; raise _Interrupted if it stops short."""
    if tqdm_class is None:
        from tqdm.auto import tqdm as tqdm_class
    title = f"Downloading {file.filename}"
    if browser.in_browser():  # one synchronous request: the bar says what the page waits for
        with tqdm_class(total=file.size, desc=title, unit="B", unit_scale=True) as bar:
            body = browser.browser_get(file.source_url(browser=True))
            out.write(body)
            bar.update(len(body))
        return
    request = urllib.request.Request(file.url, headers={"User-Agent": APP_NAME})
    with urllib.request.urlopen(request, timeout=30) as response:
        announced = int(response.headers.get("Content-Length") or 0)
        received = 0
        total = announced or file.size
        with tqdm_class(total=total, desc=title, unit="B", unit_scale=True) as bar:
            for chunk in iter(lambda: response.read(1 << 16), b""):
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
        if announced and received != announced:
            raise _Interrupted(f"the connection ended after {received:,} of {announced:,} bytes")
