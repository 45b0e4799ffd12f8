"""Safe defaults and honest reports, on a directory that looks like a project.

Each test starts ``hotreload`` as a user would, in a real subprocess or a
real terminal (a pty via pexpect), from ``proj/app`` of `tests.project`:
a package, scripts, ``setup.py``, ``conftest.py``, ``tests/``, and a
``pyproject.toml`` one level up. Waits are ``expect(..., timeout=...)`` or
``communicate(timeout=...)``: failure bounds, never delays.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest

from tests.conftest import write_atomic
from tests.project import MARKERS, make_project, subprocess_env

REPO = Path(__file__).resolve().parent.parent
PROMPT = ">>>"
WAIT = 15


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def ran(app: Path) -> list[str]:
    """The markers left by files that must never have run."""
    return [m for m in MARKERS if (app.parent / m).exists()]


def hotreload(
    app: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hotreload", *args],
        cwd=app,
        env=subprocess_env(app.parent.parent),
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def repl(app: Path) -> Iterator[Any]:
    child = spawn(app, "watch")
    try:
        child.expect_exact(PROMPT)
        yield child
    finally:
        close(child)


def spawn(app: Path, *args: str) -> Any:
    return pexpect.spawn(
        sys.executable,
        ["-m", "hotreload", *args],
        cwd=str(app),
        env=subprocess_env(app.parent.parent),
        dimensions=(40, 160),
        encoding="utf-8",
        timeout=WAIT,
        logfile=sys.stdout if os.environ.get("HR_DEBUG") else None,
    )


def close(child: Any) -> None:
    if child.isalive():
        child.terminate(force=True)
    child.close()


_syncs = iter(range(10**9))


def say(child: Any, line: str, *expected: str) -> None:
    """Type a line; wait for each expected text and for the line to finish.

    A prompt is drawn again as the line is typed, so ``>>>`` alone does not
    say that the line ran: a second line whose output differs from its text
    does (its result shows only once the first has finished).
    """
    child.sendline(line)
    for text in expected:
        child.expect_exact(text)
    n = next(_syncs)
    child.sendline(f"'sync' + '{n}'")
    child.expect_exact(f"'sync{n}'")
    child.expect_exact(PROMPT)


def output(child: Any, line: str) -> str:
    """Run a line; return what the terminal showed until it finished."""
    child.sendline(line)
    n = next(_syncs)
    child.sendline(f"'sync' + '{n}'")
    child.expect_exact(f"'sync{n}'")
    shown: str = child.before
    child.expect_exact(PROMPT)
    return shown


# -- 1. nothing runs because it is in the directory ---------------------------


def test_repl_binds_modules_and_imports_on_first_use(repl: Any, app: Path) -> None:
    say(repl, ":modules", "adv.game", "not loaded")
    say(repl, "util.double(21)", "42")
    screen = output(repl, ":modules")
    assert any(row.split()[:2] == ["util", "ok"] for row in screen.splitlines())
    # :reload never runs a script that was never imported.
    say(repl, ":reload", "util reloaded")
    say(repl, ":reload play", "play: not imported yet")
    assert ran(app) == []


def test_start_up_banner_lists_what_is_bound(app: Path) -> None:
    child = spawn(app, "watch")
    try:
        child.expect_exact(
            "modules: adv, play, serve, tests, util (each imported on first use)"
        )
        child.expect_exact("my-file.py: not importable as a module")
        child.expect_exact(PROMPT)
        say(child, "adv.Player", "<class 'adv.game.Player'>")
    finally:
        close(child)
    assert ran(app) == []


def test_a_slow_import_is_named_and_ctrl_c_interrupts_it(repl: Any, app: Path) -> None:
    (app / "slow_mod.py").write_text("import time\nDATA = time.sleep(60)\n")
    say(repl, "kept = 7")
    repl.sendline("slow_mod.DATA")
    repl.expect_exact("importing slow_mod… 2 s")
    repl.sendintr()
    repl.expect_exact("import of slow_mod interrupted after")
    repl.expect_exact("KeyboardInterrupt")
    repl.expect_exact(PROMPT)
    say(repl, "kept * 6", "42")
    say(repl, "'slow_mod' in __import__('sys').modules", "False")


def test_check_skips_what_is_not_a_module_and_says_so(app: Path) -> None:
    proc = hotreload(app, "check")
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr
    assert "skipped play.py: a script: line 2 runs when imported" in err
    assert "skipped setup.py: setup.py is the packaging script" in err
    assert "skipped conftest.py: conftest.py belongs to pytest" in err
    assert "skipped scripts/migrate.py: a script: line 1" in err
    assert "skipped my-file.py: not importable as a module" in err
    # adv, adv.game, adv.npc, serve, tests, tests.test_game, util
    assert err.rstrip().endswith("hotreload: 7 modules ok, 5 skipped")
    assert ran(app) == []  # build/junk.py: excluded by ../pyproject.toml


def test_check_on_no_module_exits_1(app: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = hotreload(app, "check", str(empty))
    assert proc.returncode == 1
    assert proc.stderr == f"hotreload: error: no module to check under {empty}\n"
    proc = hotreload(app, "check", "scripts")  # only a script in it
    assert proc.returncode == 1
    assert "no module to check under scripts (1 files skipped)" in proc.stderr


def test_daemon_imports_modules_only_and_reloads_what_is_loaded(app: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "hotreload", "watch", "--json"],
        cwd=app,
        env=subprocess_env(app.parent.parent),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        ready = json.loads(child.stdout.readline())
        assert "util" in ready["modules"] and "play" not in ready["modules"]
        skipped = {Path(s["path"]).name for s in ready["skipped"]}
        assert {"play.py", "setup.py", "conftest.py", "migrate.py"} <= skipped
        # A rejected save carries its file, line and column.
        write_atomic(app / "util.py", "def double(x):\n    return 2 *\n")
        event = json.loads(child.stdout.readline())
        assert (event["module"], event["ok"]) == ("util", False)
        assert event["filename"] == str(app / "util.py")
        assert (event["lineno"], event["col"]) == (2, 15)  # as Python reports it
        write_atomic(
            app / "util.py", "def double(x):\n    return 1 / 0 + x\nY = double(1)\n"
        )
        event = json.loads(child.stdout.readline())
        assert (event["lineno"], event["col"]) == (2, 12)  # the innermost user frame
        # An edit of a script that was never imported reloads nothing; the
        # barrier is the deletion of util that follows.
        write_atomic(app / "play.py", "raise SystemExit('never')\n")
        (app / "util.py").unlink()
        event = json.loads(child.stdout.readline())
        assert (event["module"], event["ok"]) == ("util", True)
        assert event["warnings"][0].startswith("unloaded:")
    finally:
        child.terminate()
        child.communicate(timeout=10)
    assert ran(app) == []


# -- 2. piped statements run as python runs them -------------------------------


def test_piped_statements_run_like_python(app: Path) -> None:
    proc = hotreload(
        app, "watch", stdin="print(util.double(21))\nx = adv.Player('B')\n"
    )
    assert (proc.returncode, proc.stdout) == (0, "42\n")
    proc = hotreload(app, "watch", stdin="1 / 0\n")
    assert proc.returncode == 1
    assert proc.stderr.rstrip().endswith("ZeroDivisionError: division by zero")
    assert "\x1b" not in proc.stdout + proc.stderr  # no terminal control codes
    assert ran(app) == []


# -- 3. a package directory ----------------------------------------------------


@pytest.mark.parametrize("command", ["watch", "check"])
def test_a_package_directory_gets_a_one_line_hint(app: Path, command: str) -> None:
    proc = hotreload(app, command, "adv")
    assert proc.returncode == 2
    assert proc.stderr == (
        f"hotreload {command}: error: adv is a package (it holds __init__.py); "
        f"to work with it as package adv, type: hotreload {command} .\n"
    )


# -- 4. run reports each reload and watches its script -------------------------


LOOP = """\
import sys
import util


