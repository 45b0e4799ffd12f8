"""The ``hotreload`` command: ``watch``, ``run`` and ``check``.

Exit codes (DESIGN): 0 success, 1 a failure the tool reports (``check``
found broken modules, a script raised), 2 a usage error, always as one line
on stderr and never a traceback. This is the only place that turns
exceptions into exit codes and the only place that attaches log handlers.

prompt-toolkit and Pygments are imported only on the REPL's path, so
``check``, ``--version`` and the daemon start fast.
"""

from __future__ import annotations

import argparse
import builtins
import json
import logging
import os
import signal
import sys
import textwrap
import traceback
import types
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn, TextIO

from hotreload.commands import (
    failure_line,
    help_text,
    location,
    relative_path,
    report_text,
)
from hotreload.config import CONFIG_KEYS, Settings, resolve
from hotreload.console import as_main, exec_main, main_module
from hotreload.errors import (
    HotreloadWarning,
    ReloadError,
    RootError,
)
from hotreload.events import ReloadEvent
from hotreload.isolation import for_user, preload
from hotreload.lazy import Binder
from hotreload.reloader import DEFAULT_TIMEOUT, Reloader
from hotreload.terminal import Held, hold_keys

__all__ = ["build_parser", "main"]

for_user(main_module.__code__)  # `run -m NAME` finds NAME as `python -m` would

logger = logging.getLogger(__name__)

_DESCRIPTION = """\
Reload edited Python modules inside the running process: functions, classes,
instances and the names bound to them all run the new code at once.

  hotreload watch ./mymods            a REPL with every module bound by name
  hotreload watch ./mymods --no-repl  a daemon that reports each reload
  hotreload run app.py                run a script with reloading active
  hotreload check ./mymods            import everything once (for CI)

Settings may also come from [tool.hotreload] in the nearest pyproject.toml at
or above the current directory (paths, exclude, debounce, polling, cascade,
require, follow_symlinks); flags win.

Nothing runs just because it is in the directory: the REPL binds each
module by name and imports it on first use; check and --no-repl import the
modules and skip setup.py, conftest.py and scripts (files whose top level
loops or calls something outside if __name__ == "__main__":), saying so.
`hotreload COMMAND --help` describes each command.

exit status: 0 success, 1 a reported failure (check found broken modules,
the program of `run` failed), 2 a usage error (one line on stderr), 130
(143) when Ctrl-C (SIGTERM) cut a module's first import short; once the
daemon is ready, Ctrl-C and SIGTERM stop it with 0.
"""


class _UsageError(Exception):
    """A bad command line: one line on stderr, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints the usage block and the message; DESIGN wants one line.
        raise _UsageError(f"{self.prog}: error: {message}")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hotreload")
    except PackageNotFoundError:  # pragma: no cover  running from a bare checkout
        return "unknown"


def _seconds(text: str) -> float | None:
    """``--timeout``'s value: seconds > 0, or 0 for no limit."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be >= 0 seconds: {text!r}")
    return value or None


# (flags, argparse keywords, also on `check`): each becomes a `Settings` field,
# None when not given so that [tool.hotreload] applies (config.resolve).
_RELOADER_OPTIONS: list[tuple[tuple[str, ...], dict[str, Any], bool]] = [
    (("--poll",), {"dest": "polling", "action": argparse.BooleanOptionalAction,
     "help": "poll for changes instead of OS events (network mounts, VMs, "
     "containers)"}, False),
    (("--debounce",), {"type": float, "metavar": "MS",
     "help": "milliseconds of quiet before changed files are reloaded "
     "(default: 10; a lone finished save waits a fifth of it on Linux; "
     "also milliseconds in pyproject.toml)"}, False),
    (("--cascade",), {"action": argparse.BooleanOptionalAction,
     "help": "also re-execute the modules that import a reloaded module"}, False),
    (("--exclude",), {"action": "append", "metavar": "GLOB",
     "help": "ignore files matching GLOB, relative to their root (repeatable; "
     "replaces the exclude list of pyproject.toml)"}, True),
    (("--require",), {"action": "append", "metavar": "NAME",
     "help": "reject a module that does not define NAME (repeatable)"}, True),
    (("--follow-symlinks",), {"action": argparse.BooleanOptionalAction,
     "help": "follow symbolic links that lead outside a root"}, True),
    (("--timeout",), {"type": _seconds, "metavar": "SECONDS",
     "default": DEFAULT_TIMEOUT,
     "help": "interrupt a module whose code runs longer than SECONDS in one "
     "reload or first import (a `while True:` or a server started at import), "
     f"roll it back and report it (default: {DEFAULT_TIMEOUT:g}; 0: no limit)"},
     True),
]  # fmt: skip


