"""After ``os.fork()``: the running reloaders watch again in the child.

A forked child has only the thread that forked: the watcher's observer and
applier threads stayed in the parent, and the locks they held stay held.
``gunicorn --preload``, ``multiprocessing`` with the fork start method and
Celery's prefork pool all fork after the program (and its reloader) started;
without this, their children would run the code of the fork forever while
``Reloader.backend`` still said "inotify". So each running reloader gets a
fresh watcher of its own in the child (`Restartable.restart_in_child`).

The parent's watches are left alone: the child never stops the inherited
observer (inotify watches belong to the instance, which parent and child
share, so removing them in the child would blind the parent); it only
closes its own copies of that observer's descriptors (`close_inherited`).
"""

from __future__ import annotations

import contextlib
import os
import weakref
from typing import Protocol

__all__ = ["Restartable", "close_inherited", "forget", "restart_after_fork"]


class Restartable(Protocol):
    """What a running reloader offers to the fork hook."""

    def restart_in_child(self) -> None:
        """Called in a forked child: drop what the fork broke, watch again."""


_running: weakref.WeakSet[Restartable] = weakref.WeakSet()
_hooked = False


def restart_after_fork(reloader: Restartable) -> None:
    """Restart ``reloader``'s watching in every process forked from now on."""
    global _hooked
    if not _hooked and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_in_child)
        _hooked = True
    _running.add(reloader)


def forget(reloader: Restartable) -> None:
    """``reloader`` stopped: forked children have nothing of it to restart."""
    _running.discard(reloader)


def _in_child() -> None:
    for reloader in list(_running):
        reloader.restart_in_child()


def close_inherited(observer: object) -> None:
    """Close the descriptors a parent's observer left in this child.

    watchdog's inotify observer holds the inotify instance and a wake-up
    pipe. The child's copies are closed, which leaves the parent's own
    descriptors, and the watches on the instance, as they are (closing is
    not removing a watch). Other observers hold no descriptor: nothing to do.
    """
    holder = getattr(observer, "_inotify_fd", None)
    for name in ("_inotify_fd", "_kill_r", "_kill_w"):
        fd = getattr(holder, name, None)
        if isinstance(fd, int) and fd > 2:
            with contextlib.suppress(OSError):
                os.close(fd)
