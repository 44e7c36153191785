"""The browser's download path: Pyodide has no sockets, so the page's own HTTP fetches a file.

A lesson exported to WebAssembly runs on Pyodide (`sys.platform == "emscripten"`), in a web
worker. There `urllib` cannot open a connection, but a synchronous XMLHttpRequest can (a
worker allows it), and its body is the file. `files.fetch` then verifies the SHA-256 and keeps
the file in Pyodide's in-memory file system exactly as on a machine; this module holds only
the part that differs, the request itself. The URL is `DataFile.browser_url` when the
canonical host sends no CORS header (GPT-2's files: OpenAI's blob host), else `DataFile.url`.

Torch-free; imports `js` (Pyodide's bridge to the browser) only when called.
"""

from __future__ import annotations

import sys


def in_browser() -> bool:
    """True on Pyodide (a lesson exported to WebAssembly): no disk cache, no sockets."""
    return sys.platform == "emscripten"


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
