"""``:timeit STATEMENT``: how long a statement takes, measured like ``timeit``.

The loop count is chosen as ``python -m timeit`` chooses it (the smallest
power of ten times 1, 2 or 5 that runs for 0.2 s), then the loop is timed
five times and the best run, which is the least disturbed by the rest of the
machine, is reported per loop. The statement runs in the REPL's namespace.
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["format_duration", "time_statement", "timeit_command"]

REPEAT: Final = 5
_USAGE: Final = "usage: :timeit [-n LOOPS] [-r RUNS] STATEMENT"
_OPTION: Final = re.compile(r"-([nr])\s*(\S+)\s*")
_UNITS: Final = (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9))


def format_duration(seconds: float) -> str:
    """``2.35 µs``: three significant digits in the largest unit under it."""
    for unit, scale in _UNITS:
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def time_statement(
    statement: str,
    namespace: dict[str, Any],
    *,
    number: int | None = None,
    repeat: int = REPEAT,
) -> str:
    """Time ``statement`` and describe the result in one line.

    Raises:
        SyntaxError: the statement does not compile.
        Exception: whatever the statement raises (it runs first with
            ``number`` or the automatic count of loops).
    """
    import timeit  # with its first use, not with the REPL

    timer = timeit.Timer(statement, globals=namespace)
    if number is None:
        number, _ = timer.autorange()
    best = min(timer.repeat(repeat, number)) / number
    loops = f"{number:,} loop{'s' if number != 1 else ''}"
    return f"{loops}, best of {repeat}: {format_duration(best)} per loop"


def _parse(args: str) -> tuple[str, int | None, int]:
    """``-n`` and ``-r`` options, then the statement (kept as typed).

    Raises:
        ValueError: a count that is not a whole number of 1 or more.
    """
    counts: dict[str, int] = {}
    rest = args.strip()
    while match := _OPTION.match(rest):
        count = int(match[2])
        if count < 1:
            raise ValueError(count)
        counts[match[1]] = count
        rest = rest[match.end() :]
    return rest, counts.get("n"), counts.get("r", REPEAT)


def timeit_command(namespace: dict[str, Any], args: str) -> str:
    """Time a statement in the REPL's namespace (:timeit -n 100 f(x))."""
    try:
        statement, number, repeat = _parse(args)
    except ValueError:
        return f"{_USAGE} (LOOPS and RUNS are whole numbers, 1 or more)"
    if not statement:
        return _USAGE
    try:
        return time_statement(statement, namespace, number=number, repeat=repeat)
    except SyntaxError as exc:
        return f"timeit: SyntaxError: {exc.msg}"
    except Exception as exc:  # the statement's own error, named like the REPL's
        text = str(exc)
        return f"timeit: {type(exc).__name__}" + (f": {text}" if text else "")
