"""Which files under a root are modules to import, and which are not.

A directory of code holds more than modules: ``setup.py``, ``conftest.py``,
scripts that do their work as soon as they run, files whose names no
``import`` statement can spell. Importing those runs them. hotreload binds
names and imports lazily in the REPL; where it must import everything up
front (``hotreload check``, the ``--no-repl`` daemon, `Reloader.import_all`)
it skips what is not a module and says why.

The rule for scripts, checked statically with `ast` (the file never runs):
a file is a script when its top level, outside ``if __name__ ==
"__main__":``, has a ``for`` or ``while`` loop, or a statement that is only
a call (``main()``, ``print(...)``, ``app.run()``, ``db.execute(...)``).
Calls that register or configure (``HOOKS.append(f)``,
``atexit.register(f)``, ``warnings.filterwarnings(...)``: see
`REGISTERING_CALLS`) are module code, not script code. Assignments never
make a script (``DATA = load()`` is how modules compute their constants).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hotreload.filters import PathFilter
from hotreload.roots import innermost_root, iter_module_files, module_name

__all__ = [
    "NOT_MODULES",
    "REGISTERING_CALLS",
    "Skipped",
    "find_modules",
    "script_line",
    "skip_reason",
    "top_level_names",
]

#: File names that belong to tools, never imported as modules.
NOT_MODULES: Final = {
    "setup.py": "setup.py is the packaging script, not a module",
    "conftest.py": "conftest.py belongs to pytest, not a module",
}

#: Names of calls that modules make at import to register or configure.
REGISTERING_CALLS: Final = frozenset(
    {
        "register",
        "append",
        "extend",
        "add",
        "update",
        "setdefault",
        "insert",
        "filterwarnings",
        "simplefilter",
        "setLevel",
        "addHandler",
        "seed",
    }
)


@dataclass(frozen=True)
class Skipped:
    """A file under a root that is not imported, and why (one line)."""

    path: Path
    reason: str


def _is_main_guard(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names and consts)


def _callee_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _acts(node: ast.stmt) -> bool:
    """Whether this statement (not a block) is script code."""
    if isinstance(node, ast.For | ast.While | ast.AsyncFor):
        return True
    if isinstance(node, ast.Expr):
        value = node.value
        if isinstance(value, ast.Await):
            return True
        if isinstance(value, ast.Call):
            return _callee_name(value) not in REGISTERING_CALLS
    return False


def _first_action(body: Sequence[ast.stmt]) -> ast.stmt | None:
    for node in body:
        blocks: list[Sequence[ast.stmt]] = []
        if isinstance(node, ast.If):
            if _is_main_guard(node.test):
                blocks = [node.orelse]  # the else branch runs on import
            else:
                blocks = [node.body, node.orelse]
        elif isinstance(node, ast.Try | ast.TryStar):
            blocks = [node.body, *(h.body for h in node.handlers), node.orelse]
            blocks.append(node.finalbody)
        elif isinstance(node, ast.With | ast.AsyncWith):
            blocks = [node.body]
        elif _acts(node):
            return node
        for block in blocks:
            found = _first_action(block)
            if found is not None:
                return found
    return None


def script_line(source: bytes | str) -> int | None:
    """The line of the first top-level statement that makes ``source`` a script.

    Returns:
        None for a module (or a file that does not parse: importing it
        only reports the syntax error, it runs nothing).
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    found = _first_action(tree.body)
    return None if found is None else found.lineno


def skip_reason(path: Path, root: Path) -> str | None:
    """Why the file ``path`` under ``root`` is not imported, or None if it is."""
    if path.name in NOT_MODULES and path.parent == root:
        return NOT_MODULES[path.name]
    if module_name(path, root) is None:
        stem = path.name.removesuffix(".py")
        return f"not importable as a module ({stem!r} is not a Python identifier)"
    if path.name == "__main__.py":
        return "a package's __main__.py runs with python -m, never imported"
    try:
        source = path.read_bytes()
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    line = script_line(source)
    if line is not None:
        return (
            f"a script: line {line} runs when imported "
            '(put it under if __name__ == "__main__": to make it a module)'
        )
    return None


def find_modules(
    roots: Sequence[Path],
    path_filter: PathFilter,
    *,
    follow_symlinks: bool = False,
) -> tuple[dict[str, Path], list[Skipped]]:
    """Every module under the roots (name -> file), and the files skipped.

    A package's modules are left out, with a reason, when the package
    itself is skipped.
    """
    modules: dict[str, Path] = {}
    skipped: list[Skipped] = []
    for root in roots:
        for path in iter_module_files(
            root, path_filter, follow_symlinks=follow_symlinks
        ):
            if innermost_root(path, roots) != root:
                continue  # under nested roots the inner one names it
            reason = skip_reason(path, root)
            if reason is not None:
                skipped.append(Skipped(path, reason))
                continue
            name = module_name(path, root)
            if name is not None and name not in modules:
                modules[name] = path
    return modules, skipped


def top_level_names(
    roots: Iterable[Path], path_filter: PathFilter
) -> tuple[dict[str, Path], list[Skipped]]:
    """Top-level modules and regular packages of the roots, for binding by name.

    Nothing is read but directory listings: a script is bound too (using
    it imports it, as ``import`` would); ``setup.py`` and ``conftest.py``
    are not, nor are files whose names no ``import`` can spell, which come
    back as `Skipped`, for the user to hear of.
    """
    found: dict[str, Path] = {}
    unnamable: list[Skipped] = []
    for root in roots:
        try:
            entries = sorted(os.scandir(root), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if is_dir:
                init = path / "__init__.py"
                if path_filter.ignores_dir(path, root) or not init.is_file():
                    continue
                file = init
            elif path_filter(path, root) and path.name not in NOT_MODULES:
                file = path
            else:
                continue
            name = module_name(file, root)
            if name is None:
                reason = f"not importable as a module ({path.stem!r} is not a Python identifier)"
                unnamable.append(Skipped(path, reason))
            elif name not in found:
                found[name] = file
    return found, unnamable
