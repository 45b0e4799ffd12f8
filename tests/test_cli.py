"""The command line: ``main(argv)`` in-process, and the daemon as a process."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotreload import Reloader
from hotreload.cli import build_parser, main
from hotreload.commands import COMMANDS
from hotreload.events import ReloadEvent
from tests.conftest import Mods, write_atomic

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_modules"


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def samples(tmp_path: Path) -> Iterator[Path]:
    """A copy of sample_modules (tests never edit the originals)."""
    root = tmp_path / "samples"
    shutil.copytree(SAMPLES, root, ignore=shutil.ignore_patterns("__pycache__"))
    yield root
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(str(root)):
            del sys.modules[name]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current directory, so the repo's pyproject.toml is not read."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err.strip()


# -- usage errors: exit 2, one line ------------------------------------------


@pytest.mark.usefixtures("workdir")
def test_missing_directory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", "/nope/nothing"]) == 2
    assert (
        one_error_line(capsys) == "hotreload: error: /nope/nothing: no such directory"
    )


def test_file_where_a_directory_is_expected(
    samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(samples / "greet.py")]) == 2
    assert one_error_line(capsys).endswith("greet.py: not a directory")


@pytest.mark.parametrize(
    "argv",
    [
        ["watch", "--bogus"],
        ["--bogus"],
        ["watch", "--debounce", "soon"],
        ["frobnicate"],
        [],
        ["run"],
        ["run", "-m"],
        ["check", "--poll"],
    ],
)
@pytest.mark.usefixtures("workdir")
def test_bad_command_lines(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert one_error_line(capsys).startswith("hotreload")


def test_bad_config_names_the_key(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "pyproject.toml").write_text("[tool.hotreload]\ndebounse = 5\n")
    assert main(["check"]) == 2
    line = one_error_line(capsys)
    assert "debounse" in line
    assert "unknown key" in line


def test_missing_script(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "nothere.py"]) == 2
    assert one_error_line(capsys) == "hotreload run: error: nothere.py: no such file"


def test_missing_module_to_run(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "-m", "hr_no_such_module_here"]) == 2
    assert "hr_no_such_module_here: no module to run" in one_error_line(capsys)


# -- --version and --help ----------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("hotreload 0.")


@pytest.mark.parametrize("argv", [[], ["watch"], ["run"], ["check"]])
def test_help_on_every_command(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: hotreload")


def test_watch_help_documents_every_flag(capsys: pytest.CaptureFixture[str]) -> None:
    main(["watch", "--help"])
    out = capsys.readouterr().out
    for flag in (
        "--no-repl",
        "--json",
        "--poll",
        "--debounce MS",
        "--exclude GLOB",
        "--cascade",
        "--follow-symlinks",
        "--require NAME",
    ):
        assert flag in out, flag
    for command in COMMANDS:  # the REPL's commands are documented there too
        assert f"  :{command}" in out, command


def test_run_splits_its_options_from_the_programs() -> None:
    from hotreload.cli import _parse

    ns = _parse(["run", "--watch", "d", "-i", "prog.py", "-i", "--watch", "x"])
    assert (ns.watch, ns.interactive, ns.argv) == (
        ["d"],
        True,
        ["prog.py", "-i", "--watch", "x"],
    )
    ns = _parse(["run", "-m", "pkg.app", "-i", "--flag"])
    assert (ns.module, ns.interactive, ns.argv) == ("pkg.app", False, ["-i", "--flag"])
    assert _parse(["run", "-mpkg"]).module == "pkg"
    ns = _parse(["run", "prog.py", "-m", "x"])  # the program's own -m
    assert (ns.module, ns.argv) == (None, ["prog.py", "-m", "x"])
    assert _parse(["run", "--", "-odd.py"]).argv == ["-odd.py"]


def test_parser_leaves_unset_flags_as_none() -> None:
    ns = build_parser().parse_args(["watch"])
    assert (ns.polling, ns.debounce, ns.cascade, ns.exclude, ns.paths) == (
        None,
        None,
        None,
        None,
        [],
    )


# -- check --------------------------------------------------------------------


@pytest.mark.usefixtures("workdir")
def test_check_ok(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(samples)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "hotreload: 5 modules ok\n"


@pytest.mark.usefixtures("workdir")
def test_check_reports_one_line_per_failure(
    samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (samples / "broken.py").write_text("def f(:\n")
    (samples / "crash.py").write_text("X = 1\nraise ValueError('at import')\n")
    assert main(["check", str(samples)]) == 1
    lines = sorted(capsys.readouterr().out.splitlines())
    assert lines == [
        f"{samples}/broken.py:1: broken: SyntaxError: invalid syntax",
        f"{samples}/crash.py:2: crash: ValueError: at import",
    ]


@pytest.mark.usefixtures("workdir")
def test_check_require(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(samples), "--require", "transform"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert {line.split(": ")[1] for line in lines} == {
        "counter",
        "greet",
        "shapes",
        "shapes.area",
    }
    assert f"{samples}/greet.py: greet: missing required name(s) transform" in lines


@pytest.mark.usefixtures("workdir")
def test_check_leaves_package_main_modules_alone(
    samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A package's command line would run if imported (and here exit).
    (samples / "shapes" / "__main__.py").write_text("raise SystemExit('ran!')\n")
    assert main(["check", str(samples)]) == 0
    assert "5 modules ok" in capsys.readouterr().err


def test_check_starts_no_watcher(
    workdir: Path, samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def start(self: Reloader) -> None:
        raise AssertionError("check imports; it has nothing to watch")

    monkeypatch.setattr(Reloader, "start", start)
    assert main(["check", str(samples)]) == 0


def test_empty_paths_in_config_is_a_usage_error(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "pyproject.toml").write_text("[tool.hotreload]\npaths = []\n")
    assert main(["check"]) == 2
    assert "paths: must name at least one directory" in one_error_line(capsys)


def test_check_uses_config_paths(
    workdir: Path, samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "pyproject.toml").write_text(
        f"[tool.hotreload]\npaths = [{str(samples)!r}]\n"
    )
    assert main(["check"]) == 0
    assert "5 modules ok" in capsys.readouterr().err


# -- run ----------------------------------------------------------------------


class Recording(Reloader):
    """A Reloader a test program can reach: the last one started."""

    last: Reloader | None = None

    def start(self) -> None:
        type(self).last = self
        super().start()


def test_run_script_tracks_main_and_passes_argv(
    mods: Mods,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    workdir: Path,
) -> None:
    helper = mods.name("helper")
    path = mods.write(helper, "def f():\n    return 'v1'\n")
    script = mods.root / "prog.py"
    script.write_text(
        textwrap.dedent(f"""\
        import sys
        from pathlib import Path
        from {helper} import f
        from tests.conftest import write_atomic
        reloader = sys.modules["hotreload.cli"].Reloader.last
        before = f()
        write_atomic(Path({str(path)!r}), "def f():\\n    return 'v2'\\n")
        assert reloader.wait(timeout=10).ok
        print(__name__, sys.argv[1:], before, f())
        sys.exit(3)
    """)
    )
    monkeypatch.setattr("hotreload.cli.Reloader", Recording)
    assert main(["run", str(script), "--flag", "x"]) == 3
    out, err = capsys.readouterr()
    # `from helper import f` in __main__ was rebound by the reload.
    assert out == "__main__ ['--flag', 'x'] v1 v2\n"
    assert f"hotreload: {helper} reloaded: updated f" in err  # one line per reload
    assert Recording.last is not None and Recording.last.roots == (mods.root,)


def test_run_failure_shows_the_programs_traceback(
    mods: Mods, capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    script = mods.root / "bad.py"
    script.write_text("def go():\n    raise LookupError('gone')\n\ngo()\n")
    assert main(["run", str(script)]) == 1
    err = capsys.readouterr().err
    assert f'File "{script}", line 4' in err
    assert "LookupError: gone" in err
    assert "hotreload/" not in err


def test_run_module(
    mods: Mods, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = mods.name("app")
    mods.write(
        app, "import sys\nprint(__name__, sys.argv[0].endswith('.py'), sys.argv[1:])\n"
    )
    monkeypatch.chdir(mods.root)
    assert main(["run", "-m", app, "-i", "--x"]) == 0
    assert capsys.readouterr().out == "__main__ True ['-i', '--x']\n"


# -- the daemon as a process ----------------------------------------------------


class Lines:
    """Read a child's pipe line by line with a deadline, without threads."""

    def __init__(self, stream: Any) -> None:
        self.fd = stream.fileno()
        self.buffer = b""
        self.seen: list[str] = []

    def next(self, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self.fd], [], [], max(remaining, 0))
            if not ready:
                raise AssertionError(f"no line within {timeout}s; saw {self.seen}")
            chunk = os.read(self.fd, 65536)
            if not chunk:
                raise AssertionError(f"stream closed; saw {self.seen}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        self.seen.append(line.decode())
        return self.seen[-1]


def spawn(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "hotreload", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_json_daemon(samples: Path, tmp_path: Path, stop: signal.Signals) -> None:
    # Output a module writes to descriptor 1 itself (a subprocess would too)
    # must not land between the events.
    plugin = samples / "plugin.py"
    # An assignment, so a module (a bare call at the top would make it a script).
    plugin.write_text("import os\n_ = os.write(1, b'raw')\n" + plugin.read_text())
    proc = spawn("watch", str(samples), "--no-repl", "--json", cwd=tmp_path)
    try:
        out = Lines(proc.stdout)
        ready = json.loads(out.next())
        assert ready["event"] == "ready"
        assert ready["roots"] == [str(samples)]
        assert ready["modules"] == [
            "counter",
            "greet",
            "plugin",
            "shapes",
            "shapes.area",
        ]
        write_atomic(
            samples / "greet.py", "def hello(name):\n    return 'Hi ' + name\n"
        )
        event = json.loads(out.next())
        assert event["event"] == "reload"
        assert (event["module"], event["ok"], event["trigger"]) == (
            "greet",
            True,
            "file",
        )
        assert event["path"] == str(samples / "greet.py")
        proc.send_signal(stop)
        rest, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert rest == b""
    assert b"raw" in err
    assert b"Traceback" not in err


def test_human_daemon(samples: Path, tmp_path: Path) -> None:
    proc = spawn("watch", str(samples), "--no-repl", cwd=tmp_path)
    try:
        err = Lines(proc.stderr)
        assert err.next().startswith(f"hotreload: watching {samples} (")
        write_atomic(samples / "shapes" / "area.py", "def circle(r):\n    return (\n")
        line = err.next()
        assert line.startswith("shapes.area not reloaded: SyntaxError")
        proc.send_signal(signal.SIGINT)
        out, rest = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert out == b""
    # The last line; watchdog itself may log a line while its threads stop.
    assert rest.decode().splitlines()[-1] == "hotreload: stopped"
    assert b"Traceback" not in rest


LIGHT = """\
import sys
from hotreload import cli
from hotreload.reloader import Reloader

def stop_waiting(self, timeout=None):
    raise KeyboardInterrupt

Reloader.wait = stop_waiting
codes = [cli.main(argv) for argv in ({runs})]
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & {{"prompt_toolkit", "pygments"}})
print(codes, heavy)
"""


def test_check_version_and_daemon_do_not_load_the_repl(
    samples: Path, tmp_path: Path
) -> None:
    runs = f"['--version'], ['check', {str(samples)!r}], ['watch', {str(samples)!r}, '--no-repl', '--json']"
    proc = subprocess.run(
        [sys.executable, "-c", LIGHT.format(runs=runs)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[0, 0, 0] []"


# -- the daemon and the REPL paths in-process (what coverage can see) ---------


class Scripted(Reloader):
    """Reload greet in full once when the daemon first waits, then act as Ctrl-C."""

    def wait(self, timeout: float | None = None) -> ReloadEvent | None:
        if any(e.trigger == "manual" for e in self.history):
            raise KeyboardInterrupt
        return self.reload("greet", full=True)  # the print runs again


@pytest.mark.usefixtures("workdir")
def test_daemon_json_in_process(
    samples: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (samples / "broken.py").write_text("raise ImportError('nope')\n")
    greet = samples / "greet.py"  # prints at import and at reload, no newline
    greet.write_text("_ = print('noise', end='')\n" + greet.read_text())
    monkeypatch.setattr("hotreload.cli.Reloader", Scripted)
    assert main(["watch", str(samples), "--json"]) == 0  # --json implies --no-repl
    captured = capsys.readouterr()
    ready, reload = (json.loads(line) for line in captured.out.splitlines())
    assert captured.err == "noise" * 2  # the modules' own output goes to stderr
    assert ready["event"] == "ready"
    assert [f["module"] for f in ready["failures"]] == ["broken"]
    assert ready["failures"][0]["error"] == "ImportError: nope"
    assert (reload["event"], reload["module"], reload["trigger"]) == (
        "reload",
        "greet",
        "manual",
    )


@pytest.mark.usefixtures("workdir")
def test_daemon_human_in_process(
    samples: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (samples / "broken.py").write_text("raise ImportError('nope')\n")
    monkeypatch.setattr("hotreload.cli.Reloader", Scripted)
    assert main(["watch", str(samples), "--no-repl"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0].startswith(f"hotreload: watching {samples} (")
    assert lines[1] == f"hotreload: {samples}/broken.py:1: broken: ImportError: nope"
    assert lines[2].startswith("greet reloaded: ")
    assert lines[-1] == "hotreload: stopped"


def piped_repl(pipe: Any, out: list[str]) -> type[Any]:
    from prompt_toolkit.output import DummyOutput

    from hotreload.repl import Repl

    class PipedRepl(Repl):
        def __init__(self, *args: Any, **kw: Any) -> None:
            kw.update(input=pipe, output=DummyOutput(), write=out.append)
            super().__init__(*args, **kw)

    return PipedRepl


@pytest.fixture
def pipe() -> Iterator[Any]:
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    with (
        create_pipe_input() as inp,
        create_app_session(input=inp, output=DummyOutput()),
    ):
        yield inp


@pytest.mark.usefixtures("workdir")
def test_watch_opens_the_repl(
    samples: Path, monkeypatch: pytest.MonkeyPatch, pipe: Any
) -> None:
    out: list[str] = []
    monkeypatch.setattr("hotreload.repl.Repl", piped_repl(pipe, out))
    # The command line opens a REPL only where standard input is a terminal.
    monkeypatch.setattr("hotreload.cli._stdin_is_terminal", lambda: True)
    pipe.send_text('greet.hello("Ada")\rexit(4)\r')
    assert main(["watch", str(samples)]) == 4
    assert "'Hello, Ada!'\n" in out


@pytest.mark.usefixtures("workdir")
def test_run_interactive_opens_the_repl_on_the_programs_namespace(
    mods: Mods, monkeypatch: pytest.MonkeyPatch, pipe: Any
) -> None:
    other = mods.name("other")
    mods.write(other, "raise RuntimeError('never imported by -i')\n")
    script = mods.root / "prog.py"
    script.write_text("x = 21\n")
    out: list[str] = []
    monkeypatch.setattr("hotreload.repl.Repl", piped_repl(pipe, out))
    pipe.send_text(f"x * 2\r{other!r} in dir()\r\x04")
    assert main(["run", "-i", str(script)]) == 0
    assert out[-2:] == ["42\n", "False\n"]


@pytest.mark.filterwarnings("default::hotreload.errors.HotreloadWarning")
def test_library_warnings_are_one_short_line(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = workdir / "open"
    root.mkdir()
    (root / "m.py").write_text("X = 1\n")
    os.chmod(root, 0o777)
    try:
        assert main(["check", str(root)]) == 0
    finally:
        os.chmod(root, 0o755)
        sys.modules.pop("m", None)
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("hotreload: warning: ")
    assert err[-1] == "hotreload: 1 module ok"


@pytest.mark.usefixtures("workdir")
def test_check_in_process_skips_and_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.project import MARKERS, make_project

    app = make_project(tmp_path)
    # In this process `tests` is this repository's: leave the project's out.
    assert (
        main(["check", str(app), "--exclude", "build/*", "--exclude", "tests/*"]) == 0
    )
    err = capsys.readouterr().err
    assert err.count("hotreload: skipped ") == 5
    assert err.endswith("hotreload: 5 modules ok, 5 skipped\n")
    assert not any((app.parent / m).exists() for m in MARKERS)
    assert main(["check", str(app / "scripts")]) == 1
    assert "no module to check" in capsys.readouterr().err
    assert main(["check", str(app / "adv")]) == 2
    assert one_error_line(capsys).endswith(f"type: hotreload check {app}")


@pytest.mark.usefixtures("workdir")
def test_piped_statements_in_process(
    samples: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("print(greet.hello('Ada'))\n"))
    assert main(["watch", str(samples)]) == 0
    assert capsys.readouterr().out == "Hello, Ada!\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("raise SystemExit(5)\n"))
    assert main(["watch", str(samples)]) == 5


@pytest.mark.usefixtures("workdir")
def test_daemon_names_what_it_skipped(
    samples: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (samples / "setup.py").write_text("raise SystemExit('usage:\\n  setup.py')\n")
    monkeypatch.setattr("hotreload.cli.Reloader", Scripted)
    assert main(["watch", str(samples), "--no-repl"]) == 0
    err = capsys.readouterr().err
    assert "skipped " in err and "setup.py is the packaging script" in err
    assert "usage" not in err  # it never ran
