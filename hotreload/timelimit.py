"""A time limit on user code: interrupt the thread that runs it for too long.

A module saved with ``while True:``, ``serve_forever()`` or ``app.run()`` at
its top level never finishes importing. :class:`TimeLimit` arms a deadline
around such a call; when it passes, the thread that runs the call gets a
:class:`~hotreload.errors.ReloadTimeout` raised inside it (through
``PyThreadState_SetAsyncExc``), so the engine rolls the module back as for
any other failure. The exception derives from ``BaseException``: a user's
``except Exception`` does not swallow it, and it is raised again every
``REPEAT`` seconds for code that catches everything.

The exception is only raised while a frame of the user's code is on the
thread's stack above hotreload's own (never in the middle of the engine's
rollback), and one still pending when the call returns is caught there. A
thread blocked inside a C call (a lock or socket wait without timeout,
``time.sleep`` before Python 3.12) gets it only when that call returns.
Two such calls are handled at their start through an audit hook: ``input()``
raises at once on a thread under a limit that is not the main thread (no
reload may wait for the terminal), and ``time.sleep`` (whose audit event
exists from Python 3.12) sleeps at most until the deadline, then raises.
"""

from __future__ import annotations

import ctypes
import math
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from hotreload.errors import ReloadTimeout

__all__ = ["REPEAT", "TimeLimit", "user_location"]

#: Seconds between two exceptions for code that swallowed the first one.
REPEAT: Final = 1.0
#: Seconds between two looks at a thread that is inside hotreload's own code.
_RETRY: Final = 0.005
_PACKAGE: Final = str(Path(__file__).resolve().parent)
_MACHINERY: Final = (_PACKAGE, "<frozen importlib", "<frozen runpy")


def _is_machinery(filename: str) -> bool:
    return filename.startswith(_MACHINERY)


def user_location(
    tb: types.TracebackType | None, is_user: Callable[[str], bool] | None = None
) -> str | None:
    """``file:line (in func)`` where ``tb`` was raised in the user's code.

    The innermost frame whose file ``is_user``, else the innermost frame
    outside hotreload; None if there is neither.
    """
    found = mine = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if not _is_machinery(code.co_filename):
            found = f"{code.co_filename}:{tb.tb_lineno} (in {code.co_name})"
            if is_user is not None and is_user(code.co_filename):
                mine = found
        tb = tb.tb_next
    return mine or found


def _raise_in(thread_id: int, exc: type[BaseException]) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc)
    )


def _consume_pending() -> None:
    """Let a ``ReloadTimeout`` still pending for this thread land here, harmlessly.

    It is raised at the next check of the interpreter's eval breaker, which
    a backward jump makes. Clearing it with ``PyThreadState_SetAsyncExc(id,
    NULL)`` instead would leave the interpreter's "async exception" flag
    set: every thread would take the slow path at each check from then on,
    and under a trace function (coverage) Python 3.11 loops forever there.
    """
    try:
        for _ in range(2):
            pass
    except ReloadTimeout:
        pass


class _Armed:
    """One armed limit: the thread, its deadline, and what happened so far."""

    def __init__(self, thread_id: int, seconds: float | None, label: str) -> None:
        self.thread_id = thread_id
        self.seconds = seconds
        self.label = label
        self.deadline = math.inf if seconds is None else time.monotonic() + seconds
        self.fired = 0  # exceptions raised in the thread so far
        self.reason = f"did not finish within {seconds:g} s" if seconds else ""


