"""Names bound at start and imported on first use (``hotreload.lazy``)."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from hotreload import Reloader
from hotreload.lazy import Binder, LazyModule
from hotreload.repl import toolbar_text
from tests.conftest import Mods


class Importer:
    """`Reloader`'s part that a `Binder` uses, with imports counted."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.imported: list[str] = []

    def top_level(self) -> tuple[dict[str, Path], list[Any]]:
        return {n: Path(f"/x/{n}.py") for n in self.names}, []

    def import_module(self, name: str) -> types.ModuleType:
        self.imported.append(name)
        module = types.ModuleType(name)
        module.VALUE = 7  # type: ignore[attr-defined]
        sys.modules[name] = module
        return module


@pytest.fixture
def names() -> Any:
    yield ["hr_lazy_a", "hr_lazy_b"]
    for name in ("hr_lazy_a", "hr_lazy_b", "hr_lazy_c"):
        sys.modules.pop(name, None)


def test_a_proxy_imports_on_first_use_and_steps_aside(names: list[str]) -> None:
    importer = Importer(names)
    ns: dict[str, Any] = {"hr_lazy_b": "mine"}
    binder = Binder(importer, ns, print)
    assert binder.bind() == ("hr_lazy_a", "hr_lazy_b")
    proxy: Any = ns["hr_lazy_a"]
    assert ns["hr_lazy_b"] == "mine"  # a name the user bound is theirs
    assert not isinstance(ns["hr_lazy_a"], types.ModuleType)
    assert type(proxy) is LazyModule  # asking what it is runs nothing
    assert "not loaded yet" in repr(proxy)
    assert importer.imported == [] and binder.loaded_count() == 0
    assert proxy.VALUE == 7
    assert importer.imported == ["hr_lazy_a"]
    assert ns["hr_lazy_a"] is sys.modules["hr_lazy_a"]  # replaced by the module
    assert binder.loaded_count() == 1
    proxy.OTHER = 1  # an old reference to the proxy still reaches the module
    assert getattr(sys.modules["hr_lazy_a"], "OTHER") == 1  # noqa: B009
    assert "VALUE" in dir(proxy)
    del proxy.OTHER
    assert importer.imported == ["hr_lazy_a"]


def test_bind_follows_files_added_and_removed(names: list[str]) -> None:
    importer = Importer(names)
    ns: dict[str, Any] = {}
    binder = Binder(importer, ns, print)
    binder.bind()
    importer.names = ["hr_lazy_a", "hr_lazy_c"]
    assert binder.bind() == ("hr_lazy_a", "hr_lazy_c")
    assert "hr_lazy_b" not in ns and isinstance(ns["hr_lazy_c"], LazyModule)


def test_a_failed_import_is_recorded_and_raised(mods: Mods) -> None:
    bad = mods.name("bad")
    path = mods.write(bad, "X = 1\nraise ValueError('at import')\n")
    with Reloader(mods.root) as reloader:
        ns: dict[str, Any] = {}
        Binder(reloader, ns, print).bind()
        with pytest.raises(ValueError, match="at import"):
            ns[bad].X  # noqa: B018  the use that imports it
        event = reloader.import_failures[bad]
        assert (event.trigger, event.path, event.ok) == ("import", path, False)
        mods.write(bad, "X = 2\n")
        assert ns[bad].X == 2  # used again: imported again
        assert bad not in reloader.import_failures


def test_toolbar_counts_what_the_banner_lists(mods: Mods) -> None:
    a, pkg = mods.name("a"), mods.name("pkg")
    mods.write(a, "X = 1\n")
    mods.write(pkg, "", package=True)
    mods.write(f"{pkg}.sub", "Y = 1\n")
    with Reloader(mods.root) as reloader:
        ns: dict[str, Any] = {}
        binder = Binder(reloader, ns, print)
        assert binder.bind() == tuple(sorted([a, pkg]))
        assert "| 2 modules (0 loaded) |" in toolbar_text(reloader, binder)
        ns[pkg].__name__  # noqa: B018  imports pkg, not pkg.sub
        __import__(f"{pkg}.sub")
        # Two bound names, one loaded; the submodule is not a second count.
        assert "| 2 modules (1 loaded) |" in toolbar_text(reloader, binder)
