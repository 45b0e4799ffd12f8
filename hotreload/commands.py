"""The REPL's ``:commands``: one plain function each, in one table.

Every command is ``(reloader, args) -> str``: it reads or drives the
`Reloader` and returns the text to show, so the whole table is tested without
a terminal (STYLE 2.10). Adding a command is one function and one entry in
`COMMANDS` (plus its argument hint in ``_ARGS`` if it takes any).
"""

from __future__ import annotations

import difflib
import re
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from types import ModuleType
from typing import Any, Final, Protocol

from hotreload.errors import RejectedError, UnknownModuleError
from hotreload.events import ReloadEvent, error_text, safe_str
from hotreload.reloader import LOADED, UNLOADED, is_unload
from hotreload.timing import timeit_command

__all__ = [
    "CODE_COMMANDS",
    "COMMANDS",
    "PREFIXES",
    "CommandFunc",
    "ReplExit",
    "ReplReloader",
    "event_line",
    "failure_line",
    "help_text",
    "is_command",
    "location",
    "missing_name_note",
    "relative_path",
    "report_text",
    "run_command",
]

#: A command line starts with one of these (``%`` for IPython fingers).
PREFIXES: Final = (":", "%")


class ReplReloader(Protocol):
    """What the REPL and its commands use of `Reloader`."""

    @property
    def roots(self) -> tuple[Path, ...]: ...
    @property
    def backend(self) -> str: ...
    @property
    def is_paused(self) -> bool: ...
    @property
    def modules(self) -> Mapping[str, ModuleType]: ...
    @property
    def history(self) -> Sequence[ReloadEvent]: ...
    @property
    def import_failures(self) -> Mapping[str, ReloadEvent]: ...

    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def pending_paths(self) -> list[Path]: ...
    def imports_of(self, name: str) -> list[str]: ...
    def importers_of(self, name: str) -> list[str]: ...
    def reload(self, target: str, *, full: bool = False) -> ReloadEvent: ...
    def import_all(self) -> list[ReloadEvent]: ...
    def module_files(self) -> dict[str, Path]: ...
    def top_level(self) -> tuple[dict[str, Path], list[Any]]: ...
    def import_module(self, name: str) -> ModuleType: ...
    def track(self, namespace: Any) -> Callable[[], None]: ...
    def subscribe(
        self, callback: Callable[[ReloadEvent], None]
    ) -> Callable[[], None]: ...


CommandFunc = Callable[[ReplReloader, list[str]], str]
#: A command that runs code: ``(namespace, rest of the line as typed) -> str``.
CodeCommandFunc = Callable[[dict[str, Any], str], str]


class ReplExit(Exception):
    """Raised by ``:quit`` (and turned from ``exit()``) to end the REPL."""

    def __init__(self, code: int = 0) -> None:
        self.code = code
        super().__init__(code)


def event_line(event: ReloadEvent) -> str:
    """One human line for an event; a failure says where it happened.

    ``str(event)`` names the exception; the file and line are what the user
    needs next, and a ``SyntaxError``'s message already carries them.
    """
    if is_unload(event):
        why = event.warnings[0].removeprefix(UNLOADED + ": ")
        return f"{event.module} unloaded: {why}"
    text = str(event)
    if event.ok and event.warnings[:1] and event.warnings[0].startswith(LOADED):
        how = event.warnings[0].removeprefix(LOADED + ": ")
        added = f": added {', '.join(event.added)}" if event.added else ""
        return f"{event.module} loaded {how}{added}"
    err = event.error
    if event.ok or err is None or isinstance(err, SyntaxError):
        return text
    frames = list(traceback.extract_tb(err.__traceback__))
    if event.path is not None:
        mine = [f for f in frames if f.filename == str(event.path)]
        if not mine:  # rejected, or raised where the user's code never was
            return f"{text} [{event.path}]"
        frames = mine
    if frames:
        text += f" [{frames[-1].filename}:{frames[-1].lineno}]"
    return text


