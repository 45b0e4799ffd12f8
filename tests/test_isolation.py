"""Root files named like standard-library modules: never silent, never fatal.

A root goes first on ``sys.path``: user code importing ``json`` gets the
root's ``json.py`` as plain Python would, but what hotreload and its
libraries import comes from outside the roots, built-in and frozen modules
are never shadowed, and a root file that cannot be loaded by its name is
named in a one-line warning.
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import signal
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest

from hotreload import Reloader
from hotreload.errors import HotreloadWarning
from hotreload.imports import _RootFinder
from hotreload.isolation import built_in, shadowed_reason, top_level_modules
from tests.conftest import write_atomic
from tests.test_cli import Lines, spawn

REPO = Path(__file__).resolve().parent.parent
WAIT = 20

# What hotreload, watchdog and prompt-toolkit import (some only later, in
# their threads or at the first prompt), what Python itself has loaded at
# start, and common names nobody imported yet.
STDLIB_NAMES = [
    *("queue", "ctypes", "tty", "termios", "json", "types", "random", "pwd"),
    *("select", "selectors", "signal", "subprocess", "tempfile", "shutil"),
    *("struct", "math", "fcntl", "locale", "string", "re", "abc", "io"),
    *("logging", "threading", "typing", "inspect", "ast", "copy", "enum"),
    *("functools", "dataclasses", "hashlib", "asyncio", "csv", "decimal"),
    *("fractions", "statistics", "uuid", "calendar", "textwrap", "pprint"),
    *("heapq", "bisect", "time", "errno", "runpy", "codecs", "platform"),
]
BUILT_IN = {"pwd", "time", "errno", "abc", "io", "codecs", "runpy"}
MARK = "LOADED_FROM_ROOT"


def shadow_root(root: Path) -> Path:
    root.mkdir()
    for name in STDLIB_NAMES:
        # Anything that used one of these for the real module would fail.
        (root / f"{name}.py").write_text(f"{MARK} = {name!r}\n")
    (root / "mod.py").write_text("def f():\n    return 1\n")
    return root


@pytest.fixture(scope="module")
def daemon_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One ``--json`` daemon over a root shadowing every name, edited once."""
    base = tmp_path_factory.mktemp("shadow")
    root = shadow_root(base / "root")
    proc = spawn("watch", str(root), "--json", cwd=base)
    try:
        out = Lines(proc.stdout)
        ready = json.loads(out.next(WAIT))
        write_atomic(root / "mod.py", "def f():\n    return 2\n")
        event = json.loads(out.next(WAIT))
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return {
        "ready": ready,
        "event": event,
        "err": err.decode(),
        "code": proc.returncode,
    }


def test_the_daemon_starts_and_reloads_over_shadowing_files(
    daemon_run: dict[str, Any],
) -> None:
    assert daemon_run["ready"]["event"] == "ready"
    assert daemon_run["ready"]["failures"] == []
    event = daemon_run["event"]
    assert (event["module"], event["ok"]) == ("mod", True)
    assert daemon_run["code"] == 0
    assert "Traceback" not in daemon_run["err"]


@pytest.mark.parametrize("name", STDLIB_NAMES)
def test_each_shadowing_file_is_loaded_or_named(
    daemon_run: dict[str, Any], name: str
) -> None:
    loaded = name in daemon_run["ready"]["modules"]
    warned = [
        line
        for line in daemon_run["err"].splitlines()
        if line.startswith("hotreload: warning: ")
        and f"{name}.py is not loaded as {name}: " in line
    ]
    assert loaded != bool(warned), (name, daemon_run["err"])
    if name in BUILT_IN:
        assert warned and "into Python" in warned[0]
    if name in ("queue", "ctypes", "json", "types", "random", "signal"):
        assert warned, "hotreload itself imported these first"


