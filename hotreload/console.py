"""Running user code: the REPL's core without a terminal, and ``run``'s program.

`Console` has no prompt-toolkit in it, so most of the REPL is tested as a
plain object (STYLE 2.10). It reads input the way Python's own REPL does
(``codeop.CommandCompiler`` decides whether a statement is complete),
evaluates an expression and echoes its ``repr``, executes anything else, and
keeps the last non-None result in ``_``.

`main_module`, `as_main` and `exec_main` run a whole program as
``__main__`` for ``hotreload run``, the way ``python SCRIPT`` and
``python -m MODULE`` do.
"""

from __future__ import annotations
import __future__

import ast
import builtins
import codeop
import functools
import importlib.util
import itertools
import linecache
import operator
import os
import sys
import traceback
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType, TracebackType
from typing import Any, Final

from hotreload.errors import UnknownModuleError

__all__ = ["Console", "as_main", "exec_main", "format_exception", "main_module"]

_PACKAGE_DIR: Final = os.path.dirname(os.path.abspath(__file__)) + os.sep

# compile() flags that a `from __future__ import ...` typed earlier turned on.
_FUTURE_MASK: Final = functools.reduce(
    operator.or_,
    (getattr(__future__, name).compiler_flag for name in __future__.all_feature_names),
)

_input_numbers = itertools.count(1)
_NOTHING: Final = object()


def _is_ours(tb: TracebackType) -> bool:
    return tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR)


def _trim(exc: BaseException, seen: set[int] | None = None) -> None:
    """Drop hotreload's own frames from ``exc``'s traceback (and its chain).

    The user should see their line and their module, not the console's
    ``exec`` or the reloader's import hook they went through.
    """
    seen = set() if seen is None else seen
    if id(exc) in seen:
        return
    seen.add(id(exc))
    kept: list[TracebackType] = []
    tb = exc.__traceback__
    while tb is not None:
        if not _is_ours(tb):
            kept.append(tb)
        tb = tb.tb_next
    for first, second in itertools.pairwise(kept):
        first.tb_next = second
    if kept:
        kept[-1].tb_next = None
    exc.__traceback__ = kept[0] if kept else None
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None:
            _trim(linked, seen)


def format_exception(exc: BaseException) -> str:
    """Format ``exc`` like Python's REPL, without hotreload's frames."""
    _trim(exc)
    if isinstance(exc, SyntaxError) and exc.__traceback__ is None:
        # A syntax error in the typed line itself: Python shows no header.
        return "".join(traceback.format_exception_only(type(exc), exc))
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


class Console:
    """Python's interactive loop as an object: ``push`` lines, get output.

    Args:
        namespace: the globals (and locals) user code runs in. Modules bound
            here are what the user works with; the REPL passes the same dict
            to ``Reloader.track`` so ``from m import f`` follows reloads.
        write: where results and tracebacks go (text ending in a newline).
        show: turns a result into the text echoed (``repr`` by default; the
            REPL lays long and nested results out to the terminal's width).
        show_error: turns a formatted traceback into the text written (the
            REPL colours it for a terminal); unchanged by default.
    """

    def __init__(
        self,
        namespace: dict[str, Any],
        write: Callable[[str], None],
        *,
        show: Callable[[object], str] = repr,
        show_error: Callable[[str], str] | None = None,
    ) -> None:
        self.namespace = namespace
        self.write = write
        self._show = show
        self._show_error = show_error
        self._compiler = codeop.CommandCompiler()
        self._buffer: list[str] = []
        self._filename = ""
        self._shown: object = _NOTHING  # the value last echoed into ``_``

    @property
    def buffer(self) -> str:
        """The lines of the unfinished statement, or ``""``."""
        return "\n".join(self._buffer)

    def reset(self) -> None:
        """Forget an unfinished statement (Ctrl-C at a ``... `` prompt)."""
        self._buffer.clear()

    def push(self, line: str) -> bool:
        """Add one line (or a pasted block) of input and run it when complete.

        Args:
            line: the text as typed, without its final newline.

        Returns:
            True when the statement is incomplete and more input is needed
            (show ``... ``); False when it ran or failed to compile.
        """
        if not line.strip():
            # A line of only spaces ends a block, as in Python's REPL.
            line = ""
        if not self._buffer:
            # One name per statement, so a traceback quotes the right lines.
            self._filename = f"<input-{next(_input_numbers)}>"
        self._buffer.append(line)
        source, filename = self.buffer, self._filename
        try:
            complete = self._is_complete(source, filename, pasted="\n" in line)
        except (SyntaxError, ValueError, OverflowError) as exc:
            self.reset()
            self._show_syntax_error(exc, source, filename)
            return False
        if not complete:
            return True
        self.reset()
        if source.strip():
            self.run_source(source, filename)
        return False

    def _is_complete(self, source: str, filename: str, *, pasted: bool) -> bool:
        try:
            code = self._compiler(source, filename, "single")
        except SyntaxError:
            # "single" takes one statement; a pasted block (or a statement
            # typed after a block without a blank line) has several. If the
            # whole is valid as a module, it is complete; else re-raise.
            return self._compiler(source, filename, "exec") is not None
        if code is None and pasted:
            # A pasted block that is valid as a module needs no blank line.
            return self._compiler(source, filename, "exec") is not None
        return code is not None

    def run_source(self, source: str, filename: str = "<input>") -> None:
        """Run complete ``source``, echoing the value of each expression statement.

        As in Python's REPL, that is every expression statement outside a
        function or class body (``1; 2`` shows both, ``for x in xs: x``
        shows each). Exceptions from user code (``KeyboardInterrupt`` too)
        are written as tracebacks; ``SystemExit`` propagates so ``exit()``
        ends the REPL.
        """
        self._remember(source, filename)
        try:
            code = self._compile(source, filename)
        except (SyntaxError, ValueError, OverflowError) as exc:
            self._show_syntax_error(exc, source, filename)
            return
        saved, sys.displayhook = sys.displayhook, self._display
        try:
            exec(code, self.namespace)
        except SystemExit:
            raise
        except BaseException as exc:  # KeyboardInterrupt too: back to the prompt
            self._write_error(format_exception(exc))
        finally:
            sys.displayhook = saved

    def _display(self, value: object) -> None:
        """``sys.displayhook`` while typed code runs: echo and keep in ``_``.

        As in Python, an ``_`` the user assigned stays theirs (there the
        echo goes to ``builtins._``, which a global ``_`` hides).
        """
        if value is None:
            return
        text = self._show(value)
        namespace = self.namespace
        if namespace.get("_", self._shown) is self._shown:
            namespace["_"] = value
            self._shown = value
        self.write(text + "\n")

    def _compile(self, source: str, filename: str) -> CodeType:
        """Compile ``source`` (one statement or a pasted block) as typed input.

        The whole block compiles in "single" mode, which makes each
        expression statement call ``sys.displayhook`` as the REPL does.
        """
        flags = self._compiler.compiler.flags & _FUTURE_MASK
        tree = compile(
            source, filename, "exec", flags | ast.PyCF_ONLY_AST, dont_inherit=True
        )
        assert isinstance(tree, ast.Module)
        interactive = ast.Interactive(body=tree.body)
        code: CodeType = compile(
            interactive, filename, "single", flags, dont_inherit=True
        )
        return code

    def _show_syntax_error(
        self, exc: BaseException, source: str, filename: str
    ) -> None:
        self._remember(source, filename)
        exc.__traceback__ = None
        self._write_error(format_exception(exc))

    def _write_error(self, text: str) -> None:
        self.write(self._show_error(text) if self._show_error is not None else text)

    @staticmethod
    def _remember(source: str, filename: str) -> None:
        """Let tracebacks quote the typed line (``mtime=None``: never stale)."""
        lines = [line + "\n" for line in source.splitlines()]
        linecache.cache[filename] = (len(source), None, lines, filename)


