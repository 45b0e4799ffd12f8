"""Registries a decorated ``def`` registers itself in, made ready for it to run again.

When a decorated ``def`` runs again in a reload (its decorators or its
signature changed), its decorators register the kept function object once
more: a Flask or FastAPI route, a click command, a ``singledispatch``
implementation. `before_definition` takes out what the same function
registered last time, so that the registry holds it once, and the
`Reregistration` it returns puts everything back if the reload is rolled
back. Frameworks are recognised by the names of their
classes; none is imported here.
"""

from __future__ import annotations

import atexit
import functools
import types
from collections.abc import Iterator, Sequence
from typing import Any, Final

from hotreload.registries import (
    Atexit,
    ClickGroup,
    Collection,
    Dispatch,
    FlaskApp,
    FlaskBlueprint,
    Registry,
    Routes,
    cell_value,
    class_names,
    entries,
    reaches,
)

__all__ = ["Reregistration", "before_definition"]


_FLASK_APPS: Final = frozenset({"flask.sansio.app.App", "flask.app.Flask"})
_FLASK_BLUEPRINTS: Final = frozenset(
    {"flask.sansio.blueprints.Blueprint", "flask.blueprints.Blueprint"}
)
_STARLETTE_APP: Final = "starlette.applications.Starlette"
_STARLETTE_ROUTER: Final = "starlette.routing.Router"
_CLICK_GROUP: Final = "click.core.Group"
_CONTAINERS: Final = (list, dict, set)
_ATEXIT_REGISTER: Final = atexit.register
_SEARCH_DEPTH: Final = 3  # decorator -> closure -> closure (``@f.register(int)``)


def _candidates(decorator: object) -> Iterator[Any]:
    """Objects a decorator can reach: itself, ``__self__``, closure cells,
    attributes of a decorator object, a few levels down.

    Only types known to hold references are looked into, by their type: any
    other object may answer attribute access in its own way (Flask's
    ``current_app`` raises outside an application context).
    """
    pending: list[tuple[Any, int]] = [(decorator, 0)]
    seen: set[int] = set()
    while pending:
        obj, depth = pending.pop()
        if id(obj) in seen or obj is None:
            continue
        seen.add(id(obj))
        yield obj
        kind = type(obj)
        if depth >= _SEARCH_DEPTH or issubclass(kind, type | types.ModuleType):
            continue
        more: list[Any] = []
        if kind is types.MethodType or kind is types.BuiltinMethodType:
            more.append(obj.__self__)
            more.append(getattr(obj, "__func__", None))
        elif kind is functools.partial:
            more += [obj.func, *obj.args, *obj.keywords.values()]
        elif kind is types.FunctionType:
            more += [cell_value(c) for c in obj.__closure__ or ()]
            # A plugin list or dict the decorator fills, found by name.
            more += [
                value
                for name in obj.__code__.co_names
                if type(value := obj.__globals__.get(name)) in _CONTAINERS
            ]
        elif depth == 0:
            # A decorator object: what it holds (an app, a registry).
            data = _instance_dict(obj)
            more += list(data.values()) if data is not None else []
        pending += [(m, depth + 1) for m in more if m is not None]


def _instance_dict(obj: object) -> dict[str, Any] | None:
    """``obj.__dict__`` as ``object`` stores it, asking nothing of ``obj``."""
    try:
        data = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        return None
    return data if type(data) is dict else None


def _registries(
    decorators: Sequence[object], func: types.FunctionType
) -> Iterator[Registry]:
    seen: set[int] = set()
    for decorator in decorators:
        for obj in _candidates(decorator):
            for registry, key in _registry_of(obj, func):
                if id(key) not in seen:
                    seen.add(id(key))
                    yield registry


def _registry_of(
    obj: Any, func: types.FunctionType
) -> Iterator[tuple[Registry, object]]:
    if type(obj) in _CONTAINERS:
        if any(reaches(x, func) for x in entries(obj)):
            yield Collection(obj), obj
        return
    if obj is _ATEXIT_REGISTER:
        yield Atexit(), obj
        return
    if type(obj) is types.FunctionType:
        free = obj.__code__.co_freevars
        if obj.__module__ == "functools" and {"registry", "dispatch_cache"} <= set(
            free
        ):
            cells = dict(zip(free, obj.__closure__ or (), strict=True))
            registry = cell_value(cells["registry"])
            yield Dispatch(registry, cell_value(cells["dispatch_cache"])), registry
        return
    if issubclass(type(obj), type):
        return
    names = class_names(type(obj))
    if names & _FLASK_APPS:
        yield FlaskApp(obj), obj
    elif names & _FLASK_BLUEPRINTS:
        yield FlaskBlueprint(obj), obj
    elif _STARLETTE_APP in names:
        yield Routes(obj.router, obj), obj.router
    elif _STARLETTE_ROUTER in names:
        yield Routes(obj), obj
    elif _CLICK_GROUP in names:
        yield ClickGroup(obj), obj
    elif "functools.singledispatchmethod" in names:
        yield from _registry_of(obj.dispatcher.register, func)


class Reregistration:
    """Registrations a decorated ``def`` had, taken out while it runs again.

    Made by `before_definition`. The engine calls `finish` right after the
    decorators ran (whether they raised or not), and `undo` if the reload is
    rolled back later: what the decorators added goes, the registrations
    from before come back.
    """

    def __init__(self, registries: Sequence[Registry] = ()) -> None:
        """Hold ``registries``, whose ``forget`` has already run."""
        self._registries = tuple(registries)

    def __bool__(self) -> bool:
        """True when a known registry was touched."""
        return bool(self._registries)

    def finish(self) -> None:
        """Put back what was lifted for the decorators (Flask's first-request flag)."""
        for registry in self._registries:
            registry.finish()

    def undo(self) -> None:
        """Remove what the decorators added; the old registrations come back."""
        for registry in reversed(self._registries):
            registry.undo()


def before_definition(
    func: types.FunctionType, decorators: Sequence[object]
) -> Reregistration:
    """Forget what ``func`` registered last time, before ``decorators`` run again.

    ``decorators`` are evaluated already, outermost first, and are about to
    be applied to the kept function object ``func``. The registries they
    reach (bound ``__self__``, closure cells, attributes of a decorator
    object) are looked at: Flask apps and blueprints, Starlette and FastAPI
    apps and routers, click groups and ``singledispatch`` functions. Routes,
    views and commands whose function is ``func`` (or wraps it) are taken
    out, so that the decorators register it once; Flask is made to accept
    routes added after its first request.

    Returns:
        The undo record; without a known registry, one that does nothing.
    """
    registries = list(_registries(decorators, func))
    for registry in registries:
        registry.forget(func)
    return Reregistration(registries)