def _notes(event: ReloadEvent) -> tuple[str, ...]:
    """The event's warnings that its line does not already say."""
    if is_unload(event) or (
        event.warnings[:1] and event.warnings[0].startswith(LOADED)
    ):
        return event.warnings[1:]
    return event.warnings


def report_text(event: ReloadEvent, history: Sequence[ReloadEvent] = ()) -> str:
    """The report of one reload: its line, then one line per warning.

    ``history`` (the reloader's, ``event`` last or absent) tells whether
    the module's previous version had failed: the good version that
    follows reads "back to a good version", not "no changes".
    """
    line = event_line(event)
    if event.ok and event.trigger != "import" and _follows_failure(event, history):
        good = "back to a good version"
        head, sep, rest = line.partition(" reloaded: ")
        if sep:
            rest = rest.replace("no changes", good, 1)
            line = head + sep + (rest if good in rest else f"{good}, {rest}")
    return line + "\n" + "".join(f"  warning: {w}\n" for w in _notes(event))


def _follows_failure(event: ReloadEvent, history: Sequence[ReloadEvent]) -> bool:
    before = [e for e in history if e.module == event.module and e is not event]
    before = [e for e in before if e.time <= event.time]
    return bool(before) and not before[-1].ok


def location(event: ReloadEvent) -> dict[str, object]:
    """``filename``, ``lineno`` and ``col`` of a failure, for JSON readers.

    From a ``SyntaxError`` itself, else from the innermost frame of the
    traceback that is in the module's file (or any frame, if none is);
    None where nothing is known. ``col`` counts from 1, as editors do.
    """
    err = event.error
    filename = str(event.path) if event.path else None
    lineno: int | None = None
    col: int | None = None
    if isinstance(err, SyntaxError) and err.lineno:
        filename, lineno, col = err.filename or filename, err.lineno, err.offset
    elif err is not None:
        frames = traceback.extract_tb(err.__traceback__)
        mine = [f for f in frames if f.filename == filename] or frames
        if mine:
            frame = mine[-1]
            filename, lineno = frame.filename, frame.lineno
            start = getattr(frame, "colno", None)
            col = start + 1 if isinstance(start, int) else None
    return {"filename": filename, "lineno": lineno, "col": col}


def latest_failed(history: Sequence[ReloadEvent]) -> dict[str, ReloadEvent]:
    """Modules whose newest version was rejected (the previous one is live)."""
    latest: dict[str, ReloadEvent] = {}
    for event in history:
        if event.trigger != "import":
            latest[event.module] = event
    return {name: e for name, e in latest.items() if not e.ok and not is_unload(e)}


_MISSING_ON_MODULE = re.compile(
    r"(?:AttributeError: module|ImportError: cannot import name '\w+' from) "
    r"'(?P<module>[\w.]+)'"
)
_MISSING_ON_CLASS = re.compile(
    r"AttributeError: (?:type object )?'(?P<cls>\w+)'(?: object)? has no attribute"
)


def missing_name_note(
    tb_text: str,
    history: Sequence[ReloadEvent],
    modules: Mapping[str, ModuleType],
) -> str | None:
    """A note for a traceback that looked for a name a rejected version adds.

    After a save is rejected the old version stays, without the new
    method or function; the bare ``AttributeError`` would not say why.
    """
    failed = latest_failed(history)
    if not failed:
        return None
    last = tb_text.rstrip("\n").rpartition("\n")[2]
    names: list[str] = []
    if match := _MISSING_ON_MODULE.search(last):
        names = [match["module"]] if match["module"] in failed else []
    elif match := _MISSING_ON_CLASS.search(last):
        names = [
            n
            for n in failed
            if isinstance(getattr(modules.get(n), match["cls"], None), type)
        ]
    if not names:
        return None
    event = failed[names[0]]
    where = _where(event)
    return (
        f"note: the latest version of {event.module} ({where}) was rejected; "
        f"the previous version is live (:errors {event.module} shows why)"
    )


