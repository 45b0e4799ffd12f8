"""Where reloadable values are bound: tracked namespaces and their imports.

``from m import x`` run with a tracked namespace as its globals is recorded
as "``x`` in that namespace came from ``m.x``". After ``m`` reloads, every
such binding that still holds the old value is rebound to the new one. The
registry holds names, never values, and holds namespaces weakly where Python
allows it, so old versions of a module can be garbage-collected.
"""

from __future__ import annotations

import builtins
import sys
import threading
import types
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol, TypeVar

from hotreload.bytecode import import_bindings

__all__ = ["ImportListener", "Registry", "install"]

_MISSING: Final = object()
_K = TypeVar("_K", str, int)


@dataclass(frozen=True, slots=True)
class _Source:
    module: str
    attr: str


class _Namespace:
    """A tracked namespace: a dict, held strongly, or an object's ``__dict__``."""

    __slots__ = ("_dict", "_owner", "key")

    def __init__(self, target: object) -> None:
        self._owner: weakref.ref[Any] | None = None
        self._dict: dict[str, Any] | None = None
        if isinstance(target, dict):
            self._dict = target  # dicts cannot be weakly referenced
            ns = target
        else:
            ns = vars(target)
            try:
                self._owner = weakref.ref(target)
            except TypeError:
                self._dict = ns
        self.key = id(ns)

    def get(self) -> dict[str, Any] | None:
        if self._dict is not None:
            return self._dict
        owner = self._owner() if self._owner is not None else None
        if owner is None:
            return None
        ns: dict[str, Any] = vars(owner)
        return ns if id(ns) == self.key else None


class Registry:
    """Tracked namespaces and the ``from m import x`` bindings made in them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spaces: dict[int, _Namespace] = {}
        self._bindings: dict[tuple[int, str], _Source] = {}
        self._by_module: dict[str, set[tuple[int, str]]] = {}
        self._by_space: dict[int, set[tuple[int, str]]] = {}

    def track(self, target: object) -> Callable[[], None]:
        """Track a namespace: a dict, a module, or any object with a ``__dict__``.

        Returns:
            A callable that stops tracking it.
        """
        space = _Namespace(target)
        with self._lock:
            self._spaces.setdefault(space.key, space)
            key = space.key

        def untrack() -> None:
            with self._lock:
                self._spaces.pop(key, None)
                for binding in list(self._by_space.get(key, ())):
                    self._forget(binding)

        return untrack

    def begin(self, ns: Mapping[str, Any]) -> dict[tuple[int, str], Any]:
        """Forget the bindings made in ``ns`` before its module runs again.

        The new version's own imports record what it binds now; a name it
        defines itself instead must no longer follow the old source.

        Returns:
            What was forgotten, for `restore` if the new version fails.
        """
        with self._lock:
            saved = {b: self._bindings[b] for b in self._by_space.get(id(ns), ())}
            for binding in saved:
                self._forget(binding)
        return saved

    def restore(self, ns: Mapping[str, Any], saved: dict[tuple[int, str], Any]) -> None:
        """Put back what `begin` returned: the module's old version stays."""
        with self._lock:
            for binding in list(self._by_space.get(id(ns), ())):
                self._forget(binding)
            for binding, source in saved.items():
                self._add(binding, source)

    def keep(
        self,
        ns: Mapping[str, Any],
        saved: dict[tuple[int, str], Any],
        rerun: set[str],
    ) -> None:
        """Put back what `begin` returned, but for names that ran again.

        A module that ran only some of its statements (DESIGN item 12) still
        holds what its other import statements bound.
        """
        with self._lock:
            for binding, source in saved.items():
                if binding[1] not in rerun and binding not in self._bindings:
                    self._add(binding, source)

    def is_tracked(self, ns: Mapping[str, Any]) -> bool:
        """Whether ``ns`` is a tracked namespace."""
        space = self._spaces.get(id(ns))
        return space is not None and space.get() is ns

    def record(self, ns: Mapping[str, Any], name: str, module: str, attr: str) -> None:
        """Note that ``ns[name]`` is being bound by ``from module import attr``."""
        binding = (id(ns), name)
        with self._lock:
            self._forget(binding)  # the latest import of a name wins
            self._add(binding, _Source(module, attr))

    def bindings(self, module: str) -> list[tuple[dict[str, Any], str, str]]:
        """The live ``(namespace, name, attribute)`` bindings taken from ``module``."""
        found = []
        with self._lock:
            for binding in list(self._by_module.get(module, ())):
                space = self._spaces.get(binding[0])
                ns = space.get() if space is not None else None
                if ns is None:
                    self._forget(binding)
                    continue
                found.append((ns, binding[1], self._bindings[binding].attr))
        return found

    def rebind(self, module: str, replaced: Mapping[str, tuple[object, object]]) -> int:
        """Rebind bindings of ``module``'s attributes that still hold the old value.

        Returns:
            How many bindings were rebound.
        """
        if not replaced:
            return 0
        count = 0
        for ns, name, attr in self.bindings(module):
            pair = replaced.get(attr)
            if pair is not None and ns.get(name, _MISSING) is pair[0]:
                ns[name] = pair[1]
                count += 1
        return count

    def __len__(self) -> int:
        return len(self._bindings)

    def _add(self, binding: tuple[int, str], source: _Source) -> None:
        self._bindings[binding] = source
        self._by_module.setdefault(source.module, set()).add(binding)
        self._by_space.setdefault(binding[0], set()).add(binding)

    def _forget(self, binding: tuple[int, str]) -> None:
        source = self._bindings.pop(binding, None)
        if source is None:
            return
        _discard(self._by_module, source.module, binding)
        _discard(self._by_space, binding[0], binding)


