"""Who else can change the code: group-write, writable trees, other owners.

One warning of each kind at start, naming the paths (the first few, then a
count); the REPL's state directory is narrowed to 0700.
"""

from __future__ import annotations

import grp
import os
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from hotreload import Reloader
from hotreload.errors import HotreloadWarning
from hotreload.filters import PathFilter
from hotreload.repl import Repl, default_history_path
from hotreload.roots import warn_if_open

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")


def shared_group() -> int:
    """A group that is nobody's private group (not named like a user)."""
    for name in ("daemon", "users", "staff", "adm", "nogroup"):
        try:
            return grp.getgrnam(name).gr_gid
        except KeyError:
            continue
    pytest.skip("no shared group on this machine")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "open").mkdir()
    for i in range(5):
        (root / "open" / f"m{i}.py").write_text(f"X = {i}\n")
    (root / "a.py").write_text("A = 1\n")
    (root / ".git").mkdir()
    return root


def issued(root: Path) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        texts = warn_if_open(root, PathFilter())
    assert [str(w.message) for w in caught] == texts
    assert all(w.category is HotreloadWarning for w in caught)
    return texts


def test_a_private_tree_warns_of_nothing(tree: Path) -> None:
    assert issued(tree) == []


def test_writable_directories_and_files_one_warning_each(tree: Path) -> None:
    (tree / "pkg").chmod(0o777)
    for i in range(5):
        (tree / "open" / f"m{i}.py").chmod(0o666)
    (tree / ".git").chmod(0o777)  # ignored: nothing there is ever run
    (tree / "notes.txt").write_text("")
    (tree / "notes.txt").chmod(0o666)  # not a module: never run either
    texts = issued(tree)
    assert texts == [
        f"1 directory under {tree} can be written by other users (pkg/): "
        "they can change the code hotreload will run",
        f"5 module files under {tree} can be written by other users "
        "(open/m0.py, open/m1.py, open/m2.py and 2 more): "
        "they can change the code hotreload will run",
    ]
    assert issued(tree) == []  # once per root per process


@as_root
def test_group_write_counts_when_the_group_is_shared(tree: Path) -> None:
    gid = shared_group()
    os.chown(tree, -1, gid)
    tree.chmod(0o775)
    os.chown(tree / "a.py", -1, gid)
    (tree / "a.py").chmod(0o664)
    texts = issued(tree)
    assert len(texts) == 2
    assert texts[0].startswith(f"{tree} is writable by its group (group ")
    assert "mode 0775" in texts[0]
    assert texts[1].startswith(f"1 module file under {tree} can be written")
    assert "(a.py)" in texts[1]


@as_root
def test_files_of_another_user(tree: Path) -> None:
    os.chown(tree / "a.py", 54321, -1)
    os.chown(tree / "open", 54321, -1)
    texts = issued(tree)
    assert texts == [
        f"2 files under {tree} belong to another user (open/, a.py): "
        "they can change the code hotreload will run"
    ]


def test_the_reloader_warns_at_start(tree: Path) -> None:
    (tree / "open" / "m0.py").chmod(0o646)
    reloader = Reloader(tree)
    with pytest.warns(HotreloadWarning, match=r"1 module file under .*open/m0\.py"):
        reloader.start()
    reloader.stop()


# -- the REPL's state directory ----------------------------------------------


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with (
        create_pipe_input() as inp,
        create_app_session(input=inp, output=DummyOutput()),
    ):
        yield inp


def test_an_open_state_directory_is_narrowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pipe: PipeInput
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    state = default_history_path().parent
    state.mkdir(parents=True, mode=0o755)
    state.chmod(0o755)
    (tmp_path / "mods").mkdir()
    with Reloader(tmp_path / "mods") as reloader:
        pipe.send_text("x = 1\r\x04")
        Repl(reloader, input=pipe, output=DummyOutput(), write=lambda s: None).run()
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE(default_history_path().stat().st_mode) == 0o600
    # The parent (the user's XDG state home) is not ours to change.
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) & 0o077
