"""Areas of shapes. Try a wrong formula, or a syntax error, then fix it.

A broken save is rejected and the previous version stays live; ``:errors``
in the REPL shows the traceback, and the next good save takes over.
"""

import math


def circle(radius: float) -> float:
    """The area of a circle."""
    return math.pi * radius**2


def square(side: float) -> float:
    """The area of a square."""
    return side * side
