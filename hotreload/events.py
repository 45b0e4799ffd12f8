"""``ReloadEvent``: the record of one reload attempt."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, final

__all__ = ["TRIGGERS", "ReloadEvent", "Trigger", "error_text", "safe_str"]

Trigger = Literal["file", "manual", "cascade", "import"]
TRIGGERS: Final = ("file", "manual", "cascade", "import")


@final
@dataclass(frozen=True, slots=True)
class ReloadEvent:
    """What happened when one module was reloaded (or failed to).

    Attributes:
        module: the dotted module name.
        path: the module's source file, or None.
        ok: True when the new version is live (or nothing needed to change).
        trigger: what started it: "file", "manual", "cascade" or "import".
        duration: seconds spent, from reading the source to the last rebinding.
        updated: qualified names whose objects were updated in place.
        added: names new in this version.
        removed: names gone from this version.
        rebound: tracked bindings (``from m import x`` elsewhere) rebound.
        ran: top-level statements that ran (only what changed runs, unless
            the whole module had to: DESIGN item 12).
        warnings: what could not be updated in place, or was skipped.
        error: the exception when ``ok`` is False.
        traceback: the formatted traceback, pointing at the user's file.
        time: when the event finished (``time.time()``).
        batch: the number of the batch of file changes that caused it
            (events of one batch share it); 0 for ``reload()`` and imports.
    """

    module: str
    path: Path | None
    ok: bool
    trigger: Trigger
    duration: float = 0.0
    updated: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    rebound: int = 0
    ran: int = 0
    warnings: tuple[str, ...] = ()
    error: BaseException | None = field(default=None, compare=False)
    traceback: str | None = None
    time: float = 0.0
    batch: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Return a dict that ``json.dumps`` accepts as it is."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["path"] = None if self.path is None else str(self.path)
        for name in ("updated", "added", "removed", "warnings"):
            data[name] = list(data[name])
        err = self.error
        data["error"] = (
            None if err is None else f"{type(err).__name__}: {safe_str(err)}"
        )
        return data

    @property
    def summary(self) -> str:
        """The part of the human line after the module name."""
        ms = f"{self.duration * 1000:.1f} ms"
        if not self.ok:
            err = self.error
            what = "failed" if err is None else error_text(err)
            return f"{what}; the previous version stays ({ms})"
        parts = []
        for label, names in (
            ("updated", self.updated),
            ("added", self.added),
            ("removed", self.removed),
        ):
            if names:
                parts.append(f"{label} {_names(names)}")
        if self.rebound:
            parts.append(f"rebound {self.rebound}")
        if self.ran:
            parts.append(f"ran {self.ran}")
        text = ", ".join(parts) if parts else "no changes"
        if self.warnings:
            text += (
                f"; {len(self.warnings)} warning{'s' if len(self.warnings) > 1 else ''}"
            )
        return f"{text} ({ms})"

    def __str__(self) -> str:
        if self.trigger == "import" and not self.ok:
            err = self.error
            what = "" if err is None else f": {error_text(err)}"
            return f"{self.module} failed to import{what}"
        mark = "reloaded" if self.ok else "not reloaded"
        return f"{self.module} {mark}: {self.summary}"


ReloadEvent.__module__ = "hotreload"


def error_text(err: BaseException) -> str:
    """``Type: message`` on one line (a newline in the message shows as \\n)."""
    return f"{type(err).__name__}: {safe_str(err)}".replace("\n", "\\n")


def safe_str(obj: object) -> str:
    """``str(obj)``, or a stand-in when that raises or gives no real string.

    User code defines ``__str__``: an exception whose message cannot be
    computed must still be reported, never crash the report. Only
    ``KeyboardInterrupt`` goes through (the user pressed Ctrl-C).
    """
    try:
        text = str(obj)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        return f"<str() of {type(obj).__name__} failed: {type(exc).__name__}>"
    # A str subclass may override what the report calls; keep plain text.
    return str.__str__(text)


def _names(names: tuple[str, ...], limit: int = 4) -> str:
    shown = ", ".join(names[:limit])
    more = len(names) - limit
    return f"{shown} (+{more} more)" if more > 0 else shown