def relative_path(filename: str) -> str:
    """``filename`` relative to the current directory when it is inside it."""
    with suppress(ValueError):  # outside the current directory: keep it absolute
        return str(Path(filename).relative_to(Path.cwd()))
    return filename


def _where(event: ReloadEvent) -> str:
    """``file:line`` of a failure (the file alone when no line is known)."""
    err = event.error
    filename, lineno = (str(event.path) if event.path else event.module), None
    if (
        isinstance(err, SyntaxError)
        and isinstance(err.filename, str)
        and isinstance(err.lineno, int)
        and err.filename
    ):
        filename, lineno = err.filename, err.lineno
    elif err is not None:
        frames = traceback.extract_tb(err.__traceback__)
        mine = [f for f in frames if f.filename == filename]
        if mine:
            lineno = mine[-1].lineno
    filename = relative_path(filename)
    return filename if lineno is None else f"{filename}:{lineno}"


def failure_line(event: ReloadEvent) -> str:
    """``file:line: module: Error: message``, the shape CI annotators parse.

    Used by ``hotreload check`` and for import failures of the daemon.
    """
    err = event.error
    if err is None:
        what = "failed"
    elif isinstance(err, SyntaxError):
        what = f"{type(err).__name__}: {safe_str(err.msg)}"
    elif isinstance(err, RejectedError):
        what = f"missing required name(s) {', '.join(err.missing)}"
    else:
        what = error_text(err)
    return f"{_where(event)}: {event.module}: {what}"


def is_command(line: str) -> bool:
    """Whether a line typed at ``>>> `` is a command rather than Python."""
    return line.lstrip().startswith(PREFIXES)


def run_command(
    reloader: ReplReloader, line: str, namespace: dict[str, Any] | None = None
) -> str:
    """Run one command line such as ``":reload greet"`` or ``"%status"``.

    ``namespace`` is where commands that run code (``:timeit``) run it.

    Returns:
        The text to show. An unknown command gives a message naming the close
        matches instead of raising.

    Raises:
        ReplExit: the command was ``:quit``.
    """
    text = line.strip()
    name, *args = text[1:].split() or ["help"]
    code_func = CODE_COMMANDS.get(name.lower())
    if code_func is not None:
        if namespace is None:
            return f"{text[0]}{name} runs code, which only the REPL can do"
        return code_func(namespace, text[1:].strip()[len(name) :])
    func = COMMANDS.get(name.lower())
    if func is None:
        return _unknown_command(name, prefix=text[0])
    return func(reloader, args)


def _unknown_command(name: str, prefix: str = ":") -> str:
    # Matched without the prefix, which every command shares.
    close = difflib.get_close_matches(name, _all_names(), n=3, cutoff=0.6)
    hint = " or ".join(f"{prefix}{c}" for c in close)
    return f"unknown command {prefix}{name}; " + (
        f"did you mean {hint}?" if close else f"see {prefix}help"
    )


def _unknown(what: str, name: str, choices: Sequence[str], help_cmd: str) -> str:
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}?" if close else f"see :{help_cmd}"
    return f"unknown {what} {name}; {hint}"


def _when(event: ReloadEvent) -> str:
    return time.strftime("%H:%M:%S", time.localtime(event.time)) if event.time else "-"


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def _check_module(reloader: ReplReloader, name: str) -> str | None:
    """A message if ``name`` is not a loaded module under the roots."""
    if name in reloader.modules:
        return None
    return _unknown("module", name, sorted(reloader.modules), "modules")


