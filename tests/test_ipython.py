"""``%load_ext hotreload`` in a real IPython: in-process, in a terminal, in a kernel.

Three drivers, each the real thing:

- an ``InteractiveShell`` in this process (the path every shell without a
  terminal prompt takes, kernels included), for the sub-commands;
- a terminal IPython in a pty (pexpect), where reloads apply as files are
  saved and the report is drawn above the prompt;
- an ipykernel driven by ``jupyter_client``, where reloads apply before a
  cell runs and its output starts with the report.

Every wait is bounded by a timeout and returns as soon as its message or
text arrives; no test sleeps.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest
from IPython.core.interactiveshell import InteractiveShell
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from traitlets.config import Config

from hotreload.ipython import active_reloader, detect_mode
from tests.conftest import Mods, write_atomic

REPO = Path(__file__).resolve().parent.parent
WAIT = 20
ANSI = r"(?:\x1b\[[0-9;?]*[A-Za-z])*"  # colour and cursor codes between words

# -- in-process: a real InteractiveShell -------------------------------------


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    sh = InteractiveShell(config=config)  # type: ignore[no-untyped-call]
    sh.run_line_magic("load_ext", "hotreload")
    yield sh
    sh.run_line_magic("unload_ext", "hotreload")


def _cell(shell: Any, capsys: pytest.CaptureFixture[str], code: str) -> str:
    result = shell.run_cell(code)
    out, err = capsys.readouterr()
    assert result.error_in_exec is None, err
    return out + err


def test_a_shell_without_a_prompt_applies_before_each_cell(
    shell: Any, mods: Mods, capsys: pytest.CaptureFixture[str]
) -> None:
    name = mods.name("calc")
    path = mods.write(name, "def f():\n    return 1\n")
    assert detect_mode(shell) == "kernel"
    out = _cell(shell, capsys, f"%hotreload watch {mods.root}")
    assert f"watching {mods.root}" in out and "before each cell" in out
    reloader = active_reloader(shell)
    assert reloader is not None and reloader.apply == "manual"
    _cell(shell, capsys, f"from {name} import f")
    write_atomic(path, "def f():\n    return 22\n")
    _wait_queued(reloader, path)
    out = _cell(shell, capsys, "print('value', f())")
    lines = out.splitlines()
    assert lines[0].startswith(f"{name} reloaded: updated f"), out
    assert lines[1] == "value 22"
    assert reloader.history[-1].ok


def _wait_queued(reloader: Any, path: Path) -> None:
    """Until ``path`` is in the reloader's queue (held for the next cell).

    The queue itself: ``pending_paths()`` also lists the watcher's batch,
    which leaves that list for a moment while it is handed over.
    """
    deadline = time.monotonic() + WAIT
    while path not in reloader._queue:
        assert time.monotonic() < deadline, f"{path} never queued"
        reloader.wait(timeout=0.01)  # manual mode: nothing arrives; a bound


def test_status_pause_resume_errors_history_off(
    shell: Any, mods: Mods, capsys: pytest.CaptureFixture[str]
) -> None:
    name = mods.name("calc")
    path = mods.write(name, "def f():\n    return 1\n")
    assert "not watching" in _cell(shell, capsys, "%hotreload")
    _cell(shell, capsys, f"%hotreload watch {mods.root}")
    _cell(shell, capsys, f"import {name}")
    status = _cell(shell, capsys, "%hotreload")
    assert f"roots:    {mods.root}" in status
    assert "applied before each cell" in status and "watcher:" in status
    assert "no reloads yet" in _cell(shell, capsys, "%hotreload history")
    assert "no failures" in _cell(shell, capsys, "%hotreload errors")

    assert "reloads paused" in _cell(shell, capsys, "%hotreload pause")
    assert "already paused" in _cell(shell, capsys, "%hotreload pause")
    write_atomic(path, "def f(:\n    return 2\n")
    reloader = active_reloader(shell)
    _wait_queued(reloader, path)
    out = _cell(shell, capsys, f"x = {name}.f()")
    assert "reloaded" not in out and shell.user_ns["x"] == 1  # held
    status = _cell(shell, capsys, "%hotreload status")
    assert "paused (1 change queued)" in status and f"pending:  {path}" in status
    out = _cell(shell, capsys, "%hotreload resume")
    first, second = out.splitlines()[:2]
    assert first.startswith(f"{name} not reloaded: SyntaxError")
    assert f"{path.name}, line 1" in first
    assert second == "reloads resumed; 1 held reload applied"
    assert "not paused" in _cell(shell, capsys, "%hotreload resume")
    errors = _cell(shell, capsys, f"%hotreload errors {name}")
    assert f'File "{path}", line 1' in errors
    assert "not reloaded" in _cell(shell, capsys, "%hotreload history")
    # The old version runs on, and the failure is not reported again.
    assert _cell(shell, capsys, f"{name}.f()") == "Out[0]: 1\n"

    out = _cell(shell, capsys, "%hotreload off")
    assert "stopped watching" in out and active_reloader(shell) is None
    assert "not watching" in _cell(shell, capsys, "%hotreload history")
    assert shell.user_ns[name].f() == 1  # imported modules stay and work


def test_bad_input_gets_one_clear_line(
    shell: Any, mods: Mods, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "usage: %hotreload" in _cell(shell, capsys, "%hotreload help")
    doc = shell.find_line_magic("hotreload").__doc__  # what %hotreload? shows
    assert "%hotreload watch [PATH ...]" in doc and "%hotreload off" in doc
    assert "unknown sub-command 'bogus'" in _cell(shell, capsys, "%hotreload bogus")
    _cell(shell, capsys, f"%hotreload watch {mods.root}")
    reloader = active_reloader(shell)
    assert reloader is not None
    missing = tmp_path / "missing"
    out = _cell(shell, capsys, f"%hotreload watch {missing}")
    assert out.startswith("hotreload: ") and str(missing) in out
    assert active_reloader(shell) is reloader  # the running watcher stays
    assert "unknown sub-command" in _cell(shell, capsys, "%hotreload bogus")
    second = tmp_path / "second"
    second.mkdir()
    out = _cell(shell, capsys, f"%hotreload watch {second}")
    assert f"watching {second}" in out and reloader.backend == "stopped"
    assert active_reloader(shell).roots == (second,)  # type: ignore[union-attr]


def test_autoreload_is_turned_off_at_load_and_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    sh = InteractiveShell(config=config)  # type: ignore[no-untyped-call]
    sh.run_line_magic("load_ext", "autoreload")
    sh.run_line_magic("autoreload", "2")
    inner = sh.magics_manager.registry["AutoreloadMagics"]._reloader
    assert inner.enabled
    sh.run_line_magic("load_ext", "hotreload")
    try:
        assert "%autoreload was on; turned it off" in capsys.readouterr().err
        assert not inner.enabled
        sh.run_line_magic("autoreload", "2")
        out = _cell(sh, capsys, "1 + 1")
        assert "%autoreload was on; turned it off" in out and not inner.enabled
        sh.run_line_magic("autoreload", "2")
        out = _cell(sh, capsys, "%hotreload")
        assert "%autoreload was on" in out and not inner.enabled
    finally:
        sh.run_line_magic("unload_ext", "hotreload")
    assert "hotreload" not in sh.magics_manager.magics["line"]


# -- a real terminal IPython --------------------------------------------------


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HOME": str(tmp_path / "home"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter"),
        "TERM": "xterm",
        "PROMPT_TOOLKIT_NO_CPR": "1",  # a pty under test never answers it
    }


@pytest.fixture
def ipython(tmp_path: Path) -> Iterator[Any]:
    child = pexpect.spawn(
        sys.executable,
        [
            "-m",
            "IPython",
            "--no-banner",
            "--colors=NoColor",
            "--TerminalInteractiveShell.confirm_exit=False",
        ],
        cwd=str(tmp_path),
        env=_env(tmp_path),
        dimensions=(40, 160),
        encoding="utf-8",
        timeout=WAIT,
    )
    try:
        child.expect_exact("In [1]:")
        yield child
    finally:
        if child.isalive():
            child.terminate(force=True)
        child.close()


def _out(child: Any, n: int, value: str) -> None:
    child.expect(rf"Out\[{n}\]: {ANSI}{re.escape(value)}")


def test_terminal_ipython_reloads_as_files_are_saved(
    ipython: Any, tmp_path: Path
) -> None:
    root = tmp_path / "mods"
    root.mkdir()
    path = root / "ipy_term.py"
    write_atomic(path, "def f():\n    return 1\n")
    ipython.sendline("%load_ext hotreload")
    ipython.expect_exact("In [2]:")
    ipython.sendline("%hotreload watch mods")
    ipython.expect_exact(f"watching {root}")
    ipython.expect_exact("reloads apply as files are saved")
    ipython.sendline("from ipy_term import f; f()")
    _out(ipython, 3, "1")
    ipython.expect_exact("In [4]:")
    # Half a line typed when the save lands: the report goes above the
    # prompt, which is drawn again below it with the typed text.
    ipython.send("f(")
    write_atomic(path, "def f():\n    return 2\n")
    ipython.expect_exact("ipy_term reloaded: updated f")
    ipython.expect(rf"In \[4\]: {ANSI}f\(")
    ipython.sendline(")")
    _out(ipython, 4, "2")

    # A loop running in a cell picks up the new code as it is saved.
    # (One line: each Enter at a complete statement runs a cell.)
    ipython.sendline(
        "print('loop' + 'ing'); exec('while f() == 2: pass'); print('left', f())"
    )
    ipython.expect_exact("looping")  # the output, not the echoed input
    write_atomic(path, "def f():\n    return 3\n")
    # The loop may print before the report line comes out: either order.
    wanted = ["ipy_term reloaded: updated f", "left 3"]
    first = ipython.expect_exact(wanted)
    ipython.expect_exact(wanted[1 - first])

    # Ctrl-C interrupts a running cell; the watcher goes on.
    ipython.sendline("print('spin' + 'ning'); exec('while True: pass')")
    ipython.expect_exact("spinning")
    ipython.sendintr()
    ipython.expect_exact("KeyboardInterrupt")
    ipython.expect_exact("In [7]:")
    write_atomic(path, "def f():\n    return 4\n")
    ipython.expect_exact("ipy_term reloaded: updated f")
    ipython.sendline("f()")
    _out(ipython, 7, "4")

    ipython.sendline("%hotreload off")
    ipython.expect_exact(f"stopped watching {root}")
    ipython.sendline("f()")
    _out(ipython, 9, "4")  # imported modules stay and work
    ipython.sendline("exit")
    ipython.expect(pexpect.EOF)


# -- a real kernel through jupyter_client --------------------------------------


class Kernel:
    """A kernel and its client; `run` executes one cell and returns its output."""

    def __init__(self, km: KernelManager) -> None:
        self.km = km
        self.kc = km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def start(self, code: str) -> str:
        return str(self.kc.execute(code))

    def outputs(self, msg_id: str, until: str | None = None) -> list[tuple[str, str]]:
        """The cell's outputs until it is idle (or until a stream shows ``until``)."""
        found: list[tuple[str, str]] = []
        while True:
            msg = self.kc.get_iopub_msg(timeout=WAIT)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                found.append((content["name"], content["text"]))
                if until is not None and until in content["text"]:
                    return found
            elif kind == "execute_result":
                found.append(("result", content["data"]["text/plain"]))
            elif kind == "error":
                found.append(("error", f"{content['ename']}: {content['evalue']}"))
            elif kind == "status" and content["execution_state"] == "idle":
                return found

    def run(self, code: str) -> list[tuple[str, str]]:
        return self.outputs(self.start(code))

    def queued(self) -> list[str]:
        """The kernel reloader's queue (a silent request: no cell runs)."""
        expr = "[str(p) for p in __import__('hotreload.ipython').ipython"
        expr += ".active_reloader()._queue]"  # see _wait_queued
        msg_id = self.kc.execute("", silent=True, user_expressions={"p": expr})
        while True:
            reply = self.kc.get_shell_msg(timeout=WAIT)
            if reply["parent_header"].get("msg_id") == msg_id:
                data = reply["content"]["user_expressions"]["p"]
                assert data["status"] == "ok", data
                return list(eval(data["data"]["text/plain"]))

    def wait_queued(self, path: Path) -> None:
        """Until the kernel's watcher has queued ``path`` (a bounded wait)."""
        deadline = time.monotonic() + WAIT
        while str(path) not in self.queued():
            assert time.monotonic() < deadline, f"{path} never queued"


