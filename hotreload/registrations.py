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
import contextlib
import types
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

__all__ = ["Reregistration", "before_definition"]


def _names(cls: type) -> set[str]:
    """``module.qualname`` of each class in ``cls``'s MRO."""
    return {f"{c.__module__}.{c.__qualname__}" for c in cls.__mro__}


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


def _reaches(obj: Any, func: types.FunctionType) -> bool:
    """Whether ``obj`` is ``func`` or wraps it (``__wrapped__`` chains)."""
    for _ in range(32):
        if obj is func:
            return True
        obj = getattr(obj, "__wrapped__", None)
        if obj is None:
            return False
    return False


class _Registry:
    """One registry a definition may have registered in; subclasses say which."""

    def forget(self, func: types.FunctionType) -> None:
        """Take out the registrations of ``func``; remember the state before."""

    def finish(self) -> None:
        """The decorators ran: put back what was lifted for them."""

    def undo(self) -> None:
        """Put the registry back as it was before `forget`."""


class _FlaskApp(_Registry):
    def __init__(self, app: Any) -> None:
        self.app = app
        self.views = dict(app.view_functions)
        self.rules = {k: list(v) for k, v in app.url_map._rules_by_endpoint.items()}
        self.started = bool(getattr(app, "_got_first_request", False))

    def forget(self, func: types.FunctionType) -> None:
        views = self.app.view_functions
        gone = {name for name, view in views.items() if _reaches(view, func)}
        for name in gone:
            del views[name]
        if gone:
            _set_rules(
                self.app.url_map, {k: v for k, v in self.rules.items() if k not in gone}
            )
        # Flask refuses routes once it has served a request (its own reloader
        # restarts the process); a reload is a restart of this definition.
        self.app._got_first_request = False

    def finish(self) -> None:
        self.app._got_first_request = self.started

    def undo(self) -> None:
        self.app.view_functions.clear()
        self.app.view_functions.update(self.views)
        _set_rules(self.app.url_map, {k: list(v) for k, v in self.rules.items()})


def _set_rules(url_map: Any, by_endpoint: dict[Any, list[Any]]) -> None:
    """Give a werkzeug ``Map`` exactly these rules (its matcher is rebuilt)."""
    matcher = type(url_map._matcher)(url_map._matcher.merge_slashes)
    for rules in by_endpoint.values():
        for rule in rules:
            if not rule.build_only:
                matcher.add(rule)
    url_map._rules_by_endpoint = by_endpoint
    url_map._matcher = matcher
    url_map._remap = True


class _FlaskBlueprint(_Registry):
    def __init__(self, blueprint: Any) -> None:
        self.blueprint = blueprint
        self.deferred = list(blueprint.deferred_functions)
        self.registered = bool(getattr(blueprint, "_got_registered_once", False))

    def forget(self, func: types.FunctionType) -> None:
        def made_for(record: Any) -> bool:
            cells = getattr(record, "__closure__", None) or ()
            return any(_reaches(_cell_value(c), func) for c in cells)

        self.blueprint.deferred_functions[:] = [
            record for record in self.deferred if not made_for(record)
        ]
        self.blueprint._got_registered_once = False

    def finish(self) -> None:
        self.blueprint._got_registered_once = self.registered

    def undo(self) -> None:
        self.blueprint.deferred_functions[:] = self.deferred


class _Routes(_Registry):
    """A Starlette or FastAPI router (and the app it serves, if known)."""

    def __init__(self, router: Any, app: Any = None) -> None:
        self.router, self.app = router, app
        self.routes = list(router.routes)
        self.kept: list[Any] = self.routes
        self.at = len(self.routes)

    def forget(self, func: types.FunctionType) -> None:
        gone = [
            i
            for i, r in enumerate(self.routes)
            if _reaches(getattr(r, "endpoint", None), func)
        ]
        if gone:
            self.at = gone[0]
            self.kept = [r for i, r in enumerate(self.routes) if i not in gone]
            self.router.routes[:] = self.kept
            self._changed()

    def finish(self) -> None:
        # Routes match in order: the new ones take the place of the old ones.
        routes = self.router.routes
        kept = {id(r) for r in self.kept}
        added = [r for r in routes if id(r) not in kept]
        if added and self.at < len(self.kept):
            rest = [r for r in routes if id(r) in kept]
            routes[:] = rest[: self.at] + added + rest[self.at :]
        self._changed()

    def undo(self) -> None:
        self.router.routes[:] = self.routes
        self._changed()

    def _changed(self) -> None:
        mark = getattr(self.router, "_mark_routes_changed", None)
        if callable(mark):
            mark()
        if self.app is not None and hasattr(self.app, "openapi_schema"):
            self.app.openapi_schema = None


class _ClickGroup(_Registry):
    def __init__(self, group: Any) -> None:
        self.group = group
        self.commands = dict(group.commands)

    def forget(self, func: types.FunctionType) -> None:
        for name, command in self.commands.items():
            if _reaches(getattr(command, "callback", None), func):
                del self.group.commands[name]

    def undo(self) -> None:
        self.group.commands.clear()
        self.group.commands.update(self.commands)


