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
import importlib.util
import operator
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from types import CodeType
from typing import Any, Final, Literal, TypeVar, cast

from hotreload.names import Binds, Reads

__all__ = [
    "Method",
    "Stmt",
    "Version",
    "code_index",
    "first_line",
    "match",
    "module_scope",
    "pair_defs",
    "parse_version",
]


Kind = Literal["def", "class", "other"]
_T = TypeVar("_T")
_DEFS: Final = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES: Final = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass(slots=True)
class Method:
    """A ``def`` directly in a class body."""

    name: str
    reads: frozenset[str]
    line: int  # the line its code object starts at (its first decorator's)
    node: ast.FunctionDef | ast.AsyncFunctionDef
    # Digests of its parts, made when first asked for (shared by the copies
    # of one summary: the same text has the same digests).
    digests: dict[str, str] = field(default_factory=dict)

    @property
    def decorators(self) -> str:
        return _part(self.digests, "decorators", self.node.decorator_list)

    @property
    def signature(self) -> str:
        if "signature" not in self.digests:
            self.digests["signature"] = _signature(self.node)
        return self.digests["signature"]

    @property
    def body(self) -> str:
        return _part(self.digests, "body", self.node.body)

    @property
    def decorated(self) -> bool:
        return bool(self.node.decorator_list)


@dataclass(slots=True)
class Stmt:
    """One top-level statement of a version."""

    index: int
    node: ast.stmt
    kind: Kind
    # A digest of its source text (and place on its line): the same segment
    # means the same statement, with no need to compare trees.
    segment: bytes = b""
    name: str = ""  # the name a def or class binds
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
    methods: tuple[Method, ...] = ()  # class: its defs
    class_reads: frozenset[str] = frozenset()  # header and body, at definition
    # Digests of the tree and its parts, made when first asked for: what
    # the statement is, whatever its lines and comments.
    digests: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return _part(self.digests, "text", self.node)

    @property
    def decorators(self) -> str:
        return _part(self.digests, "decorators", _decorators(self.node))

    @property
    def signature(self) -> str:
        if "signature" not in self.digests:
            node = self.node
            assert isinstance(node, _DEFS)
            self.digests["signature"] = _signature(node)
        return str(self.digests["signature"])

    @property
    def body(self) -> str:
        node = self.node
        assert isinstance(node, _DEFS)
        return _part(self.digests, "body", node.body)

    @property
    def header(self) -> str:
        """A class's bases, keywords, decorators and type parameters."""
        if "header" not in self.digests:
            node = self.node
            assert isinstance(node, ast.ClassDef)
            self.digests["header"] = "|".join(
                [
                    _dump(node.bases),
                    _dump(node.keywords),
                    _dump(node.decorator_list),
                    _dump(getattr(node, "type_params", None) or []),
                ]
            )
        return str(self.digests["header"])

    @property
    def others(self) -> tuple[str, ...]:
        """A class body's statements other than its defs, in order."""
        if "others" not in self.digests:
            node = self.node
            assert isinstance(node, ast.ClassDef)
            self.digests["others"] = tuple(
                _dump(item) for item in node.body if not isinstance(item, _DEFS)
            )
        found: tuple[str, ...] = self.digests["others"]
        return found

    @property
    def decorated(self) -> bool:
        return bool(_decorators(self.node))

    def same_text(self, other: Stmt) -> bool:
        """Whether ``other`` is the same statement (lines and comments aside)."""
        return self.segment == other.segment or self.text == other.text


def _decorators(node: ast.stmt) -> list[ast.expr]:
    return getattr(node, "decorator_list", None) or []


def _part(digests: dict[str, Any], name: str, node: Any) -> str:
    if name not in digests:
        digests[name] = _dump(node)
    return str(digests[name])