def _discard(
    index: dict[_K, set[tuple[int, str]]], key: _K, binding: tuple[int, str]
) -> None:
    keys = index.get(key)
    if keys is not None:
        keys.discard(binding)
        if not keys:
            del index[key]


class ImportListener(Protocol):
    """Told about every import statement while it is installed."""

    def on_import(
        self,
        module: types.ModuleType,
        name: str,
        ns: dict[str, Any],
        fromlist: tuple[str, ...],
        level: int,
        bindings: Callable[[], list[tuple[str, str]] | None],
    ) -> None:
        """Called after ``__import__`` returned ``module`` for globals ``ns``.

        ``bindings()`` reads, on demand, which names the statement binds.
        """


# -- the __import__ hook, shared by all listeners in the process ------------

_hook_lock = threading.Lock()
_listeners: list[ImportListener] = []
_original_import: Callable[..., types.ModuleType] | None = None


def _import(
    name: str,
    globals: Mapping[str, Any] | None = None,
    locals: Mapping[str, Any] | None = None,
    fromlist: Iterable[str] | None = (),
    level: int = 0,
) -> types.ModuleType:
    original: Callable[..., types.ModuleType] = _original_import or builtins.__import__
    module = original(name, globals, locals, fromlist, level)
    listeners = _listeners
    if listeners and type(globals) is dict:
        frame = sys._getframe(1)

        def bindings() -> list[tuple[str, str]] | None:
            if frame.f_globals is not globals:
                return None
            return import_bindings(frame.f_code, frame.f_lasti)

        items = tuple(fromlist) if fromlist else ()
        for listener in list(listeners):
            listener.on_import(module, name, globals, items, level, bindings)
    return module


def install(listener: ImportListener) -> Callable[[], None]:
    """Route import statements to ``listener``; returns the undo callable."""
    global _original_import
    with _hook_lock:
        if not _listeners:
            _original_import = builtins.__import__
            builtins.__import__ = _import
        _listeners.append(listener)
    done = False

    def uninstall() -> None:
        global _original_import
        nonlocal done
        with _hook_lock:
            if done:
                return
            done = True
            _listeners.remove(listener)
            if not _listeners and _original_import is not None:
                builtins.__import__ = _original_import
                _original_import = None

    return uninstall
