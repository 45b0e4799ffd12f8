"""``obj?`` and ``obj??`` at the prompt: what an object is and where it lives.

``name?`` (or ``?name``) shows the type, the signature, the file and line
where the object is defined, and its docstring; ``name??`` shows its source
instead of the docstring. The name is a dotted name looked up in the REPL's
namespace, then in the builtins; nothing is called to find it (attribute
access aside).

The source is read from the file as it is now: after a reload, ``??`` shows
the code that runs, not what was on disk when the REPL started.
"""

from __future__ import annotations

import builtins
import inspect
import linecache
import re
import types
from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = ["describe", "help_request", "lookup"]

_REQUEST: Final = re.compile(
    r"^\s*(?:(?P<pre>\?\??)\s*(?P<a>[A-Za-z_][\w.]*)"
    r"|(?P<b>[A-Za-z_][\w.]*)\s*(?P<post>\?\??))\s*$"
)
_MAX_VALUE: Final = 200  # characters of a value's repr shown by ``?``
_NOTHING: Final = object()


def help_request(line: str) -> tuple[str, bool] | None:
    """``("greet.hello", False)`` for ``greet.hello?``; ``True`` for ``??``.

    None when the line is not a help request (it is Python, or a command).
    """
    match = _REQUEST.match(line)
    if match is None:
        return None
    name = match["a"] or match["b"]
    marks = match["pre"] or match["post"]
    if name.endswith(".") or ".." in name:
        return None
    return name, marks == "??"


def lookup(name: str, namespace: Mapping[str, Any]) -> object:
    """The object a dotted name refers to in ``namespace`` (or the builtins).

    Raises:
        LookupError: the name, or one of its attributes, does not exist.
    """
    first, *rest = name.split(".")
    obj = namespace.get(first, _NOTHING)
    if obj is _NOTHING:
        obj = getattr(builtins, first, _NOTHING)
    if obj is _NOTHING:
        raise LookupError(f"Object `{name}` not found.")
    for part in rest:
        try:
            obj = getattr(obj, part)
        except Exception as exc:  # an attribute that is missing or refuses
            raise LookupError(f"Object `{name}` not found.") from exc
    return obj


def _type_name(obj: object) -> str:
    kind = type(obj)
    if kind.__module__ in ("builtins", None):
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def _signature(obj: object, name: str) -> str | None:
    if not callable(obj):
        return None
    try:
        return f"{name}{inspect.signature(obj)}"
    except (TypeError, ValueError):  # builtins without text signatures
        return None


def _definition(obj: object) -> tuple[str, int | None] | None:
    """The file (and first line) defining ``obj``, current contents."""
    target = inspect.unwrap(obj) if callable(obj) else obj
    try:
        filename = inspect.getsourcefile(target)  # type: ignore[arg-type]
    except TypeError:  # builtins and instances have no file
        return None
    if filename is None:
        try:
            filename = inspect.getfile(target)  # type: ignore[arg-type]
        except TypeError:
            return None
        return filename, None
    linecache.checkcache(filename)  # the file as saved now, not as first read
    if isinstance(target, types.ModuleType):
        return filename, 1
    try:
        _, line = inspect.getsourcelines(target)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return filename, None
    return filename, line


def _source(obj: object) -> str | None:
    target = inspect.unwrap(obj) if callable(obj) else obj
    try:
        filename = inspect.getsourcefile(target)  # type: ignore[arg-type]
        if filename:
            linecache.checkcache(filename)
        return inspect.getsource(target)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return None


def _is_described_by_value(obj: object) -> bool:
    return not isinstance(obj, type | types.ModuleType) and not callable(obj)


def describe(
    obj: object,
    name: str,
    *,
    source: bool = False,
    colour: Callable[[str], str] | None = None,
    relative: Callable[[str], str] = str,
) -> str:
    """The text ``name?`` (``source=False``) or ``name??`` shows for ``obj``.

    Args:
        obj: the object found for ``name``.
        name: the name as typed, used in the signature line.
        source: show the source (``??``) rather than the docstring.
        colour: highlights Python source for the terminal (none by default).
        relative: shortens a file name for display.
    """
    rows: list[tuple[str, str]] = [("Type", _type_name(obj))]
    if _is_described_by_value(obj):
        text = repr(obj)
        if len(text) > _MAX_VALUE:
            text = text[: _MAX_VALUE - 3] + "..."
        rows.append(("Value", text))
    signature = _signature(obj, name)
    if signature is not None:
        rows.append(("Signature", signature))
    # A value is described by its class: where that is defined.
    where = _definition(type(obj) if _is_described_by_value(obj) else obj)
    if where is not None:
        filename, line = where
        shown = relative(filename)
        rows.append(("File", f"{shown}:{line}" if line is not None else shown))
    lines = [f"{label + ':':<11}{value}" for label, value in rows]
    if source and not _is_described_by_value(obj):
        code = _source(obj)
        if code is None:
            lines.append("Source:    not available (no Python source for this object)")
        else:
            lines.append("Source:")
            code = code.rstrip("\n")
            lines.append(colour(code) if colour is not None else code)
        return "\n".join(lines)
    doc = inspect.getdoc(obj)
    lines.append("Docstring: " + ("<no docstring>" if not doc else ""))
    if doc:
        lines[-1] = "Docstring:"
        lines.append(doc)
    return "\n".join(lines)
