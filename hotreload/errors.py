"""The exceptions and warnings hotreload raises itself.

::

    ReloadError(Exception)                           everything hotreload raises
    ├── RootError(ReloadError, ValueError)           .path: missing, not a directory
    ├── UnknownModuleError(ReloadError, LookupError) .name: no such module under the roots
    ├── ConfigError(ReloadError, ValueError)         .source, .key: bad [tool.hotreload]
    ├── RejectedError(ReloadError)                   .module, .missing: fails `require`
    └── RestartNeeded(ReloadError)                   .cls: a framework refuses the edit
    HotreloadWarning(UserWarning)                    e.g. a root others can write to
    ReloadTimeout(BaseException)                     user code ran past the time limit

``ReloadTimeout`` is raised *inside* the user's code, by the reload time
limit, so it derives from ``BaseException`` as ``KeyboardInterrupt`` does: an
``except Exception`` in the module does not swallow it. hotreload catches it
and reports it as the failure of that reload.

Failures of user code (a syntax error, an exception at import) are never
raised through hotreload: they become a ``ReloadEvent`` with ``ok=False``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "ConfigError",
    "HotreloadWarning",
    "RejectedError",
    "RestartNeeded",
    "ReloadError",
    "ReloadTimeout",
    "RootError",
    "UnknownModuleError",
]


class ReloadError(Exception):
    """Base class of every exception hotreload raises itself."""


ReloadError.__module__ = "hotreload"


class RootError(ReloadError, ValueError):
    """A root is missing, is not a directory, or cannot be read."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class UnknownModuleError(ReloadError, LookupError):
    """A name or path that is not a module under any root."""

    def __init__(self, name: str, detail: str = "not a module under the roots") -> None:
        self.name = name
        super().__init__(f"{name}: {detail}")

    def __str__(self) -> str:
        # LookupError would quote the message like a KeyError; keep it plain.
        return str(self.args[0])


class ConfigError(ReloadError, ValueError):
    """A bad value in ``[tool.hotreload]`` or on the command line."""

    def __init__(self, source: str, key: str, reason: str) -> None:
        self.source = source
        self.key = key
        super().__init__(f"{source}: {key}: {reason}")


class RejectedError(ReloadError):
    """A new module version that lacks names every module must define."""

    def __init__(self, module: str, missing: Sequence[str]) -> None:
        self.module = module
        self.missing = tuple(missing)
        names = ", ".join(self.missing)
        super().__init__(f"{module} rejected: missing required name(s) {names}")


class RestartNeeded(ReloadError):
    """An edit a framework cannot take in a running process (stored in the event).

    A SQLAlchemy mapped class or a Django model whose fields change cannot be
    defined again beside itself; the old version stays, and the message says
    what a restart (or a migration) is needed for.
    """

    def __init__(self, cls: type, reason: str) -> None:
        self.cls = cls
        super().__init__(reason)


class HotreloadWarning(UserWarning):
    """Something the user should know that does not stop the reloader."""


class ReloadTimeout(BaseException):
    """User code did not finish within the reload time limit (see ``timelimit``)."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(args or ("did not finish within the time limit",)))
