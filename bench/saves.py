"""How files get written: the editors' save styles, git, and the manual rows.

Every tool is measured with these exact functions. None of them fsyncs: the
latency row times from just before the save, and an fsync would only add the
disk's flush time to every tool alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO


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


class Saver:
    """Saves made by another process, as an editor makes them.

    The latency rows time a save from just before it starts. Made by the
    measured process itself, each of its system calls would give the GIL
    to the tool's watcher threads (and, in the busy row, to the busy
    threads) and wait to get it back: time an editor, a process of its own,
    never loses. The saver stamps the start with ``time.perf_counter()``,
    which on Linux reads the system-wide monotonic clock: the same clock as
    the measuring process's.
    """

    def __init__(self) -> None:
        repo = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": repo}
        self._proc = subprocess.Popen(
            [sys.executable, "-c", "from bench.saves import serve; serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        self._stdin: IO[str] = self._proc.stdin  # type: ignore[assignment]
        self._stdout: IO[str] = self._proc.stdout  # type: ignore[assignment]

    def save(self, style: str, path: Path, source: str) -> float:
        """Save ``source`` to ``path`` the ``style`` way; return when it began.

        Returns once the save is done, with the ``time.perf_counter()``
        reading taken just before it.
        """
        request = {"style": style, "path": str(path), "source": source}
        self._stdin.write(json.dumps(request) + "\n")
        self._stdin.flush()
        reply = self._stdout.readline()
        if not reply:
            raise RuntimeError("the saver process ended")
        return float(reply)

    def close(self) -> None:
        self._stdin.close()
        self._proc.wait(timeout=10)
        self._stdout.close()

    def __enter__(self) -> Saver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def serve() -> None:
    """The saver process: one JSON request per line in, one start time out."""
    for line in sys.stdin:
        request = json.loads(line)
        save = SAVE_STYLES[request["style"]]
        start = time.perf_counter()
        save(Path(request["path"]), request["source"])
        print(repr(start), flush=True)


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
