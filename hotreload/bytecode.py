"""Small, fast readers of CPython bytecode used by the engine and the registry.

``dis.get_instructions`` builds an object per instruction; these helpers walk
``co_code`` directly, because they run on every reload and every tracked
``from m import x``.
"""

from __future__ import annotations

import dis
from collections.abc import Iterator
from types import CodeType
from typing import Final

__all__ = ["import_bindings", "stored_globals"]

_EXTENDED_ARG: Final = dis.opmap["EXTENDED_ARG"]
_CACHE: Final = dis.opmap.get("CACHE", -1)
_STORE_NAME: Final = dis.opmap["STORE_NAME"]
_STORE_GLOBAL: Final = dis.opmap["STORE_GLOBAL"]
_STORE_FAST: Final = dis.opmap["STORE_FAST"]
_IMPORT_NAME: Final = dis.opmap["IMPORT_NAME"]
_IMPORT_FROM: Final = dis.opmap["IMPORT_FROM"]
# `from m import *` is IMPORT_STAR up to 3.11, an intrinsic call from 3.12 on.
_IMPORT_STAR: Final = dis.opmap.get("IMPORT_STAR", -1)
_CALL_INTRINSIC_1: Final = dis.opmap.get("CALL_INTRINSIC_1", -1)
_INTRINSIC_IMPORT_STAR: Final = 2

STAR: Final = "*"


def _ops(code: CodeType, start: int = 0) -> Iterator[tuple[int, int]]:
    """Yield ``(opcode, argument)`` from byte offset ``start``, caches skipped."""
    raw = code.co_code
    ext = 0
    for i in range(start, len(raw), 2):
        op = raw[i]
        arg = raw[i + 1] | ext
        if op == _EXTENDED_ARG:
            ext = arg << 8
            continue
        ext = 0
        if op != _CACHE:
            yield op, arg


def stored_globals(code: CodeType) -> frozenset[str]:
    """Names a module's code can bind at module level.

    That is every ``STORE_NAME`` of the module body and every
    ``STORE_GLOBAL`` (a ``global x`` assignment) in any nested function.
    Names a ``from m import *`` brings in are not listed.
    """
    names: set[str] = set()
    for op, arg in _ops(code):
        if op == _STORE_NAME:
            names.add(code.co_names[arg])
    stack = [c for c in code.co_consts if isinstance(c, CodeType)]
    while stack:
        inner = stack.pop()
        if _STORE_GLOBAL in inner.co_code[::2]:
            names.update(
                inner.co_names[arg] for op, arg in _ops(inner) if op == _STORE_GLOBAL
            )
        stack.extend(c for c in inner.co_consts if isinstance(c, CodeType))
    return frozenset(names)


def import_bindings(code: CodeType, offset: int) -> list[tuple[str, str]] | None:
    """The ``(attribute, bound name)`` pairs of the import statement at ``offset``.

    ``offset`` is a frame's ``f_lasti`` while ``IMPORT_NAME`` runs. ``from m
    import a as b, c`` gives ``[("a", "b"), ("c", "c")]``; ``from m import *``
    gives ``[("*", "*")]``. Bindings into function locals are left out, and
    None means the instruction at ``offset`` is not an import statement
    (``__import__`` called as a function, ``importlib.import_module``).
    """
    ops = _ops(code, offset)
    first = next(ops, None)
    if first is None or first[0] != _IMPORT_NAME:
        return None
    pairs: list[tuple[str, str]] = []
    attr: str | None = None
    for op, arg in ops:
        if op == _IMPORT_FROM:
            attr = code.co_names[arg]
        elif attr is not None and op in (_STORE_NAME, _STORE_GLOBAL):
            pairs.append((attr, code.co_names[arg]))
            attr = None
        elif attr is not None and op == _STORE_FAST:
            attr = None
        elif op == _IMPORT_STAR or (
            op == _CALL_INTRINSIC_1 and arg == _INTRINSIC_IMPORT_STAR
        ):
            return [(STAR, STAR)]
        else:
            break
    return pairs
