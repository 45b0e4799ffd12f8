"""How files get written: the editors' save styles, git, and the manual rows.

Every tool is measured with these exact functions. None of them fsyncs: the
latency row times from just before the save, and an fsync would only add the
disk's flush time to every tool alike.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def save_in_place(path: Path, source: str) -> None:
    """Truncate and rewrite the file (most editors' default, ``echo >``)."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(source)


def save_replace(path: Path, source: str) -> None:
    """Write a temp file in the same directory and ``os.replace`` it over."""
    fd, tmp = tempfile.mkstemp(dir=path.parent)  # e.g. "tmpk2j3x9q_", no suffix
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(source)
    os.replace(tmp, path)


def save_vim(path: Path, source: str) -> None:
    """Vim's default (``backupcopy=auto``, ``writebackup``) on Linux.

    It probes the directory with a file named ``4913``, renames the original
    to ``x.py~``, writes a new ``x.py`` and deletes the backup.
    """
    probe = path.parent / "4913"
    probe.touch()
    probe.unlink()
    backup = path.with_name(path.name + "~")
    os.rename(path, backup)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(source)
    backup.unlink()


def save_jetbrains(path: Path, source: str) -> None:
    """JetBrains' "safe write": tmp file, move the original away, move tmp in."""
    tmp = path.with_name(path.name + "___jb_tmp___")
    old = path.with_name(path.name + "___jb_old___")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(source)
    os.rename(path, old)
    os.rename(tmp, path)
    old.unlink()


def save_git(path: Path, source: str) -> None:
    """What ``git checkout`` does to a tracked file: unlink, then create anew."""
    path.unlink()
    with open(path, "x", encoding="utf-8") as fh:
        fh.write(source)


SAVE_STYLES: dict[str, Callable[[Path, str], None]] = {
    "in-place": save_in_place,
    "temp+replace": save_replace,
    "vim": save_vim,
    "jetbrains": save_jetbrains,
}


class ManualWriter:
    """Write new versions for the rows that reload by hand (heap, session).

    Each write also sets the mtime to a strictly later value. File timestamps
    are coarse (a few ms on Linux), and IPython's autoreload decides what to
    reload by mtime alone: without this it would skip most of a fast loop.
    The same writer is used for every tool.
    """

    def __init__(self) -> None:
        self._mtime_ns = 0

    def write(self, path: Path, source: str) -> None:
        save_in_place(path, source)
        now = os.stat(path).st_mtime_ns
        self._mtime_ns = max(now, self._mtime_ns + 1_000_000)
        os.utime(path, ns=(self._mtime_ns, self._mtime_ns))
