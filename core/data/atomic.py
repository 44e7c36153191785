"""Writing a file so that a crash leaves the old file or the new one, never half of each.

The new content goes into a temporary file in the same directory; once it is complete it is
flushed to disk (fsync) and renamed over the target (`os.replace`, atomic on POSIX and
Windows), and on POSIX the directory is synced too so that the rename itself survives a power
cut. If anything fails before the rename, the temporary file is removed and the target is
untouched. A temporary file carries its writer's process id; one left by a process that was
killed mid-write (`kill -9`) is removed the next time the same target is written, while the
temporary of a writer still running (another learner's download of the same file) is left
alone.

Used for checkpoints, downloads, run histories and the site build. Torch-free.

Example:
    >>> with atomic_path(Path("out/history.json")) as tmp:
    ...     tmp.write_text("{}")        # any writer that takes a path
    >>> write_text_atomically(Path("out/notes.txt"), "hello\\n")
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

TMP_SUFFIX = ".tmp"
STALE_AFTER_S = 24 * 3600  # where a writer's liveness cannot be asked (Windows): by age


def _writer_gone(tmp: Path) -> bool:
    """True if the process that named `tmp` (.NAME.PID.RANDOM.tmp) no longer runs."""
    try:
        pid = int(tmp.name[: -len(TMP_SUFFIX)].rsplit(".", 2)[-2])
    except (ValueError, IndexError):
        return True  # not one of ours: a leftover of an older naming
    if pid == os.getpid():
        return False
    if os.name != "posix":
        return time.time() - tmp.stat().st_mtime > STALE_AFTER_S
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user
        return False
    return False


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable (POSIX); directories cannot be opened for syncing on Windows."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, durable: bool = True) -> Iterator[Path]:
    """Yield a fresh temporary path beside `path`; on a clean exit it replaces `path`.

    Write the whole content to the yielded path inside the `with` block. Raising inside the
    block (a failed write, a hash that does not match) removes the temporary file and leaves
    `path` as it was. durable=False skips the fsyncs (for caches that can be rebuilt).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*{TMP_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            if _writer_gone(stale):
                stale.unlink()
    prefix = f".{path.name}.{os.getpid()}."
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=TMP_SUFFIX)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if durable:
            _fsync_file(tmp)  # the bytes reach the disk before the name points at them
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    if durable:
        _fsync_directory(path.parent)


def write_bytes_atomically(path: str | os.PathLike, data: bytes, *, durable: bool = True) -> Path:
    """Replace `path` by `data` atomically; returns the path."""
    with atomic_path(path, durable=durable) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text_atomically(
    path: str | os.PathLike, text: str, *, encoding: str = "utf-8", durable: bool = True
) -> Path:
    """Replace `path` by `text` atomically; returns the path."""
    return write_bytes_atomically(path, text.encode(encoding), durable=durable)
