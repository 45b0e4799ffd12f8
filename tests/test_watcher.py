"""A real Watcher on a temporary root: every wait is a queue get with a failure bound.

"Nothing else arrived" is proved with a barrier, never a sleep: after the
change under test, save a second file and wait for its change. Batches are
handed out in order, so anything the first save caused would have come first.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import os
import queue
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from watchdog.events import (
    DirDeletedEvent,
    DirModifiedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
)
from watchdog.observers.api import BaseObserver, EventEmitter

from hotreload import reading, switching
from hotreload import watcher as watcher_module
from hotreload.filters import PathFilter
from hotreload.watcher import Change, Watcher, default_polling
from tests.conftest import write_atomic, write_in_place

TIMEOUT = 5.0  # a failure bound, not a delay: happy paths return at once
_versions = itertools.count(1)


def version(tag: str = "v") -> bytes:
    """Fresh source bytes. Each has a new length: a polling snapshot compares
    size and mtime, and mtime can be a few milliseconds coarse."""
    n = next(_versions)
    return f"VALUE = {tag!r}  # {n}\n{'#' * n}\n".encode()


class Recorder:
    """The ``on_batch`` and ``on_root_lost`` callbacks of a watcher under test."""

    def __init__(self) -> None:
        self.changes: queue.Queue[Change] = queue.Queue()
        self.batches: queue.Queue[list[Change]] = queue.Queue()
        self.lost: queue.Queue[Path] = queue.Queue()

    def on_batch(self, changes: list[Change]) -> None:
        self.batches.put(changes)
        for change in changes:
            self.changes.put(change)

    def on_root_lost(self, root: Path) -> None:
        self.lost.put(root)

    def until(self, path: Path) -> list[Change]:
        """Every change up to and including the next one for ``path``."""
        seen: list[Change] = []
        while True:
            change = self.changes.get(timeout=TIMEOUT)
            seen.append(change)
            if change.path == path:
                return seen

    def collect(self, paths: set[Path]) -> set[tuple[Path, bytes | None]]:
        """Changes until each of ``paths`` has been seen, as (path, source) pairs."""
        seen: set[tuple[Path, bytes | None]] = set()
        while not paths <= {path for path, _ in seen}:
            change = self.changes.get(timeout=TIMEOUT)
            seen.add((change.path, change.source))
        return seen

    def barrier(self, root: Path) -> list[Change]:
        """Save a barrier module; return everything that arrived before its change."""
        path = root / "zz_barrier.py"
        write_atomic(path, version("barrier"))
        seen = self.until(path)
        return seen[:-1]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    return root.resolve()


@pytest.fixture(params=[False, True], ids=["native", "polling"])
def polling(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


MakeWatcher = Callable[..., Watcher]


@pytest.fixture
def make_watcher(root: Path, rec: Recorder, polling: bool) -> Iterator[MakeWatcher]:
    """Build and start watchers on ``root``; all are stopped at teardown."""
    started: list[Watcher] = []

    def make(**kwargs: Any) -> Watcher:
        kwargs.setdefault("polling", polling)
        kwargs.setdefault("on_root_lost", rec.on_root_lost)
        watcher = Watcher([kwargs.pop("root", root)], rec.on_batch, **kwargs)
        started.append(watcher)
        watcher.start()
        return watcher

    yield make
    for watcher in started:
        watcher.stop()


@pytest.fixture
def watcher(make_watcher: MakeWatcher) -> Watcher:
    return make_watcher()


def seeded(make_watcher: MakeWatcher, path: Path, data: bytes) -> Path:
    """Write ``path``, start a watcher and declare the bytes live, as the Reloader
    does after importing. The file exists first: a polling snapshot must know it
    (a file created and deleted between two polls is never seen)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    make_watcher().seed(path, data)
    return path


# -- save styles ----------------------------------------------------------------------


def save_in_place(path: Path, data: bytes) -> None:
    write_in_place(path, data)


