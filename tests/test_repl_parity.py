"""What an IPython user does without thinking, in the REPL in a real terminal.

The REPL runs in a pty (pexpect) and its output goes through a terminal
emulator (pyte), so the tests read the screen as the user sees it: where
the cursor is after Enter, what a completion menu shows. Each wait is on
the screen reaching a state, bounded by a timeout that is a failure bound.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pyte
import pytest

from tests.conftest import write_atomic

REPO = Path(__file__).resolve().parent.parent
WAIT = 15.0
ROWS, COLUMNS = 40, 100
UP = "\x1b[A"


class Terminal:
    """A REPL in a pty, its output drawn on an emulated screen."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.transcript = ""  # everything shown, escape sequences removed

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines())

    @property
    def cursor_line(self) -> str:
        """The text of the line the cursor is on, up to the cursor."""
        return self.screen.display[self.screen.cursor.y][: self.screen.cursor.x]

    def wait(self, ready: Callable[[], bool], what: str) -> None:
        """Read output until ``ready()`` holds; fail after ``WAIT`` seconds."""
        deadline = time.monotonic() + WAIT
        while not ready():
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"timed out waiting for {what}; screen:\n{self.text()}")
            try:
                data = self.child.read_nonblocking(65536, timeout=min(left, 0.5))
            except pexpect.TIMEOUT:
                continue
            self.stream.feed(data)
            self.transcript += _plain(data.decode("utf-8", "replace"))

    def wait_for(self, text: str) -> None:
        self.wait(lambda: text in self.transcript, repr(text))

    def prompt(self) -> None:
        """Wait for a fresh ``>>> `` with the cursor after it."""
        self.wait(lambda: self.cursor_line == ">>> ", "the prompt")
        self.transcript = ""

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def run(self, line: str, expect: str) -> None:
        """Type ``line``, Enter, wait for ``expect`` and the next prompt."""
        self.send(line + "\r")
        self.wait_for(expect)
        self.prompt()


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\r", "", text)


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    root = tmp_path / "samples"
    shutil.copytree(
        REPO / "sample_modules", root, ignore=shutil.ignore_patterns("__pycache__")
    )
    return root


@pytest.fixture
def term(samples: Path, tmp_path: Path) -> Iterator[Terminal]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HOME": str(tmp_path / "home"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TERM": "xterm",
        "PROMPT_TOOLKIT_NO_CPR": "1",  # a pty under test never answers it
        "COLUMNS": str(COLUMNS),
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "hotreload", "watch", str(samples)],
        cwd=str(tmp_path),
        env=env,
        dimensions=(ROWS, COLUMNS),
        timeout=WAIT,
    )
    child.delaybeforesend = None
    terminal = Terminal(child)
    try:
        terminal.prompt()
        yield terminal
    finally:
        if child.isalive():
            child.terminate(force=True)
        child.close()


def test_a_class_body_is_indented_and_a_return_dedents(term: Terminal) -> None:
    term.send("class Point:\r")
    term.wait(lambda: term.cursor_line == "... " + "    ", "an indented line")
    term.send("def norm(self):\r")
    term.wait(lambda: term.cursor_line == "... " + " " * 8, "the method's body")
    term.send("return 5\r")
    term.wait(lambda: term.cursor_line == "... " + "    ", "one level out")
    term.send("\r")  # an empty line ends the class
    term.prompt()
    term.run("Point().norm()", "5")


def test_a_nested_if_is_indented_twice(term: Terminal) -> None:
    term.send("for n in range(3):\r")
    term.wait(lambda: term.cursor_line == "...     ", "the loop's body")
    term.send("if n == 1:  # a comment after the colon\r")
    term.wait(lambda: term.cursor_line == "... " + " " * 8, "the if's body")
    term.send("print('one' * 2)\r")
    term.wait(lambda: term.cursor_line == "... " + " " * 8, "the same level")
    term.send("\r")
    term.wait_for("oneone")
    term.prompt()


def test_up_moves_inside_a_block_before_reaching_history(term: Terminal) -> None:
    term.run("earlier = 'from history'", "")
    term.send("total = 0\rfor n in (1, 2):\rtotal += n")
    term.wait(lambda: term.cursor_line.endswith("total += n"), "the block typed")
    # Up moves to the line above, in the block: insert text there.
    term.send(UP + "\x1b[F")  # Up, then End: to the end of `for n in (1, 2):`
    term.send("\x08\x08, 3):")  # (1, 2): -> (1, 2, 3):
    # The cursor is on the block's first line, not on a history entry.
    term.wait(lambda: term.cursor_line == ">>> for n in (1, 2, 3):", "the edit")
    term.send("\x1b[B\x1b[F")  # Down, End: back on the last line of the block
    term.wait(lambda: term.cursor_line == "...     total += n", "the last line")
    term.send("\r\r")
    term.prompt()
    term.run("total", "6")
    # From the first line of the input, Up reaches the history.
    term.send(UP)
    term.wait(lambda: term.cursor_line == ">>> total", "the last entry")


def test_pasted_code_keeps_its_own_indentation(term: Terminal) -> None:
    # A terminal wraps a paste in bracketed-paste marks: nothing is added.
    term.send("\x1b[200~def twice(n):\n    if n:\n        return n * 2\n\x1b[201~")
    term.wait(lambda: term.cursor_line == "... ", "the pasted block")
    term.send("\r")
    term.prompt()
    term.run("twice(21)", "42")


