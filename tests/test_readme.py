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