def _add_reloader_options(parser: argparse.ArgumentParser, *, watching: bool) -> None:
    group = parser.add_argument_group("reloader options")
    for flags, options, on_check in _RELOADER_OPTIONS:
        if watching or on_check:
            group.add_argument(*flags, **options)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``hotreload`` and its subcommands."""
    parser = _Parser(
        prog="hotreload",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument(
        "--version", action="version", version=f"hotreload {_version()}"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    watch = sub.add_parser(
        "watch",
        help="watch module directories; open a REPL (or run headless)",
        description="Watch PATHs and reload modules as their files change.\n"
        "Opens a REPL where every top-level module is bound by name and\n"
        "imported on first use; Ctrl-C cancels the line or interrupts a\n"
        "running call (a slow import too), Ctrl-D or :quit leaves. With\n"
        "statements piped in, runs them as python does and exits.\n"
        "--no-repl imports the modules (not setup.py, conftest.py or scripts)\n"
        "and reloads those; files it skipped are watched, never run.",
        epilog="commands in the REPL:\n" + textwrap.indent(help_text(), "  "),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    watch.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="directories of modules (default: paths of [tool.hotreload], else .)",
    )
    watch.add_argument(
        "--no-repl",
        action="store_true",
        help="run headless: report each reload on stderr until Ctrl-C or SIGTERM",
    )
    watch.add_argument(
        "--json",
        action="store_true",
        help="headless (implies --no-repl), one JSON object per line on stdout: "
        'first {"event": "ready", ...}, then {"event": "reload", ...} per reload',
    )
    _add_reloader_options(watch, watching=True)

    run = sub.add_parser(
        "run",
        help="run a script (or -m MODULE) with reloading active",
        description="Run SCRIPT (or -m MODULE) as __main__ with the reloader "
        "active: edits to the modules it imports, and to the definitions of "
        "SCRIPT itself, apply while it runs, each reported on stderr in one "
        "line (applied, rejected with its file and line, or skipped). "
        "Everything after SCRIPT or -m MODULE is passed to the program in "
        "sys.argv.",
        usage="hotreload run [options] (SCRIPT | -m MODULE) [ARGS ...]",
        allow_abbrev=False,
    )
    run.add_argument(
        "--watch",
        action="append",
        metavar="PATH",
        help="directory to watch (repeatable; default: paths of "
        "[tool.hotreload], else the script's directory, or . with -m)",
    )
    run.add_argument(
        "-m",
        dest="module",
        metavar="MODULE",
        help="run a module as python -m does",
    )
    run.add_argument(
        "-i",
        dest="interactive",
        action="store_true",
        help="open the REPL on the program's namespace when it finishes",
    )
    run.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="do not report reloads on stderr (one line each by default)",
    )
    run.add_argument(
        "argv",
        nargs=argparse.REMAINDER,
        metavar="SCRIPT [ARGS ...]",
        help="the program and its own arguments (its sys.argv)",
    )
    _add_reloader_options(run, watching=True)

    check = sub.add_parser(
        "check",
        help="import every module once and report failures (exit 1 if any)",
        description="Import every module under PATHs once. Prints one line per "
        "module that fails to import or lacks a --require name, and exits 1 if "
        "any did, or if there was no module to check, 0 otherwise. setup.py, "
        "conftest.py and scripts (a top-level loop or call outside "
        'if __name__ == "__main__":) are skipped, one line each on stderr.',
        allow_abbrev=False,
    )
    check.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="directories of modules (default: paths of [tool.hotreload], else .)",
    )
    _add_reloader_options(check, watching=False)
    return parser


# Options of `run` that take a value, to find where the program's own
# arguments start (argparse would otherwise take `-m pkg -i` as its own -i).
_RUN_VALUE_OPTIONS = ("--watch", "--debounce", "--exclude", "--require", "--timeout")
_INIT = "__init__.py"


def _split_run_argv(args: list[str]) -> tuple[list[str], str | None, list[str]]:
    """Split ``run``'s arguments into (our options, MODULE or None, program args)."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-m" or (arg.startswith("-m") and not arg.startswith("--")):
            module = args[i + 1] if arg == "-m" and i + 1 < len(args) else arg[2:]
            if not module:
                raise _UsageError("hotreload run: error: -m needs a MODULE")
            rest = args[i + 2 :] if arg == "-m" else args[i + 1 :]
            return args[:i], module, rest
        if arg == "--" or not arg.startswith("-"):
            break
        i += 2 if arg in _RUN_VALUE_OPTIONS else 1
    return args, None, []


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = build_parser()
    module: str | None = None
    program_args: list[str] = []
    if argv[:1] == ["run"]:
        ours, module, program_args = _split_run_argv(argv[1:])
        argv = ["run", *ours]
    ns = parser.parse_args(argv)
    if ns.command is None:
        raise _UsageError(
            "hotreload: error: give a command: watch, run or check (see --help)"
        )
    if ns.command == "run":
        if module is not None:
            ns.module, ns.argv = module, program_args
        else:
            if ns.argv[:1] == ["--"]:
                ns.argv = ns.argv[1:]
            if not ns.argv:
                raise _UsageError("hotreload run: error: give a SCRIPT or -m MODULE")
        ns.paths = ns.watch or []
    return ns