def test_help_and_source_of_a_watched_function_follow_edits(
    term: Terminal, samples: Path
) -> None:
    term.run("greet.hello?", "Docstring:")
    assert "Signature: greet.hello(name: str) -> str" in term.text()
    assert "greet.py:11" in term.text()
    assert "Greet ``name``." in term.text()
    term.run("greet.hello??", "Source:")
    assert 'return f"Hello, {name}{PUNCTUATION}"' in term.text()

    source = (samples / "greet.py").read_text()
    edited = source.replace(
        "def hello(name: str) -> str:",
        "# a comment that moves hello down a line\n\n"
        "def hello(name: str, punctuation: str = '?') -> str:",
    ).replace("{PUNCTUATION}", "{punctuation}")
    write_atomic(samples / "greet.py", edited)
    term.wait_for("greet reloaded")
    term.prompt()
    term.run("greet.hello??", "Source:")
    screen = term.text()
    assert "greet.py:13" in screen
    assert "punctuation: str = '?'" in screen
    assert 'return f"Hello, {name}{punctuation}"' in screen


def test_a_nested_result_is_laid_out_by_item(term: Terminal) -> None:
    term.run("from dataclasses import dataclass", "")
    term.send("@dataclass\rclass P:\rx: int\rlabel: str = 'a label long enough'\r\r")
    term.prompt()
    term.run(
        "{name: P(i, name * 6) for i, name in enumerate(['ab', 'cd', 'ef'])}",
        "}",
    )
    lines = [line for line in term.lines() if "P(x=" in line]
    assert len(lines) == 3, term.text()  # one item per line, not one long line
    assert lines[0].startswith("{'ab': P(x=0, label='abababababab')")
    assert lines[1].startswith(" 'cd': P(x=1")


def test_a_shell_command_shows_its_output(term: Terminal) -> None:
    term.run("!echo hi from the shell", "hi from the shell")
    term.run("!exit 3", "(exit status 3)")


def test_timeit_reports_loops_and_the_best_time(term: Terminal) -> None:
    term.send(":timeit 1+1\r")
    term.wait(
        lambda: bool(
            re.search(r"[\d,]+ loops, best of 5: [\d.]+ \S?s per loop", term.transcript)
        ),
        "the timing line",
    )
    term.prompt()


def test_tab_completes_a_module_name_after_import(term: Terminal) -> None:
    term.send("import jso\t")
    term.wait(lambda: term.cursor_line == ">>> import json", "json completed")
    term.send("\r")
    term.prompt()
    term.run("json.dumps([1])", "'[1]'")


def test_enter_takes_the_completion_chosen_in_the_menu(term: Terminal) -> None:
    term.send("shapes.\t")
    term.wait(lambda: "describe" in term.text(), "the menu")
    term.send("\t")  # the first entry, area
    term.wait(lambda: term.cursor_line == ">>> shapes.area", "area chosen")
    term.send("\r")  # takes it; the line is not run yet
    term.send(".square(3)\r")
    term.wait_for("9")
    term.prompt()


def test_tab_completes_a_keyword_argument(term: Terminal) -> None:
    term.send("greet.hello(na\t")
    term.wait(lambda: term.cursor_line == ">>> greet.hello(name=", "name= completed")
    term.send("'Ada')\r")
    term.wait_for("'Hello, Ada!'")
    term.prompt()


def test_a_traceback_is_coloured_and_shows_the_users_line(term: Terminal) -> None:
    term.send("shapes.area.circle('two')\r")
    term.wait_for("TypeError")
    term.prompt()
    line = next(
        y for y, text in enumerate(term.lines()) if text.startswith("TypeError")
    )
    char = term.screen.buffer[line][0]  # the screen keeps colours per character
    assert char.fg == "red" and char.bold
    # The user's line is quoted, highlighted as Python.
    y = next(y for y, text in enumerate(term.lines()) if "return math.pi" in text)
    x = term.lines()[y].index("return")
    assert term.screen.buffer[y][x].fg == "green"


def test_the_traceback_of_a_failed_reload_is_coloured(
    term: Terminal, samples: Path
) -> None:
    term.run("shapes.describe(1)", "circle 3.14")  # loaded: modules load on use
    area = samples / "shapes" / "area.py"
    write_atomic(area, area.read_text() + "\nraise ValueError('broken')\n")
    term.wait_for("shapes.area not reloaded")
    term.prompt()
    term.run(":errors", "ValueError")
    line = next(
        y for y, text in enumerate(term.lines()) if text.startswith("ValueError")
    )
    assert term.screen.buffer[line][0].fg == "red"
    y = next(y for y, text in enumerate(term.lines()) if "raise ValueError(" in text)
    x = term.lines()[y].index("raise")
    assert term.screen.buffer[y][x].fg == "green"  # the file's line, highlighted


def test_typed_input_is_coloured_with_the_terminals_own_colours(term: Terminal) -> None:
    term.send("def f(x): return 'text'  # note")
    term.wait(lambda: term.cursor_line.endswith("# note"), "the typed line")
    y = term.screen.cursor.y
    line = term.lines()[y]

    def colour(word: str) -> tuple[str, bool]:
        char = term.screen.buffer[y][line.index(word)]
        return char.fg, char.bold

    # Names of the 16 ANSI colours (pyte calls yellow "brown"), not RGB values.
    assert colour("def") == ("green", True)
    assert colour("f(") == ("blue", True)
    assert colour("'text'") == ("brown", False)
    assert colour("# note") == ("cyan", False)
