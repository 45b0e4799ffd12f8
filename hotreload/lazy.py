"""The REPL's module names: bound at start, imported on first use.

Importing a module runs it. A directory holds scripts that start a game
loop, a ``setup.py`` that parses ``sys.argv``, a migration that writes to a
database; none of them may run just because the REPL started. So each
top-level module and package under the roots is bound to a `LazyModule`
that imports the real module the first time it is used (an attribute,
``dir()``, assignment) and then puts the real module in its place in the
namespace. ``import name`` typed by the user imports and binds the real
module, as always.

An import that takes longer than `SLOW_AFTER` seconds is named while it
runs ("importing slow_mod… 2 s"), and Ctrl-C interrupts it: the REPL says
so and goes on, the module not loaded.
"""

from __future__ import annotations

import sys
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Protocol

__all__ = ["SLOW_AFTER", "Binder", "LazyModule"]

#: Seconds an import may run before the REPL names it.
SLOW_AFTER: Final = 2.0
#: Seconds between two "importing…" lines after the first.
SLOW_EVERY: Final = 5.0


class _Importer(Protocol):
    def import_module(self, name: str) -> types.ModuleType: ...
    def top_level(self) -> tuple[dict[str, Path], list[Any]]: ...


class LazyModule:
    """Stands for the module ``name`` until it is used, then imports it."""

    __slots__ = ("_hr_binder", "_hr_name")

    def __init__(self, name: str, binder: Binder) -> None:
        object.__setattr__(self, "_hr_name", name)
        object.__setattr__(self, "_hr_binder", binder)

    def _hr_load(self) -> types.ModuleType:
        name: str = object.__getattribute__(self, "_hr_name")
        binder: Binder = object.__getattribute__(self, "_hr_binder")
        return binder.load(name, self)

    def __getattribute__(self, attr: str) -> Any:
        if attr in ("_hr_load", "__class__"):
            # isinstance() reads __class__: asking what it is runs nothing.
            return object.__getattribute__(self, attr)
        return getattr(object.__getattribute__(self, "_hr_load")(), attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(self._hr_load(), attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(self._hr_load(), attr)

    def __dir__(self) -> list[str]:
        return dir(self._hr_load())

    def __repr__(self) -> str:
        name = object.__getattribute__(self, "_hr_name")
        return f"<module {name!r} (not loaded yet: imported on first use)>"


class Binder:
    """Binds the roots' top-level modules in a namespace and imports them on use.

    Args:
        reloader: imports modules (`Reloader.import_module`) and lists
            the top-level ones (`Reloader.top_level`).
        namespace: where the names are bound.
        write: where the slow-import and interrupt notes go.
    """

    def __init__(
        self,
        reloader: _Importer,
        namespace: dict[str, Any],
        write: Callable[[str], None],
    ) -> None:
        self._reloader = reloader
        self._namespace = namespace
        self._write = write
        self.names: tuple[str, ...] = ()
        self.unnamable: list[Any] = []

    def bind(self) -> tuple[str, ...]:
        """Bind the top-level modules not bound yet; drop proxies of gone files.

        Names the user has bound to something else are left alone. Returns
        the top-level module names, sorted.
        """
        found, self.unnamable = self._reloader.top_level()
        ns = self._namespace
        for name in self.names:
            if name not in found and isinstance(ns.get(name), LazyModule):
                del ns[name]
        for name in found:
            loaded = sys.modules.get(name)
            if name not in ns:
                ns[name] = loaded if loaded is not None else LazyModule(name, self)
        self.names = tuple(sorted(found))
        return self.names

    def loaded_count(self) -> int:
        """How many of the bound names are imported."""
        return sum(1 for name in self.names if name in sys.modules)

    def load(self, name: str, proxy: LazyModule | None = None) -> types.ModuleType:
        """Import ``name`` now; put the module where ``proxy`` was bound.

        Raises:
            Exception: what the import raised (``KeyboardInterrupt`` too,
                after saying that the import was interrupted).
        """
        module = sys.modules.get(name)
        if module is None:
            module = self._import(name)
        if proxy is not None and self._namespace.get(name) is proxy:
            self._namespace[name] = module
        return module

    def _import(self, name: str) -> types.ModuleType:
        done = threading.Event()
        start = time.monotonic()
        watch = threading.Thread(
            target=self._name_slow, args=(name, done, start), daemon=True
        )
        watch.start()
        try:
            return self._reloader.import_module(name)
        except KeyboardInterrupt:
            done.set()
            watch.join()
            took = time.monotonic() - start
            self._write(
                f"hotreload: import of {name} interrupted after {took:.1f} s; "
                f"{name} is not loaded (use it again to import it)\n"
            )
            # The import machinery's frames say nothing to the user.
            raise KeyboardInterrupt from None
        finally:
            done.set()
            watch.join()

    def _name_slow(self, name: str, done: threading.Event, start: float) -> None:
        wait = SLOW_AFTER
        while not done.wait(wait):
            took = time.monotonic() - start
            self._write(f"importing {name}… {took:.0f} s (Ctrl-C interrupts)\n")
            wait = SLOW_EVERY
