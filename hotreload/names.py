"""What a statement reads and binds at module level, read off its syntax tree.

A statement "reads" the names it looks up when it runs (a ``def`` reads its
decorators, defaults and annotations, not its body; a class its header and
the statements of its body) and "binds" the module-level names it assigns.
``plan`` summarises each statement of a version with them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Final

__all__ = ["OPAQUE_CALLS", "Binds", "Reads"]

# Calls at module level that read or bind names the engine cannot see.
OPAQUE_CALLS: Final = frozenset({"exec", "eval", "globals", "vars", "locals"})

_DEFS: Final = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES: Final = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


class Reads:
    """The names a statement reads while it runs (not inside function bodies)."""

    def __init__(self, deferred: bool) -> None:
        self.deferred = deferred  # ``from __future__ import annotations``
        self.plain: set[str] = set()
        self.attrs: set[tuple[str, str]] = set()
        self.opaque = False

    @property
    def names(self) -> set[str]:
        return self.plain | {name for name, _ in self.attrs}

    def merge(self, other: Reads) -> None:
        self.plain |= other.plain
        self.attrs |= other.attrs
        self.opaque = self.opaque or other.opaque

    def expr(self, node: ast.AST | None) -> None:
        if node is None:
            return
        for sub in _walk_runtime(node):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                if isinstance(sub.value.ctx, ast.Load):
                    self.attrs.add((sub.value.id, sub.attr))
            elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                if not getattr(sub, "_hotreload_attr_base", False):
                    self.plain.add(sub.id)
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
                if sub.func.id in OPAQUE_CALLS:
                    self.opaque = True
            elif isinstance(sub, _DEFS):
                self.definition(sub)
            elif isinstance(sub, ast.ClassDef):
                self.class_header(sub)
                for item in sub.body:
                    if isinstance(item, _DEFS):
                        self.definition(item)
                    else:
                        self.statement(item)
            elif isinstance(sub, ast.Lambda):
                self.arguments(sub.args, annotations=False)

    def statement(self, node: ast.stmt) -> None:
        self.expr(node)

    def arguments(self, args: ast.arguments, *, annotations: bool) -> None:
        for default in [*args.defaults, *args.kw_defaults]:
            self.expr(default)
        if annotations and not self.deferred:
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
            every += [a for a in (args.vararg, args.kwarg) if a is not None]
            for arg in every:
                self.expr(arg.annotation)

    def definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.expr(decorator)
        self.arguments(node.args, annotations=True)
        if not self.deferred:
            self.expr(node.returns)

    def class_header(self, node: ast.ClassDef) -> None:
        for part in [*node.decorator_list, *node.bases]:
            self.expr(part)
        for keyword in node.keywords:
            self.expr(keyword.value)


def _walk_runtime(node: ast.AST) -> Iterator[ast.AST]:
    """Walk what runs now: not function bodies, lambda bodies or class bodies.

    Names that are the ``m`` of ``m.attr`` are tagged so that ``_Reads`` can
    tell a read of an attribute from a read of the module object itself.
    """
    stack = [node]
    while stack:
        sub = stack.pop()
        yield sub
        if sub is not node and isinstance(sub, _SCOPES):
            continue  # _Reads reads their definition-time parts itself
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
            sub.value._hotreload_attr_base = True  # type: ignore[attr-defined]
        stack.extend(reversed(list(ast.iter_child_nodes(sub))))


class Binds(ast.NodeVisitor):
    """The module-level names a (non-definition) statement binds."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.star = False
        self.imports: list[tuple[str, int, str, str]] = []
        self.module_names: list[tuple[str, str]] = []

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store | ast.Del):
            self.names.add(node.id)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.names.add(node.name)  # a def inside an if: its body is not ours

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.names.add(node.name)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.names.add(node.name)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        return

    def _comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
    ) -> None:
        # Their targets are their own; only a walrus inside binds outside.
        for sub in ast.walk(node):
            if isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
                self.names.add(sub.target.id)

    visit_ListComp = _comprehension
    visit_SetComp = _comprehension
    visit_DictComp = _comprehension
    visit_GeneratorExp = _comprehension

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.names.add(node.name)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self.names.add(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.names.add(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self.names.add(node.rest)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.names.update(node.names)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.names.add(alias.asname)
                self.module_names.append((alias.asname, alias.name))
            else:
                top = alias.name.partition(".")[0]
                self.names.add(top)
                self.module_names.append((top, top))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.star = True
                continue
            bound = alias.asname or alias.name
            self.names.add(bound)
            self.imports.append((node.module or "", node.level, alias.name, bound))
