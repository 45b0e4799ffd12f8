"""The prompt-toolkit REPL, driven by a pipe input and a dummy output.

Assertions are on return codes, the namespace and the ``write`` sink, never
on rendered terminal bytes. Every script ends with Enter and a final Ctrl-D.
"""

from __future__ import annotations

import importlib
import os
import queue
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from hotreload import Reloader
from hotreload.events import ReloadEvent
from hotreload.repl import Repl, ReplCompleter, default_history_path, toolbar_text
from tests.conftest import Mods, write_atomic


@pytest.fixture(autouse=True)
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """History goes to a temporary state directory, never the real home."""
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return state


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with (
        create_pipe_input() as inp,
        create_app_session(input=inp, output=DummyOutput()),
    ):
        yield inp


@pytest.fixture
def reloader(mods: Mods) -> Iterator[Reloader]:
    with Reloader(mods.root, debounce=0.005) as r:
        yield r


class Run:
    """The outcome of one scripted session."""

    def __init__(self, code: int, out: list[str], repl: Repl) -> None:
        self.code = code
        self.out = out
        self.text = "".join(out)
        self.namespace = repl.namespace


def session(reloader: Reloader, pipe: PipeInput, text: str, **kw: Any) -> Run:
    out: list[str] = []
    pipe.send_text(text + "\x04")  # Ctrl-D at the end: EOFError, a clean exit
    repl = Repl(reloader, input=pipe, output=DummyOutput(), write=out.append, **kw)
    return Run(repl.run(), out, repl)


def save_and_hear(reloader: Reloader, path: Path, source: str) -> ReloadEvent:
    """Save ``path`` and return its event once the REPL has been told of it.

    Subscribed after the REPL's own subscriber: when this one hears the
    event, the REPL has handled it (``wait()`` can return before that).
    """
    heard: queue.Queue[ReloadEvent] = queue.Queue()
    unsubscribe = reloader.subscribe(heard.put)
    try:
        write_atomic(path, source)
        return heard.get(timeout=10)
    finally:
        unsubscribe()


def test_echoes_results_and_exits_zero(reloader: Reloader, pipe: PipeInput) -> None:
    run = session(reloader, pipe, "x = 41\rx + 1\r")
    assert run.code == 0
    assert "42\n" in run.out
    assert run.namespace["_"] == 42


def test_multiline_statement(reloader: Reloader, pipe: PipeInput) -> None:
    # The prompt indents the body itself, as typed at a keyboard.
    run = session(reloader, pipe, "def f(a):\rreturn a * 2\r\rf(21)\r")
    assert "42\n" in run.out


def test_modules_are_bound_and_imported_on_first_use(
    mods: Mods, reloader: Reloader, pipe: PipeInput
) -> None:
    good, bad, pkg = mods.name("good"), mods.name("bad"), mods.name("pkg")
    mods.write(good, "VALUE = 7\n")
    mods.write(bad, "raise RuntimeError('cannot start')\n")
    mods.write(pkg, "", package=True)
    mods.write(f"{pkg}.sub", "Y = 1\n")
    script = mods.name("script")
    mods.write(script, "raise SystemExit('a script ran')\nmain()\n")
    run = session(reloader, pipe, f"{good}.VALUE\r{bad}.anything\r:modules\r")
    assert "7\n" in run.out
    assert run.namespace[good].VALUE == 7
    assert type(run.namespace[good]).__name__ == "module"  # the proxy is replaced
    assert f"{pkg}.sub" not in run.namespace  # only top-level names are bound
    assert pkg not in sys.modules  # bound, never used: never imported
    assert "RuntimeError: cannot start" in run.text  # raised where it was used
    assert re.search(rf"{bad} +failed ", run.text)
    assert re.search(rf"{pkg} +not loaded", run.text)
    assert re.search(rf"{script} +not loaded", run.text)  # bound, never run