class TimeLimit:
    """Arm a deadline around calls into user code; interrupt them past it.

    One monitor thread per ``TimeLimit`` (named ``hotreload-timer``) starts
    with the first armed call and ends with :meth:`close`.

    Args:
        seconds: the limit; None disables it (calls run unbounded).
        is_user: whether a source file is the user's code. The exception is
            raised only while such a frame is on the thread's stack above
            hotreload's own frames (its other calls, into the standard
            library for instance, are never interrupted). Default: any file
            outside hotreload.
    """

    def __init__(
        self, seconds: float | None, is_user: Callable[[str], bool] | None = None
    ) -> None:
        if seconds is not None and seconds <= 0:
            raise ValueError(f"timeout must be > 0 or None, not {seconds!r}")
        self.seconds = seconds
        self._is_user = is_user or (lambda filename: True)
        self._cond = threading.Condition()
        self._armed: dict[int, _Armed] = {}  # thread id -> its armed call
        self._monitor: threading.Thread | None = None
        self._closing = False
        self._wake_at = -math.inf  # when the waiting monitor wakes by itself

    @contextmanager
    def running(self, label: str = "") -> Iterator[_Armed]:
        """Arm the limit for the current thread around the ``with`` block.

        Yields the armed record: after a ``ReloadTimeout``, its ``reason``
        says why the call was interrupted. With no limit (``seconds`` None)
        the call is still registered, so that :meth:`interrupt` reaches it.
        """
        tid = threading.get_ident()
        with self._cond:
            outer = self._armed.get(tid)
            if outer is None:
                armed = self._armed[tid] = _Armed(tid, self.seconds, label)
                self._ensure_monitor()
                # The monitor wakes by itself before this deadline: each
                # needless wake-up costs the armed call a turn at the GIL.
                if armed.deadline < self._wake_at:
                    self._cond.notify_all()
        if outer is not None:  # nested (a reload importing a module)
            yield outer
            return
        _install_audit_hook()
        _LIMITED[tid] = armed
        try:
            yield armed
        finally:
            self._disarm(tid)

    def _disarm(self, tid: int) -> None:
        _LIMITED.pop(tid, None)
        with self._cond:
            armed = self._armed.pop(tid, None)
        if armed is not None and armed.fired:
            _consume_pending()

    def interrupt(self, thread_id: int, reason: str) -> bool:
        """Raise ``ReloadTimeout`` now in ``thread_id`` if it runs an armed call.

        Returns:
            True if the thread was running one (and was interrupted).
        """
        with self._cond:
            armed = self._armed.get(thread_id)
            if armed is None:
                return False
            armed.reason = reason
            armed.deadline = time.monotonic()
            self._cond.notify_all()
            return True

    def running_threads(self) -> list[int]:
        """The ids of the threads inside an armed call."""
        with self._cond:
            return list(self._armed)

    def close(self) -> None:
        """Stop the monitor thread (armed calls are no longer bounded)."""
        with self._cond:
            self._closing = True
            monitor, self._monitor = self._monitor, None
            self._cond.notify_all()
        if monitor is not None and monitor is not threading.current_thread():
            monitor.join(1.0)
        with self._cond:
            self._closing = False

    def _ensure_monitor(self) -> None:
        if self._monitor is None:
            self._monitor = threading.Thread(
                target=self._watch, name="hotreload-timer", daemon=True
            )
            self._monitor.start()

    def _watch(self) -> None:
        with self._cond:
            while not self._closing:
                now = time.monotonic()
                due = [a for a in self._armed.values() if a.deadline <= now]
                for armed in due:
                    self._fire(armed, now)
                waits = [a.deadline - now for a in self._armed.values()]
                # Even with nothing armed, never longer than the limit: a call
                # armed meanwhile is then due after this wake-up, and arming
                # it needs no notify.
                wait = min(waits, default=self.seconds or math.inf)
                self._wake_at = now + wait
                self._cond.wait(None if wait == math.inf else max(wait, 0.0))
                self._wake_at = -math.inf

    def _fire(self, armed: _Armed, now: float) -> None:
        """Raise in the thread if it is in user code; else look again soon."""
        frame = sys._current_frames().get(armed.thread_id)
        if frame is None:  # the thread is gone
            self._armed.pop(armed.thread_id, None)
            return
        if not self._in_user_code(frame):
            armed.deadline = now + _RETRY  # never inside our own rollback
            return
        _raise_in(armed.thread_id, ReloadTimeout)
        armed.fired += 1
        armed.deadline = now + REPEAT

    def _in_user_code(self, frame: types.FrameType | None) -> bool:
        """Whether a user frame is on the stack above the innermost of ours."""
        while frame is not None:
            filename = frame.f_code.co_filename
            if _is_machinery(filename):
                return False
            if self._is_user(filename):
                return True
            frame = frame.f_back
        return False


# Threads under a limit, for the audit hook (a dict: reads need no lock).
_LIMITED: dict[int, _Armed] = {}
_hook_installed = False
_hook_lock = threading.Lock()


def _install_audit_hook() -> None:
    global _hook_installed
    if _hook_installed:
        return
    with _hook_lock:
        if not _hook_installed:
            sys.addaudithook(_audit)
            _hook_installed = True


def _audit(event: str, args: tuple[object, ...]) -> None:
    """Keep two blocking C calls from outliving a limit (see the module doc)."""
    if event != "time.sleep" and event != "builtins.input":
        return
    armed = _LIMITED.get(threading.get_ident())
    if armed is None:
        return
    if event == "builtins.input":
        if threading.current_thread() is not threading.main_thread():
            raise ReloadTimeout(
                "input() called while a module loads on hotreload's thread: "
                "it would wait for the terminal forever"
            )
        return
    seconds = args[0] if args else 0
    remaining = armed.deadline - time.monotonic()
    if not isinstance(seconds, int | float) or seconds <= remaining:
        return
    del _LIMITED[armed.thread_id]  # our own sleeps below are not limited
    try:
        end = time.monotonic() + max(remaining, 0.0)
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.05))
    finally:
        _LIMITED[armed.thread_id] = armed
    raise ReloadTimeout(armed.reason)
