"""plan: a version parsed from the one before is the version parsed whole.

Every single-line edit of a sample module (a line replaced, inserted or
deleted, with text that keeps, breaks or joins statements) is parsed both
ways, and the trees must be the same, line numbers included.
"""

from __future__ import annotations

import ast

import pytest

from hotreload import plan

SAMPLE = '''"""A module."""
import functools
from os import path as p

X = 1  # one


@functools.cache
def f(a, b=X):
    """Doc."""
    if a:
        return b
    return [
        a,
        b,
    ]


class C:
    k = 2

    def m(self):
        return self.k

if X:
    Y = 2
try:
    Z = 3
except ValueError:
    Z = 4
W = (1,
     2)
a = 1; b = 2
'''

TEXTS = [
    "",
    "# a comment",
    "X = 5",
    "    return 7",
    "else:",
    "except KeyError:",
    "@functools.cache",
    "V = (",
    ")",
    '"""',
    "def g(): pass",
    "class D:",
    "        a,",
]


def _edits(lines: list[str]):
    for n in range(len(lines) + 1):
        for text in TEXTS:
            yield lines[:n] + [text] + lines[n:]  # inserted
            if n < len(lines):
                yield lines[:n] + [text] + lines[n + 1 :]  # replaced
        if n < len(lines):
            yield lines[:n] + lines[n + 1 :]  # deleted


def _tree(source: str) -> str | None:
    try:
        return ast.dump(ast.parse(source), include_attributes=True)
    except SyntaxError:
        return None


def test_reparsed_versions_are_the_versions_parsed_whole() -> None:
    base = plan.parse_version(SAMPLE.encode(), "m.py")
    lines = SAMPLE.split("\n")
    checked = partly = 0
    for edited in _edits(lines):
        source = "\n".join(edited)
        whole = _tree(source)
        if whole is None:
            with pytest.raises(SyntaxError):
                plan.parse_version(source.encode(), "m.py", base=base)
            continue
        version = plan.parse_version(source.encode(), "m.py", base=base)
        assert ast.dump(version.tree, include_attributes=True) == whole, source
        checked += 1
        partly += plan._reparse(base, edited, "m.py") is not None
    assert checked > 200 and partly > checked // 2  # most edits parse only a part


@pytest.mark.parametrize(
    "source",
    [
        b"x = 1\n",
        b"",
        b"s = '\xc3\xa9'\n",  # UTF-8, no cookie: the fast path
        b"s = '\xff'\n",  # not UTF-8: no lines
        b"\xef\xbb\xbfx = 1\n",  # a BOM
        b"x = 1\r\ny = 2\r\n",  # CRLF
        b"x = 1\ry = 2\r",  # old Mac line ends
        "# -*- coding: latin-1 -*-\ns = 'é'\n".encode("latin-1"),
        b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\ns = '\x80'\n",
        b"# coding: no-such-codec\nx = 1\n",
        b"x = 1\n# coding: latin-1 on line three is no cookie\ns = '\xc3\xa9'\n",
    ],
)
def test_lines_are_the_source_as_the_import_system_decodes_it(source: bytes) -> None:
    import importlib.util

    try:
        expected = importlib.util.decode_source(source).split("\n")
    except (UnicodeDecodeError, SyntaxError, LookupError):
        expected = []
    assert plan._lines(source) == expected


def test_a_summary_reused_for_the_same_text_keeps_every_field() -> None:
    source = SAMPLE.encode()
    first = plan.parse_version(source, "a.py")
    # The same statements one line lower, in another file: summaries reused.
    second = plan.parse_version(b"\n" + source, "b.py")
    for old, new in zip(first.statements, second.statements, strict=True):
        assert new is not old
        for name in plan.Stmt.__slots__:
            if name in ("node", "line", "methods"):
                continue
            assert getattr(new, name) == getattr(old, name), name
        assert new.line in (old.line + 1, 0)
        for m_old, m_new in zip(old.methods, new.methods, strict=True):
            assert (m_new.name, m_new.reads, m_new.line) == (
                m_old.name,
                m_old.reads,
                m_old.line + 1,
            )
