"""Writing a file so that a crash leaves the old file or the new one, never half of each.

The new content goes into a temporary file in the same directory; once it is complete it is
flushed to disk (fsync) and renamed over the target (`os.replace`, atomic on POSIX and
Windows), and on POSIX the directory is synced too so that the rename itself survives a power
cut. If anything fails before the rename, the temporary file is removed and the target is
untouched. Temporary files left by a process that was killed mid-write (`kill -9`) are
removed the next time the same target is written.

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
from collections.abc import Iterator
from pathlib import Path

TMP_SUFFIX = ".tmp"


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
    for stale in path.parent.glob(f".{path.name}.*{TMP_SUFFIX}"):  # left by a killed writer
        stale.unlink(missing_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
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
