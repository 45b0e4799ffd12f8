"""``obj?`` and ``obj??``: parsing the request, finding the object, the text."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from hotreload import Reloader
from hotreload.inspect_help import describe, help_request, lookup
from hotreload.palette import highlight
from tests.conftest import Mods, write_atomic


@pytest.mark.parametrize(
    ("line", "request_"),
    [
        ("greet.hello?", ("greet.hello", False)),
        ("greet.hello??", ("greet.hello", True)),
        ("  ?json ", ("json", False)),
        ("??json.dumps", ("json.dumps", True)),
        ("x ?", ("x", False)),
    ],
)
def test_help_requests(line: str, request_: tuple[str, bool]) -> None:
    assert help_request(line) == request_


@pytest.mark.parametrize(
    "line", ["x = 1", ":help", "a?b", "x???", "?", "f(x)?", "a..b?", "a.?"]
)
def test_lines_that_are_not_help_requests(line: str) -> None:
    assert help_request(line) is None


def test_lookup_follows_attributes_and_falls_back_to_builtins() -> None:
    namespace = {"json": json}
    assert lookup("json.dumps", namespace) is json.dumps
    assert lookup("len", namespace) is len
    with pytest.raises(LookupError, match="Object `nope` not found"):
        lookup("nope", namespace)
    with pytest.raises(LookupError, match="Object `json.nope` not found"):
        lookup("json.nope", namespace)


@pytest.fixture
def reloader(mods: Mods) -> Iterator[Reloader]:
    with Reloader(mods.root, debounce=0.005) as r:
        yield r


SOURCE = '''
def hello(name: str) -> str:
    """Greet ``name``."""
    return "Hello " + name
'''


def test_help_of_a_function(mods: Mods) -> None:
    name = mods.name("greet")
    path = mods.write(name, SOURCE)
    module = __import__(name)
    text = describe(module.hello, f"{name}.hello")
    assert text.splitlines() == [
        "Type:      function",
        f"Signature: {name}.hello(name: str) -> str",
        f"File:      {path}:1",
        "Docstring:",
        "Greet ``name``.",
    ]


def test_source_shows_the_current_version_after_a_reload(
    mods: Mods, reloader: Reloader
) -> None:
    name = mods.name("greet")
    path = mods.write(name, SOURCE)
    reloader.import_all()
    module = reloader.modules[name]
    hello = module.hello
    assert 'return "Hello " + name' in describe(hello, "hello", source=True)
    write_atomic(path, "# moved down\n\n" + SOURCE.replace("Hello", "Welcome"))
    assert reloader.reload(name).ok
    text = describe(hello, "hello", source=True)  # the object taken before
    assert f"File:      {path}:4" in text  # a comment and two blank lines above it now
    assert 'return "Welcome " + name' in text
    assert "Hello" not in text


def test_source_is_highlighted_when_asked(mods: Mods) -> None:
    name = mods.name("greet")
    mods.write(name, SOURCE)
    module = __import__(name)
    text = describe(module.hello, "hello", source=True, colour=highlight)
    assert "\x1b[1;32mdef\x1b[0m" in text


def test_help_of_a_value_a_class_a_module_and_a_builtin(mods: Mods) -> None:
    assert describe([1, 2], "xs").splitlines()[:2] == [
        "Type:      list",
        "Value:     [1, 2]",
    ]
    long = describe("x" * 1000, "s")
    assert "Value:     'xxx" in long and "..." in long and len(long) < 2000
    name = mods.name("shapes")
    mods.write(
        name, 'class Square:\n    """A square."""\n    def __init__(self, side): ...\n'
    )
    module = __import__(name)
    text = describe(module.Square, "Square", source=True)
    assert "Signature: Square(side)" in text
    assert "class Square:" in text
    assert (
        describe(module, name, relative=lambda f: "REL").count("File:      REL:1") == 1
    )
    assert "Source:    not available" in describe(len, "len", source=True)
    assert "Signature: len(obj, /)" in describe(len, "len")
    assert "Docstring: <no docstring>" in describe(lambda: None, "f")
    instance = module.Square(2)
    assert f"File:      {mods.path(name)}:1" in describe(instance, "sq")
    assert "File:" not in describe(3, "n")
