"""A package with a submodule: edits to ``shapes/area.py`` reach both names.

``shapes.describe(2)`` uses ``circle`` imported from ``shapes.area``. Change
the formula in ``area.py`` (or the wording in ``describe`` here), save, and
call it again; ``:deps shapes.area`` in the REPL shows who imports it.
"""

from shapes.area import circle, square

__all__ = ["circle", "describe", "square"]


def describe(size: float) -> str:
    """Compare a circle of radius ``size`` with a square of side ``size``."""
    return f"circle {circle(size):.2f}, square {square(size):.2f}"