def answer():
    return util.double(21)


if __name__ == "__main__":
    print("ready", flush=True)
    for line in sys.stdin:
        print("answer", answer(), flush=True)
"""


def test_run_reports_each_reload_and_hears_its_script(app: Path) -> None:
    (app / "loop.py").write_text(LOOP)
    child = spawn(app, "run", "loop.py")
    try:
        child.expect_exact("ready")
        say_line(child, "x", "answer 42")
        write_atomic(app / "util.py", "def double(x):\n    return 3 * x\n")
        child.expect_exact("hotreload: util reloaded: updated double")
        say_line(child, "x", "answer 63")
        write_atomic(app / "util.py", "def double(x):\n    return 3 *\n")
        child.expect_exact("hotreload: util not reloaded: SyntaxError")
        child.expect_exact("util.py, line 2")
        say_line(child, "x", "answer 63")  # the previous version stays
        write_atomic(app / "loop.py", LOOP.replace("double(21)", "double(7)"))
        child.expect_exact("hotreload: __main__ reloaded: updated answer")
        say_line(child, "x", "answer 21")  # the script's own definition follows
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        close(child)
    assert child.exitstatus == 0


def test_run_quiet_says_nothing(app: Path) -> None:
    (app / "loop.py").write_text(LOOP)
    child = spawn(app, "run", "--quiet", "loop.py")
    try:
        child.expect_exact("ready")
        write_atomic(app / "util.py", "def double(x):\n    return 3 * x\n")
        # No report to wait for: ask until the new code answers.
        for _ in range(200):
            say_line(child, "x", "answer ")
            child.expect(r"\d+")
            if child.after == "63":
                break
        else:  # pragma: no cover  the reload never landed
            raise AssertionError("util was not reloaded")
        assert "hotreload" not in child.before
    finally:
        close(child)


def say_line(child: Any, line: str, expected: str) -> None:
    child.sendline(line)
    child.expect_exact(expected)


# -- 5. deleted and renamed modules --------------------------------------------


def test_deleted_and_renamed_modules_leave_the_listing(repl: Any, app: Path) -> None:
    say(
        repl,
        "import adv.npc; util.double(2), adv.npc.talk()",
        "(4, 'hello, traveller')",
    )
    os.rename(app / "util.py", app / "tools.py")
    repl.expect_exact("util unloaded: util.py was deleted or renamed")
    repl.expect_exact("tools loaded in place of util: added double")
    (app / "adv" / "npc.py").unlink()
    repl.expect_exact("adv.npc unloaded")
    screen = output(repl, ":modules")
    assert "tools " in screen
    assert "util " not in screen and "adv.npc" not in screen
    screen = output(repl, ":reload")
    assert "tools reloaded" in screen
    assert "not reloaded" not in screen and "failed" not in screen
    say(repl, "tools.double(3)", "6")


def test_a_renamed_module_that_was_not_loaded_is_bound_by_its_new_name(
    repl: Any, app: Path
) -> None:
    os.rename(app / "util.py", app / "helpers.py")
    say(repl, "helpers.double(5)", "10")
    say(repl, "'util' in dir()", "False")


# -- 6. precise reports ---------------------------------------------------------


def test_a_rejected_save_is_explained_and_its_fix_noted(repl: Any, app: Path) -> None:
    say(repl, "p = adv.Player('Ada')")
    game = app / "adv" / "game.py"
    source = game.read_text()
    broken = source + "\n    def first(self):\n        return self.name[0\n"
    write_atomic(game, broken)
    repl.expect_exact("adv.game not reloaded: SyntaxError")
    say(
        repl,
        "p.first()",
        "has no attribute 'first'",  # the traceback is coloured
        "note: the latest version of adv.game (adv/game.py:9) was rejected; "
        "the previous version is live",
    )
    write_atomic(game, source)
    repl.expect_exact("adv.game reloaded: back to a good version")
    say(repl, ":errors", "SyntaxError", "(fixed at ")


# -- 7. pyproject.toml found upward --------------------------------------------


def test_pyproject_is_found_upward(app: Path) -> None:
    proc = hotreload(app / "adv", "check", ".")  # would be a package: use the parent
    assert proc.returncode == 2
    proc = hotreload(app, "check", "build")
    # ../pyproject.toml excludes build/*: nothing to check, nothing ran.
    assert proc.returncode == 1 and "no module to check under build" in proc.stderr
    assert ran(app) == []


# -- 8. the installed environment exposes only hotreload -----------------------


def test_the_environment_exposes_only_hotreload(tmp_path: Path) -> None:
    code = (
        "import importlib.util as u, hotreload; "
        "print([n for n in ('tests', 'bench', 'sample_modules') if u.find_spec(n)])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=subprocess_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (proc.returncode, proc.stdout) == (0, "[]\n"), proc.stderr


def test_make_run_installs_only_what_running_needs(tmp_path: Path) -> None:
    proc = subprocess.run(
        ["make", "-n", "-B", "run", f"VENV={tmp_path / 'venv'}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    installs = [line for line in proc.stdout.splitlines() if "pip install" in line]
    assert installs and all("[dev]" not in line for line in installs)
    assert any(line.rstrip().endswith("-e .") for line in installs)


# -- 9. details ------------------------------------------------------------------


def test_ctrl_d_typed_before_the_prompt_is_kept(app: Path) -> None:
    child = spawn(app, "watch")
    try:
        child.sendcontrol("d")  # long before the prompt is drawn
        child.expect(pexpect.EOF)
    finally:
        close(child)
    assert child.exitstatus == 0


def test_ctrl_d_typed_while_code_runs_is_kept(repl: Any) -> None:
    say(repl, "import time")
    repl.sendline("print('sle' + 'eping'); time.sleep(1)")
    repl.expect_exact("sleeping")
    repl.sendcontrol("d")  # while the call runs: the terminal is in line mode
    repl.expect(pexpect.EOF)
    repl.close()
    assert repl.exitstatus == 0


def test_a_file_named_in_decomposed_unicode_gets_the_name_typed(app: Path) -> None:
    nfd = unicodedata.normalize("NFD", "café")
    (app / f"{nfd}.py").write_text("MENU = 'croissant'\n")
    child = spawn(app, "watch")
    try:
        child.expect_exact("café")  # NFC in the banner
        child.expect_exact(PROMPT)
        say(child, "café.MENU", "'croissant'")
    finally:
        close(child)


def test_check_imports_a_decomposed_unicode_name(app: Path) -> None:
    nfd = unicodedata.normalize("NFD", "café")
    (app / f"{nfd}.py").write_text("MENU = 'croissant'\n")
    proc = hotreload(app, "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.rstrip().endswith("8 modules ok, 5 skipped")