def test_reload_mid_session_reaches_the_user(
    mods: Mods, reloader: Reloader, pipe: PipeInput
) -> None:
    name = mods.name("greet")
    path = mods.write(name, "def hello(n):\n    return 'Hello ' + n\n")
    delivered: list[ReloadEvent] = []
    reloader.subscribe(delivered.append)

    def edit() -> None:
        # Runs on the main thread as user code, while the REPL is running.
        save_and_hear(reloader, path, "def hello(n):\n    return 'Welcome ' + n\n")

    namespace = {"__name__": "__main__", "edit": edit}
    script = f"from {name} import hello\rh = {name}.hello\redit()\rhello('A')\rh('B')\r"
    run = session(reloader, pipe, script, namespace=namespace)
    assert [e.module for e in delivered] == [name]
    assert delivered[0].ok
    assert f"{name} reloaded: updated hello" in run.text
    # The name typed with `from m import` at the prompt follows the reload too.
    assert "'Welcome A'\n" in run.out
    assert "'Welcome B'\n" in run.out


def test_failed_reload_is_reported_and_old_code_stays(
    mods: Mods, reloader: Reloader, pipe: PipeInput
) -> None:
    name = mods.name("m")
    path = mods.write(name, "def f():\n    return 1\n")

    def edit() -> None:
        write_atomic(path, "def f(:\n")
        assert reloader.wait(timeout=10) is not None

    run = session(
        reloader,
        pipe,
        f"{name}.f()\redit()\r{name}.f()\r:errors\r",
        namespace={"edit": edit},
    )
    assert f"{name} not reloaded" in run.text
    assert "1\n" in run.out
    assert "SyntaxError" in run.text


def test_a_module_fixed_after_a_failed_start_gets_its_name(
    mods: Mods, reloader: Reloader, pipe: PipeInput
) -> None:
    name = mods.name("bad")
    path = mods.write(name, "import no_such_module_anywhere\n")

    def fix() -> None:
        assert save_and_hear(reloader, path, "VALUE = 7\n").ok

    run = session(
        reloader, pipe, f"{name}.VALUE\rfix()\r{name}.VALUE\r", namespace={"fix": fix}
    )
    assert "ModuleNotFoundError" in run.text
    assert f"{name} reloaded: back to a good version" in run.text
    assert "7\n" in run.out


def test_commands_run_and_manual_reload_is_shown_once(
    mods: Mods, reloader: Reloader, pipe: PipeInput
) -> None:
    name = mods.name("m")
    mods.write(name, "X = 1\n")
    run = session(reloader, pipe, f"{name}.X\r:reload {name}\r%status\r:nope\r")
    assert run.text.count(f"{name} reloaded") == 1
    assert "watcher:" in run.text
    assert "unknown command :nope" in run.text


def test_quit_command_and_exit_code(reloader: Reloader, pipe: PipeInput) -> None:
    assert session(reloader, pipe, ":quit\rnever = 1\r").code == 0


def test_exit_with_a_code(reloader: Reloader, pipe: PipeInput) -> None:
    assert session(reloader, pipe, "exit(3)\r").code == 3


def test_ctrl_c_cancels_the_line_and_an_unfinished_block(
    reloader: Reloader, pipe: PipeInput
) -> None:
    run = session(reloader, pipe, "half typed\x03if True:\r\x03y = 2\ry\r")
    assert run.code == 0
    assert "2\n" in run.out
    assert "SyntaxError" not in run.text


def test_exception_keeps_the_session_going(reloader: Reloader, pipe: PipeInput) -> None:
    run = session(reloader, pipe, "1/0\rz = 5\rz\r")
    assert "ZeroDivisionError" in run.text
    assert "5\n" in run.out


def test_history_file_is_private(
    reloader: Reloader, pipe: PipeInput, state_home: Path
) -> None:
    session(reloader, pipe, "secret = 1\r")
    path = default_history_path()
    assert path == state_home / "hotreload" / "history"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "secret = 1" in path.read_text()


def test_a_block_goes_into_history_as_one_entry(
    reloader: Reloader, pipe: PipeInput, tmp_path: Path
) -> None:
    path = tmp_path / "history"
    session(reloader, pipe, "def f():\rreturn 5\r\rf()\r", history_path=path)
    entries = list(FileHistory(str(path)).load_history_strings())
    assert entries == ["f()", "def f():\n    return 5"]


