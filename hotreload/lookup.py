"""Finding a module's function objects, and what a code object says of itself.

Decorators hide the function they wrap (in a closure cell, behind
``__wrapped__``, in an attribute such as a click command's ``callback``, in
a ``singledispatch`` registry). A reload that patches a decorated function
in place must find the very object the old version made; a bounded walk
from the module's globals finds it without scanning the heap.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

from hotreload.patching import cell_get

__all__ = [
    "as_function",
    "docstring",
    "function_index",
    "functions_running",
    "one_walk",
]

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
    codes: Mapping[int, object],
    namespaces: Callable[[], Iterable[Mapping[str, Any]]],
    own: Sequence[Mapping[str, Any]] = (),
) -> list[types.FunctionType]:
    """Functions reachable from the namespaces whose code is one of ``codes``.

    ``codes`` is keyed by ``id`` of the code objects. Used to find the
    closures a function made before its code changed (the wrappers a
    decorator made), in its module (``own``: its namespaces) and in the
    other modules (``namespaces()``, which includes ``own``). Inside
    :func:`one_walk`, the other modules are walked once for the whole block.
    """
    shared: _Walk | None = getattr(_state, "walk", None)
    if shared is None:
        spaces = list(namespaces())
        names = {ns.get("__name__") for ns in spaces}
        roots = [value for ns in spaces for value in ns.values()]
        return [f for f in _reachable(roots, names) if id(f.__code__) in codes]
    if shared.names is None:
        spaces = list(namespaces())
        shared.names = {ns.get("__name__") for ns in spaces}
        shared.add([value for ns in spaces for value in ns.values()])
    else:
        shared.add([value for ns in own for value in ns.values()])
    found: list[types.FunctionType] = []
    for key in codes:
        found += [f for f in shared.by_code.get(key, ()) if id(f.__code__) == key]
    return found


class _Walk:
    """The functions found by one walk, by the ``id`` of their code then."""

    def __init__(self) -> None:
        self.names: set[object] | None = None  # the modules walked; None: not yet
        self.by_code: dict[int, list[types.FunctionType]] = {}
        # Everything visited so far (kept alive, so that ids stay unique): a
        # module's walk after its reload visits only what the reload made,
        # not again the builtins and every object it kept.
        self._seen: dict[int, object] = {}

    def add(self, roots: list[object]) -> None:
        """Walk from ``roots`` too; index the functions not visited yet."""
        assert self.names is not None
        for func in _reachable(roots, self.names, self._seen):
            self.by_code.setdefault(id(func.__code__), []).append(func)


_state = threading.local()


@contextlib.contextmanager
def one_walk() -> Iterator[None]:
    """Share one walk of the modules among the ``functions_running`` calls within.

    A batch of reloads (a branch switch) asks, for each module with a
    function whose inner functions changed, where its old closures are, in
    every module: a walk of all N modules for each of N such modules made
    the batch quadratic (a 1,000-file switch of decorated code took 30 s).
    Within the block the first call walks every module; each later call
    walks again only its own module's namespaces, where its reload has just
    put new objects. A closure that old code makes during the block and
    keeps in another module is not found: in a batch applied in dependency
    order, modules run after those they import, which by then run their new
    code. The functions found stay alive until the block ends.
    """
    previous = getattr(_state, "walk", None)
    _state.walk = _Walk()
    try:
        yield
    finally:
        _state.walk = previous


def _reachable(
    roots: Iterable[object],
    modules: set[object],
    seen: dict[int, object] | None = None,
) -> Iterator[types.FunctionType]:
    """Functions reachable from ``roots`` within the search's bounds.

    With ``seen`` (kept by the caller, with the objects: their ids stay
    theirs), what an earlier walk visited is not visited again.
    """
    seen = {} if seen is None else seen
    stack: list[tuple[object, int]] = [(r, 0) for r in roots]
    while stack:
        obj, depth = stack.pop()
        if id(obj) in seen or depth > _SEARCH_DEPTH:
            continue
        seen[id(obj)] = obj
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
