"""One adapter per tool, so every row drives each tool through the same steps.

A worker process builds exactly one adapter. Each uses its tool the way its
documentation describes, with the tool's own defaults (hotreload's
``debounce=0.01``, jurigged's 0.05 s; IPython's autoreload in ``%autoreload 2``
mode, deduperreload included, as IPython 9 sets it up). ``importlib`` is the
floor: a bare ``importlib.reload`` that repairs nothing.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

Applied = Callable[[str, "int | None"], None]
"""Called with (module name, batch number or None) after a module is applied."""


class Tool:
    """The steps a row takes; a tool that cannot do one raises NotImplementedError."""

    name = "?"
    watches = False  # has a file watcher of its own

    def __init__(self) -> None:
        self.info: dict[str, Any] = {}  # shown in the report (backend, errors)
        self.errors: list[str] = []
        self.durations: list[float] = []  # the tool's own timing of each reload
        self.ran: list[int] = []  # statements each reload ran, where it says

    def start(self, root: Path, *, watch: bool) -> None:
        """Set the tool up for ``root``; start its watcher if ``watch``."""
        sys.path.insert(0, str(root))

    def import_modules(self, names: Iterable[str]) -> dict[str, types.ModuleType]:
        """Import ``names`` (sorted, so the order is the same for every tool)."""
        return {n: importlib.import_module(n) for n in sorted(names)}

    def track(self, namespace: dict[str, Any]) -> None:
        """Make ``from m import f`` bindings in ``namespace`` follow reloads."""

    def reload(self, name: str, path: Path) -> None:
        """Reload ``name`` now, the way this tool's user would."""
        raise NotImplementedError

    def on_applied(self, callback: Applied) -> None:
        """Report each module the watcher applies."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop threads and watchers."""


class Hotreload(Tool):
    name = "hotreload"
    watches = True

    def start(self, root: Path, *, watch: bool) -> None:
        from hotreload import Reloader

        self.reloader = Reloader(root)  # its defaults: debounce 0.01 s
        if watch:
            self.reloader.start()
        self.info["backend"] = self.reloader.backend

    def import_modules(self, names: Iterable[str]) -> dict[str, types.ModuleType]:
        failures = self.reloader.import_all()
        if failures:
            raise RuntimeError(f"import_all failed: {failures[0].error!r}")
        return {n: sys.modules[n] for n in sorted(names)}

    def track(self, namespace: dict[str, Any]) -> None:
        self.reloader.track(namespace)

    def reload(self, name: str, path: Path) -> None:
        event = self.reloader.reload(name)
        if not event.ok:
            self.errors.append(f"{name}: {event.error!r}")
        self._count_ran(event)

    def _count_ran(self, event: Any) -> None:
        ran = getattr(event, "ran", None)  # ReloadEvent.ran, where there is one
        if isinstance(ran, int):
            self.ran.append(ran)

    def on_applied(self, callback: Applied) -> None:
        def deliver(event: Any) -> None:
            if not event.ok:
                self.errors.append(f"{event.module}: {event.error!r}")
            self.durations.append(event.duration)
            self._count_ran(event)
            callback(event.module, event.batch)

        self.reloader.subscribe(deliver)

    def stop(self) -> None:
        self.reloader.stop()


class Jurigged(Tool):
    name = "jurigged"
    watches = True

    def start(self, root: Path, *, watch: bool) -> None:
        super().start(root, watch=watch)
        import jurigged

        # watch() registers the pattern, then sniffs each import that matches.
        # Without autostart the observer never runs: only refresh() is timed.
        self.watcher = jurigged.watch(
            str(root / "*.py"), logger=self._log, autostart=watch
        )
        self.registry = jurigged.registry
        self.info["backend"] = type(self.watcher.observer).__name__
        self._watching = watch

    def _log(self, event: object) -> None:
        # Jurigged reports updates and errors through its logger; printing them
        # would time the terminal, so only errors are kept.
        if isinstance(event, BaseException):
            self.errors.append(repr(event))

    def reload(self, name: str, path: Path) -> None:
        # What the watcher calls on a change: re-read the file, diff, patch.
        self.registry.get(sys.modules[name].__file__).refresh()

    def on_applied(self, callback: Applied) -> None:
        self.watcher.postrun.register(lambda path, cf: callback(cf.module_name, None))

    def stop(self) -> None:
        if self._watching:
            self.watcher.stop()
            self.watcher.join()


class IPython(Tool):
    name = "IPython"

    def import_modules(self, names: Iterable[str]) -> dict[str, types.ModuleType]:
        from IPython.extensions.autoreload import ModuleReloader

        modules = super().import_modules(names)
        # Built after the imports, as `%load_ext autoreload` in a session is:
        # it records every module's mtime and source as the starting point.
        self.reloader = ModuleReloader()
        self.reloader.enabled = True  # %autoreload 2: check_all is its default
        self.reloader.hide_errors = True
        self.reloader._report = self._report  # it names each module it reloads
        self._applied: list[Applied] = []
        return modules

    def _report(self, message: str) -> None:
        if message.startswith("Reloading '"):
            name = message.split("'")[1]
            for callback in self._applied:
                callback(name, None)

    def reload(self, name: str, path: Path) -> None:
        # What `%autoreload 2` runs before every prompt: stat every module in
        # sys.modules, reload the ones whose mtime moved.
        failed = len(self.reloader.failed)
        self.reloader.check()
        if len(self.reloader.failed) > failed:
            self.errors.append(f"{name}: reload failed")

    def on_applied(self, callback: Applied) -> None:
        self._applied.append(callback)


class Importlib(Tool):
    name = "importlib.reload"

    def reload(self, name: str, path: Path) -> None:
        importlib.reload(sys.modules[name])


TOOLS: dict[str, type[Tool]] = {
    "hotreload": Hotreload,
    "jurigged": Jurigged,
    "ipython": IPython,
    "importlib": Importlib,
}
