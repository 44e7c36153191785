"""The course's public data files: where each comes from, its SHA-256, and where it is kept.

`fetch(name)` returns a local path, looking in this order:
1. the directory named by `COURSE_DATA_DIR`, when set (tests and CI point it at an offline
   copy; nothing is ever downloaded then),
2. the per-user cache (`COURSE_CACHE_DIR`, else e.g. ~/.cache/llms-and-transformers),
3. a download from the canonical URL with a progress bar, verified against the SHA-256 and
   written atomically (to a temporary file, renamed only once the hash matches), so a
   half-finished download is never used. A cached file with a wrong hash is fetched again.

`fetch_file(DataFile(...))` does the same for a file described outside the registry. Every
failure is a `DataUnavailableError` that names the file, its URL and where to put it.
`read_bytes(name)` and `read_text(name)` return the content directly.

In the browser (a lesson exported to WebAssembly runs on Pyodide, `sys.platform ==
"emscripten"`) there is no disk and no socket: the same calls download the file with the
browser's own HTTP (a synchronous XMLHttpRequest, allowed in the web worker where marimo runs
Python), from `DataFile.browser_url` when the canonical host refuses cross-origin reads (GPT-2's
files: OpenAI's blob host sends no CORS header, so the browser reads the byte-identical copies
in Hugging Face's `openai-community/gpt2` at a pinned revision), verify the SHA-256 the same
way, and keep the file in Pyodide's in-memory file system for the rest of the page's life.
Offline, the error says that the page needs the network and which URL it tried.

Torch-free: the browser lessons import this module.

Command line: `python -m core.data.files fetch-all` downloads everything; `python -m core.data.files list`.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "llms-and-transformers"
DATA_DIR_ENV = "COURSE_DATA_DIR"
CACHE_DIR_ENV = "COURSE_CACHE_DIR"


class DataUnavailableError(FileNotFoundError):
    """A data file is not on this machine and could not be downloaded."""


@dataclass(frozen=True)
class DataFile:
    """One public file: `filename` is its path inside a data directory."""

    name: str
    filename: str
    url: str
    sha256: str
    size: int
    description: str
    zip_member: str | None = None  # the file arrives inside a zip archive under this name
    # A byte-identical copy that browsers may read cross-origin (CORS), for a canonical host
    # that does not allow it; None: the browser uses `url` too.
    browser_url: str | None = None

    def source_url(self, browser: bool = False) -> str:
        """Where a download comes from: `url`, or in a browser `browser_url` when there is one."""
        return (self.browser_url or self.url) if browser else self.url


_GH = "https://raw.githubusercontent.com"
_RASBT = f"{_GH}/rasbt/LLMs-from-scratch/main"
_GPT2 = "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main"
# The same two files in the model's Hugging Face repository, which browsers may read: at this
# revision, vocab.json is encoder.json and merges.txt is vocab.bpe, byte for byte (the hub lists
# their git blob ids, 1f1d9aac… and 226b0752…, which are the git blob ids of OpenAI's files).
_GPT2_HF = (
    "https://huggingface.co/openai-community/gpt2/resolve/607a30d783dfa663caf39e06633721c8d4cfcd7e"
)

REGISTRY: dict[str, DataFile] = {
    f.name: f
    for f in [
        DataFile(
            "tinyshakespeare",
            "tinyshakespeare.txt",
            f"{_GH}/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            1_115_394,
            "Tiny Shakespeare (char-rnn): 1.1 MB of plays, 65 distinct characters",
        ),
        DataFile(
            "the-verdict",
            "the-verdict.txt",
            f"{_RASBT}/ch02/01_main-chapter-code/the-verdict.txt",
            "b41e41a68f0398a3154ae69e2e4c0e2694e17fe0d66730536837f1b01935b31f",
            20_479,
            "Edith Wharton, The Verdict (public domain): a tiny corpus for fast demos",
        ),
        DataFile(
            "sms-spam",
            "sms-spam-collection.tsv",
            "https://archive.ics.uci.edu/static/public/228/sms+spam+collection.zip",
            "edc1f2ca36319ca36c6f80fede2f6ae5f81335289352485f3924df077ec20266",
            477_906,
            "UCI SMS Spam Collection: 5,574 lines 'label<TAB>text' (4,827 ham, 747 spam)",
            zip_member="SMSSpamCollection",
        ),
        DataFile(
            "instruction-data",
            "instruction-data.json",
            f"{_RASBT}/ch07/01_main-chapter-code/instruction-data.json",
            "7e09a9af353722ca15c18bc580f093f9c39d3178335a75177319cb1e1d163944",
            203_524,
            "1,100 instruction/input/output records (Alpaca style)",
        ),
        DataFile(
            "instruction-preference",
            "instruction-data-with-preference.json",
            f"{_RASBT}/ch07/04_preference-tuning-with-dpo/instruction-data-with-preference.json",
            "305315abf14f65fa42c01a0877572f832606571c2a7d49f152ac1d758b16756e",
            386_968,
            "1,100 instructions with a chosen and a rejected response, for DPO",
        ),
        DataFile(
            "gpt2-vocab-bpe",
            "gpt2/vocab.bpe",
            f"{_GPT2}/vocab.bpe",
            "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
            456_318,
            "GPT-2's 50,000 BPE merges, in order (OpenAI's original file)",
            browser_url=f"{_GPT2_HF}/merges.txt",
        ),
        DataFile(
            "gpt2-encoder-json",
            "gpt2/encoder.json",
            f"{_GPT2}/encoder.json",
            "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
            1_042_301,
            "GPT-2's token-to-id map (OpenAI's original file)",
            browser_url=f"{_GPT2_HF}/vocab.json",
        ),
    ]
}


def spec(name: str) -> DataFile:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown data file {name!r}; known: {sorted(REGISTRY)}") from None


def in_browser() -> bool:
    """True on Pyodide (a lesson exported to WebAssembly): no disk cache, no sockets."""
    return sys.platform == "emscripten"


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


def fetch(name: str) -> Path:
    """Local path of the data file `name` (see REGISTRY), downloading it if needed.

    In the browser the path is in Pyodide's in-memory file system.
    Example: fetch("tinyshakespeare").read_text()[:14] == "First Citizen:"
    """
    return fetch_file(spec(name))


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


def fetch_file(file: DataFile) -> Path:
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
    if is_valid(path, file):
        return path
    _download(file, path)
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


def _download(file: DataFile, path: Path) -> None:
    """Download into a temporary file beside `path`, verify, then rename into place.

    The temporary file is removed whatever happens, so an interrupted or corrupted download
    never leaves anything that a later `fetch` could mistake for the file.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as err:
        raise DataUnavailableError(
            f"cannot write into the cache directory {path.parent} ({err}). Set {CACHE_DIR_ENV} "
            f"to a writable directory, or {DATA_DIR_ENV} to a directory that holds "
            f"{file.filename}."
        ) from err
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            _stream(file, out)
        if file.zip_member is not None:
            _extract_member(tmp, file)
        if not is_valid(tmp, file):
            raise DataUnavailableError(
                f"the download of {file.filename} from {file.url} has SHA-256 {sha256_of(tmp)} "
                f"and {tmp.stat().st_size:,} bytes, expected {file.sha256} and "
                f"{file.size:,}: it was corrupted or the source changed. Nothing was saved. "
                f"Try again, or {_how_to_get(file, path)}."
            )
        os.replace(tmp, path)
    except DataUnavailableError:
        raise
    except (OSError, http.client.HTTPException) as err:  # URLError, timeouts, resets: OSError
        if in_browser():
            raise DataUnavailableError(
                f"this page could not download {file.filename} from "
                f"{file.source_url(browser=True)} ({err}). It needs the network: check your "
                "connection and run this cell again, or install the course on your machine, "
                "which downloads the file once and keeps it."
            ) from err
        raise DataUnavailableError(
            f"could not download {file.filename} from {file.url} ({err}). If you are offline, "
            f"{_how_to_get(file, path)} (or set {DATA_DIR_ENV} to a directory that holds "
            f"{file.filename}) and run again."
        ) from err
    finally:
        tmp.unlink(missing_ok=True)


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


