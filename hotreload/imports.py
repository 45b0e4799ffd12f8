"""The import side: which modules live under the roots and what they import.

While installed, a meta-path finder hands modules under the roots a loader
that reports each first run, and an ``__import__`` listener records import
edges between those modules and the ``from m import x`` bindings made in
tracked namespaces.
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import os
import sys
import types
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hotreload.bytecode import STAR
from hotreload.graph import ImportGraph
from hotreload.isolation import built_in, from_library
from hotreload.registry import Registry, install
from hotreload.roots import is_within

__all__ = ["Imports"]

FirstRun = Callable[[types.ModuleType, Path], None]


class Imports:
    """The modules under the roots, and what their import statements did.

    Args:
        roots: the root directories (absolute).
        follow_symlinks: whether a file reached through a link that leads
            outside its root still belongs to the root.
        registry: where ``from`` bindings are recorded.
        graph: where import edges are recorded.
        first_run: called as a module under a root starts its first run.
    """

    def __init__(
        self,
        roots: Sequence[Path],
        *,
        follow_symlinks: bool,
        registry: Registry,
        graph: ImportGraph,
        first_run: FirstRun,
    ) -> None:
        self.roots = tuple(roots)
        self.follow_symlinks = follow_symlinks
        self.registry = registry
        self.graph = graph
        self.known: dict[str, Path] = {}
        self._first_run = first_run

    def root_of(self, path: Path) -> Path | None:
        """The root ``path`` belongs to, or None."""
        for root in self.roots:
            if is_within(path, root, follow_symlinks=self.follow_symlinks):
                return root
        return None

    def loaded(self, name: str, path: Path) -> types.ModuleType | None:
        """The loaded module ``name``, if it was loaded from ``path``.

        A module still running its first import is not loaded yet: that
        import reads the file itself, and a reload must not run beside it.
        """
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if module is None or not file:
            return None
        if getattr(getattr(module, "__spec__", None), "_initializing", False):
            return None
        if name not in self.known:
            if os.path.normcase(file) != os.path.normcase(str(path)):
                return None
            self.adopt(module, path)
        return module

    def adopt(self, module: types.ModuleType, path: Path) -> None:
        """Take on a module under a root that was loaded some other way."""
        if module.__name__ not in self.known:
            self.known[module.__name__] = path
            self.registry.track(module)

    def install(self) -> Callable[[], None]:
        """Put the roots on ``sys.path`` and install the hooks; returns the undo."""
        undo: list[Callable[[], None]] = []
        for root in reversed(self.roots):
            entry = str(root)
            if entry not in sys.path:
                sys.path.insert(0, entry)
                undo.append(functools.partial(_remove, sys.path, entry))
        finder = _RootFinder(self)
        sys.meta_path.insert(0, finder)
        undo.append(functools.partial(_remove, sys.meta_path, finder))
        undo.append(install(self))
        importlib.invalidate_caches()
        for module in list(sys.modules.values()):
            file = getattr(module, "__file__", None)
            if isinstance(file, str) and file.endswith(".py"):
                path = Path(file)
                if self.root_of(path) is not None:
                    self.adopt(module, path)

        def uninstall() -> None:
            while undo:
                undo.pop()()

        return uninstall

    def first_run(self, module: types.ModuleType, path: Path) -> None:
        """Called by the loader as a module under a root starts its first run."""
        self.known[module.__name__] = path
        self.registry.track(module)
        self.graph.begin(module.__name__)
        self._first_run(module, path)

    def on_import(
        self,
        module: types.ModuleType,
        name: str,
        ns: dict[str, Any],
        fromlist: tuple[str, ...],
        level: int,
        bindings: Callable[[], list[tuple[str, str]] | None],
    ) -> None:
        """Record import edges and ``from`` bindings of tracked namespaces."""
        if not self.registry.is_tracked(ns):
            return
        target = _absolute(name, ns.get("__package__"), level)
        if target is None:
            return
        known = self.known
        importer = ns.get("__name__")
        if isinstance(importer, str) and importer in known:
            if target in known:
                self.graph.add(importer, target)
            for item in fromlist:
                if f"{target}.{item}" in known:
                    self.graph.add(importer, f"{target}.{item}")
        if not fromlist or target not in known:
            return  # bindings from outside the roots never change
        pairs = bindings()
        if not pairs:
            return
        source = sys.modules.get(target, module)
        for attr, bound in pairs:
            if attr == STAR:
                names = getattr(source, "__all__", None)
                if names is None:
                    names = [k for k in vars(source) if not k.startswith("_")]
                for item in names:
                    self.registry.record(ns, item, target, item)
            else:
                self.registry.record(ns, bound, target, attr)


def _remove(items: list[Any], item: object) -> None:
    for i, value in enumerate(items):
        if value is item or (isinstance(item, str) and value == item):
            del items[i]
            return


def _absolute(name: str, package: object, level: int) -> str | None:
    """The absolute module name of ``from .name import ...`` at ``level`` dots."""
    if level == 0:
        return name
    if not isinstance(package, str) or not package:
        return None
    bits = package.rsplit(".", level - 1)
    if len(bits) < level:
        return None
    base = bits[0]
    return f"{base}.{name}" if name else base


class _RootFinder:
    """Finds modules under the roots and gives them a loader that reports in."""

    def __init__(self, imports: Imports) -> None:
        self._imports = weakref.ref(imports)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        imports = self._imports()
        if imports is None:
            return None
        if path is None:
            if built_in(fullname):
                return None  # Python's own finders, next in line, have it
            search = [str(r) for r in imports.roots]
        else:
            search = [p for p in path if imports.root_of(Path(p)) is not None]
            if not search:
                return None  # most imports: nothing of ours, one cheap check
        spec = importlib.machinery.PathFinder.find_spec(fullname, search, target)
        if spec is None or not isinstance(
            spec.loader, importlib.machinery.SourceFileLoader
        ):
            return None
        origin = Path(spec.origin or "")
        if imports.root_of(origin) is None:
            return None
        if path is None and from_library(imports.roots):
            # The standard library, a dependency or hotreload itself asks:
            # what it means lives outside the roots, if anywhere.
            outside = _outside_roots(fullname, imports.roots, target)
            if outside is not None:
                return outside
        spec.loader = _RootLoader(fullname, str(origin), self._imports)
        return spec

    def invalidate_caches(self) -> None:
        """Nothing cached here; ``PathFinder`` keeps its own caches."""


def _outside_roots(
    fullname: str, roots: Sequence[Path], target: types.ModuleType | None
) -> importlib.machinery.ModuleSpec | None:
    """The spec ``fullname`` would have with the roots off ``sys.path``."""
    ours = {os.path.normcase(str(r)) for r in roots}
    search = [
        p
        for p in sys.path
        if isinstance(p, str)
        and os.path.normcase(os.path.abspath(p or ".")) not in ours
    ]
    return importlib.machinery.PathFinder.find_spec(fullname, search, target)


class _RootLoader(importlib.machinery.SourceFileLoader):
    """A source loader that reports a module's first run before it happens."""

    def __init__(self, fullname: str, path: str, imports: weakref.ref[Imports]) -> None:
        super().__init__(fullname, path)
        self._imports = imports

    def exec_module(self, module: types.ModuleType) -> None:
        imports = self._imports()
        if imports is not None:
            imports.first_run(module, Path(self.path))
        super().exec_module(module)
