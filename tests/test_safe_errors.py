"""Exceptions whose ``__str__`` raises or returns no string: reported, never fatal."""

from __future__ import annotations

import json
import logging
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from hotreload import Reloader, ReloadEvent
from hotreload.cli import main
from hotreload.commands import event_line, failure_line, run_command
from hotreload.events import error_text, safe_str
from hotreload.repl import Repl
from tests.conftest import Mods, write_atomic
from tests.test_cli import Lines, spawn

BAD_CLASSES = """\
class Raises(Exception):
    def __str__(self):
        raise ValueError("no message for you")

class NotAString(Exception):
    def __str__(self):
        return 42

class Sneaky(str):
    def replace(self, *args):
        raise RuntimeError("replace")

class StrSubclass(Exception):
    def __str__(self):
        return Sneaky("sneaky text\\nsecond line")

class BadSyntax(SyntaxError):
    pass
"""


class Raises(Exception):
    def __str__(self) -> str:
        raise ValueError("no message for you")


class NotAString(Exception):
    def __str__(self) -> str:
        return 42  # type: ignore[return-value]


class Sneaky(str):
    def replace(self, *args: object) -> str:
        raise RuntimeError("replace")


class StrSubclass(Exception):
    def __str__(self) -> str:
        return Sneaky("sneaky text\nsecond line")


class Interrupting(Exception):
    def __str__(self) -> str:
        raise KeyboardInterrupt


def bad_errors() -> list[BaseException]:
    # msg and filename no text
    syntax = SyntaxError(Raises(), (42, None, 0, ""))  # type: ignore[call-overload]
    return [Raises(), NotAString(), StrSubclass(), syntax]


@pytest.mark.parametrize("err", bad_errors(), ids=lambda e: type(e).__name__)
def test_events_of_bad_errors_format(err: BaseException) -> None:
    event = ReloadEvent(
        module="m", path=Path("/x/m.py"), ok=False, trigger="file", error=err
    )
    for text in (str(event), event.summary, error_text(err), event_line(event)):
        assert type(text) is str and "\n" not in text
    data = json.loads(json.dumps(event.as_dict()))
    assert data["error"].startswith(type(err).__name__ + ": ")
    line = failure_line(event)
    assert line.startswith("/x/m.py: m: " if "Syntax" not in line else "/x/m.py")


def test_safe_str_says_what_failed() -> None:
    assert safe_str(Raises()) == "<str() of Raises failed: ValueError>"
    assert safe_str(NotAString()) == "<str() of NotAString failed: TypeError>"
    text = safe_str(StrSubclass())
    assert type(text) is str and text == "sneaky text\nsecond line"
    assert error_text(StrSubclass()) == "StrSubclass: sneaky text\\nsecond line"
    with pytest.raises(KeyboardInterrupt):
        safe_str(Interrupting())  # Ctrl-C is the user's, never swallowed


def write_bad(mods: Mods) -> tuple[str, str]:
    classes = mods.name("errs")
    mods.write(classes, BAD_CLASSES)
    broken = mods.name("broken")
    mods.write(broken, f"from {classes} import Raises\nraise Raises()\n")
    odd = mods.name("odd")
    mods.write(odd, f"from {classes} import NotAString\nraise NotAString()\n")
    return broken, odd


def test_check_reports_them(mods: Mods, capsys: pytest.CaptureFixture[str]) -> None:
    broken, odd = write_bad(mods)
    assert main(["check", str(mods.root)]) == 1
    out, err = capsys.readouterr()
    assert f"{broken}: Raises: <str() of Raises failed: ValueError>" in out
    assert f"{odd}: NotAString: <str() of NotAString failed: TypeError>" in out
    assert "2 of 3 modules failed" in err


def test_reloads_and_subscribers_that_raise_them(
    mods: Mods, caplog: pytest.LogCaptureFixture
) -> None:
    name = mods.name("m")
    classes = mods.name("errs")
    mods.write(classes, BAD_CLASSES)
    path = mods.write(name, "X = 1\n")
    with Reloader(mods.root) as reloader:
        __import__(name)

        def subscriber(event: ReloadEvent) -> None:
            raise NotAString()

        reloader.subscribe(subscriber)
        write_atomic(path, f"from {classes} import Raises\nraise Raises()\n")
        with caplog.at_level(logging.ERROR, logger="hotreload"):
            event = reloader.reload(name)
        assert not event.ok
        assert "<str() of Raises failed: ValueError>" in str(event)
        assert caplog.records and "subscriber" in caplog.records[0].getMessage()
        text = run_command(reloader, f":errors {name}")
        assert "Raises" in text


@pytest.mark.parametrize("as_json", [True, False])
def test_the_daemon_reports_them_and_keeps_going(
    mods: Mods, tmp_path: Path, as_json: bool
) -> None:
    broken, odd = write_bad(mods)
    good = mods.name("good")
    mods.write(good, "X = 1\n")
    flags = ["--json"] if as_json else ["--no-repl"]
    proc = spawn("watch", str(mods.root), *flags, cwd=tmp_path)
    try:
        if as_json:
            out = Lines(proc.stdout)
            ready = json.loads(out.next())
            errors = {f["module"]: f["error"] for f in ready["failures"]}
            assert errors == {
                broken: "Raises: <str() of Raises failed: ValueError>",
                odd: "NotAString: <str() of NotAString failed: TypeError>",
            }
            write_atomic(mods.path(good), "X = 2\n")
            assert json.loads(out.next())["module"] == good
        else:
            err = Lines(proc.stderr)
            assert err.next().startswith("hotreload: watching")
            lines = {err.next(), err.next()}
            assert any("<str() of Raises failed: ValueError>" in x for x in lines)
            write_atomic(mods.path(good), "X = 2\n")
            assert err.next().startswith(f"{good} reloaded")
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert b"Traceback" not in rest


@pytest.fixture
def pipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PipeInput]:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    with (
        create_pipe_input() as inp,
        create_app_session(input=inp, output=DummyOutput()),
    ):
        yield inp


def test_the_repl_starts_and_shows_them(mods: Mods, pipe: PipeInput) -> None:
    broken, odd = write_bad(mods)
    out: list[str] = []
    with Reloader(mods.root) as reloader:
        # Modules are imported on first use: use them, then ask.
        pipe.send_text(f"{broken}.x\n{odd}.x\n:errors {broken}\n:errors\n\x04")
        repl = Repl(reloader, input=pipe, output=DummyOutput(), write=out.append)
        assert repl.run() == 0
    text = "".join(out)
    assert f"{broken} failed to import: Raises: <str() of Raises failed" in text
    assert f"{odd} failed to import: NotAString: <str() of NotAString" in text
    assert "raise Raises()" in text  # :errors NAME shows the traceback


def test_the_ipython_extension_reports_them() -> None:
    from hotreload.ipython import HotreloadMagic

    magic = HotreloadMagic(shell=object(), mode="kernel")
    for err in bad_errors():
        event = ReloadEvent(module="m", path=None, ok=False, trigger="file", error=err)
        assert magic._news(event)
        assert not magic._news(event)  # the same failure again: said already
