"""Shared test setup: offline by construction, data from COURSE_DATA_DIR, one site build.

Tests never reach the network: any socket connection to a non-loopback address fails
loudly. Tests that need the course's data read it through `core.data.files.fetch`, so they need
COURSE_DATA_DIR (CI: ../shared/data) or a cache filled by `just data`.

The WebAssembly exports are slow to make, so the static site, which holds one for every
browser lesson, is built once per test run (`site_build`, tests/exports.py) and shared by the
site's tests and the lessons' tests.
"""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest

from tests.http_server import LocalServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_real_connect = socket.socket.connect


def _is_loopback(address) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths and the like
        return True
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self, address):
    if not _is_loopback(address):
        raise OSError(f"tests must not use the network (tried to connect to {address!r})")
    return _real_connect(self, address)


socket.socket.connect = _guarded_connect


@pytest.fixture(scope="session")
def data_available():
    """Skip-free guard: fail with a clear message when the course data cannot be found."""
    from core.data.files import DataUnavailableError, fetch

    try:
        fetch("tinyshakespeare")
    except DataUnavailableError as err:
        pytest.fail(f"course data missing: {err}. Run `just data` or set COURSE_DATA_DIR.")


@pytest.fixture(scope="session")
def site_build(tmp_path_factory):
    """The static site built once per test run, offline: a `tests.exports.SiteBuild`."""
    from tests.exports import build_test_site

    return build_test_site(tmp_path_factory)


@pytest.fixture
def server():
    """A local HTTP server (tests/http_server.py): `routes[path] = bytes`, `requests` seen."""
    s = LocalServer()
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()
    s.thread.join(timeout=5)