def _stream(file: DataFile, out) -> None:
    """Copy the response body to `out`; raise _Interrupted if it stops short."""
    if in_browser():
        with _progress(file.size, f"Downloading {file.filename}") as advance:
            body = browser_get(file.source_url(browser=True))
            out.write(body)
            advance(len(body))
        return
    request = urllib.request.Request(file.url, headers={"User-Agent": APP_NAME})
    with urllib.request.urlopen(request, timeout=30) as response:
        announced = int(response.headers.get("Content-Length") or 0)
        received = 0
        with _progress(announced or file.size, f"Downloading {file.filename}") as advance:
            for chunk in iter(lambda: response.read(1 << 16), b""):
                out.write(chunk)
                received += len(chunk)
                advance(len(chunk))
        if announced and received != announced:
            raise _Interrupted(f"the connection ended after {received:,} of {announced:,} bytes")


def browser_get(url: str) -> bytes:
    """The body of a GET of `url` through the browser's XMLHttpRequest (Pyodide only).

    Synchronous, which a web worker allows (marimo runs Pyodide in one). A network failure,
    a refused cross-origin read, or an HTTP error raises OSError.
    """
    import js  # Pyodide's bridge to the browser

    request = js.XMLHttpRequest.new()
    request.open("GET", url, False)
    try:
        request.responseType = "arraybuffer"
        binary = True
    except Exception:  # a window (not a worker) forbids it for synchronous requests
        request.overrideMimeType("text/plain; charset=x-user-defined")
        binary = False
    try:
        request.send()
    except Exception as err:  # pyodide.ffi.JsException: NetworkError (offline, no CORS)
        raise OSError(f"the browser could not fetch it: {err}") from err
    if request.status != 200:
        raise OSError(f"HTTP {request.status} {request.statusText}".rstrip())
    if binary:
        return js.Uint8Array.new(request.response).to_bytes()
    # x-user-defined maps byte b >= 0x80 to U+F700 + b: keep the low byte of each character
    return bytes(ord(char) & 0xFF for char in request.responseText)


