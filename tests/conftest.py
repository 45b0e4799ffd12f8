"""Shared fixtures: temporary module roots, file writers and leak checks."""

from __future__ import annotations

import itertools
import logging
import os
import re
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_counter = itertools.count()
_TEST_NAME = re.compile(r"hr\d+_")


class Mods:
    """A temporary root on ``sys.path`` whose modules get unique names."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.prefix = f"hr{next(_counter)}_"

    def name(self, base: str) -> str:
        """A module name no other test uses (``sys.modules`` never leaks)."""
        return f"{self.prefix}{base}"

    def path(self, name: str) -> Path:
        """The file of the dotted module ``name`` (a package's ``__init__``)."""
        parts = name.split(".")
        pkg = self.root.joinpath(*parts)
        if pkg.is_dir():
            return pkg / "__init__.py"
        return self.root.joinpath(*parts[:-1], parts[-1] + ".py")

    def write(self, name: str, source: str, *, package: bool = False) -> Path:
        """Create or replace module ``name`` atomically (temp file + rename)."""
        parts = name.split(".")
        if package:
            path = self.root.joinpath(*parts, "__init__.py")
        else:
            path = self.root.joinpath(*parts[:-1], parts[-1] + ".py")
        write_atomic(path, source)
        return path


def _dedent(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def write_atomic(path: Path, source: str | bytes) -> None:
    """Save the way most editors and tools do: a temp file renamed over."""
    data = source if isinstance(source, bytes) else _dedent(source).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_in_place(path: Path, source: str | bytes) -> None:
    """Save by truncating and rewriting the same file."""
    data = source if isinstance(source, bytes) else _dedent(source).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


Writer = Callable[[Path, "str | bytes"], None]


@pytest.fixture(params=["atomic", "in_place"])
def writer(request: pytest.FixtureRequest) -> Writer:
    """Each save style most tools use."""
    return write_atomic if request.param == "atomic" else write_in_place


@pytest.fixture
def mods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mods]:
    """A root on ``sys.path``; its modules are purged from ``sys.modules`` after."""
    root = tmp_path / "root"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    yield Mods(root)
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None) or ""
        if file.startswith(str(root)) or _TEST_NAME.match(name):
            sys.modules.pop(name, None)


@pytest.fixture(autouse=True)
def no_thread_leaks() -> Iterator[None]:
    """Every thread a test starts is joined by the time it ends."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {leaked}"


@pytest.fixture(autouse=True)
def _logging_untouched() -> Iterator[None]:
    logger = logging.getLogger("hotreload")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate
