"""Comparing two versions of a module, statement by statement (DESIGN item 12).

A version is parsed once (and cached by content): each top-level statement
is summarised by what it is (a ``def``, a ``class`` or anything else), its
text without line numbers or comments, the names it binds and the names it
reads *when it runs* (a ``def`` reads its decorators, defaults and
annotations, not its body). ``match`` pairs the statements of two versions;
the engine's incremental runner then decides, in source order, what runs.
"""

from __future__ import annotations
import __future__

import ast
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from types import CodeType
from typing import Final, Literal, TypeVar

__all__ = [
    "OPAQUE_CALLS",
    "Method",
    "Stmt",
    "Version",
    "code_index",
    "match",
    "pair_defs",
    "parse_version",
]

# Calls at module level that read or bind names the engine cannot see.
OPAQUE_CALLS: Final = frozenset({"exec", "eval", "globals", "vars", "locals"})

Kind = Literal["def", "class", "other"]
_T = TypeVar("_T")
_DEFS: Final = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES: Final = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass(frozen=True, slots=True)
class Method:
    """A ``def`` directly in a class body."""

    name: str
    decorators: str
    signature: str
    body: str
    reads: frozenset[str]
    line: int  # the line its code object starts at (its first decorator's)
    node: ast.FunctionDef | ast.AsyncFunctionDef

    @property
    def decorated(self) -> bool:
        return self.decorators != "[]"


@dataclass(slots=True)
class Stmt:
    """One top-level statement of a version."""

    index: int
    node: ast.stmt
    kind: Kind
    text: str
    name: str = ""  # the name a def or class binds
    decorators: str = ""  # def and class
    signature: str = ""  # def: arguments and return annotation
    body: str = ""  # def: its body
    header: str = ""  # class: bases, keywords, decorators
    line: int = 0  # def: the line its code object starts at
    binds: frozenset[str] = frozenset()
    # Names read when the statement runs; `attrs` are ``name.attr`` reads,
    # `plain` the names read otherwise (for cascades through ``import m``).
    reads: frozenset[str] = frozenset()
    plain: frozenset[str] = frozenset()
    attrs: frozenset[tuple[str, str]] = frozenset()
    call_only: bool = False  # ``register(hook)``: run for its effect alone
    opaque: bool = False  # exec/eval/globals()/vars()/locals() at module level
    star: bool = False  # ``from m import *``
    # ``from m import a as b``: (absolute-or-relative module, level, a, b).
    imports: tuple[tuple[str, int, str, str], ...] = ()
    # ``import a.b as c`` binds c to a.b; ``import a.b`` binds a to a.
    module_names: tuple[tuple[str, str], ...] = ()
    # class: the body's non-method statements, in order, and its methods.
    others: tuple[str, ...] = ()
    methods: tuple[Method, ...] = ()
    class_reads: frozenset[str] = frozenset()  # header and body, at definition

    @property
    def decorated(self) -> bool:
        return self.decorators not in ("", "[]")


@dataclass(slots=True)
class Version:
    """A parsed version of a module's source."""

    source: bytes
    digest: bytes
    tree: ast.Module
    statements: list[Stmt]
    flags: int  # the ``from __future__`` compiler flags in force
    annotations_deferred: bool
    code: CodeType | None = None
    _codes: dict[tuple[str, int], CodeType] | None = field(default=None, repr=False)

    @property
    def opaque(self) -> bool:
        """Whether some statement reads or binds names the engine cannot see."""
        return any(s.opaque for s in self.statements)

    def compiled(self, filename: str) -> CodeType:
        """The whole version compiled (raises what ``compile`` raises)."""
        if self.code is None or self.code.co_filename != filename:
            self.code = compile(
                self.tree, filename, "exec", flags=self.flags, dont_inherit=True
            )
            self._codes = None
        return self.code

    def codes(self, filename: str) -> dict[tuple[str, int], CodeType]:
        """Every function and class-body code object, by qualname and line."""
        if self._codes is None:
            self._codes = code_index(self.compiled(filename))
        return self._codes

    def binds(self) -> set[str]:
        names: set[str] = set()
        for stmt in self.statements:
            names |= stmt.binds
        return names


