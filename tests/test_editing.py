"""Multi-line input: when Enter runs, how the next line is indented, the keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prompt_toolkit import PromptSession
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from hotreload.editing import editing_bindings, input_is_complete, next_indent


@pytest.mark.parametrize(
    "text",
    [
        "x = 1",
        "",
        "   ",
        "class X:\n    a = 1\n    ",  # an empty line ends the block
        "def f():\n    return 1\n",
        "x = 1\ny = 2",  # a pasted block of simple statements
        "for i in r:\n    pass\nx = 1",
        "1 +",  # never valid: run, so the error shows
        "def f(:",
    ],
)
def test_input_that_runs(text: str) -> None:
    assert input_is_complete(text)


@pytest.mark.parametrize(
    "text",
    [
        "class X:",
        "class X:\n    a = 1",
        "if a:  # a comment:\n    b",
        "x = [1,",
        "x = [\n\n",  # an empty line inside brackets does not end anything
        "def f():\n    x = 1\n    return x",
        "for i in r:\n    pass\nx = (",
        "s = '''text",
    ],
)
def test_input_that_asks_for_more(text: str) -> None:
    assert not input_is_complete(text)


@pytest.mark.parametrize(
    ("text", "indent"),
    [
        ("class X:", 4),
        ("class X:\n    def f(self):", 8),
        ("if a:  # why: a comment", 4),
        ("    x = 1", 4),
        ("        return x", 4),
        ("    pass", 0),
        ("        raise ValueError(x)", 4),
        ("    break", 0),
        ("    continue  # next", 0),
        ("x = f(", 4),
        ("    d = {", 8),
        ("x = {'a:': 1,", 0),  # the colon is in a string and a bracket is open
        ("    returned = 1", 4),  # a name that starts like a keyword
        ("\tif x:", 8),
        ("", 0),
    ],
)
def test_next_indent(text: str, indent: int) -> None:
    assert next_indent(text) == " " * indent


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with (
        create_pipe_input() as inp,
        create_app_session(input=inp, output=DummyOutput()),
    ):
        yield inp


def read(pipe: PipeInput, keys: str) -> str:
    """What one multi-line prompt returns after ``keys``."""
    pipe.send_text(keys)
    session: PromptSession[str] = PromptSession(
        multiline=True,
        key_bindings=editing_bindings(lambda text: text.startswith("!")),
    )
    return session.prompt(">>> ")


def test_enter_indents_a_body_and_an_empty_line_runs_it(pipe: PipeInput) -> None:
    text = read(pipe, "class X:\rdef f(self):\rreturn 1\r\r")
    assert text == "class X:\n    def f(self):\n        return 1"


def test_enter_runs_a_simple_statement_at_once(pipe: PipeInput) -> None:
    assert read(pipe, "x = 1\r") == "x = 1"


def test_a_special_line_runs_at_once(pipe: PipeInput) -> None:
    assert read(pipe, "!ls -l (\r") == "!ls -l ("


def test_enter_in_the_middle_of_the_input_splits_the_line(pipe: PipeInput) -> None:
    # Left four times: the cursor before "pass"; Enter opens a line there.
    keys = "if x: pass" + "\x1b[D" * 4 + "\r" + "\x1b[F" + "\r\r"
    assert read(pipe, keys) == "if x: \n    pass"


def test_enter_anywhere_on_the_last_line_runs_complete_input(pipe: PipeInput) -> None:
    assert read(pipe, "x = 1" + "\x1b[D" * 3 + "\r") == "x = 1"


def test_enter_on_an_earlier_line_opens_a_line_there(pipe: PipeInput) -> None:
    # Up to the `if` line, End, Enter: a new line inside the block.
    keys = "if x:\ra = 1\x1b[A\x1b[F\rb = 2\x1b[B\x1b[F\r\r"
    assert read(pipe, keys) == "if x:\n    b = 2\n    a = 1"


def test_tab_indents_and_backspace_dedents(pipe: PipeInput) -> None:
    # Tab on an empty line indents; Backspace in the indentation goes back
    # one level at a time; elsewhere it deletes one character.
    keys = "if x:\r\t\x7f\x7fy = 12\x7f\r\r"
    assert read(pipe, keys) == "if x:\ny = 1"


def test_alt_enter_runs_the_input_as_it_is(pipe: PipeInput) -> None:
    assert read(pipe, "class X:\x1b\r") == "class X:"
