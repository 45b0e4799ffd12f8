"""Run only what changed (DESIGN item 12), inside one reload transaction.

The runner walks the new version's statements in source order with the
statement each one pairs with in the live version (``plan.match``), and for
each decides: leave it, patch a function or a class's methods in place, or
run it. What ran may rebind names; statements further down that read a
rebound name run too. Every change goes through the transaction, so a
failure anywhere rolls the whole module back.
"""

from __future__ import annotations

import ast
import copy
import functools
import types
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, TypeVar

from hotreload import frameworks
from hotreload.errors import RestartNeeded
from hotreload.lookup import as_function, docstring, function_index
from hotreload.patching import MISSING, same_code
from hotreload.plan import (
    Method,
    Stmt,
    Version,
    first_line,
    match,
    module_scope,
    pair_defs,
)


class Transaction(Protocol):
    """What the runner needs of the reload transaction it runs in."""

    name: str
    live: dict[str, Any]
    snapshot: dict[str, Any]
    undo: list[Callable[[], None]]
    updated: list[str]
    warnings: list[str]

    def merge(self, old: object, new: object, where: str) -> object:
        """The object to keep for ``where``: ``old`` patched, or ``new``."""

    def follow_closures(
        self, old: types.CodeType, new: types.CodeType, where: str
    ) -> None:
        """Closures the old code made take the new code."""

    rebuilt: set[type]

    def fields_before(self, cls: type) -> frozenset[str] | None:
        """The fields ``cls`` had before this reload changed it."""

    def keep_names(self) -> frozenset[str]:
        """The names ``__hotreload_keep__`` lists."""

    def absolute(self, module: str, level: int) -> str:
        """The absolute name of a module imported with ``level`` dots."""

    def removable(self, name: str) -> bool:
        """Whether a name no longer bound may leave the module."""

    def class_hook(self) -> AbstractContextManager[None]:
        """Route class statements run now to the transaction."""

    def class_patched(self, cls: type) -> None:
        """Called after methods of ``cls`` changed."""

    def set_class_attr(self, cls: type, name: str, value: object) -> None:
        """Set a class attribute, with its undo."""

    def del_class_attr(self, cls: type, name: str) -> None:
        """Remove a class attribute, with its undo."""


__all__ = ["SCRIPT_WARNING", "Changes", "Runner", "Transaction"]

SCRIPT_WARNING: Final = "applies from the next start"
# How many wrappers deep a cache is looked for around a patched function.
_SEARCH_DEPTH: Final = 5


@dataclass
class Changes:
    """What one reload changed, as statements that read it see it.

    ``rebound``: names now bound to another object. ``patched``: functions
    whose code changed in place. ``rebuilt``: classes whose body ran again.
    """

    rebound: set[str] = field(default_factory=set)
    patched: set[str] = field(default_factory=set)
    rebuilt: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.rebound or self.patched or self.rebuilt)

    def any_of(self) -> set[str]:
        return self.rebound | self.patched | self.rebuilt


_DEF_NODES: Final = (ast.FunctionDef, ast.AsyncFunctionDef)
_Def = TypeVar("_Def", bound=ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)


class _RunClass(Exception):
    """A class cannot be patched method by method: its statement runs."""


