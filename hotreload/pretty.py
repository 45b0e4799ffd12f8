"""How the REPL shows a result: ``repr`` when it fits, laid out when not.

A result whose ``repr`` fits on one line of the terminal is shown as is.
A longer or nested one (a dict of dataclasses, a list of dicts) is laid out
by `pprint` at the terminal's width: one item per line, nested values
indented, dataclasses by field, dicts in their own order rather than sorted.
A string stays one ``repr``, as splitting it into pieces would show a
value that is not the one computed, and so does a result too big to read
laid out (its ``repr`` is already longer than `MAX_LAYOUT` characters), as
laying it out would take seconds.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Final

__all__ = ["MAX_LAYOUT", "pretty_repr", "terminal_width"]

#: Longer ``repr``s are shown as they are.
MAX_LAYOUT: Final = 20_000


def terminal_width() -> int:
    """Columns of the terminal (80 when there is none)."""
    return shutil.get_terminal_size((80, 24)).columns


def pretty_repr(value: object, width: int | Callable[[], int] = terminal_width) -> str:
    """The text to echo for ``value``.

    Args:
        value: the result of an expression typed at the prompt.
        width: the line width, or a function returning it (asked only when
            the ``repr`` is too long to be certain to fit).

    Raises:
        Exception: whatever ``repr(value)`` raises, as Python's REPL would.
    """
    text = repr(value)
    if "\n" not in text and len(text) < 60:
        return text  # short: fits any terminal, and no width is asked
    columns = width() if callable(width) else width
    if len(text) < columns and "\n" not in text:
        return text
    if isinstance(value, str | bytes | bytearray) or len(text) > MAX_LAYOUT:
        return text
    import pprint  # with the first long result, not with the REPL

    try:
        return pprint.pformat(
            value, width=max(columns - 1, 20), sort_dicts=False, compact=True
        )
    except Exception:  # a value pprint cannot lay out (a broken __eq__, ...)
        return text
