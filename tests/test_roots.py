"""Roots: validation, path <-> module name, symlink policy, world-writable warning."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from hotreload.errors import HotreloadWarning, RootError
from hotreload.filters import PathFilter
from hotreload.roots import (
    is_within,
    iter_module_files,
    module_name,
    module_path,
    validate_root,
    warn_if_world_writable,
)


def touch(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    return root.resolve()


# -- validate_root -------------------------------------------------------------


def test_validate_root_returns_an_absolute_resolved_path(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(root.parent)
    assert validate_root("root") == root
    assert validate_root(Path("root/../root")) == root
    link = root.parent / "link"
    link.symlink_to(root)
    assert validate_root(link) == root


def test_validate_root_rejects_a_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(RootError, match="no such directory") as info:
        validate_root(missing)
    assert info.value.path == missing
    assert isinstance(info.value, ValueError)


def test_validate_root_rejects_a_file(tmp_path: Path) -> None:
    file = touch(tmp_path / "x.py")
    with pytest.raises(RootError, match="not a directory") as info:
        validate_root(str(file))
    assert info.value.path == file


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_validate_root_rejects_an_unreadable_directory(root: Path) -> None:
    root.chmod(0o300)
    try:
        with pytest.raises(RootError, match="not readable"):
            validate_root(root)
    finally:
        root.chmod(0o700)


def test_validate_root_rejects_what_os_access_refuses(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The chmod test above cannot run as root; this covers the same branch.
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(RootError, match="not readable"):
        validate_root(root)


def test_validate_root_rejects_a_symlink_loop(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(RootError, match="cannot be resolved") as info:
        validate_root(loop)
    assert info.value.path == loop


# -- module_name / module_path ---------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "name"),
    [
        ("a.py", "a"),
        ("a/b.py", "a.b"),
        ("a/__init__.py", "a"),
        ("a/b/__init__.py", "a.b"),
        ("a/b/c.py", "a.b.c"),
        ("_private.py", "_private"),
        # not importable by name
        ("my-mod.py", None),
        ("a.b.py", None),
        ("1st.py", None),
        ("my pkg/x.py", None),
        ("a/b-c/x.py", None),
        ("__init__.py", None),
        ("a.txt", None),
        ("a", None),
    ],
)
def test_module_name(root: Path, rel: str, name: str | None) -> None:
    assert module_name(root / rel, root) == name


def test_module_name_outside_the_root_is_none(root: Path) -> None:
    assert module_name(root.parent / "x.py", root) is None
    assert module_name(root / ".." / "x.py", root) is None


def test_module_path_finds_modules_and_packages(root: Path) -> None:
    mod = touch(root / "a.py")
    pkg = touch(root / "p" / "__init__.py")
    sub = touch(root / "p" / "q" / "m.py")
    assert module_path("a", root) == mod
    assert module_path("p", root) == pkg
    assert module_path("p.q.m", root) == sub
    assert module_name(sub, root) == "p.q.m"


def test_module_path_prefers_the_package_like_python(root: Path) -> None:
    touch(root / "x.py")
    pkg = touch(root / "x" / "__init__.py")
    assert module_path("x", root) == pkg


@pytest.mark.parametrize(
    "name", ["missing", "p.missing", "p.q", "", "a-b", "a..b", ".a"]
)
def test_module_path_of_unknown_or_invalid_names_is_none(root: Path, name: str) -> None:
    touch(root / "p" / "__init__.py")
    (root / "p" / "q").mkdir()  # a directory without __init__.py is no file
    touch(root / "a-b.py")
    assert module_path(name, root) is None


# -- symlink policy ----------------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the root, with a module in it."""
    outside = tmp_path / "outside"
    touch(outside / "evil.py")
    return outside


def test_is_within_is_lexical_first(root: Path) -> None:
    assert is_within(root / "a.py", root)
    assert is_within(root / "a" / "b.py", root)
    assert is_within(root, root)
    assert not is_within(root.parent / "rootx" / "a.py", root)
    assert not is_within(root / ".." / "a.py", root)
    assert not is_within(root.parent, root)


