"""A tiny HTTP server on 127.0.0.1 for the download tests (core.data.files, and its browser path).

It serves bytes per path and can misbehave on request: `cut[path] = n` stops after n bytes,
a missing path answers 404. `requests` records every path asked for. The `server` fixture
in conftest.py starts one per test.
"""

from __future__ import annotations

import hashlib
import http.server
import threading

from core.data import DataFile


class LocalServer:
    """A tiny HTTP server: `routes[path] = bytes`; `cut[path] = n` stops after n bytes."""

    def __init__(self) -> None:
        self.routes: dict[str, bytes] = {}
        self.cut: dict[str, int] = {}
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                body = server.routes.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: server.cut.get(self.path, len(body))])
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def file(self, path: str, body: bytes, name: str = "test-file", **extra) -> DataFile:
        """Serve `body` at `path` and describe it as a DataFile."""
        self.routes[path] = body
        digest = hashlib.sha256(body).hexdigest()
        return DataFile(
            name, f"{name}.bin", self.url + path, digest, len(body), "served by the test", **extra
        )
