"""One module's unexpected exception never swallows the other modules' events."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

import hotreload.reloader as reloader_module
from hotreload import Reloader
from hotreload.watcher import Change
from tests.conftest import Mods, write_atomic

WAIT = 15

# What the 3.11-3.13 parser cannot take: a long flat sum recurses in the
# compiler (RecursionError), a long chain of unary minus exhausts the
# parser's memory (MemoryError).
UNPARSABLE = {
    "RecursionError": "X = " + "+".join(["1"] * 100_000) + "\n",
    "MemoryError": "X = " + "-" * 100_000 + "1\n",
}


@pytest.fixture
def two(mods: Mods) -> Iterator[tuple[Reloader, str, str]]:
    a, b = mods.name("a"), mods.name("b")
    mods.write(a, "X = 1\n")
    mods.write(b, "Y = 1\n")
    with Reloader(mods.root) as reloader:
        importlib.import_module(a)
        importlib.import_module(b)
        yield reloader, a, b


def events_until(reloader: Reloader, module: str) -> list[Any]:
    """The events up to and including the next one of ``module``."""
    seen: list[Any] = []
    while True:
        event = reloader.wait(timeout=WAIT)
        assert event is not None, f"no event of {module}; saw {seen}"
        seen.append(event)
        if event.module == module:
            return seen


@pytest.mark.parametrize("kind", sorted(UNPARSABLE))
def test_an_unparsable_module_does_not_swallow_other_reloads(
    two: tuple[Reloader, str, str], mods: Mods, kind: str
) -> None:
    reloader, a, b = two
    write_atomic(mods.path(a), UNPARSABLE[kind])
    (failed,) = [e for e in events_until(reloader, a) if e.module == a]
    assert not failed.ok and type(failed.error).__name__ == kind
    # a is stale now: every later batch asks what it imports, which parses it.
    for value in (2, 3):
        write_atomic(mods.path(b), f"Y = {value}\n")
        event = events_until(reloader, b)[-1]
        assert event.ok, event
        assert value == importlib.import_module(b).Y
        assert reloader.history[-1] is event


def test_an_exception_escaping_the_engine_fails_that_module_only(
    two: tuple[Reloader, str, str], mods: Mods, monkeypatch: pytest.MonkeyPatch
) -> None:
    reloader, a, b = two
    real = reloader_module.reload_module  # type: ignore[attr-defined]

    def engine(module: Any, source: bytes, filename: str, **kw: Any) -> Any:
        if module.__name__ == a:
            raise RecursionError("maximum recursion depth exceeded")
        return real(module, source, filename, **kw)

    monkeypatch.setattr(reloader_module, "reload_module", engine)
    changes = [
        Change(mods.path(a), mods.root, b"X = 2\n"),
        Change(mods.path(b), mods.root, b"Y = 2\n"),
    ]
    events = reloader._apply_changes(changes)
    by_module = {e.module: e for e in events}
    assert set(by_module) == {a, b}
    assert not by_module[a].ok
    assert isinstance(by_module[a].error, RecursionError)
    assert by_module[b].ok and importlib.import_module(b).Y == 2
    assert [e.module for e in reloader.history[-2:]] == [e.module for e in events]
    # The failed module keeps its old version and its import edges.
    assert importlib.import_module(a).X == 1
    monkeypatch.setattr(reloader_module, "reload_module", real)
    (again,) = reloader._apply_changes(changes[:1])
    assert again.ok and importlib.import_module(a).X == 2
