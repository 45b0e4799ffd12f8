"""``Reloader``: roots, watcher, registry, history and locking in one object.

Threads: watchdog's observer records file events; the watcher's applier
thread hands batches to ``Reloader``, which applies them under one lock (or
queues them while paused or in manual mode); the user's thread calls
``reload``, ``wait`` and friends. Nothing happens on import: ``sys.path``,
``sys.meta_path`` and ``builtins.__import__`` are touched only between
``start()`` (or the first ``import_all``/``reload``) and ``stop()``.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Final, Literal

from hotreload.discover import Skipped, find_modules, skip_reason, top_level_names
from hotreload.engine import (
    Outcome,
    format_user_traceback,
    is_interrupt,
    record_source,
    reload_module,
)
from hotreload.errors import RejectedError, ReloadTimeout, UnknownModuleError
from hotreload.events import ReloadEvent, Trigger, safe_str
from hotreload.filters import PathFilter
from hotreload.forking import close_inherited, forget, restart_after_fork
from hotreload.graph import ImportGraph, static_imports
from hotreload.imports import Imports
from hotreload.incremental import Changes
from hotreload.isolation import (
    WATCHER_MODULES,
    for_user,
    preload,
    shadowed_reason,
    top_level_modules,
    warn_shadowed,
)
from hotreload.lookup import one_walk
from hotreload.quiet import isolate_loggers
from hotreload.registry import Registry
from hotreload.roots import (
    module_name,
    module_path,
    validate_root,
    warn_if_open,
    warn_if_world_writable,
)
from hotreload.timelimit import REPEAT, TimeLimit, user_location
from hotreload.watcher import Change, Watcher, content_digest

__all__ = ["HISTORY_SIZE", "LOADED", "UNLOADED", "Reloader", "is_unload"]

logger = logging.getLogger(__name__)

HISTORY_SIZE: Final = 500
#: The first warning of an event that unloaded a module whose file is gone.
UNLOADED: Final = "unloaded"
#: The first warning of an event that loaded a module renamed from another.
LOADED: Final = "loaded"


def is_unload(event: ReloadEvent) -> bool:
    """Whether ``event`` says its module was unloaded (its file is gone)."""
    return (
        event.ok
        and event.warnings[:1] != ()
        and event.warnings[0].startswith(UNLOADED + ":")
    )


DEFAULT_DEBOUNCE: Final = 0.01
#: Seconds a reload's code may run before it is interrupted (``timeout=``).
DEFAULT_TIMEOUT: Final = 10.0
#: Seconds ``stop()`` waits for a reload that ignores its interruption.
STOP_WAIT: Final = 0.5


class Reloader:
    """Watch module roots and reload edited modules in this process.

    Args:
        paths: the roots: a path or an iterable of paths to directories.
        debounce: seconds of quiet before a batch of changes is applied. On
            inotify, a lone save that has ended (the file closed, or
            renamed into place) waits only a fifth of it.
        polling: use a polling observer (network mounts, some containers).
        exclude: glob patterns to ignore, relative to their root.
        cascade: also re-execute the modules that import a reloaded module.
        require: names every module must define; a version without them is
            rejected and the old one stays.
        apply: "auto" applies changes as soon as they are ready; "manual"
            queues them until ``apply_pending()``.
        follow_symlinks: follow symbolic links that lead outside a root.
        timeout: seconds a module's code may run in one reload or first
            import before it is interrupted (a ``ReloadTimeout`` raised in
            it), rolled back, and reported as failed; None: no limit.

    Raises:
        RootError: a root is missing or not a directory.
        ValueError: ``apply`` is neither "auto" nor "manual", or a bad
            ``debounce`` or ``timeout``.
    """

    def __init__(
        self,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        debounce: float = DEFAULT_DEBOUNCE,
        polling: bool = False,
        exclude: Iterable[str] = (),
        cascade: bool = False,
        require: Iterable[str] = (),
        apply: Literal["auto", "manual"] = "auto",
        follow_symlinks: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> None:
        if apply not in ("auto", "manual"):
            raise ValueError(f"apply must be 'auto' or 'manual', not {apply!r}")
        if debounce < 0:
            raise ValueError(f"debounce must be >= 0, not {debounce!r}")
        items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
        self.roots: tuple[Path, ...] = tuple(
            dict.fromkeys(validate_root(p) for p in items)
        )
        if not self.roots:
            raise ValueError("Reloader needs at least one root")
        self.debounce = debounce
        self.polling = polling
        self.exclude = tuple(exclude)
        self.cascade = cascade
        self.require = tuple(require)
        self.apply = apply
        self.follow_symlinks = follow_symlinks
        self.timeout = timeout
        self._limit = TimeLimit(timeout, is_user=self._is_user_file)
        self._filter = PathFilter(self.exclude)
        self._lock = threading.RLock()  # held for every reload
        self._cond = threading.Condition()  # guards history and the wait cursor
        self._history: deque[tuple[int, ReloadEvent]] = deque(maxlen=HISTORY_SIZE)
        self._seq = 0
        self._waited = 0
        self._subscribers: list[Callable[[ReloadEvent], object]] = []
        self._registry = Registry()
        self._graph = ImportGraph()
        self._imports = Imports(
            self.roots,
            follow_symlinks=follow_symlinks,
            registry=self._registry,
            graph=self._graph,
            first_run=self._first_run,
        )
        self._known = self._imports.known
        self._failures: dict[str, ReloadEvent] = {}
        # Loaded modules whose newest version failed: name -> (path, source).
        self._stale: dict[str, tuple[Path, bytes]] = {}
        self._queue: dict[Path, Change] = {}
        self._pause_depth = 0
        self._batches = 0
        self._watcher: Watcher | None = None
        # File -> content_digest of the version that is live: a change that
        # brings those bytes back is no reload, however late its event comes.
        self._live: dict[Path, bytes] = {}
        self._undo: list[Callable[[], None]] = []
        self._skipped: list[Skipped] = []
        self._main_file: Path | None = None

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> None:
        """Set up the import side and start watching. Does not block."""
        if self._watcher is not None:
            return
        preload(WATCHER_MODULES)  # before a root can stand in for one of them
        self._ensure_runtime()
        watcher = Watcher(
            self.roots,
            self._on_batch,
            debounce=self.debounce,
            polling=self.polling,
            path_filter=self._filter,
            follow_symlinks=self.follow_symlinks,
            on_root_lost=self._on_root_lost,
        )
        for path, digest in self._live.items():
            watcher.seed_digest(path, digest)
        try:
            watcher.start()
        except BaseException:
            watcher.stop()
            self._unwind()
            raise
        self._watcher = watcher
        restart_after_fork(self)

    def stop(self) -> None:
        """Stop watching, join the threads and undo the import-side setup.

        Returns within about a second whatever user code does: a reload
        running on another thread is interrupted (and rolled back) first.
        """
        forget(self)
        watcher, self._watcher = self._watcher, None
        me = threading.get_ident()
        for tid in self._limit.running_threads():
            if tid != me:
                self._limit.interrupt(tid, "interrupted: the reloader is stopping")
        if watcher is not None:
            watcher.stop(timeout=STOP_WAIT)
        if self._lock.acquire(timeout=STOP_WAIT):
            try:
                self._unwind()
            finally:
                self._lock.release()
        else:  # a reload blocked in a call that cannot be interrupted
            logger.warning("a reload is still running; hotreload stops without it")
            self._unwind()
        self._limit.close()

    def restart_in_child(self) -> None:
        """In a child just forked: start a watcher of its own (see `forking`)."""
        if self._watcher is None:
            return
        # Its threads stayed in the parent, and so do its watches: left be.
        close_inherited(getattr(self._watcher, "_observer", None))
        self._watcher = None
        if not _held_here(self._lock):  # held by a thread that is not here
            self._lock = threading.RLock()
        self._cond = threading.Condition()
        try:
            self.start()
        except Exception as exc:
            logger.warning(
                "no reloading in process %d (forked): the watcher did not restart: %s",
                os.getpid(),
                safe_str(exc),
            )

    def __enter__(self) -> Reloader:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        roots = ", ".join(str(r) for r in self.roots)
        return f"<Reloader [{roots}] {self.backend}, {len(self._known)} modules>"

    # -- the embedding API ---------------------------------------------------

    def import_all(self) -> list[ReloadEvent]:
        """Import every module under the roots that is not loaded yet.

        What is not a module is skipped, never run, and listed in
        `skipped`: ``setup.py`` and ``conftest.py`` at a root, files whose
        names no ``import`` can spell (``my-file.py``), a package's
        ``__main__.py`` (its command line, run by ``python -m``), and
        scripts: files whose top level, outside ``if __name__ ==
        "__main__":``, loops or calls something for its effect
        (``hotreload.discover`` states the rule).

        Returns:
            One event (trigger "import", ``ok`` False) per module that failed.
        """
        self._ensure_runtime()
        failures: list[ReloadEvent] = []
        found, skipped = find_modules(
            self.roots, self._filter, follow_symlinks=self.follow_symlinks
        )
        self._skipped = skipped
        for name, path in found.items():
            if name in sys.modules:
                if why := _shadowed_top(name, path):
                    warn_shadowed(name, path, why)
                continue
            if any(name.startswith(f.module + ".") for f in failures):
                continue  # its package failed; that failure says it all
            event = self._first_import(name, path, "import")
            if event is not None and not event.ok:
                failures.append(event)
        failed = {f.module for f in failures}
        for name, module in self.modules.items():
            if name not in failed and (event := self._rejected(name, module)):
                failures.append(event)
        self._record(failures)
        return failures

    @property
    def skipped(self) -> list[Skipped]:
        """What the last `import_all` left alone, each with its reason."""
        return list(self._skipped)

    def module_files(self) -> dict[str, Path]:
        """Every module under the roots, loaded or not: name -> file.

        Files that are not modules (see `import_all`) are left out.
        """
        found, _ = find_modules(
            self.roots, self._filter, follow_symlinks=self.follow_symlinks
        )
        return found

    def top_level(self) -> tuple[dict[str, Path], list[Skipped]]:
        """The roots' top-level modules and packages (name -> file), unread.

        Also the top-level files whose names no ``import`` can spell.
        """
        return top_level_names(self.roots, self._filter)

    def import_module(self, name: str) -> types.ModuleType:
        """Import the module ``name`` under the roots now, as ``import`` would.

        Used by the REPL's names that import on first use. A failure is
        recorded (`import_failures`, `history`) and raised, as ``import``
        raises it; a later good version, saved or imported, clears it.

        Raises:
            Exception: whatever the module raised while it ran.
        """
        self._ensure_runtime()
        loaded = sys.modules.get(name)
        if loaded is not None:
            return loaded
        start = time.perf_counter()
        try:
            module = self._import_by_name(name)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise  # the user's Ctrl-C, not the module's failure
            path = next((p for r in self.roots if (p := module_path(name, r))), None)
            event = ReloadEvent(
                module=name,
                path=path,
                ok=False,
                trigger="import",
                duration=time.perf_counter() - start,
                error=exc,
                traceback=format_user_traceback(exc),
                time=time.time(),
            )
            self._failures[name] = event
            self._record([event])
            raise
        self._failures.pop(name, None)
        return module

    def _import_by_name(self, name: str) -> types.ModuleType:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # A file named in decomposed Unicode: its name, as typed, is NFC,
            # and the path finder compares names byte for byte.
            path = next((p for r in self.roots if (p := module_path(name, r))), None)
            if exc.name != name or path is None or "." in name:
                raise
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:  # pragma: no cover  a .py file
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            self._imports.first_run(module, path)
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        return module

    def watch_main(self, module: types.ModuleType) -> None:
        """Reload ``module`` (the running ``__main__``) when its file changes.

        ``hotreload run`` calls this for the program's script, before it
        runs and with its file under a root. Edits reach the script's
        definitions; its other top-level statements never run again (the
        engine's ``script`` mode, DESIGN reload contract item 12).
        """
        file = getattr(module, "__file__", None)
        if file:
            self._main_file = Path(file).absolute()
            self._imports.adopt(module, self._main_file)
            with suppress(OSError):
                data = self._main_file.read_bytes()
                # The version that runs: the engine compares edits with it.
                record_source(module, data)
                self._live[self._main_file] = content_digest(data)

    def _rejected(self, name: str, module: types.ModuleType) -> ReloadEvent | None:
        """A failure event if ``module`` lacks a name every module must define."""
        missing = [n for n in self.require if not hasattr(module, n)]
        if not missing:
            return None
        # It ran, so it stays imported; its next good version clears this.
        rejected = RejectedError(name, missing)
        event = ReloadEvent(
            module=name,
            path=self._known.get(name),
            ok=False,
            trigger="import",
            error=rejected,
            traceback=f"RejectedError: {rejected}\n",
            time=time.time(),
        )
        self._failures[name] = event
        return event

    def reload(
        self, target: str | os.PathLike[str], *, full: bool = False
    ) -> ReloadEvent:
        """Reload one module now, whatever the watcher has seen.

        Only the statements that changed (or read what changed) run, unless
        ``full`` is true: then the whole module runs again.

        Args:
            target: a dotted module name under a root, or a path to its file.
            full: run the whole module, not only what changed.

        Returns:
            The event; ``event.ok`` is False if the new version was rejected,
            and the old version is still in place.

        Raises:
            UnknownModuleError: ``target`` is not a loaded module under the roots.
        """
        name, path = self._resolve(target)
        self._ensure_runtime()
        try:
            source = path.read_bytes()
        except FileNotFoundError:
            with self._lock:
                event = self._unload(name, path)
            self._record([event])
            self._deliver([event])
            return event
        except OSError as exc:
            event = self._gone(name, path, exc, "manual")
            self._record([event])
            return event
        if not self._acquire():
            event = self._busy(name, path)
            self._record([event])
            return event
        try:
            events = self._run_batch([(name, path, source)], "manual", full=full)
            self._record(events)
        finally:
            self._lock.release()
        self._deliver(events)
        return events[0]

    def _acquire(self) -> bool:
        """Take the reload lock; give up after a stuck reload's time limit."""
        if self.timeout is None:
            return self._lock.acquire()
        return self._lock.acquire(timeout=self.timeout + REPEAT + 1.0)

    def _busy(self, name: str, path: Path) -> ReloadEvent:
        error = ReloadTimeout(
            f"another reload did not finish within {self.timeout:g} s "
            "(blocked in a call that cannot be interrupted); try again later"
        )
        return ReloadEvent(
            module=name,
            path=path,
            ok=False,
            trigger="manual",
            error=error,
            traceback=f"ReloadTimeout: {error}\n",
            time=time.time(),
        )

    def track(self, namespace: object) -> Callable[[], None]:
        """Rebind ``from m import x`` bindings made in ``namespace`` after reloads.

        Args:
            namespace: a dict (held strongly), a module, or any object whose
                ``__dict__`` should be tracked (held weakly where possible).

        Returns:
            A callable that stops tracking it.
        """
        return self._registry.track(namespace)

    def subscribe(
        self, callback: Callable[[ReloadEvent], object]
    ) -> Callable[[], None]:
        """Call ``callback(event)`` after every reload; returns the unsubscriber.

        A callback that raises is logged and skipped; the others still run.
        """
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def wait(self, timeout: float | None = None) -> ReloadEvent | None:
        """Return the oldest reload event not yet returned by ``wait()``.

        Waits for one if there is none. Import failures are skipped.

        Returns:
            The event, or None when ``timeout`` seconds passed first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                for seq, event in self._history:
                    if seq <= self._waited:
                        continue
                    self._waited = seq
                    if event.trigger != "import":
                        return event
                if deadline is None:
                    self._cond.wait()
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Hold reloads inside the block; apply what queued up on exit."""
        self.pause()
        try:
            yield
        finally:
            self.resume()

    def pause(self) -> None:
        """Hold reloads until ``resume()``; changes queue up meanwhile."""
        with self._lock:
            self._pause_depth += 1

    def resume(self) -> None:
        """Undo one ``pause()``; the last one applies what queued up."""
        with self._lock:
            self._pause_depth = max(0, self._pause_depth - 1)
            ready = self._pause_depth == 0 and self.apply == "auto"
        if ready:
            self.apply_pending()

    @property
    def is_paused(self) -> bool:
        """Whether reloads are being held."""
        return self._pause_depth > 0

    def apply_pending(self) -> list[ReloadEvent]:
        """Apply the changes that are queued; returns their events."""
        with self._lock:
            changes = list(self._queue.values())
            self._queue.clear()
        return self._apply_changes(changes) if changes else []

    def pending_paths(self) -> list[Path]:
        """Changed files seen but not applied yet."""
        queued = list(self._queue)
        watcher = self._watcher
        if watcher is not None:
            queued += [p for p in watcher.pending() if p not in self._queue]
        return queued

    @property
    def modules(self) -> dict[str, types.ModuleType]:
        """The loaded modules under the roots, by name."""
        found = {}
        for name in list(self._known):
            module = sys.modules.get(name)
            if module is not None:
                found[name] = module
        return dict(sorted(found.items()))

    @property
    def history(self) -> list[ReloadEvent]:
        """Recent events, oldest first (at most ``HISTORY_SIZE``)."""
        with self._cond:
            return [event for _, event in self._history]

    @property
    def import_failures(self) -> dict[str, ReloadEvent]:
        """Modules whose first import failed and that have not loaded since."""
        return dict(self._failures)

    @property
    def backend(self) -> str:
        """The file-event backend in use ("inotify", "polling", ...) or "stopped"."""
        watcher = self._watcher
        return watcher.backend if watcher is not None else "stopped"

    def imports_of(self, name: str) -> list[str]:
        """The modules under the roots that ``name`` imports."""
        return [n for n in self._graph.imports_of(name) if n in self._known]

    def importers_of(self, name: str) -> list[str]:
        """The modules under the roots that import ``name``."""
        return [n for n in self._graph.importers_of(name) if n in self._known]

    # -- applying changes ----------------------------------------------------

    def _on_batch(self, changes: list[Change]) -> None:
        # The watcher's applier thread. The lock makes pause() a real barrier:
        # once it returns, no batch is half-way through being applied.
        with self._lock:
            if self._pause_depth or self.apply == "manual":
                for change in changes:
                    self._queue.pop(change.path, None)
                    self._queue[change.path] = change
                return
        self._apply_changes(changes)

    def _apply_changes(self, changes: Sequence[Change]) -> list[ReloadEvent]:
        batch: list[tuple[str, Path, bytes]] = []
        events: list[ReloadEvent] = []
        fresh: list[tuple[str, Path]] = []
        with self._lock:
            for change in changes:
                # Nested roots can give one file two names, both maybe loaded.
                for name in self._names_of(change.path, change.root):
                    self._sort_change(name, change, batch, events, fresh)
            unloaded = [e.module for e in events if is_unload(e)]
            if fresh:
                # A rename shows as the new file first, the old one's
                # deletion later: a loaded module whose file is gone now
                # is the one renamed.
                for name, path in self._vanished():
                    if name not in unloaded:
                        events.append(self._unload(name, path))
                        unloaded.append(name)
            if unloaded:
                # A loaded module renamed: its new name is loaded in its place.
                for name, path in fresh:
                    events.append(self._load_renamed(name, path, unloaded))
            self._batches += 1
            events += self._run_batch(batch, "file", self._batches)
            self._record(events)
        self._deliver(events)
        return events

    def _sort_change(
        self,
        name: str,
        change: Change,
        batch: list[tuple[str, Path, bytes]],
        events: list[ReloadEvent],
        fresh: list[tuple[str, Path]],
    ) -> None:
        """Put ``change`` of module ``name`` where it belongs (holding the lock)."""
        loaded = self._loaded(name, change.path) is not None
        if change.source is None:
            if loaded and not change.root.is_dir():
                # The whole root went (rm -rf and regenerate): keep its
                # modules until it comes back.
                events.append(self._gone(name, change.path, None, "file"))
            elif loaded:
                events.append(self._unload(name, change.path))
            else:
                self._failures.pop(name, None)
        elif loaded:
            if not self._is_live(change.path, change.source, name):
                batch.append((name, change.path, change.source))
            # else: its event raced the first import of these very bytes
        elif name in self._failures:
            # It failed to import before; the fix may have just landed.
            event = self._first_import(name, change.path, "file")
            if event is not None:
                events.append(event)
        elif (
            name not in sys.modules
            and change.path != self._main_file
            and skip_reason(change.path, change.root) is None
        ):
            fresh.append((name, change.path))
        elif why := _shadowed_top(name, change.path):
            warn_shadowed(name, change.path, why)

    def _vanished(self) -> list[tuple[str, Path]]:
        """Loaded modules whose file is gone (from a root that is still there)."""
        return [
            (name, path)
            for name, path in list(self._known.items())
            if name != "__main__"
            and name in sys.modules
            and not path.exists()
            and path.parent.is_dir()
        ]

    def _unload(self, name: str, path: Path) -> ReloadEvent:
        """The file of loaded module ``name`` is gone: forget the module.

        It leaves ``sys.modules`` and the listings; objects taken from it
        keep working with the code they have.
        """
        module = sys.modules.get(name)
        if name != "__main__" and module is not None:
            del sys.modules[name]
            parent, _, child = name.rpartition(".")
            holder = sys.modules.get(parent) if parent else None
            if holder is not None and getattr(holder, child, None) is module:
                delattr(holder, child)
        self._known.pop(name, None)
        self._live.pop(path, None)
        self._stale.pop(name, None)
        self._failures.pop(name, None)
        return ReloadEvent(
            module=name,
            path=path,
            ok=True,
            trigger="file",
            warnings=(f"{UNLOADED}: {path.name} was deleted or renamed",),
            time=time.time(),
        )

    def _load_renamed(self, name: str, path: Path, old: list[str]) -> ReloadEvent:
        """Import ``name``, new in a batch that unloaded the modules ``old``."""
        start = time.perf_counter()
        event = self._first_import(name, path, "file")
        if event is not None:
            return event
        module = sys.modules[name]
        return ReloadEvent(
            module=name,
            path=path,
            ok=True,
            trigger="file",
            duration=time.perf_counter() - start,
            added=tuple(k for k in vars(module) if not k.startswith("__")),
            warnings=(f"{LOADED}: in place of {', '.join(old)}",),
            time=time.time(),
        )

    def _run_batch(
        self,
        batch: list[tuple[str, Path, bytes]],
        trigger: Trigger,
        number: int = 0,
        *,
        full: bool = False,
    ) -> list[ReloadEvent]:
        """Reload a batch in dependency order, then cascade to importers."""
        # The search for old closures walks every module once per batch.
        with one_walk():
            return self._run_batch_walked(batch, trigger, number, full=full)

    def _run_batch_walked(
        self,
        batch: list[tuple[str, Path, bytes]],
        trigger: Trigger,
        number: int,
        *,
        full: bool,
    ) -> list[ReloadEvent]:
        events: list[ReloadEvent] = []
        # What each module reloaded so far changed: importers read it.
        upstream: dict[str, Changes] = {}
        by_name = {name: (path, source) for name, path, source in batch}
        for name in self._graph.order(by_name):
            path, source = by_name[name]
            events.append(
                self._reload_guarded(
                    name, path, source, trigger, number, upstream, full
                )
            )
        done = {e.module for e in events if e.ok}
        # A module whose last version failed may have been waiting for one of
        # these (it imports a name they have just gained): try it again.
        for name, (path, source) in list(self._stale.items()):
            if name not in by_name and done & self._static_imports(name, path, source):
                events.append(
                    self._reload_guarded(
                        name, path, source, "cascade", number, upstream
                    )
                )
        if self.cascade:
            for name in self._graph.dependents(sorted(done)):
                if name in by_name or name not in self._known:
                    continue
                path = self._known[name]
                try:
                    source = path.read_bytes()
                except OSError:
                    continue
                events.append(
                    self._reload_guarded(
                        name, path, source, "cascade", number, upstream
                    )
                )
        return events

    def _reload_guarded(
        self,
        name: str,
        path: Path,
        source: bytes,
        trigger: Trigger,
        batch: int,
        upstream: dict[str, Changes] | None = None,
        full: bool = False,
    ) -> ReloadEvent:
        """`_reload_one`, with whatever escapes it made that module's failure.

        The engine reports a bad version as a failed outcome; anything that
        still escapes (a parser's MemoryError or RecursionError, a bug) must
        not take the events of the batch's other modules with it.
        """
        start = time.perf_counter()
        try:
            return self._reload_one(name, path, source, trigger, batch, upstream, full)
        except BaseException as exc:
            if is_interrupt(exc):
                raise
            logger.debug("reloading %s raised", name, exc_info=True)
            self._stale[name] = (path, source)
            return ReloadEvent(
                module=name,
                path=path,
                ok=False,
                trigger=trigger,
                duration=time.perf_counter() - start,
                error=exc,
                traceback=format_user_traceback(exc),
                time=time.time(),
                batch=batch,
            )

    def _reload_one(
        self,
        name: str,
        path: Path,
        source: bytes,
        trigger: Trigger,
        batch: int,
        upstream: dict[str, Changes] | None = None,
        full: bool = False,
    ) -> ReloadEvent:
        module = sys.modules[name]
        start = time.perf_counter()
        edges = self._graph.begin(name)
        bindings = self._registry.begin(module.__dict__)
        try:
            outcome = self._engine(module, source, path, full=full, upstream=upstream)
        except BaseException:
            self._registry.restore(module.__dict__, bindings)
            self._graph.restore(name, edges)
            raise
        if not (outcome.ok and outcome.ran):
            self._registry.restore(module.__dict__, bindings)
        elif not outcome.full:
            # Import statements that did not run still bind what they bound.
            self._registry.keep(module.__dict__, bindings, outcome.bound)
        if outcome.ok and not outcome.full:
            self._graph.restore(name, edges | set(self._graph.imports_of(name)))
        if outcome.ok and upstream is not None and outcome.changes:
            upstream[name] = outcome.changes
        rebound = 0
        digest = content_digest(source)
        if trigger != "file":  # the watcher read file changes itself
            self._seed(path, digest)  # it need not hand these bytes over again
        if outcome.ok:
            self._live[path] = digest
            rebound = self._rebind(name, outcome.replaced)
            self._stale.pop(name, None)
            self._failures.pop(name, None)
        else:
            self._graph.restore(name, edges)
            self._stale[name] = (path, source)
        return ReloadEvent(
            module=name,
            path=path,
            ok=outcome.ok,
            trigger=trigger,
            duration=time.perf_counter() - start,
            updated=tuple(outcome.updated),
            added=tuple(outcome.added),
            removed=tuple(outcome.removed),
            rebound=rebound,
            ran=outcome.ran,
            warnings=tuple(outcome.warnings),
            error=outcome.error,
            traceback=outcome.traceback,
            time=time.time(),
            batch=batch,
        )

    def _engine(
        self,
        module: types.ModuleType,
        source: bytes,
        path: Path,
        *,
        full: bool,
        upstream: dict[str, Changes] | None,
    ) -> Outcome:
        """``reload_module`` under the time limit."""
        outcome: Outcome | None = None
        armed = None
        try:
            with self._limit.running(module.__name__) as armed:
                outcome = reload_module(
                    module,
                    source,
                    str(path),
                    require=self.require,
                    full=full,
                    upstream=upstream,
                    script=module.__name__ == "__main__",
                )
        except ReloadTimeout as exc:
            # It came after the engine returned (the reload stands), or out
            # of the engine's own error handling, after its rollback.
            if outcome is None:
                outcome = Outcome(ok=False, error=exc)
        if armed is not None and isinstance(outcome.error, ReloadTimeout):
            outcome.traceback = self._timed_out(outcome.error, armed.reason)
        return outcome

    def _timed_out(self, exc: ReloadTimeout, reason: str) -> str:
        """Give ``exc`` its message (why, and where the code was); its traceback."""
        message = reason if exc.args == ReloadTimeout().args else str(exc)
        where = user_location(exc.__traceback__, self._is_user_file)
        if where and "it was running" not in message:
            message += f"; it was running {where}"
        exc.args = (message,)
        return format_user_traceback(exc)

    def _is_user_file(self, filename: str) -> bool:
        """Whether the time limit may interrupt code of ``filename``."""
        return self._root_of(Path(filename)) is not None

    def _rebind(self, name: str, replaced: dict[str, tuple[object, object]]) -> int:
        """Rebind aliases of ``name``'s replaced values, following re-exports."""
        count = 0
        pending = [(name, replaced)]
        seen = {name}
        while pending:
            module, pairs = pending.pop()
            for ns, bound, attr in self._registry.bindings(module):
                pair = pairs.get(attr)
                if pair is None or ns.get(bound, _MISSING) is not pair[0]:
                    continue
                ns[bound] = pair[1]
                count += 1
                owner = ns.get("__name__")
                if (
                    isinstance(owner, str)
                    and owner in self._known
                    and owner not in seen
                ):
                    seen.add(owner)
                    pending.append((owner, {bound: pair}))
        return count

    def _static_imports(self, name: str, path: Path, source: bytes) -> set[str]:
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        try:
            return static_imports(source, package)
        except (MemoryError, RecursionError, ValueError, SyntaxError):
            return set()  # a source the parser cannot take imports nothing known

    def _gone(
        self, name: str, path: Path, exc: OSError | None, trigger: Trigger
    ) -> ReloadEvent:
        error = exc or FileNotFoundError(f"{path} was deleted")
        return ReloadEvent(
            module=name,
            path=path,
            ok=False,
            trigger=trigger,
            warnings=("the file is gone; the loaded version stays live",),
            error=error,
            time=time.time(),
        )

    def _first_import(
        self, name: str, path: Path, trigger: Trigger
    ) -> ReloadEvent | None:
        start = time.perf_counter()
        armed = None
        try:
            with self._limit.running(name) as armed:
                module = self._import_by_name(name)
        except BaseException as exc:
            if is_interrupt(exc):
                raise
            if armed is not None and isinstance(exc, ReloadTimeout):
                text = self._timed_out(exc, armed.reason)
            else:
                text = format_user_traceback(exc)
            event = ReloadEvent(
                module=name,
                path=path,
                ok=False,
                trigger=trigger,
                duration=time.perf_counter() - start,
                error=exc,
                traceback=text,
                time=time.time(),
            )
            self._failures[name] = event
            return event
        had_failed = self._failures.pop(name, None) is not None
        if not had_failed:
            return None  # a plain first import is not an event
        public = tuple(k for k in vars(module) if not k.startswith("__"))
        return ReloadEvent(
            module=name,
            path=path,
            ok=True,
            trigger=trigger,
            duration=time.perf_counter() - start,
            added=public,
            time=time.time(),
        )

    def _record(self, events: Iterable[ReloadEvent]) -> None:
        with self._cond:
            for event in events:
                self._seq += 1
                self._history.append((self._seq, event))
            self._cond.notify_all()

    def _deliver(self, events: Iterable[ReloadEvent]) -> None:
        for event in events:
            for callback in list(self._subscribers):
                try:
                    callback(event)
                except Exception:
                    logger.exception("reload subscriber %r raised", callback)

    def _on_root_lost(self, root: Path) -> None:
        logger.warning(
            "root %s was deleted or moved; its modules stay loaded as they are", root
        )

    # -- modules and the import side ---------------------------------------

    def _resolve(self, target: str | os.PathLike[str]) -> tuple[str, Path]:
        """The loaded module a name or a path refers to, and its file."""
        text = os.fspath(target)
        if isinstance(target, str) and not text.endswith(".py") and os.sep not in text:
            name = target
            module = sys.modules.get(name)
            file = getattr(module, "__file__", None)
            if module is not None and file and self._root_of(Path(file)):
                self._imports.adopt(module, Path(file))
                return name, Path(file)
            if any(module_path(name, root) for root in self.roots):
                raise UnknownModuleError(name, "not imported yet")
            raise UnknownModuleError(name)
        path = Path(text).absolute()
        root = self._root_of(path)
        found = module_name(path, root) if root is not None else None
        if found is None:
            raise UnknownModuleError(text)
        if self._loaded(found, path) is None:
            raise UnknownModuleError(text, f"module {found} is not imported yet")
        return found, path

    def _root_of(self, path: Path) -> Path | None:
        return self._imports.root_of(path)

    def _names_of(self, path: Path, root: Path) -> list[str]:
        """Every name ``path`` is a module by: one per root it lies under."""
        names = [module_name(path, root)]
        names += [module_name(path, r) for r in self.roots if r != root]
        if self._main_file is not None and path == self._main_file:
            names.append("__main__")
        return [n for n in dict.fromkeys(names) if n is not None]

    def _loaded(self, name: str, path: Path) -> types.ModuleType | None:
        return self._imports.loaded(name, path)

    def _ensure_runtime(self) -> None:
        """Get ready to run the roots' code: warn of open roots, install hooks."""
        if self._undo:
            return  # ready (and a reload stuck under the lock must not block this)
        with self._lock:
            if not self._undo:
                self._undo.append(isolate_loggers())
                for root in self.roots:
                    warn_if_world_writable(root)
                    warn_if_open(
                        root, self._filter, follow_symlinks=self.follow_symlinks
                    )
                self._undo.append(self._imports.install())
                for root in self.roots:
                    for name, path in top_level_modules(root):
                        if not self._filter(path, root):
                            continue  # excluded: never loaded, nothing to say
                        if why := shadowed_reason(name, path):
                            warn_shadowed(name, path, why)

    def _unwind(self) -> None:
        while self._undo:
            self._undo.pop()()

    def _first_run(self, module: types.ModuleType, path: Path) -> None:
        """A module under a root starts its first run: remember its bytes."""
        try:
            data = path.read_bytes()
        except OSError:
            return
        record_source(module, data)
        digest = content_digest(data)
        self._live[path] = digest
        self._seed(path, digest)

    def _seed(self, path: Path, digest: bytes) -> None:
        watcher = self._watcher
        if watcher is not None:
            watcher.seed_digest(path, digest)

    def _is_live(self, path: Path, source: bytes, name: str) -> bool:
        """Whether ``source`` is what ``name`` already runs (and it is healthy)."""
        if name in self._stale:
            return False  # back to the live bytes after a failure: say it is fixed
        return self._live.get(path) == content_digest(source)


Reloader.__module__ = "hotreload"
for_user(Reloader._first_import.__code__)  # it imports the roots' modules by name
for_user(Reloader._import_by_name.__code__)  # and so does this, for it


_MISSING: Final = object()


def _shadowed_top(name: str, path: Path) -> str:
    """Why the top-level root module ``name`` is not loaded from ``path``, or ""."""
    if "." in name or name.startswith("__"):
        return ""  # submodules follow their package; __main__ is run, not imported
    return shadowed_reason(name, path) or ""


def _held_here(lock: object) -> bool:
    """Whether this thread holds the reentrant ``lock``."""
    is_owned = getattr(lock, "_is_owned", None)
    return bool(is_owned()) if callable(is_owned) else False
