"""core.data.files and core.data.registry: the registry, the offline directory, and downloads
from a local HTTP server.

Downloads are tested against a server on 127.0.0.1 (tests/http_server.py, the `server`
fixture): it serves bytes per path and can misbehave on request (stop half way, send other
bytes, answer 404).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from core.data import REGISTRY, DataFile, DataUnavailableError, fetch, fetch_file
from core.data import files as data
from core.data.__main__ import main
from core.data.atomic import TMP_SUFFIX
from core.data.files import sha256_of


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """No offline directory, an empty cache in tmp_path, and no proxy in the way."""
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(tmp_path / "cache"))
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def originals() -> dict[str, bytes]:
    """Two registry files' bytes, read from COURSE_DATA_DIR before `cache` hides it."""
    return {name: fetch(name).read_bytes() for name in ("the-verdict", "sms-spam")}


def _leftovers(directory: Path) -> list[Path]:
    """Temporary files of core.data.atomic left behind (there must never be any)."""
    return sorted(p for p in directory.rglob("*") if p.name.endswith(TMP_SUFFIX))


# ----------------------------------------------------------------------------- the registry


def test_registry_lists_the_course_files():
    assert set(REGISTRY) == {
        "tinyshakespeare",
        "the-verdict",
        "sms-spam",
        "instruction-data",
        "instruction-preference",
        "gpt2-vocab-bpe",
        "gpt2-encoder-json",
    }
    for name, f in REGISTRY.items():
        assert f.name == name
        assert f.url.startswith("https://")
        assert len(f.sha256) == 64 and int(f.sha256, 16) >= 0
    assert REGISTRY["sms-spam"].zip_member == "SMSSpamCollection"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_offline_directory_files_match_the_registry(name):
    """COURSE_DATA_DIR (../shared/data in tests) holds byte-identical copies."""
    path = fetch(name)
    assert path.parent.is_relative_to(data.data_dir())
    assert path.stat().st_size == REGISTRY[name].size
    assert sha256_of(path) == REGISTRY[name].sha256


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown data file 'shakespeare'; known: "):
        fetch("shakespeare")


def test_offline_directory_without_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(DataUnavailableError) as err:
        fetch("the-verdict")
    message = str(err.value)
    assert "the-verdict.txt is not there" in message
    assert REGISTRY["the-verdict"].url in message and str(tmp_path) in message


