"""The REPL in a real terminal (a pty via pexpect): what only a terminal shows.

Each wait is ``expect(..., timeout=...)``: the timeout is a failure bound, and
on the happy path a test goes on as soon as the text appears.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest

from tests.conftest import write_atomic

REPO = Path(__file__).resolve().parent.parent
PROMPT = ">>>"  # the space after it is drawn as a cursor move
WAIT = 15


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    root = tmp_path / "samples"
    shutil.copytree(
        REPO / "sample_modules", root, ignore=shutil.ignore_patterns("__pycache__")
    )
    return root


@pytest.fixture
def repl(samples: Path, tmp_path: Path) -> Iterator[Any]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HOME": str(tmp_path / "home"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TERM": "xterm",
        # No cursor-position request: a pty under test never answers it.
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "hotreload", "watch", str(samples)],
        cwd=str(tmp_path),
        env=env,
        dimensions=(40, 120),
        encoding="utf-8",
        timeout=WAIT,
    )
    try:
        child.expect_exact("modules: counter, greet, plugin, shapes")
        child.expect_exact(PROMPT)
        yield child
    finally:
        if child.isalive():
            child.terminate(force=True)
        child.close()


def test_edit_a_function_and_call_it_again(repl: Any, samples: Path) -> None:
    repl.sendline('greet.hello("Ada")')
    repl.expect_exact("'Hello, Ada!'")
    repl.expect_exact(PROMPT)
    # Half a line typed when the reload lands: the report goes above the
    # prompt and the typed text survives to be finished.
    repl.send("greet.hel")
    source = (samples / "greet.py").read_text().replace('f"Hello, ', 'f"Welcome, ')
    write_atomic(samples / "greet.py", source)
    repl.expect_exact("greet reloaded: updated hello")
    repl.sendline('lo("Ada")')
    repl.expect_exact("'Welcome, Ada!'")
    repl.expect_exact(PROMPT)


def test_output_that_leaves_its_line_open_is_not_drawn_over(
    repl: Any, samples: Path
) -> None:
    # Each line waits for the prompt: typed-ahead keys would be echoed by
    # the terminal right after the output.
    repl.sendline("greet.PUNCTUATION")  # imported on first use, then reloaded
    repl.expect_exact("'!'")
    repl.expect_exact(PROMPT)
    repl.sendline("print('LO' + 'ST', end='')")
    repl.expect_exact("LOST\r\n")  # the line ended before the prompt came back
    repl.expect_exact(PROMPT)
    repl.sendline("import time; print('wor' + 'king', end='', flush=True); 1 / 0")
    repl.expect_exact("working\r\n")
    repl.expect_exact("ZeroDivisionError")
    repl.expect_exact(PROMPT)
    repl.sendline("print('half' + 'way', end='', flush=True); time.sleep(30)")
    repl.expect_exact("halfway")
    source = (samples / "greet.py").read_text().replace('f"Hello, ', 'f"Hi, ')
    write_atomic(samples / "greet.py", source)
    repl.expect_exact("greet reloaded")
    assert repl.before == "\r\n\x1b[32m"  # right after "halfway", on a line of its own
    repl.sendintr()
    repl.expect_exact(PROMPT)


def test_ctrl_c_interrupts_a_running_call(repl: Any) -> None:
    repl.sendline("kept = 42")
    repl.expect_exact(PROMPT)
    repl.sendline("import time; print('sleep' + 'ing'); time.sleep(30)")
    repl.expect_exact("sleeping")  # user code runs: the terminal is cooked now
    repl.sendintr()
    repl.expect_exact("KeyboardInterrupt", timeout=5)
    repl.expect_exact(PROMPT)
    repl.sendline("kept + 1")
    repl.expect_exact("43")


def test_lines_typed_while_code_runs_keep_their_order(
    repl: Any, tmp_path: Path
) -> None:
    # Line mode hands over one line per read: a block typed (or pasted) while
    # a call runs must reach the next prompt whole and in order.
    typed = tmp_path / "typed"
    repl.sendline(
        "import os, time; print('wai' + 'ting');"
        f" _ = [time.sleep(0.01) for _ in iter(lambda: os.path.exists({str(typed)!r}), True)]"
    )
    repl.expect_exact("waiting")
    repl.send("first = 20\r")
    repl.send("print('sum', first + 22)\r")
    typed.touch()  # the keys are in the terminal's queue: let the call end
    repl.expect_exact("sum 42")


def test_ctrl_c_at_the_prompt_cancels_the_line(repl: Any) -> None:
    repl.send("this is not python")
    repl.sendintr()
    repl.expect_exact(PROMPT)
    repl.sendline("6 * 7")
    repl.expect_exact("42")
    assert "SyntaxError" not in repl.before


def test_ctrl_d_exits_zero(repl: Any) -> None:
    repl.sendcontrol("d")
    repl.expect(pexpect.EOF)
    repl.close()
    assert repl.exitstatus == 0


def test_quit_command_exits_zero(repl: Any) -> None:
    repl.sendline(":quit")
    repl.expect(pexpect.EOF)
    repl.close()
    assert repl.exitstatus == 0
