"""The interactive shell: prompt-toolkit around `Console` and the commands.

The line is read in prompt-toolkit's own thread (``prompt(in_thread=True)``)
and user code runs on the main thread, so Ctrl-C interrupts a running call
(the terminal is back in cooked mode then, and SIGINT lands where Python
expects it). Reload reports come from the reloader's thread; while the
prompt is up, standard output goes through prompt-toolkit's ``StdoutProxy``
(what ``patch_stdout`` installs), so they are printed above the prompt and the
line being typed is redrawn intact.

This is the only module that imports prompt-toolkit and Pygments, and the
command line imports it only when a REPL is asked for.
"""

from __future__ import annotations

import builtins
import keyword
import os
import re
import stat
import sys
import threading
import types
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.output import Output
from prompt_toolkit.patch_stdout import StdoutProxy
from prompt_toolkit.styles import Style

# Pygments ships no type information (and types-Pygments is not a dependency).
from pygments.lexers.python import PythonLexer  # type: ignore[import-untyped]

from hotreload import inspect_help
from hotreload.commands import (
    CODE_COMMANDS,
    COMMANDS,
    ReplExit,
    ReplReloader,
    is_command,
    missing_name_note,
    relative_path,
    report_text,
    run_command,
)
from hotreload.completion import ParityCompleter
from hotreload.console import Console
from hotreload.editing import editing_bindings
from hotreload.events import ReloadEvent
from hotreload.lazy import Binder
from hotreload.palette import colour_traceback, highlight, prompt_style_rules
from hotreload.pretty import pretty_repr
from hotreload.shell import is_shell_line, run_shell

__all__ = ["Repl", "ReplCompleter", "default_history_path", "toolbar_text"]

# Commands whose argument is a module name (``:reload`` also takes "all").
_MODULE_ARG_COMMANDS = ("reload", "deps", "errors")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_DOTTED = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_]?\w*)*$")
_IMPORT = re.compile(r"^\s*(?:import|from)\s+([\w.]*)$")
_FROM_IMPORT = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+(?:.*,\s*)?(\w*)$")


def default_history_path() -> Path:
    """``$XDG_STATE_HOME/hotreload/history``, else ``~/.local/state/...``."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "hotreload" / "history"


def _open_history(path: Path) -> History:
    """A `FileHistory` whose file only the user can read (0600).

    History holds whatever was typed, secrets included, so the file and
    its directory are created private rather than with the umask's default;
    a file left with wider permissions is narrowed to 0600, and so is
    hotreload's own state directory to 0700 (a directory given with a
    custom ``history_path`` is the user's to choose). If the state
    directory cannot be written, the session still works, without history.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        own = path.parent == default_history_path().parent
        if own and stat.S_IMODE(path.parent.stat().st_mode) & 0o077:
            os.chmod(path.parent, 0o700)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        os.chmod(path, 0o600)
    except OSError:
        return InMemoryHistory()
    return FileHistory(str(path))


def _short(path: Path) -> str:
    """A root as the user would type it: relative to cwd or ``~`` if shorter."""
    try:
        return str(path.relative_to(Path.cwd())) or "."
    except ValueError:
        pass
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def toolbar_text(reloader: ReplReloader, binder: Binder | None = None) -> str:
    """The bottom toolbar: roots, module count, the last reload and its time.

    With a ``binder``, the count is of the names bound at the prompt (the
    start-up banner lists the same), with how many of them are loaded.
    """
    roots = ", ".join(_short(r) for r in reloader.roots)
    if binder is not None:
        count = len(binder.names)
        loaded = f" ({binder.loaded_count()} loaded)"
    else:
        count, loaded = len(reloader.modules), ""
    parts = [f" {roots}", f"{count} module{'s' if count != 1 else ''}{loaded}"]
    reloads = [e for e in reloader.history if e.trigger != "import"]
    if reloads:
        last = reloads[-1]
        state = "ok" if last.ok else "failed"
        parts.append(f"last: {last.module} {state} {last.duration * 1000:.1f} ms")
    else:
        parts.append("no reloads yet")
    if reloader.is_paused:
        pending = len(reloader.pending_paths())
        parts.append(f"PAUSED ({pending} queued)")
    return " | ".join(parts) + " "


class HeldKeys(Protocol):
    """A hold on the terminal around one prompt (``hotreload.terminal.Held``)."""

    eof: bool

    def release(self) -> None: ...


