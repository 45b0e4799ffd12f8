"""``Reloader`` with a real watcher: save styles, batches, waiting, bad input.

Every wait is on an event with a timeout that bounds failure; "nothing
happened" is proven with a barrier: a second module is edited and its event
awaited, and events arrive in order.
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotreload import Reloader, ReloadError, ReloadEvent
from hotreload.errors import HotreloadWarning, RootError, UnknownModuleError
from hotreload.watcher import Change
from tests.conftest import Mods, write_atomic, write_in_place

TIMEOUT = 10


@pytest.fixture(params=[False, True], ids=["native", "polling"])
def polling(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def started(mods: Mods) -> Iterator[Reloader]:
    with Reloader(mods.root) as reloader:
        yield reloader


def next_event(reloader: Reloader, module: str | None = None) -> ReloadEvent:
    event = reloader.wait(timeout=TIMEOUT)
    assert event is not None, "no reload event before the timeout"
    if module is not None:
        assert event.module == module, event
    return event


def barrier(reloader: Reloader, mods: Mods) -> None:
    """Edit a fresh module and wait for it: nothing else came before it."""
    name = mods.name("barrier")
    if name not in sys.modules:
        mods.write(name, "N = 0\n")
        importlib.import_module(name)
    n = sys.modules[name].N + 1
    mods.write(name, f"N = {n}\n")
    event = next_event(reloader)
    assert event.module == name, f"unexpected event before the barrier: {event}"


def test_save_then_call_sees_new_code(mods, polling):
    name = mods.name("greet")
    mods.write(name, "def hello():\n    return 'v1'\n")
    with Reloader(mods.root, polling=polling) as rl:
        m = importlib.import_module(name)
        ns: dict = {}
        rl.track(ns)
        exec(f"from {name} import hello", ns)
        mods.write(name, "def hello():\n    return 'v2'\n")
        event = next_event(rl, name)
        assert event.ok and event.trigger == "file"
        assert m.hello() == "v2" and ns["hello"]() == "v2"
        assert rl.backend == ("polling" if polling else "inotify")


def _vim_save(path: Path, data: bytes) -> None:
    probe = path.with_name("4913")
    probe.write_bytes(b"")
    probe.unlink()
    backup = path.with_name(path.name + "~")
    os.replace(path, backup)
    path.write_bytes(data)
    backup.unlink()


def _jetbrains_save(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + "___jb_tmp___")
    old = path.with_name(path.name + "___jb_old___")
    tmp.write_bytes(data)
    os.replace(path, old)
    os.replace(tmp, path)
    old.unlink()


SAVES = {
    "in_place": write_in_place,
    "temp_rename": write_atomic,
    "vim": _vim_save,
    "jetbrains": _jetbrains_save,
}


@pytest.mark.parametrize("style", sorted(SAVES))
def test_each_save_style_reloads_exactly_once(mods, started, style):
    name = mods.name("mod")
    path = mods.write(name, "def f():\n    return 1\n")
    m = importlib.import_module(name)
    SAVES[style](path, b"def f():\n    return 2\n")
    event = next_event(started, name)
    assert event.ok and m.f() == 2
    barrier(started, mods)


def test_twenty_rapid_saves_end_with_the_final_content(mods, started):
    name = mods.name("mod")
    path = mods.write(name, "V = 0\n")
    m = importlib.import_module(name)
    for i in range(1, 21):
        write_in_place(path, f"V = {i}\n")
    while m.V != 20:
        event = next_event(started, name)
        assert event.ok, event.traceback
    barrier(started, mods)


def test_same_bytes_save_is_not_a_reload(mods, started):
    name = mods.name("mod")
    path = mods.write(name, "V = 1\n")
    importlib.import_module(name)
    write_in_place(path, "V = 1\n")
    path.touch()
    barrier(started, mods)


def test_late_change_with_the_imported_bytes_is_not_a_reload(mods):
    # The watcher can read a new file before its first import and hand the
    # change over after it: those bytes are what runs, so there is no reload.
    name = mods.name("mod")
    path = mods.write(name, "V = 1\n")
    with Reloader(mods.root, apply="manual") as rl:
        importlib.import_module(name)
        rl._on_batch([Change(path, mods.root, path.read_bytes())])
        assert rl.apply_pending() == []
        rl._on_batch([Change(path, mods.root, b"V = 2\n")])
        [event] = rl.apply_pending()
        assert event.ok and sys.modules[name].V == 2


def test_no_reload_runs_beside_a_first_import(mods):
    # The REPL's import_all (main thread) can still be running a module when
    # the watcher hands over the change that created its file.
    name = mods.name("mod")
    path = mods.write(name, "V = 1\n")
    with Reloader(mods.root, apply="manual") as rl:
        module = importlib.import_module(name)
        spec: Any = module.__spec__
        spec._initializing = True  # as importlib marks it meanwhile
        try:
            rl._on_batch([Change(path, mods.root, b"V = 2\n")])
            assert rl.apply_pending() == [] and module.V == 1
        finally:
            spec._initializing = False


def test_reverting_a_broken_save_reloads_and_clears_the_failure(mods, started):
    name = mods.name("mod")
    path = mods.write(name, "V = 1\n")
    importlib.import_module(name)
    write_atomic(path, "V = (\n")
    assert not next_event(started, name).ok
    write_atomic(path, "V = 1\n")  # the live bytes again
    event = next_event(started, name)
    assert event.ok and event.updated == ()


def test_temp_files_and_excluded_paths_are_never_executed(mods):
    (mods.root / "scratch").mkdir()
    with Reloader(mods.root, exclude=["scratch/*"]) as rl:
        (mods.root / "scratch" / "boom.py").write_text("raise SystemExit(3)\n")
        (mods.root / "x.py___jb_tmp___").write_text("raise SystemExit(3)\n")
        (mods.root / ".hidden.py").write_text("raise SystemExit(3)\n")
        barrier(rl, mods)
        assert rl.import_all() == []


def test_burst_is_one_batch_in_dependency_order(mods):
    names = [mods.name(f"m{i:02d}") for i in range(50)]
    # m00 <- m01 <- ... each imports the one before it: a 50-deep chain.
    for i, name in enumerate(names):
        dep = f"from {names[i - 1]} import V as PREV\n" if i else "PREV = 0\n"
        mods.write(name, f"{dep}V = PREV + 1\n")
    seen: list[tuple[str, int | None]] = []
    # A long quiet period: "written together" must not depend on machine load.
    with Reloader(mods.root, debounce=1.0) as rl:
        rl.import_all()
        rl.subscribe(lambda e: seen.append((e.module, e.batch)))
        for i, name in reversed(list(enumerate(names))):
            dep = f"from {names[i - 1]} import V as PREV\n" if i else "PREV = 100\n"
            write_atomic(mods.path(name), f"{dep}V = PREV + 1\n# v2\n")
        for _ in names:
            assert next_event(rl).ok
        # Subscribers run after wait() sees an event: the barrier's own event
        # comes after every earlier event's subscribers have run.
        barrier(rl, mods)
    burst = [(module, batch) for module, batch in seen if module in names]
    assert [module for module, _ in burst] == names
    assert len({batch for _, batch in burst}) == 1
    assert sys.modules[names[-1]].V == 150


def test_cascade_reexecutes_importers(mods):
    base, user = mods.name("base"), mods.name("user")
    mods.write(base, "RATE = 2\n")
    mods.write(user, f"import {base}\nDOUBLE = {base}.RATE * 2\n")
    with Reloader(mods.root, cascade=True) as rl:
        rl.import_all()
        mods.write(base, "RATE = 5\n")
        first, second = next_event(rl), next_event(rl)
    assert (first.module, first.trigger) == (base, "file")
    assert (second.module, second.trigger) == (user, "cascade")
    assert sys.modules[user].DOUBLE == 10


def test_wait_never_misses_events_between_calls(mods):
    name = mods.name("m")
    mods.write(name, "V = 0\n")
    rl = Reloader(mods.root)
    rl.import_all()
    for i in range(3):
        mods.write(name, f"V = {i + 1}\n")
        rl.reload(name)
    assert [next_event(rl).module for _ in range(3)] == [name] * 3
    assert rl.wait(timeout=0) is None
    assert len(rl.history) == 3
    rl.stop()


def test_history_is_bounded(mods):
    from hotreload.reloader import HISTORY_SIZE

    name = mods.name("m")
    mods.write(name, "V = 0\n")
    rl = Reloader(mods.root)
    rl.import_all()
    for _ in range(HISTORY_SIZE + 20):
        rl.reload(name)
    assert len(rl.history) == HISTORY_SIZE
    rl.stop()


def test_subscribers_unsubscribe_and_raising_ones_are_skipped(mods, caplog):
    name = mods.name("m")
    mods.write(name, "V = 0\n")
    rl = Reloader(mods.root)
    rl.import_all()
    got: list[str] = []

    def bad(event: ReloadEvent) -> None:
        raise RuntimeError("subscriber bug")

    rl.subscribe(bad)
    unsubscribe = rl.subscribe(lambda e: got.append(e.module))
    with caplog.at_level(logging.ERROR, logger="hotreload"):
        rl.reload(name)
    assert got == [name]
    assert "subscriber bug" in caplog.text
    unsubscribe()
    unsubscribe()
    rl.reload(name)
    assert got == [name]
    rl.stop()


def test_paused_holds_changes_until_exit(mods, started):
    name = mods.name("m")
    mods.write(name, "V = 1\n")
    m = importlib.import_module(name)
    with started.paused():
        assert started.is_paused
        mods.write(name, "V = 2\n")
        while not started.pending_paths():
            started.wait(timeout=0.05)  # the watcher needs a moment to see it
        assert m.V == 1
    assert next_event(started, name).ok and m.V == 2


def test_manual_mode_applies_at_safe_points(mods):
    name = mods.name("m")
    mods.write(name, "V = 1\n")
    with Reloader(mods.root, apply="manual") as rl:
        m = importlib.import_module(name)
        mods.write(name, "V = 2\n")
        events: list[ReloadEvent] = []
        while not events:
            assert rl.wait(timeout=0.02) is None  # nothing applies by itself
            events = rl.apply_pending()
        assert [e.module for e in events] == [name] and m.V == 2


def test_deleted_file_keeps_module_usable(mods, started):
    name = mods.name("m")
    path = mods.write(name, "def f():\n    return 1\n")
    m = importlib.import_module(name)
    path.unlink()
    event = next_event(started, name)
    # Unloaded: gone from the listing and sys.modules, not a failure.
    assert event.ok and event.warnings[0].startswith("unloaded: ")
    assert name not in started.modules and name not in sys.modules
    assert m.f() == 1  # what the user holds keeps working
    with pytest.raises(UnknownModuleError):
        started.reload(name)


def test_deleted_root_is_reported_and_modules_stay(tmp_path, monkeypatch, caplog):
    root = tmp_path / "gone"
    root.mkdir()
    (root / "hr_gone_mod.py").write_text("V = 1\n")
    monkeypatch.syspath_prepend(str(root))
    try:
        with (
            caplog.at_level(logging.WARNING, logger="hotreload"),
            Reloader(root) as rl,
        ):
            rl.import_all()
            m = sys.modules["hr_gone_mod"]
            shutil.rmtree(root)
            event = next_event(rl, "hr_gone_mod")
            assert not event.ok and m.V == 1
            # Made again (rm -rf and regenerate): watched again, and the
            # module's new content is live (within a root check, ~1 s).
            root.mkdir()
            (root / "hr_gone_mod.py").write_text("V = 2\n")
            event = next_event(rl, "hr_gone_mod")
            assert event.ok and m.V == 2
            write_atomic(root / "hr_gone_mod.py", "V = 3\n")  # and edits land
            assert next_event(rl, "hr_gone_mod").ok and m.V == 3
        # The root notices come from the watcher thread; stop() joined it.
        assert "was deleted" in caplog.text
        assert "is back; watching it again" in caplog.text
    finally:
        sys.modules.pop("hr_gone_mod", None)


def test_sys_exit_in_a_module_is_a_failure_and_the_watcher_goes_on(mods, started):
    name = mods.name("m")
    path = mods.write(name, "V = 1\n")
    mods.write(mods.name("script"), "import sys\nCODE = sys.exit('no guard')\n")
    [failure] = started.import_all()
    assert isinstance(failure.error, SystemExit)
    write_atomic(path, "import sys\nsys.exit(3)\n")
    event = next_event(started, name)
    assert not event.ok and isinstance(event.error, SystemExit)
    assert sys.modules[name].V == 1
    barrier(started, mods)  # the watcher thread survived


def test_nested_roots_import_a_file_once_and_reload_every_copy(mods):
    inner = mods.root / mods.name("inner")  # a namespace package of the outer root
    inner.mkdir()
    name = mods.name("c")
    path = inner / f"{name}.py"
    write_atomic(path, "V = 1\n")
    outer_name = f"{inner.name}.{name}"
    with Reloader([mods.root, inner]) as rl:
        assert rl.import_all() == []
        assert name in rl.modules and outer_name not in rl.modules
        other = importlib.import_module(outer_name)  # a second copy, by hand
        write_atomic(path, "V = 2\n")
        events = [next_event(rl), next_event(rl)]
        assert sorted(e.module for e in events) == sorted([name, outer_name])
        assert sys.modules[name].V == 2 and other.V == 2


def test_broken_module_loads_once_fixed(mods, started):
    name = mods.name("m")
    mods.write(name, "raise ImportError('not yet')\n")
    failures = started.import_all()
    assert [f.module for f in failures] == [name] and failures[0].trigger == "import"
    assert name in started.import_failures
    mods.write(name, "V = 1\n")
    event = next_event(started, name)
    assert event.ok and sys.modules[name].V == 1
    assert name not in started.import_failures


def test_reload_unknown_module_and_bad_roots(mods, tmp_path):
    rl = Reloader(mods.root)
    with pytest.raises(UnknownModuleError, match="no.such"):
        rl.reload("no.such")
    name = mods.name("later")
    mods.write(name, "V = 1\n")
    with pytest.raises(UnknownModuleError, match="not imported yet"):
        rl.reload(name)
    with pytest.raises(ReloadError):
        rl.reload(tmp_path / "elsewhere.py")
    rl.stop()
    with pytest.raises(RootError, match="missing"):
        Reloader(tmp_path / "missing")
    file = tmp_path / "file.py"
    file.write_text("")
    with pytest.raises(RootError, match="file.py"):
        Reloader(file)


def test_reload_by_path(mods):
    name = mods.name("m")
    path = mods.write(name, "V = 1\n")
    rl = Reloader(mods.root)
    m = importlib.import_module(name)
    mods.write(name, "V = 2\n")
    assert rl.reload(path).ok and m.V == 2
    rl.stop()


def test_world_writable_root_warns_once(tmp_path):
    root = tmp_path / "open"
    root.mkdir()
    root.chmod(0o777)
    rl = Reloader(root)
    with pytest.warns(HotreloadWarning, match="writable"):
        rl.start()
    rl.stop()


def test_stop_undoes_the_runtime_setup(mods):
    import builtins

    meta, path, imp = list(sys.meta_path), list(sys.path), builtins.__import__
    with Reloader(mods.root):
        assert builtins.__import__ is not imp
    assert sys.meta_path == meta and sys.path == path
    assert builtins.__import__ is imp


def test_import_has_no_side_effects():
    code = (
        "import sys, builtins, threading\n"
        "meta, path, imp = list(sys.meta_path), list(sys.path), builtins.__import__\n"
        "import hotreload\n"
        "assert sys.meta_path == meta and sys.path == path\n"
        "assert builtins.__import__ is imp and threading.active_count() == 1\n"
        "loaded = [m for m in sys.modules if m.startswith('hotreload.')]\n"
        "assert loaded == [], loaded  # the names load on first use\n"
        "from hotreload import Reloader, ReloadError, ReloadEvent\n"
        "assert Reloader.__name__ == 'Reloader' and 'Reloader' in dir(hotreload)\n"
        "heavy = {'watchdog', 'prompt_toolkit', 'pygments'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_symlink_leading_outside_the_root(mods, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    name = mods.name("linked")
    (outside / "real.py").write_text("V = 1\n")
    (mods.root / f"{name}.py").symlink_to(outside / "real.py")
    with Reloader(mods.root) as rl:
        assert rl.import_all() == []
        assert name not in rl.modules  # not followed by default
    with Reloader(mods.root, follow_symlinks=True) as rl:
        rl.import_all()
        assert name in rl.modules
        (outside / "real.py").write_text("V = 2\n")
        assert rl.reload(name).ok and sys.modules[name].V == 2


def test_import_all_reports_modules_that_lack_required_names(mods):
    good, bad = mods.name("good"), mods.name("bad")
    mods.write(good, "def transform(x):\n    return x\n")
    mods.write(bad, "def other(x):\n    return x\n")
    rl = Reloader(mods.root, require=("transform",))
    failures = rl.import_all()
    rl.stop()
    assert [f.module for f in failures] == [bad]
    assert "missing required name(s) transform" in str(failures[0])
    assert str(failures[0]).startswith(f"{bad} failed to import: RejectedError")
