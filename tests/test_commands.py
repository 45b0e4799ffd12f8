"""The ``:command`` table as plain functions of a reloader."""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hotreload import Reloader
from hotreload.commands import (
    COMMANDS,
    ReplExit,
    event_line,
    failure_line,
    is_command,
    run_command,
)
from hotreload.errors import RejectedError, UnknownModuleError
from hotreload.events import ReloadEvent


def event(module: str, ok: bool = True, **kw: Any) -> ReloadEvent:
    kw.setdefault("trigger", "file")
    kw.setdefault("time", 1_700_000_000.0)
    return ReloadEvent(module=module, path=kw.pop("path", None), ok=ok, **kw)


class FakeReloader:
    """The part of `Reloader` the commands use, with state set by the test."""

    def __init__(self) -> None:
        self.roots = (Path("/work/mods"),)
        self.backend = "inotify"
        self.is_paused = False
        self.modules: dict[str, types.ModuleType] = {
            n: types.ModuleType(n) for n in ("base", "greet", "app")
        }
        self.history: list[ReloadEvent] = []
        self.import_failures: dict[str, ReloadEvent] = {}
        self.pending: list[Path] = []
        self.deps = {"app": ["greet", "base"], "greet": ["base"], "base": []}
        self.reloaded: list[str] = []
        self.resumed = 0

    def pause(self) -> None:
        self.is_paused = True

    def resume(self) -> None:
        self.is_paused = False
        self.resumed += 1

    def pending_paths(self) -> list[Path]:
        return list(self.pending)

    def imports_of(self, name: str) -> list[str]:
        return self.deps.get(name, [])

    def importers_of(self, name: str) -> list[str]:
        return [m for m, deps in self.deps.items() if name in deps]

    def reload(self, target: str, *, full: bool = False) -> ReloadEvent:
        if target not in self.modules:
            raise UnknownModuleError(target)
        self.reloaded.append(target)
        return event(target, trigger="manual", updated=(f"{target}.f",))

    def import_all(self) -> list[ReloadEvent]:
        return []

    def module_files(self) -> dict[str, Path]:
        names = [*self.modules, "lazy"]
        return {n: self.roots[0] / f"{n}.py" for n in names}

    def top_level(self) -> tuple[dict[str, Path], list[Any]]:
        return self.module_files(), []

    def import_module(self, name: str) -> types.ModuleType:
        return self.modules[name]

    def track(self, namespace: Any) -> Callable[[], None]:
        return lambda: None

    def subscribe(self, callback: Callable[[ReloadEvent], None]) -> Callable[[], None]:
        return lambda: None


@pytest.fixture
def r() -> FakeReloader:
    return FakeReloader()


def run(r: FakeReloader, line: str) -> str:
    return run_command(r, line)


def test_table_covers_the_contract() -> None:
    assert set(COMMANDS) == {
        "help",
        "modules",
        "reload",
        "status",
        "history",
        "errors",
        "deps",
        "pause",
        "resume",
        "quit",
    }
    for name, func in COMMANDS.items():
        assert func.__doc__, name


@pytest.mark.parametrize(
    ("line", "expected"),
    [(":help", True), ("%status", True), ("  :modules", True), ("x[:3]", False)],
)
def test_is_command(line: str, expected: bool) -> None:
    assert is_command(line) is expected


def test_help_lists_every_command(r: FakeReloader) -> None:
    text = run(r, ":help")
    for name in COMMANDS:
        assert f":{name}" in text
    assert ":reload [--full] [NAME ...|all]" in text
    assert run(r, ":") == text  # a bare prefix is help


def test_help_for_one_command(r: FakeReloader) -> None:
    assert run(r, ":help deps").startswith(":deps NAME")
    assert "unknown command :nope" in run(r, ":help nope")


def test_percent_prefix_works_too(r: FakeReloader) -> None:
    assert run(r, "%status") == run(r, ":status")


def test_unknown_command_lists_close_matches(r: FakeReloader) -> None:
    text = run(r, ":relod")
    assert text.startswith("unknown command :relod")
    assert ":reload" in text
    assert "see :help" in run(r, ":xyzzy")
    # Matched without the shared prefix, and shown with the one typed.
    assert run(r, "%lsmagic") == "unknown command %lsmagic; see %help"
    assert run(r, "%histroy").endswith("did you mean %history?")


