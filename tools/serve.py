"""Serve the course as an app: the home at `/`, lesson N at `/lessons/<stem>/`.

Every notebook runs in marimo's run mode (read-only code, live widgets), through marimo's
own ASGI application (`marimo.create_asgi_app`) served by uvicorn. The URLs are the static
site's (tools/site.py), so the same relative links work in both: from the home
`lessons/<stem>/`, from a lesson to another `../<stem>/`, back home `../../`.

    python tools/serve.py                      # http://127.0.0.1:2718, no password
    COURSE_TOKEN_PASSWORD=... python tools/serve.py --host 0.0.0.0
    python tools/serve.py --host 0.0.0.0 --token-password-file secret.txt

Anyone who can reach a marimo server can run the course's code on it, so a host other than a
loopback address is refused unless a password (at least 12 characters) is given, by the
environment variable or a file, never on the command line (where `ps` shows it). The browser
then asks for it once (HTTP Basic authentication: any user name, that password) and sends it
with every request of the home and the lessons; marimo checks it again in each notebook.
The password travels in clear over plain HTTP: put a TLS reverse proxy in front of a server
that leaves your own network.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hmac
import ipaddress
import os
import re
import socket
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if not __package__ and str(REPO) not in sys.path:  # run as `python tools/serve.py`
    sys.path.insert(0, str(REPO))

from core.course import catalog  # noqa: E402
from tools.coming_soon import coming_soon_html  # noqa: E402

LESSONS_DIR = REPO / "lessons"
HOME = "home.py"
PASSWORD_ENV = "COURSE_TOKEN_PASSWORD"
MIN_PASSWORD_LENGTH = 12
DEFAULT_PORT = 2718
# The first path segment under /lessons/ must name a lesson: `{series}-{module}-{lesson}-{slug}`.
LESSON_STEM = re.compile(r"^\d+-\d+-\d+-[a-z0-9]+(?:-[a-z0-9]+)*$")


def is_loopback(host: str) -> bool:
    """True when `host` names only this machine (127.0.0.0/8, ::1, localhost).

    Example: is_loopback("127.0.0.1") -> True; is_loopback("0.0.0.0") -> False
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name that resolves elsewhere, or several interfaces


def check_access(host: str, password: str | None) -> None:
    """Refuse a server that others could reach without a password, or with a weak one.

    Raises ValueError naming what is wrong and how to fix it.
    """
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(
            f"the token password has {len(password)} characters; use at least "
            f"{MIN_PASSWORD_LENGTH} (for example `python -c 'import secrets; "
            "print(secrets.token_urlsafe(18))'`)"
        )
    if password is None and not is_loopback(host):
        raise ValueError(
            f"--host {host} would let anyone on the network run code on this machine: serving "
            f"beyond 127.0.0.1 needs a password. Set {PASSWORD_ENV} (or pass "
            "--token-password-file FILE), or keep the default --host 127.0.0.1"
        )


def lesson_path_is_valid(app_path: str, scope: object = None) -> bool:
    """Only `/lessons/<stem>/…` where `<stem>` is a lesson's name (not the home, not `_x`)."""
    del scope
    return LESSON_STEM.match(app_path.split("/", 1)[0]) is not None


