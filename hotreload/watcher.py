"""Turn watchdog's file system events into debounced batches of changed modules.

Two threads take part. Watchdog's observer thread only *records*: it filters
each event's path and hands it to a :class:`ChangeBatcher` under a condition
variable. Our applier thread waits on that condition until a batch has been
quiet for ``debounce`` seconds, reads the files outside the lock, drops the
ones whose bytes did not change and calls ``on_batch`` with the rest. No user
code ever runs on the observer thread, and no file is read there.

How each save style shows up (watchdog 7, inotify):

- in place: ``modified`` (the truncation), more ``modified``, ``closed``;
- temp + ``os.replace``: events for the temp name, then ``moved(tmp -> x.py)``;
- vim: ``moved(x.py -> x.py~)``, ``created``/``modified``/``closed`` for the
  new ``x.py``, its ``4913`` probe created and deleted, ``x.py~`` deleted;
- JetBrains: ``x.py___jb_tmp___`` written, ``moved(x.py -> x.py___jb_old___)``,
  ``moved(x.py___jb_tmp___ -> x.py)``, the old file deleted.

Each lands as exactly one :class:`Change` with the final bytes. On inotify a
file reported ``modified`` is not read before its ``closed``, and a save
that has ended (closed, or renamed into place), when it is the only file
changing, is read at once and handed out after a short settle that runs
while the echo of that read comes back; a file renamed away or deleted (the
first half of the vim and JetBrains saves) and a change of several files
wait the whole debounce.

Reading guards against what events cannot show: the file changing during
the read, a change within the quiet period whose event is still on its way,
the empty or missing file a save shows half-way, and (inotify) events
queued before our read but not yet seen by the lagging observer thread.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeVar, final

from hotreload.batcher import ChangeBatcher, Clock
from hotreload.filters import PathFilter
from hotreload.observer import schedule
from hotreload.reading import (
    NotRegular,
    Outside,
    StatKey,
    Unstable,
    content_digest,
    read_stable,
    stat_key,
)
from hotreload.roots import innermost_root, is_within, iter_module_files
from hotreload.switching import SwitchInterval

if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers.api import BaseObserver, ObservedWatch

__all__ = [
    "Change",
    "ChangeBatcher",
    "Clock",
    "Watcher",
    "content_digest",
    "default_polling",
]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_KINDS: Final = frozenset({"created", "modified", "closed", "moved", "deleted"})

#: The settle period of one finished save, as a share of the debounce (see
#: ``start``), counted from its event. Without it a file written first among
#: several (a script's loop of saves, a small checkout) can be taken alone
#: before the next one's event arrives, and the change splits in two batches.
SETTLE_SHARE: Final = 0.1
#: Seconds between two snapshots of a polling observer (watchdog's default is 1 s).
POLL_INTERVAL: Final = 0.1
#: Seconds a file reported as being written may stay open before it is read anyway.
CLOSE_TIMEOUT: Final = 1.0
#: Seconds between two checks that each root still exists (see ``_check_roots``).
ROOT_CHECK_INTERVAL: Final = 1.0
#: Seconds to wait for the inotify close events of our own reads (see ``_await_echoes``).
ECHO_TIMEOUT: Final = 0.5
#: Seconds a batch may be held back because more files keep changing.
BURST_LIMIT: Final = 2.0
#: Seconds a module file must stay empty before it is believed (see ``_fresh``).
EMPTY_SETTLE: Final = 0.5
#: Seconds during which a second overflow is rescanned without another line.
OVERFLOW_QUIET: Final = 5.0
#: Seconds ``stop()`` waits for each thread.
JOIN_TIMEOUT: Final = 5.0


def default_polling() -> bool:
    """Return True if ``HOTRELOAD_FORCE_POLLING`` asks for the polling observer.

    Native events do not cross network, VM and some container mounts; this is
    the switch for CI and such machines (watchfiles' ``WATCHFILES_FORCE_POLLING``).
    """
    value = os.environ.get("HOTRELOAD_FORCE_POLLING", "")
    return value.strip().lower() in {"1", "true", "yes", "on"}


_default_polling = default_polling  # the STYLE 2.3 spelling of the same default


@final
@dataclass(frozen=True)
class Change:
    """One changed module file and its new content.

    Attributes:
        path: the file, absolute, under ``root``.
        root: the (resolved) root the file belongs to.
        source: the file's bytes, or None if the file is gone.
    """

    path: Path
    root: Path
    source: bytes | None


def _backend_name(observer: BaseObserver) -> str:
    name = type(observer).__name__
    return name.removesuffix("Observer").lower() or name.lower()


@final
class Watcher:
    """Watch roots and report changed module files in debounced batches.

    Args:
        roots: directories to watch recursively (resolved here).
        on_batch: called on the applier thread with each batch of changes.
        debounce: seconds of quiet before a batch is handed out.
        polling: use watchdog's ``PollingObserver`` (also forced by
            ``HOTRELOAD_FORCE_POLLING=1``).
        path_filter: which files count; the default ignores editor debris.
        follow_symlinks: also watch files whose real location is outside a root.
        observer_factory: builds the observer (overrides ``polling``).
        on_root_lost: called once, on the applier thread, per root that is
            deleted or moved away.
        clock: time source of the batcher.
    """

    def __init__(
        self,
        roots: Sequence[Path],
        on_batch: Callable[[list[Change]], None],
        *,
        debounce: float = 0.01,
        polling: bool = False,
        path_filter: PathFilter | None = None,
        follow_symlinks: bool = False,
        observer_factory: Callable[[], BaseObserver] | None = None,
        on_root_lost: Callable[[Path], None] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        # Resolved, once each, deepest first.
        self._roots: Final = tuple(
            sorted({Path(r).resolve() for r in roots}, key=lambda r: -len(r.parts))
        )
        self._on_batch, self._on_root_lost = on_batch, on_root_lost
        self._debounce, self._clock = debounce, clock
        self._polling = polling or default_polling()
        self._filter = path_filter if path_filter is not None else PathFilter()
        self._follow_symlinks = follow_symlinks
        self._observer_factory = observer_factory
        self._cond = threading.Condition()
        # Everything below is guarded by self._cond.
        self._batcher = ChangeBatcher(debounce, clock, close_timeout=CLOSE_TIMEOUT)
        self._digests: dict[Path, bytes] = {}  # last bytes seen or seeded, hashed
        self._retried: set[Path] = set()  # empty or missing, read again (_fresh)
        self._echoes: dict[Path, int] = {}  # paths being read -> closes seen since
        self._quiet_ns = 0  # read_stable's timestamp check (0: the echoes do it)
        self._lost: list[Path] = []  # roots lost, not yet reported
        self._lost_seen: set[Path] = set()
        self._root_ids: dict[Path, tuple[int, int]] = {}
        self._watches: dict[Path, ObservedWatch] = {}
        self._reports_close = False
        self._burst_start: float | None = None  # see _burst_goes_on
        self._settle = 0.0  # a lone finished save's quiet period (see start)
        self._in_flight: list[Path] = []  # taken from the batcher, not handed over yet
        self._wake_at = math.inf  # when the waiting applier wakes by itself
        self._unreadable: set[Path] = set()  # read again on their next attrib
        self._skipped: set[Path] = set()  # not regular files, warned about
        self._real_dirs: dict[str, str] = {}  # directory -> its realpath
        self._paths: dict[bytes | str, Path] = {}  # see _path
        self._lexical: dict[tuple[Path, Path], bool] = {}  # the filter's, by path
        self._switch = SwitchInterval()  # guarded by self._cond too
        self._rescan_due = False  # events were dropped: look at every file
        self._empty_since: dict[Path, float] = {}  # read empty, since when
        self._rescan_said = -math.inf  # when the last rescan was reported
        self._stopping = False
        self._observer: BaseObserver | None = None
        self._thread: threading.Thread | None = None
        self._unjoined: threading.Thread | None = None
        self._backend = "stopped"

    def start(self) -> None:
        """Schedule one recursive watch per root and start both threads.

        Raises:
            RuntimeError: the watcher is already running.
            OSError: a root could not be watched (nothing is left running).
        """
        with self._cond:
            if self._thread is not None:
                raise RuntimeError("Watcher already started")
        _silence_watchdog_noise()
        observer = self._make_observer()
        backend = _backend_name(observer)
        try:
            for root in self._roots:
                self._root_ids[root] = _identity(root)
                self._watches[root] = self._schedule(observer, root)
            observer.start()
        except BaseException:
            _dispose(observer)
            raise
        quiet = self._debounce
        if backend.startswith("polling"):
            # A poll can catch a save half-way (vim between its rename and
            # its write). Requiring one more full poll interval of quiet means
            # the next snapshot has seen the rest of the save before we read.
            quiet = max(quiet, 2 * float(observer.timeout))
        # Only inotify reports IN_CLOSE_WRITE; elsewhere "modified" must count
        # as complete and the read is re-checked instead.
        reports_close = backend == "inotify"
        # There, a lone save that has ended (closed, or renamed into place)
        # need not wait out the whole debounce: it is read at once, and a
        # short settle, spent while the echo of that read comes back, still
        # joins the other files of a multi-file change, whose events come in
        # a rush (see _read_batch).
        settle = 0.0 if reports_close else quiet
        thread = threading.Thread(
            target=self._run, name="hotreload-watcher", daemon=True
        )
        with self._cond:
            self._settle = quiet * SETTLE_SHARE if reports_close else 0.0
            self._batcher = ChangeBatcher(
                quiet, self._clock, close_timeout=CLOSE_TIMEOUT, settle=settle
            )
            # inotify needs no timestamp check: the echoes of our own reads
            # prove that every earlier write's events are in (_await_echoes).
            self._quiet_ns = 0 if reports_close else int(quiet * 1e9)
            self._reports_close = reports_close
            self._stopping = False
            self._lost_seen.clear()
            self._observer, self._thread, self._backend = observer, thread, backend
            self._switch.boost()
        _ACTIVE.add(self)
        thread.start()

    def stop(self, timeout: float = JOIN_TIMEOUT) -> None:
        """Stop the observer and the applier and join both; idempotent.

        Args:
            timeout: seconds to wait for each thread; an applier still in
                ``on_batch`` after that is left to finish on its own.
        """
        with self._cond:
            observer = self._observer
            threads = [t for t in (self._thread, self._unjoined) if t is not None]
            self._observer = self._thread = self._unjoined = None
            self._stopping = True
            self._backend = "stopped"
            self._switch.restore()
            self._cond.notify_all()
        _ACTIVE.discard(self)
        if observer is not None:
            _dispose(observer, timeout)
        for thread in threads:
            if thread is threading.current_thread():
                # on_batch or on_root_lost called stop(): a thread cannot join
                # itself, so the next stop() from elsewhere joins it.
                self._unjoined = thread
                continue
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("hotreload watcher thread did not stop in time")

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def backend(self) -> str:
        """The observer in use ("inotify", "polling", ...), or "stopped"."""
        return self._backend

    def seed(self, path: Path, data: bytes) -> None:
        """Declare ``data`` the live content of ``path``: an identical save is no change."""
        self.seed_digest(path, content_digest(data))

    def seed_digest(self, path: Path, digest: bytes) -> None:
        """Like :meth:`seed`, given the ``content_digest`` of the live content."""
        with self._cond:
            self._digests[Path(os.path.abspath(path))] = digest

    def pending(self) -> list[Path]:
        """The paths changed but not handed to ``on_batch`` yet, oldest first.

        Those waiting in the batcher, and those of a batch being read or
        handed over right now.
        """
        with self._cond:
            return list(dict.fromkeys([*self._in_flight, *self._batcher]))

    def _make_observer(self) -> BaseObserver:
        if self._observer_factory is not None:
            return self._observer_factory()
        if self._polling:
            from watchdog.observers.polling import PollingObserver

            return PollingObserver(timeout=POLL_INTERVAL)
        from watchdog.observers import Observer

        return Observer()

    def _wanted(self, path: Path, root: Path) -> bool:
        """Whether ``path`` is a module file of ``root`` (nearly no I/O).

        Runs for each event on the observer thread, where every system call
        gives the GIL away to the host's threads: the real location of the
        directory is cached, and a file that is itself a link is checked
        when it is read (``read_stable``).
        """
        key = (path, root)
        lexical = self._lexical.get(key)
        if lexical is None:  # the filter is lexical: its answer stays
            if len(self._lexical) > 8192:
                self._lexical.clear()
            lexical = self._lexical[key] = self._filter(path, root)
        if not lexical:
            return False
        if self._follow_symlinks:
            return is_within(path, root, follow_symlinks=True)
        parent = os.path.dirname(path)
        real = self._real_dirs.get(parent)
        if real is None:
            if len(self._real_dirs) > 4096:
                self._real_dirs.clear()
            real = self._real_dirs[parent] = os.path.realpath(parent)
        return real == str(root) or real.startswith(str(root) + os.sep)

    def _record(self, event: FileSystemEvent, root: Path) -> None:
        """Runs on the observer thread: filter, hand to the batcher, notify."""
        if root in self._lost_seen:
            # A root moved away keeps its watch, which follows the directory
            # to where it went: its files are not under the root any more.
            return
        kind = event.event_type
        if kind == "closed_no_write":
            if self._echoes:  # else nothing of ours is being read (every import reads)
                self._echo(self._path(event.src_path))
            return
        src = self._path(event.src_path) if event.src_path else None
        if kind == "attrib" and src in self._unreadable:
            kind = "closed"  # readable again, maybe: read it
        if kind not in _KINDS:
            return  # opened, attrib: no content change
        dest_raw = getattr(event, "dest_path", "")
        dest = self._path(dest_raw) if dest_raw else None
        if event.is_directory:
            self._real_dirs.clear()  # a directory may now be a link, or gone
            if kind in ("deleted", "moved") and src is not None:
                with self._cond:
                    self._dir_gone(src)
                    self._cond.notify_all()
            return
        # Filter before taking the lock: is_within may stat the path.
        src = src if src is not None and self._wanted(src, root) else None
        dest = dest if dest is not None and self._wanted(dest, root) else None
        if src is None and dest is None:
            return
        with self._cond:
            self._file_event(kind, src, dest)
            self._switch.quicken()
            due = self._batcher.due()
            # Wake the applier only if the batch is due before it wakes anyway:
            # under a busy program each needless wake-up costs a turn at the GIL
            # that the next event's delivery waits for.
            if due is not None and time.monotonic() + due < self._wake_at:
                self._cond.notify_all()

    def _path(self, raw: bytes | str) -> Path:
        """The ``Path`` of an event's path, built once per path (a memo).

        A checkout gives each file about five events; building the ``Path``
        (and hashing it) each time was a good part of the observer thread's
        work per event.
        """
        path = self._paths.get(raw)
        if path is None:
            if len(self._paths) > 8192:
                self._paths.clear()
            path = self._paths[raw] = Path(os.fsdecode(raw))
        return path

    def _echo(self, path: Path) -> None:
        if not self._echoes:
            return  # nothing of ours being read: skip the lock (every import reads)
        with self._cond:
            if path in self._echoes:
                self._echoes[path] += 1
                self._cond.notify_all()

    def _file_event(self, kind: str, src: Path | None, dest: Path | None) -> None:
        batcher = self._batcher
        # A real event ends the "read once more" grace of _fresh.
        self._retried.difference_update((src, dest))
        for path in (src, dest):
            if path is not None:
                self._empty_since.pop(path, None)
        if src is not None:
            if kind in ("created", "modified"):
                batcher.add(src, complete=not self._reports_close)
            elif kind == "closed":
                # IN_CLOSE_WRITE: the writer is done. A close alone (an open
                # for writing with no write) still counts: the hash decides.
                batcher.closed(src)
                batcher.add(src, final=True)
            elif kind in ("moved", "deleted"):
                # The source of a move may be the module itself: vim and
                # JetBrains rename the original away before writing anew.
                batcher.discard_open(src)
                batcher.add(src)
        if kind == "moved" and dest is not None:
            batcher.discard_open(dest)  # a rename delivers a complete file
            batcher.add(dest, final=True)

    def _dir_gone(self, directory: Path) -> None:
        if directory in self._roots:
            self._root_lost(directory)
            return
        # A package moved out of the root gets no event per file: report the
        # files we know of under it (no I/O, just our own cache).
        for path in self._digests:
            if path.is_relative_to(directory):
                self._batcher.add(path)

    def _root_lost(self, root: Path) -> None:
        if root not in self._lost_seen:
            self._lost_seen.add(root)
            self._lost.append(root)
            self._cond.notify_all()

    def _run(self) -> None:
        next_check = time.monotonic() + ROOT_CHECK_INTERVAL
        while True:
            with self._cond:
                while not self._stopping and not self._lost and not self._rescan_due:
                    due = self._batcher.due()
                    if due == 0.0:
                        break
                    until_check = next_check - time.monotonic()
                    if until_check <= 0:
                        break
                    wait = until_check if due is None else min(due, until_check)
                    if due is None and (calm := self._switch.relax()) is not None:
                        wait = min(wait, calm)
                    self._wake_at = time.monotonic() + wait
                    self._cond.wait(wait)
                    self._wake_at = math.inf
                if self._stopping:
                    return
                lost, self._lost = self._lost, []
                rescan, self._rescan_due = self._rescan_due, False
                paths = self._in_flight = self._batcher.take()
            if rescan:
                self._rescan()
            if time.monotonic() >= next_check:
                self._check_roots()
                self._retry_unreadable()
                next_check = time.monotonic() + ROOT_CHECK_INTERVAL
            for root in lost:
                self._call(self._on_root_lost, root)
            changes = self._read_batch(paths)
            if changes:
                self._call(self._on_batch, changes)
            with self._cond:
                self._in_flight = []

    def _overflowed(self) -> None:
        """The OS dropped file events (inotify's queue overflowed): rescan."""
        with self._cond:
            if self._reports_close and not self._stopping:
                self._rescan_due = True
                self._cond.notify_all()

    def _rescan(self) -> None:
        """Queue every module file, and every file known: the hashes decide.

        Files whose bytes are what was last handed out (or seeded as live)
        give no change; the others are applied as one batch, and a file
        that disappeared meanwhile is reported gone.
        """
        files: list[Path] = []
        for root in self._roots:
            if root not in self._lost_seen:
                files += iter_module_files(
                    root, self._filter, follow_symlinks=self._follow_symlinks
                )
        with self._cond:
            for path in dict.fromkeys([*files, *self._digests]):
                self._batcher.add(path)
            self._cond.notify_all()
        now = time.monotonic()
        said, self._rescan_said = self._rescan_said, now
        if now - said > OVERFLOW_QUIET:  # watchdog reports one overflow twice
            logger.warning(
                "the OS dropped file events (inotify queue overflow); rescanned "
                "%d files, applying what changed",
                len(files),
            )

    def _retry_unreadable(self) -> None:
        """Look again at unreadable files (a polling observer sees no chmod)."""
        with self._cond:
            for path in self._unreadable:
                if path not in self._batcher:
                    self._batcher.add(path, final=True)
                    self._cond.notify_all()

    def _schedule(self, observer: BaseObserver, root: Path) -> ObservedWatch:
        return schedule(
            observer,
            _make_handler(self, root),
            root,
            follow_symlinks=self._follow_symlinks,
        )

    def _check_roots(self) -> None:
        # inotify reports a deleted root, but a root moved away (IN_MOVE_SELF)
        # produces no watchdog event at all: a cheap stat per second finds it,
        # and finds a lost root back (rm -rf and regenerate, a checkout).
        for root, ident in list(self._root_ids.items()):
            try:
                now: tuple[int, int] | None = _identity(root)
            except OSError:
                now = None
            with self._cond:
                known_lost = root in self._lost_seen
                if not known_lost and now != ident:
                    self._root_lost(root)
            # Not by identity: a directory made again often gets the old inode.
            if known_lost and now is not None and root.is_dir():
                self._rewatch(root, now)

    def _rewatch(self, root: Path, ident: tuple[int, int]) -> None:
        """Watch a root that is back; its files count as changed (hashes decide)."""
        observer = self._observer
        if observer is None:
            return
        old = self._watches.pop(root, None)
        if old is not None:
            with contextlib.suppress(Exception):  # its emitter may have ended
                observer.unschedule(old)
        try:
            self._watches[root] = self._schedule(observer, root)
        except OSError:
            return  # gone again, or not readable: the next check tries again
        self._root_ids[root] = ident
        with self._cond:
            self._lost_seen.discard(root)  # its events count from here on...
        files = list(  # ...and what came before them is found by looking
            iter_module_files(root, self._filter, follow_symlinks=self._follow_symlinks)
        )
        with self._cond:
            for path in files:
                self._batcher.add(path)
            self._cond.notify_all()
        logger.warning("root %s is back; watching it again", root)

    def _read_batch(self, paths: list[Path]) -> list[Change]:
        with self._cond:
            self._echoes.update(dict.fromkeys(paths, 0))
        read: list[tuple[Path, bytes | None, StatKey | None]] = []
        for path in paths:
            try:
                data, key = self._read(path)
            except (FileNotFoundError, NotADirectoryError):
                read.append((path, None, None))
            except Unstable:
                with self._cond:
                    self._batcher.add(path)  # still being written: try again later
            except (NotRegular, Outside, OSError) as exc:
                self._unread(path, exc)
            else:
                read.append((path, data, key))
        with self._cond:
            self._await_echoes([path for path, data, _ in read if data is not None])
            self._await_settle(paths)
            for path in paths:
                self._echoes.pop(path, None)
            if self._burst_goes_on(paths):
                self._batcher.put_back(paths)
                return []
            self._burst_start = None
            changes = [
                change
                for path, data, key in read
                if (change := self._fresh(path, data, key))
            ]
            return changes

    def _read(self, path: Path) -> tuple[bytes, StatKey]:
        root = None if self._follow_symlinks else self._root_of(path)
        data, key = read_stable(path, self._quiet_ns, root)
        if path in self._unreadable or path in self._skipped:
            with self._cond:
                self._unreadable.discard(path)
                self._skipped.discard(path)
        return data, key

    def _unread(self, path: Path, exc: Exception) -> None:
        """One line for a file that cannot be read; read it again when it can."""
        if isinstance(exc, Outside):
            return  # a link out of the root: not a module of it, silently
        with self._cond:
            if isinstance(exc, NotRegular):
                first = path not in self._skipped
                self._skipped.add(path)
                reason = "not a regular file (a FIFO, device or socket); skipped"
            else:
                first = path not in self._unreadable
                self._unreadable.add(path)
                what = exc.strerror if isinstance(exc, OSError) else None
                reason = f"cannot be read ({what or exc}); it is applied once it can be"
        if first:
            logger.warning("%s %s", path, reason)

    def _burst_goes_on(self, taken: list[Path]) -> bool:
        """Whether files outside ``taken`` changed while it was read (holding the lock).

        A branch switch writes hundreds of files, and the observer, slowed by
        the very events it reports, can fall quiet for longer than the
        debounce half-way through. Once the echoes are back, any other
        module recorded meanwhile belongs to the same change: the batch goes
        back and waits for them, so the switch still lands as one batch
        (up to ``BURST_LIMIT`` seconds, for a writer that never stops).
        """
        if len(self._batcher) == 0 or not self._reports_close:
            return False
        if all(path in taken for path in self._batcher):
            return False  # only our own files again: _fresh re-queues them
        now = self._clock()
        if self._burst_start is None:
            self._burst_start = now
        return now - self._burst_start < BURST_LIMIT

    def _await_settle(self, taken: list[Path]) -> None:
        """Hold a lone save until ``settle`` has passed since its event (holding the lock).

        It was read at once; the time the echo took counts. A change of
        another file meanwhile ends the wait: the batch then goes back and
        waits for the rest (``_burst_goes_on``).
        """
        if len(taken) != 1:
            return
        until = self._batcher.last_add + self._settle
        while not self._stopping and all(p in taken for p in self._batcher):
            remaining = until - self._clock()
            if remaining <= 0:
                return
            self._cond.wait(remaining)

    def _await_echoes(self, opened: list[Path]) -> None:
        """Wait (holding the lock) until our reads' IN_CLOSE_NOWRITE come back.

        Events reach us through three watchdog threads, late when the host
        program keeps the GIL busy, so a quiet period can end while a new
        save's events are still on their way. inotify reports a root's
        events in order: once the close events of our own reads are back,
        every write begun before them has been recorded, and ``_fresh``
        drops the reads it made stale.
        """
        if not self._reports_close:
            return
        deadline = time.monotonic() + ECHO_TIMEOUT
        while not self._stopping and any(self._echoes[p] == 0 for p in opened):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return  # an echo lost (watchdog drops repeats): go by what we know
            self._cond.wait(remaining)

    def _fresh(
        self, path: Path, data: bytes | None, key: StatKey | None = None
    ) -> Change | None:
        """The change to hand out for what was read, if any (holding the lock)."""
        if path in self._batcher and not self._still(path, data, key):
            return None  # a newer event came meanwhile: the next batch reads it
        known = self._digests.get(path)
        looks_gone = data is None and known is not None
        if (data == b"" or looks_gone) and path not in self._retried:
            # An in-place save truncates first. ext4 shows the empty file
            # before it updates ctime and before it queues IN_MODIFY, so
            # nothing tells that window from a file emptied on purpose.
            # Likewise a module read between vim's or JetBrains' rename
            # away and the new file's arrival looks deleted, and a read
            # leaves no echo to wait for. Look once more after another
            # quiet period.
            self._retried.add(path)
            self._batcher.add(path)
            if data == b"":
                self._empty_since.setdefault(path, time.monotonic())
            return None
        if data == b"" and self._still_emptying(path):
            # Busy threads can keep the writer from its write for longer than
            # one quiet period: an empty module is believed once it has
            # stayed empty for EMPTY_SETTLE (a reload of it empties the
            # live module for every caller).
            self._batcher.add(path)
            return None
        self._empty_since.pop(path, None)
        self._retried.discard(path)
        if data is None:
            if known is None:
                return None  # a temp file that came and went
            # Forget it, so re-creating it with the same bytes counts.
            del self._digests[path]
        else:
            digest = content_digest(data)
            if digest == known:
                return None  # same bytes: an editor writing twice, `touch`
            self._digests[path] = digest
        return Change(path, self._root_of(path), data)

    def _still(self, path: Path, data: bytes | None, key: StatKey | None) -> bool:
        """Whether the file is still what was read, events since notwithstanding.

        A newer event for a file just read is, under load, most often a late
        event of the very save that was read; throwing the read away then
        made a program with busy threads miss every save of a steady stream.
        If the file is not being written (no open write seen) and its
        identity, size and times are those of the read, the read is handed
        out; the newer event stays queued and is read again (the hash
        decides), so a write within the same timestamp tick is not lost.
        """
        if data is None or key is None or self._batcher.is_open(path):
            return False
        try:
            return stat_key(os.stat(path)) == key
        except OSError:
            return False

    def _still_emptying(self, path: Path) -> bool:
        since = self._empty_since.setdefault(path, time.monotonic())
        return time.monotonic() - since < EMPTY_SETTLE

    def _root_of(self, path: Path) -> Path:
        root = innermost_root(path, self._roots)
        return root if root is not None else self._roots[0]  # events come from roots

    def _call(self, callback: Callable[[_T], None] | None, arg: _T) -> None:
        if callback is None:
            return
        try:
            callback(arg)
        except Exception:
            logger.exception("hotreload watcher callback %r failed", callback)


def _silence_watchdog_noise() -> None:
    """Ignore watchdog 7's warning about its own harmless inotify race.

    ``mkdir -p a/b`` inside a root makes watchdog add the watch on ``a/b``
    twice (once while walking ``a``, once for ``b``'s own IN_CREATE), and it
    says so with a RuntimeWarning raised *in its reader thread*: noise above
    the user's prompt, and under ``-W error`` the exception kills that thread
    and every later event is lost. The filter is narrow (that message, from
    watchdog) and idempotent (``filterwarnings`` replaces an equal filter).
    """
    warnings.filterwarnings(
        "ignore",
        message=r"Callback with id '.*' already exists for watch",
        category=RuntimeWarning,
        module=r"watchdog\.",
    )
    # Stopping races watchdog's own reader thread, which then logs this as an
    # error: a stray line on the user's terminal (seen in about one `run` in
    # five) about a thread we are stopping on purpose.
    inotify_logger = logging.getLogger("watchdog.observers.inotify")
    if _stop_race_filter not in inotify_logger.filters:
        inotify_logger.addFilter(_stop_race_filter)
    for name in _OVERFLOW_LOGGERS:
        overflow_logger = logging.getLogger(name)
        if _overflow_filter not in overflow_logger.filters:
            overflow_logger.addFilter(_overflow_filter)


#: Watchers running, told when watchdog reports dropped events.
_ACTIVE: weakref.WeakSet[Watcher] = weakref.WeakSet()
#: Where watchdog says that the kernel's inotify queue overflowed. It reports
#: it only as a log record (its recursive watches are rebuilt, the events are
#: gone); this filter turns the record into a rescan and our own line.
_OVERFLOW_LOGGERS: Final = (
    "watchdog.observers.inotify_c",
    "watchdog.observers.inotify",
)


def _overflow_filter(record: logging.LogRecord) -> bool:
    if "overflow" not in str(record.msg).lower():
        return True
    for watcher in list(_ACTIVE):
        watcher._overflowed()
    return False  # the rescan's own line says it


def _stop_race_filter(record: logging.LogRecord) -> bool:
    return (
        record.msg != "InotifyEmitter.queue_events() called when the thread is inactive"
    )


def _identity(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino)


def _dispose(observer: BaseObserver, timeout: float = JOIN_TIMEOUT) -> None:
    """Stop and join an observer, started or not (inotify starts a thread early)."""
    try:
        observer.stop()
    except Exception:  # pragma: no cover  defensive: never leave threads behind
        logger.exception("hotreload could not stop the observer")
    if observer.ident is not None:
        observer.join(timeout)


def _make_handler(watcher: Watcher, root: Path) -> FileSystemEventHandler:
    # Imported here: watchdog loads only when a watcher starts (start-up budget).
    from watchdog.events import FileSystemEventHandler

    class _Handler(FileSystemEventHandler):
        def dispatch(self, event: FileSystemEvent) -> None:
            # An exception here would kill watchdog's observer thread.
            try:
                watcher._record(event, root)
            except Exception:
                logger.exception("hotreload could not record %r", event)

    return _Handler()
