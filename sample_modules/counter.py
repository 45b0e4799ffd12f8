"""A class with state: instances keep their data across reloads.

Try ``c = counter.Counter()`` and ``c.increment()`` a few times. Then change
``increment`` below (make it count in tens, say), or add a new method
such as ``def reset(self): self.count = 0``, save, and use ``c`` again: the
same object, with the count it had, now runs the new code.
``isinstance(c, counter.Counter)`` stays True.
"""


class Counter:
    """Count things, one step at a time."""

    def __init__(self, start: int = 0) -> None:
        self.count = start

    def increment(self) -> int:
        """Add one and return the new count."""
        self.count += 1
        return self.count

    def __repr__(self) -> str:
        return f"Counter(count={self.count})"
