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

import abc
import ast
import builtins
import contextlib
import enum
import functools
import importlib
import linecache
import os
import sys
import threading
import traceback
import types
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hotreload.bytecode import stored_globals
from hotreload.errors import RejectedError
from hotreload.incremental import Changes, Runner
from hotreload.patching import (
    LAYOUT_KEYS,
    MISSING,
    as_type_would,
    cell_get,
    changed,
    layout_change,
    most_derived_meta,
    repoint_class_cells,
    restore_class,
    restore_function,
    same_code,
    slot_names,
)
from hotreload.plan import Version, parse_version

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

# Set up by the import system; a reload never removes or replaces them.
_IMPORT_DUNDERS: Final = frozenset(
    {
        "__name__",
        "__file__",
        "__spec__",
        "__loader__",
        "__package__",
        "__builtins__",
        "__path__",
        "__cached__",
    }
)
_PACKAGE_DIR: Final = str(Path(__file__).resolve().parent) + os.sep
# Where frames of hotreload and of the import system come from.
_MACHINERY: Final = (_PACKAGE_DIR, "<frozen importlib._", importlib.__file__ or "?")


class CannotPatch(Exception):
    """An object cannot be updated in place; the new one replaces it."""


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
    try:
        new = parse_version(source, filename)
        new.compiled(filename)
    except Exception as exc:  # SyntaxError; ValueError (NUL bytes); RecursionError
        return _failed(exc)
    old: Version | None = None
    previous = _sources.get(module)
    if previous is not None and not full:
        try:
            old = parse_version(previous, filename)
        except Exception:
            old = None  # the live bytes no longer parse here: run it all
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


