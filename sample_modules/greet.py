"""A function module: the first thing to try.

In the REPL, call ``greet.hello("Ada")``. Then change the greeting below
(say, "Hello" to "Welcome"), save, and call it again: the new text appears
without restarting. ``hi = greet.hello`` taken before the edit follows too.
"""

PUNCTUATION = "!"


def hello(name: str) -> str:
    """Greet ``name``."""
    return f"Hello, {name}{PUNCTUATION}"


def shout(name: str) -> str:
    """Greet ``name`` loudly; it calls ``hello``, so it follows your edits."""
    return hello(name).upper()