def test_what_plain_python_would_load_from_the_root_is_loaded(
    daemon_run: dict[str, Any],
) -> None:
    # Names nothing imported before the user: the root's file, as in Python.
    assert {"decimal", "fractions", "statistics", "uuid"} <= set(
        daemon_run["ready"]["modules"]
    )


EMBEDDED = """\
import sys, pathlib
root = pathlib.Path(sys.argv[1])
from hotreload import Reloader
with Reloader(root) as reloader:
    import mod
    (root / "mod.py").write_text("def f():\\n    return 2\\n")
    event = reloader.wait(timeout=15)
    import pwd, queue, ctypes
    assert not hasattr(pwd, "LOADED_FROM_ROOT"), pwd
    assert not hasattr(queue, "LOADED_FROM_ROOT"), queue
    assert not hasattr(ctypes, "LOADED_FROM_ROOT"), ctypes
    print(reloader.backend, event.module, event.ok, mod.f())
"""


def test_embedded_start_ignores_root_files_named_like_watchdogs_imports(
    tmp_path: Path,
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    for name in ("queue", "ctypes", "pwd", "tempfile", "select", "random"):
        (root / f"{name}.py").write_text(f"raise ImportError('root {name}.py')\n")
    (root / "mod.py").write_text("def f():\n    return 1\n")
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", EMBEDDED, str(root)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["inotify", "mod", "True", "2"]


def test_the_repl_starts_completes_and_highlights_over_shadowing_files(
    tmp_path: Path,
) -> None:
    root = shadow_root(tmp_path / "root")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HOME": str(tmp_path / "home"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TERM": "xterm",
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "hotreload", "watch", str(root)],
        cwd=str(tmp_path),
        env=env,
        dimensions=(40, 200),
        encoding="utf-8",
        timeout=WAIT,
    )
    try:
        child.expect_exact("tty.py is not loaded as tty")
        child.expect_exact(">>>")
        # Completion of a root module that shadows a stdlib name nobody loaded.
        child.send("decimal.LOADED_F\t")
        child.expect_exact("ROOT")
        child.sendline("")
        child.expect_exact("'decimal'")
        child.expect_exact(">>>")
        # The built-in pwd, never the root's file; highlighted as it is typed.
        child.sendline("import pwd; hasattr(pwd, 'getpwuid') * 1001")
        child.expect_exact("1001")
        child.expect_exact(">>>")
        child.sendline("mod.f() + 4241")
        child.expect_exact("4242")
        child.expect_exact(">>>")
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        if child.isalive():
            child.terminate(force=True)
        child.close()
    assert child.exitstatus == 0


# -- in-process: the finder's decisions ------------------------------------


@pytest.fixture
def finder(tmp_path: Path) -> Iterator[tuple[_RootFinder, Path]]:
    root = tmp_path / "root"
    root.mkdir()
    (root / "textwrap.py").write_text(f"{MARK} = 1\n")
    (root / "pwd.py").write_text(f"{MARK} = 1\n")
    (root / "only_in_root_xyz.py").write_text(f"{MARK} = 1\n")
    reloader = Reloader(root)
    yield _RootFinder(reloader._imports), root
    reloader.stop()


def _ask_as(filename: str, finder: _RootFinder, name: str) -> Any:
    """Call ``finder.find_spec(name)`` from code compiled as ``filename``."""
    code = compile("spec = finder.find_spec(name)", filename, "exec")
    ns: dict[str, Any] = {"finder": finder, "name": name}
    exec(code, ns)
    return ns["spec"]


def test_user_code_gets_the_roots_file(finder: tuple[_RootFinder, Path]) -> None:
    found, root = finder
    spec = _ask_as(str(root / "main.py"), found, "textwrap")
    assert spec.origin == str(root / "textwrap.py")
    spec = _ask_as("<input-1>", found, "textwrap")
    assert spec.origin == str(root / "textwrap.py")


