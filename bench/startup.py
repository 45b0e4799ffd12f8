"""The start-up row: import cost, ``--version`` and time to the first prompt.

Everything is a whole-process wall-clock time from the orchestrator, taken
over several runs with the commands interleaved (so a slow moment of the
machine hits every command alike), plus ``python -X importtime`` for where
``import hotreload`` spends its time. Runs in a scratch directory so nothing
in the repository shadows an installed package.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import corpus

BIN = Path(sys.executable).parent
LAZY = ("prompt_toolkit", "watchdog", "pygments", "jedi")  # DESIGN: load only when used

_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    # A fresh home: no user config, no history file, no IPython profile.
    env.update(HOME=str(home), XDG_STATE_HOME=str(home / "state"), TERM="xterm")
    # Byte-code caching on, as on a user's machine, but kept in the scratch
    # directory: every package (hotreload's editable checkout included) then
    # starts from .pyc files the warm-up run wrote, and nothing in the
    # repository or the venv is touched.
    env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    for name in (
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "PYTHONDONTWRITEBYTECODE",
        "PROMPT_TOOLKIT_NO_CPR",
    ):
        env.pop(name, None)
    return env


def _time(argv: Sequence[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def _importtime(module: str, env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Return self-time of ``module``'s own submodules and its cumulative time."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    own = cumulative = 0
    for line in done.stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if not match:
            continue
        self_us, cum_us, _, name = match.groups()
        if name == module or name.startswith(module + "."):
            own += int(self_us)
        if name == module:
            cumulative = int(cum_us)
    return {"self": own / 1e6, "cumulative": cumulative / 1e6}


class _Terminal:
    """Answer a program's terminal queries the way xterm would, at once.

    prompt_toolkit asks for the cursor position; blessed (jurigged) also asks
    for terminfo capabilities and the terminal's version. Unanswered, each
    query waits for its timeout, which no real terminal would make it do.
    """

    REPLIES = (
        (r"\x1b\[6n", "\x1b[1;1R"),
        (r"\x1bP\+q[0-9a-fA-F;]*\x1b\\", "\x1bP0+r\x1b\\"),
        (r"\x1b\[>q", "\x1bP>|xterm(390)\x1b\\"),
        (r"\x1b\[c", "\x1b[?1;2c"),
    )

    @classmethod
    def time_to_prompt(
        cls, argv: Sequence[str], prompt: str, env: dict[str, str], cwd: Path
    ) -> float:
        import pexpect

        start = time.perf_counter()
        child = pexpect.spawn(
            argv[0],
            list(argv[1:]),
            env=env,
            cwd=str(cwd),
            encoding="utf-8",
            timeout=60,
            dimensions=(40, 120),
        )
        child.delaybeforesend = None  # pexpect's 50 ms default would be timed
        try:
            patterns = [prompt, *(query for query, _ in cls.REPLIES)]
            while (index := child.expect(patterns)) != 0:
                child.send(cls.REPLIES[index - 1][1])
            return time.perf_counter() - start
        finally:
            child.terminate(force=True)
            child.close()


def run(workdir: Path, runs: int, prompt_runs: int) -> dict[str, Any]:
    """Measure the start-up row; returns raw times (seconds) per command."""
    home = workdir / "home"
    root = workdir / "root"
    root.mkdir(parents=True)
    (home / "state").mkdir(parents=True)
    corpus.write_prompt(root)
    env = _env(home)
    py = sys.executable
    commands = {
        "bare": [py, "-c", "pass"],
        "import hotreload": [py, "-c", "import hotreload"],
        "from hotreload import Reloader": [py, "-c", "from hotreload import Reloader"],
        "import jurigged": [py, "-c", "import jurigged"],
        "import IPython": [py, "-c", "import IPython"],
        "hotreload --version": [str(BIN / "hotreload"), "--version"],
        "jurigged --version": [str(BIN / "jurigged"), "--version"],
        "ipython --version": [str(BIN / "ipython"), "--version"],
    }
    prompts = {
        "hotreload": ([py, "-m", "hotreload", "watch", str(root)], ">>>"),
        "jurigged": ([py, "-m", "jurigged", "-w", str(root)], ">>> "),
        "IPython": (
            [str(BIN / "ipython"), "--no-banner", "--ext=autoreload"],
            r"In \[",
        ),
    }
    for argv in commands.values():  # warm the page cache, write the pyc files
        _time(argv, env, workdir)
    for argv, pattern in prompts.values():
        _Terminal.time_to_prompt(argv, pattern, env, workdir)
    times: dict[str, list[float]] = {key: [] for key in commands}
    for _ in range(runs):
        for key, argv in commands.items():
            times[key].append(_time(argv, env, workdir))
    probe = "import hotreload, sys; print(*[m for m in {!r} if m in sys.modules])"
    lazy = subprocess.run(
        [py, "-c", probe.format(LAZY)], env=env, cwd=workdir, capture_output=True
    )
    importtime = {
        name: [_importtime(name, env, workdir) for _ in range(3)]
        for name in ("hotreload", "jurigged", "IPython")
    }
    prompt_times: dict[str, list[float]] = {key: [] for key in prompts}
    for _ in range(prompt_runs):
        for key, (argv, pattern) in prompts.items():
            prompt_times[key].append(
                _Terminal.time_to_prompt(argv, pattern, env, workdir)
            )
    return {
        "times": times,
        "lazy_loaded": lazy.stdout.decode().split(),
        "importtime": importtime,
        "prompt": prompt_times,
    }
