"""Finding a module's function objects, and what a code object says of itself.

Decorators hide the function they wrap (in a closure cell, behind
``__wrapped__``, in an attribute such as a click command's ``callback``, in
a ``singledispatch`` registry). A reload that patches a decorated function
in place must find the very object the old version made; a bounded walk
from the module's globals finds it without scanning the heap.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from hotreload.patching import cell_get

__all__ = ["as_function", "docstring", "function_index", "functions_running"]

# How far the search for a decorated function's original looks.
_SEARCH_DEPTH: Final = 5
_SEARCH_WIDTH: Final = 2000  # containers larger than this are data, not code


def docstring(code: types.CodeType) -> str | None:
    """The docstring a function made from ``code`` gets."""
    # A docstring is the first constant of its code; a function without one
    # has None there (3.11, 3.12) or no constant it could be (3.13 and on).
    first = code.co_consts[0] if code.co_consts else None
    return first if isinstance(first, str) and _has_docstring(code) else None


def _has_docstring(code: types.CodeType) -> bool:
    flag = getattr(inspect, "CO_HAS_DOCSTRING", 0)
    if flag:
        return bool(code.co_flags & flag)
    return True  # before 3.14, a str first constant is the docstring


def as_function(value: object) -> types.FunctionType | None:
    if isinstance(value, staticmethod | classmethod):
        value = value.__func__
    return value if isinstance(value, types.FunctionType) else None


def function_index(
    roots: Iterable[object],
    live: dict[str, Any],
    first_lines: Mapping[int, int] | None = None,
) -> dict[tuple[str, int], types.FunctionType]:
    """Functions of module ``live`` reachable from ``roots``, by qualname and line.

    Decorators hide the function they wrap: in a closure cell, behind
    ``__wrapped__``, in an attribute (a click command's ``callback``), in a
    registry (``singledispatch``). A bounded walk finds them; it never scans
    the heap. ``first_lines`` gives, by ``id``, the line a function started
    at before its code changed in this reload.
    """
    found: dict[tuple[str, int], types.FunctionType] = {}
    lines = first_lines or {}
    for item in _reachable(roots, {live.get("__name__")}):
        if item.__globals__ is live:
            line = lines.get(id(item), item.__code__.co_firstlineno)
            found.setdefault((item.__qualname__, line), item)
    return found


def functions_running(
    codes: Mapping[int, object], namespaces: Iterable[Mapping[str, Any]]
) -> list[types.FunctionType]:
    """Functions reachable from ``namespaces`` whose code is one of ``codes``.

    ``codes`` is keyed by ``id`` of the code objects. Used to find the
    closures a function made before its code changed (the wrappers a
    decorator made), in its module and in the other modules given.
    """
    spaces = list(namespaces)
    names = {ns.get("__name__") for ns in spaces}
    roots = [value for ns in spaces for value in ns.values()]
    return [f for f in _reachable(roots, names) if id(f.__code__) in codes]


def _reachable(
    roots: Iterable[object], modules: set[object]
) -> Iterator[types.FunctionType]:
    seen: set[int] = set()
    stack: list[tuple[object, int]] = [(r, 0) for r in roots]
    while stack:
        obj, depth = stack.pop()
        if id(obj) in seen or depth > _SEARCH_DEPTH:
            continue
        seen.add(id(obj))
        if isinstance(obj, types.FunctionType):
            yield obj
        stack.extend(
            (child, depth + 1) for child in _inside(obj, modules) if child is not None
        )


def _inside(obj: object, modules: set[object]) -> list[object]:
    """What a decorated function may be kept in, one step into ``obj``."""
    if isinstance(obj, types.FunctionType):
        return [cell_get(c) for c in obj.__closure__ or ()] + list(
            obj.__dict__.values()
        )
    if isinstance(obj, staticmethod | classmethod | types.MethodType):
        return [obj.__func__]
    if isinstance(obj, property):
        return [obj.fget, obj.fset, obj.fdel]
    if isinstance(obj, type):
        return list(vars(obj).values()) if obj.__module__ in modules else []
    if isinstance(obj, functools.partial):
        return [obj.func, *obj.args]
    if isinstance(obj, types.ModuleType | str | bytes | int | float):
        return []
    if isinstance(obj, dict | types.MappingProxyType):
        return list(obj.values()) if len(obj) <= _SEARCH_WIDTH else []
    if isinstance(obj, list | tuple | set | frozenset):
        return list(obj) if len(obj) <= _SEARCH_WIDTH else []
    found = [getattr(obj, "__wrapped__", None)]
    attrs = getattr(obj, "__dict__", None)
    if isinstance(attrs, dict) and len(attrs) <= _SEARCH_WIDTH:
        found += list(attrs.values())
    return found
