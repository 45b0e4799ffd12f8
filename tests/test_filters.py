"""PathFilter: which paths under a root are module files worth watching."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotreload.filters import PathFilter

ROOT = Path("/work/root")


@pytest.mark.parametrize(
    "rel",
    ["x.py", "pkg/__init__.py", "pkg/sub/mod.py", "tmpab12.py", "a_b.py", "é.py"],
)
def test_python_files_are_watched(rel: str) -> None:
    assert PathFilter()(ROOT / rel, ROOT)


@pytest.mark.parametrize(
    "rel",
    [
        # not Python source
        "x.pyc",
        "x.txt",
        "x.py.orig",
        "pkg",
        "README",
        # dotfiles and dot-directories (also write_atomic's ".x.py.123.tmp")
        ".x.py",
        ".git/hooks/x.py",
        ".venv/lib/site.py",
        "pkg/.hidden/x.py",
        # byte-code caches
        "__pycache__/x.py",
        "pkg/__pycache__/x.py",
        # vim: swap files, backups, the write probe
        "x.py.swp",
        ".x.py.swp",
        "x.py.swx",
        "x.py~",
        "4913",
        "pkg/4913",
        # emacs lock files
        ".#x.py",
        # JetBrains safe write
        "x.py___jb_tmp___",
        "x.py___jb_old___",
        # generic temporaries
        "x.py.tmp",
        ".x.py.tmp",
        "build.tmp/x.py",
        # backups and temp dirs apply to every component
        "old~/x.py",
    ],
)
def test_editor_debris_and_hidden_paths_are_ignored(rel: str) -> None:
    assert not PathFilter()(ROOT / rel, ROOT)


def test_paths_outside_the_root_are_ignored() -> None:
    assert not PathFilter()(Path("/elsewhere/x.py"), ROOT)
    assert not PathFilter()(ROOT, ROOT)


def test_the_root_itself_may_live_under_a_dot_directory() -> None:
    # Only the part below the root is judged.
    root = Path("/home/me/.local/mods")
    assert PathFilter()(root / "x.py", root)


@pytest.mark.parametrize(
    ("pattern", "rel", "watched"),
    [
        # no "/": any single component or the file name
        ("test_*", "test_a.py", False),
        ("test_*", "tests/test_a.py", False),
        ("test_*", "test_utils/a.py", False),
        ("test_*", "a_test.py", True),
        ("build", "build/x.py", False),
        ("build", "src/build/x.py", False),
        ("build", "builder/x.py", True),
        ("*_gen.py", "pkg/schema_gen.py", False),
        # with "/": the posix path relative to the root
        ("src/gen/*", "src/gen/x.py", False),
        ("src/gen/*", "gen/x.py", True),
        ("src/gen", "src/gen/deep/x.py", False),
        ("*/migrations/*.py", "app/migrations/0001.py", False),
        ("*/migrations/*.py", "migrations/0001.py", True),
        ("/abs/x.py", "abs/x.py", False),  # a leading "/" anchors at the root
    ],
)
def test_exclude_globs(pattern: str, rel: str, watched: bool) -> None:
    assert PathFilter(exclude=[pattern])(ROOT / rel, ROOT) is watched


def test_exclude_is_case_sensitive() -> None:
    assert PathFilter(exclude=["Build"])(ROOT / "build/x.py", ROOT)


def test_ignores_dir_prunes_whole_trees() -> None:
    flt = PathFilter(exclude=["build", "src/gen"])
    for rel in [".git", "__pycache__", "pkg/.cache", "build", "src/gen", "x~"]:
        assert flt.ignores_dir(ROOT / rel, ROOT), rel
    for rel in ["pkg", "src", "src/generated"]:
        assert not flt.ignores_dir(ROOT / rel, ROOT), rel
    assert not flt.ignores_dir(ROOT, ROOT)
    assert flt.ignores_dir(Path("/elsewhere"), ROOT)


def test_repr_shows_the_excludes() -> None:
    assert repr(PathFilter()) == "PathFilter(exclude=[])"
    assert repr(PathFilter(exclude=("a", "b/*"))) == "PathFilter(exclude=['a', 'b/*'])"
