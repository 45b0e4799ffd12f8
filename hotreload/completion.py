"""Completion of import names (with jedi) and keyword arguments.

`ParityCompleter` wraps the REPL's own completer (commands, names and
attributes of live objects) and adds what needs static analysis:

- module names after ``import`` and ``from`` (``import jso`` gives
  ``json``), submodules after a dot, and the names of a module not imported
  yet after ``from m import``;
- keyword arguments inside a call (``greet.hello(na`` gives ``name=``),
  first in the list, in the order of the signature, leaving out those the
  call already names. They come from ``inspect.signature`` of the live
  object the call names, so after a reload they are the new function's, at
  once; jedi infers them only when the callee is not a plain dotted name.

jedi is imported on the first completion that needs it, never when the
REPL starts (it costs a tenth of a second to import, and its first
inference of a call takes seconds while it reads the standard library's
stubs, which is why a plain call does not wait for it).
"""

from __future__ import annotations

import inspect
import io
import keyword
import re
import sys
import tokenize
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from hotreload.inspect_help import lookup

__all__ = ["ParityCompleter", "keyword_arguments"]

_IMPORT_LINE: Final = re.compile(r"^\s*(?:import\s|from\s)")
_FROM_LOADED: Final = re.compile(r"^\s*from\s+([\w.]+)\s+import\s")
# Text that looks like it is inside a call: an open parenthesis before the cursor.
_IN_CALL: Final = re.compile(r"\(")
_KEYWORD_KINDS: Final = (
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
    inspect.Parameter.KEYWORD_ONLY,
)


class _Call:
    """The innermost call open at the cursor: its callee and what it has."""

    def __init__(self, callee: str | None, prefix: str) -> None:
        self.callee = callee  # a dotted name, or None for another expression
        self.prefix = prefix  # the name being typed, if an argument starts here
        self.named: set[str] = set()  # keyword arguments the call already has
        self.positional = 0  # positional arguments before the cursor
        self.starred = False  # a *args or **kwargs: positions are unknown


def _open_call(text: str) -> _Call | None:
    """The call at the end of ``text`` when the cursor is where an argument goes.

    None when the innermost open bracket is not a call, or the cursor is
    in a value (after ``=``, inside an expression).
    """
    tokens: list[tokenize.TokenInfo] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            tokens.append(tok)
    except (tokenize.TokenError, SyntaxError):
        pass  # the end of input inside the call: what we are looking at
    tokens = [t for t in tokens if t.type not in _IGNORED]
    stack: list[int] = []
    for index, tok in enumerate(tokens):
        if tok.type == tokenize.OP and tok.string in "([{":
            stack.append(index)
        elif tok.type == tokenize.OP and tok.string in ")]}" and stack:
            stack.pop()
    if not stack or tokens[stack[-1]].string != "(":
        return None
    opened = stack[-1]
    args = tokens[opened + 1 :]
    prefix = ""
    if args and args[-1].type == tokenize.NAME and text.endswith(args[-1].string):
        prefix = args[-1].string
        args = args[:-1]
    if args and not (args[-1].type == tokenize.OP and args[-1].string == ","):
        return None  # in the middle of a value
    callee = _dotted_before(tokens, opened)
    before = tokens[opened - 1] if opened else None
    if callee is None and (
        before is None or (before.type != tokenize.NAME and before.string not in ")]")
    ):
        return None  # a parenthesised expression, not a call
    call = _Call(callee, prefix)
    for group in _arguments(args):
        if len(group) > 1 and group[0].type == tokenize.NAME and group[1].string == "=":
            call.named.add(group[0].string)
        elif group[0].string in ("*", "**"):
            call.starred = True
        else:
            call.positional += 1
    return call


def _arguments(
    tokens: list[tokenize.TokenInfo],
) -> Iterator[list[tokenize.TokenInfo]]:
    """The tokens of each argument: split at the commas of the call itself."""
    depth = 0
    group: list[tokenize.TokenInfo] = []
    for tok in tokens:
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        elif depth == 0 and tok.string == ",":
            if group:
                yield group
            group = []
            continue
        group.append(tok)
    if group:
        yield group


_IGNORED: Final = frozenset(
    {tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.ENDMARKER}
)


def _dotted_before(tokens: list[tokenize.TokenInfo], index: int) -> str | None:
    """The dotted name right before ``tokens[index]`` (``a.b.c``), if any."""
    parts: list[str] = []
    i = index - 1
    while i >= 0 and tokens[i].type == tokenize.NAME:
        parts.append(tokens[i].string)
        if i >= 1 and tokens[i - 1].string == ".":
            i -= 2
            continue
        break
    if not parts or keyword.iskeyword(parts[0]):
        return None
    if i >= 1 and tokens[i - 1].string in (")", "]", "}"):
        return None  # f(x).g( or d[k].h(: not a plain name
    return ".".join(reversed(parts))


def keyword_arguments(text: str, namespace: dict[str, Any]) -> list[Completion] | None:
    """``name=`` completions for the call open at the end of ``text``.

    Returns:
        The completions (none when the cursor is not where an argument
        goes), or None when there is a call whose callee is not a dotted
        name found in ``namespace`` with a signature.
    """
    call = _open_call(text)
    if call is None:
        return []
    if call.callee is None:
        return None
    try:
        callee = lookup(call.callee, namespace)
    except LookupError:
        return []  # an unknown name: nothing to offer
    try:
        signature = inspect.signature(callee)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # no signature at run time: ask jedi
        return None
    params = list(signature.parameters.values())
    if not call.starred:
        # Those filled by position are not offered again.
        params = [
            p
            for i, p in enumerate(params)
            if i >= call.positional or p.kind is not p.POSITIONAL_OR_KEYWORD
        ]
    return [
        Completion(
            f"{p.name}=", start_position=-len(call.prefix), display_meta="keyword"
        )
        for p in params
        if p.kind in _KEYWORD_KINDS
        and p.name.startswith(call.prefix)
        and p.name not in call.named
    ]


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
    """Import names, keyword arguments, and from ``inner`` everything else.

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
        elif _IN_CALL.search(before := document.text_before_cursor):
            live = keyword_arguments(before, self._get_namespace())
            params = live if live is not None else self._jedi(document, params=True)
            yield from _unique([*params, *inner])
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
