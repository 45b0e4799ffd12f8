"""Completion of import names and keyword arguments, with jedi.

`ParityCompleter` wraps the REPL's own completer (commands, names and
attributes of live objects) and adds what needs static analysis:

- module names after ``import`` and ``from`` (``import jso`` gives
  ``json``), submodules after a dot, and the names of a module not imported
  yet after ``from m import``;
- keyword arguments inside a call (``greet.hello(na`` gives ``name=``),
  first in the list, from the signature of the live object, so after a
  reload they are the new function's.

jedi is imported on the first completion that needs it, never when the
REPL starts (it costs a tenth of a second to import, and more to warm up).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

__all__ = ["ParityCompleter"]

_IMPORT_LINE: Final = re.compile(r"^\s*(?:import\s|from\s)")
_FROM_LOADED: Final = re.compile(r"^\s*from\s+([\w.]+)\s+import\s")
# Text that looks like it is inside a call: an open parenthesis before the cursor.
_IN_CALL: Final = re.compile(r"\(")


def _jedi_completions(
    document: Document, namespace: dict[str, Any], *, params_only: bool
) -> list[Completion]:
    """jedi's completions at the cursor, as prompt-toolkit completions."""
    import jedi  # type: ignore[import-untyped]  # loaded on first use

    jedi.settings.case_insensitive_completion = False
    script = jedi.Interpreter(document.text, [namespace])
    found = script.complete(
        document.cursor_position_row + 1, document.cursor_position_col
    )
    completions = []
    for item in found:
        if params_only and item.type != "param":
            continue
        typed = len(item.name) - len(item.complete)
        text = item.name_with_symbols if params_only else item.name
        if not params_only and text.startswith("_") and typed == 0:
            continue  # private names only when asked for with a "_"
        completions.append(
            Completion(text, start_position=-typed, display_meta=item.type)
        )
    return completions


class ParityCompleter(Completer):
    """Import names and keyword arguments from jedi, the rest from ``inner``.

    Args:
        inner: the completer of commands, names and attributes.
        get_namespace: returns the REPL's namespace now.
    """

    def __init__(
        self, inner: Completer, get_namespace: Callable[[], dict[str, Any]]
    ) -> None:
        self._inner = inner
        self._get_namespace = get_namespace

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        """Yield completions for the text before the cursor."""
        line = document.current_line_before_cursor
        inner = self._inner.get_completions(_current_line(document), complete_event)
        if line.lstrip().startswith((":", "%", "!")):
            yield from inner
        elif _IMPORT_LINE.match(line):
            loaded = _FROM_LOADED.match(line)
            if loaded and loaded[1] in sys.modules:
                yield from inner  # a live module: its names as they are now
            else:
                yield from _unique([*self._jedi(document, params=False), *inner])
        elif _IN_CALL.search(line):
            yield from _unique([*self._jedi(document, params=True), *inner])
        else:
            yield from inner

    def _jedi(self, document: Document, *, params: bool) -> list[Completion]:
        try:
            return _jedi_completions(
                document, self._get_namespace(), params_only=params
            )
        except Exception:  # jedi fails on some input; the rest still completes
            return []


def _current_line(document: Document) -> Document:
    """The line being edited, alone: the inner completer reads one line."""
    line = document.current_line
    return Document(line, document.cursor_position_col)


def _unique(completions: Iterable[Completion]) -> Iterator[Completion]:
    seen: set[str] = set()
    for completion in completions:
        if completion.text not in seen:
            seen.add(completion.text)
            yield completion