def test_code_runs_in_a_real_main_module(reloader: Reloader, pipe: PipeInput) -> None:
    run = session(
        reloader,
        pipe,
        "import pickle, sys\rclass P: pass\r\r"
        "type(pickle.loads(pickle.dumps(P()))) is P\r"
        "sys.modules['__main__'].__dict__ is globals()\r",
    )
    assert run.out[-2:] == ["True\n", "True\n"]
    assert sys.modules["__main__"].__dict__ is not run.namespace  # given back


def test_history_path_falls_back_to_local_state(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XDG_STATE_HOME")
    assert default_history_path() == tmp_path / "home/.local/state/hotreload/history"


def test_history_file_with_wide_permissions_is_narrowed(
    reloader: Reloader, pipe: PipeInput, tmp_path: Path
) -> None:
    path = tmp_path / "h" / "history"
    path.parent.mkdir()
    path.write_text("")
    os.chmod(path, 0o644)
    session(reloader, pipe, "1\r", history_path=path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# -- completion and toolbar, as plain functions ------------------------------


def completions(completer: ReplCompleter, text: str) -> list[str]:
    found = completer.get_completions(Document(text), CompleteEvent())
    return [c.text for c in found]


def test_completer(mods: Mods, reloader: Reloader) -> None:
    name = mods.name("greet")
    mods.write(name, "def hello(n): return n\ndef help_me(): pass\n_private = 1\n")
    reloader.import_all()
    module = importlib.import_module(name)
    namespace: dict[str, Any] = {"greet": module, "value": 3}
    completer = ReplCompleter(reloader, lambda: namespace)
    assert completions(completer, "greet.he") == ["hello", "help_me"]
    assert "_private" not in completions(completer, "greet.")
    assert completions(completer, "greet._pri") == ["_private"]
    assert completions(completer, "val") == ["value"]
    assert "len" in completions(completer, "le")  # builtins
    assert "while" in completions(completer, "whi")  # keywords
    assert completions(completer, "value.real.") != []  # attributes of live objects
    assert completions(completer, "nothing.at.") == []
    assert completions(completer, ":rel") == [":reload"]
    assert completions(completer, "%st") == ["%status"]
    assert name in completions(completer, ":reload ")
    assert "all" in completions(completer, ":reload a")
    assert completions(completer, f":deps {name[:-2]}") == [name]
    assert completions(completer, f"import {name[:-2]}") == [name]
    assert completions(completer, f"from {name} import hel") == ["hello", "help_me"]
    # A name bound after the completer was made is seen (the namespace getter).
    namespace["valiant"] = 1
    assert completions(completer, "vali") == ["valiant"]


def test_toolbar_text(mods: Mods, reloader: Reloader) -> None:
    name = mods.name("m")
    mods.write(name, "X = 1\n")
    mods.write(mods.name("broken"), "raise ImportError('not a reload')\n")
    reloader.import_all()
    text = toolbar_text(reloader)
    assert str(mods.root) in text
    assert "1 module |" in text  # the broken one did not load
    assert "no reloads yet" in text
    reloader.reload(name)
    assert f"last: {name} ok" in toolbar_text(reloader)
    with reloader.paused():
        assert re.search(r"PAUSED \(\d+ queued\)", toolbar_text(reloader))


def test_history_falls_back_to_memory_when_the_file_cannot_be_made(
    reloader: Reloader, pipe: PipeInput, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    run = session(reloader, pipe, "1 + 1\r", history_path=blocker / "history")
    assert (run.code, run.out[-1]) == (0, "2\n")


def test_exit_with_a_message(reloader: Reloader, pipe: PipeInput) -> None:
    run = session(reloader, pipe, "exit('bye')\r")
    assert (run.code, run.out[-1]) == (1, "bye\n")


def test_reload_warnings_are_shown(
    mods: Mods, reloader: Reloader, pipe: PipeInput
) -> None:
    name = mods.name("frozen")
    path = mods.write(name, "__hotreload__ = False\nX = 1\n")

    def edit() -> None:
        write_atomic(path, "__hotreload__ = False\nX = 2\n")
        assert reloader.wait(timeout=10) is not None

    run = session(reloader, pipe, f"{name}.X\redit()\r", namespace={"edit": edit})
    assert "  warning: " in run.text