class _progress:
    """A byte-count progress bar: marimo's inside a notebook, tqdm in a terminal."""

    def __init__(self, total: int, title: str) -> None:
        self.total, self.title, self._cm = total, title, None

    def __enter__(self):
        if _in_marimo():
            import marimo as mo

            self._cm = mo.status.progress_bar(
                total=self.total, title=self.title, show_rate=True, show_eta=True
            )
            bar = self._cm.__enter__()
            return lambda n: bar.update(increment=n)
        from tqdm.auto import tqdm

        self._cm = tqdm(total=self.total, desc=self.title, unit="B", unit_scale=True)
        return self._cm.__enter__().update

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def _in_marimo() -> bool:
    """True inside a running marimo notebook (marimo is then already imported)."""
    mo = sys.modules.get("marimo")
    return mo is not None and mo.running_in_notebook()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["list"]:
        for f in REGISTRY.values():
            print(f"{f.name:24} {f.size:>10,} B  {f.description}")
        return 0
    if args == ["fetch-all"]:
        where = data_dir() or cache_dir()
        for name in REGISTRY:
            try:
                print(f"{name:24} {fetch(name)}")
            except DataUnavailableError as err:
                print(f"error: {err}", file=sys.stderr)
                return 1
        print(f"All {len(REGISTRY)} data files are in {where}.")
        return 0
    if len(args) == 2 and args[0] == "fetch":
        try:
            print(fetch(args[1]))
        except (DataUnavailableError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        return 0
    print("usage: python -m core.data [list | fetch NAME | fetch-all]", file=sys.stderr)
    return 2