def code_index(code: CodeType) -> dict[tuple[str, int], CodeType]:
    """Index the code objects nested in ``code`` by (qualname, first line)."""
    index: dict[tuple[str, int], CodeType] = {}
    stack = [c for c in code.co_consts if isinstance(c, CodeType)]
    while stack:
        inner = stack.pop()
        index.setdefault((inner.co_qualname, inner.co_firstlineno), inner)
        stack.extend(c for c in inner.co_consts if isinstance(c, CodeType))
    return index


# -- parsing, cached by content ------------------------------------------------

_CACHE_SIZE: Final = 256
_cache: OrderedDict[tuple[bytes, str], Version | Exception] = OrderedDict()
_cache_lock = threading.Lock()


def parse_version(source: bytes, filename: str) -> Version:
    """Parse ``source`` into a `Version` (cached by content and file name).

    Raises what ``ast.parse`` raises: ``SyntaxError``, ``ValueError`` (NUL
    bytes), ``RecursionError`` or ``MemoryError`` (deeply nested code).
    """
    digest = hashlib.blake2b(source, digest_size=16).digest()
    key = (digest, filename)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            if isinstance(found, Exception):
                raise found.with_traceback(None)
            return found
    try:
        tree = ast.parse(source, filename)
        flags, deferred = _future_flags(tree)
        version: Version | Exception = Version(
            source=source,
            digest=digest,
            tree=tree,
            statements=[_summarise(i, n, deferred) for i, n in enumerate(tree.body)],
            flags=flags,
            annotations_deferred=deferred,
        )
    except Exception as exc:  # SyntaxError, ValueError, RecursionError, MemoryError
        # Kept too: a broken module costs nothing the next time it is seen.
        version = exc
    with _cache_lock:
        _cache[key] = version
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    if isinstance(version, Exception):
        raise version
    return version