class ReplCompleter(Completer):
    """Complete commands, module names, names and attributes of live objects.

    Args:
        reloader: where module names come from.
        get_namespace: returns the REPL's namespace now (names rebound since
            the session started are seen).
    """

    def __init__(
        self,
        reloader: ReplReloader,
        get_namespace: Callable[[], dict[str, Any]],
    ) -> None:
        self._reloader = reloader
        self._get_namespace = get_namespace

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        """Yield completions for the text before the cursor."""
        text = document.text_before_cursor
        if is_command(text):
            yield from self._command(text.lstrip())
        elif match := _FROM_IMPORT.match(text):
            module = sys.modules.get(match[1])
            names = dir(module) if module is not None else []
            yield from _matching(match[2], names)
        elif match := _IMPORT.match(text):
            yield from _matching(match[1], self._module_names())
        elif match := _DOTTED.search(text):
            yield from self._python(match[0])

    def _module_names(self) -> list[str]:
        return sorted(set(self._reloader.modules) | set(self._reloader.import_failures))

    def _command(self, text: str) -> Iterator[Completion]:
        name, _, arg = text[1:].partition(" ")
        if not _:
            yield from _matching(name, [*COMMANDS, *CODE_COMMANDS], lead=text[0])
        elif name == "help":
            yield from _matching(arg.strip(), COMMANDS)
        elif name in _MODULE_ARG_COMMANDS:
            last = arg.split(" ")[-1]
            extra = ["all"] if name == "reload" else []
            yield from _matching(last, extra + self._module_names())

    def _python(self, dotted: str) -> Iterator[Completion]:
        *path, prefix = dotted.split(".")
        namespace = self._get_namespace()
        if not path:
            names = [*namespace, *dir(builtins), *keyword.kwlist]
            yield from _matching(prefix, sorted(set(names)))
            return
        obj: Any
        try:
            obj = (
                namespace[path[0]]
                if path[0] in namespace
                else getattr(builtins, path[0])
            )
            for part in path[1:]:
                obj = getattr(obj, part)
            names = dir(obj)
        except Exception:  # an attribute the object refuses: no completions
            return
        yield from _matching(prefix, names)


def _matching(
    typed: str, names: Iterable[str], *, lead: str = ""
) -> Iterator[Completion]:
    """Completions of ``names`` that start with ``typed`` (``_names`` if asked)."""
    for name in names:
        if name.startswith(typed) and (
            typed.startswith("_") or not name.startswith("_")
        ):
            yield Completion(lead + name, start_position=-len(lead + typed))


