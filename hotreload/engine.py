"""One transactional reload of one module version.

The new source runs in the live module's own namespace, so every function it
defines (new ones included) has the live globals; a snapshot of that namespace,
plus an undo log of every object changed in place, restores the module exactly
when anything fails. Classes keep their identity *while* the new version runs:
a class statement whose class exists in the old version updates the old class
and evaluates to it, so ``DEFAULT = Config()`` and class decorators see the
kept class. After the run, functions that exist in both versions get the new
code in the old function objects, and the old objects go back in place.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import linecache
import os
import sys
import threading
import traceback
import types
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hotreload import classes, frameworks
from hotreload.bytecode import stored_globals
from hotreload.classes import ClassMerger
from hotreload.errors import RejectedError
from hotreload.incremental import Changes, Runner
from hotreload.patching import (
    IMPORT_DUNDERS,
    MISSING,
    changed,
)
from hotreload.plan import Version, parse_version
from hotreload.registries import entries

__all__ = [
    "AFTER",
    "BEFORE",
    "ENABLED",
    "FULL",
    "KEEP",
    "Outcome",
    "format_user_traceback",
    "is_interrupt",
    "record_source",
    "reload_module",
]

KEEP: Final = "__hotreload_keep__"
BEFORE: Final = "__hotreload_before__"
AFTER: Final = "__hotreload_after__"
ENABLED: Final = "__hotreload__"
FULL: Final = "__hotreload_full__"

_PACKAGE_DIR: Final = str(Path(__file__).resolve().parent) + os.sep
# Where frames of hotreload, the import system and the parser come from.
_MACHINERY: Final = (
    _PACKAGE_DIR,
    "<frozen importlib._",
    importlib.__file__ or "?",
    ast.__file__ or "?",
)


@dataclass
class Outcome:
    """What one reload did, before the reloader turns it into an event."""

    ok: bool
    updated: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Module attributes whose object changed identity: name -> (old, new).
    replaced: dict[str, tuple[object, object]] = field(default_factory=dict)
    error: BaseException | None = None
    traceback: str | None = None
    # Top-level statements that ran (item 12); 0 when nothing ran.
    ran: int = 0
    # Whether the whole module ran (else only what changed, item 12).
    full: bool = False
    # Names bound by the statements that ran, and what changed for readers.
    bound: set[str] = field(default_factory=set)
    changes: Changes = field(default_factory=Changes)


# The source each module runs now, for comparing with its next version.
_sources: weakref.WeakKeyDictionary[types.ModuleType, bytes] = (
    weakref.WeakKeyDictionary()
)


def record_source(module: types.ModuleType, source: bytes) -> None:
    """Note the bytes ``module`` ran at its first import."""
    _sources[module] = source


def reload_module(
    module: types.ModuleType,
    source: bytes,
    filename: str,
    *,
    require: tuple[str, ...] = (),
    full: bool = False,
    upstream: Mapping[str, Changes] | None = None,
    script: bool = False,
) -> Outcome:
    """Bring ``module`` to ``source``, running only what changed, in place.

    Args:
        module: the live module (it stays ``sys.modules[name]``).
        source: the new file content, undecoded (PEP 263 cookies apply).
        filename: the path tracebacks point at.
        require: names the new version must define, or it is rejected.
        full: run the whole new version, not only what changed.
        upstream: what changed in modules reloaded before this one (a
            cascade runs again the statements that read it).
        script: ``module`` is the ``__main__`` of ``hotreload run``: its
            definitions follow, its other statements never run again.

    Returns:
        The outcome; on failure the module is exactly as it was.
    """
    live = module.__dict__
    if live.get(ENABLED, True) is False:
        return Outcome(
            ok=True,
            warnings=[f"{module.__name__} sets {ENABLED} = False; reload skipped"],
        )
    old: Version | None = None
    previous = _sources.get(module)
    if previous is not None and not full:
        try:
            old = parse_version(previous, filename)
        except Exception:
            old = None  # the live bytes no longer parse here: run it all
    try:
        new = parse_version(source, filename, base=old)
    except Exception as exc:  # SyntaxError; ValueError (NUL bytes); RecursionError
        return _failed(exc)
    if script and old is None:
        return _failed(
            RuntimeError(f"{filename}: the running version of the script is unknown")
        )
    txn = _Transaction(module, new, filename, require)
    if old is not None and (script or not _needs_full(live, old, new)):
        txn.incremental = (old, upstream or {}, script)
    outcome = txn.run()
    if outcome.ok:
        _sources[module] = source
    return outcome


def _needs_full(live: Mapping[str, Any], old: Version, new: Version) -> bool:
    """Whether only a full run can bring ``new`` in (DESIGN item 12)."""
    if callable(live.get(BEFORE)) or live.get(FULL) is True:
        return True
    if old.opaque or new.opaque:
        return True
    for stmt in new.statements:
        if FULL in stmt.binds and isinstance(stmt.node, ast.Assign):
            value = stmt.node.value
            if isinstance(value, ast.Constant) and value.value is True:
                return True
    old_stars = sorted(s.text for s in old.statements if s.star)
    return old_stars != sorted(s.text for s in new.statements if s.star)


def is_interrupt(exc: BaseException) -> bool:
    """Whether ``exc``, raised by user code, must pass through hotreload.

    Only Ctrl-C on the main thread does: the user is interrupting whatever
    runs there. Anything else a module raises, ``SystemExit`` included (a
    stray ``sys.exit()`` at import), is that version's failure; raised on the
    watcher's thread it would end the thread and every later reload.
    """
    return (
        isinstance(exc, KeyboardInterrupt)
        and threading.current_thread() is threading.main_thread()
    )


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def format_user_traceback(exc: BaseException) -> str:
    """Format ``exc`` with only the user's frames.

    User code runs through hotreload (a class statement goes through the
    engine's hook, a first import through its loader) and through the import
    system; neither is where the error is.
    """
    report = traceback.TracebackException.from_exception(exc)
    seen: set[int] = set()
    pending = [report]
    while pending:
        part = pending.pop()
        if id(part) in seen:
            continue
        seen.add(id(part))
        part.stack = traceback.StackSummary.from_list(
            [f for f in part.stack if not f.filename.startswith(_MACHINERY)]
        )
        pending += [p for p in (part.__cause__, part.__context__) if p is not None]
    return "".join(report.format())


def _failed(exc: BaseException, warnings: list[str] | None = None) -> Outcome:
    return Outcome(
        ok=False,
        error=exc,
        traceback=format_user_traceback(exc),
        warnings=warnings or [],
    )


class _Transaction(ClassMerger):
    """One reload attempt: run, check, patch; or roll back completely."""

    def __init__(
        self,
        module: types.ModuleType,
        new: Version,
        filename: str,
        require: tuple[str, ...],
    ) -> None:
        super().__init__(module)
        self.new = new
        self.filename = filename
        self.require = require
        self.code: types.CodeType | None = None  # the whole version, for a full run
        self.contents: list[tuple[Any, Any]] = []
        # Set to (live version, upstream changes, script?) to run only what
        # changed; None runs the whole new version.
        self.incremental: tuple[Version, Mapping[str, Changes], bool] | None = None

    # -- the transaction ---------------------------------------------------

    def run(self) -> Outcome:
        if self.incremental is None:
            # A full run compiles the whole new version first (the before
            # hook runs only once it has); an incremental one compiles what
            # it runs, as it goes.
            try:
                self.code = self.new.compiled(self.filename)
            except Exception as exc:  # SyntaxError, RecursionError, MemoryError
                return _failed(exc)
        before_ran = False
        hook = self.live.get(BEFORE)
        if callable(hook):
            try:
                hook()
            except BaseException as exc:
                if is_interrupt(exc):
                    raise
                return _failed(exc, [f"{BEFORE} raised; nothing was changed"])
            before_ran = True
        self.snapshot = dict(self.live)
        # The module's own lists, dicts and sets (a registry a decorator
        # fills): a failed version must not leave its entries in them.
        self.contents = _contents(self.snapshot)
        # A Flask app refuses routes after its first request; a reload may
        # add them (its own reloader would restart the process instead).
        close_setup = frameworks.open_setup(self.live)
        try:
            if self.incremental is not None:
                outcome = self._apply_incremental(*self.incremental)
            else:
                outcome = self._apply()
        except BaseException as exc:
            self._rollback()
            warnings = []
            if before_ran:
                warnings.append(
                    f"the old version's {BEFORE} already ran; the old version "
                    "stays live and may need restarting what it stopped"
                )
            if is_interrupt(exc):
                raise  # rolled back, then passed on to the user's Ctrl-C
            return _failed(exc, warnings)
        finally:
            close_setup()
        linecache.checkcache(self.live.get("__file__"))
        return outcome

    def _apply(self) -> Outcome:
        live, snapshot = self.live, self.snapshot
        assert self.code is not None
        stored = stored_globals(self.code)
        # Names the new version never binds go before it runs, so that its
        # import-time code cannot use a value only the old version defined.
        # Everything else stays readable by other threads throughout.
        for key, value in snapshot.items():
            if key in IMPORT_DUNDERS or key in stored:
                continue
            if self._is_submodule(key, value):
                continue  # set by the import system, which will not set it again
            del live[key]
        if "__annotations__" in live:
            del live["__annotations__"]  # re-created by the new body, not merged
        live.setdefault("__doc__", None)
        with classes.class_hook(self):
            exec(self.code, live)
        missing = [n for n in self.require if n not in live]
        if missing:
            raise RejectedError(self.name, missing)
        self._keep_state()
        outcome = self._patch()
        outcome.full = True
        outcome.ran = len(self.new.statements)
        outcome.bound = set(stored)
        outcome.changes = Changes(
            rebound=set(outcome.replaced),
            patched={n.partition(".")[0] for n in outcome.updated} & set(live),
        )
        after = live.get(AFTER)
        if callable(after):
            after(types.MappingProxyType(snapshot))
        if self.migrations:
            self._migrate_instances()
        return outcome

    def _apply_incremental(
        self, old: Version, upstream: Mapping[str, Changes], script: bool
    ) -> Outcome:
        live, snapshot = self.live, self.snapshot
        runner = Runner(self, old, self.new, self.filename, upstream, script=script)
        runner.run()
        missing = [n for n in self.require if n not in live]
        if missing:
            raise RejectedError(self.name, missing)
        outcome = Outcome(ok=True, ran=runner.ran, bound=runner.bound)
        outcome.changes = runner.changes
        for key, value in live.items():
            if key in IMPORT_DUNDERS:
                continue
            previous = snapshot.get(key, MISSING)
            if previous is MISSING:
                outcome.added.append(key)
            elif previous is not value:
                outcome.replaced[key] = (previous, value)
                if changed(previous, value) and not _is_dunder(key):
                    self.updated.append(key)
        outcome.added += runner.added
        outcome.removed = runner.removed
        position = {key: n for n, key in enumerate(live)}
        outcome.updated = sorted(
            dict.fromkeys(self.updated),
            key=lambda name: position.get(name.partition(".")[0], len(position)),
        )
        self._replacement_warnings()
        outcome.warnings = self.warnings
        after = live.get(AFTER)
        if callable(after) and (runner.ran or runner.changes):
            after(types.MappingProxyType(snapshot))
        if self.migrations:
            self._migrate_instances()
        return outcome

    # -- services for the incremental runner -------------------------------

    def namespaces(self) -> list[dict[str, Any]]:
        """This module's namespaces, then those of the other reloadable modules."""
        others = [m.__dict__ for m in list(_sources) if m is not self.module]
        return [*super().namespaces(), *others]

    def keep_names(self) -> frozenset[str]:
        """The names ``__hotreload_keep__`` lists (item 6)."""
        keep = self.live.get(KEEP, ())
        if isinstance(keep, str):
            keep = (keep,)
        try:
            names = list(keep)
        except TypeError:
            names = [keep]
        if not all(isinstance(k, str) for k in names):
            warning = f"{KEEP} lists something that is not a name; only names are kept"
            if warning not in self.warnings:
                self.warnings.append(warning)
        return frozenset(k for k in names if isinstance(k, str))

    def absolute(self, module: str, level: int) -> str:
        """The absolute name of a module imported with ``level`` dots."""
        if level == 0:
            return module
        package = self.live.get("__package__") or ""
        base = str(package).rsplit(".", level - 1)[0]
        return f"{base}.{module}" if module else base

    def removable(self, name: str) -> bool:
        """Whether a name the new version no longer binds may leave the module."""
        if name in IMPORT_DUNDERS:
            return False
        return not self._is_submodule(name, self.live.get(name))

    def class_hook(self) -> contextlib.AbstractContextManager[None]:
        """Route class statements run now to this transaction (kept classes)."""
        return classes.class_hook(self)

    def class_patched(self, cls: type) -> None:
        """After methods of ``cls`` changed: what ABCs compute from them."""
        classes.recount_abstracts(cls)

    def set_class_attr(self, cls: type, name: str, value: object) -> None:
        """Set a class attribute, with its undo."""
        before = vars(cls).get(name, MISSING)
        self.undo.append(lambda: classes.put_back(cls, name, before))
        setattr(cls, name, value)
        classes.recount_abstracts(cls)

    def del_class_attr(self, cls: type, name: str) -> None:
        """Remove a class attribute, with its undo."""
        before = vars(cls).get(name, MISSING)
        self.undo.append(lambda: classes.put_back(cls, name, before))
        delattr(cls, name)
        classes.recount_abstracts(cls)

    def _is_submodule(self, key: str, value: object) -> bool:
        """Whether ``key`` is a package's attribute for its loaded submodule."""
        return (
            isinstance(value, types.ModuleType)
            and value.__name__ == f"{self.name}.{key}"
            and sys.modules.get(value.__name__) is value
        )

    def _keep_state(self) -> None:
        for key in self.keep_names():  # as the new version lists them
            if key in self.snapshot:
                self.live[key] = self.snapshot[key]

    def _patch(self) -> Outcome:
        live, snapshot = self.live, self.snapshot
        outcome = Outcome(ok=True)
        # Definitions first, then aliases: with `f = bar` now, `bar` must be
        # matched with the old `bar` before `f` (the old `foo`) meets it.
        items = sorted(
            live.items(),
            key=lambda item: getattr(item[1], "__qualname__", None) != item[0],
        )
        for key, new in items:
            if key in IMPORT_DUNDERS:
                continue
            old = snapshot.get(key, MISSING)
            if old is MISSING:
                outcome.added.append(key)
                continue
            if old is new:
                continue
            value = self.merge(old, new, key)
            if value is not new:
                live[key] = value
            if value is not old:
                outcome.replaced[key] = (old, value)
                # Dunders (__doc__, __all__) are metadata, not behaviour.
                if changed(old, value) and not _is_dunder(key):
                    self.updated.append(key)
        outcome.removed = [
            k for k in snapshot if k not in live and k not in IMPORT_DUNDERS
        ]
        # Reported in the module's order, whatever order they were merged in.
        position = {key: n for n, key in enumerate(live)}
        outcome.updated = sorted(
            dict.fromkeys(self.updated),
            key=lambda name: position.get(name.partition(".")[0], len(position)),
        )
        self._replacement_warnings()
        outcome.warnings = self.warnings
        return outcome

    def _rollback(self) -> None:
        for step in reversed(self.undo):
            step()
        live, snapshot = self.live, self.snapshot
        for key in [k for k in live if k not in snapshot]:
            del live[key]
        for key, value in snapshot.items():
            if live.get(key, MISSING) is not value:
                live[key] = value
        for container, contents in self.contents:
            _refill(container, contents)


# Containers larger than this are data a reload does not copy to roll back.
_CONTENTS_LIMIT: Final = 10_000


def _contents(namespace: Mapping[str, Any]) -> list[tuple[Any, Any]]:
    """Shallow copies of the plain lists, dicts and sets a module holds."""
    found = []
    for key, value in namespace.items():
        if key in IMPORT_DUNDERS or type(value) not in (list, dict, set):
            continue
        if len(value) <= _CONTENTS_LIMIT:
            found.append((value, value.copy()))
    return found


def _refill(container: Any, contents: Any) -> None:
    """Put back what ``container`` held, if it changed."""
    if len(container) == len(contents) and all(
        a is b for a, b in zip(entries(container), entries(contents), strict=True)
    ):
        return
    container.clear()
    if isinstance(container, list):
        container.extend(contents)
    else:
        container.update(contents)
