"""Which modules under the roots import which, as they actually ran.

Edges are recorded by the import hook while a module executes (its first
import or a reload), so they describe what the code really did: a
conditional import that never ran adds nothing.
"""

from __future__ import annotations

import ast
import functools
import threading
from collections.abc import Iterable

__all__ = ["ImportGraph", "static_imports"]


class ImportGraph:
    """Directed import edges between modules, with ordering queries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._imports: dict[str, set[str]] = {}

    def add(self, importer: str, imported: str) -> None:
        """Record that ``importer`` imports ``imported``."""
        if importer == imported:
            return
        with self._lock:
            self._imports.setdefault(importer, set()).add(imported)

    def begin(self, name: str) -> set[str]:
        """Forget ``name``'s edges before it runs again; returns the old ones."""
        with self._lock:
            old = self._imports.get(name, set())
            self._imports[name] = set()
            return old

    def restore(self, name: str, edges: set[str]) -> None:
        """Put back the edges ``begin`` returned (the new version failed)."""
        with self._lock:
            self._imports[name] = set(edges)

    def forget(self, name: str) -> None:
        """Drop a module that is no longer loaded."""
        with self._lock:
            self._imports.pop(name, None)

    def imports_of(self, name: str) -> list[str]:
        """The modules ``name`` imports, sorted."""
        with self._lock:
            return sorted(self._imports.get(name, ()))

    def importers_of(self, name: str) -> list[str]:
        """The modules that import ``name``, sorted."""
        with self._lock:
            return sorted(k for k, v in self._imports.items() if name in v)

    def order(self, names: Iterable[str]) -> list[str]:
        """``names`` with every module after the modules it imports.

        Indirect imports count (``a`` imports ``x`` imports ``b``: ``b`` goes
        before ``a``). Modules in an import cycle keep their given order.
        """
        wanted = list(dict.fromkeys(names))
        if len(wanted) < 2:
            return wanted  # one save, one module: nothing to order
        with self._lock:
            imports = {k: sorted(v) for k, v in self._imports.items()}
        members = set(wanted)
        done: set[str] = set()
        result: list[str] = []
        for start in wanted:
            # Iterative depth-first post-order, so deep chains need no recursion.
            stack: list[tuple[str, list[str]]] = [(start, list(imports.get(start, ())))]
            on_path = {start}
            if start in done:
                continue
            while stack:
                node, children = stack[-1]
                if children:
                    child = children.pop(0)
                    if child not in done and child not in on_path:
                        on_path.add(child)
                        stack.append((child, list(imports.get(child, ()))))
                    continue
                stack.pop()
                on_path.discard(node)
                if node not in done:
                    done.add(node)
                    if node in members:
                        result.append(node)
        return result

    def dependents(self, names: Iterable[str]) -> list[str]:
        """Every module importing one of ``names``, directly or not, in order.

        ``names`` themselves are left out; the result puts each module after
        the ones it imports.
        """
        roots = set(names)
        with self._lock:
            importers: dict[str, set[str]] = {}
            for importer, imported in self._imports.items():
                for target in imported:
                    importers.setdefault(target, set()).add(importer)
        found: set[str] = set()
        frontier = list(roots)
        while frontier:
            for importer in importers.get(frontier.pop(), ()):
                if importer not in found and importer not in roots:
                    found.add(importer)
                    frontier.append(importer)
        return self.order(sorted(found))


def static_imports(source: bytes, package: str) -> set[str]:
    """Every module the import statements of ``source`` may name, statically.

    Used only for versions that failed to run, whose real imports are unknown.
    ``package`` resolves relative imports. Each parent package counts too, as
    does ``m.x`` for ``from m import x`` (``x`` may be a submodule). Results
    are kept by content: a broken module is looked at again with every batch.
    """
    return set(_static_imports(source, package))


@functools.lru_cache(maxsize=256)
def _static_imports(source: bytes, package: str) -> frozenset[str]:
    try:
        tree = ast.parse(source)
    except Exception:  # SyntaxError, ValueError; RecursionError, MemoryError
        return frozenset()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                keep = len(parts) - (node.level - 1)
                if keep <= 0:
                    continue
                base = ".".join(parts[:keep] + ([base] if base else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            while name:
                found.add(name)
                name = name.rpartition(".")[0]
    return frozenset(found)