def test_offline_directory_with_a_damaged_file(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    damaged = b"x" * REGISTRY["the-verdict"].size  # the right size, the wrong bytes
    (tmp_path / "the-verdict.txt").write_bytes(damaged)
    with pytest.raises(DataUnavailableError, match="does not match the expected SHA-256"):
        fetch("the-verdict")
    assert (tmp_path / "the-verdict.txt").read_bytes() == damaged  # offline: never replaced


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(tmp_path / "mine"))
    assert data.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv(data.CACHE_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(data.sys, "platform", "linux")
    assert data.cache_dir() == tmp_path / "xdg" / data.APP_NAME
    monkeypatch.setattr(data.sys, "platform", "darwin")
    assert data.cache_dir() == Path.home() / "Library" / "Caches" / data.APP_NAME


# -------------------------------------------------------------------------------- downloads


def test_download_then_cache(server, cache, capsys):
    body = bytes(range(256)) * 1000  # 256 kB: several reads of 64 kB
    spec = server.file("/files/data.bin", body)
    path = fetch_file(spec)
    assert path == cache / "test-file.bin"
    assert path.read_bytes() == body
    assert server.requests == ["/files/data.bin"]
    assert "Downloading test-file.bin" in capsys.readouterr().err  # tqdm, in a terminal
    assert fetch_file(spec) == path  # second time from the cache, no request
    assert server.requests == ["/files/data.bin"]
    assert _leftovers(cache) == []


def test_download_of_a_registry_file(server, cache, originals, monkeypatch):
    """A real entry (its name, size, hash) with only its URL pointing at the test server."""
    verdict = REGISTRY["the-verdict"]
    server.routes["/the-verdict.txt"] = originals["the-verdict"]
    local = dataclasses.replace(verdict, url=server.url + "/the-verdict.txt")
    monkeypatch.setitem(REGISTRY, "the-verdict", local)
    path = fetch("the-verdict")
    assert path == cache / "the-verdict.txt"
    assert sha256_of(path) == verdict.sha256


def _zip(members: dict[str, bytes]) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return archive.getvalue()


def test_zip_download_extracts_the_member(server, cache, originals, monkeypatch):
    spam = REGISTRY["sms-spam"]
    server.routes["/sms.zip"] = _zip(
        {"readme": b"The SMS Spam Collection v.1", "SMSSpamCollection": originals["sms-spam"]}
    )
    monkeypatch.setitem(
        REGISTRY, "sms-spam", dataclasses.replace(spam, url=server.url + "/sms.zip")
    )
    path = fetch("sms-spam")
    assert path == cache / "sms-spam-collection.tsv"
    assert sha256_of(path) == spam.sha256
    assert path.read_text(encoding="utf-8").count("\n") == 5573
    assert _leftovers(cache) == []


def test_zip_without_the_member(server, cache):
    body = b"ham\thello\n"
    spec = dataclasses.replace(server.file("/x.zip", b""), sha256=hashlib.sha256(body).hexdigest())
    server.routes["/x.zip"] = _zip({"other": body})
    with pytest.raises(DataUnavailableError, match="has no readable member 'SMSSpamCollection'"):
        fetch_file(dataclasses.replace(spec, size=len(body), zip_member="SMSSpamCollection"))
    assert list(cache.rglob("*")) == []


def test_corrupted_cache_is_fetched_again(server, cache):
    body = b"the right content\n" * 100
    spec = server.file("/f", body)
    cache.mkdir(parents=True)
    (cache / spec.filename).write_bytes(b"X" * len(body))  # same size, wrong bytes
    path = fetch_file(spec)
    assert path.read_bytes() == body
    assert server.requests == ["/f"]
    (cache / spec.filename).write_bytes(body[:-1])  # truncated
    assert fetch_file(spec).read_bytes() == body
    assert server.requests == ["/f", "/f"]


def test_interrupted_download_is_never_used(server, cache):
    body = bytes(range(256)) * 2000  # 512 kB
    spec = server.file("/big", body)
    server.cut["/big"] = 200_000  # announce 512,000 bytes, send 200,000, hang up
    with pytest.raises(DataUnavailableError) as err:
        fetch_file(spec)
    message = str(err.value)
    assert "ended after 200,000 of 512,000 bytes" in message
    assert spec.url in message and str(cache / spec.filename) in message
    assert not (cache / spec.filename).exists()
    assert _leftovers(cache) == []
    del server.cut["/big"]  # the connection is back: the next call succeeds
    assert fetch_file(spec).read_bytes() == body


def test_download_with_the_wrong_content_saves_nothing(server, cache):
    spec = server.file("/f", b"expected bytes")
    server.routes["/f"] = b"tampered bytes"  # same length, other content
    with pytest.raises(DataUnavailableError) as err:
        fetch_file(spec)
    message = str(err.value)
    assert hashlib.sha256(b"tampered bytes").hexdigest() in message and spec.sha256 in message
    assert "Nothing was saved" in message
    assert list(cache.rglob("*")) == []


def test_http_error(server, cache):
    spec = server.file("/f", b"abc")
    del server.routes["/f"]
    with pytest.raises(DataUnavailableError, match="404"):
        fetch_file(spec)


def test_offline_error_names_the_file_the_url_and_the_directory(cache):
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    spec = DataFile("x", "sub/x.txt", f"http://127.0.0.1:{port}/x.txt", "0" * 64, 3, "offline")
    with pytest.raises(DataUnavailableError) as err:
        fetch_file(spec)
    message = str(err.value)
    assert "could not download sub/x.txt" in message
    assert spec.url in message
    assert str(cache / "sub" / "x.txt") in message and data.DATA_DIR_ENV in message
    zipped = dataclasses.replace(spec, zip_member="X")
    with pytest.raises(DataUnavailableError, match="take its member 'X' out"):
        fetch_file(zipped)


def test_unwritable_cache(server, tmp_path, monkeypatch):
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(blocker))
    with pytest.raises(DataUnavailableError, match="cannot write into the cache directory"):
        fetch_file(server.file("/f", b"abc"))


# ----------------------------------------------------------------------------- command line


def test_command_line(capsys, monkeypatch):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in REGISTRY)
    assert main(["fetch", "the-verdict"]) == 0
    assert capsys.readouterr().out.strip() == str(fetch("the-verdict"))
    assert main(["fetch", "nope"]) == 1
    assert "unknown data file 'nope'" in capsys.readouterr().err
    assert main(["fetch-all"]) == 0
    assert f"All {len(REGISTRY)} data files are in" in capsys.readouterr().out
    assert main(["frobnicate"]) == 2


def test_python_dash_m_core_data_runs_the_command_line():
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-m", "core.data", "list"],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert result.returncode == 0, result.stderr
    assert "tinyshakespeare" in result.stdout and "gpt2-encoder-json" in result.stdout


def test_progress_goes_to_the_tqdm_class_given(server, cache):
    """A notebook passes its own bar class (marimo's stand-in for tqdm.notebook.tqdm, say)."""
    opened: list[dict] = []
    updates: list[int] = []

    class Bar:
        def __init__(self, **kwargs) -> None:
            opened.append(kwargs)

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            return None

        def update(self, n: int) -> None:
            updates.append(n)

    body = b"z" * 150_000
    fetch_file(server.file("/f", body), tqdm_class=Bar)
    assert opened == [
        {"total": len(body), "desc": "Downloading test-file.bin", "unit": "B", "unit_scale": True}
    ]
    assert sum(updates) == len(body) and len(updates) >= 3


def test_marimos_progress_bar_works_as_the_tqdm_class(server, cache):
    """What a lesson passes: inside a running notebook marimo replaces tqdm.notebook.tqdm by
    this class (its own progress bar); core itself never imports marimo."""
    tqdm_formatters = pytest.importorskip("marimo._output.formatters.tqdm_formatters")
    body = b"m" * 100_000
    path = fetch_file(server.file("/m", body), tqdm_class=tqdm_formatters.ProgressBarTqdmPatch)
    assert path.read_bytes() == body