def test_modules_shows_state_count_and_time(r: FakeReloader) -> None:
    r.history = [
        event("greet"),
        event("greet", ok=False, error=SyntaxError("x")),
        event("app", trigger="manual"),
    ]
    r.import_failures = {"broken": event("broken", ok=False, trigger="import")}
    lines = run(r, ":modules").splitlines()
    assert lines[0].split() == ["module", "state", "reloads", "last", "reload"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"app", "base", "broken", "greet", "lazy"}
    assert rows["lazy"].split()[1:3] == ["not", "loaded"]
    assert "failed (previous version live)" in rows["greet"]
    assert rows["greet"].split()[-2:][0] == "2"
    assert rows["broken"].split()[1] == "failed"
    assert rows["base"].split()[1:] == ["ok", "0", "-"]


def test_reload_one_and_unknown(r: FakeReloader) -> None:
    assert run(r, ":reload greet") == "greet reloaded: updated greet.f (0.0 ms)"
    text = run(r, ":reload gret")
    assert text == "gret: not a module under the roots; did you mean greet?"


def test_reload_all_goes_in_dependency_order(r: FakeReloader) -> None:
    text = run(r, ":reload all")
    assert (
        r.reloaded.index("base") < r.reloaded.index("greet") < r.reloaded.index("app")
    )
    assert len(text.splitlines()) == 3
    r.reloaded.clear()
    run(r, ":reload")
    assert len(r.reloaded) == 3


def test_status(r: FakeReloader) -> None:
    text = run(r, ":status")
    assert "/work/mods" in text
    assert "inotify" in text
    assert "applied as files change" in text
    assert "3 loaded, 0 failed" in text
    r.is_paused = True
    r.pending = [Path("/work/mods/greet.py")]
    text = run(r, ":status")
    assert "paused (1 change queued)" in text
    assert "pending:  /work/mods/greet.py" in text


def test_history(r: FakeReloader) -> None:
    assert run(r, ":history") == "no reloads yet"
    r.history = [event(f"m{i}") for i in range(30)]
    lines = run(r, ":history").splitlines()
    assert len(lines) == 20
    assert lines[-1].endswith("m29 reloaded: no changes (0.0 ms)")
    assert len(run(r, ":history 3").splitlines()) == 3
    for bad in ("lots", "0", "-1"):
        assert run(r, f":history {bad}") == (
            f"history: give a number of reloads, 1 or more, not {bad}"
        )


def test_errors_shows_the_last_failure_with_traceback(r: FakeReloader) -> None:
    assert run(r, ":errors") == "no failures"
    r.history = [
        event("greet", ok=False, error=ValueError("old"), traceback="TB old", time=1.0),
        event("app", ok=False, error=ValueError("new"), traceback="TB new\n", time=2.0),
        event("app", time=3.0),
    ]
    text = run(r, ":errors")
    assert "app not reloaded" in text
    assert "TB new\n(fixed at " in text  # a later version of app loaded
    assert run(r, ":errors greet").endswith("TB old")
    assert run(r, ":errors base") == "no failures of base"


def test_deps(r: FakeReloader) -> None:
    text = run(r, ":deps greet")
    assert "greet imports: base" in text
    assert "greet is imported by: app" in text
    assert "unknown module nope" in run(r, ":deps nope")
    assert run(r, ":deps") == "usage: :deps NAME"


def test_pause_and_resume(r: FakeReloader) -> None:
    assert run(r, ":resume") == "reloads are not paused"
    assert "paused" in run(r, ":pause")
    assert r.is_paused
    assert "already paused" in run(r, ":pause")
    r.pending = [Path("a.py"), Path("b.py")]
    assert run(r, ":resume") == "reloads resumed; 2 queued changes applied"
    assert (r.is_paused, r.resumed) == (False, 1)


def test_quit_raises_repl_exit(r: FakeReloader) -> None:
    with pytest.raises(ReplExit) as info:
        run(r, ":quit")
    assert info.value.code == 0


