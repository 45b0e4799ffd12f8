"""After ``os.fork()``: the running reloaders watch again in the child.

A forked child has only the thread that forked: the watcher's observer and
applier threads stayed in the parent, and the locks they held stay held.
``gunicorn --preload``, ``multiprocessing`` with the fork start method and
Celery's prefork pool all fork after the program (and its reloader) started;
without this, their children would run the code of the fork forever while
``Reloader.backend`` still said "inotify". So each running reloader gets a
fresh watcher of its own in the child (`Restartable.restart_in_child`).

The parent's watches are left alone: the child never stops the inherited
observer (inotify watches belong to the descriptor, which parent and child
share, so removing them in the child would blind the parent).
"""

from __future__ import annotations

import os
import weakref
from typing import Protocol

__all__ = ["Restartable", "forget", "restart_after_fork"]


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