class Repl:
    """The ``hotreload watch`` shell over a started `Reloader`.

    Args:
        reloader: a started reloader; the REPL never stops it (the caller
            does, after `run` returns).
        namespace: the globals user code runs in (``run -i`` passes the
            script's); a fresh ``__main__``-like dict by default.
        input: prompt-toolkit input (tests pass ``create_pipe_input()``).
        output: prompt-toolkit output (tests pass ``DummyOutput()``).
        write: where results, tracebacks and reload reports go; by default
            standard output, routed above the prompt while it is shown.
        history_path: the history file (`default_history_path` if not
            given); created with mode 0600.
        bind_modules: bind every top-level module under the roots by name
            at start, imported on first use (``hotreload.lazy``); ``run -i``
            binds only the modules the script loaded.
        hold_keys: called just before each prompt is drawn, and its
            result released when the prompt is done: the command line holds
            the keys typed while no prompt is up (``hotreload.terminal``).
    """

    def __init__(
        self,
        reloader: ReplReloader,
        *,
        namespace: dict[str, Any] | None = None,
        input: Input | None = None,
        output: Output | None = None,
        write: Callable[[str], None] | None = None,
        history_path: Path | None = None,
        bind_modules: bool = True,
        hold_keys: Callable[[], HeldKeys] | None = None,
    ) -> None:
        self._reloader = reloader
        # Like Python's REPL, code typed here runs in a real __main__ module,
        # so pickle, dataclasses and typing find what it defines.
        self._main: types.ModuleType | None = None
        if namespace is None:
            self._main = types.ModuleType("__main__")
            self._main.__builtins__ = builtins  # type: ignore[attr-defined]
            namespace = vars(self._main)
        self._namespace = namespace
        self._terminal = output is None and write is None
        self._write = write or self._write_terminal
        self._console = Console(
            namespace,
            self._write_console,
            show=pretty_repr,
            show_error=colour_traceback if self._terminal else None,
        )
        self._hold_keys = hold_keys
        self._binder = (
            Binder(reloader, namespace, self._write) if bind_modules else None
        )
        self._in_command = False
        self._out_lock = threading.Lock()
        self._line = _Line()
        self._history = _BlockHistory(
            _open_history(history_path or default_history_path())
        )
        self._session: PromptSession[str] = PromptSession(
            input=input,
            output=output,
            history=self._history,
            # ANSI colours only, which read on dark and light terminals; the
            # suggestions in a mid grey and italics, unlike anything typed.
            style=Style.from_dict(
                {**prompt_style_rules(), "auto-suggestion": "italic #808080"}
            ),
            include_default_pygments_style=False,
            auto_suggest=AutoSuggestFromHistory(),
            completer=ParityCompleter(
                ReplCompleter(reloader, lambda: self._namespace),
                lambda: self._namespace,
            ),
            complete_while_typing=False,
            lexer=PygmentsLexer(PythonLexer),
            # One buffer per statement: Enter opens an indented line until
            # the statement is complete; Up and Down move inside it.
            multiline=True,
            prompt_continuation="... ",
            key_bindings=editing_bindings(self._is_special),
            bottom_toolbar=lambda: toolbar_text(self._reloader, self._binder),
        )

    @property
    def namespace(self) -> dict[str, Any]:
        """The dict user code runs in."""
        return self._namespace

    def run(self) -> int:
        """Read, run and print until Ctrl-D, ``:quit`` or ``exit()``.

        Returns:
            The exit code: 0, or what the user passed to ``exit()``.
        """
        untrack = self._reloader.track(self._namespace)
        unsubscribe = self._reloader.subscribe(self._on_event)
        try:
            with self._watch_lines(), self._as_main():
                self._start()
                return self._loop()
        finally:
            unsubscribe()
            untrack()

    @contextmanager
    def _as_main(self) -> Iterator[None]:
        """Make the REPL's own module ``sys.modules["__main__"]`` meanwhile."""
        if self._main is None:
            yield  # run -i: the program's __main__ is in place already
            return
        saved = sys.modules.get("__main__")
        sys.modules["__main__"] = self._main
        try:
            yield
        finally:
            if saved is not None:
                sys.modules["__main__"] = saved

    @contextmanager
    def _watch_lines(self) -> Iterator[None]:
        """Between prompts, note whether output left a line unfinished.

        ``print("x", end="")`` leaves the cursor after ``x``; prompt-toolkit
        starts the prompt at the beginning of that line and would draw over
        it, and a reload report would run on after it. Knowing, the REPL ends
        the line first.
        """
        if not self._terminal:
            yield
            return
        saved = sys.stdout, sys.stderr
        sys.stdout = _LineWatch(saved[0], self._line)
        sys.stderr = _LineWatch(saved[1], self._line)
        try:
            yield
        finally:
            sys.stdout, sys.stderr = saved

    def _end_line(self) -> None:
        """Finish a line that output left open (a running call's, input()'s)."""
        if self._line.open:
            sys.stdout.write("\n")
            sys.stdout.flush()

    def _write_terminal(self, text: str) -> None:
        """Write results, tracebacks and reports on a line of their own."""
        self._end_line()
        # Looked up at each call: while the prompt is up sys.stdout is the proxy.
        sys.stdout.write(text)
        sys.stdout.flush()

    def _start(self) -> None:
        """Bind the modules (nothing is imported yet) and greet."""
        roots = ", ".join(_short(r) for r in self._reloader.roots)
        lines = [f"hotreload: watching {roots} ({self._reloader.backend})"]
        if self._binder is not None:
            top = self._binder.bind()
            listed = ", ".join(top) if top else "(none)"
            lines.append(f"modules: {listed} (each imported on first use)")
            for skipped in self._binder.unnamable:
                lines.append(f"  {_short(skipped.path)}: {skipped.reason}")
        lines.append(":help lists the commands; Ctrl-D quits")
        self._write("\n".join(lines) + "\n")

    def _write_console(self, text: str) -> None:
        """The console's output; a traceback of a name a rejected save adds gets a note."""
        self._write(text)
        plain = _ANSI.sub("", text)  # tracebacks may come coloured
        if "Error: " in plain:
            note = missing_name_note(
                plain, self._reloader.history, self._reloader.modules
            )
            if note:
                self._write(note + "\n")

    def _loop(self) -> int:
        more = False
        while True:
            held = self._hold_keys() if self._hold_keys is not None else None
            if held is not None and held.eof:
                held.release()
                return 0  # Ctrl-D typed while no prompt was up
            try:
                with self._above_prompt():
                    text = self._session.prompt(
                        "... " if more else ">>> ",
                        in_thread=True,
                        # Changes queue up silently while paused: keep the
                        # toolbar's count of them current.
                        refresh_interval=1.0 if self._reloader.is_paused else 0,
                    )
            except KeyboardInterrupt:
                # Ctrl-C at the prompt drops the line (and an unfinished block).
                self._console.reset()
                self._history.commit()
                more = False
                continue
            except EOFError:
                return 0
            finally:
                if held is not None:
                    held.release()
            try:
                more = self._handle(text, more)
                if not more:
                    self._history.commit()
            except ReplExit as exc:
                return exc.code
            except SystemExit as exc:
                return self._exit_code(exc)
            except KeyboardInterrupt:
                # Ctrl-C that landed between our lines rather than in user code.
                self._write("KeyboardInterrupt\n")
                self._console.reset()
                more = False

    @contextmanager
    def _above_prompt(self) -> Iterator[None]:
        """While the prompt is up, print whatever is written above it.

        Only while it is up: between prompts user code writes straight to the
        terminal, in order, and closing the proxy (which joins its thread)
        puts everything written during the prompt on screen before the
        line just read runs. That is why this is not one ``patch_stdout``
        around the whole session, where results could show up after the
        next prompt.
        """
        if not self._terminal:
            yield
            return
        # Raw: reload reports carry colours. A short pause between writes
        # keeps a burst of reports to a few redraws without visible delay.
        proxy = StdoutProxy(raw=True, sleep_between_writes=0.02)
        with self._out_lock:
            self._end_line()
            saved = sys.stdout, sys.stderr
            sys.stdout = sys.stderr = proxy
        try:
            yield
        finally:
            with self._out_lock:
                sys.stdout, sys.stderr = saved
            proxy.close()

    @staticmethod
    def _is_special(text: str) -> bool:
        """Whether a line is a command, ``!shell`` or ``name?``, not Python."""
        return (
            is_command(text)
            or is_shell_line(text)
            or inspect_help.help_request(text) is not None
        )

    def _help(self, name: str, source: bool) -> str:
        """What ``name?`` (``name??`` with ``source``) shows."""
        try:
            obj = inspect_help.lookup(name, self._namespace)
        except LookupError as exc:
            return str(exc)
        colour = highlight if self._terminal else None
        return inspect_help.describe(
            obj, name, source=source, colour=colour, relative=relative_path
        )

    def _handle(self, text: str, more: bool) -> bool:
        """Run one line read at the prompt; True when more input is needed."""
        if not more and "\n" not in text.strip():
            if is_shell_line(text):
                run_shell(text, self._write, terminal=self._terminal)
                return False
            request = inspect_help.help_request(text)
            if request is not None:
                self._write(self._help(*request) + "\n")
                return False
        if not more and is_command(text):
            self._in_command = True
            try:
                output = run_command(self._reloader, text, self._namespace)
            finally:
                self._in_command = False
            if self._terminal and text.split()[0][1:].lower() == "errors":
                output = colour_traceback(output)  # a reload's traceback
            if output:
                self._write(output + "\n")
            return False
        if self._binder is not None and not more:
            self._binder.bind()  # files added, renamed or deleted meanwhile
        return self._console.push(text)

    def _exit_code(self, exc: SystemExit) -> int:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        self._write(f"{exc.code}\n")
        return 1

    def _on_event(self, event: ReloadEvent) -> None:
        """Report a reload (from the reloader's thread) above the prompt."""
        if self._in_command and event.trigger == "manual":
            return  # :reload already shows its own result
        line, _, notes = report_text(event, self._reloader.history).partition("\n")
        if self._terminal:
            color = (
                "32" if event.ok and not event.warnings else "33" if event.ok else "31"
            )
            line = f"\x1b[{color}m{line}\x1b[0m"
        with self._out_lock:  # not into a proxy that is being closed
            self._write(line + "\n" + notes)
        if self._binder is not None:
            self._binder.bind()
        app = self._session.app
        if app.is_running:
            app.invalidate()  # thread-safe: redraw the toolbar's "last reload"


