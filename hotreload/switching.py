"""The interpreter's thread switch interval while a watcher runs.

Every file event crosses several threads (three of watchdog's, then the
watcher's applier), and each hand-over waits for the GIL. When the host
program keeps threads busy in Python, a thread that wants the GIL waits for
every busy thread's turn first, each turn as long as the switch interval
(5 ms by default): a save crosses about fifteen hand-overs, so a program
with four busy threads kept every save waiting 300 ms and more. So, while
watching, turns are shorter; from a change's first event until it is
applied (and for a short grace after), shorter still.

Only threads that wait for the GIL are affected: a program that runs one
thread at a time switches no more often. The program's own setting wins: an
interval it changed meanwhile is left as it is, and ``restore`` gives back
the one it had.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Final

__all__ = ["ACTIVE_GRACE", "ACTIVE_INTERVAL", "BOOST_INTERVAL", "SwitchInterval"]

#: The switch interval while watching.
BOOST_INTERVAL: Final = 0.0005
#: The switch interval from a change's first event until it is applied, and
#: for ``ACTIVE_GRACE`` after the latest event. Shorter turns cut each
#: hand-over's wait, and cost the busy threads (about a quarter of their
#: speed, measured) only while changes come in.
ACTIVE_INTERVAL: Final = 0.00005
#: Seconds the short interval stays after the latest event: the next save of
#: a stream (an editor's save on every keystroke pause) starts quick too.
ACTIVE_GRACE: Final = 0.5


class SwitchInterval:
    """One watcher's hold on the switch interval (its caller's lock guards it)."""

    def __init__(self) -> None:
        self._saved: float | None = None  # the program's interval, to give back
        self._quick_since = -math.inf  # the latest quicken()

    def boost(self) -> None:
        """Watching starts: shorter turns, unless the program's are shorter."""
        if self._saved is None:
            current = sys.getswitchinterval()
            if current > BOOST_INTERVAL:
                self._saved = current
                sys.setswitchinterval(BOOST_INTERVAL)

    def restore(self) -> None:
        """Watching ends: give the program its interval back."""
        self.slow_down()
        if self._saved is not None:
            if _interval_is(BOOST_INTERVAL):
                sys.setswitchinterval(self._saved)
            self._saved = None

    def quicken(self) -> None:
        """A change is on its way: the shortest turns until it is applied."""
        self._quick_since = time.monotonic()
        if self._saved is not None and _interval_is(BOOST_INTERVAL):
            sys.setswitchinterval(ACTIVE_INTERVAL)

    def relax(self) -> float | None:
        """Nothing to apply: end the shortest turns once the grace is over.

        Returns:
            Seconds until the grace is over, or None if it is.
        """
        left = self._quick_since + ACTIVE_GRACE - time.monotonic()
        if left > 0 and _interval_is(ACTIVE_INTERVAL):
            return left
        self.slow_down()
        return None

    def slow_down(self) -> None:
        """Back to the watching interval now."""
        if self._saved is not None and _interval_is(ACTIVE_INTERVAL):
            sys.setswitchinterval(BOOST_INTERVAL)

    def expire_grace(self) -> None:
        """Let the grace be over now: the next ``relax`` slows down."""
        self._quick_since = -math.inf


def _interval_is(seconds: float) -> bool:
    """Whether the switch interval is ``seconds`` (kept in whole microseconds)."""
    return abs(sys.getswitchinterval() - seconds) < 5e-7
