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


DECODE_CASES = [
    b"",
    b"x = 1\n",
    b"no newline at the end",
    b"\xef\xbb\xbfx = 1\r\ny = 2\r\n",  # BOM, CRLF
    b"a = 1\rb = 2\rc = 3",  # old Mac newlines
    "s = 'é'\n".encode(),
    b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
    b"#!/usr/bin/env python\n# coding: latin-1\nx = '\xe9'\n",
    b"x = 1\n\n# coding: latin-1\ny = '\xc3\xa9'\n",  # line 3: not a cookie
    b"# encoding is mentioned\ncoding = 'utf-8'\n",
]


@pytest.mark.parametrize("source", DECODE_CASES)
def test_lines_are_the_import_systems_lines(source: bytes) -> None:
    import importlib.util

    assert plan._decode(source) == importlib.util.decode_source(source)


def test_undecodable_source_has_no_lines() -> None:
    assert plan._lines(b"x = '\xe9'\n") == []  # latin-1 bytes, no cookie


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