def help_text(names: Sequence[str] = ()) -> str:
    """One line per command (all by default): usage, then what it does.

    ``hotreload watch --help`` shows the same table as ``:help``.
    """
    rows = []
    for name in names or _all_names():
        func: Callable[..., str] | None = COMMANDS.get(name) or CODE_COMMANDS.get(name)
        if func is None:
            return _unknown_command(name)
        usage = f":{name} {_ARGS.get(name, '')}".rstrip()
        rows.append((usage, (func.__doc__ or "").splitlines()[0]))
    text = _table(rows)
    if not names:
        text += (
            "\n(% works as well as :; !COMMAND runs a shell command; NAME? shows"
            "\nwhat NAME is, NAME?? its source; any other line is Python)"
        )
    return text


def cmd_help(reloader: ReplReloader, args: list[str]) -> str:
    """Show the commands, or the help of one (:help reload)."""
    return help_text([a.lstrip(":%") for a in args])


def cmd_modules(reloader: ReplReloader, args: list[str]) -> str:
    """List modules: state, reloads so far, time of the last one."""
    counts: dict[str, int] = {}
    last: dict[str, ReloadEvent] = {}
    for event in reloader.history:
        if event.trigger != "import":
            counts[event.module] = counts.get(event.module, 0) + 1
        last[event.module] = event
    failures = reloader.import_failures
    loaded = reloader.modules
    files = reloader.module_files()
    bound, _ = reloader.top_level()  # scripts too: bound, imported on use
    names = sorted(set(loaded) | set(failures) | set(files) | set(bound))
    if not names:
        return "no modules under " + ", ".join(map(str, reloader.roots))
    rows = [("module", "state", "reloads", "last reload")]
    for name in names:
        latest = last.get(name)
        if name in failures:
            state = "failed"
        elif name not in loaded:
            state = "not loaded"
        elif latest is not None and not latest.ok:
            state = "failed (previous version live)"
        else:
            state = "ok"
        shown = _when(latest) if latest is not None and name in counts else "-"
        rows.append((name, state, str(counts.get(name, 0)), shown))
    return _table(rows)


def cmd_reload(reloader: ReplReloader, args: list[str]) -> str:
    """Reload modules now; all (the default): every one, imports first.

    Only what changed runs; ``--full`` runs each whole module again.
    """
    full = "--full" in args
    args = [a for a in args if a != "--full"]
    if not args or args == ["all"]:
        names = _dependency_order(reloader)
        if not names:
            return "no modules to reload"
    else:
        names = args
    lines = []
    for name in names:
        try:
            lines.append(str(reloader.reload(name, full=full)))
        except UnknownModuleError as exc:
            # The reloader says why ("not imported yet" differs from a typo).
            close = difflib.get_close_matches(name, sorted(reloader.modules), n=3)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            lines.append(f"{exc}{hint}")
    return "\n".join(lines)


def _dependency_order(reloader: ReplReloader) -> list[str]:
    """Loaded modules, each after the modules it imports (cycles broken)."""
    order: list[str] = []
    state: dict[str, bool] = {}  # False: visiting, True: done

    def visit(name: str) -> None:
        if name in state:
            return
        state[name] = False
        for dep in sorted(reloader.imports_of(name)):
            if dep in reloader.modules:
                visit(dep)
        state[name] = True
        order.append(name)

    for name in sorted(reloader.modules):
        visit(name)
    return order


def cmd_status(reloader: ReplReloader, args: list[str]) -> str:
    """Show roots, watcher, paused or not, changes not applied yet."""
    pending = reloader.pending_paths()
    if reloader.is_paused:
        mode = (
            f"paused ({len(pending)} change{'s' if len(pending) != 1 else ''} queued)"
        )
    else:
        mode = "applied as files change"
    rows = [
        ("roots:", ", ".join(map(str, reloader.roots))),
        ("watcher:", reloader.backend),
        ("reloads:", mode),
        (
            "modules:",
            f"{len(reloader.modules)} loaded, "
            f"{len(reloader.import_failures)} failed to import",
        ),
    ]
    if pending:
        rows.append(("pending:", ", ".join(str(p) for p in pending)))
    return _table(rows)