class _Dispatch(_Registry):
    """A ``functools.singledispatch`` registry (type -> implementation)."""

    def __init__(self, registry: dict[Any, Any], cache: Any) -> None:
        self.registry, self.cache = registry, cache
        self.before = dict(registry)

    def forget(self, func: types.FunctionType) -> None:
        for cls, impl in self.before.items():
            if cls is not object and _reaches(impl, func):
                del self.registry[cls]
        self.cache.clear()

    def undo(self) -> None:
        self.registry.clear()
        self.registry.update(self.before)
        self.cache.clear()


class _Collection(_Registry):
    """A list, dict or set a decorator of the user's fills (plugins, hooks)."""

    def __init__(self, container: list[Any] | dict[Any, Any] | set[Any]) -> None:
        self.container = container
        self.before = container.copy()

    def forget(self, func: types.FunctionType) -> None:
        box = self.container
        if isinstance(box, dict):
            for key, value in self.before.items():  # type: ignore[union-attr]
                if _reaches(key, func) or _reaches(value, func):
                    del box[key]
        elif isinstance(box, list):
            box[:] = [x for x in box if not _reaches(x, func)]
        else:
            box.difference_update([x for x in self.before if _reaches(x, func)])

    def undo(self) -> None:
        box = self.container
        if isinstance(box, list):
            box[:] = self.before
        else:
            box.clear()
            box.update(self.before)


def _entries(container: Any) -> Iterator[Any]:
    if isinstance(container, dict):
        for key, value in container.items():
            yield key
            yield value
    else:
        yield from container


class _Atexit(_Registry):
    """``@atexit.register``: the function is registered once."""

    func: Callable[..., object] | None = None

    def forget(self, func: types.FunctionType) -> None:
        atexit.unregister(func)
        self.func = func

    def undo(self) -> None:
        if self.func is not None:
            atexit.unregister(self.func)
            atexit.register(self.func)


def _cell_value(cell: types.CellType) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


def _candidates(decorator: object) -> Iterator[Any]:
    """Objects a decorator can reach: itself, ``__self__``, closure cells,
    attributes of a decorator object, a few levels down."""
    pending: list[tuple[Any, int]] = [(decorator, 0)]
    seen: set[int] = set()
    while pending:
        obj, depth = pending.pop()
        if id(obj) in seen or obj is None:
            continue
        seen.add(id(obj))
        yield obj
        if depth >= _SEARCH_DEPTH or isinstance(obj, type | types.ModuleType):
            continue
        more: list[Any] = [
            getattr(obj, "__self__", None),
            getattr(obj, "__func__", None),
        ]
        func = obj if isinstance(obj, types.FunctionType) else None
        if func is not None:
            more += [_cell_value(c) for c in func.__closure__ or ()]
            # A plugin list or dict the decorator fills, found by name.
            more += [
                value
                for name in func.__code__.co_names
                if type(value := func.__globals__.get(name)) in _CONTAINERS
            ]
        elif depth == 0 and not isinstance(
            obj, types.MethodType | types.BuiltinFunctionType
        ):
            with contextlib.suppress(TypeError):  # no __dict__
                more += list(vars(obj).values())
        pending += [(m, depth + 1) for m in more if m is not None]


def _registries(
    decorators: Sequence[object], func: types.FunctionType
) -> Iterator[_Registry]:
    seen: set[int] = set()
    for decorator in decorators:
        for obj in _candidates(decorator):
            for registry, key in _registry_of(obj, func):
                if id(key) not in seen:
                    seen.add(id(key))
                    yield registry


def _registry_of(
    obj: Any, func: types.FunctionType
) -> Iterator[tuple[_Registry, object]]:
    if type(obj) in _CONTAINERS:
        if any(_reaches(x, func) for x in _entries(obj)):
            yield _Collection(obj), obj
        return
    if obj is _ATEXIT_REGISTER:
        yield _Atexit(), obj
        return
    if isinstance(obj, types.FunctionType):
        free = obj.__code__.co_freevars
        if obj.__module__ == "functools" and {"registry", "dispatch_cache"} <= set(
            free
        ):
            cells = dict(zip(free, obj.__closure__ or (), strict=True))
            registry = _cell_value(cells["registry"])
            yield _Dispatch(registry, _cell_value(cells["dispatch_cache"])), registry
        return
    if isinstance(obj, type) or not hasattr(obj, "__class__"):
        return
    names = _names(type(obj))
    if names & _FLASK_APPS:
        yield _FlaskApp(obj), obj
    elif names & _FLASK_BLUEPRINTS:
        yield _FlaskBlueprint(obj), obj
    elif _STARLETTE_APP in names:
        yield _Routes(obj.router, obj), obj.router
    elif _STARLETTE_ROUTER in names:
        yield _Routes(obj), obj
    elif _CLICK_GROUP in names:
        yield _ClickGroup(obj), obj
    elif "functools.singledispatchmethod" in names:
        yield from _registry_of(obj.dispatcher.register, func)


class Reregistration:
    """Registrations a decorated ``def`` had, taken out while it runs again.

    Made by `before_definition`. The engine calls `finish` right after the
    decorators ran (whether they raised or not), and `undo` if the reload is
    rolled back later: what the decorators added goes, the registrations
    from before come back.
    """

    def __init__(self, registries: Sequence[_Registry] = ()) -> None:
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
