"""The registries a decorated ``def`` can register itself in, one class each.

Each class holds one registry as it was before a definition runs again:
`Registry.forget` takes out what a function registered, `finish` puts back
what was lifted for its decorators, `undo` puts the registry back as it
was. `hotreload.registrations` finds them through a definition's
decorators. Frameworks are recognised by the names of their classes; none
is imported here.
"""

from __future__ import annotations

import atexit
import gc
import sys
import types
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = [
    "Atexit",
    "ClickGroup",
    "Collection",
    "Dispatch",
    "FlaskApp",
    "FlaskBlueprint",
    "Registry",
    "Routes",
    "cell_value",
    "class_names",
    "entries",
    "open_setup",
    "reaches",
]


def class_names(cls: type) -> set[str]:
    """``module.qualname`` of each class in ``cls``'s MRO."""
    return {f"{c.__module__}.{c.__qualname__}" for c in cls.__mro__}


def reaches(obj: Any, func: types.FunctionType) -> bool:
    """Whether ``obj`` is ``func`` or wraps it (``__wrapped__`` chains)."""
    for _ in range(32):
        if obj is func:
            return True
        try:
            obj = getattr(obj, "__wrapped__", None)
        except Exception:  # a proxy that cannot answer (Flask's current_app)
            return False
        if obj is None:
            return False
    return False


class Registry:
    """One registry a definition may have registered in; subclasses say which."""

    def forget(self, func: types.FunctionType) -> None:
        """Take out the registrations of ``func``; remember the state before."""

    def finish(self) -> None:
        """The decorators ran: put back what was lifted for them."""

    def undo(self) -> None:
        """Put the registry back as it was before `forget`."""


def open_setup(namespace: Mapping[str, object]) -> Callable[[], None]:
    """Let Flask apps and blueprints bound in ``namespace`` take new routes.

    Flask refuses setup calls (``app.route(...)`` itself, before any
    decorator is applied) once an app has served its first request or a
    blueprint has been registered, because its own reloader restarts the
    process. A reload is the restart of the definitions that changed: the
    engine calls this with the reloaded module's globals before running its
    statements, and the returned callable, which puts the flags back, once
    they ran (whether they succeeded or not).
    """
    app_module = sys.modules.get("flask.sansio.app")
    bp_module = sys.modules.get("flask.sansio.blueprints")
    if app_module is None or bp_module is None:
        return _nothing
    flags = (
        (app_module.App, "_got_first_request"),
        (bp_module.Blueprint, "_got_registered_once"),
    )
    lifted: list[tuple[object, str, object]] = []
    for value in namespace.values():
        for cls, flag in flags:
            # By type: isinstance would ask a proxy (current_app) its __class__.
            if issubclass(type(value), cls) and getattr(value, flag, False):
                lifted.append((value, flag, getattr(value, flag)))
                setattr(value, flag, False)
                _LIFTED[value] = flag
    if not lifted:
        return _nothing

    def close() -> None:
        for obj, flag, before in lifted:
            setattr(obj, flag, before)
            _LIFTED.pop(obj, None)

    return close


def _nothing() -> None:
    """Nothing to put back."""


# Flask objects whose setup flag `open_setup` lifted: the flag no longer tells.
_LIFTED: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _was_set(obj: Any, flag: str) -> bool:
    return bool(getattr(obj, flag, False)) or _LIFTED.get(obj) == flag


class FlaskApp(Registry):
    def __init__(self, app: Any) -> None:
        self.app = app
        self.views = dict(app.view_functions)
        self.rules = {k: list(v) for k, v in app.url_map._rules_by_endpoint.items()}
        self.started = bool(getattr(app, "_got_first_request", False))

    def forget(self, func: types.FunctionType) -> None:
        views = self.app.view_functions
        gone = {name for name, view in views.items() if reaches(view, func)}
        for name in gone:
            del views[name]
        if gone:
            kept = {k: list(v) for k, v in self.rules.items() if k not in gone}
            _set_rules(self.app.url_map, kept)
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


class FlaskBlueprint(Registry):
    """A blueprint's recorded routes, and those of the apps it is registered on.

    Flask copies a blueprint's routes into an app when the app registers it;
    a route recorded later never reaches the app. So the routes a definition
    records during a reload are played on each app that registered the
    blueprint, with the name and URL prefix it was registered under.
    """

    def __init__(self, blueprint: Any) -> None:
        self.blueprint = blueprint
        self.deferred = list(blueprint.deferred_functions)
        self.registered = _was_set(blueprint, "_got_registered_once")
        self.apps: list[tuple[FlaskApp, dict[str, Any]]] = []

    def forget(self, func: types.FunctionType) -> None:
        def made_for(record: Any) -> bool:
            cells = getattr(record, "__closure__", None) or ()
            return any(reaches(cell_value(c), func) for c in cells)

        self.blueprint.deferred_functions[:] = [
            record for record in self.deferred if not made_for(record)
        ]
        self.blueprint._got_registered_once = False
        if self.registered:
            for app, key in _apps_with(self.blueprint):
                options = _setup_options(app, key, self.deferred)
                state = FlaskApp(app)
                state.forget(func)
                self.apps.append((state, options))

    def finish(self) -> None:
        known = {id(record) for record in self.deferred}
        added = [r for r in self.blueprint.deferred_functions if id(r) not in known]
        try:
            for state, options in self.apps if added else ():
                setup = self.blueprint.make_setup_state(state.app, options, False)
                for record in added:
                    record(setup)
        finally:
            for state, _ in self.apps:
                state.finish()
            self.blueprint._got_registered_once = self.registered

    def undo(self) -> None:
        self.blueprint.deferred_functions[:] = self.deferred
        for state, _ in self.apps:
            state.undo()


