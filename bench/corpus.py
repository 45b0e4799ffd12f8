"""The module files every tool is benchmarked on.

Everything here is deterministic: the orchestrator writes version 1 of a
corpus into a fresh directory for each tool, and the worker writes later
versions with the same functions, so every tool sees byte-identical files.
Module names carry a ``hrb_`` prefix so they cannot shadow anything real.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

SMALL = "hrb_small"
ONE_CLASS = "hrb_thing"
HEAP = "hrb_heap"
BRANCH_SIZE = 500
CHECKOUT_SIZE = 3_000  # the large branch switch (row 6, second part)
IDLE_PACKAGES = 10
IDLE_PER_PACKAGE = 99  # + one __init__.py each: 1,000 files
PROMPT_MODULES = 200

# The branch-switch corpus of N modules: the first 3/5 form a binary tree
# (module i imports 2i+1 and 2i+2), the rest import chains of 50 (for 500:
# modules 0..299 the tree, 300..499 four chains). Chains test that a batch is
# really ordered by dependencies; they are kept at 50 deep because every
# nested first import costs ~10 interpreter frames of the 1000 allowed.
_CHAIN = 50


def small_module(version: int) -> str:
    """A small module as a developer edits it: only ``f``'s result changes."""
    return f'''"""A small module the benchmark keeps editing."""

from __future__ import annotations

import math
from dataclasses import dataclass

SCALE = 3


@dataclass
class Point:
    x: float
    y: float

    def norm(self) -> float:
        return math.hypot(self.x, self.y) * SCALE


def helper(values: list[float]) -> float:
    return sum(v * SCALE for v in values)


def f() -> int:
    return {version}
'''


def one_class_module(version: int) -> str:
    """One class; edits change a method body, never the class's layout."""
    return f'''"""One class, reloaded while the process holds many live objects."""


class Thing:
    def __init__(self) -> None:
        self.count = 0

    def value(self) -> int:
        return {version}

    def bump(self) -> int:
        self.count += 1
        return self.count
'''


def heap_module(method: int, setting: int) -> str:
    """One class and one module-level setting; an edit changes one of the two.

    ``method`` is the body of ``Thing.value`` (the edit IPython's
    deduperreload patches in place); ``setting`` is a module-level statement
    that calls an imported function, which deduperreload does not patch (it
    patches defs and constant expressions only), so IPython re-executes the
    module and updates the instances of ``Thing`` through ``gc.get_referrers``.
    """
    return f'''"""One class, reloaded while the process holds many live objects."""

from datetime import timedelta

TIMEOUT = timedelta(seconds={setting})


class Thing:
    def __init__(self) -> None:
        self.count = 0

    def value(self) -> int:
        return {method}

    def timeout(self) -> float:
        return TIMEOUT.total_seconds()
'''


def branch_name(index: int) -> str:
    return f"hrb_b{index:03d}"


def branch_deps(index: int, size: int = BRANCH_SIZE) -> list[int]:
    """The modules that module ``index`` of the ``size``-module corpus imports."""
    tree = size * 3 // 5
    if index < tree:
        return [c for c in (2 * index + 1, 2 * index + 2) if c < tree]
    if (index - tree) % _CHAIN != _CHAIN - 1 and index + 1 < size:
        return [index + 1]
    return []


def branch_total(index: int, version: int, size: int = BRANCH_SIZE) -> int:
    """The ``TOTAL`` module ``index`` holds once everything is at ``version``."""
    deps = branch_deps(index, size)
    return version + sum(branch_total(d, version, size) for d in deps)


def branch_module(index: int, version: int, size: int = BRANCH_SIZE) -> str:
    """A module whose ``TOTAL`` is only right if its imports reloaded first."""
    deps = branch_deps(index, size)
    imports = "".join(
        f"from {branch_name(d)} import TOTAL as _t{n}\n" for n, d in enumerate(deps)
    )
    total = " + ".join(["VERSION", *(f"_t{n}" for n in range(len(deps)))])
    return f'''"""Module {index} of the branch-switch corpus."""

{imports}
VERSION = {version}
TOTAL = {total}


def f() -> int:
    return VERSION
'''


def write_small(root: Path) -> Path:
    path = root / f"{SMALL}.py"
    path.write_text(small_module(1))
    return path


def write_one_class(root: Path) -> Path:
    path = root / f"{ONE_CLASS}.py"
    path.write_text(one_class_module(1))
    return path


def write_heap(root: Path) -> Path:
    path = root / f"{HEAP}.py"
    path.write_text(heap_module(1, 1))
    return path


def write_branch(root: Path, size: int = BRANCH_SIZE) -> None:
    for index in range(size):
        (root / f"{branch_name(index)}.py").write_text(branch_module(index, 1, size))


def idle_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(module name, path) of the 1,000-file idle corpus, packages first."""
    for p in range(IDLE_PACKAGES):
        package = f"hrb_pkg{p:02d}"
        yield package, root / package / "__init__.py"
        for m in range(IDLE_PER_PACKAGE):
            yield f"{package}.mod{m:02d}", root / package / f"mod{m:02d}.py"


def write_idle(root: Path) -> None:
    for n, (name, path) in enumerate(idle_files(root)):
        path.parent.mkdir(exist_ok=True)
        path.write_text(
            f'"""Idle module {name}."""\n\n\ndef f() -> int:\n    return {n}\n'
        )


def write_prompt(root: Path) -> None:
    """200 flat modules, each importing its predecessor (a REPL binds them all)."""
    for n in range(PROMPT_MODULES):
        head = f"from hrb_m{n - 1:03d} import f as _prev\n" if n else "_prev = int\n"
        (root / f"hrb_m{n:03d}.py").write_text(
            f'"""REPL corpus module {n}."""\n\n{head}\n\n'
            f"def f() -> int:\n    return {n}\n\n\n"
            f"def g() -> int:\n    return _prev() + f()\n"
        )