class _Transaction:
    """One reload attempt: run, check, patch; or roll back completely."""

    def __init__(
        self,
        module: types.ModuleType,
        new: Version,
        filename: str,
        require: tuple[str, ...],
    ) -> None:
        self.module = module
        self.name = module.__name__
        self.live = module.__dict__
        self.new = new
        self.filename = filename
        self.code = new.compiled(filename)
        self.require = require
        # Set to (live version, upstream changes, script?) to run only what
        # changed; None runs the whole new version.
        self.incremental: tuple[Version, Mapping[str, Changes], bool] | None = None
        self.snapshot: dict[str, Any] = {}
        self.undo: list[Callable[[], None]] = []
        # id(new object) -> the object kept in its place (old, patched).
        self.kept: dict[int, object] = {}
        # Keeps the new objects alive so that ids in `kept` stay unique.
        self.seen: list[object] = []
        self.used_classes: set[int] = set()
        self.updated: list[str] = []
        self.warnings: list[str] = []
        # Classes replaced: old -> (the class its instances move to, where, why).
        self.migrations: dict[type, tuple[type, str, str]] = {}

    # -- the transaction ---------------------------------------------------

    def run(self) -> Outcome:
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
        linecache.checkcache(self.live.get("__file__"))
        return outcome

    def _apply(self) -> Outcome:
        live, snapshot = self.live, self.snapshot
        stored = stored_globals(self.code)
        # Names the new version never binds go before it runs, so that its
        # import-time code cannot use a value only the old version defined.
        # Everything else stays readable by other threads throughout.
        for key, value in snapshot.items():
            if key in _IMPORT_DUNDERS or key in stored:
                continue
            if self._is_submodule(key, value):
                continue  # set by the import system, which will not set it again
            del live[key]
        if "__annotations__" in live:
            del live["__annotations__"]  # re-created by the new body, not merged
        live.setdefault("__doc__", None)
        with _class_hook(self):
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
            if key in _IMPORT_DUNDERS:
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

    def keep_names(self) -> frozenset[str]:
        """The names ``__hotreload_keep__`` lists (item 6)."""
        keep = self.live.get(KEEP, ())
        if isinstance(keep, str):
            keep = (keep,)
        try:
            return frozenset(k for k in keep if isinstance(k, str))
        except TypeError:
            return frozenset()

    def absolute(self, module: str, level: int) -> str:
        """The absolute name of a module imported with ``level`` dots."""
        if level == 0:
            return module
        package = self.live.get("__package__") or ""
        base = str(package).rsplit(".", level - 1)[0]
        return f"{base}.{module}" if module else base

    def removable(self, name: str) -> bool:
        """Whether a name the new version no longer binds may leave the module."""
        if name in _IMPORT_DUNDERS:
            return False
        return not self._is_submodule(name, self.live.get(name))

    def class_hook(self) -> contextlib.AbstractContextManager[None]:
        """Route class statements run now to this transaction (kept classes)."""
        return _class_hook(self)

    def class_patched(self, cls: type) -> None:
        """After methods of ``cls`` changed: what ABCs compute from them."""
        _recount_abstracts(cls)

    def set_class_attr(self, cls: type, name: str, value: object) -> None:
        """Set a class attribute, with its undo."""
        before = vars(cls).get(name, MISSING)
        self.undo.append(lambda: _put_back(cls, name, before))
        setattr(cls, name, value)
        _recount_abstracts(cls)

    def del_class_attr(self, cls: type, name: str) -> None:
        """Remove a class attribute, with its undo."""
        before = vars(cls).get(name, MISSING)
        self.undo.append(lambda: _put_back(cls, name, before))
        delattr(cls, name)
        _recount_abstracts(cls)

    def _is_submodule(self, key: str, value: object) -> bool:
        """Whether ``key`` is a package's attribute for its loaded submodule."""
        return (
            isinstance(value, types.ModuleType)
            and value.__name__ == f"{self.name}.{key}"
            and sys.modules.get(value.__name__) is value
        )

    def _keep_state(self) -> None:
        keep = self.live.get(KEEP, ())
        if isinstance(keep, str):
            keep = (keep,)
        for key in keep:
            if isinstance(key, str) and key in self.snapshot:
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
            if key in _IMPORT_DUNDERS:
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
            k for k in snapshot if k not in live and k not in _IMPORT_DUNDERS
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

    # -- merging one old object with its new version ----------------------

    def merge(self, old: object, new: object, where: str) -> object:
        """Return the object to keep for ``where``: ``old`` patched, or ``new``."""
        if old is new:
            return old
        kept = self.kept.get(id(new), MISSING)
        if kept is not MISSING:
            return kept
        value = self._merge(old, new, where)
        self.kept[id(new)] = value
        self.seen.append(new)
        return value

    def _merge(self, old: object, new: object, where: str) -> object:
        if isinstance(old, types.FunctionType) and isinstance(new, types.FunctionType):
            if not self._same_function(old, new):
                return new
            try:
                self._patch_function(old, new, where)
            except CannotPatch as exc:
                self.warnings.append(f"{where}: {exc}; replaced")
                return new
            return old
        if (
            isinstance(old, staticmethod | classmethod)
            and isinstance(new, staticmethod | classmethod)
            and type(old) is type(new)
        ):
            inner = self.merge(old.__func__, new.__func__, where)
            return old if inner is old.__func__ else new
        if type(old) is property and type(new) is property:
            return self._merge_property(old, new, where)
        if isinstance(old, type) and isinstance(new, type) and self._ours(old):
            if old.__qualname__ == new.__qualname__ and self._ours(new):
                return self._keep_rebuilt(old, new, where)
            return new
        if isinstance(old, functools._lru_cache_wrapper) and self._ours(old):
            self.warnings.append(
                f"{where}: a functools cache wrapper cannot be updated in place; "
                "replaced with an empty cache (references held elsewhere keep "
                "the old version)"
            )
        return new

    def _ours(self, obj: object) -> bool:
        return getattr(obj, "__module__", None) == self.name

    def _same_function(self, old: types.FunctionType, new: types.FunctionType) -> bool:
        # Same qualified name, defined in this module, never two lambdas.
        return (
            old.__globals__ is self.live
            and new.__globals__ is self.live
            and old.__qualname__ == new.__qualname__
            and new.__name__ != "<lambda>"
        )

    def _patch_function(
        self, old: types.FunctionType, new: types.FunctionType, where: str
    ) -> None:
        if old.__code__.co_freevars != new.__code__.co_freevars:
            raise CannotPatch("its closure variables changed")
        cells = list(zip(old.__closure__ or (), new.__closure__ or (), strict=True))
        saved = (
            old.__code__,
            old.__defaults__,
            old.__kwdefaults__,
            dict(old.__annotations__),
            old.__doc__,
            dict(old.__dict__),
            [cell_get(c) for c, _ in cells],
        )
        self.undo.append(lambda: restore_function(old, saved, [c for c, _ in cells]))
        if not same_code(old.__code__, new.__code__) or (
            old.__defaults__ != new.__defaults__
        ):
            self.updated.append(new.__qualname__)
        old.__code__ = new.__code__
        old.__defaults__ = new.__defaults__
        old.__kwdefaults__ = new.__kwdefaults__
        old.__annotations__ = new.__annotations__
        old.__doc__ = new.__doc__
        merged = {
            k: self.merge(old.__dict__.get(k, MISSING), v, f"{where}.{k}")
            for k, v in new.__dict__.items()
        }
        old.__dict__.clear()
        old.__dict__.update(merged)
        for old_cell, new_cell in cells:
            value = cell_get(new_cell)
            if value is MISSING:
                if cell_get(old_cell) is not MISSING:
                    del old_cell.cell_contents
                continue
            current = cell_get(old_cell)
            if current is not MISSING:
                value = self.merge(current, value, where)
            if current is not value:
                old_cell.cell_contents = value

    def _merge_property(self, old: property, new: property, where: str) -> object:
        pairs = [
            (old.fget, new.fget),
            (old.fset, new.fset),
            (old.fdel, new.fdel),
        ]
        if any((o is None) != (n is None) for o, n in pairs):
            return new
        if all(self.merge(o, n, where) is o for o, n in pairs if o is not None):
            return old
        return new

    # -- classes -----------------------------------------------------------

    def old_class(self, qualname: str) -> type | None:
        """The old version's class with this qualified name, if it is ours."""
        if "<" in qualname:
            return None  # defined inside a function: never matched
        head, *rest = qualname.split(".")
        obj = self.snapshot.get(head)
        for part in rest:
            obj = vars(obj).get(part) if isinstance(obj, type) else None
        if (
            isinstance(obj, type)
            and obj.__qualname__ == qualname
            and self._ours(obj)
            and id(obj) not in self.used_classes
        ):
            return obj
        return None

    def build_class(
        self,
        original: Callable[..., Any],
        func: types.FunctionType,
        name: str,
        *bases: Any,
        **kwds: Any,
    ) -> Any:
        """``__build_class__`` for this module's class statements."""
        old = self.old_class(func.__qualname__)
        if old is None:
            return original(func, name, *bases, **kwds)
        self.used_classes.add(id(old))
        if isinstance(old, enum.EnumType):
            return self._graft_enum(old, original(func, name, *bases, **kwds))
        resolved = types.resolve_bases(bases)
        meta = kwds.pop("metaclass", None)
        if meta is None:
            meta = type(resolved[0]) if resolved else type
        if isinstance(meta, type):
            meta = most_derived_meta(meta, resolved)
        # abc.ABCMeta adds nothing to a class's making that cannot be redone
        # on the kept class (its abstract methods), so its classes take the
        # same path as plain ones: no throw-away class for __init_subclass__
        # registries to hold.
        if meta is not type and meta is not abc.ABCMeta:
            if meta is not None:
                kwds["metaclass"] = meta
            new = original(func, name, *bases, **kwds)
            return self._graft(old, new)
        ns: dict[str, Any] = {}
        if resolved is not bases:
            ns["__orig_bases__"] = bases
        exec(func.__code__, func.__globals__, ns, closure=func.__closure__)
        reason = layout_change(old, resolved or (object,), ns.get("__slots__"))
        if not reason and type(old) is not meta:
            reason = "its metaclass changed"  # a metaclass= taken away
        if reason:
            new = meta(name, resolved, ns, **kwds)
            self._note_replaced_class(old, new, func.__qualname__, reason)
            return new
        cell = ns.pop("__classcell__", None)
        if cell is not None:
            cell.cell_contents = old  # zero-argument super() finds the kept class
        dict_cell = ns.pop("__classdictcell__", None)
        if dict_cell is not None:
            dict_cell.cell_contents = vars(old)  # 3.12+ annotation scopes
        as_type_would(ns)
        self._update_class(old, ns)
        # What type.__new__ would do last: a base's __init_subclass__ sets up
        # the class (Generic's __parameters__, plugin registries). mypy accepts
        # only a class name as super()'s first argument.
        super(old, old).__init_subclass__(**kwds)  # type: ignore[arg-type]
        _recount_abstracts(old)
        return old

    def _graft(self, old: type, new: type) -> type:
        """Move a class built by a custom metaclass into the old class object."""
        reason = layout_change(old, new.__bases__, vars(new).get("__slots__"))
        if not reason and type(old) is not type(new):
            reason = "its metaclass changed"
        # By the MRO, not isinstance: Protocol and TypedDict refuse the check.
        if not reason and any(new in type(v).__mro__ for v in vars(new).values()):
            reason = "it holds instances of itself"
        if not reason and getattr(old, "_fields", None) != getattr(
            new, "_fields", None
        ):
            # A named tuple's fields are its layout: an old tuple cannot take
            # the new methods (its repr alone would fail), nor move over.
            warning = (
                f"{old.__qualname__}: its fields changed; class replaced, "
                "instances keep the old one"
            )
            if warning not in self.warnings:  # the class statement, then the merge
                self.warnings.append(warning)
            return new
        if reason:
            self._note_replaced_class(old, new, old.__qualname__, reason)
            return new
        self.kept[id(new)] = old
        self.seen.append(new)
        self._update_class(old, dict(vars(new)), new)
        _recount_abstracts(old)
        return old

    def _graft_enum(self, old: enum.EnumType, new: Any) -> Any:
        """Keep an enum whose members stay the same; move its methods into it.

        The members are the enum's instances, held everywhere (``if color is
        Color.RED``), so when the new version has the same names with the
        same values, the old class and its members stay and only behaviour
        (methods, properties, class and static methods) moves over. Other
        changes replace the enum, and the old members stay members of the old
        one, since mixing two member sets would break both.
        """
        reason = ""
        if not isinstance(new, enum.EnumType) or type(old) is not type(new):
            reason = "its metaclass changed"
        elif layout_change(old, new.__bases__, vars(new).get("__slots__")):
            reason = "its bases changed"
        elif _members(old) != _members(new):
            reason = "its members changed"
        if reason:
            self._note_replaced_class(old, new, old.__qualname__, reason)
            return new
        members: Mapping[str, enum.Enum] = old.__members__
        ns = {k: v for k, v in vars(old).items() if not _enum_behaviour(k, v, members)}
        ns.update(
            (k, v) for k, v in vars(new).items() if _enum_behaviour(k, v, members)
        )
        self.kept[id(new)] = old
        self.seen.append(new)
        self._update_class(old, ns, new)
        return old

    def _update_class(
        self, old: type, ns: dict[str, Any], built: type | None = None
    ) -> None:
        before = dict(vars(old))
        self.undo.append(lambda: restore_class(old, before))
        slots = slot_names(before.get("__slots__"))
        ns.pop("__qualname__", None)
        touched = False
        for key, value in ns.items():
            if key in LAYOUT_KEYS or key in slots:
                continue
            current = before.get(key, MISSING)
            if current is MISSING:
                kept = value
            else:
                kept = self.merge(current, value, f"{old.__qualname__}.{key}")
            if kept is current:
                continue
            touched = touched or current is MISSING or changed(current, kept)
            repoint_class_cells(kept, built, old)
            setattr(old, key, kept)
            set_name = getattr(type(kept), "__set_name__", None)
            if set_name is not None:
                set_name(kept, old, key)
        for key in before:
            if key not in ns and key not in LAYOUT_KEYS and key not in slots:
                if key == "__doc__":
                    old.__doc__ = None
                    continue
                delattr(old, key)
                touched = True
        if touched:
            self.updated.append(old.__qualname__)

    def _keep_rebuilt(self, old: type, new: type, where: str) -> type:
        """The class to bind where the new version has a class of the same name.

        Either the class statement already kept ``old``, or it made ``new``
        because the layout changed, or a decorator rebuilt the class after
        its statement (``dataclass(slots=True)`` does): then ``new`` is the
        final class, and if its layout is ``old``'s after all, it is grafted
        into ``old`` like a metaclass-built class.
        """
        if isinstance(old, enum.EnumType):
            kept: type = self._graft_enum(old, new)  # Enum("Color", "RED GREEN")
        else:
            known = self.migrations.get(old)
            if known is not None and known[0] is new:
                return new  # the replacement the class statement made
            kept = self._graft(old, new)
            if kept is old:
                self.migrations.pop(old, None)
        if kept is old:
            self._adopt(new, old)
        return kept

    def _adopt(self, new: type, old: type) -> None:
        """Objects the module made from ``new`` while it ran now belong to ``old``.

        ``new`` was made again and then grafted into ``old``. Looked for in
        the module's globals and in the lists and dicts they hold, a few
        levels down (``DEFAULT = S()``, ``DEFAULTS = [S()]``): no heap scan.
        Instances change class; an enum's members are swapped for the old
        members of the same name.
        """
        members: Mapping[str, Any] | None = (
            old.__members__ if isinstance(old, enum.EnumType) else None
        )

        def swap(obj: Any) -> Any:
            if members is not None:
                return members.get(obj._name_, obj)
            obj.__class__ = old
            return obj

        seen: set[int] = set()
        pending: list[tuple[Any, int]] = [(self.live, 0)]
        while pending:
            container, depth = pending.pop()
            if id(container) in seen or depth > _ADOPT_DEPTH:
                continue
            seen.add(id(container))
            items = (
                list(container.items())
                if isinstance(container, dict)
                else list(enumerate(container))
            )
            for key, value in items:
                if depth == 0 and key in _IMPORT_DUNDERS:
                    continue  # __builtins__ is a dict, and none of the module's
                if type(value) is new:
                    with contextlib.suppress(TypeError):  # a layout it cannot take
                        if (replacement := swap(value)) is not value:
                            container[key] = replacement
                elif isinstance(value, dict | list):
                    pending.append((value, depth + 1))

    def _note_replaced_class(
        self, old: type, new: type, where: str, reason: str = ""
    ) -> None:
        why = f"{reason}; " if reason else ""
        if isinstance(old, enum.EnumType):
            # Members are the instances; moving them to the new class would
            # mix two member sets. Old members stay members of the old enum.
            if not any(w.startswith(f"{where}:") for w in self.warnings):
                self.warnings.append(
                    f"{where}: {why}enum replaced; old members unchanged"
                )
            return
        known = self.migrations.get(old)
        if known is not None:
            # A later version of the same class (a decorator rebuilt it):
            # instances move to that one, for the reason first found.
            self.migrations[old] = (new, known[1], known[2] or reason)
            return
        self.migrations[old] = (new, where, reason)

    def _replacement_warnings(self) -> None:
        for _, where, reason in self.migrations.values():
            why = f"{reason}; " if reason else ""
            self.warnings.append(
                f"{where}: {why}class replaced; instances migrated where their "
                "layout allows"
            )

    def _migrate_instances(self) -> None:
        # One scan of the heap, and only when a class could not be kept.
        import gc

        moved = 0
        stuck = 0
        migrations = {old: new for old, (new, _, _) in self.migrations.items()}
        for obj in gc.get_objects():
            new = migrations.get(type(obj))
            if new is None:
                continue
            try:
                obj.__class__ = new
                moved += 1
            except TypeError:
                stuck += 1
        if stuck:
            self.warnings.append(
                f"{stuck} instance(s) keep their old class: its layout changed"
            )


