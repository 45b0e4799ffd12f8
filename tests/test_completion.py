"""Completion as a plain object: ``get_completions(Document(...), CompleteEvent())``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from hotreload import Reloader
from hotreload.completion import ParityCompleter, keyword_arguments
from hotreload.repl import ReplCompleter
from tests.conftest import Mods, write_atomic


@pytest.fixture
def reloader(mods: Mods) -> Iterator[Reloader]:
    with Reloader(mods.root, debounce=0.005) as r:
        yield r


class Complete:
    def __init__(self, reloader: Reloader, namespace: dict[str, Any]) -> None:
        self.namespace = namespace
        inner = ReplCompleter(reloader, lambda: self.namespace)
        self.completer = ParityCompleter(inner, lambda: self.namespace)

    def __call__(self, text: str) -> list[tuple[str, int]]:
        """(text, start position) of each completion at the end of ``text``."""
        found = self.completer.get_completions(Document(text), CompleteEvent())
        return [(c.text, c.start_position) for c in found]


@pytest.fixture
def complete(reloader: Reloader) -> Complete:
    return Complete(reloader, {"json": json})


def test_module_names_after_import(complete: Complete) -> None:
    assert ("json", -3) in complete("import jso")
    assert ("json", -3) in complete("from jso")
    assert ("path", -2) in complete("import os.pa")
    assert ("json", -3) in complete("def f():\n    import jso")  # in a block


def test_modules_under_the_roots_complete(mods: Mods, reloader: Reloader) -> None:
    name = mods.name("local_thing")
    mods.write(name, "X = 1\n")
    complete = Complete(reloader, {})
    assert (name, -2) in complete(f"import {name[:2]}")


def test_names_of_a_module_not_imported_yet(complete: Complete) -> None:
    assert ("ElementTree", -7) in complete("from xml.etree import Element")


def test_names_of_a_loaded_module_are_live(complete: Complete) -> None:
    import collections

    collections.hotreload_test_marker = 1  # type: ignore[attr-defined]
    try:
        assert ("hotreload_test_marker", -3) in complete("from collections import hot")
    finally:
        del collections.hotreload_test_marker  # type: ignore[attr-defined]


def test_keyword_arguments_come_first(complete: Complete) -> None:
    found = complete("json.dumps([], sort")
    assert found[0] == ("sort_keys=", -4)
    assert complete("x = json.dumps(\n    [],\n    ind")[0] == ("indent=", -3)


def test_keyword_arguments_follow_a_reload(mods: Mods, reloader: Reloader) -> None:
    name = mods.name("m")
    path = mods.write(name, "def f(alpha, beta=1):\n    return alpha\n")
    reloader.import_all()
    complete = Complete(reloader, {"m": reloader.modules[name]})
    assert complete("m.f(")[:2] == [("alpha=", 0), ("beta=", 0)]
    write_atomic(path, "def f(gamma, *, delta=2):\n    return gamma\n")
    assert reloader.reload(name).ok
    assert complete("m.f(")[:2] == [("gamma=", 0), ("delta=", 0)]


def _f(a: int, b: int = 1, *args: int, c: int = 2, **kw: int) -> None:
    pass


@pytest.mark.parametrize(
    ("text", "offered"),
    [
        ("f(", ["a=", "b=", "c="]),  # in the signature's order
        ("f(1, ", ["b=", "c="]),  # a filled by position
        ("f('x, y', ", ["b=", "c="]),  # a comma in a string is no argument
        ("f(g(1, 2), ", ["b=", "c="]),
        ("f(a=1, ", ["b=", "c="]),
        ("f(*xs, ", ["a=", "b=", "c="]),  # positions unknown after *xs
        ("f(b", ["b="]),
        ("x = [f(\n", ["a=", "b=", "c="]),  # over several lines
        ("f(a=b", []),  # typing a value
        ("f(1 + ", []),
        ("(1 + ", []),  # not a call
        ("nope(", []),  # an unknown name
    ],
)
def test_keyword_arguments_of_a_live_callable(text: str, offered: list[str]) -> None:
    found = keyword_arguments(text, {"f": _f, "g": max})
    assert found is not None
    assert [c.text for c in found] == offered


def test_a_callee_that_is_no_plain_name_is_left_to_jedi() -> None:
    assert keyword_arguments("f(1)(", {"f": _f}) is None
    assert keyword_arguments("int(", {}) is None  # no signature at run time


def test_names_attributes_and_commands_still_complete(complete: Complete) -> None:
    assert ("dumps", -2) in complete("json.du")
    assert ("json", -2) in complete("js")
    assert (":timeit", -3) in complete(":ti")
    assert (":reload", -3) in complete(":re")
    # A name inside a call completes as well as the keyword arguments.
    assert ("json", -2) in complete("print(js")


def test_a_failing_jedi_leaves_the_other_completions(
    complete: Complete, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> list[object]:
        raise RuntimeError("jedi cannot infer this")

    monkeypatch.setattr("hotreload.completion._jedi_completions", broken)
    assert complete("print(js") == [("json", -2)]
    assert complete("import jso") == []


def test_jedi_loads_with_the_first_completion_not_with_the_repl() -> None:
    probe = "import hotreload, hotreload.repl, sys; print('jedi' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.stdout == "False\n"
