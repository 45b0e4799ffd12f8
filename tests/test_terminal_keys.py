"""Keys typed while no prompt is up are held for the next one (a real pty)."""

from __future__ import annotations

import io
import os
import termios
from collections.abc import Iterator

import pytest

from hotreload.terminal import hold_keys


@pytest.fixture
def tty() -> Iterator[tuple[int, io.TextIOWrapper]]:
    master, slave = os.openpty()
    stream = open(slave, encoding="utf-8")  # noqa: SIM115  closed below
    try:
        yield master, stream
    finally:
        stream.close()
        os.close(master)


def _pending(stream: io.TextIOWrapper) -> bytes:
    """What the terminal holds for the reader now (nothing: b"")."""
    fd = stream.fileno()
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 64)
    except BlockingIOError:
        return b""
    finally:
        os.set_blocking(fd, True)


def _lflag(stream: io.TextIOWrapper) -> int:
    return int(termios.tcgetattr(stream.fileno())[3])


def test_a_hold_turns_line_mode_off_and_release_gives_it_back(tty) -> None:
    master, stream = tty
    before = _lflag(stream)
    assert before & termios.ICANON
    held = hold_keys(stream)
    assert not _lflag(stream) & (termios.ICANON | termios.ECHO)
    os.write(master, b"\x04")  # typed while held: a plain key, kept
    held.release()
    held.release()  # twice is fine
    assert _lflag(stream) == before
    assert not held.eof


def test_a_ctrl_d_typed_in_line_mode_is_typed_again(tty) -> None:
    master, stream = tty
    os.write(master, b"\x04")  # an end-of-file nobody read
    held = hold_keys(stream)
    try:
        # Typed again as a key; or, where the kernel forbids that, reported.
        assert held.eof or _pending(stream) == b"\x04"
    finally:
        held.release()


def test_a_line_typed_ahead_is_typed_again(tty) -> None:
    master, stream = tty
    os.write(master, b"x = 1\n")
    held = hold_keys(stream)
    try:
        assert _pending(stream) in (b"x = 1\r", b"x = 1\n")
        assert not held.eof
    finally:
        held.release()


def test_not_a_terminal_is_left_alone() -> None:
    held = hold_keys(io.StringIO())
    held.release()
    assert not held.eof
