"""Keep the user's logging configuration from turning on our debug output.

A program that calls ``logging.basicConfig(level=logging.DEBUG)`` lowers the
root logger's level, and every logger left at ``NOTSET`` inherits it:
watchdog's would print about a dozen lines per save, hotreload's its own
debug lines. While a reloader runs, the ``hotreload`` and ``watchdog``
loggers that nobody configured get a level of their own (WARNING): their
warnings still reach the user's handlers, their debug chatter is never made.
A level the user set on them is theirs and stays.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Final

__all__ = ["OWN_LOGGERS", "isolate_loggers"]

OWN_LOGGERS: Final = ("hotreload", "watchdog")

_lock = threading.Lock()
_holders = 0
_set_by_us: dict[str, int] = {}


def isolate_loggers() -> Callable[[], None]:
    """Give our unconfigured loggers the WARNING level; returns the undo.

    Nested calls (several reloaders) share one setting; the last undo puts
    back NOTSET on the loggers this set, unless the user changed them since.
    """
    global _holders
    with _lock:
        _holders += 1
        if _holders == 1:
            for name in OWN_LOGGERS:
                logger = logging.getLogger(name)
                if logger.level == logging.NOTSET:
                    logger.setLevel(logging.WARNING)
                    _set_by_us[name] = logging.WARNING
    done = False

    def undo() -> None:
        global _holders
        nonlocal done
        with _lock:
            if done:
                return
            done = True
            _holders -= 1
            if _holders:
                return
            for name, level in _set_by_us.items():
                logger = logging.getLogger(name)
                if logger.level == level:
                    logger.setLevel(logging.NOTSET)
            _set_by_us.clear()

    return undo