class Runner:
    """One incremental run of ``new`` over the live module, ``old`` being live.

    Args:
        txn: the transaction (live namespace, snapshot, undo log, merging).
        old: the live version.
        new: the version to bring in.
        filename: where tracebacks point.
        upstream: for each module reloaded before this one in the batch,
            what changed in it (a cascade re-runs the statements that read it).
        script: the module is ``hotreload run``'s ``__main__``: only its
            definitions follow edits.
    """

    def __init__(
        self,
        txn: Transaction,
        old: Version,
        new: Version,
        filename: str,
        upstream: Mapping[str, Changes],
        *,
        script: bool = False,
    ) -> None:
        self.txn = txn
        self.live = txn.live
        self.old = old
        self.new = new
        self.filename = filename
        self.upstream = upstream
        self.script = script
        self.changes = Changes()
        self.ran = 0
        self.bound: set[str] = set()
        self.added: list[str] = []
        self.removed: list[str] = []
        self._index: dict[tuple[str, int], types.FunctionType] | None = None
        # Where functions patched in this reload started before (by id): they
        # are found by their place in the live version, not in the new one.
        self._first_lines: dict[int, int] = {}

    # -- the walk ------------------------------------------------------------

    def run(self) -> None:
        live = self.live
        pairs = match(self.old, self.new)
        keep = self.txn.keep_names()
        # Names imported from a module that changed upstream changed here too
        # (the registry may have rebound them already).
        forced, self.changes = self._from_upstream()
        if not self.script:
            self._remove_unbound()
        if self.script:
            self._script_warnings(pairs)
        for stmt in self.new.statements:
            old = pairs.get(stmt.index)
            if stmt.kind == "def":
                self._def(stmt, old)
            elif stmt.kind == "class":
                self._class(stmt, old)
            elif self.script:
                continue
            elif stmt.binds & keep and all(
                n in self.txn.snapshot for n in stmt.binds & keep
            ):
                continue  # a kept name's statement never runs again
            elif old is None or stmt.index in forced or self._reads_change(stmt):
                self._run_statement(stmt)
            elif old.node.lineno != stmt.node.lineno:
                self._move_inner_functions(stmt, old)
        live.setdefault("__doc__", None)

    def _move_inner_functions(self, stmt: Stmt, old: Stmt) -> None:
        """Functions an unchanged, moved statement defined take their new lines.

        ``if DEBUG: def log(...)``: the statement does not run again, but
        tracebacks through ``log`` must point where it is now.
        """
        olds = [n for n in module_scope(old.node) if isinstance(n, _DEF_NODES)]
        if not olds:
            return
        news = [n for n in module_scope(stmt.node) if isinstance(n, _DEF_NODES)]
        codes = self.new.codes(stmt, self.filename)
        for before, after in zip(olds, news, strict=False):
            func = self._old_function(
                before.name, first_line(before), self.live.get(before.name)
            )
            code = codes.get((after.name, first_line(after)))
            if (
                func is not None
                and code is not None
                and code.co_freevars == func.__code__.co_freevars
            ):
                self._patch(func, code, None, after.name)  # nothing if equal

    def _reads_change(self, stmt: Stmt) -> bool:
        changes = self.changes
        seen = changes.rebound if stmt.call_only else changes.any_of()
        if stmt.reads & seen:
            return True
        for name, module in self._module_names:
            if name not in stmt.reads:
                continue
            up = self.upstream.get(module)
            if not up:
                continue
            if name in stmt.plain:
                return True  # the module object itself: all of its names
            attrs = {a for n, a in stmt.attrs if n == name}
            seen_up = up.rebound if stmt.call_only else up.any_of()
            if attrs & seen_up:
                return True
        return False

    @functools.cached_property
    def _module_names(self) -> list[tuple[str, str]]:
        """``(bound name, module)`` of the version's ``import m`` statements."""
        if not self.upstream:
            return []
        return [
            (bound, self.txn.absolute(target, 0))
            for stmt in self.new.statements
            for bound, target in stmt.module_names
        ]

    def _from_upstream(self) -> tuple[set[int], Changes]:
        """Import statements taking a name that changed upstream, and those names.

        Returns the statements to run again, and the names that changed.
        """
        forced: set[int] = set()
        seeded = Changes()
        for stmt in self.new.statements if self.upstream else ():
            for module, level, attr, bound in stmt.imports:
                up = self.upstream.get(self.txn.absolute(module, level))
                if up is None:
                    continue
                if attr in up.rebound:
                    forced.add(stmt.index)
                    seeded.rebound.add(bound)
                elif attr in up.rebuilt:
                    seeded.rebuilt.add(bound)
                elif attr in up.patched:
                    seeded.patched.add(bound)
        return forced, seeded

    def _remove_unbound(self) -> None:
        """Names only the old version bound leave the module before anything runs."""
        gone = self.old.binds() - self.new.binds()
        for name in sorted(gone):
            if name in self.live and self.txn.removable(name):
                del self.live[name]
                self.removed.append(name)
                self.changes.rebound.add(name)  # what reads it must fail now

    def _script_warnings(self, pairs: Mapping[int, Stmt]) -> None:
        """Say which of the script's other statements apply from its next start."""
        paired = {stmt.index for stmt in pairs.values()}
        added = [
            s for s in self.new.statements if s.kind == "other" and s.index not in pairs
        ]
        gone = [
            s
            for s in self.old.statements
            if s.kind == "other" and s.index not in paired
        ]
        for stmt in added:
            self.txn.warnings.append(
                f"line {stmt.node.lineno}: a changed top-level statement of the "
                f"script {SCRIPT_WARNING}"
            )
        for stmt in gone[len(added) :]:
            self.txn.warnings.append(
                f"a removed top-level statement of the script (line "
                f"{stmt.node.lineno} before) {SCRIPT_WARNING}"
            )

    # -- statements ----------------------------------------------------------

    def _compile(self, nodes: list[ast.stmt]) -> types.CodeType:
        return self.new.compile_statements(nodes, self.filename)

    def _run_statement(self, stmt: Stmt) -> None:
        live = self.live
        before = {name: live.get(name, MISSING) for name in stmt.binds}
        code = self._compile([stmt.node])
        self.ran += 1
        self.bound |= stmt.binds
        with self.txn.class_hook():
            exec(code, live)
        for name, old in before.items():
            new = live.get(name, MISSING)
            if new is old:
                continue
            if new is MISSING:
                self.changes.rebound.add(name)
                continue
            if old is not MISSING:
                value = self.txn.merge(old, new, name)
                if value is not new:
                    live[name] = value
                new = value
                self._lambda_warning(name, old, new)
            if new is not old:
                self.changes.rebound.add(name)

    def _lambda_warning(self, name: str, old: object, new: object) -> None:
        if (
            isinstance(old, types.FunctionType)
            and isinstance(new, types.FunctionType)
            and old.__name__ == "<lambda>"
            and old.__globals__ is self.live
            and not same_code(old.__code__, new.__code__)
        ):
            self.txn.warnings.append(
                f"{name}: a lambda cannot be updated in place; references held "
                "elsewhere keep the old code"
            )

    # -- functions -----------------------------------------------------------

    def _def(self, stmt: Stmt, old: Stmt | None) -> None:
        if old is None:
            self._run_def(stmt, None)
            return
        changes = self.changes
        if stmt.reads & (changes.rebound | changes.rebuilt):
            self._run_def(stmt, old)
            return
        same = old.same_text(stmt)  # the same source first: no trees compared
        if not same and (
            old.decorators != stmt.decorators
            or (stmt.decorated and old.signature != stmt.signature)
        ):
            self._run_def(stmt, old)
            return
        if same and old.line == stmt.line:
            return  # unchanged, and where it was
        func = self._old_function(stmt.name, old.line, self.txn.snapshot.get(stmt.name))
        if func is None:
            if not same:
                self._run_def(stmt, old)
            return
        code = self.new.codes(stmt, self.filename).get((stmt.name, stmt.line))
        if code is None or code.co_freevars != func.__code__.co_freevars:
            self._run_def(stmt, old)
            return
        values = None
        if not same and old.signature != stmt.signature:
            values = self._signature_values(stmt.node, {})
        if self._patch(func, code, values, stmt.name):
            self._clear_caches(self.live.get(stmt.name))
            self.changes.patched.add(stmt.name)

    def _run_def(self, stmt: Stmt, old: Stmt | None) -> None:
        """Run a ``def`` whose decorators must run again, keeping its function."""
        node = stmt.node
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        self.ran += 1
        self.bound |= stmt.binds
        live = self.live
        previous = live.get(stmt.name, MISSING)
        decorators = [self._eval(d) for d in node.decorator_list]
        bare = _undecorated(node)
        scratch: dict[str, Any] = {}
        exec(self._compile([bare]), live, scratch)
        new = scratch[stmt.name]
        kept = new
        if old is not None:
            func = self._old_function(
                stmt.name, old.line, None if previous is MISSING else previous
            )
            if func is not None:
                self._first_lines.setdefault(id(func), func.__code__.co_firstlineno)
                kept = self.txn.merge(func, new, stmt.name)
                if kept is func and not same_code(func.__code__, new.__code__):
                    self.changes.patched.add(stmt.name)
            elif previous is not MISSING and decorators:
                self.txn.warnings.append(
                    f"{stmt.name}: the function behind its decorators could not "
                    "be found; references held elsewhere keep the old code"
                )
        value: Any = kept
        if decorators:
            registration = frameworks.before_definition(kept, decorators)
            self.txn.undo.append(registration.undo)
            try:
                for decorator in reversed(decorators):
                    value = decorator(value)
            finally:
                registration.finish()
        live[stmt.name] = value
        if value is not previous:
            if previous is not MISSING and not decorators:
                merged = self.txn.merge(previous, value, stmt.name)
                if merged is not value:
                    live[stmt.name] = value = merged
            if value is not previous:
                self.changes.rebound.add(stmt.name)
                if previous is not MISSING and old is not None:
                    self._held_warning(stmt.name, previous, kept)

    def _held_warning(self, name: str, previous: object, kept: object) -> None:
        """Say that what was bound before stays as it was where it is held."""
        self._clear_caches(previous)  # it calls the kept function: no old results
        what = (
            "the undecorated function"
            if previous is kept
            else "the old wrapper, emptied of cached results,"
            if hasattr(previous, "cache_clear")
            else "the object its old decorators made"
        )
        self.txn.warnings.append(
            f"{name}: its decorators made a new object; references held elsewhere "
            f"keep {what} (running the new code)"
        )

    def _eval(self, node: ast.expr) -> Any:
        expr = ast.Expression(body=node)
        code = compile(
            expr, self.filename, "eval", flags=self.new.flags, dont_inherit=True
        )
        return eval(code, self.live)

    def _signature_values(
        self, node: ast.stmt, local_ns: dict[str, Any]
    ) -> tuple[Any, Any, dict[str, Any]]:
        """Defaults, keyword defaults and annotations of a ``def``, evaluated."""
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        scratch = dict(local_ns)
        exec(self._compile([_undecorated(node)]), self.live, scratch)
        func = scratch[node.name]
        return func.__defaults__, func.__kwdefaults__, dict(func.__annotations__)

    def _patch(
        self,
        func: types.FunctionType,
        code: types.CodeType,
        values: tuple[Any, Any, dict[str, Any]] | None,
        qualname: str,
    ) -> bool:
        """Give ``func`` new code (and signature values); whether it changed."""
        if func.__code__ == code and values is None:
            return False
        saved = (
            func.__code__,
            func.__defaults__,
            func.__kwdefaults__,
            func.__annotations__,
            func.__doc__,
        )

        def undo() -> None:
            (
                func.__code__,
                func.__defaults__,
                func.__kwdefaults__,
                func.__annotations__,
                func.__doc__,
            ) = saved

        self.txn.undo.append(undo)
        self._first_lines.setdefault(id(func), func.__code__.co_firstlineno)
        changed = not same_code(func.__code__, code)
        self.txn.follow_closures(func.__code__, code, qualname)
        func.__code__ = code
        func.__doc__ = docstring(code)
        if values is not None:
            defaults, kwdefaults, annotations = values
            changed = changed or defaults != func.__defaults__
            func.__defaults__ = defaults
            func.__kwdefaults__ = kwdefaults
            func.__annotations__ = annotations
        if changed:
            self.txn.updated.append(qualname)
        return changed

    def _clear_caches(self, value: object) -> None:
        """Empty the caches (``lru_cache``, ``cache``) wrapped around a function."""
        seen = 0
        while value is not None and seen < _SEARCH_DEPTH:
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()
            value = getattr(value, "__wrapped__", None)
            seen += 1

    def _old_function(
        self, qualname: str, line: int, bound: object
    ) -> types.FunctionType | None:
        """The live function object of the ``def`` at ``line`` named ``qualname``."""
        func = as_function(bound)
        if func is not None and self._is_ours(func, qualname, line):
            return func
        if self._index is None:
            self._index = function_index(
                self.txn.snapshot.values(), self.live, self._first_lines
            )
        # By its line too: several defs of one name (``if``/``else``
        # branches, ``@register def _``) are different functions.
        return self._index.get((qualname, line))

    def _is_ours(self, func: types.FunctionType, qualname: str, line: int) -> bool:
        first = self._first_lines.get(id(func), func.__code__.co_firstlineno)
        return (
            func.__globals__ is self.live
            and func.__qualname__ == qualname
            and first == line  # where it was in the live version
        )

    # -- classes -------------------------------------------------------------

    def _class(self, stmt: Stmt, old: Stmt | None) -> None:
        cls = self.txn.snapshot.get(stmt.name) if old is not None else None
        if (
            old is None
            or not isinstance(cls, type)
            or cls.__qualname__ != stmt.name
            or getattr(cls, "__module__", None) != self.txn.name
        ):
            self._run_class(stmt, None)
            return
        if (
            old.line == stmt.line
            and old.same_text(stmt)
            and not stmt.class_reads & (self.changes.rebound | self.changes.rebuilt)
        ):
            return  # unchanged, where it was, reading nothing that changed
        try:
            steps: list[Any] | None = self._method_plan(stmt, old, cls)
        except _RunClass:
            steps = None  # run outside the handler: no chained context
        if steps is None:
            self._run_class(stmt, cls)
            return
        for step in steps:
            step()
        if steps:
            self.txn.class_patched(cls)

    def _method_plan(self, stmt: Stmt, old: Stmt, cls: type) -> list[Any]:
        """The steps that patch ``cls`` method by method, or raise `_RunClass`."""
        changes = self.changes
        if old.header != stmt.header or old.others != stmt.others:
            raise _RunClass
        if stmt.class_reads & (changes.rebound | changes.rebuilt):
            raise _RunClass
        plain = frameworks.takes_plain_methods(type(cls))
        codes = self.new.codes(stmt, self.filename)
        steps: list[Any] = []
        by_name: dict[str, tuple[list[Method], list[Method]]] = {}
        for side, methods in ((0, old.methods), (1, stmt.methods)):
            for method in methods:
                by_name.setdefault(method.name, ([], []))[side].append(method)
        for name, (olds, news) in by_name.items():
            steps += self._name_plan(cls, name, olds, news, codes, plain)
        return steps

    def _name_plan(
        self,
        cls: type,
        name: str,
        olds: list[Method],
        news: list[Method],
        codes: Mapping[tuple[str, int], types.CodeType],
        plain: bool,
    ) -> list[Any]:
        """The steps for the methods of one name, or raise `_RunClass`."""
        steps = []
        for a, b in pair_defs(olds, news, lambda m: (m.decorators, m.signature)):
            if a.decorators != b.decorators:
                raise _RunClass
            if b.decorated and a.signature != b.signature:
                raise _RunClass
            steps.append(self._method_patch(cls, a, b, codes))
        extra = news[len(olds) :] or olds[len(news) :]
        if not extra:
            return steps
        if not plain or _dunder(name) or any(m.decorated for m in extra):
            raise _RunClass  # only plain methods come and go one by one
        if len(news) > len(olds):
            steps += [self._method_add(cls, m, codes) for m in extra]
        elif news:
            raise _RunClass  # one of several of a name goes away
        else:
            steps.append(functools.partial(self._method_remove, cls, name))
        return steps

    def _method_patch(
        self,
        cls: type,
        old: Method,
        new: Method,
        codes: Mapping[tuple[str, int], types.CodeType],
    ) -> Any:
        qualname = f"{cls.__qualname__}.{old.name}"
        func = self._old_function(qualname, old.line, vars(cls).get(old.name))
        code = codes.get((qualname, new.line))
        if (
            func is None
            or code is None
            or code.co_freevars != func.__code__.co_freevars
        ):
            if old.body == new.body and old.signature == new.signature:
                return _nothing
            raise _RunClass
        if new.reads & (self.changes.rebound | self.changes.rebuilt):
            raise _RunClass

        def step() -> None:
            values = None
            if old.signature != new.signature:
                values = self._signature_values(new.node, dict(vars(cls)))
            if self._patch(func, code, values, qualname):
                # Not a change of the class for its readers: DEFAULT = C()
                # keeps its object, which runs the new method.
                self._clear_caches(vars(cls).get(old.name))

        return step

    def _method_add(
        self,
        cls: type,
        method: Method,
        codes: Mapping[tuple[str, int], types.CodeType],
    ) -> Any:
        qualname = f"{cls.__qualname__}.{method.name}"
        code = codes.get((qualname, method.line))
        if code is None or set(code.co_freevars) - {"__class__"}:
            raise _RunClass

        def step() -> None:
            defaults, kwdefaults, annotations = self._signature_values(
                method.node, dict(vars(cls))
            )
            closure = tuple(
                types.CellType(cls) for _ in code.co_freevars
            )  # only __class__, for super()
            func = types.FunctionType(
                code, self.live, method.name, defaults, closure or None
            )
            func.__kwdefaults__ = kwdefaults
            func.__annotations__ = annotations
            func.__doc__ = docstring(code)
            self.txn.set_class_attr(cls, method.name, func)
            self.added.append(qualname)

        return step

    def _method_remove(self, cls: type, name: str) -> None:
        self.txn.del_class_attr(cls, name)
        self.removed.append(f"{cls.__qualname__}.{name}")

    def _run_class(self, stmt: Stmt, cls: type | None) -> None:
        if cls is not None:
            refusal = frameworks.refuse_rerun(cls)
            if refusal:
                raise RestartNeeded(cls, refusal)
            self.txn.fields_before(cls)
        before = self.live.get(stmt.name, MISSING)
        self.ran += 1
        self.bound |= stmt.binds
        node = stmt.node
        assert isinstance(node, ast.ClassDef)
        # The decorators are applied here, one by one, so that each gets the
        # kept class: a class rebuilt by one (``dataclass(slots=True)``) is
        # moved into the kept class before the next (a registry) sees it.
        decorators = [self._eval(d) for d in node.decorator_list]
        scratch: dict[str, Any] = {}
        with self.txn.class_hook():
            exec(self._compile([_undecorated(node)]), self.live, scratch)
        after = scratch[stmt.name]
        for decorator in reversed(decorators):
            result = decorator(after)
            if (
                cls is not None
                and result is not cls
                and isinstance(result, type)
                and result.__qualname__ == cls.__qualname__
            ):
                result = self.txn.merge(cls, result, stmt.name)
            after = result
        self.live[stmt.name] = after
        if after is not before:
            if before is not MISSING and after is not MISSING:
                merged = self.txn.merge(before, after, stmt.name)
                if merged is not after:
                    self.live[stmt.name] = after = merged
            if after is not before:
                self.changes.rebound.add(stmt.name)
                return
        if cls is not None and cls not in self.txn.rebuilt:
            # Its decorators (dataclass, attrs) worked on the kept class itself.
            fields = self.txn.fields_before(cls)
            self.txn.warnings += frameworks.rebuild(cls, cls, fields)
        self.changes.rebuilt.add(stmt.name)


def _nothing() -> None:
    return None


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _undecorated(node: _Def) -> _Def:
    """A copy of a ``def`` or ``class`` statement whose decorators do nothing.

    One decorator is left, ``(lambda obj: obj)`` where the first one was: the
    code the statement makes must start at that line, as it does when the
    whole module is compiled (a function is found again by its first line).
    """
    bare = copy.copy(node)
    if node.decorator_list:
        first = node.decorator_list[0]
        arg = ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg="obj")],
            kwonlyargs=[],
            kw_defaults=[],
            defaults=[],
        )
        same = ast.Lambda(args=arg, body=ast.Name(id="obj", ctx=ast.Load()))
        ast.copy_location(same, first)
        bare.decorator_list = [ast.fix_missing_locations(same)]
    return bare