def cmd_history(reloader: ReplReloader, args: list[str]) -> str:
    """Show the last reloads, newest last (:history 50 for more)."""
    try:
        count = int(args[0]) if args else 20
    except ValueError:
        count = 0
    if count < 1:
        return f"history: give a number of reloads, 1 or more, not {args[0]}"
    events = list(reloader.history)[-count:]
    if not events:
        return "no reloads yet"
    return "\n".join(f"{_when(e)}  {e}" for e in events)


def _failures(reloader: ReplReloader) -> Iterator[ReloadEvent]:
    yield from reloader.import_failures.values()
    yield from (e for e in reloader.history if not e.ok)


def cmd_errors(reloader: ReplReloader, args: list[str]) -> str:
    """Show the last failure's full traceback (of NAME, if given)."""
    failures = [e for e in _failures(reloader) if not args or e.module == args[0]]
    if not failures:
        return "no failures" + (f" of {args[0]}" if args else "")
    event = max(failures, key=lambda e: e.time)
    text = f"{_when(event)}  {event}"
    if event.traceback:
        text += "\n" + event.traceback.rstrip("\n")
    fixed = [
        e
        for e in reloader.history
        if e.module == event.module and e.ok and e.time >= event.time
    ]
    if fixed:
        text += (
            f"\n(fixed at {_when(fixed[-1])}: a later version of {event.module} "
            "loaded; this failure is history)"
        )
    return text


def cmd_deps(reloader: ReplReloader, args: list[str]) -> str:
    """Show what a module imports and what imports it."""
    if len(args) != 1:
        return "usage: :deps NAME"
    name = args[0]
    problem = _check_module(reloader, name)
    if problem:
        return problem
    imports = (
        ", ".join(sorted(reloader.imports_of(name))) or "(nothing under the roots)"
    )
    importers = ", ".join(sorted(reloader.importers_of(name))) or "(nothing)"
    return f"{name} imports: {imports}\n{name} is imported by: {importers}"


def cmd_pause(reloader: ReplReloader, args: list[str]) -> str:
    """Hold reloads: changes queue up until :resume."""
    if reloader.is_paused:
        return "reloads are already paused; :resume applies what is queued"
    reloader.pause()
    return "reloads paused; changes queue until :resume"


def cmd_resume(reloader: ReplReloader, args: list[str]) -> str:
    """Apply the queued changes and reload as files change again."""
    if not reloader.is_paused:
        return "reloads are not paused"
    queued = len(reloader.pending_paths())
    reloader.resume()
    return (
        f"reloads resumed; {queued} queued change{'s' if queued != 1 else ''} applied"
    )


def cmd_quit(reloader: ReplReloader, args: list[str]) -> str:
    """Stop watching and leave (Ctrl-D does the same)."""
    raise ReplExit(0)


#: name -> command; the order is the order of ``:help``.
COMMANDS: Final[dict[str, CommandFunc]] = {
    "help": cmd_help,
    "modules": cmd_modules,
    "reload": cmd_reload,
    "status": cmd_status,
    "history": cmd_history,
    "errors": cmd_errors,
    "deps": cmd_deps,
    "pause": cmd_pause,
    "resume": cmd_resume,
    "quit": cmd_quit,
}

#: name -> command that runs code in the REPL's namespace.
CODE_COMMANDS: Final[dict[str, CodeCommandFunc]] = {
    "timeit": timeit_command,
}


def _all_names() -> list[str]:
    """Every command, in the order of ``:help`` (``:quit`` last)."""
    names = [*COMMANDS, *CODE_COMMANDS]
    names.remove("quit")
    return [*names, "quit"]


_ARGS: Final = {
    "help": "[COMMAND]",
    "timeit": "[-n N] [-r R] STATEMENT",
    "reload": "[--full] [NAME ...|all]",
    "history": "[N]",
    "errors": "[NAME]",
    "deps": "NAME",
}