class _BlockHistory(History):
    """History that keeps a statement typed over several lines as one entry.

    prompt-toolkit stores each line as it is accepted; a ``def`` would come
    back a line at a time. Lines wait here until the REPL says the statement
    is complete (`commit`), then go in together, to be recalled, edited and
    run again as one.
    """

    def __init__(self, inner: History) -> None:
        super().__init__()
        self._inner = inner
        self._lines: list[str] = []

    def load_history_strings(self) -> Iterable[str]:
        """What the wrapped history holds, newest first."""
        return self._inner.load_history_strings()

    def store_string(self, string: str) -> None:
        """Keep one entry in the wrapped history."""
        self._inner.store_string(string)

    def append_string(self, string: str) -> None:
        """A line was accepted: hold it until the statement is complete."""
        self._lines.append(string)

    def commit(self) -> None:
        """The statement is complete (or dropped): keep its lines as one entry."""
        if self._lines:
            block = "\n".join(self._lines)
            self._lines.clear()
            super().append_string(block)


class _Line:
    """Whether the last text written to the terminal left its line open."""

    __slots__ = ("open",)

    def __init__(self) -> None:
        self.open = False


class _LineWatch:
    """A stream that notes in a shared `_Line` whether its output ends a line."""

    def __init__(self, stream: TextIO, line: _Line) -> None:
        self._stream = stream
        self._line = line

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        if text:
            self._line.open = not text.endswith("\n")
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
