"""The README's embedding example runs as written."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _example() -> str:
    text = (REPO / "README.md").read_text()
    section = text.split("## Embedding", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "no python block in the README's embedding section"
    return match.group(1)


def test_readme_embedding_example(tmp_path: Path) -> None:
    shutil.copytree(REPO / "sample_modules", tmp_path / "sample_modules")
    (tmp_path / "example.py").write_text(_example())
    proc = subprocess.Popen(
        [sys.executable, "example.py"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    timer = threading.Timer(20, proc.kill)  # a failure bound, not a delay
    timer.start()
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "Hello, Ada! !\n"
        assert proc.stdout.readline().startswith("Now edit")
        greet = tmp_path / "sample_modules" / "greet.py"
        source = greet.read_text().replace('"!"', '"?"').replace("Hello", "Welcome")
        greet.write_text(source)
        rest, err = proc.communicate()
    finally:
        timer.cancel()
        timer.join()
    assert proc.returncode == 0, err
    lines = rest.splitlines()
    assert lines[0].startswith("greet reloaded: updated PUNCTUATION, hello")
    assert lines[1] == "Welcome, Ada? ?"


# The edits the walk-through asks for, in its order: (file, old, new). Each
# is applied before the block that shows its report.
WALK_EDITS = {
    1: ("greet.py", '"Hello, ', '"Welcome, '),
    2: ("counter.py", "self.count += 1", "self.count += 10"),
    4: ("shapes/area.py", "radius**2\n", "radius**\n"),
    5: ("shapes/area.py", "radius**\n", "radius**2\n"),
}
# Numbers that change from run to run: durations and clock times.
_VARIES = re.compile(r"\(\d+\.\d+ ms\)|\d\d:\d\d:\d\d")


def _walk_blocks() -> list[list[str]]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Walk-through", 1)[1].split("\n## ", 1)[0]
    return [b.splitlines() for b in re.findall(r"```\n(.*?)```", section, re.S)]


def _pattern(line: str) -> str:
    parts = _VARIES.split(line)
    times = _VARIES.findall(line)
    out = re.escape(parts[0])
    for found, part in zip(times, parts[1:], strict=True):
        out += r"\(\d+\.\d+ ms\)" if found.endswith("ms)") else r"\d\d:\d\d:\d\d"
        out += re.escape(part)
    return out


def test_readme_walk_through_in_a_terminal(tmp_path: Path) -> None:
    import os

    import pexpect

    from tests.conftest import write_atomic
    from tests.project import subprocess_env

    blocks = _walk_blocks()
    assert len(blocks) == 6 and blocks[0][0] == "$ make run"
    makefile = (REPO / "Makefile").read_text()
    assert "\t$(BIN)/hotreload watch sample_modules\n" in makefile  # what make run runs
    shutil.copytree(
        REPO / "sample_modules",
        tmp_path / "sample_modules",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    child = pexpect.spawn(
        sys.executable,
        ["-m", "hotreload", "watch", "sample_modules"],
        cwd=str(tmp_path),
        env=subprocess_env(tmp_path),
        dimensions=(40, 160),
        encoding="utf-8",
        timeout=15,
    )
    syncs = 0
    try:
        for number, block in enumerate(blocks):
            if number in WALK_EDITS:
                rel, old, new = WALK_EDITS[number]
                assert old.strip().strip('"') in _prose(), rel  # the prose asks for it
                path = tmp_path / "sample_modules" / rel
                source = path.read_text()
                assert old in source
                write_atomic(path, source.replace(old, new))
            for line in block[1:] if number == 0 else block:
                if line.startswith(">>> "):
                    if syncs:
                        child.expect_exact(">>>")
                    child.sendline(line[4:])
                    syncs += 1
                else:
                    child.expect(_pattern(line))
            # The block's last line has run: a result unlike its input says so.
            child.sendline(f"'sync' + '{syncs}'")
            child.expect_exact(f"'sync{syncs}'")
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        if child.isalive():
            child.terminate(force=True)
        child.close()
    assert child.exitstatus == 0
    assert os.path.exists(tmp_path / "sample_modules" / "plugin.py")


def _prose() -> str:
    return (REPO / "README.md").read_text().split("## Walk-through", 1)[1]
