"""Results laid out, tracebacks coloured, ``!cmd`` and ``:timeit``, as objects.

The last tests run the same features through `Repl` with a pipe input and
a ``write`` sink (no terminal).
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from hotreload import Reloader
from hotreload.commands import help_text
from hotreload.palette import colour_traceback, highlight, is_library_file
from hotreload.pretty import MAX_LAYOUT, pretty_repr
from hotreload.repl import Repl
from hotreload.shell import is_shell_line, run_shell
from hotreload.timing import format_duration, time_statement, timeit_command
from tests.conftest import Mods


@dataclasses.dataclass
class Point:
    x: int
    y: int
    label: str = "a label of some length"


def test_short_results_are_their_repr() -> None:
    assert (
        pretty_repr([1, 2], width=lambda: pytest.fail("width not needed")) == "[1, 2]"
    )
    assert pretty_repr({"a": Point(1, 2)}, width=200) == repr({"a": Point(1, 2)})


def test_a_result_that_fits_the_terminal_stays_on_one_line() -> None:
    value = list(range(30))  # 110 characters
    assert pretty_repr(value, width=120) == repr(value)
    assert pretty_repr(value, width=lambda: 40).count("\n") == 2


def test_a_dict_of_dataclasses_gets_one_line_per_item() -> None:
    value = {name: Point(i, i * 2) for i, name in enumerate(["p", "q", "r"])}
    lines = pretty_repr(value, width=80).splitlines()
    assert lines == [
        "{'p': Point(x=0, y=0, label='a label of some length'),",
        " 'q': Point(x=1, y=2, label='a label of some length'),",
        " 'r': Point(x=2, y=4, label='a label of some length')}",
    ]


def test_nested_results_keep_their_order_and_pack_short_items() -> None:
    value = {"z": list(range(40)), "a": {"deep": {"deeper": "x" * 20}}}
    text = pretty_repr(value, width=60)
    assert text.index("'z'") < text.index("'a'")  # not sorted
    assert all(len(line) <= 60 for line in text.splitlines())
    assert "0, 1, 2, 3" in text  # numbers packed, not one per line
    assert eval(text) == value


def test_a_long_string_and_a_huge_result_stay_one_repr() -> None:
    text = "word " * 100
    assert pretty_repr(text, width=40) == repr(text)
    huge = list(range(MAX_LAYOUT))
    assert pretty_repr(huge, width=40) == repr(huge)


def test_a_value_pprint_cannot_lay_out_falls_back_to_repr() -> None:
    class Odd(dict[str, int]):
        def __repr__(self) -> str:
            return "Odd(" + "x" * 100 + ")"

        def items(self) -> object:  # type: ignore[override]
            raise RuntimeError("no items")

    assert pretty_repr(Odd(a=1), width=40) == repr(Odd(a=1))


def test_highlight_uses_ansi_colours_only() -> None:
    text = highlight("def f(x):\n    return 'a' + 1  # c\n")
    codes = set(re.findall(r"\x1b\[([\d;]*)m", text))
    assert codes == {"0", "1;32", "34;1", "33", "36", "36;3"}
    assert re.sub(r"\x1b\[[\d;]*m", "", text) == "def f(x):\n    return 'a' + 1  # c\n"


def _traceback_of(func: object) -> str:
    try:
        func()  # type: ignore[operator]
    except Exception as exc:
        return "".join(traceback.format_exception(exc))
    raise AssertionError("did not raise")


def test_a_traceback_dims_library_frames_and_marks_the_error() -> None:
    plain = _traceback_of(lambda: json.loads("{"))
    text = colour_traceback(plain)
    lines = text.splitlines()
    mine = next(line for line in lines if __file__ in line)
    assert "\x1b[2m" not in mine and "\x1b[1m" in mine  # the user's file, bold
    library = [line for line in lines if "json" + "/" in line]
    assert library and all(line.startswith("\x1b[2m") for line in library)
    assert lines[-1].startswith("\x1b[1;31mjson.decoder.JSONDecodeError\x1b[0m: ")
    assert re.sub(r"\x1b\[[\d;]*m", "", text) == plain  # only colours added


def test_which_files_are_libraries() -> None:
    assert is_library_file(json.__file__)
    assert is_library_file("<frozen runpy>")
    assert not is_library_file("<input-3>")
    assert not is_library_file(__file__)


def test_shell_lines() -> None:
    assert is_shell_line("!ls") and is_shell_line("  ! echo")
    assert not is_shell_line("x != 1")


def test_run_shell_passes_output_and_the_exit_status() -> None:
    out: list[str] = []
    assert run_shell("!echo one; echo two >&2; exit 4", out.append) == 4
    assert out == ["one\n", "two\n", "(exit status 4)\n"]
    out.clear()
    assert run_shell("!", out.append) == 2
    assert out[0].startswith("usage: !COMMAND")
    out.clear()
    assert run_shell("!printf partial", out.append) == 0
    assert out == ["partial\n"]


def test_time_statement_chooses_the_loop_count() -> None:
    text = time_statement("x + 1", {"x": 1}, repeat=2)
    assert re.fullmatch(r"[\d,]+ loops, best of 2: [\d.]+ (ns|µs) per loop", text)
    assert time_statement("pass", {}, number=1, repeat=1).startswith(
        "1 loop, best of 1: "
    )


def test_timeit_command_options_and_errors() -> None:
    namespace: dict[str, list[int]] = {"calls": []}
    text = timeit_command(namespace, "-n 3 -r2 calls.append(1)")
    assert text.startswith("3 loops, best of 2: ")
    assert len(namespace["calls"]) == 6
    assert timeit_command({}, "").startswith("usage: :timeit")
    assert "whole numbers" in timeit_command({}, "-n 0 pass")
    assert "whole numbers" in timeit_command({}, "-n x pass")
    assert (
        timeit_command({}, "-n 1 1/0") == "timeit: ZeroDivisionError: division by zero"
    )
    assert timeit_command({}, "1 +") == "timeit: SyntaxError: invalid syntax"
    assert (
        timeit_command({}, "-n 1 -r 1 nope")
        == "timeit: NameError: name 'nope' is not defined"
    )


def test_help_lists_timeit_and_the_lines_that_are_not_python() -> None:
    rows = help_text().splitlines()
    assert rows[-4].startswith(":timeit [-n N] [-r R] STATEMENT  Time a statement")
    assert rows[-3].startswith(":quit")
    assert "!COMMAND runs a shell command" in rows[-2]
    assert "NAME?? its source" in rows[-1]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (2.5, "2.5 s"),
        (0.00123, "1.23 ms"),
        (4.2e-6, "4.2 µs"),
        (7.25e-9, "7.25 ns"),
        (1e-10, "0.1 ns"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


# -- through the REPL, no terminal ---------------------------------------------


@pytest.fixture(autouse=True)
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with (
        create_pipe_input() as inp,
        create_app_session(input=inp, output=DummyOutput()),
    ):
        yield inp


@pytest.fixture
def reloader(mods: Mods) -> Iterator[Reloader]:
    with Reloader(mods.root, debounce=0.005) as r:
        yield r


def session(reloader: Reloader, pipe: PipeInput, text: str) -> str:
    out: list[str] = []
    pipe.send_text(text + "\x04")
    repl = Repl(reloader, input=pipe, output=DummyOutput(), write=out.append)
    assert repl.run() == 0
    return "".join(out)


def test_the_repl_answers_help_shell_and_timeit(
    mods: Mods, reloader: Reloader, pipe: PipeInput
) -> None:
    name = mods.name("greet")
    mods.write(name, 'def hello(n):\n    "Say hello."\n    return n\n')
    text = session(
        reloader,
        pipe,
        f"{name}.hello?\r{name}.hello??\rnope?\r!echo from-the-shell\r"
        ":timeit -n 2 -r 1 x = 1\r:help timeit\r",
    )
    assert f"Signature: {name}.hello(n)" in text
    assert "Say hello." in text
    assert "    return n" in text
    assert "\x1b[" not in text  # no colours without a terminal
    assert "Object `nope` not found." in text
    assert "from-the-shell\n" in text
    assert "2 loops, best of 1: " in text
    assert ":timeit [-n N] [-r R] STATEMENT" in text


def test_source_of_a_function_typed_at_the_prompt(
    reloader: Reloader, pipe: PipeInput
) -> None:
    text = session(reloader, pipe, "def twice(n):\rreturn n * 2\r\rtwice??\r")
    assert re.search(r"File:      <input-\d+>:1\n", text)
    assert "Source:\ndef twice(n):\n    return n * 2\n" in text


def test_the_repl_lays_out_long_results(
    reloader: Reloader, pipe: PipeInput, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    text = session(reloader, pipe, "{k: list(range(12)) for k in 'abcd'}\r")
    assert "{'a': [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],\n 'b': [" in text
    assert sys.displayhook is sys.__displayhook__
