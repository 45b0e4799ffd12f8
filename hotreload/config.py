"""Settings for the command line: defaults, ``[tool.hotreload]``, then flags.

Each setting comes from the first of these that gives it:

1. a command-line flag that was actually given;
2. ``[tool.hotreload]`` in the nearest ``pyproject.toml`` at or above the
   current directory, found the way ruff and pytest find theirs (paths in
   it are relative to its own directory);
3. the built-in default (one ``_default_*`` function per default that needs
   more than a literal).

``debounce`` is written in milliseconds in both places (``--debounce 50`` and
``debounce = 50``), so a value can move between the file and the command line
unchanged; `Settings.debounce` holds seconds, the unit `Reloader` takes.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from hotreload.errors import ConfigError

__all__ = [
    "CONFIG_KEYS",
    "DEFAULT_DEBOUNCE_MS",
    "Settings",
    "load_file",
    "resolve",
]

#: The Reloader's own default (DESIGN: ``debounce=0.01`` seconds).
DEFAULT_DEBOUNCE_MS: Final = 10.0

#: Keys ``[tool.hotreload]`` accepts; anything else is a typo worth an error.
CONFIG_KEYS: Final = (
    "paths",
    "exclude",
    "debounce",
    "polling",
    "cascade",
    "require",
    "follow_symlinks",
)


def _default_paths() -> tuple[Path, ...]:
    """Watch the current directory when neither flags nor the file name one."""
    return (Path("."),)


def _default_debounce() -> float:
    return DEFAULT_DEBOUNCE_MS / 1000.0


def _default_config_path() -> Path:
    """The nearest ``pyproject.toml`` at or above the current directory.

    Run from ``src/`` or ``tests/``, the project's own file still applies,
    as it does for ruff and pytest. None found: ``./pyproject.toml``, which
    does not exist and so gives no settings.
    """
    here = Path.cwd()
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return here / "pyproject.toml"


@dataclass(frozen=True)
class Settings:
    """Everything the command line needs to build a `Reloader`.

    Attributes:
        paths: the roots to watch.
        exclude: extra glob patterns to ignore, relative to each root.
        debounce: seconds of quiet before a batch of changes is applied.
        polling: use a polling observer (network mounts, VMs, containers).
        cascade: re-execute the importers of a reloaded module.
        require: names every module must define.
        follow_symlinks: follow symbolic links that lead outside a root.
    """

    paths: tuple[Path, ...] = field(default_factory=_default_paths)
    exclude: tuple[str, ...] = ()
    debounce: float = field(default_factory=_default_debounce)
    polling: bool = False
    cascade: bool = False
    require: tuple[str, ...] = ()
    follow_symlinks: bool = False

    def reloader_options(self) -> dict[str, Any]:
        """The keyword arguments of `Reloader` (all but ``paths``)."""
        return {
            "debounce": self.debounce,
            "polling": self.polling,
            "exclude": self.exclude,
            "cascade": self.cascade,
            "require": self.require,
            "follow_symlinks": self.follow_symlinks,
        }


def load_file(path: Path | None = None) -> dict[str, Any]:
    """Read and check ``[tool.hotreload]``.

    Args:
        path: the ``pyproject.toml`` to read; by default the nearest one at
            or above the current directory. A missing file is no error: it
            gives ``{}``.

    Returns:
        The settings the file gives, already converted to `Settings` field
        types (relative paths are taken relative to the file's directory).

    Raises:
        ConfigError: the file is not valid TOML, or the table has an unknown
            key or a value of the wrong type.
    """
    path = _default_config_path() if path is None else path
    source = str(path.name if path.parent == Path.cwd() else path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, "file", f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "file", f"invalid TOML: {exc}") from None
    tool = data.get("tool", {})
    table = tool.get("hotreload", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(source, "tool.hotreload", "must be a table")
    return _convert(table, source=f"{source} [tool.hotreload]", base=path.parent)


def resolve(
    flags: Mapping[str, Any],
    *,
    config_path: Path | None = None,
    default_paths: Sequence[Path] | None = None,
) -> Settings:
    """Combine defaults, the config file and the flags that were given.

    Args:
        flags: values from the command line under the `CONFIG_KEYS` names,
            ``None`` (or absent) where a flag was not given. ``paths`` are
            strings or paths; ``debounce`` is in milliseconds.
        config_path: the ``pyproject.toml`` to read (default: the nearest
            at or above the current directory).
        default_paths: the roots when neither flags nor the file name any
            (``hotreload run`` watches the script's directory).

    Raises:
        ConfigError: a bad file (see `load_file`) or a bad flag value.
    """
    from_file = load_file(config_path)
    given = {k: v for k, v in flags.items() if k in CONFIG_KEYS and v is not None}
    # An empty PATH list on the command line means "not given" (argparse nargs=*).
    if not given.get("paths", True):
        del given["paths"]
    from_flags = _convert(given, source="command line", base=Path("."))
    defaults = Settings()
    if default_paths is not None:
        defaults = replace(defaults, paths=tuple(default_paths))
    return replace(defaults, **{**from_file, **from_flags})


def _convert(table: Mapping[str, Any], *, source: str, base: Path) -> dict[str, Any]:
    """Check each value of ``table`` and convert it to its `Settings` type."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in CONFIG_KEYS:
            known = ", ".join(CONFIG_KEYS)
            raise ConfigError(source, key, f"unknown key (known: {known})")
        if key == "paths":
            out[key] = tuple(_path(base, p) for p in _strings(source, key, value))
            if not out[key]:
                raise ConfigError(source, key, "must name at least one directory")
        elif key in ("exclude", "require"):
            out[key] = tuple(_strings(source, key, value))
        elif key == "debounce":
            out[key] = _milliseconds(source, key, value) / 1000.0
        else:
            if not isinstance(value, bool):
                raise ConfigError(source, key, f"must be true or false, not {value!r}")
            out[key] = value
    return out


def _strings(source: str, key: str, value: object) -> list[str]:
    """Accept one string or a list of strings."""
    if isinstance(value, str | Path):
        value = [value]
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, str | Path) and str(v) for v in value
    ):
        raise ConfigError(source, key, f"must be a list of strings, not {value!r}")
    return [str(v) for v in value]


def _path(base: Path, text: str) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() or base == Path(".") else base / path


def _milliseconds(source: str, key: str, value: object) -> float:
    # bool is an int subclass; "debounce = true" is a mistake, not 1 ms.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(
            source, key, f"must be a number of milliseconds, not {value!r}"
        )
    if not math.isfinite(value) or value < 0:
        raise ConfigError(
            source, key, f"must be a finite number >= 0 of milliseconds, not {value!r}"
        )
    return float(value)
