"""core.data.browser: Pyodide's HTTP path under core.data.files, driven by a stand-in for `js`.

Pyodide cannot run here, so these tests replace `js.XMLHttpRequest` with an object that
behaves like the browser's (synchronous GET, `responseType`, `status`, a NetworkError on
failure) and fetches from a server on 127.0.0.1. What they check is the Python side: which
URL is asked for, that the SHA-256 is verified, what the learner reads when offline.
"""

from __future__ import annotations

import hashlib
import socket
import sys
import types
import urllib.error
import urllib.request
from dataclasses import replace
from typing import ClassVar

import pytest

from core.data import REGISTRY, DataFile, DataUnavailableError
from core.data import browser as data_browser
from core.data import files as data
from tests.http_server import LocalServer

# The Hugging Face hub lists, for openai-community/gpt2 at revision 607a30d…, vocab.json as git
# blob 1f1d9aac… (1,042,301 bytes) and merges.txt as git blob 226b0752… (456,318 bytes)
# (huggingface_hub's `list_repo_tree`/`model_info(files_metadata=True)`). A git blob id is the
# SHA-1 of "blob <size>\0" + the bytes, so equal ids mean byte-identical files.
HF_GPT2_BLOBS = {
    "gpt2-encoder-json": "1f1d9aaca301414e7f6c9396df506798ff4eb9a6",
    "gpt2-vocab-bpe": "226b0752cac7789c48f0cb3ec53eda48b7be36cc",
}


def git_blob_id(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/gone"


def fake_js(*, in_worker: bool = True) -> types.ModuleType:
    """A stand-in for Pyodide's `js` module: XMLHttpRequest and Uint8Array, nothing else."""

    class JsException(Exception):
        pass

    class Uint8Array:
        def __init__(self, buffer: bytes) -> None:
            self.buffer = bytes(buffer)

        @classmethod
        def new(cls, buffer):
            return cls(buffer)

        def to_bytes(self) -> bytes:
            return self.buffer

    class XMLHttpRequest:
        opened: ClassVar[list[tuple[str, str, bool]]] = []

        def __init__(self) -> None:
            self._type = ""
            self._mime = None
            self.status = 0
            self.statusText = ""
            self.response = None
            self.responseText = ""

        @classmethod
        def new(cls):
            return cls()

        def open(self, method: str, url: str, asynchronous: bool) -> None:
            self.opened.append((method, url, asynchronous))
            self._url = url

        @property
        def responseType(self) -> str:
            return self._type

        @responseType.setter
        def responseType(self, value: str) -> None:
            if not in_worker:  # what a window says for a synchronous request
                raise JsException("InvalidAccessError: synchronous requests from a document")
            self._type = value

        def overrideMimeType(self, mime: str) -> None:
            self._mime = mime

        def send(self) -> None:
            try:
                with urllib.request.urlopen(self._url, timeout=10) as response:
                    body, self.status, self.statusText = response.read(), response.status, "OK"
            except urllib.error.HTTPError as err:
                body, self.status, self.statusText = b"", err.code, err.reason
            except OSError as err:
                raise JsException(f"NetworkError: Failed to execute 'send' ({err})") from None
            if self._type == "arraybuffer":
                self.response = body
            else:
                assert self._mime == "text/plain; charset=x-user-defined"
                self.responseText = "".join(chr(b) if b < 0x80 else chr(0xF700 + b) for b in body)

    module = types.ModuleType("js")
    module.XMLHttpRequest = XMLHttpRequest
    module.Uint8Array = Uint8Array
    return module


@pytest.fixture
def browser(tmp_path, monkeypatch):
    """core.data as on Pyodide: `in_browser()` true, `js` importable, an empty cache."""
    js = fake_js()
    monkeypatch.setitem(sys.modules, "js", js)
    monkeypatch.setattr(data_browser, "in_browser", lambda: True)
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(tmp_path / "cache"))
    return js


def _served(server: LocalServer, body: bytes, **extra) -> DataFile:
    """A file whose canonical URL is unreachable and whose browser copy the server holds."""
    server.routes["/copy.bin"] = body
    return DataFile(
        "test-file",
        "test/file.bin",
        _closed_port_url(),
        hashlib.sha256(body).hexdigest(),
        len(body),
        "served by the test",
        browser_url=server.url + "/copy.bin",
        **extra,
    )


ALL_BYTES = bytes(range(256)) * 40


# ------------------------------------------------------------------------------- registry


def test_only_gpt2_files_have_a_browser_copy_at_a_pinned_revision():
    with_copy = {name for name, f in REGISTRY.items() if f.browser_url}
    assert with_copy == {"gpt2-encoder-json", "gpt2-vocab-bpe"}
    for name in with_copy:
        f = REGISTRY[name]
        assert f.url.startswith("https://openaipublic.blob.core.windows.net/")  # still canonical
        prefix = "https://huggingface.co/openai-community/gpt2/resolve/"
        assert f.browser_url.startswith(prefix)
        revision = f.browser_url[len(prefix) :].split("/")[0]
        assert len(revision) == 40 and int(revision, 16) >= 0  # a commit, not a moving branch
        assert f.source_url(browser=False) == f.url
        assert f.source_url(browser=True) == f.browser_url
    shakespeare = REGISTRY["tinyshakespeare"]
    assert shakespeare.source_url(browser=True) == shakespeare.url
    assert shakespeare.url.startswith("https://raw.githubusercontent.com/")  # CORS allowed