def _text(outputs: list[tuple[str, str]]) -> str:
    return "".join(text for _, text in outputs)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    base = tmp_path_factory.mktemp("kernel")
    spec = base / "kernels" / "hotreload-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "test", "language": "python"})
    )
    km = KernelManager(
        kernel_name="hotreload-test",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(base / "kernels")]),
    )
    km.start_kernel(cwd=str(base), env=_env(base))
    kernel = Kernel(km)
    try:
        assert kernel.run("%load_ext hotreload") == []
        yield kernel
    finally:
        kernel.kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.fixture
def watched(kernel: Kernel, tmp_path: Path) -> Path:
    """A fresh root the kernel watches (replacing the previous test's)."""
    root = tmp_path / "mods"
    root.mkdir()
    out = _text(kernel.run(f"%hotreload watch {root}"))
    assert f"watching {root}" in out and "before each cell" in out
    return root


def test_kernel_cell_starts_with_the_reload_line(kernel: Kernel, watched: Path) -> None:
    path = watched / "k_edit.py"
    write_atomic(path, "def f():\n    return 1\n")
    assert kernel.run("from k_edit import f\nf()") == [("result", "1")]
    # Saved and run at once, as an editor's "save and run" does: the cell
    # may come before the watcher's batch, and still sees the new code.
    write_atomic(path, "def f():\n    return 22\n")
    outputs = kernel.run("print('cell runs')\nf()")
    assert outputs[0][0] == "stdout"
    first, *rest = _text(outputs[:-1]).splitlines()
    assert first.startswith("k_edit reloaded: updated f"), outputs
    assert rest == ["cell runs"]
    assert outputs[-1] == ("result", "22")
    # Reported once, though the watcher's own event comes later.
    write_atomic(watched / "k_other.py", "X = 1\n")
    kernel.run("import k_other")
    write_atomic(watched / "k_other.py", "X = 2\n")
    kernel.wait_queued(watched / "k_other.py")  # a barrier: k_edit's came before
    outputs = kernel.run("f(), k_other.X")
    assert _text(outputs[:-1]).startswith("k_other reloaded"), outputs
    assert "k_edit" not in _text(outputs)
    assert outputs[-1] == ("result", "(22, 2)")


