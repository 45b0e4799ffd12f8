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
import json
import logging
import os
import signal
import sys
import textwrap
import types
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TextIO

from hotreload.commands import event_line, failure_line, help_text
from hotreload.config import CONFIG_KEYS, Settings, resolve
from hotreload.console import as_main, exec_main, main_module
from hotreload.errors import (
    HotreloadWarning,
    ReloadError,
    RootError,
)
from hotreload.events import ReloadEvent
from hotreload.reloader import DEFAULT_TIMEOUT, Reloader

__all__ = ["build_parser", "main"]

logger = logging.getLogger(__name__)

_DESCRIPTION = """\
Reload edited Python modules inside the running process: functions, classes,
instances and the names bound to them all run the new code at once.

  hotreload watch ./mymods            a REPL with every module bound by name
  hotreload watch ./mymods --no-repl  a daemon that reports each reload
  hotreload run app.py                run a script with reloading active
  hotreload check ./mymods            import everything once (for CI)

Settings may also come from [tool.hotreload] in ./pyproject.toml (paths,
exclude, debounce, polling, cascade, require, follow_symlinks); flags win.
`hotreload COMMAND --help` describes each command.

exit status: 0 success, 1 a reported failure (check found broken modules,
the program of `run` failed), 2 a usage error (one line on stderr).
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
     "(default: 10; a lone finished save is read at once on Linux; "
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
        "Opens a REPL where every top-level module is bound by name; Ctrl-C\n"
        "cancels the line or interrupts a running call, Ctrl-D or :quit leaves.",
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
        "active: edits to the modules it imports apply while it runs. Everything "
        "after SCRIPT or -m MODULE is passed to the program in sys.argv.",
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
        "any did, 0 otherwise.",
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
    return settings


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
        except KeyboardInterrupt:
            return 130


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
        lines = [failure_line(e) for e in failures]
        failed = {e.module for e in failures}
        total = len(set(reloader.modules) | failed)
    finally:
        reloader.stop()
    for line in lines:
        print(line)
    if lines:
        print(f"hotreload: {len(failed)} of {_count(total)} failed", file=sys.stderr)
        return 1
    print(f"hotreload: {_count(total)} ok", file=sys.stderr)
    return 0


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Let SIGTERM stop the daemon the way Ctrl-C does: cleanly, exit 0."""

    def interrupt(signum: int, frame: types.FrameType | None) -> None:
        raise KeyboardInterrupt

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
    try:
        with _sigterm_as_interrupt(), _stdout_for_events(as_json) as out:
            reloader.start()
            try:
                _announce(reloader, reloader.import_all(), out if as_json else None)
                while True:
                    event = reloader.wait(timeout=1.0)
                    if event is None:
                        continue
                    if as_json:
                        _emit({"event": "reload", **event.as_dict()}, out)
                        continue
                    print(event_line(event), file=sys.stderr, flush=True)
                    for warning in event.warnings:
                        print(f"  warning: {warning}", file=sys.stderr)
            finally:
                reloader.stop()
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:
        # The reader of --json went away: nothing left to report to.
        return 1
    if not as_json:
        print("hotreload: stopped", file=sys.stderr)
    return 0


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
                "failures": [e.as_dict() for e in failures],
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
    for event in failures:
        print(f"hotreload: {failure_line(event)}", file=sys.stderr)


def _repl(settings: Settings, timeout: float | None) -> int:
    from hotreload.repl import Repl  # prompt-toolkit loads only here

    with _reloader(settings, timeout) as reloader:
        return Repl(reloader).run()


def _run(ns: argparse.Namespace, settings: Settings) -> int:
    """Run a script or module as ``__main__`` with reloading active."""
    with _reloader(settings, ns.timeout) as reloader:
        script = None if ns.module else _script_path(ns.argv[0])
        module, source, filename = main_module(script, ns.module)
        if ns.module:
            argv, path_entry = [filename, *ns.argv], str(Path.cwd())
        else:
            argv, path_entry = list(ns.argv), str(Path(filename).parent)
        untrack = reloader.track(module)
        try:
            with as_main(module, argv, path_entry):
                status = exec_main(module, source, filename, sys.stderr.write)
                if ns.interactive:
                    from hotreload.repl import Repl  # prompt-toolkit loads only here

                    repl = Repl(reloader, namespace=module.__dict__, bind_modules=False)
                    status = repl.run()
        finally:
            untrack()
    return status
