"""Keys typed while the REPL starts: kept for the prompt, not lost.

Until prompt-toolkit puts the terminal in raw mode, the terminal is in its
line mode, where Ctrl-D on an empty line is an end-of-file that nobody
reads: it would be lost, and the user who typed it at once would wait at a
prompt they meant to leave. So from the start of the command until the
prompt is drawn, the terminal delivers each key as a character (no line
mode, no echo); the keys wait there for the prompt, which reads Ctrl-D as
Ctrl-D. Signals (Ctrl-C) work as before.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import TextIO

__all__ = ["hold_keys", "keep_typeahead"]


def hold_keys(stream: TextIO) -> Callable[[], None]:
    """Hold typed keys for the coming prompt; returns the call that gives the
    terminal back its own mode (call it just before the prompt; twice is fine).

    A stream that is not a terminal is left alone.
    """
    try:
        import termios

        fd = stream.fileno()
        if not stream.isatty():
            return _nothing
        saved = termios.tcgetattr(fd)
    except (ImportError, OSError, ValueError, AttributeError):
        return _nothing
    early = _typed_before(fd)
    held = list(saved)
    held[3] = held[3] & ~(termios.ICANON | termios.ECHO)  # lflag
    cc = list(held[6])
    cc[termios.VMIN], cc[termios.VTIME] = 1, 0
    held[6] = cc
    try:
        termios.tcsetattr(fd, termios.TCSANOW, held)
    except termios.error:
        return _nothing
    _type_again(fd, early)
    done = False

    def release() -> None:
        nonlocal done
        if not done:
            done = True
            with contextlib.suppress(termios.error, OSError):
                # TCSANOW, not TCSAFLUSH: the keys typed meanwhile stay.
                termios.tcsetattr(fd, termios.TCSANOW, saved)

    return release


def keep_typeahead(stream: TextIO) -> None:
    """Give the coming prompt what was typed while user code ran.

    Between prompts the terminal is in line mode (``input()`` needs it): a
    line typed ahead waits there, but a Ctrl-D typed on an empty line is an
    end-of-file that the prompt's raw mode would never see. Both are read
    here and typed again for the prompt.
    """
    try:
        fd = stream.fileno()
        if not stream.isatty():
            return
    except (OSError, ValueError, AttributeError):
        return
    _type_again(fd, _typed_before(fd))


def _nothing() -> None:
    """Nothing was held."""


def _typed_before(fd: int) -> bytes | None:
    """What line mode finished before we got here: lines, or b"" for Ctrl-D.

    None when nothing is waiting. (A Ctrl-D on an empty line shows as a
    read of no bytes, and it would be gone once the mode changes.)
    """
    blocking = os.get_blocking(fd)
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 4096)
    except (BlockingIOError, OSError):
        return None
    finally:
        os.set_blocking(fd, blocking)


def _type_again(fd: int, early: bytes | None) -> None:
    """Put keys read by `_typed_before` back in the terminal's input."""
    if early is None:
        return
    keys = early.replace(b"\n", b"\r") if early else b"\x04"
    try:
        import fcntl

        for key in keys:
            fcntl.ioctl(fd, _tiocsti(), bytes([key]))
    except (ImportError, OSError):
        pass  # the kernel forbids it (dev.tty.legacy_tiocsti = 0): lost


def _tiocsti() -> int:
    """The ioctl that types a character into a terminal's input."""
    import termios

    return int(termios.TIOCSTI)
