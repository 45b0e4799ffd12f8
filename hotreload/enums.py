"""Enums whose members change: kept in place, survivors keeping their identity.

Members are the enum's instances and are held everywhere (``if color is
Color.RED``, dict keys, pickles), so an enum that gains or loses members
keeps its class (DESIGN item 4): members of surviving names stay the same
objects (taking a new value where the enum allows it), new members join
the kept class, and removed ones leave its tables.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = ["member_values", "move_members"]

# Tables ``EnumType`` keeps per enum, and Flag's masks computed from them.
_TABLES: Final = (
    "_member_names_",
    "_member_map_",
    "_value2member_map_",
    "_unhashable_values_",
    "_unhashable_values_map_",  # 3.13
)
_MASKS: Final = ("_flag_mask_", "_singles_mask_", "_all_bits_", "_inverted_")


def member_values(cls: enum.EnumType) -> dict[str, object]:
    """Each member name (aliases too) with its value."""
    members: Mapping[str, enum.Enum] = cls.__members__
    return {name: member._value_ for name, member in members.items()}


def move_members(
    old: enum.EnumType, new: enum.EnumType
) -> tuple[str, Callable[[], None] | None]:
    """Give ``old`` the members of ``new``, keeping the members it still has.

    Returns:
        ``("", undo)`` when done, or ``(reason, None)`` when the members
        cannot move (nothing was changed then).
    """
    old_map: dict[str, enum.Enum] = dict(vars(old)["_member_map_"])
    new_map: dict[str, enum.Enum] = dict(vars(new)["_member_map_"])
    reason, kept, revalued = _pair(old, old_map, new_map)
    if reason:
        return reason, None
    saved = {key: vars(old)[key] for key in (*_TABLES, *_MASKS) if key in vars(old)}
    saved_members = {k: v for k, v in vars(old).items() if k in old_map}
    reclassed = [m for m in kept.values() if m.__class__ is new]

    def undo() -> None:
        for member, value in revalued:
            object.__setattr__(member, "_value_", value)
        for member in reclassed:
            object.__setattr__(member, "__class__", new)
        for key in [k for k in vars(old) if k in new_map and k not in saved_members]:
            type.__delattr__(old, key)
        for key, value in {**saved, **saved_members}.items():
            type.__setattr__(old, key, value)

    for member, _ in revalued:
        fresh = new_map[member._name_]
        object.__setattr__(member, "_value_", fresh._value_)
    for member in reclassed:
        object.__setattr__(member, "__class__", old)
    for key in (*_TABLES, *_MASKS):
        if key in vars(new):
            type.__setattr__(old, key, _translate(vars(new)[key], kept))
    for name in old_map:
        if name not in new_map and name in vars(old):
            type.__delattr__(old, name)
    for name, member in new_map.items():
        type.__setattr__(old, name, kept[id(member)])
    return "", undo


def _pair(
    old: enum.EnumType,
    old_map: Mapping[str, enum.Enum],
    new_map: Mapping[str, enum.Enum],
) -> tuple[str, dict[int, enum.Enum], list[tuple[enum.Enum, object]]]:
    """Which member each new member becomes, and the survivors whose value moves."""
    mixed = old._member_type_ is not object  # type: ignore[attr-defined]
    kept: dict[int, enum.Enum] = {}
    revalued: list[tuple[enum.Enum, object]] = []
    for name, member in new_map.items():
        survivor = old_map.get(name)
        if survivor is None or survivor._name_ != member._name_:
            kept.setdefault(id(member), member)
            continue
        if survivor._value_ != member._value_:
            if mixed:
                return f"the value of {name} changed in a mixed-in enum", {}, []
            revalued.append((survivor, survivor._value_))
        kept[id(member)] = survivor
    return "", kept, revalued


def _translate(value: Any, kept: Mapping[int, enum.Enum]) -> Any:
    """A table of ``new`` with its members swapped for the ones kept."""
    if isinstance(value, dict):
        return {k: kept.get(id(v), v) for k, v in value.items()}
    if isinstance(value, list):
        return [kept.get(id(v), v) for v in value]
    return kept.get(id(value), value)
