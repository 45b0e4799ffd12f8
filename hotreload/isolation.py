"""Keep the roots from shadowing what Python, hotreload and its libraries import.

A root goes first on ``sys.path``, so a root file ``json.py`` is what user
code gets from ``import json``, as it would be in plain Python run from that
directory. Three rules keep that from breaking the tool itself:

- Built-in and frozen modules (``sys``, ``pwd``, ``time``, ``os`` ...) are
  never taken from a root: Python's own finders always find them first.
- An import made by library code (the standard library, site-packages,
  hotreload) resolves outside the roots when the name exists there: a
  root's ``queue.py`` never reaches watchdog, nor ``tty.py`` prompt-toolkit.
  Names that only a root has (a framework importing the user's app) still
  come from the root.
- What the watcher needs later is imported before the roots go on
  ``sys.path`` (`preload`).

A root module that cannot be loaded by its name for these reasons is named
in one warning (`warn_shadowed`), never skipped in silence.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import sys
import threading
import types
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

from hotreload.errors import HotreloadWarning

__all__ = [
    "WATCHER_MODULES",
    "built_in",
    "for_user",
    "from_library",
    "preload",
    "shadowed_reason",
    "top_level_modules",
    "warn_shadowed",
]

# What watching imports on its first use, beyond what importing the package
# loads: watchdog's observers (inotify goes through ctypes, the polling one
# through dirsnapshot) and the standard-library modules they pull in.
WATCHER_MODULES: tuple[str, ...] = (
    "queue",
    "ctypes",
    "ctypes.util",
    "select",
    "selectors",
    "signal",
    "subprocess",
    "tempfile",
    "random",
    "shutil",
    "watchdog.events",
    "watchdog.observers",
    "watchdog.observers.api",
    "watchdog.observers.polling",
    "watchdog.utils.dirsnapshot",
)

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_library_dirs: tuple[str, ...] | None = None
_warned: set[Path] = set()
# Library functions that import a module by name on the user's behalf.
_for_user: set[types.CodeType] = set()
_warned_lock = threading.Lock()


def built_in(name: str) -> str | None:
    """How ``name`` is part of Python itself, if it is; else None.

    Returns:
        ``"built into"`` or ``"frozen into"`` when Python's own finders,
        which come before ``sys.path``, always find it.
    """
    top = name.partition(".")[0]
    if top in sys.builtin_module_names:
        return "built into"
    if importlib.machinery.FrozenImporter.find_spec(top) is not None:
        return "frozen into"
    return None


def preload(names: Iterable[str]) -> None:
    """Import ``names`` now, before the roots can shadow them (missing ones skipped)."""
    for name in names:
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except ImportError:
            continue  # another platform's module


def _libraries() -> tuple[str, ...]:
    """Directories whose code is library code: the stdlib, site-packages, us."""
    global _library_dirs
    if _library_dirs is None:
        dirs = {_PACKAGE_DIR, os.path.dirname(os.path.abspath(os.__file__))}
        dirs.update(
            os.path.abspath(entry)
            for entry in sys.path
            if os.path.basename(entry) in ("site-packages", "dist-packages")
        )
        _library_dirs = tuple(d.rstrip(os.sep) + os.sep for d in sorted(dirs))
    return _library_dirs


def for_user(code: types.CodeType) -> None:
    """Count imports asked for by ``code`` as the user's own (``import_all``)."""
    _for_user.add(code)


def _transparent(code: types.CodeType) -> bool:
    """Frames that pass an import on rather than ask for it."""
    name = code.co_filename
    if name.startswith("<frozen importlib"):
        return True
    if code is importlib.import_module.__code__:
        return True
    if code.co_name == "find_spec" and name.endswith(
        os.path.join("importlib", "util.py")
    ):
        return True  # importlib.util.find_spec: its caller is the one asking
    return code.co_name == "_import" and name.startswith(_PACKAGE_DIR)


def from_library(roots: Sequence[Path], depth: int = 1) -> bool:
    """Whether the import being resolved was asked for by library code.

    Walks out from the caller (``depth`` frames up) past the import
    machinery to the frame whose code asked for the import, and tells
    whether that code lives in the standard library, site-packages or
    hotreload rather than under a root or in the user's own files.
    """
    frame: types.FrameType | None = sys._getframe(depth + 1)
    while frame is not None and _transparent(frame.f_code):
        frame = frame.f_back
    if frame is None or frame.f_code in _for_user:
        return False
    filename = frame.f_code.co_filename
    if filename.startswith("<frozen "):
        return True  # a frozen stdlib module (os, codecs, runpy ...)
    if not os.path.isabs(filename):
        return False  # typed at a prompt, exec'd from a string
    for root in roots:
        if filename.startswith(str(root).rstrip(os.sep) + os.sep):
            return False
    return filename.startswith(_libraries())


def top_level_modules(root: Path) -> list[tuple[str, Path]]:
    """The top-level modules of ``root``, sorted by name.

    Returns:
        ``(name, file)`` for each ``x.py`` and ``x/__init__.py``.
    """
    found: list[tuple[str, Path]] = []
    try:
        with os.scandir(root) as scan:
            entries = list(scan)
    except OSError:
        return found
    for entry in entries:
        name = entry.name
        if name.startswith("__"):
            continue  # __main__.py, __init__.py: run, never imported by name
        if name.endswith(".py") and name[:-3].isidentifier():
            found.append((name[:-3], root / name))
        elif name.isidentifier() and os.path.isfile(root / name / "__init__.py"):
            found.append((name, root / name / "__init__.py"))
    return sorted(found)


def shadowed_reason(name: str, path: Path) -> str | None:
    """Why the root module ``name`` (file ``path``) is not what ``import`` gives.

    Returns:
        None when importing ``name`` would load ``path`` (or has).
    """
    how = built_in(name)
    if how is not None:
        return f"{name} is {how} Python, which never looks for it on sys.path"
    module = sys.modules.get(name)
    if module is None:
        return None
    file = getattr(module, "__file__", None)
    if isinstance(file, str) and os.path.normcase(os.path.abspath(file)) == (
        os.path.normcase(str(path))
    ):
        return None
    if name in sys.stdlib_module_names:
        what = f"the standard library's {name}"
    else:
        what = f"{name} from {file}" if isinstance(file, str) else f"another {name}"
    return f"{what} was imported first (Python keeps the module already loaded)"


def warn_shadowed(name: str, path: Path, reason: str, stacklevel: int = 2) -> bool:
    """Warn once per file per process that the root module at ``path`` is skipped.

    Returns:
        True if this call issued the warning.
    """
    key = Path(os.path.abspath(path))
    with _warned_lock:
        if key in _warned:
            return False
        _warned.add(key)
    shown = key.parent if key.name == "__init__.py" else key
    warnings.warn(
        HotreloadWarning(f"{shown} is not loaded as {name}: {reason}; rename the file"),
        stacklevel=stacklevel + 1,
    )
    return True