def _settings(ns: argparse.Namespace) -> Settings:
    flags = {k: getattr(ns, k) for k in CONFIG_KEYS if hasattr(ns, k)}
    default_paths = None
    if ns.command == "run":
        # Watch what the program imports from next to it, as python puts the
        # script's directory (or, with -m, the current one) on sys.path.
        script_dir = Path.cwd() if ns.module else _script_path(ns.argv[0]).parent
        default_paths = [script_dir]
    settings = resolve(flags, default_paths=default_paths)
    for path in settings.paths:
        if not path.exists():
            raise RootError(path, "no such directory")
        if not path.is_dir():
            raise RootError(path, "not a directory")
        if ns.command != "run" and (path / _INIT).is_file():
            raise _UsageError(_package_hint(ns.command, path))
    if ns.command == "run" and not ns.module:
        # The script itself is watched: its directory must be a root.
        script_dir = _script_path(ns.argv[0]).parent
        roots = [p.resolve() for p in settings.paths]
        if not any(script_dir.is_relative_to(r) for r in roots):
            settings = replace(settings, paths=(*settings.paths, script_dir))
    return settings


def _package_hint(command: str, path: Path) -> str:
    """One line: ``path`` is a package; watch the directory that holds it."""
    text = str(path).rstrip("/") or "."
    parent = os.path.dirname(text) or "."
    name = os.path.basename(text) if text != "." else Path.cwd().name
    if text == "." or name == "..":
        parent = str(path.resolve().parent)
        name = path.resolve().name
    return (
        f"hotreload {command}: error: {text} is a package (it holds {_INIT}); "
        f"to work with it as package {name}, type: hotreload {command} {parent}"
    )


