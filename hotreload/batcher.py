"""Collect changed paths into batches released after a quiet period.

Pure bookkeeping, used by the watcher under its lock: no threads, no I/O,
time comes from an injected clock so tests can drive it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final, Protocol, final

__all__ = ["ChangeBatcher", "Clock"]


class Clock(Protocol):
    """A monotonic clock in seconds, injected so tests can drive time."""

    def __call__(self) -> float: ...


@final
class ChangeBatcher:
    """Collect changed paths and release them as one batch after a quiet period.

    Pure bookkeeping: no threads, no I/O, time comes from ``clock``.

    Args:
        debounce: seconds without a new ``add`` before the batch is ready.
        clock: the time source.
        close_timeout: seconds a path added with ``complete=False`` may hold
            the batch back without a ``closed`` call, counted from its latest
            such ``add``; a writer that went silent that long is done or dead.
        settle: the shorter quiet period of a batch that holds one path
            whose latest event ended a save (``add(path, final=True)``);
            ``debounce`` if not given.
    """

    def __init__(
        self,
        debounce: float,
        clock: Clock = time.monotonic,
        *,
        close_timeout: float = 1.0,
        settle: float | None = None,
    ) -> None:
        settle = debounce if settle is None else min(settle, debounce)
        if debounce < 0 or close_timeout < 0 or settle < 0:
            raise ValueError("debounce, close_timeout and settle must be >= 0")
        self.debounce: Final = debounce
        self.close_timeout: Final = close_timeout
        self.settle: Final = settle
        self._clock = clock
        # Insertion order = first arrival; the value: did its latest event end a save?
        self._paths: dict[Path, bool] = {}
        self._open: dict[Path, float] = {}  # path -> time of its latest open add
        self._last = 0.0

    def add(self, path: Path, *, complete: bool = True, final: bool = False) -> None:
        """Record a change of ``path``; restart the quiet period.

        Args:
            path: the changed file.
            complete: False if the writer may still hold the file open (a
                ``modified`` event on a backend that reports closes): the
                batch then waits for :meth:`closed` or ``close_timeout``.
            final: True if this event ends a save: the writer closed the
                file, or renamed a finished file onto it. A lone final change
                is ready after ``settle``; anything else (a file renamed away
                or deleted, which vim and JetBrains do half-way through a
                save, or several files changing together) waits ``debounce``.
        """
        now = self._clock()
        self._paths[path] = final
        self._last = now
        if not complete:
            # Kept in order of time (the clock is monotonic): the latest is last.
            self._open.pop(path, None)
            self._open[path] = now

    def put_back(self, paths: Sequence[Path]) -> None:
        """Return taken ``paths`` to the front of the batch, in their order.

        For a batch that turned out to be part of a larger change still
        arriving: it waits for the rest, under the quiet period running now.
        """
        merged = dict.fromkeys(paths, False)
        merged.update(self._paths)
        self._paths = merged

    def closed(self, path: Path) -> None:
        """The writer closed ``path``: its content is complete."""
        self._open.pop(path, None)

    def is_open(self, path: Path) -> bool:
        """Whether a writer of ``path`` has not been seen closing it."""
        return path in self._open

    def discard_open(self, path: Path) -> None:
        """``path`` was moved away or deleted: stop waiting for its close."""
        self._open.pop(path, None)

    def ready_at(self) -> float | None:
        """Return the clock time at which the batch may be taken, None if empty.

        Constant time, whatever the number of paths waiting: the watcher
        asks it on each event of a 3,000-file checkout.
        """
        if not self._paths:
            return None
        quiet = self.debounce
        if len(self._paths) == 1 and next(iter(self._paths.values())):
            quiet = self.settle
        ready = self._last + quiet
        if self._open:
            latest = next(reversed(self._open.values()))
            ready = max(ready, latest + self.close_timeout)
        return ready

    def due(self) -> float | None:
        """Return seconds until the batch may be taken (0 if now), None if empty."""
        ready = self.ready_at()
        if ready is None:
            return None
        return max(0.0, ready - self._clock())

    def take(self) -> list[Path]:
        """Return the ready batch and empty the batcher; [] if it is not ready yet."""
        if self.due() != 0.0:
            return []
        batch = list(self._paths)
        self._paths.clear()
        self._open.clear()
        return batch

    @property
    def last_add(self) -> float:
        """When the latest change was recorded (by ``clock``)."""
        return self._last

    def __len__(self) -> int:
        return len(self._paths)

    def __contains__(self, path: object) -> bool:
        return path in self._paths

    def __iter__(self) -> Iterator[Path]:
        """Iterate over the waiting paths in order of first arrival."""
        return iter(self._paths)

    def __repr__(self) -> str:
        return f"<ChangeBatcher {len(self)} path(s), {len(self._open)} open>"
