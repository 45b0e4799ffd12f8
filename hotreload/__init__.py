"""Reload edited Python modules inside the running process.

Only the names in ``__all__`` are a compatibility promise; every submodule is
an implementation detail.

The names load on first use (PEP 562), so ``import hotreload`` costs next to
nothing in a program that may never start a reloader; ``from hotreload
import Reloader`` loads the reloader itself, and its watcher and engine load
when it starts.

``load_ipython_extension`` is what ``%load_ext hotreload`` calls in IPython or
a Jupyter kernel (the `hotreload.ipython` module); it is not part of
``__all__``, which lists what Python code imports.
"""

from __future__ import annotations

import importlib

# typing would cost more than this whole module; mypy treats the name alike.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from hotreload.errors import ReloadError
    from hotreload.events import ReloadEvent
    from hotreload.reloader import Reloader

__all__ = ["ReloadError", "ReloadEvent", "Reloader", "__version__"]

_HOMES = {
    "ReloadError": "hotreload.errors",
    "ReloadEvent": "hotreload.events",
    "Reloader": "hotreload.reloader",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is not None:
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value  # looked up once
        return value
    if name == "__version__":
        from importlib.metadata import version

        return version("hotreload")
    raise AttributeError(f"module 'hotreload' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext hotreload``: add the ``%hotreload`` magic to the shell.

    IPython calls this; the extension module (and IPython's own) loads only
    then, never on ``import hotreload``.
    """
    from hotreload.ipython import load

    load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    """``%unload_ext hotreload``: stop watching and remove the magic."""
    from hotreload.ipython import unload

    unload(ipython)
