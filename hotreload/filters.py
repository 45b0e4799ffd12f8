"""Decide which files under a root are modules worth watching.

Editors and tools leave a trail of short-lived files next to the module they
save. None of them may ever reach the engine, so the rules are strict: only
``*.py`` files count, and a file is ignored as soon as any component of its
path (relative to its root) looks like one of these:

- dotfiles and dot-directories (``.git``, ``.venv``, ``.x.py.tmp``);
- ``__pycache__``;
- vim's swap files (``*.swp``, ``*.swx``), backups (``*~``) and its ``4913``
  probe: before a save vim creates and deletes a file named ``4913`` to test
  whether it may write in the directory;
- Emacs lock files (``.#*``);
- JetBrains' safe-write pair (``*___jb_tmp___``, ``*___jb_old___``);
- generic temporaries (``*.tmp``);
- anything matched by the user's ``exclude`` globs.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import ClassVar, Final

__all__ = ["PathFilter"]


def _compile(patterns: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for a list of fnmatch globs (compiled once, as hupper does)."""
    translated = [fnmatch.translate(pattern) for pattern in patterns]
    return re.compile("|".join(translated)) if translated else None


class PathFilter:
    """Decide which paths under a root are module files worth watching.

    Args:
        exclude: extra glob patterns, fnmatch-style, matched against the path
            relative to its root in posix form (``"build/*"``). A pattern
            without ``/`` also matches any single component of the path or the
            file name (``"test_*"`` ignores ``tests/test_a.py`` and
            ``test_utils/a.py``). Matching is case-sensitive.
    """

    #: Name patterns ignored in any path component (see the module docstring).
    IGNORED_NAMES: ClassVar[tuple[str, ...]] = (
        ".*",
        "__pycache__",
        "*.swp",
        "*.swx",
        "*~",
        "4913",
        "*___jb_tmp___",
        "*___jb_old___",
        "*.tmp",
    )

    def __init__(self, exclude: Iterable[str] = ()) -> None:
        self.exclude: Final[tuple[str, ...]] = tuple(exclude)
        component = [p for p in self.exclude if "/" not in p]
        full = [p.strip("/") for p in self.exclude if "/" in p]
        self._names: Final = _compile((*self.IGNORED_NAMES, *component))
        self._full: Final = _compile(full)

    def __call__(self, path: Path, root: Path) -> bool:
        """Return True if ``path`` is a ``*.py`` file under ``root`` to watch.

        The decision is lexical (no file system access): it is safe to call
        for a path that no longer exists.
        """
        parts = _relative_parts(path, root)
        if not parts or not parts[-1].endswith(".py"):
            return False
        return not self._ignores(parts)

    def ignores_dir(self, path: Path, root: Path) -> bool:
        """Return True if nothing below the directory ``path`` is watched.

        Walkers use it to prune whole trees (``.git``, ``__pycache__``, an
        excluded ``build``) instead of visiting every file in them.
        """
        parts = _relative_parts(path, root)
        return parts is None or (bool(parts) and self._ignores(parts))

    def _ignores(self, parts: tuple[str, ...]) -> bool:
        names = self._names
        if names is not None and any(names.match(part) for part in parts):
            return True
        full = self._full
        if full is None:
            return False
        # A path pattern excludes a directory's whole tree, like .gitignore,
        # so test every ancestor as well as the path itself.
        return any(
            full.match("/".join(parts[:end])) for end in range(1, len(parts) + 1)
        )

    def __repr__(self) -> str:
        return f"PathFilter(exclude={list(self.exclude)!r})"


def _relative_parts(path: PurePath, root: PurePath) -> tuple[str, ...] | None:
    try:
        return path.relative_to(root).parts
    except ValueError:
        return None
