"""Reload edited Python modules inside the running process.

Only the names in ``__all__`` are a compatibility promise; every submodule is
an implementation detail.
"""

from __future__ import annotations

from hotreload.errors import ReloadError
from hotreload.events import ReloadEvent
from hotreload.reloader import Reloader

__all__ = ["ReloadError", "ReloadEvent", "Reloader", "__version__"]


def __getattr__(name: str) -> str:
    if name == "__version__":
        from importlib.metadata import version

        return version("hotreload")
    raise AttributeError(f"module 'hotreload' has no attribute {name!r}")
