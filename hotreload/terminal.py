"""Keys typed while no prompt is up: kept for the next prompt, not lost.

The terminal is in line mode whenever prompt-toolkit is not reading (while
hotreload starts, while typed code runs: ``input()`` needs line mode). In
line mode a Ctrl-D on an empty line is an end-of-file that nobody reads; once
prompt-toolkit switches to raw mode it is gone, and the user who typed it
waits at a prompt they meant to leave.

So around each prompt the terminal is *held*: keys arrive one character at a
time (no line mode, no echo) from just before prompt-toolkit takes the
terminal until it gives it back. Whatever line mode finished before the
hold (lines typed ahead, a Ctrl-D) is read at once and typed again, as keys,
for the prompt. Signals (Ctrl-C) work as before.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any, TextIO

__all__ = ["Held", "hold_keys"]


class Held:
    """A hold on the terminal; `release` gives it its own mode back.

    Attributes:
        eof: a Ctrl-D was typed before the hold and could not be typed
            again (the kernel forbids ``TIOCSTI``): the prompt should not be
            drawn, the session ends as Ctrl-D at the prompt ends it.
    """

    def __init__(self, fd: int = -1, saved: Any = None, *, eof: bool = False) -> None:
        self._fd = fd
        self._saved = saved
        self.eof = eof

    def release(self) -> None:
        """Give the terminal back the mode it had (twice is fine)."""
        if self._saved is None:
            return
        saved, self._saved = self._saved, None
        import termios

        with contextlib.suppress(termios.error, OSError):
            # TCSANOW, not TCSAFLUSH: the keys typed meanwhile stay.
            termios.tcsetattr(self._fd, termios.TCSANOW, saved)


def hold_keys(stream: TextIO) -> Held:
    """Hold typed keys for the coming prompt (see the module's docstring).

    A stream that is not a terminal is left alone.
    """
    try:
        import termios

        if not stream.isatty():
            return Held()
        fd = stream.fileno()
        saved = termios.tcgetattr(fd)
    except (ImportError, OSError, ValueError, AttributeError):
        return Held()
    early = _typed_before(fd)
    held = list(saved)
    held[3] = held[3] & ~(termios.ICANON | termios.ECHO)  # lflag
    cc = list(held[6])
    cc[termios.VMIN], cc[termios.VTIME] = 1, 0
    held[6] = cc
    try:
        termios.tcsetattr(fd, termios.TCSANOW, held)
    except termios.error:
        return Held(eof=early == b"")
    if early:
        # A line begun after them is readable now: it goes after them again.
        early += b"".join(_available(fd))
    typed = _type_again(fd, early)
    return Held(fd, saved, eof=early == b"" and not typed)


def _typed_before(fd: int) -> bytes | None:
    """What line mode finished before the hold: lines, or b"" for Ctrl-D.

    None when nothing is waiting. Line mode gives one line per read, and a
    Ctrl-D on an empty line shows as a read of no bytes: every line is
    read (a block typed or pasted ahead keeps its order), and a Ctrl-D
    after lines comes back as the key itself.
    """
    lines: list[bytes] = []
    for chunk in _available(fd):
        if not chunk:  # Ctrl-D on an empty line
            if not lines:
                return b""
            lines.append(b"\x04")
            break
        lines.append(chunk)
    return b"".join(lines) if lines else None


def _available(fd: int) -> Iterator[bytes]:
    """Read ``fd`` without blocking until nothing is left, a read at a time."""
    blocking = os.get_blocking(fd)
    os.set_blocking(fd, False)
    try:
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # BlockingIOError: nothing (more) finished
                return
            yield chunk
            if not chunk:
                return
    finally:
        os.set_blocking(fd, blocking)


def _type_again(fd: int, early: bytes | None) -> bool:
    """Type keys read by `_typed_before` again, in the held mode.

    Returns:
        Whether they were typed (the kernel may forbid it).
    """
    if early is None:
        return True
    keys = early.replace(b"\n", b"\r") if early else b"\x04"
    try:
        import fcntl
        import termios

        for key in keys:
            fcntl.ioctl(fd, termios.TIOCSTI, bytes([key]))
    except (ImportError, OSError):
        return False  # dev.tty.legacy_tiocsti = 0: lost, as before
    return True