def test_symlink_outside_the_root_is_not_within_unless_followed(
    root: Path, outside: Path
) -> None:
    (root / "ext").symlink_to(outside, target_is_directory=True)
    (root / "evil.py").symlink_to(outside / "evil.py")
    for path in (root / "ext" / "evil.py", root / "evil.py"):
        assert not is_within(path, root)
        assert is_within(path, root, follow_symlinks=True)


def test_symlink_inside_the_root_is_within(root: Path) -> None:
    real = touch(root / "real" / "m.py")
    (root / "alias").symlink_to(real.parent, target_is_directory=True)
    assert is_within(root / "alias" / "m.py", root)


def test_a_root_reached_through_a_symlink_still_contains_its_files(
    root: Path, tmp_path: Path
) -> None:
    link = tmp_path / "rootlink"
    link.symlink_to(root, target_is_directory=True)
    assert is_within(link / "a.py", link)


# -- iter_module_files ---------------------------------------------------------------


def test_iter_module_files_lists_watched_files_sorted(root: Path) -> None:
    expected = [
        touch(root / "a.py"),
        touch(root / "b" / "__init__.py"),
        touch(root / "b" / "c.py"),
        touch(root / "z.py"),
    ]
    for rel in [
        ".git/x.py",
        "__pycache__/a.py",
        "b/__pycache__/c.py",
        "a.py~",
        "a.py.swp",
        "4913",
        "notes.txt",
        "build/gen.py",
    ]:
        touch(root / rel)
    found = list(iter_module_files(root, PathFilter(exclude=["build"])))
    assert found == sorted(expected)


def test_iter_module_files_skips_symlinks_leading_outside(
    root: Path, outside: Path
) -> None:
    own = touch(root / "own.py")
    (root / "ext").symlink_to(outside, target_is_directory=True)
    (root / "evil.py").symlink_to(outside / "evil.py")
    assert list(iter_module_files(root, PathFilter())) == [own]
    followed = list(iter_module_files(root, PathFilter(), follow_symlinks=True))
    assert followed == [root / "evil.py", root / "ext" / "evil.py", own]


def test_iter_module_files_follows_symlinks_inside_the_root(root: Path) -> None:
    real = touch(root / "real" / "m.py")
    (root / "alias").symlink_to(real.parent, target_is_directory=True)
    # Python would import both names, so both are listed.
    assert list(iter_module_files(root, PathFilter())) == [
        root / "alias" / "m.py",
        real,
    ]


def test_iter_module_files_survives_a_symlink_loop(root: Path) -> None:
    m = touch(root / "pkg" / "m.py")
    (root / "pkg" / "loop").symlink_to(root, target_is_directory=True)
    for follow in (False, True):
        assert list(iter_module_files(root, PathFilter(), follow_symlinks=follow)) == [
            m
        ]


def test_iter_module_files_of_a_missing_root_is_empty(tmp_path: Path) -> None:
    assert list(iter_module_files(tmp_path / "nope", PathFilter())) == []


# -- world-writable warning ------------------------------------------------------------


def test_world_writable_root_warns_exactly_once(root: Path) -> None:
    root.chmod(0o777)
    with pytest.warns(HotreloadWarning, match="writable by other users") as record:
        assert warn_if_world_writable(root) is True
    assert len(record) == 1
    assert str(root) in str(record[0].message)
    assert "0777" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second warning would raise here
        assert warn_if_world_writable(root) is False
        assert warn_if_world_writable(root / "." / "") is False


def test_sticky_bit_is_no_excuse(root: Path) -> None:
    root.chmod(0o1777)  # like /tmp: others still can add their own files
    with pytest.warns(HotreloadWarning):
        assert warn_if_world_writable(root) is True


def test_private_root_does_not_warn(
    root: Path, recwarn: pytest.WarningsRecorder
) -> None:
    root.chmod(0o755)
    assert warn_if_world_writable(root) is False
    root.chmod(0o775)  # group-writable is the owner's choice of collaborators
    assert warn_if_world_writable(root) is False
    assert warn_if_world_writable(root / "missing") is False
    assert len(recwarn) == 0
