"""A plugin-style module: a host calls ``transform`` and ``describe``.

Try ``plugin.transform("hello world")``, then change ``transform`` below
(reverse the words, say) and ``describe`` to match. A running loop picks the
new code up too: type ``import time``, then
``for _ in range(30): print(plugin.transform("a b c")); time.sleep(1)``
(and an empty line), and edit and save while it runs.
"""

NAME = "title-case"


def transform(text: str) -> str:
    """Return ``text`` changed by this plugin."""
    return text.title()


def describe() -> str:
    """One line about what ``transform`` does."""
    return f"{NAME}: capitalises every word"