def _apps_with(blueprint: Any) -> list[tuple[Any, str]]:
    """Each Flask app that registered ``blueprint``, with the name it has there.

    Apps are looked for in the globals of loaded modules; an app made by a
    factory and held nowhere there is found with one walk of the heap.
    """
    app_class = getattr(sys.modules.get("flask.sansio.app"), "App", None)
    if app_class is None:
        return []

    def holding(apps: Iterator[Any]) -> list[tuple[Any, str]]:
        found: dict[int, Any] = {
            id(a): a
            for a in apps
            # By type: a weak proxy (or Flask's current_app) is not an app.
            if issubclass(type(a), app_class)
        }
        return [
            (app, key)
            for app in found.values()
            for key, registered in app.blueprints.items()
            if registered is blueprint
        ]

    modules = list(sys.modules.values())
    in_modules = holding(
        v for m in modules for v in list(getattr(m, "__dict__", {}).values())
    )
    return in_modules or holding(iter(gc.get_objects()))


def _setup_options(app: Any, key: str, records: list[Any]) -> dict[str, Any]:
    """The options ``app`` registered a blueprint with, as far as its rules tell."""
    name_prefix, _, name = key.rpartition(".")
    options: dict[str, Any] = {"name": name, "name_prefix": name_prefix}
    for record in records:
        code = getattr(record, "__code__", None)
        if code is None or not {"rule", "endpoint", "view_func"} <= set(
            code.co_freevars
        ):
            continue
        cells = dict(zip(code.co_freevars, record.__closure__ or (), strict=True))
        rule = cell_value(cells["rule"])
        endpoint = cell_value(cells["endpoint"]) or getattr(
            cell_value(cells["view_func"]), "__name__", None
        )
        if not isinstance(rule, str) or not rule.strip("/"):
            continue
        for made in app.url_map._rules_by_endpoint.get(f"{key}.{endpoint}", ()):
            if made.rule.endswith(rule.lstrip("/")):
                prefix = made.rule[: len(made.rule) - len(rule.lstrip("/"))]
                options["url_prefix"] = prefix.rstrip("/")
                return options
    return options


class Routes(Registry):
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
            if reaches(getattr(r, "endpoint", None), func)
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


class ClickGroup(Registry):
    def __init__(self, group: Any) -> None:
        self.group = group
        self.commands = dict(group.commands)

    def forget(self, func: types.FunctionType) -> None:
        for name, command in self.commands.items():
            if reaches(getattr(command, "callback", None), func):
                del self.group.commands[name]

    def undo(self) -> None:
        self.group.commands.clear()
        self.group.commands.update(self.commands)


class Dispatch(Registry):
    """A ``functools.singledispatch`` registry (type -> implementation)."""

    def __init__(self, registry: dict[Any, Any], cache: Any) -> None:
        self.registry, self.cache = registry, cache
        self.before = dict(registry)

    def forget(self, func: types.FunctionType) -> None:
        for cls, impl in self.before.items():
            if cls is not object and reaches(impl, func):
                del self.registry[cls]
        self.cache.clear()

    def undo(self) -> None:
        self.registry.clear()
        self.registry.update(self.before)
        self.cache.clear()


class Collection(Registry):
    """A list, dict or set a decorator of the user's fills (plugins, hooks)."""

    def __init__(self, container: list[Any] | dict[Any, Any] | set[Any]) -> None:
        self.container = container
        self.before = container.copy()

    def forget(self, func: types.FunctionType) -> None:
        box = self.container
        if isinstance(box, dict):
            for key, value in self.before.items():  # type: ignore[union-attr]
                if reaches(key, func) or reaches(value, func):
                    del box[key]
        elif isinstance(box, list):
            box[:] = [x for x in box if not reaches(x, func)]
        else:
            box.difference_update([x for x in self.before if reaches(x, func)])

    def undo(self) -> None:
        box = self.container
        if isinstance(box, list):
            box[:] = self.before
        else:
            box.clear()
            box.update(self.before)


def entries(container: Any) -> Iterator[Any]:
    if isinstance(container, dict):
        for key, value in container.items():
            yield key
            yield value
    else:
        yield from container


class Atexit(Registry):
    """``@atexit.register``: the function is registered once."""

    func: Callable[..., object] | None = None

    def forget(self, func: types.FunctionType) -> None:
        atexit.unregister(func)
        self.func = func

    def undo(self) -> None:
        if self.func is not None:
            atexit.unregister(self.func)
            atexit.register(self.func)


def cell_value(cell: types.CellType) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None