@dataclass(slots=True)
class Version:
    """A parsed version of a module's source."""

    source: bytes
    digest: bytes
    tree: ast.Module
    statements: list[Stmt]
    flags: int  # the ``from __future__`` compiler flags in force
    annotations_deferred: bool
    lines: list[str] = field(default_factory=list, repr=False)  # decoded source
    code: CodeType | None = None
    _codes: dict[int, dict[tuple[str, int], CodeType]] = field(
        default_factory=dict, repr=False
    )
    _context: list[ast.stmt] | None = field(default=None, repr=False)

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
        return self.code

    def compile_statements(self, nodes: list[ast.stmt], filename: str) -> CodeType:
        """Compile some statements of this version as the whole module would.

        The compiler makes ``m.f()`` different bytecode when ``m`` is bound
        by an import anywhere in the module; the version's imports are put
        before the statements in a branch that never runs, so that the code
        is the same as in the whole module's, and compares equal to it.
        """
        module = ast.Module(body=[*self._import_context(), *nodes], type_ignores=[])
        code: CodeType = compile(
            module, filename, "exec", flags=self.flags, dont_inherit=True
        )
        return code

    def _import_context(self) -> list[ast.stmt]:
        if self._context is None:
            imports: list[ast.stmt] = [
                node
                for top in self.tree.body
                for node in _statements(top)
                if isinstance(node, ast.Import | ast.ImportFrom)
                and getattr(node, "module", None) != "__future__"
            ]
            self._context = []
            if imports:
                never = ast.If(test=ast.Constant(False), body=imports, orelse=[])
                ast.copy_location(never, imports[0])
                self._context = [ast.fix_missing_locations(never)]
        return self._context

    def codes(self, stmt: Stmt, filename: str) -> dict[tuple[str, int], CodeType]:
        """The function and class-body code objects of one statement.

        By qualname and first line; compiled on its own, as only the
        statements an edit touched need their code.
        """
        found = self._codes.get(stmt.index)
        if found is None or _filename(found) != filename:
            code = self.compile_statements([stmt.node], filename)
            found = self._codes[stmt.index] = code_index(code)
        return found

    def binds(self) -> set[str]:
        names: set[str] = set()
        for stmt in self.statements:
            names |= stmt.binds
        return names


def _statements(node: ast.stmt) -> Iterator[ast.stmt]:
    """``node`` and the statements in its blocks, not in functions or classes."""
    yield node
    if isinstance(node, _SCOPES):
        return
    for name in ("body", "orelse", "finalbody", "handlers", "cases"):
        for child in getattr(node, name, ()):
            if isinstance(child, ast.stmt):
                yield from _statements(child)
            else:  # an except handler or a match case holds a body
                for inner in getattr(child, "body", ()):
                    yield from _statements(inner)


def module_scope(node: ast.AST) -> Iterator[ast.AST]:
    """``node`` and what it holds, but not the bodies of functions and classes."""
    yield node
    if not isinstance(node, _SCOPES):
        for child in ast.iter_child_nodes(node):
            yield from module_scope(child)


def _filename(codes: dict[tuple[str, int], CodeType]) -> str | None:
    return next((c.co_filename for c in codes.values()), None)


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

_CACHE_SIZE: Final = 32
_cache: OrderedDict[tuple[bytes, str], Version | Exception] = OrderedDict()
_cache_lock = threading.Lock()