def _future_flags(tree: ast.Module) -> tuple[int, bool]:
    flags = 0
    deferred = False
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring may come first
        if not (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
            break
        for alias in node.names:
            feature = getattr(__future__, alias.name, None)
            if isinstance(feature, __future__._Feature):
                flags |= feature.compiler_flag
            deferred = deferred or alias.name == "annotations"
    return flags, deferred


def _dump(node: ast.AST | Sequence[ast.AST] | None) -> str:
    if node is None:
        return ""
    if not isinstance(node, ast.AST):
        return "[" + ", ".join(ast.dump(n) for n in node) + "]"
    return ast.dump(node)


def _first_line(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int:
    return min([node.lineno] + [d.lineno for d in node.decorator_list])


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    params = getattr(node, "type_params", None)
    return _dump(node.args) + "->" + _dump(node.returns) + _dump(params or [])


def _summarise(index: int, node: ast.stmt, deferred: bool) -> Stmt:
    reads = _Reads(deferred)
    if isinstance(node, _DEFS):
        reads.definition(node)
        return Stmt(
            index=index,
            node=node,
            kind="def",
            text=ast.dump(node),
            name=node.name,
            decorators=_dump(node.decorator_list),
            signature=_signature(node),
            body=_dump(node.body),
            line=_first_line(node),
            binds=frozenset({node.name}),
            reads=frozenset(reads.names),
            plain=frozenset(reads.plain),
            attrs=frozenset(reads.attrs),
            opaque=reads.opaque,
        )
    if isinstance(node, ast.ClassDef):
        reads.class_header(node)
        header_reads = set(reads.names)
        methods: list[Method] = []
        others: list[str] = []
        for item in node.body:
            if isinstance(item, _DEFS):
                method_reads = _Reads(deferred)
                method_reads.definition(item)
                reads.merge(method_reads)
                methods.append(
                    Method(
                        name=item.name,
                        decorators=_dump(item.decorator_list),
                        signature=_signature(item),
                        body=_dump(item.body),
                        reads=frozenset(method_reads.names),
                        line=_first_line(item),
                        node=item,
                    )
                )
            else:
                others.append(ast.dump(item))
                reads.statement(item)
        header = "|".join(
            [
                _dump(node.bases),
                _dump(node.keywords),
                _dump(node.decorator_list),
                _dump(getattr(node, "type_params", None) or []),
            ]
        )
        return Stmt(
            index=index,
            node=node,
            kind="class",
            text=ast.dump(node),
            name=node.name,
            decorators=_dump(node.decorator_list),
            header=header,
            line=_first_line(node),
            binds=frozenset({node.name}),
            reads=frozenset(header_reads),
            plain=frozenset(reads.plain),
            attrs=frozenset(reads.attrs),
            opaque=reads.opaque,
            others=tuple(others),
            methods=tuple(methods),
            class_reads=frozenset(reads.names),
        )
    reads.statement(node)
    binds = _Binds()
    binds.visit(node)
    value = node.value if isinstance(node, ast.Expr) else None
    if isinstance(value, ast.Await):
        value = value.value
    return Stmt(
        index=index,
        node=node,
        kind="other",
        text=ast.dump(node),
        binds=frozenset(binds.names),
        reads=frozenset(reads.names),
        plain=frozenset(reads.plain),
        attrs=frozenset(reads.attrs),
        call_only=isinstance(value, ast.Call),
        opaque=reads.opaque,
        star=binds.star,
        imports=tuple(binds.imports),
        module_names=tuple(binds.module_names),
    )


class _Reads:
    """The names a statement reads while it runs (not inside function bodies)."""

    def __init__(self, deferred: bool) -> None:
        self.deferred = deferred  # ``from __future__ import annotations``
        self.plain: set[str] = set()
        self.attrs: set[tuple[str, str]] = set()
        self.opaque = False

    @property
    def names(self) -> set[str]:
        return self.plain | {name for name, _ in self.attrs}

    def merge(self, other: _Reads) -> None:
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


class _Binds(ast.NodeVisitor):
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


# -- pairing the statements of two versions ----------------------------------


def match(old: Version, new: Version) -> dict[int, Stmt]:
    """Pair each statement of ``new`` with its statement in ``old``, if any.

    Definitions pair by kind and name (several of one name by decorators and
    signature, then by order); other statements by their exact text, in
    order. Returns ``{index in new: the old statement}``.
    """
    pairs: dict[int, Stmt] = {}
    groups: dict[tuple[str, str], tuple[list[Stmt], list[Stmt]]] = {}
    for version, side in ((old, 0), (new, 1)):
        for stmt in version.statements:
            key = (stmt.kind, stmt.name) if stmt.kind != "other" else ("", stmt.text)
            groups.setdefault(key, ([], []))[side].append(stmt)
    for (kind, _), (olds, news) in groups.items():
        if not olds or not news:
            continue
        if not kind:
            for a, b in zip(olds, news, strict=False):
                pairs[b.index] = a
            continue
        for a, b in pair_defs(olds, news, _def_key):
            pairs[b.index] = a
    return pairs


def _def_key(stmt: Stmt) -> tuple[str, str]:
    return (stmt.decorators, stmt.signature if stmt.kind == "def" else stmt.header)


def pair_defs(
    olds: list[_T], news: list[_T], key: Callable[[_T], Hashable]
) -> list[tuple[_T, _T]]:
    """Pair definitions of one name: equal keys first, then the rest by order."""
    left = list(olds)
    paired: list[tuple[_T, _T]] = []
    rest: list[_T] = []
    for item in news:
        k = key(item)
        for n, candidate in enumerate(left):
            if key(candidate) == k:
                paired.append((left.pop(n), item))
                break
        else:
            rest.append(item)
    paired.extend(zip(left, rest, strict=False))
    return paired
