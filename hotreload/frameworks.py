"""What the engine asks of the frameworks whose classes and registries it keeps.

Plain classes only, so far: no framework is known yet, so no registration
is undone and no class statement is refused.
"""

from __future__ import annotations

import abc
import types
from collections.abc import Sequence

__all__ = [
    "Reregistration",
    "before_definition",
    "rebuild",
    "refuse_rerun",
    "takes_plain_methods",
]


class Reregistration:
    """Registrations of one function made again by its decorators."""

    def finish(self) -> None:
        """Called once the decorators ran."""

    def undo(self) -> None:
        """Called when the reload is rolled back."""


def takes_plain_methods(meta: type) -> bool:
    """Whether classes of ``meta`` take a plain method added with setattr."""
    return meta is type or meta is abc.ABCMeta


def refuse_rerun(cls: type) -> str | None:
    """Why the class statement of ``cls`` must not run again, if it must not."""
    return None


def rebuild(kept: type, built: type) -> list[str]:
    """Rebuild framework machinery for ``kept``; returns warnings."""
    return []


def before_definition(
    func: types.FunctionType, decorators: Sequence[object]
) -> Reregistration:
    """Forget registrations of ``func`` its decorators are about to make again."""
    return Reregistration()