@pytest.mark.parametrize("name", sorted(HF_GPT2_BLOBS))
def test_the_browser_copies_are_byte_identical_to_openais_files(name, data_available):
    content = data.read_bytes(name)  # OpenAI's file, verified against the registry's SHA-256
    assert git_blob_id(content) == HF_GPT2_BLOBS[name]
    assert REGISTRY[name].browser_url.endswith(
        {"gpt2-encoder-json": "/vocab.json", "gpt2-vocab-bpe": "/merges.txt"}[name]
    )


def test_read_bytes_and_read_text_on_a_machine(data_available):
    assert data.read_text("tinyshakespeare").startswith("First Citizen:\nBefore we proceed")
    verdict = data.read_bytes("the-verdict")
    assert len(verdict) == 20_479
    assert hashlib.sha256(verdict).hexdigest() == REGISTRY["the-verdict"].sha256


def test_in_browser_is_the_platform_check(monkeypatch):
    assert data_browser.in_browser() is False
    monkeypatch.setattr(sys, "platform", "emscripten")
    assert data_browser.in_browser() is True


# ------------------------------------------------------------------------- in the browser


def test_browser_downloads_the_copy_verifies_and_keeps_it(browser, server, tmp_path):
    file = _served(server, ALL_BYTES)
    path = data.fetch_file(file)
    assert path == tmp_path / "cache" / "test" / "file.bin"
    assert path.read_bytes() == ALL_BYTES
    assert browser.XMLHttpRequest.opened == [("GET", file.browser_url, False)]  # synchronous
    assert data.fetch_file(file) == path  # kept: no second request
    assert server.requests == ["/copy.bin"]


def test_browser_without_a_copy_uses_the_canonical_url(browser, server):
    server.routes["/canonical.txt"] = b"First Citizen:\n"
    file = DataFile(
        "t",
        "t.txt",
        server.url + "/canonical.txt",
        hashlib.sha256(b"First Citizen:\n").hexdigest(),
        15,
        "test",
    )
    assert data.fetch_file(file).read_text() == "First Citizen:\n"
    assert browser.XMLHttpRequest.opened == [("GET", file.url, False)]


def test_browser_in_a_window_reads_bytes_through_x_user_defined(monkeypatch, browser, server):
    monkeypatch.setitem(sys.modules, "js", fake_js(in_worker=False))
    file = _served(server, ALL_BYTES)
    assert data.fetch_file(file).read_bytes() == ALL_BYTES


def test_browser_offline_says_the_page_needs_the_network(browser, tmp_path):
    body = b"never served"
    file = DataFile(
        "test-file",
        "file.bin",
        "https://example.invalid/canonical",
        hashlib.sha256(body).hexdigest(),
        len(body),
        "test",
        browser_url=_closed_port_url(),
    )
    with pytest.raises(DataUnavailableError) as err:
        data.fetch_file(file)
    message = str(err.value)
    assert "needs the network" in message and file.browser_url in message
    assert "NetworkError" in message and "run this cell again" in message
    assert "canonical" not in message  # the browser never tried the canonical host
    assert not (tmp_path / "cache").exists() or list((tmp_path / "cache").rglob("*")) == []


def test_browser_rejects_a_corrupted_copy_and_saves_nothing(browser, server, tmp_path):
    file = _served(server, b"the right bytes")
    server.routes["/copy.bin"] = b"the wrong bytes"  # same length, other content
    with pytest.raises(DataUnavailableError, match="SHA-256"):
        data.fetch_file(file)
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []


def test_browser_http_error_is_named(browser, server):
    file = _served(server, b"x")
    del server.routes["/copy.bin"]
    with pytest.raises(DataUnavailableError, match="HTTP 404"):
        data.fetch_file(file)


@pytest.fixture(scope="module")
def shakespeare() -> bytes:
    """Tiny Shakespeare from COURSE_DATA_DIR, read before a test hides that directory."""
    try:
        return data.read_bytes("tinyshakespeare")
    except DataUnavailableError as err:
        pytest.fail(f"course data missing: {err}. Run `just data` or set COURSE_DATA_DIR.")


def test_browser_read_text_of_a_registry_file(shakespeare, browser, server, monkeypatch):
    """The registry's Tiny Shakespeare, its browser URL pointed at the local server."""
    server.routes["/input.txt"] = shakespeare
    original = REGISTRY["tinyshakespeare"]
    monkeypatch.setitem(
        REGISTRY, "tinyshakespeare", replace(original, browser_url=server.url + "/input.txt")
    )
    text = data.read_text("tinyshakespeare")
    assert len(text) == 1_115_394 and len(set(text)) == 65
    assert text.startswith("First Citizen:")
    assert server.requests == ["/input.txt"]