def parse_version(source: bytes, filename: str, base: Version | None = None) -> Version:
    """Parse ``source`` into a `Version` (cached by content and file name).

    With ``base`` (the version running now), only the lines from the first
    one that differs are parsed again, and only those up to the last one
    that differs when the edit kept the number of lines: the statements
    before (and after) are the base's. Whatever that cannot be sure of is
    parsed whole.

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
        lines = _lines(source)
        tree = _reparse(base, lines, filename) if base and lines else None
        if tree is None:
            tree = ast.parse(source, filename)  # its own errors for bad bytes
        flags, deferred = _future_flags(tree, filename)
        version: Version | Exception = Version(
            source=source,
            digest=digest,
            tree=tree,
            statements=[
                _summary(i, node, deferred, lines) for i, node in enumerate(tree.body)
            ],
            flags=flags,
            annotations_deferred=deferred,
            lines=lines,
        )
    except Exception as exc:  # SyntaxError, ValueError, RecursionError, MemoryError
        # Kept too (without the frames it was raised in): a broken module
        # costs nothing the next time it is seen.
        version = exc.with_traceback(None)
    with _cache_lock:
        _cache[key] = version
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    if isinstance(version, Exception):
        raise version
    return version


def _reparse(base: Version, lines: list[str], filename: str) -> ast.Module | None:
    """``base``'s tree with the statements an edit touched parsed anew.

    None when that cannot be done safely (the edit reaches into a statement
    of the base it does not contain: an ``else:`` added to an ``if``, a
    bracket left open): then the whole source is parsed.
    """
    old = base.lines
    if not old or base.flags & ~_PARSE_NEUTRAL:
        return None
    prefix, suffix = _common_ends(old, lines)
    if prefix == len(old) == len(lines):
        return None  # no line differs: nothing to gain
    same_length = len(old) == len(lines)
    kept_before = [
        stmt.node
        for stmt in base.statements
        if (stmt.node.end_lineno or stmt.node.lineno) <= prefix
    ]
    start = (kept_before[-1].end_lineno or 0) + 1 if kept_before else 1
    kept_after: list[ast.stmt] = []
    stop = len(lines)  # the last line to parse (1-based, new numbering)
    if same_length:
        last_changed = len(lines) - suffix
        for stmt in base.statements:
            first = _line_of(stmt.node)
            if first > last_changed and first >= start:
                kept_after.append(stmt.node)
        if kept_after:
            stop = _line_of(kept_after[0]) - 1
    region = "\n".join(lines[start - 1 : stop])
    try:
        part = ast.parse(region, filename)
    except Exception:  # SyntaxError and friends: the whole source tells best
        return None
    ast.increment_lineno(part, start - 1)
    if part.body and (part.body[-1].end_lineno or 0) > stop:
        return None
    return ast.Module(body=[*kept_before, *part.body, *kept_after], type_ignores=[])


def _lines(source: bytes) -> list[str]:
    """The decoded lines of a source, as the parser numbers them ([] if bad)."""
    try:
        return _decode(source).split("\n")
    except (UnicodeDecodeError, SyntaxError, LookupError):
        return []


def _decode(source: bytes) -> str:
    """``importlib.util.decode_source``, without its tokenizer for plain UTF-8.

    A source with no encoding cookie in its first two lines is UTF-8 (a BOM
    is dropped); newlines are made universal, as the parser sees them.
    """
    head = source[: source.find(b"\n", source.find(b"\n") + 1) + 1 or None]
    if b"coding" in head:
        return importlib.util.decode_source(source)
    text = source.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _common_ends(old: list[str], new: list[str]) -> tuple[int, int]:
    """How many lines two versions share at their start, and then at their end."""
    prefix = 0
    for a, b in zip(old, new, strict=False):
        if a != b:
            break
        prefix += 1
    suffix = 0
    room = min(len(old), len(new)) - prefix
    for a, b in zip(reversed(old), reversed(new), strict=False):
        if a != b or suffix >= room:
            break
        suffix += 1
    return prefix, suffix


# Future features that change nothing about how a statement parses.
_PARSE_NEUTRAL: Final = __future__.annotations.compiler_flag | sum(
    getattr(__future__, name).compiler_flag
    for name in (
        "division",
        "absolute_import",
        "with_statement",
        "print_function",
        "unicode_literals",
        "generator_stop",
        "nested_scopes",
        "generators",
    )
)


def _line_of(node: ast.stmt) -> int:
    if isinstance(node, (*_DEFS, ast.ClassDef)):
        return first_line(node)
    return node.lineno


def _future_flags(tree: ast.Module, filename: str) -> tuple[int, bool]:
    """The ``from __future__`` flags of a module, checked as the compiler would.

    Statements are compiled one by one, and only the compiler of a whole
    module knows that a future import must come first: it is checked here.
    """
    flags = 0
    deferred = False
    leading = True
    for n, node in enumerate(tree.body):
        docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not future:
            leading = leading and docstring and n == 0
            continue
        if not leading:
            raise SyntaxError(
                "from __future__ imports must occur at the beginning of the file",
                (filename, node.lineno, node.col_offset + 1, None),
            )
        assert isinstance(node, ast.ImportFrom)
        for alias in node.names:
            feature = getattr(__future__, alias.name, None)
            if isinstance(feature, __future__._Feature):
                flags |= feature.compiler_flag
            deferred = deferred or alias.name == "annotations"
    return flags, deferred


# Summaries of statements by their source text: an edit re-analyses only
# the statements it touched (``ast.dump`` of a large module costs more than
# parsing it).
_SUMMARY_CACHE_SIZE: Final = 512
_summaries: OrderedDict[tuple[bytes, bool], Stmt] = OrderedDict()


def _summary(index: int, node: ast.stmt, deferred: bool, lines: list[str]) -> Stmt:
    """`_summarise`, reusing the analysis of the same text seen before."""
    first = node.lineno
    if isinstance(node, (*_DEFS, ast.ClassDef)):
        first = first_line(node)
    end = node.end_lineno or node.lineno
    text = "\n".join(lines[first - 1 : end]).encode()
    place = f"|{node.col_offset}|{node.end_col_offset}".encode()
    digest = hashlib.blake2b(text + place, digest_size=16).digest()
    key = (digest, deferred)
    with _cache_lock:
        seen = _summaries.get(key)
        if seen is not None:
            _summaries.move_to_end(key)
    if seen is None:
        stmt = _summarise(index, node, deferred)
        stmt.segment = digest
        with _cache_lock:
            _summaries[key] = _template(stmt)
            while len(_summaries) > _SUMMARY_CACHE_SIZE:
                _summaries.popitem(last=False)
        return stmt
    return _moved(seen, index, node)


_S = TypeVar("_S", Stmt, Method)


def _clone(item: _S) -> _S:
    """A shallow copy, faster than ``copy.copy`` (which goes through pickling).

    Every field is an ``__init__`` argument, in slot order: one C call reads
    them all and the generated ``__init__`` stores them (a loop of
    ``setattr`` cost five times as much, on every statement of every parse).
    """
    return type(item)(*_FIELDS[type(item)](item))


_FIELDS: Final[dict[type, Callable[[Any], tuple[Any, ...]]]] = {
    cls: operator.attrgetter(*cls.__slots__) for cls in (Stmt, Method)
}


def _template(stmt: Stmt) -> Stmt:
    """``stmt`` without its syntax tree, to be kept: the next user brings its own.

    Its digests stay shared: whoever computes one computes it for all.
    """
    kept = _clone(stmt)
    kept.node = _NO_NODE
    kept.methods = tuple(_no_node(m) for m in stmt.methods)
    return kept


def _no_node(method: Method) -> Method:
    kept = _clone(method)
    kept.node = _NO_DEF
    return kept


_NO_NODE: Final = ast.Pass()
_NO_DEF: Final = cast(ast.FunctionDef, ast.parse("def _(): pass").body[0])


def _moved(seen: Stmt, index: int, node: ast.stmt) -> Stmt:
    """The summary ``seen`` of the same text, for ``node`` where it is now."""
    stmt = _clone(seen)
    stmt.index, stmt.node = index, node
    if isinstance(node, _DEFS):
        stmt.line = first_line(node)
    elif isinstance(node, ast.ClassDef):
        stmt.line = first_line(node)
        defs = [item for item in node.body if isinstance(item, _DEFS)]
        methods = []
        for method, item in zip(seen.methods, defs, strict=True):
            moved = _clone(method)
            moved.node, moved.line = item, first_line(item)
            methods.append(moved)
        stmt.methods = tuple(methods)
    return stmt


def _dump(node: ast.AST | Sequence[ast.AST] | None) -> str:
    """What a node (or a list of them) is, without its place: a short digest.

    Two statements compare equal when their trees do, whatever their lines
    and comments; only the digest of ``ast.dump`` is kept, not the text.
    """
    if node is None:
        return ""
    if not isinstance(node, ast.AST):
        text = "[" + ", ".join(ast.dump(n) for n in node) + "]"
    else:
        text = ast.dump(node)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


_NOTHING: Final = _dump([])  # an empty list of decorators


def first_line(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int:
    return min([node.lineno] + [d.lineno for d in node.decorator_list])


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    params = getattr(node, "type_params", None)
    return _dump(node.args) + "->" + _dump(node.returns) + _dump(params or [])


def _summarise(index: int, node: ast.stmt, deferred: bool) -> Stmt:
    reads = Reads(deferred)
    if isinstance(node, _DEFS):
        reads.definition(node)
        return Stmt(
            index=index,
            node=node,
            kind="def",
            name=node.name,
            line=first_line(node),
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
        for item in node.body:
            if isinstance(item, _DEFS):
                method_reads = Reads(deferred)
                method_reads.definition(item)
                reads.merge(method_reads)
                methods.append(
                    Method(
                        name=item.name,
                        reads=frozenset(method_reads.names),
                        line=first_line(item),
                        node=item,
                    )
                )
            else:
                reads.statement(item)
        return Stmt(
            index=index,
            node=node,
            kind="class",
            name=node.name,
            line=first_line(node),
            binds=frozenset({node.name}),
            reads=frozenset(header_reads),
            plain=frozenset(reads.plain),
            attrs=frozenset(reads.attrs),
            opaque=reads.opaque,
            methods=tuple(methods),
            class_reads=frozenset(reads.names),
        )
    reads.statement(node)
    binds = Binds()
    binds.visit(node)
    value = node.value if isinstance(node, ast.Expr) else None
    if isinstance(value, ast.Await):
        value = value.value
    return Stmt(
        index=index,
        node=node,
        kind="other",
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


# -- pairing the statements of two versions ----------------------------------


def match(old: Version, new: Version) -> dict[int, Stmt]:
    """Pair each statement of ``new`` with its statement in ``old``, if any.

    Definitions pair by kind and name (several of one name by decorators and
    signature, then by order); other statements by their text, in order:
    the same source first, then the same tree (a comment or a line break
    changed). Returns ``{index in new: the old statement}``.
    """
    pairs: dict[int, Stmt] = {}
    groups: dict[tuple[str, str], tuple[list[Stmt], list[Stmt]]] = {}
    by_source: dict[bytes, tuple[list[Stmt], list[Stmt]]] = {}
    for version, side in ((old, 0), (new, 1)):
        for stmt in version.statements:
            if stmt.kind == "other":
                by_source.setdefault(stmt.segment, ([], []))[side].append(stmt)
            else:
                groups.setdefault((stmt.kind, stmt.name), ([], []))[side].append(stmt)
    left: tuple[list[Stmt], list[Stmt]] = ([], [])
    for olds, news in by_source.values():
        for a, b in zip(olds, news, strict=False):
            pairs[b.index] = a
        left[0].extend(olds[len(news) :])
        left[1].extend(news[len(olds) :])
    by_text: dict[str, tuple[list[Stmt], list[Stmt]]] = {}
    for side, stmts in enumerate(left):
        for stmt in sorted(stmts, key=lambda s: s.index):
            by_text.setdefault(stmt.text, ([], []))[side].append(stmt)
    for olds, news in by_text.values():
        for a, b in zip(olds, news, strict=False):
            pairs[b.index] = a
    for olds, news in groups.values():
        if len(olds) == 1 and len(news) == 1:
            pairs[news[0].index] = olds[0]
        elif olds and news:
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