def _script_path(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        reason = "not a file" if path.exists() else "no such file"
        raise _UsageError(f"hotreload run: error: {text}: {reason}")
    return path.resolve()


def _reloader(settings: Settings, timeout: float | None) -> Reloader:
    return Reloader(settings.paths, timeout=timeout, **settings.reloader_options())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Args:
        argv: the arguments without the program name (default:
            ``sys.argv[1:]``).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        ns = _parse(args)
        settings = _settings(ns)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except (_UsageError, ReloadError) as exc:
        message = str(exc)
        if not message.startswith("hotreload"):
            message = f"hotreload: error: {message}"
        print(message, file=sys.stderr)
        return 2
    with _reporting():
        try:
            if ns.command == "check":
                return _check(settings, ns.timeout)
            if ns.command == "run":
                return _run(ns, settings)
            if ns.no_repl or ns.json:
                return _daemon(settings, as_json=ns.json, timeout=ns.timeout)
            return _repl(settings, ns.timeout)
        except ReloadError as exc:
            print(f"hotreload: error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt as exc:
            return _interrupted(exc, settings.paths)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be (see `_sigterm_as_interrupt`)."""


def _interrupted(exc: KeyboardInterrupt, roots: Sequence[Path]) -> int:
    """Say, in one line, where an interrupt stopped us; return the exit code.

    As Python itself: 130 after Ctrl-C, 143 after SIGTERM (128 + signal).
    The line names the user's file and line that was running, if any.
    """
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename)
        if path.is_absolute() and any(path.is_relative_to(r) for r in roots):
            where = f" in {relative_path(frame.filename)}:{frame.lineno}"
            break
    what = "terminated" if isinstance(exc, _Terminated) else "interrupted"
    print(f"hotreload: {what}{where}; stopped", file=sys.stderr)
    return 143 if isinstance(exc, _Terminated) else 130


class _Stderr:
    """``sys.stderr`` looked up at each write: the REPL patches it."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


@contextmanager
def _reporting() -> Iterator[None]:
    """Show the library's log records and warnings as short stderr lines."""
    package_logger = logging.getLogger("hotreload")
    handler = logging.StreamHandler(_Stderr())
    handler.setFormatter(logging.Formatter("hotreload: %(message)s"))
    package_logger.addHandler(handler)
    if package_logger.level == logging.NOTSET:
        package_logger.setLevel(logging.WARNING)
    default_show = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if issubclass(category, HotreloadWarning):
            print(f"hotreload: warning: {message}", file=sys.stderr)
        else:
            default_show(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.showwarning = show
        try:
            yield
        finally:
            package_logger.removeHandler(handler)


def _count(n: int) -> str:
    return f"{n} module{'' if n == 1 else 's'}"


def _check(settings: Settings, timeout: float | None) -> int:
    """Import every module once; one line per failure on stdout."""
    reloader = _reloader(settings, timeout)  # never started: nothing to watch
    try:
        failures = reloader.import_all()
        skipped = reloader.skipped
        lines = [failure_line(e) for e in failures]
        failed = {e.module for e in failures}
        total = len(set(reloader.modules) | failed)
    finally:
        reloader.stop()
    for item in skipped:
        print(
            f"hotreload: skipped {relative_path(str(item.path))}: {item.reason}",
            file=sys.stderr,
        )
    for line in lines:
        print(line)
    if lines:
        print(f"hotreload: {len(failed)} of {_count(total)} failed", file=sys.stderr)
        return 1
    if total == 0:
        roots = ", ".join(relative_path(str(r)) for r in reloader.roots)
        print(
            f"hotreload: error: no module to check under {roots}"
            + (f" ({len(skipped)} files skipped)" if skipped else ""),
            file=sys.stderr,
        )
        return 1
    extra = f", {len(skipped)} skipped" if skipped else ""
    print(f"hotreload: {_count(total)} ok{extra}", file=sys.stderr)
    return 0


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Let SIGTERM stop the daemon the way Ctrl-C does (exit 0 once it is ready)."""

    def interrupt(signum: int, frame: types.FrameType | None) -> None:
        raise _Terminated

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # pragma: no cover  not the main thread: leave it be
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _emit(obj: dict[str, Any], out: TextIO) -> None:
    # Flushed per line: a reader of the pipe must see each event as it lands.
    print(json.dumps(obj), file=out, flush=True)


@contextmanager
def _stdout_for_events(as_json: bool) -> Iterator[TextIO]:
    """Standard output for the events; with --json, user code prints to stderr.

    Modules print at import and at reload, and run subprocesses that write
    to file descriptor 1; on stdout, next to the JSON lines, that would
    break the stream for whatever reads it. So descriptor 1 itself goes to
    stderr meanwhile, and the events get a descriptor of their own.
    """
    out = sys.stdout
    if not as_json:
        yield out
        return
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):  # captured, as in tests
        fd = -1
    if fd != 1:
        sys.stdout = sys.stderr
        try:
            yield out
        finally:
            sys.stdout = out
        return
    out.flush()
    events_fd = os.dup(1)
    os.dup2(2, 1)
    # Closed in the finally below, after descriptor 1 is given back.
    events = open(events_fd, "w", encoding="utf-8", buffering=1)  # noqa: SIM115
    try:
        yield events
    finally:
        sys.stdout.flush()  # the modules' own output, to stderr still
        os.dup2(events_fd, 1)
        events.close()  # may raise BrokenPipeError: the reader is gone


def _daemon(settings: Settings, *, as_json: bool, timeout: float | None) -> int:
    """Report reloads until Ctrl-C or SIGTERM: JSON on stdout or lines on stderr."""
    reloader = _reloader(settings, timeout)
    cut_short = 0  # the exit code once a first import was interrupted
    try:
        with _sigterm_as_interrupt(), _stdout_for_events(as_json) as out:
            reloader.start()
            try:
                try:
                    failures = reloader.import_all()
                except KeyboardInterrupt as exc:
                    # Not a clean stop: a module's first run was cut short.
                    cut_short = _interrupted(exc, reloader.roots)
                    return cut_short
                _announce(reloader, failures, out if as_json else None)
                while True:
                    event = reloader.wait(timeout=1.0)
                    if event is None:
                        continue
                    if as_json:
                        _emit(_event_json(event), out)
                        continue
                    text = report_text(event, reloader.history)
                    print(text, end="", file=sys.stderr, flush=True)
            finally:
                reloader.stop()
    except KeyboardInterrupt:
        if cut_short:  # a second signal while stopping changes nothing
            return cut_short
    except BrokenPipeError:
        # The reader of --json went away: nothing left to report to.
        return 1
    if not as_json:
        print("hotreload: stopped", file=sys.stderr)
    return 0


def _event_json(event: ReloadEvent) -> dict[str, Any]:
    """A reload event as JSON; a failure also says where: file, line, column."""
    data: dict[str, Any] = {"event": "reload", **event.as_dict()}
    if not event.ok:
        data.update(location(event))
    return data


def _announce(
    reloader: Reloader, failures: list[ReloadEvent], json_out: TextIO | None
) -> None:
    """The daemon's first words: the ready line (JSON to ``json_out``), failures."""
    if json_out is not None:
        _emit(
            {
                "event": "ready",
                "roots": [str(r) for r in reloader.roots],
                "modules": sorted(reloader.modules),
                "failures": [{**e.as_dict(), **location(e)} for e in failures],
                "skipped": [
                    {"path": str(s.path), "reason": s.reason} for s in reloader.skipped
                ],
            },
            json_out,
        )
        return
    roots = ", ".join(map(str, reloader.roots))
    count = len(reloader.modules)
    print(
        f"hotreload: watching {roots} ({reloader.backend}), {_count(count)}; "
        "Ctrl-C stops",
        file=sys.stderr,
    )
    for item in reloader.skipped:
        path = relative_path(str(item.path))
        print(f"hotreload: skipped {path}: {item.reason}", file=sys.stderr)
    for event in failures:
        print(f"hotreload: {failure_line(event)}", file=sys.stderr)


# What the REPL imports only as it opens the terminal: imported before the
# user's code runs, so that a root's tty.py or termios.py cannot stand in.
_TERMINAL_MODULES = (
    "termios",
    "tty",
    "prompt_toolkit.input.vt100",
    "prompt_toolkit.output.vt100",
)


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _repl(settings: Settings, timeout: float | None) -> int:
    if not _stdin_is_terminal():
        return _piped(settings, timeout)
    # Keys typed while hotreload starts (a Ctrl-D) wait for the first prompt.
    startup = hold_keys(sys.stdin)

    def hold() -> Held:
        startup.release()
        return hold_keys(sys.stdin)

    try:
        from hotreload.repl import Repl  # prompt-toolkit loads only here

        preload(_TERMINAL_MODULES)
        with _reloader(settings, timeout) as reloader:
            return Repl(reloader, hold_keys=hold).run()
    finally:
        startup.release()


def _piped(settings: Settings, timeout: float | None) -> int:
    """Statements piped in: run them as ``python`` runs its standard input.

    The modules are bound as in the REPL (imported on first use) and the
    exit status is the program's: 1 after a traceback, as python gives.
    """
    source = sys.stdin.read()
    module = types.ModuleType("__main__")
    module.__builtins__ = builtins  # type: ignore[attr-defined]  # exec needs it
    with _reloader(settings, timeout) as reloader:
        Binder(reloader, vars(module), _write_stderr).bind()
        untrack = reloader.track(module)
        try:
            with as_main(module, [""], str(Path.cwd())):
                return exec_main(module, source, "<stdin>", sys.stderr.write)
        finally:
            untrack()


def _run(ns: argparse.Namespace, settings: Settings) -> int:
    """Run a script or module as ``__main__`` with reloading active."""
    if ns.interactive:  # the REPL comes after the program: load it before
        preload(("hotreload.repl", *_TERMINAL_MODULES))
    with _reloader(settings, ns.timeout) as reloader:
        script = None if ns.module else _script_path(ns.argv[0])
        module, source, filename = main_module(script, ns.module)
        if ns.module:
            argv, path_entry = [filename, *ns.argv], str(Path.cwd())
        else:
            argv, path_entry = list(ns.argv), str(Path(filename).parent)
        untrack = reloader.track(module)
        if script is not None:
            reloader.watch_main(module)
        unsubscribe: Callable[[], None] = _nothing
        if not ns.quiet:
            unsubscribe = reloader.subscribe(lambda event: _report(event, reloader))
        try:
            with as_main(module, argv, path_entry):
                status = exec_main(module, source, filename, sys.stderr.write)
                if ns.interactive:
                    from hotreload.repl import Repl  # prompt-toolkit loads only here

                    repl = Repl(reloader, namespace=module.__dict__, bind_modules=False)
                    status = repl.run()
        finally:
            unsubscribe()
            untrack()
    return status


def _nothing() -> None:
    """Nothing to undo."""


def _write_stderr(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def _report(event: ReloadEvent, reloader: Reloader) -> None:
    """``run``'s line for a reload: on stderr, beside the program's output."""
    text = report_text(event, reloader.history)
    sys.stderr.write(
        "hotreload: " + text.replace("\n  warning", "\nhotreload:   warning")
    )
    sys.stderr.flush()
