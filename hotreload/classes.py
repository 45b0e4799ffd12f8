"""Merging classes: the kept class takes the new version's body.

A class statement whose class exists in the old version runs through
`ClassMerger.build_class` (the ``__build_class__`` hook): its body runs into
a scratch namespace that is moved into the old class object, so the class
keeps its identity, its instances and every ``isinstance`` answer. A class
made by another metaclass, or rebuilt by a decorator, is grafted into the
old class when its layout allows, and replaced with a warning otherwise
(DESIGN item 4). Enums keep their members (``enums``).
"""

from __future__ import annotations

import abc
import builtins
import contextlib
import enum
import threading
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from hotreload import frameworks
from hotreload.enums import member_values, move_members
from hotreload.functions import Merger
from hotreload.patching import (
    IMPORT_DUNDERS,
    LAYOUT_KEYS,
    MISSING,
    as_type_would,
    changed,
    layout_change,
    most_derived_meta,
    repoint_class_cells,
    restore_class,
    slot_names,
)

__all__ = ["ClassMerger", "class_hook", "put_back", "recount_abstracts"]


class ClassMerger(Merger):
    """`Merger` with the rules for classes, and the class statement hook."""

    def __init__(self, module: types.ModuleType) -> None:
        super().__init__(module)
        self.used_classes: set[int] = set()
        # Kept classes whose framework machinery was rebuilt, and the fields
        # each kept class had before (to know whether instances lack one).
        self.rebuilt: set[type] = set()
        self.fields: dict[type, frozenset[str] | None] = {}
        # Classes replaced: old -> (the class its instances move to, where, why).
        self.migrations: dict[type, tuple[type, str, str]] = {}

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
        recount_abstracts(old)
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
        fields = self.fields_before(old)
        self._update_class(old, dict(vars(new)), new)
        recount_abstracts(old)
        self.warnings += frameworks.rebuild(old, new, fields)
        self.rebuilt.add(old)
        return old

    def fields_before(self, cls: type) -> frozenset[str] | None:
        """The fields ``cls`` had when this reload first looked (for rebuild)."""
        if cls not in self.fields:
            self.fields[cls] = frameworks.field_names(cls)
        return self.fields[cls]

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
        elif member_values(old) != member_values(new):
            reason, undo = move_members(old, new)
            if undo is not None:
                self.undo.append(undo)
                self.updated.append(old.__qualname__)
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
            # object's own setattr: a frozen dataclass refuses its own.
            object.__setattr__(obj, "__class__", old)
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
                if depth == 0 and key in IMPORT_DUNDERS:
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
                object.__setattr__(obj, "__class__", new)  # frozen ones too
                moved += 1
            except TypeError:
                stuck += 1
        if stuck:
            self.warnings.append(
                f"{stuck} instance(s) keep their old class: its layout changed"
            )


def put_back(cls: type, name: str, value: object) -> None:
    if value is MISSING:
        if name in vars(cls):
            delattr(cls, name)
    else:
        setattr(cls, name, value)


def recount_abstracts(cls: type[object]) -> None:
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
_active: dict[int, ClassMerger] = {}
_original_build_class: Callable[..., Any] | None = None


def _build_class(func: Any, name: str, *bases: Any, **kwds: Any) -> Any:
    original = _original_build_class
    assert original is not None
    txn = _active.get(threading.get_ident())
    if txn is None or getattr(func, "__globals__", None) is not txn.live:
        return original(func, name, *bases, **kwds)
    return txn.build_class(original, func, name, *bases, **kwds)


@contextmanager
def class_hook(txn: ClassMerger) -> Iterator[None]:
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
