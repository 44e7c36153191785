"""core.data.atomic: a write either lands whole or leaves the old file untouched."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.data.atomic import atomic_path, write_bytes_atomically, write_text_atomically


def test_a_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "sub" / "a.txt"
    write_text_atomically(target, "old")
    write_bytes_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.txt"]


def test_a_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("good")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporaries_of_a_killed_writer_are_swept_on_the_next_write(tmp_path):
    target = tmp_path / "ckpt.bin"
    stale = tmp_path / f".ckpt.bin.{_dead_pid()}.abc123.tmp"
    stale.write_bytes(b"partial")
    other = tmp_path / f".other.bin.{_dead_pid()}.abc123.tmp"  # another file's: left alone
    other.write_bytes(b"x")
    write_bytes_atomically(target, b"ok", durable=False)
    assert not stale.exists() and other.exists() and target.read_bytes() == b"ok"


@pytest.mark.skipif(os.name != "posix", reason="liveness is asked with a POSIX signal")
def test_the_temporary_of_a_writer_still_running_is_left_alone(tmp_path):
    """Two learners downloading the same file at once must not delete each other's bytes."""
    target = tmp_path / "tinyshakespeare.txt"
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as alive:
        try:
            theirs = tmp_path / f".tinyshakespeare.txt.{alive.pid}.xyz.tmp"
            theirs.write_bytes(b"half of their download")
            write_bytes_atomically(target, b"mine", durable=False)
            assert theirs.read_bytes() == b"half of their download"
        finally:
            alive.kill()
