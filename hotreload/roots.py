"""Roots: validation, path <-> module name, symlink policy, who else can write.

A root is a directory put on ``sys.path``; the file ``ROOT/a/b.py`` is the
module ``a.b`` and ``ROOT/a/__init__.py`` is the package ``a``, exactly as
Python's own path finder sees them.
"""

from __future__ import annotations

import functools
import os
import stat
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

from hotreload.errors import HotreloadWarning, RootError
from hotreload.filters import PathFilter

__all__ = [
    "innermost_root",
    "is_within",
    "iter_module_files",
    "module_name",
    "module_path",
    "validate_root",
    "warn_if_open",
    "warn_if_world_writable",
]

_INIT = "__init__.py"

# Roots already warned about in this process (DESIGN: "warn once").
_warned: set[Path] = set()
_warned_open: set[Path] = set()
# Paths named in one warning; the rest are counted ("and 4 more").
_SHOWN = 3
_warned_lock = threading.Lock()


def validate_root(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` can serve as a root and return it absolute and resolved.

    Raises:
        RootError: the path does not exist, is not a directory, or cannot be
            listed and read.
    """
    raw = os.fspath(path)
    candidate = Path(raw).expanduser()
    try:
        resolved = candidate.resolve(strict=True)
    except FileNotFoundError:
        raise RootError(raw, "no such directory") from None
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise RootError(raw, f"cannot be resolved: {exc}") from None
    if not resolved.is_dir():
        raise RootError(raw, "not a directory")
    if not os.access(resolved, os.R_OK | os.X_OK):
        raise RootError(raw, "not readable")
    return resolved


def innermost_root(path: Path, roots: Iterable[Path]) -> Path | None:
    """The deepest of ``roots`` that ``path`` lies under (lexically), or None.

    Under nested roots a file belongs to the inner one, and is named after it.
    """
    found = [root for root in roots if path.is_relative_to(root)]
    return max(found, key=lambda root: len(root.parts), default=None)


def module_name(path: Path, root: Path) -> str | None:
    """Return the dotted module name of the file ``path`` under ``root``.

    ``ROOT/a/b.py`` gives ``"a.b"`` and ``ROOT/a/__init__.py`` gives ``"a"``.

    Each part is normalized to NFKC, as Python normalizes the identifiers
    it parses: a file named in decomposed Unicode (as some file systems and
    tools write ``café.py``) gets the name the user types.

    Returns:
        None if ``path`` is not a ``.py`` file under ``root``, or if any part
        of the name is not a valid identifier (``my-mod.py``, ``a.b.py``),
        since no ``import`` statement could name it.
    """
    try:
        parts = list(
            Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).parts
        )
    except ValueError:
        return None
    if not parts or not parts[-1].endswith(".py"):
        return None
    if parts[-1] == _INIT:
        parts.pop()
    else:
        parts[-1] = parts[-1].removesuffix(".py")
    parts = [unicodedata.normalize("NFKC", part) for part in parts]
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    return ".".join(parts)


def module_path(name: str, root: Path) -> Path | None:
    """Return the existing file of the dotted module ``name`` under ``root``.

    A package (``a/__init__.py``) wins over a module file (``a.py``) in the
    same directory, as it does for Python's path finder.

    Returns:
        None if ``name`` is not a valid dotted name or no such file exists.
    """
    parts = name.split(".")
    if not all(part.isidentifier() for part in parts):
        return None
    base = Path(root).joinpath(*parts)
    for candidate in (base / _INIT, base.with_name(parts[-1] + ".py")):
        if candidate.is_file():
            return candidate
    return _normalized_match(Path(root), parts)


def _normalized_match(root: Path, parts: list[str]) -> Path | None:
    """The file of ``parts`` whose on-disk name differs only in normalization."""
    directory = root
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        try:
            names = os.listdir(directory)
        except OSError:
            return None
        wanted = {part} | ({part + ".py"} if last else set())
        match = None
        for entry in sorted(names):
            if unicodedata.normalize("NFKC", entry) in wanted:
                match = directory / entry
                if match.is_dir() and (match / _INIT).is_file() and last:
                    return match / _INIT
                if match.is_file() and last:
                    return match
                if match.is_dir() and not last:
                    break
        else:
            return None
        directory = match
    return None


def is_within(path: Path, root: Path, *, follow_symlinks: bool = False) -> bool:
    """Return True if ``path`` lies under ``root``.

    The test is lexical first. Unless ``follow_symlinks`` is set, the real
    location (every symlink resolved) must also lie under the real root: a
    link that leads outside the root is how code from elsewhere would get in.
    """
    abs_path = os.path.abspath(path)
    abs_root = os.path.abspath(root)
    if not _contains(abs_root, abs_path):
        return False
    if follow_symlinks:
        return True
    return _contains(os.path.realpath(abs_root), os.path.realpath(abs_path))


def _contains(root: str, path: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def iter_module_files(
    root: Path, path_filter: PathFilter, *, follow_symlinks: bool = False
) -> Iterator[Path]:
    """Yield every watched ``.py`` file under ``root``, sorted.

    Ignored directories (``.git``, ``__pycache__``, excluded trees) are never
    entered. A symlinked directory or file whose real location is outside
    the root is skipped unless ``follow_symlinks``; a symlink back up the
    tree is never followed twice, so a loop cannot hang the walk.
    """
    root = Path(os.path.abspath(root))
    found: list[Path] = []
    try:
        top = root.stat()
    except OSError:
        return
    _walk(root, root, path_filter, follow_symlinks, {(top.st_dev, top.st_ino)}, found)
    yield from sorted(found)


def _walk(
    directory: Path,
    root: Path,
    path_filter: PathFilter,
    follow_symlinks: bool,
    ancestors: set[tuple[int, int]],
    found: list[Path],
) -> None:
    try:
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError:
        return  # vanished or unreadable mid-walk: nothing to report there
    for entry in entries:
        path = directory / entry.name
        try:
            is_dir = entry.is_dir()
            is_link = entry.is_symlink()
        except OSError:
            continue
        if is_link and not is_within(path, root, follow_symlinks=follow_symlinks):
            continue
        if is_dir:
            if path_filter.ignores_dir(path, root):
                continue
            try:
                info = entry.stat()
            except OSError:
                continue
            key = (info.st_dev, info.st_ino)
            if key in ancestors:
                continue  # a symlink back up the tree
            _walk(path, root, path_filter, follow_symlinks, ancestors | {key}, found)
        elif path_filter(path, root):
            found.append(path)


def warn_if_world_writable(root: Path) -> bool:
    """Warn, once per root per process, if users other than the owner can write to it.

    A world-writable root is a place where anyone on the machine can plant a
    module that hotreload will execute. The sticky bit (as on ``/tmp``) is no
    excuse: it stops others from deleting our files, not from adding theirs.

    Returns:
        True if this call issued the warning.
    """
    key = Path(os.path.abspath(root))
    try:
        mode = key.stat().st_mode
    except OSError:
        return False
    if not mode & stat.S_IWOTH:
        return False
    with _warned_lock:
        if key in _warned:
            return False
        _warned.add(key)
    warnings.warn(
        HotreloadWarning(
            f"{key} is writable by other users (mode {stat.S_IMODE(mode):04o}): "
            "anyone on this machine can plant code there that hotreload will run"
        ),
        stacklevel=2,
    )
    return True


def warn_if_open(
    root: Path, path_filter: PathFilter, *, follow_symlinks: bool = False
) -> list[str]:
    """Warn, once per root per process, of whoever else can change its code.

    Beyond `warn_if_world_writable`: the root writable by its group, the
    directories and module files below it writable by their group or by
    everyone, and those owned by another user (neither us nor root). Each
    kind is one warning naming the first few paths. A group that is the
    owner's own private group (same name, no other member) is no one else.
    Ignored directories (``.git``, ``__pycache__``, excluded trees) are not
    entered; every ``.py`` file counts, since anything under a root on
    ``sys.path`` can be imported.

    Returns:
        The warnings issued (empty if none, or if this root was checked).
    """
    key = Path(os.path.abspath(root))
    with _warned_lock:
        if key in _warned_open:
            return []
        _warned_open.add(key)
    found = _open_paths(key, path_filter, follow_symlinks)
    texts = []
    if found["root"]:
        texts.append(
            f"{key} is writable by its group ({found['root'][0]}): its other "
            "members can plant code there that hotreload will run"
        )
    for kind, one, many, what in (
        ("dirs", "directory", "directories", "can be written by other users"),
        ("files", "module file", "module files", "can be written by other users"),
        ("owners", "file", "files", "belong to another user"),
    ):
        paths = found[kind]
        if paths:
            shown = ", ".join(paths[:_SHOWN])
            more = f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else ""
            noun = one if len(paths) == 1 else many
            verb = what.replace("belong", "belongs") if len(paths) == 1 else what
            texts.append(
                f"{len(paths)} {noun} under {key} {verb} ({shown}{more}): "
                "they can change the code hotreload will run"
            )
    for text in texts:
        warnings.warn(HotreloadWarning(text), stacklevel=2)
    return texts


def _open_paths(
    root: Path, path_filter: PathFilter, follow_symlinks: bool
) -> dict[str, list[str]]:
    """What `warn_if_open` reports: path texts by kind, in walk order."""
    found: dict[str, list[str]] = {"root": [], "dirs": [], "files": [], "owners": []}
    me = os.getuid()
    try:
        info = root.stat()
    except OSError:
        return found
    mode = info.st_mode
    if mode & stat.S_IWGRP and not mode & stat.S_IWOTH and not _private_group(info):
        group = _group_name(info.st_gid)
        found["root"].append(f"group {group}, mode {stat.S_IMODE(mode):04o}")
    if info.st_uid not in (0, me):
        found["owners"].append(".")
    for top, dirs, files in os.walk(root, followlinks=follow_symlinks):
        here = Path(top)
        dirs[:] = sorted(d for d in dirs if not path_filter.ignores_dir(here / d, root))
        # Every module file counts, excluded or not: the root is on sys.path,
        # so any of them can be imported.
        modules = sorted(f for f in files if f.endswith(".py") and f[0] != ".")
        for name, is_dir in [(d, True) for d in dirs] + [(f, False) for f in modules]:
            full = os.path.join(top, name)
            try:
                info = os.stat(full)
            except OSError:
                continue
            others = _others_write(info)
            foreign = info.st_uid not in (0, me)
            if others or foreign:
                shown = os.path.relpath(full, root) + ("/" if is_dir else "")
                if others:
                    found["dirs" if is_dir else "files"].append(shown)
                if foreign:
                    found["owners"].append(shown)
    return found


def _others_write(info: os.stat_result) -> bool:
    mode = info.st_mode
    if mode & stat.S_IWOTH:
        return True
    return bool(mode & stat.S_IWGRP) and not _private_group(info)


def _private_group(info: os.stat_result) -> bool:
    """Whether the file's group is its owner's own (user private groups)."""
    return _is_private_group(info.st_uid, info.st_gid)


@functools.lru_cache(maxsize=64)
def _is_private_group(uid: int, gid: int) -> bool:
    try:
        import grp
        import pwd
    except ImportError:  # pragma: no cover  not POSIX
        return False
    try:
        group = grp.getgrgid(gid)
        owner = pwd.getpwuid(uid).pw_name
    except KeyError:
        return False
    return group.gr_name == owner and set(group.gr_mem) <= {owner}


def _group_name(gid: int) -> str:
    try:
        import grp

        return grp.getgrgid(gid).gr_name
    except (ImportError, KeyError):
        return str(gid)