def test_kernel_rejected_versions_name_file_and_line(
    kernel: Kernel, watched: Path
) -> None:
    path = watched / "k_bad.py"
    write_atomic(path, "def f():\n    return 1\n")
    kernel.run("from k_bad import f\nx = 41")
    write_atomic(path, "def f():\n    return 2\nx = (\n")
    outputs = kernel.run("x + 1, f()")
    line = _text(outputs[:-1])
    assert line.startswith("k_bad not reloaded: SyntaxError: '(' was never"), outputs
    assert "k_bad.py, line 3" in line and "previous version stays" in line
    assert outputs[-1] == ("result", "(42, 1)")  # namespace and old code survive
    # The watcher's own event for those bytes comes later: not reported twice.
    errors = _text(kernel.run("%hotreload errors"))
    assert re.match(r"\d\d:\d\d:\d\d  k_bad not reloaded", errors), errors
    assert f'File "{path}", line 3' in errors
    assert kernel.run("f()") == [("result", "1")]

    write_atomic(path, "def f():\n    return 3\n\nraise ValueError('at import')\n")
    kernel.wait_queued(path)
    outputs = kernel.run("f()")
    line = _text(outputs[:-1])
    assert line.startswith("k_bad not reloaded: ValueError: at import"), outputs
    assert f"[{path}:4]" in line
    assert outputs[-1] == ("result", "1")