# -- running a program as __main__ (``hotreload run``) -------------------------


def main_module(
    script: Path | None = None, module: str | None = None
) -> tuple[types.ModuleType, str | bytes, str]:
    """Build the ``__main__`` module of a program, as ``python`` would run it.

    The module object is made here rather than by ``runpy`` so the caller can
    track its namespace before any of the program's code runs (ptpython's
    ``run()`` does the same).

    Args:
        script: the program's file (``python SCRIPT``), or
        module: a module name to run (``python -m MODULE``); a package runs
            its ``__main__`` submodule. Give exactly one.

    Returns:
        The fresh module, its source and the file name to compile it with.

    Raises:
        UnknownModuleError: ``module`` cannot be found or has no source.
    """
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins  # type: ignore[attr-defined]  # exec needs it
    if script is not None:
        main.__file__ = str(script)
        return main, script.read_bytes(), str(script)
    assert module is not None, "give a script or a module"
    spec = importlib.util.find_spec(module)
    if spec is not None and spec.submodule_search_locations is not None:
        spec = importlib.util.find_spec(module + ".__main__")
    if spec is None or spec.loader is None or spec.origin is None:
        raise UnknownModuleError(module, "no module to run")
    get_source = getattr(spec.loader, "get_source", None)
    source = get_source(spec.name) if get_source is not None else None
    if not isinstance(source, str):
        raise UnknownModuleError(module, "no Python source to run")
    main.__file__ = spec.origin
    main.__spec__ = spec
    main.__loader__ = spec.loader
    main.__package__ = spec.parent
    return main, source, spec.origin


@contextmanager
def as_main(
    module: types.ModuleType, argv: list[str], path_entry: str
) -> Iterator[None]:
    """Make ``module`` the running ``__main__``, with the program's argv and path."""
    saved_main, saved_argv = sys.modules.get("__main__"), sys.argv
    sys.modules["__main__"] = module
    sys.argv = argv
    sys.path.insert(0, path_entry)
    try:
        yield
    finally:
        sys.argv = saved_argv
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
        if path_entry in sys.path:
            sys.path.remove(path_entry)


def exec_main(
    module: types.ModuleType,
    source: str | bytes,
    filename: str,
    write: Callable[[str], object],
) -> int:
    """Execute a program in ``module``; return its exit status as python would.

    A traceback (hotreload's frames trimmed) or a ``sys.exit("message")``
    goes to ``write``; ``KeyboardInterrupt`` gives 130 like a shell.
    """
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
        exec(code, module.__dict__)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        write(f"{exc.code}\n")
        return 1
    except BaseException as exc:  # the program's own failure, shown like python
        write(format_exception(exc))
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    return 0
