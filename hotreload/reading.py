"""Read a module file whole, or know that it changed while being read.

Only regular files are opened, never blocking; a read that raced a writer
raises ``Unstable`` so the watcher tries again later.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path
from typing import Final

from hotreload.roots import is_within

__all__ = [
    "NotRegular",
    "Outside",
    "StatKey",
    "Unstable",
    "content_digest",
    "read_stable",
    "stat_key",
]


def content_digest(data: bytes) -> bytes:
    """A short hash of a file's bytes: equal digests mean an unchanged file."""
    return hashlib.blake2b(data, digest_size=16).digest()


class Unstable(Exception):
    """The file changed while it was being read."""


class NotRegular(Exception):
    """The path is a FIFO, a device, a socket or a directory: never opened."""


class Outside(Exception):
    """The path is a symbolic link that leads outside its root."""


StatKey = tuple[int, int, int, int, int]
_OPEN_FLAGS: Final = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)


def stat_key(st: os.stat_result) -> StatKey:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def read_stable(
    path: Path, quiet_ns: int, root: Path | None = None
) -> tuple[bytes, StatKey]:
    """Read ``path`` whole, or raise ``Unstable`` if it changed meanwhile.

    Only a regular file is read: the open never blocks (``O_NONBLOCK``; a
    FIFO named ``x.py`` would otherwise wait for a writer forever) and what
    is not a regular file raises ``NotRegular``. With ``root``, a symbolic
    link whose target is outside it raises ``Outside``.

    Only inotify reports closes; elsewhere a writer may still be at work when
    the quiet period ends. Comparing the open file's identity, size and times
    with the path's after the read catches a half-written read (timestamps
    can be a few ms coarse, hence the size check against the bytes read).

    Returns:
        The bytes and the file's identity, size and times when read.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS | (_NOFOLLOW if root is not None else 0))
    except OSError as exc:
        if root is None or not _NOFOLLOW or not os.path.islink(path):
            raise
        if not is_within(path, root):  # ELOOP: a link; inside the root is fine
            raise Outside(path) from exc
        fd = os.open(path, _OPEN_FLAGS)
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise NotRegular(path)
        # One read of one byte more than the size: all of it, and the proof
        # (a byte more, or a size changed by the stat below, is unstable).
        data = os.read(fd, before.st_size + 1)
        while len(data) < before.st_size and (more := os.read(fd, 1 << 16)):
            data += more  # a short read (network file systems)
    finally:
        os.close(fd)
    after = os.stat(path)
    if stat_key(before) != stat_key(after) or len(data) != before.st_size:
        raise Unstable(path)
    # Changed within the quiet period, yet no event for it was recorded: a
    # writer at work whose event is still on its way (the kernel changes the
    # file before it queues the event; watchdog's threads add their lag).
    if 0 <= time.time_ns() - before.st_ctime_ns < quiet_ns:
        raise Unstable(path)
    return data, stat_key(after)