class PasswordGate:
    """ASGI middleware: HTTP Basic authentication, any non-empty user name and `password`.

    One sign-in covers the home and every lesson (marimo's own sign-in is per notebook: its
    cookie is scoped to each notebook's path). Requests that do not carry the password get a
    401 that makes the browser ask for it; a WebSocket without it is refused.
    """

    def __init__(self, app, password: str, realm: str = "LLMs & Transformers") -> None:
        self.app = app
        self.password = password.encode()
        self.challenge = f'Basic realm="{realm}", charset="UTF-8"'.encode()

    def authorized(self, headers: list[tuple[bytes, bytes]]) -> bool:
        """True when an `Authorization: Basic` header carries a user name and the password."""
        for name, value in headers:
            if name.lower() != b"authorization":
                continue
            scheme, _, credentials = value.partition(b" ")
            if scheme.lower() != b"basic":
                return False
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True)
            except (binascii.Error, ValueError):
                return False
            user, colon, given = decoded.partition(b":")
            return bool(user) and bool(colon) and hmac.compare_digest(given, self.password)
        return False

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket") or self.authorized(scope["headers"]):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})
            return
        body = b"This course server needs its password (any user name).\n"
        headers = [
            (b"www-authenticate", self.challenge),
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class ComingSoon:
    """ASGI middleware: `/lessons/<stem>/` of a catalog lesson with no notebook yet answers
    with the "coming soon" page (tools/coming_soon.py), as the static site does."""

    def __init__(self, app, lessons_dir: Path) -> None:
        self.app = app
        self.lessons_dir = Path(lessons_dir)
        self.by_stem = {lesson.stem: lesson for lesson in catalog.LESSONS}

    def lesson_to_announce(self, path: str) -> catalog.Lesson | None:
        parts = path.strip("/").split("/")
        if len(parts) != 2 or parts[0] != "lessons":
            return None
        lesson = self.by_stem.get(parts[1])
        return lesson if lesson is not None and not lesson.exists(self.lessons_dir) else None

    async def __call__(self, scope, receive, send) -> None:
        lesson = self.lesson_to_announce(scope["path"]) if scope["type"] == "http" else None
        if lesson is None:
            await self.app(scope, receive, send)
            return
        if not scope["path"].endswith("/"):  # relative links need the trailing slash
            headers = [(b"location", scope["path"].encode() + b"/"), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 307, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = coming_soon_html(lesson).encode()
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def build_app(lessons_dir: Path = LESSONS_DIR, *, password: str | None = None):
    """The ASGI app: `lessons_dir/home.py` at `/`, `lessons_dir/<stem>.py` at `/lessons/<stem>/`.

    Lessons are found when first requested, so a lesson written while the server runs opens
    without a restart (the home lists it on the next reload); a catalog lesson with no
    notebook yet answers with its "coming soon" page. With a `password`, every request must
    carry it (PasswordGate), and marimo checks it too.
    """
    import marimo

    lessons_dir = Path(lessons_dir).resolve()
    home = lessons_dir / HOME
    if not home.is_file():
        raise ValueError(f"no course home at {home}: pass --lessons-dir the folder holding {HOME}")
    builder = marimo.create_asgi_app(quiet=True, include_code=True, token=password or None)
    builder = builder.with_app(path="", root=str(home))
    builder = builder.with_dynamic_directory(
        path="/lessons", directory=str(lessons_dir), validate_callback=lesson_path_is_valid
    )
    app = ComingSoon(builder.build(), lessons_dir)
    return PasswordGate(app, password) if password else app


def read_password(file: str | None) -> str | None:
    """The token password from --token-password-file (`-` for stdin), else the environment.

    Either way it is stripped of surrounding whitespace (a file's final newline, a pasted
    space), and one that is then blank is refused (ValueError): twelve spaces are no password.
    None only when no file is given and the environment variable is not set.
    """
    if file is not None:
        text = sys.stdin.read() if file == "-" else Path(file).read_text()
        source = "standard input" if file == "-" else file
    else:
        text = os.environ.get(PASSWORD_ENV)
        if text is None:
            return None
        source = f"${PASSWORD_ENV}"
    password = text.strip()
    if not password:
        raise ValueError(
            f"the token password from {source} is blank; give a real one (at least "
            f"{MIN_PASSWORD_LENGTH} characters), or unset {PASSWORD_ENV} and pass no file to "
            "serve on 127.0.0.1 without a password"
        )
    return password


def _port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("COURSE_PORT", DEFAULT_PORT))
    )
    parser.add_argument("--lessons-dir", type=Path, default=LESSONS_DIR)
    parser.add_argument(
        "--token-password-file",
        help=f"file holding the password ('-': stdin); default: ${PASSWORD_ENV}",
    )
    parser.add_argument("--headless", action="store_true", help="do not open a browser")
    args = parser.parse_args(argv)

    try:
        password = read_password(args.token_password_file)
        check_access(args.host, password)
        app = build_app(args.lessons_dir, password=password)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not _port_is_free(args.host, args.port):
        print(
            f"error: port {args.port} on {args.host} is in use; pass --port N (or set COURSE_PORT)",
            file=sys.stderr,
        )
        return 2

    import uvicorn

    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    url = f"http://{shown}:{args.port}/"
    print(f"The course is at {url}  (Ctrl+C stops it)", flush=True)
    if password is not None:
        print("The browser asks for the password once: any user name, that password.", flush=True)
    if not args.headless:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