def test_kernel_never_reloads_in_a_running_cell(kernel: Kernel, watched: Path) -> None:
    path = watched / "k_loop.py"
    write_atomic(path, "def f():\n    return 'old'\n")
    kernel.run("import k_loop\nfrom hotreload.ipython import active_reloader")
    # The cell calls f() until the watcher has queued the edit, then some more.
    msg_id = kernel.start(
        "import time\nseen = []\nprint('started', flush=True)\n"
        f"deadline = time.monotonic() + {WAIT}\n"
        "while not active_reloader().pending_paths() and time.monotonic() < deadline:\n"
        "    seen.append(k_loop.f())\n"
        "for _ in range(200):\n"
        "    seen.append(k_loop.f())\n"
        "print(sorted(set(seen)), time.monotonic() < deadline)\n"
    )
    assert kernel.outputs(msg_id, until="started")
    write_atomic(path, "def f():\n    return 'newer'\n")
    assert _text(kernel.outputs(msg_id)).split() == ["['old']", "True"]
    outputs = kernel.run("k_loop.f()")
    assert _text(outputs[:-1]).startswith("k_loop reloaded: updated f"), outputs
    assert outputs[-1] == ("result", "'newer'")


def test_kernel_pause_resume_and_off(kernel: Kernel, watched: Path) -> None:
    path = watched / "k_pause.py"
    write_atomic(path, "def f():\n    return 1\n")
    kernel.run("from k_pause import f")
    assert "reloads paused" in _text(kernel.run("%hotreload pause"))
    write_atomic(path, "def f():\n    return 2\n")
    kernel.wait_queued(path)
    assert kernel.run("f()") == [("result", "1")]
    status = _text(kernel.run("%hotreload"))
    assert "paused (1 change queued)" in status and str(path) in status
    out = _text(kernel.run("%hotreload resume")).splitlines()
    assert out[0].startswith("k_pause reloaded: updated f")
    assert out[1] == "reloads resumed; 1 held reload applied"
    assert kernel.run("f()") == [("result", "2")]
    assert "stopped watching" in _text(kernel.run("%hotreload off"))
    write_atomic(path, "def f():\n    return 3\n")
    assert kernel.run("f()") == [("result", "2")]  # no watcher: nothing changes


# -- the README's comparison with %autoreload, hotreload's column --------------


def test_the_comparison_hotreload_column_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench import autoreload_compare as compare

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    for case in compare.CASES:
        seen = compare.run_case("hotreload", case, tmp_path)
        assert " right, " in seen, (case.edit, seen)
        if case.line is None:
            assert seen.endswith("a report line"), (case.edit, seen)
        else:
            assert seen.endswith(f"with file and line {case.line}"), (case.edit, seen)
