"""``!command`` at the prompt: run a shell command, its output shown.

In a terminal the command inherits it (colours, pagers and prompts work, and
Ctrl-C reaches the command, as in a shell). Otherwise its output is read
and passed to the REPL's writer line by line as it comes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from typing import Final

__all__ = ["is_shell_line", "run_shell"]

_PREFIX: Final = "!"


def is_shell_line(line: str) -> bool:
    """Whether a line typed at ``>>> `` is a shell command (never Python)."""
    return line.lstrip().startswith(_PREFIX)


def _shell() -> list[str]:
    return [os.environ.get("SHELL") or "/bin/sh", "-c"]


def run_shell(
    line: str, write: Callable[[str], None], *, terminal: bool = False
) -> int:
    """Run ``!command`` through the user's shell and show what it prints.

    Args:
        line: the line as typed, ``!`` included.
        write: where output and the exit status go.
        terminal: let the command use the terminal directly.

    Returns:
        The command's exit status (a nonzero one is also written out).
    """
    command = line.lstrip()[len(_PREFIX) :].strip()
    if not command:
        write("usage: !COMMAND (runs COMMAND in the shell)\n")
        return 2
    if sys.platform == "win32":  # pragma: no cover - the REPL is POSIX-tested
        argv: list[str] | str = command
    else:
        argv = [*_shell(), command]
    if terminal:
        sys.stdout.flush()
        status = subprocess.call(argv, shell=isinstance(argv, str))
    else:
        status = _piped(argv, write)
    if status < 0:
        write(f"(stopped by signal {-status})\n")
    elif status:
        write(f"(exit status {status})\n")
    return status


def _piped(argv: list[str] | str, write: Callable[[str], None]) -> int:
    with subprocess.Popen(
        argv,
        shell=isinstance(argv, str),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        try:
            for text in process.stdout:
                write(text if text.endswith("\n") else text + "\n")
        except KeyboardInterrupt:
            process.kill()
            raise
        return process.wait()