def save_atomic(path: Path, data: bytes) -> None:
    write_atomic(path, data)  # ".x.py.<pid>.tmp" renamed over


def save_visible_tmp(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def save_tempfile_style(path: Path, data: bytes) -> None:
    # tempfile.NamedTemporaryFile(suffix=".py") names: a valid module name,
    # so only its fleeting life keeps it from being reported.
    tmp = path.with_name("tmpab12.py")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def save_vim(path: Path, data: bytes) -> None:
    # vim's default 'backupcopy=auto' on a plain file: probe the directory
    # with "4913", rename the original to the backup, write a new file.
    probe = path.with_name("4913")
    probe.write_bytes(b"")
    probe.unlink()
    backup = path.with_name(path.name + "~")
    os.rename(path, backup)
    with open(path, "wb") as fh:
        fh.write(data)
    backup.unlink()


def save_jetbrains(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + "___jb_tmp___")
    old = path.with_name(path.name + "___jb_old___")
    tmp.write_bytes(data)
    os.rename(path, old)
    os.rename(tmp, path)
    old.unlink()


SAVE_STYLES = {
    "in_place": save_in_place,
    "atomic": save_atomic,
    "visible_tmp": save_visible_tmp,
    "tempfile": save_tempfile_style,
    "vim": save_vim,
    "jetbrains": save_jetbrains,
}


@pytest.fixture(params=sorted(SAVE_STYLES))
def save(request: pytest.FixtureRequest) -> Callable[[Path, bytes], None]:
    return SAVE_STYLES[request.param]


def test_each_save_style_lands_exactly_once(
    make_watcher: MakeWatcher,
    rec: Recorder,
    root: Path,
    save: Callable[[Path, bytes], None],
) -> None:
    x = seeded(make_watcher, root / "x.py", version("old"))
    new = version("new")
    save(x, new)
    assert rec.until(x) == [Change(x, root, new)]
    assert rec.barrier(root) == []  # no second change, no temp file


def test_save_of_a_module_in_a_package(
    make_watcher: MakeWatcher, rec: Recorder, root: Path
) -> None:
    m = seeded(make_watcher, root / "pkg" / "sub" / "m.py", version())
    new = version()
    save_vim(m, new)
    assert rec.until(m) == [Change(m, root, new)]


def test_a_new_module_is_reported(watcher: Watcher, rec: Recorder, root: Path) -> None:
    data = version()
    write_atomic(root / "fresh.py", data)
    assert rec.until(root / "fresh.py") == [Change(root / "fresh.py", root, data)]


@pytest.mark.parametrize("writer", [save_in_place, save_atomic])
def test_emptying_a_module_is_a_change(
    make_watcher: MakeWatcher,
    rec: Recorder,
    root: Path,
    writer: Callable[[Path, bytes], None],
) -> None:
    # An empty read is looked at twice (it may be an in-place save caught
    # mid-truncation), but a module emptied on purpose still lands, once.
    x = seeded(make_watcher, root / "x.py", version())
    writer(x, b"")
    assert rec.until(x) == [Change(x, root, b"")]
    assert rec.barrier(root) == []


# -- unchanged content -------------------------------------------------------------------


@pytest.mark.parametrize("writer", [save_in_place, save_atomic])
def test_same_bytes_as_seeded_are_no_change(
    make_watcher: MakeWatcher,
    rec: Recorder,
    root: Path,
    writer: Callable[[Path, bytes], None],
) -> None:
    data = version()
    x = seeded(make_watcher, root / "x.py", data)
    writer(x, data)
    assert rec.barrier(root) == []


def test_saving_twice_gives_one_change(
    watcher: Watcher, rec: Recorder, root: Path
) -> None:
    x = root / "x.py"
    data = version()
    write_atomic(x, data)
    assert rec.until(x) == [Change(x, root, data)]
    write_in_place(x, data)  # editors often write the same bytes again
    assert rec.barrier(root) == []


def test_touch_is_no_change(
    make_watcher: MakeWatcher, rec: Recorder, root: Path
) -> None:
    x = seeded(make_watcher, root / "x.py", version())
    os.utime(x)
    with open(x, "ab"):
        pass
    assert rec.barrier(root) == []


# -- deletion ----------------------------------------------------------------------------


def test_deleting_a_seeded_file_gives_none(
    make_watcher: MakeWatcher, rec: Recorder, root: Path
) -> None:
    data = version()
    x = seeded(make_watcher, root / "x.py", data)
    x.unlink()
    assert rec.until(x) == [Change(x, root, None)]
    # Forgotten on delete: the same bytes again are a change (a new module).
    write_atomic(x, data)
    assert rec.until(x) == [Change(x, root, data)]


def test_deleting_a_reported_file_gives_none(
    watcher: Watcher, rec: Recorder, root: Path
) -> None:
    x = root / "x.py"
    write_atomic(x, version())
    rec.until(x)
    x.unlink()
    assert rec.until(x) == [Change(x, root, None)]


def test_deleting_an_unknown_file_is_nobodys_business(
    root: Path, make_watcher: MakeWatcher, rec: Recorder
) -> None:
    (root / "y.py").write_bytes(version())  # exists, but never seeded nor reported
    make_watcher()
    (root / "y.py").unlink()
    assert rec.barrier(root) == []


def test_moving_a_package_out_of_the_root_reports_its_known_files(
    make_watcher: MakeWatcher, rec: Recorder, root: Path, tmp_path: Path
) -> None:
    init, mod = root / "pkg" / "__init__.py", root / "pkg" / "m.py"
    init.parent.mkdir()
    for path in (init, mod):
        path.write_bytes(version())
    watcher = make_watcher()
    for path in (init, mod):
        watcher.seed(path, path.read_bytes())
    os.rename(root / "pkg", tmp_path / "elsewhere")
    assert rec.collect({init, mod}) == {(init, None), (mod, None)}


# -- ignored files -----------------------------------------------------------------------


def test_editor_debris_is_never_reported(
    watcher: Watcher, rec: Recorder, root: Path
) -> None:
    for rel in [
        "x.py.swp",
        ".x.py.swx",
        "x.py~",
        "4913",
        ".#x.py",
        "x.py___jb_tmp___",
        "x.py___jb_old___",
        "x.py.tmp",
        "notes.txt",
        ".hidden.py",
        "__pycache__/x.py",
        ".venv/lib/x.py",
    ]:
        write_in_place(root / rel, version())
    assert rec.barrier(root) == []


def test_exclude_globs_are_honoured(
    root: Path, make_watcher: MakeWatcher, rec: Recorder
) -> None:
    make_watcher(path_filter=PathFilter(exclude=["build", "gen_*.py"]))
    write_atomic(root / "build" / "x.py", version())
    write_atomic(root / "gen_a.py", version())
    assert rec.barrier(root) == []


@pytest.mark.parametrize("follow", [False, True])
def test_symlinked_directory_outside_the_root(
    root: Path, tmp_path: Path, make_watcher: MakeWatcher, rec: Recorder, follow: bool
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "ext").symlink_to(outside, target_is_directory=True)
    make_watcher(follow_symlinks=follow)
    data = version()
    write_atomic(outside / "m.py", data)
    if follow:
        link_path = root / "ext" / "m.py"
        assert rec.until(link_path) == [Change(link_path, root, data)]
    else:
        assert rec.barrier(root) == []


# -- bursts -------------------------------------------------------------------------------


@pytest.mark.parametrize("writer", [save_in_place, save_atomic])
def test_rapid_saves_end_with_the_final_content(
    make_watcher: MakeWatcher,
    rec: Recorder,
    root: Path,
    writer: Callable[[Path, bytes], None],
) -> None:
    x = seeded(make_watcher, root / "x.py", version())
    saves = [version(f"save {i}") for i in range(20)]
    for data in saves:
        writer(x, data)
    delivered: list[bytes | None] = []
    while not delivered or delivered[-1] != saves[-1]:
        delivered += [c.source for c in rec.until(x) if c.path == x]
    assert set(delivered) <= set(saves)  # never a half-written read
    assert rec.barrier(root) == []  # and nothing after the final content


def test_files_saved_together_come_as_one_batch_in_order(
    make_watcher: MakeWatcher, rec: Recorder, root: Path, polling: bool
) -> None:
    make_watcher(debounce=0.2)  # generous, so a busy machine cannot split it
    paths = [root / "b.py", root / "a.py", root / "c.py"]
    for path in paths:
        write_atomic(path, version())
    batch = rec.batches.get(timeout=TIMEOUT)
    got = [c.path for c in batch]
    # A polling snapshot diff carries no order; native events do.
    assert (sorted(got) if polling else got) == (sorted(paths) if polling else paths)


# -- roots ---------------------------------------------------------------------------------


def test_deleting_the_root_calls_on_root_lost_once(
    make_watcher: MakeWatcher, rec: Recorder, root: Path
) -> None:
    x = root / "pkg" / "x.py"
    x.parent.mkdir()
    x.write_bytes(b"x = 1\n")
    watcher = make_watcher()
    watcher.seed(x, b"x = 1\n")
    shutil.rmtree(root)
    assert rec.lost.get(timeout=TIMEOUT) == root
    watcher.stop()  # joins the applier: any second report would be queued by now
    assert rec.lost.empty()


def test_moving_the_root_away_calls_on_root_lost(
    watcher: Watcher, rec: Recorder, root: Path, tmp_path: Path
) -> None:
    os.rename(root, tmp_path / "moved")
    assert rec.lost.get(timeout=TIMEOUT) == root


def test_a_moved_away_root_reports_nothing_from_where_it_went(
    rec: Recorder, tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    data = version()
    (a / "x.py").write_bytes(data)
    with Watcher([a, b], rec.on_batch, on_root_lost=rec.on_root_lost) as watcher:
        watcher.seed(a / "x.py", data)  # loaded, as far as it knows
        moved = tmp_path / "moved"
        os.rename(a, moved)
        assert rec.lost.get(timeout=TIMEOUT) == a
        write_in_place(moved / "x.py", version())  # its watch followed it there
        # Two barriers: a file that reads as missing is read once more a
        # debounce later, after the first barrier's batch perhaps.
        assert rec.barrier(b) + rec.barrier(b) == []


# -- lifecycle and robustness ------------------------------------------------------------


def test_backend_name_and_idempotent_stop(
    root: Path, rec: Recorder, polling: bool
) -> None:
    watcher = Watcher([root], rec.on_batch, polling=polling)
    assert watcher.backend == "stopped"
    watcher.stop()  # safe when never started
    with watcher:
        assert watcher.backend == ("polling" if polling else "inotify")
        with pytest.raises(RuntimeError, match="already started"):
            watcher.start()
    assert watcher.backend == "stopped"
    watcher.stop()
    watcher.stop()


def test_env_var_forces_polling(
    root: Path, rec: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTRELOAD_FORCE_POLLING", "1")
    assert default_polling()
    with Watcher([root], rec.on_batch) as watcher:
        assert watcher.backend == "polling"
    for value in ("", "0", "no"):
        monkeypatch.setenv("HOTRELOAD_FORCE_POLLING", value)
        assert not default_polling()


def test_start_on_a_missing_root_raises_and_leaks_nothing(
    tmp_path: Path, rec: Recorder
) -> None:
    watcher = Watcher([tmp_path / "gone"], rec.on_batch)
    with pytest.raises(FileNotFoundError):
        watcher.start()
    assert watcher.backend == "stopped"
    watcher.stop()


def test_restart_after_stop(root: Path, rec: Recorder) -> None:
    watcher = Watcher([root], rec.on_batch)
    watcher.start()
    watcher.stop()
    with watcher:
        data = version()
        write_atomic(root / "x.py", data)
        assert rec.until(root / "x.py") == [Change(root / "x.py", root, data)]


def test_a_failing_on_batch_is_logged_and_the_watcher_carries_on(
    root: Path, rec: Recorder, caplog: pytest.LogCaptureFixture, polling: bool
) -> None:
    failed: queue.Queue[None] = queue.Queue()
    calls = itertools.count()

    def on_batch(changes: list[Change]) -> None:
        if next(calls) == 0:
            failed.put(None)
            raise RuntimeError("subscriber bug")
        rec.on_batch(changes)

    with Watcher([root], on_batch, polling=polling):
        write_atomic(root / "a.py", version())
        failed.get(timeout=TIMEOUT)
        data = version()
        write_atomic(root / "b.py", data)
        changes = rec.until(root / "b.py")
    assert changes[-1] == Change(root / "b.py", root, data)
    assert "subscriber bug" in caplog.text


def test_stop_from_inside_on_batch(root: Path) -> None:
    done: queue.Queue[None] = queue.Queue()

    def on_batch(changes: list[Change]) -> None:
        stopping.stop()  # must not try to join its own thread
        done.put(None)

    stopping = Watcher([root], on_batch)
    stopping.start()
    try:
        write_atomic(root / "x.py", version())
        done.get(timeout=TIMEOUT)
        assert stopping.backend == "stopped"
    finally:
        stopping.stop()  # joins the thread that stopped itself


def test_unreadable_file_is_one_line_and_applied_once_readable(
    watcher: Watcher,
    rec: Recorder,
    root: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_read = reading.read_stable
    x = root / "x.py"
    refused = True

    def read(path: Path, quiet_ns: int, root: Path | None = None) -> tuple[bytes, Any]:
        if path == x and refused:  # chmod 0 cannot stop root, so fake the refusal
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path, quiet_ns, root)

    monkeypatch.setattr(watcher_module, "read_stable", read)
    data = version()
    write_atomic(x, data)
    write_atomic(root / "y.py", version())
    assert [c.path for c in rec.until(root / "y.py")] == [root / "y.py"]
    lines = [r for r in caplog.records if str(x) in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None
    assert "cannot be read (Permission denied)" in lines[0].getMessage()
    refused = False
    os.chmod(x, 0o644)  # readable again: an attrib event, nothing written
    assert rec.until(x) == [Change(x, root, data)]


# -- event mapping, driven through a scripted observer ------------------------------------


class _SilentEmitter(EventEmitter):
    def queue_events(self, timeout: float) -> None:
        self.stopped_event.wait(timeout)


class ScriptedObserver(BaseObserver):
    """A real watchdog dispatcher whose events come from the test."""

    def __init__(self) -> None:
        super().__init__(_SilentEmitter, timeout=0.05)

    def inject(self, *events: FileSystemEvent) -> None:
        (watch,) = self._watches
        for event in events:
            self.event_queue.put((event, watch))
        self.event_queue.join()  # returns once the handler has seen them all


class InotifyObserver(ScriptedObserver):
    """Named like the real one, so the watcher waits for close events."""


class FrozenClock:
    def __call__(self) -> float:
        return 0.0  # the batch never comes due: pending() shows what was recorded


@pytest.fixture
def scripted(root: Path, rec: Recorder) -> Iterator[tuple[Watcher, ScriptedObserver]]:
    observer = InotifyObserver()
    watcher = Watcher(
        [root],
        rec.on_batch,
        observer_factory=lambda: observer,
        on_root_lost=rec.on_root_lost,
        clock=FrozenClock(),
        debounce=1.0,
    )
    watcher.start()
    yield watcher, observer
    watcher.stop()


def test_event_mapping(scripted: tuple[Watcher, ScriptedObserver], root: Path) -> None:
    watcher, observer = scripted
    assert watcher.backend == "inotify"
    p = str(root)
    observer.inject(
        FileModifiedEvent(f"{p}/a.py"),
        FileCreatedEvent(f"{p}/4913"),
        FileDeletedEvent(f"{p}/4913"),
        FileMovedEvent(f"{p}/b.py", f"{p}/b.py~"),  # vim renames the module away
        FileMovedEvent(f"{p}/.c.py.tmp", f"{p}/c.py"),  # an atomic save
        FileClosedEvent(f"{p}/d.py"),
        FileDeletedEvent(f"{p}/e.py"),
        FileMovedEvent(
            os.fsencode(f"{p}/f.py"), os.fsencode(f"{p}/g.py")
        ),  # bytes paths
        DirModifiedEvent(p),
        FileCreatedEvent(f"{p}/../outside.py"),
    )
    names = [path.name for path in watcher.pending()]
    assert names == ["a.py", "b.py", "c.py", "d.py", "e.py", "f.py", "g.py"]


def test_deleted_subdirectory_reports_known_files_only(
    scripted: tuple[Watcher, ScriptedObserver], root: Path
) -> None:
    watcher, observer = scripted
    watcher.seed(root / "pkg" / "m.py", b"x")
    watcher.seed(root / "other.py", b"y")
    observer.inject(DirDeletedEvent(str(root / "pkg")))
    assert watcher.pending() == [root / "pkg" / "m.py"]


def test_root_deleted_event_is_reported_once(
    scripted: tuple[Watcher, ScriptedObserver], root: Path, rec: Recorder
) -> None:
    watcher, observer = scripted
    observer.inject(DirDeletedEvent(str(root)), DirModifiedEvent(str(root.parent)))
    observer.inject(DirDeletedEvent(str(root)))
    assert rec.lost.get(timeout=TIMEOUT) == root
    watcher.stop()  # joins the applier: a second report would be queued by now
    assert rec.lost.empty()


def test_handler_errors_never_kill_the_observer_thread(
    scripted: tuple[Watcher, ScriptedObserver],
    root: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    watcher, observer = scripted
    with caplog.at_level(logging.ERROR, logger="hotreload.watcher"):
        observer.inject(FileModifiedEvent(123))  # type: ignore[arg-type]
        observer.inject(FileModifiedEvent(str(root / "a.py")))
    assert "could not record" in caplog.text
    assert watcher.pending() == [root / "a.py"]


def test_a_file_changing_while_read_is_read_again(
    make_watcher: MakeWatcher,
    rec: Recorder,
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_read = reading.read_stable
    attempts = itertools.count()

    def read(path: Path, quiet_ns: int, root: Path | None = None) -> tuple[bytes, Any]:
        if next(attempts) == 0:  # as if a writer struck between fstat and stat
            raise reading.Unstable(path)
        return real_read(path, quiet_ns, root)

    monkeypatch.setattr(watcher_module, "read_stable", read)
    make_watcher()
    data = version()
    write_atomic(root / "x.py", data)
    assert rec.until(root / "x.py") == [Change(root / "x.py", root, data)]
    assert rec.barrier(root) == []


def test_a_module_changing_during_the_read_joins_the_batch(
    root: Path, rec: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A branch switch whose events pause for longer than the debounce: the
    # files recorded while the first part is read belong to the same batch.
    real_read = reading.read_stable
    x, y = root / "x.py", root / "y.py"
    later = version()

    def read(path: Path, quiet_ns: int, root: Path | None = None) -> tuple[bytes, Any]:
        if path == x and not y.exists():
            write_atomic(y, later)  # its events come before our read's echo
        return real_read(path, quiet_ns, root)

    monkeypatch.setattr(watcher_module, "read_stable", read)
    with Watcher([root], rec.on_batch, debounce=0.01) as watcher:
        if watcher.backend != "inotify":
            pytest.skip("only inotify reports the echoes of our reads")
        data = version()
        write_atomic(x, data)
        batch = rec.batches.get(timeout=TIMEOUT)
    assert batch == [Change(x, root, data), Change(y, root, later)]


def test_a_module_read_half_way_through_a_vim_save_is_not_deleted(
    root: Path, rec: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_read = reading.read_stable
    x, backup = root / "x.py", root / "x.py~"
    final = version()

    def read(path: Path, quiet_ns: int, root: Path | None = None) -> tuple[bytes, Any]:
        if path != x or backup.exists():
            return real_read(path, quiet_ns, root)
        os.replace(x, backup)  # vim renames the module away...
        try:
            return real_read(path, quiet_ns, root)  # ...we look just then...
        finally:
            x.write_bytes(final)  # ...and the new file lands

    monkeypatch.setattr(watcher_module, "read_stable", read)
    first = version()
    x.write_bytes(first)
    with Watcher([root], rec.on_batch) as watcher:
        watcher.seed(x, first)
        write_atomic(x, version())
        assert rec.until(x) == [Change(x, root, final)]


# -- faults: what cannot be read, and late events ------------------------------------


@pytest.mark.timeout(60)
def test_a_fifo_named_like_a_module_is_skipped_with_one_line(
    watcher: Watcher, rec: Recorder, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fifo = root / "pipe.py"
    os.mkfifo(fifo)  # an open() for reading would wait for a writer forever
    os.utime(fifo)  # its event again, for a polling snapshot
    write_atomic(root / "y.py", version())
    assert [c.path for c in rec.until(root / "y.py")] == [root / "y.py"]
    rec.barrier(root)
    lines = [r for r in caplog.records if str(fifo) in r.getMessage()]
    assert len(lines) == 1 and "not a regular file" in lines[0].getMessage()


def test_late_events_of_the_save_just_read_do_not_hold_it_back(
    root: Path, rec: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Busy threads delay watchdog's events: each read meets the last save's
    own late events. Throwing the read away for them meant a steady stream of
    saves was never applied; the file's unchanged stat proves the read."""
    real_read = reading.read_stable
    x = root / "x.py"
    holder: list[Watcher] = []

    def read(path: Path, quiet_ns: int, root: Path | None = None) -> tuple[bytes, Any]:
        result = real_read(path, quiet_ns, root)
        watcher = holder[0]
        with watcher._cond:  # a late "closed" of the save just read
            watcher._batcher.add(path, final=True)
        return result

    monkeypatch.setattr(watcher_module, "read_stable", read)
    with Watcher([root], rec.on_batch) as watcher:
        holder.append(watcher)
        data = version()
        write_atomic(x, data)
        assert rec.until(x) == [Change(x, root, data)]


def test_the_switch_interval_is_short_while_watching_and_restored(root: Path) -> None:
    before = sys.getswitchinterval()
    with Watcher([root], lambda changes: None):
        assert sys.getswitchinterval() == switching.BOOST_INTERVAL
    assert sys.getswitchinterval() == before


def test_the_switch_interval_is_shortest_while_a_change_is_applied(root: Path) -> None:
    seen: queue.Queue[float] = queue.Queue()
    with Watcher([root], lambda changes: seen.put(sys.getswitchinterval())) as watcher:
        write_atomic(root / "x.py", version())
        assert seen.get(timeout=TIMEOUT) == pytest.approx(switching.ACTIVE_INTERVAL)
        with watcher._cond:  # what the applier does once nothing is left
            remaining = watcher._switch.relax()  # the latest event was just now
            assert remaining is not None
            assert 0 < remaining <= switching.ACTIVE_GRACE
            assert sys.getswitchinterval() == pytest.approx(switching.ACTIVE_INTERVAL)
            watcher._switch.expire_grace()
            assert watcher._switch.relax() is None
            assert sys.getswitchinterval() == switching.BOOST_INTERVAL
            watcher._switch.quicken()  # what each recorded event does
            assert sys.getswitchinterval() == pytest.approx(switching.ACTIVE_INTERVAL)


def test_a_batch_is_pending_until_it_is_handed_over(root: Path) -> None:
    # Reloader.pending_paths() (the REPL's count, the kernel's wait before a
    # cell) must not lose a batch between the batcher and on_batch.
    seen: queue.Queue[list[Path]] = queue.Queue()
    holder: list[Watcher] = []
    with Watcher([root], lambda changes: seen.put(holder[0].pending())) as watcher:
        holder.append(watcher)
        write_atomic(root / "x.py", version())
        assert seen.get(timeout=TIMEOUT) == [root / "x.py"]


def test_a_link_out_of_the_root_is_not_read(
    tmp_path: Path, root: Path, rec: Recorder
) -> None:
    outside = tmp_path / "outside.py"
    outside.write_bytes(b"SECRET = 1\n")
    with Watcher([root], rec.on_batch):
        (root / "link.py").symlink_to(outside)
        os.utime(root / "link.py", follow_symlinks=False)
        write_atomic(root / "y.py", version())
        assert [c.path for c in rec.until(root / "y.py")] == [root / "y.py"]


_FLOOD = """
import os, sys
flood, module, source = sys.argv[1], sys.argv[2], sys.argv[3]
for i in range(12000):  # 3 events each, over the kernel's 16384
    open(os.path.join(flood, f"f{i}.tmp"), "w").close()
with open(module, "w") as fh:  # its events are dropped
    fh.write(source)
"""


@pytest.mark.timeout(120)
def test_a_real_inotify_overflow_rescans_and_applies_what_changed(
    root: Path, rec: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    limit = Path("/proc/sys/fs/inotify/max_queued_events")
    if not limit.exists() or int(limit.read_text()) > 16384:
        pytest.skip("needs Linux inotify with the default queue size")
    x = root / "x.py"
    x.write_bytes(b"V = 1\n")
    (root / "flood").mkdir()  # watched from the start: no event needs reading
    with Watcher([root], rec.on_batch) as watcher:
        if watcher.backend != "inotify":
            pytest.skip("only inotify overflows")
        watcher.seed(x, b"V = 1\n")
        writer = subprocess.Popen(
            [sys.executable, "-c", _FLOOD, str(root / "flood"), str(x), "V = 2\n"]
        )
        # Keep watchdog's reader thread from draining the kernel queue: a C
        # call made through PyDLL holds the GIL until the writer is done.
        ctypes.PyDLL(None).usleep(3_000_000)  # the writer needs well under 1 s
        assert writer.wait() == 0
        assert rec.until(x) == [Change(x, root, b"V = 2\n")]
    lines = [r.getMessage() for r in caplog.records if "overflow" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("the OS dropped file events")


def test_a_writer_slowed_down_after_its_truncation_is_not_read_as_empty(
    root: Path, rec: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Busy threads keep an in-place writer between truncate and write for
    longer than one quiet period; the module must not be reloaded empty."""
    real_read = reading.read_stable
    x = root / "x.py"
    empty_reads = itertools.count()

    def read(path: Path, quiet_ns: int, root: Path | None = None) -> tuple[bytes, Any]:
        data, key = real_read(path, quiet_ns, root)
        if path == x and next(empty_reads) < 3:
            return b"", key  # the truncated file, three looks in a row
        return data, key

    monkeypatch.setattr(watcher_module, "read_stable", read)
    with Watcher([root], rec.on_batch, debounce=0.01):
        data = version()
        write_atomic(x, data)
        assert rec.until(x) == [Change(x, root, data)]
