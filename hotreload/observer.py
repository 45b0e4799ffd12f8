"""How the watcher schedules its watches with watchdog.

Two things beyond watchdog's defaults, both about latency:

- **Only the events the watcher uses.** Every event crosses three watchdog
  threads (the inotify reader, the emitter, the observer), each waiting for
  the GIL when the host program keeps it busy. Opens (each of our reads and
  each import made two events where only the close counts) and the
  "directory modified" that follows every change are not asked for, so
  inotify does not even queue them.
- **Moves paired without a stall.** A rename reaches watchdog as two inotify
  events, ``IN_MOVED_FROM`` then ``IN_MOVED_TO``. watchdog holds the first
  back (half a second) to pair it with the second; when its emitter thread
  picks up the first before the reader thread has queued the second, it
  sleeps out the whole half second even though the pair is complete a few
  microseconds later. A temp-file-and-rename save (most editors' safe
  write), caught that way, went live half a second late, and a read's echo
  waited behind it. The emitter's queue here waits on its condition
  instead, so the arrival of the pair wakes it at once.

Watchdog loads only when a watcher starts (the start-up budget): it is
imported inside the functions.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers.api import BaseObserver, EventEmitter, ObservedWatch

__all__ = ["event_kinds", "schedule"]

#: What watchdog's delayed queue must have for the prompt ``get`` to stand in.
_QUEUE_PARTS = ("_not_empty", "_queue", "_closed", "delay")


def event_kinds() -> list[type[FileSystemEvent]]:
    """The watchdog events the watcher records; inotify is asked for no others."""
    from watchdog import events

    return [
        events.FileCreatedEvent,
        events.FileModifiedEvent,
        events.FileAttribEvent,  # a file made readable again
        events.FileClosedEvent,
        events.FileClosedNoWriteEvent,  # the echoes of our own reads
        events.FileMovedEvent,
        events.FileDeletedEvent,
        events.DirMovedEvent,
        events.DirDeletedEvent,
    ]


def schedule(
    observer: BaseObserver,
    handler: FileSystemEventHandler,
    root: Path,
    *,
    follow_symlinks: bool,
) -> ObservedWatch:
    """Watch ``root`` recursively with ``handler``: the events above, moves prompt."""
    before = set(getattr(observer, "emitters", ()))
    watch = observer.schedule(
        handler,
        str(root),
        recursive=True,
        follow_symlink=follow_symlinks,
        event_filter=event_kinds(),
    )
    for emitter in set(getattr(observer, "emitters", ())) - before:
        _pair_moves_promptly(emitter)
    return watch


def _pair_moves_promptly(emitter: EventEmitter) -> None:
    """Give an inotify emitter the prompt queue, before its thread first reads."""
    if emitter.is_alive():  # scheduled on a running observer: started already
        _swap_queue(emitter)
        return
    start = emitter.on_thread_start  # its inotify watch group is made there

    def on_thread_start() -> None:
        start()
        _swap_queue(emitter)

    emitter.on_thread_start = on_thread_start  # type: ignore[method-assign]


def _swap_queue(emitter: EventEmitter) -> None:
    """Swap the class of the emitter's move queue, if it is watchdog's own.

    Anything else (a polling emitter, another watchdog version's layout) is
    left as it is: only the stall comes back.
    """
    from watchdog.utils.delayed_queue import DelayedQueue

    group = getattr(emitter, "_inotify", None)
    grouper = getattr(group, "_move_event_grouper", None)
    queue = getattr(grouper, "_queue", None)
    if type(queue) is DelayedQueue and all(hasattr(queue, p) for p in _QUEUE_PARTS):
        queue.__class__ = prompt_queue_class()


@functools.cache
def prompt_queue_class() -> type[Any]:
    """watchdog's ``DelayedQueue`` with a ``get`` that never oversleeps."""
    from watchdog.utils.delayed_queue import DelayedQueue

    class PromptDelayedQueue(DelayedQueue[Any]):
        """Wait out a held element's delay on the condition, not in a sleep.

        A ``put`` (the pairing event regroups the held one and puts the pair)
        notifies the condition, so the head is looked at again at once.
        """

        def get(self) -> Any:
            with self._not_empty:
                while True:
                    while not self._queue and not self._closed:
                        self._not_empty.wait()
                    if self._closed:
                        return None
                    head, inserted, delayed = self._queue[0]
                    left = inserted + self.delay - time.monotonic() if delayed else 0.0
                    if left <= 0:
                        self._queue.popleft()
                        return head
                    self._not_empty.wait(left)

    return PromptDelayedQueue
