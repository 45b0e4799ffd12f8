"""``python -m bench.gitwriter ROOT [SIZE]``: switch the branch corpus from outside.

A branch switch is done by another process, not by the process that reloads:
this one runs a real ``git checkout`` between prepared branches (one per
version), or, where git is missing, rewrites the files the way git does. For
each version number read from stdin it prints the ``time.monotonic()`` at
which the switch started and the one at which it had finished (the same clock
in every process on Linux). The git directory lives next to ROOT, not in it,
so the tools see the module files change and nothing else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import corpus
from bench.saves import save_git


def _git(root: Path, *args: str) -> None:
    env = dict(os.environ)
    env.update(
        GIT_DIR=str(root.parent / "git"),
        GIT_WORK_TREE=str(root),
        GIT_CONFIG_GLOBAL=os.devnull,  # no user hooks, signing or filters
        GIT_CONFIG_NOSYSTEM="1",
    )
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", *args],
        env=env,
        cwd=root,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def has_git() -> bool:
    return shutil.which("git") is not None


def prepare(root: Path, versions: int, size: int = corpus.BRANCH_SIZE) -> None:
    """Write version 1 and, with git, commit versions 1..N+1 as branches v1..."""
    corpus.write_branch(root, size)
    if not has_git():
        return
    _git(root, "init", "-q", "-b", "v1")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "v1")
    for version in range(2, versions + 2):
        _git(root, "checkout", "-q", "-b", f"v{version}", "v1")
        _write_all(root, version, size)
        _git(root, "commit", "-q", "-a", "-m", f"v{version}")
    _git(root, "checkout", "-q", "v1")


def _write_all(root: Path, version: int, size: int) -> None:
    for i in range(size):
        path = root / f"{corpus.branch_name(i)}.py"
        save_git(path, corpus.branch_module(i, version, size))


def main(root: Path, size: int = corpus.BRANCH_SIZE) -> None:
    git = has_git()
    for line in sys.stdin:
        version = int(line)
        first = time.monotonic()
        if git:
            _git(root, "checkout", "-q", f"v{version}")
        else:
            _write_all(root, version, size)
        print(first, time.monotonic(), flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), *map(int, sys.argv[2:3]))