def _put_back(cls: type, name: str, value: object) -> None:
    if value is MISSING:
        if name in vars(cls):
            delattr(cls, name)
    else:
        setattr(cls, name, value)


def _recount_abstracts(cls: type[object]) -> None:
    """Which methods of a kept ABC are abstract now (ABCMeta's own job).

    Its subclasses, in other modules too, inherit what it declares; and the
    isinstance answers it cached may no longer hold (a Protocol's members,
    a ``__subclasshook__``).
    """
    if not isinstance(cls, abc.ABCMeta):
        return
    family, seen = [cls], {cls}
    for member in family:  # grows as it goes: every subclass, once (diamonds)
        for sub in member.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                family.append(sub)
    for member in family:  # all ABCMeta instances, as subclasses of one
        abc.update_abstractmethods(member)
        member._abc_caches_clear()  # type: ignore[attr-defined]  # not in typeshed


def _members(cls: enum.EnumType) -> dict[str, object]:
    members: Mapping[str, enum.Enum] = cls.__members__
    return {name: member._value_ for name, member in members.items()}


# How deep _adopt looks into the containers of a module's globals.
_ADOPT_DEPTH: Final = 3

_BEHAVIOUR: Final = (
    types.FunctionType,
    staticmethod,
    classmethod,
    property,
    types.DynamicClassAttribute,  # enum.property
)


