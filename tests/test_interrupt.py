"""Ctrl-C or SIGTERM while a module's first import runs: one line, exit 130/143.

Once the daemon is ready, Ctrl-C is the normal way to stop it (exit 0); before
that, a module's first run was cut short, and the exit says so, as Python's
own does (128 + the signal number).
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.test_cli import Lines, spawn

# The line is written on the line that hangs: a signal sent as soon as it is
# read finds the module on that line, whichever side of the write. The wait
# is short and repeated: a signal that lands just before a blocking lock wait
# starts is seen by Python only when the wait returns (CPython does not look
# for signals between its last check and the wait), so one endless wait could
# miss the test's one signal for good.
HANGS = """\
import os, threading
X = 1
STARTED = os.write(2, b"importing slow\\n"); DONE = any(threading.Event().wait(0.05) for _ in iter(int, 1))
"""


@pytest.mark.parametrize(
    ("command", "stop", "code", "word"),
    [
        (["watch", "--no-repl"], signal.SIGINT, 130, "interrupted"),
        (["watch", "--json"], signal.SIGINT, 130, "interrupted"),
        (["watch", "--no-repl"], signal.SIGTERM, 143, "terminated"),
        (["check"], signal.SIGINT, 130, "interrupted"),
    ],
)
def test_an_interrupted_first_import_is_reported(
    tmp_path: Path, command: list[str], stop: signal.Signals, code: int, word: str
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "slow.py").write_text(HANGS)
    proc = spawn(command[0], str(root), *command[1:], cwd=tmp_path)
    try:
        err = Lines(proc.stderr)
        while err.next() != "importing slow":
            pass
        proc.send_signal(stop)
        out, rest = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code
    lines = rest.decode().splitlines()
    assert lines == [f"hotreload: {word} in root/slow.py:3; stopped"]
    assert out == b""  # no ready line: the daemon never was
