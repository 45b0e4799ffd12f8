"""Object-level helpers of the engine: cells, code, class layouts, undo.

They know nothing of modules or transactions; ``engine`` composes them.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "IMPORT_DUNDERS",
    "LAYOUT_KEYS",
    "MISSING",
    "as_type_would",
    "cell_get",
    "changed",
    "layout_change",
    "most_derived_meta",
    "repoint_class_cells",
    "restore_class",
    "restore_function",
    "same_code",
    "slot_names",
]

# Entries of a class __dict__ that belong to its memory layout or to machinery
# kept per class; a reload never copies them from the new version (an ABC's
# __abstractmethods__ is recomputed on the kept class instead).
LAYOUT_KEYS: Final = frozenset(
    {"__dict__", "__weakref__", "_abc_impl", "__abstractmethods__"}
)
MISSING: Final = object()
# Set up by the import system; a reload never removes or replaces them.
IMPORT_DUNDERS: Final = frozenset(
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


def cell_get(cell: types.CellType) -> object:
    try:
        return cell.cell_contents
    except ValueError:
        return MISSING


def restore_function(
    func: types.FunctionType, saved: tuple[Any, ...], cells: list[types.CellType]
) -> None:
    code, defaults, kwdefaults, annotations, doc, attrs, contents = saved
    func.__code__ = code
    func.__defaults__ = defaults
    func.__kwdefaults__ = kwdefaults
    func.__annotations__ = annotations
    func.__doc__ = doc
    func.__dict__.clear()
    func.__dict__.update(attrs)
    for cell, value in zip(cells, contents, strict=True):
        if value is MISSING:
            if cell_get(cell) is not MISSING:
                del cell.cell_contents
        else:
            cell.cell_contents = value


def restore_class(cls: type, before: Mapping[str, Any]) -> None:
    for key in [k for k in vars(cls) if k not in before]:
        delattr(cls, key)
    for key, value in before.items():
        if key in LAYOUT_KEYS:
            continue
        if vars(cls).get(key, MISSING) is not value:
            setattr(cls, key, value)


def same_code(a: types.CodeType, b: types.CodeType) -> bool:
    """Equal bytecode, names and constants; line numbers do not count."""
    if a.co_code != b.co_code or a.co_names != b.co_names:
        return False
    if a.co_varnames != b.co_varnames or len(a.co_consts) != len(b.co_consts):
        return False
    for x, y in zip(a.co_consts, b.co_consts, strict=True):
        if isinstance(x, types.CodeType) and isinstance(y, types.CodeType):
            if not same_code(x, y):
                return False
        elif type(x) is not type(y) or x != y:
            return False
    return True


def changed(old: object, new: object) -> bool:
    """Whether replacing ``old`` with ``new`` is worth reporting."""
    if isinstance(new, types.FunctionType | type | types.ModuleType):
        return True
    try:
        return bool(old != new) or type(old) is not type(new)
    except Exception:
        return True


def slot_names(slots: object) -> frozenset[str]:
    if slots is None:
        return frozenset()
    if isinstance(slots, str):
        return frozenset({slots})
    try:
        return frozenset(str(s) for s in slots)  # type: ignore[attr-defined]
    except TypeError:
        return frozenset()


def layout_change(old: type, bases: tuple[Any, ...], slots: object) -> str:
    if len(old.__bases__) != len(bases) or any(
        a is not b for a, b in zip(old.__bases__, bases, strict=True)
    ):
        return "its bases changed"
    if slot_names(vars(old).get("__slots__")) != slot_names(slots):
        return "its __slots__ changed"
    return ""


def most_derived_meta(meta: type, bases: tuple[Any, ...]) -> type:
    winner = meta
    for base in bases:
        base_meta = type(base)
        if issubclass(winner, base_meta):
            continue
        if issubclass(base_meta, winner):
            winner = base_meta
            continue
        raise TypeError(
            "metaclass conflict: the metaclass of a derived class must be a "
            "(non-strict) subclass of the metaclasses of all its bases"
        )
    return winner


def as_type_would(ns: dict[str, Any]) -> None:
    """Apply the implicit conversions ``type.__new__`` makes to a class body."""
    for key, wrap in (
        ("__new__", staticmethod),
        ("__init_subclass__", classmethod),
        ("__class_getitem__", classmethod),
    ):
        value = ns.get(key)
        if isinstance(value, types.FunctionType):
            ns[key] = wrap(value)
    if "__eq__" in ns and "__hash__" not in ns:
        ns["__hash__"] = None
    ns.setdefault("__doc__", None)


def repoint_class_cells(value: object, built: type | None, old: type) -> None:
    """Make closures grafted from ``built`` refer to ``old`` instead.

    That is ``super()``'s ``__class__`` cell, and any other cell holding the
    class, such as ``cls`` in the ``__subclasshook__`` that
    ``Protocol.__init_subclass__`` defines for each protocol.
    """
    if built is None:
        return
    if isinstance(value, staticmethod | classmethod):
        value = value.__func__
    funcs = (
        [value.fget, value.fset, value.fdel] if isinstance(value, property) else [value]
    )
    for func in funcs:
        if not isinstance(func, types.FunctionType) or not func.__closure__:
            continue
        for cell in func.__closure__:
            if cell_get(cell) is built:
                cell.cell_contents = old
