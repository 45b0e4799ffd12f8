"""Merging one object of the old version with its new version: functions.

A function that exists in both versions keeps its identity: the old object
takes the new code, defaults, annotations, doc and attributes, so every
reference held elsewhere (an alias, a callback, a wrapper's closure) runs
the new code. `Merger` holds the state one reload shares between merges;
``classes.ClassMerger`` adds the rules for classes.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

from hotreload.lookup import functions_running
from hotreload.patching import MISSING, cell_get, restore_function, same_code

__all__ = ["CannotPatch", "Merger"]


class CannotPatch(Exception):
    """An object cannot be updated in place; the new one replaces it."""


class Merger:
    """The merge rules for one reload of module ``module``, with their undo log."""

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.name = module.__name__
        self.live = module.__dict__
        self.snapshot: dict[str, Any] = {}
        self.undo: list[Callable[[], None]] = []
        # id(new object) -> the object kept in its place (old, patched).
        self.kept: dict[int, object] = {}
        # Keeps the new objects alive so that ids in `kept` stay unique.
        self.seen: list[object] = []
        self.updated: list[str] = []
        self.warnings: list[str] = []

    def namespaces(self) -> list[dict[str, Any]]:
        """Where closures of this module's functions may be held, besides it."""
        return [self.snapshot, self.live]

    def follow_closures(
        self, old: types.CodeType, new: types.CodeType, where: str
    ) -> None:
        """Closures the old code made (a decorator's wrappers) take the new code.

        A function whose body defines functions has made closures each time
        it ran; they are found where this module and the others keep things
        and given the code their definition has now (DESIGN item 2).
        """
        if old is new:
            return
        pairs = {id(a): (a, b) for a, b in _inner_pairs(old, new) if a != b}
        if not pairs:
            return
        own = Merger.namespaces(self)
        for func in functions_running(pairs, self.namespaces, own):
            code = pairs[id(func.__code__)][1]
            if func.__code__.co_freevars != code.co_freevars:
                self.warnings.append(
                    f"{where}: {func.__qualname__} made before keeps the old code "
                    "(its closure variables changed)"
                )
                continue
            saved = func.__code__
            self.undo.append(functools.partial(_set_code, func, saved))
            func.__code__ = code

    def _keep_rebuilt(self, old: type, new: type, where: str) -> type:
        """The class to bind where both versions have a class of this name."""
        return new

    def merge(self, old: object, new: object, where: str) -> object:
        """Return the object to keep for ``where``: ``old`` patched, or ``new``."""
        if old is new:
            return old
        kept = self.kept.get(id(new), MISSING)
        if kept is not MISSING:
            return kept
        value = self._merge(old, new, where)
        self.kept[id(new)] = value
        self.seen.append(new)
        return value

    def _merge(self, old: object, new: object, where: str) -> object:
        if isinstance(old, types.FunctionType) and isinstance(new, types.FunctionType):
            if not self._same_function(old, new):
                return new
            try:
                self._patch_function(old, new, where)
            except CannotPatch as exc:
                self.warnings.append(f"{where}: {exc}; replaced")
                return new
            return old
        if (
            isinstance(old, staticmethod | classmethod)
            and isinstance(new, staticmethod | classmethod)
            and type(old) is type(new)
        ):
            inner = self.merge(old.__func__, new.__func__, where)
            return old if inner is old.__func__ else new
        if type(old) is property and type(new) is property:
            return self._merge_property(old, new, where)
        if isinstance(old, type) and isinstance(new, type) and self._ours(old):
            if old.__qualname__ == new.__qualname__ and self._ours(new):
                return self._keep_rebuilt(old, new, where)
            return new
        if isinstance(old, functools._lru_cache_wrapper) and self._ours(old):
            self.warnings.append(
                f"{where}: a functools cache wrapper cannot be updated in place; "
                "replaced with an empty cache (references held elsewhere keep "
                "the old version)"
            )
        return new

    def _ours(self, obj: object) -> bool:
        return getattr(obj, "__module__", None) == self.name

    def _same_function(self, old: types.FunctionType, new: types.FunctionType) -> bool:
        # Same qualified name, defined in this module, never two lambdas.
        return (
            old.__globals__ is self.live
            and new.__globals__ is self.live
            and old.__qualname__ == new.__qualname__
            and new.__name__ != "<lambda>"
        )

    def _patch_function(
        self, old: types.FunctionType, new: types.FunctionType, where: str
    ) -> None:
        if old.__code__.co_freevars != new.__code__.co_freevars:
            raise CannotPatch("its closure variables changed")
        cells = list(zip(old.__closure__ or (), new.__closure__ or (), strict=True))
        saved = (
            old.__code__,
            old.__defaults__,
            old.__kwdefaults__,
            dict(old.__annotations__),
            old.__doc__,
            dict(old.__dict__),
            [cell_get(c) for c, _ in cells],
        )
        self.undo.append(lambda: restore_function(old, saved, [c for c, _ in cells]))
        if not same_code(old.__code__, new.__code__) or (
            old.__defaults__ != new.__defaults__
        ):
            self.updated.append(new.__qualname__)
        self.follow_closures(old.__code__, new.__code__, where)
        old.__code__ = new.__code__
        old.__defaults__ = new.__defaults__
        old.__kwdefaults__ = new.__kwdefaults__
        old.__annotations__ = new.__annotations__
        old.__doc__ = new.__doc__
        merged = {
            k: self.merge(old.__dict__.get(k, MISSING), v, f"{where}.{k}")
            for k, v in new.__dict__.items()
        }
        old.__dict__.clear()
        old.__dict__.update(merged)
        for old_cell, new_cell in cells:
            value = cell_get(new_cell)
            if value is MISSING:
                if cell_get(old_cell) is not MISSING:
                    del old_cell.cell_contents
                continue
            current = cell_get(old_cell)
            if current is not MISSING:
                value = self.merge(current, value, where)
            if current is not value:
                old_cell.cell_contents = value

    def _merge_property(self, old: property, new: property, where: str) -> object:
        pairs = [
            (old.fget, new.fget),
            (old.fset, new.fset),
            (old.fdel, new.fdel),
        ]
        if any((o is None) != (n is None) for o, n in pairs):
            return new
        if all(self.merge(o, n, where) is o for o, n in pairs if o is not None):
            return old
        return new


def _set_code(func: types.FunctionType, code: types.CodeType) -> None:
    func.__code__ = code


def _inner_pairs(
    old: types.CodeType, new: types.CodeType
) -> list[tuple[types.CodeType, types.CodeType]]:
    """The function code objects nested in ``old`` and ``new``, paired.

    By qualified name, in order: ``deco.<locals>.wrapper`` with its new
    version.
    """
    news: dict[str, list[types.CodeType]] = {}
    for code in _nested(new):
        news.setdefault(code.co_qualname, []).append(code)
    pairs = []
    for code in _nested(old):
        versions = news.get(code.co_qualname)
        if versions:
            pairs.append((code, versions.pop(0)))
    return pairs


def _nested(code: types.CodeType) -> list[types.CodeType]:
    found: list[types.CodeType] = []
    stack = [c for c in reversed(code.co_consts) if isinstance(c, types.CodeType)]
    while stack:
        inner = stack.pop()
        found.append(inner)
        stack.extend(
            c for c in reversed(inner.co_consts) if isinstance(c, types.CodeType)
        )
    return found