def test_event_line_adds_where_a_runtime_failure_happened(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    code = compile("def f():\n    raise ValueError('x')\nf()\n", str(path), "exec")
    try:
        exec(code, {})
    except ValueError as exc:
        error = exc
    line = event_line(event("m", ok=False, error=error, path=path))
    assert line.endswith(f"[{path}:2]")
    syntax = event_line(event("m", ok=False, error=SyntaxError("bad")))
    assert "[" not in syntax


def test_failure_lines_stay_one_line_and_point_at_the_users_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.py"
    multi = event("m", ok=False, error=ValueError("a\nb"), path=path)
    assert event_line(multi) == (
        f"m not reloaded: ValueError: a\\nb; the previous version stays (0.0 ms) [{path}]"
    )
    assert failure_line(multi).endswith("m: ValueError: a\\nb")
    rejected = event("m", ok=False, error=RejectedError("m", ["f"]), path=path)
    assert event_line(rejected).endswith(f"[{path}]")  # not the engine's file


# -- against the real Reloader -------------------------------------------------


def test_commands_on_a_real_reloader(mods: Any) -> None:
    base, app = mods.name("base"), mods.name("app")
    mods.write(base, "X = 1\n")
    mods.write(app, f"from {base} import X\n\ndef f():\n    return X\n")
    reloader = Reloader(mods.root)
    try:
        assert reloader.import_all() == []
        assert f"{app} imports: {base}" in run_command(reloader, f":deps {app}")
        text = run_command(reloader, f":reload {base}")
        assert text.startswith(f"{base} reloaded")
        assert reloader.history[-1].ran == 0  # nothing changed: nothing ran
        text = run_command(reloader, f":reload --full {base}")
        assert text.startswith(f"{base} reloaded") and reloader.history[-1].ran == 1
        rows = run_command(reloader, ":modules")
        assert any(line.split()[:3] == [base, "ok", "2"] for line in rows.splitlines())
        assert "stopped" in run_command(reloader, ":status")
        mods.write(mods.name("later"), "X = 1\n")
        text = run_command(reloader, f":reload {mods.name('later')}")
        assert text.startswith(f"{mods.name('later')}: not imported yet")
    finally:
        reloader.stop()


def _raised(source: str, filename: str) -> BaseException:
    try:
        exec(compile(source, filename, "exec"), {})
    except Exception as exc:
        return exc
    raise AssertionError("did not raise")  # pragma: no cover


def test_location_of_a_failure_for_json_readers(tmp_path: Path) -> None:
    from hotreload.commands import location

    path = tmp_path / "m.py"
    try:
        compile("x = (1,\n", str(path), "exec")
    except SyntaxError as exc:
        syntax = exc
    got = location(event("m", ok=False, path=path, error=syntax))
    assert got == {"filename": str(path), "lineno": 1, "col": 5}
    err = _raised("def f():\n    return 1 / 0\n\nf()\n", str(path))
    got = location(event("m", ok=False, path=path, error=err))
    assert got == {"filename": str(path), "lineno": 2, "col": 12}
    assert location(event("m", ok=False, path=path)) == {
        "filename": str(path),
        "lineno": None,
        "col": None,
    }


def test_a_fix_after_a_failure_reads_back_to_a_good_version() -> None:
    from hotreload.commands import report_text

    bad = event("shapes", ok=False, error=SyntaxError("x"), time=1.0)
    fixed = event("shapes", time=2.0)
    assert report_text(fixed, [bad, fixed]) == (
        "shapes reloaded: back to a good version (0.0 ms)\n"
    )
    changed = event("shapes", updated=("area",), time=2.0)
    assert report_text(changed, [bad, changed]).startswith(
        "shapes reloaded: back to a good version, updated area"
    )
    assert report_text(fixed, [fixed]) == "shapes reloaded: no changes (0.0 ms)\n"
    warned = event("m", warnings=("careful",), time=3.0)
    assert report_text(warned).endswith("  warning: careful\n")


def test_unload_and_rename_lines() -> None:
    from hotreload.commands import report_text

    gone = event("util", warnings=("unloaded: util.py was deleted or renamed",))
    assert report_text(gone) == "util unloaded: util.py was deleted or renamed\n"
    moved = event("tools", added=("double",), warnings=("loaded: in place of util",))
    assert report_text(moved) == "tools loaded in place of util: added double\n"


def test_a_missing_name_after_a_rejected_save_gets_a_note() -> None:
    from hotreload.commands import missing_name_note

    game = types.ModuleType("game")

    class Player:
        pass

    game.Player = Player  # type: ignore[attr-defined]
    bad = event(
        "game", ok=False, path=Path("game.py"), error=SyntaxError("x"), time=1.0
    )
    tb = "Traceback ...\nAttributeError: 'Player' object has no attribute 'first'\n"
    note = missing_name_note(tb, [bad], {"game": game})
    assert note is not None
    assert note.startswith("note: the latest version of game (game.py) was rejected")
    tb = "AttributeError: module 'game' has no attribute 'first'"
    assert missing_name_note(tb, [bad], {"game": game}) is not None
    tb = "ImportError: cannot import name 'first' from 'game' (game.py)"
    assert missing_name_note(tb, [bad], {"game": game}) is not None
    # No note once fixed, or for a name of anything else.
    assert missing_name_note(tb, [bad, event("game", time=2.0)], {"game": game}) is None
    tb = "AttributeError: 'Enemy' object has no attribute 'first'"
    assert missing_name_note(tb, [bad], {"game": game}) is None
    assert missing_name_note("ZeroDivisionError: x", [bad], {}) is None