def test_library_code_gets_the_real_module(finder: tuple[_RootFinder, Path]) -> None:
    found, root = finder
    stdlib = os.path.dirname(os.__file__)
    spec = _ask_as(os.path.join(stdlib, "somewhere.py"), found, "textwrap")
    assert spec.origin == os.path.join(stdlib, "textwrap.py")
    # A name only the root has is still the root's (a framework loading an app).
    spec = _ask_as(os.path.join(stdlib, "somewhere.py"), found, "only_in_root_xyz")
    assert spec.origin == str(root / "only_in_root_xyz.py")


def test_built_in_and_frozen_names_are_never_found_in_a_root(
    finder: tuple[_RootFinder, Path],
) -> None:
    found, root = finder
    assert _ask_as(str(root / "main.py"), found, "pwd") is None
    assert built_in("pwd") == "built into"
    assert built_in("os") == "frozen into"
    assert importlib.machinery.FrozenImporter.find_spec("os") is not None
    assert built_in("textwrap") is None


def test_a_shadowed_root_file_is_named_once_at_start(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "json.py").write_text(f"{MARK} = 1\n")
    (root / "pwd.py").write_text(f"{MARK} = 1\n")
    pkg = root / "hashlib"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(f"{MARK} = 1\n")
    reloader = Reloader(root)
    with pytest.warns(HotreloadWarning) as caught:
        reloader.import_all()
    try:
        texts = sorted(str(w.message) for w in caught)
        assert len(texts) == 3, texts
        assert texts[0].startswith(f"{pkg} is not loaded as hashlib: the standard")
        assert texts[1].startswith(f"{root / 'json.py'} is not loaded as json: ")
        assert "pwd is built into Python" in texts[2]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            reloader.import_all()  # once per file: no second warning
    finally:
        reloader.stop()


def test_shadowed_reason_is_none_for_the_loaded_file(tmp_path: Path) -> None:
    path = Path(textwrap.__file__)
    assert shadowed_reason("textwrap", path) is None
    assert shadowed_reason("textwrap", tmp_path / "textwrap.py") is not None
    assert shadowed_reason("no_such_module_xyz", tmp_path / "x.py") is None


def test_run_m_finds_a_root_module_as_python_m_does(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "statistics.py").write_text("print('root statistics', __name__)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ours = subprocess.run(
        [sys.executable, "-m", "hotreload", "run", "-m", "statistics"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    plain = subprocess.run(
        [sys.executable, "-m", "statistics"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ours.stdout == plain.stdout == "root statistics __main__\n", ours.stderr


def test_run_i_opens_the_repl_over_a_root_tty_py(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    for name in ("tty", "termios"):
        (root / f"{name}.py").write_text(f"{MARK} = 1\n")
    (root / "app.py").write_text(f"import tty\nprint('ran', hasattr(tty, {MARK!r}))\n")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TERM": "xterm",
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "hotreload", "run", "-i", str(root / "app.py")],
        cwd=str(tmp_path),
        env=env,
        dimensions=(40, 200),
        encoding="utf-8",
        timeout=WAIT,
    )
    try:
        child.expect_exact("tty.py is not loaded as tty")
        child.expect_exact("ran False")
        child.expect_exact(">>>")
        child.sendline("6 * 7")
        child.expect_exact("42")
        child.expect_exact(">>>")
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        if child.isalive():
            child.terminate(force=True)
        child.close()
    assert child.exitstatus == 0


def test_dunder_files_at_the_top_of_a_root_are_no_shadows(tmp_path: Path) -> None:
    (tmp_path / "__main__.py").write_text("print('main')\n")
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "hr_plain_xyz.py").write_text("")
    assert top_level_modules(tmp_path) == [
        ("hr_plain_xyz", tmp_path / "hr_plain_xyz.py")
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reloader = Reloader(tmp_path)
        try:
            assert reloader.import_all() == []
        finally:
            reloader.stop()
            sys.modules.pop("hr_plain_xyz", None)