def _enum_behaviour(key: str, value: object, members: Mapping[str, object]) -> bool:
    """Whether an enum's class dict entry is code the user wrote in its body.

    Members and the machinery ``EnumType`` sets up are not: ``_member_map_``
    and the like are data, and ``__new__`` and ``_new_member_`` only ever
    made the members. Hooks such as ``_missing_`` and
    ``_generate_next_value_`` are the user's code.
    """
    if key in members or key in ("__new__", "_new_member_"):
        return False
    return isinstance(value, _BEHAVIOUR)


# -- the __build_class__ hook, shared by all reloads in the process ---------

_hook_lock = threading.Lock()
_active: dict[int, _Transaction] = {}
_original_build_class: Callable[..., Any] | None = None


def _build_class(func: Any, name: str, *bases: Any, **kwds: Any) -> Any:
    original = _original_build_class
    assert original is not None
    txn = _active.get(threading.get_ident())
    if txn is None or getattr(func, "__globals__", None) is not txn.live:
        return original(func, name, *bases, **kwds)
    return txn.build_class(original, func, name, *bases, **kwds)


@contextmanager
def _class_hook(txn: _Transaction) -> Iterator[None]:
    """Route this thread's class statements of ``txn``'s module to ``txn``."""
    global _original_build_class
    ident = threading.get_ident()
    with _hook_lock:
        if not _active:
            _original_build_class = builtins.__build_class__
            vars(builtins)["__build_class__"] = _build_class
        outer = _active.get(ident)
        _active[ident] = txn
    try:
        yield
    finally:
        with _hook_lock:
            if outer is None:
                del _active[ident]
            else:
                _active[ident] = outer  # a reload nested in a reload's import
            if not _active:
                vars(builtins)["__build_class__"] = _original_build_class
                _original_build_class = None
