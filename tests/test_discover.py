"""What is a module, and what is skipped: the static rule for scripts."""

from __future__ import annotations

import textwrap
import unicodedata
from pathlib import Path

import pytest

from hotreload.discover import find_modules, script_line, skip_reason, top_level_names
from hotreload.filters import PathFilter
from hotreload.roots import module_name, module_path


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("def main():\n    pass\n\nmain()\n", 4),
        ("import sys\nprint('hi')\n", 2),
        ("while True:\n    pass\n", 1),
        ("for x in range(3):\n    pass\n", 1),
        ("import asyncio\nasyncio.run(main())\n", 2),
        ("import sys\nif sys.argv:\n    go()\n", 3),  # not a __main__ guard
        ("try:\n    go()\nexcept Exception:\n    pass\n", 2),
        ("if __name__ == '__main__':\n    pass\nelse:\n    go()\n", 4),
        ("with open('x') as f:\n    f.write('y')\n", 2),
    ],
)
def test_scripts_are_found_by_their_first_acting_line(source: str, line: int) -> None:
    assert script_line(source) == line


@pytest.mark.parametrize(
    "source",
    [
        "def main():\n    pass\n\nif __name__ == '__main__':\n    main()\n",
        "if '__main__' == __name__:\n    while True:\n        pass\n",
        "DATA = load()\n",  # an assignment computes a constant
        "HOOKS = []\nHOOKS.append(print)\nimport atexit\natexit.register(print)\n",
        "import warnings\nwarnings.filterwarnings('ignore')\n",
        "'''doc'''\nclass A:\n    go()\n",  # a class body is not the top level
        "def f(:\n",  # does not parse: importing it runs nothing
    ],
)
def test_modules_are_not_scripts(source: str) -> None:
    assert script_line(source) is None


def test_skip_reasons(tmp_path: Path) -> None:
    files = {
        "setup.py": "from setuptools import setup\nsetup()\n",
        "conftest.py": "",
        "my-file.py": "X = 1\n",
        "play.py": "main()\n",
        "pkg/__init__.py": "",
        "pkg/__main__.py": "main()\n",
        "pkg/setup.py": "X = 1\n",  # only a root's setup.py is the tool's
        "mod.py": "X = 1\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_text(text)
    reasons = {rel: skip_reason(tmp_path / rel, tmp_path) for rel in files}
    assert reasons["setup.py"] == "setup.py is the packaging script, not a module"
    assert reasons["conftest.py"] == "conftest.py belongs to pytest, not a module"
    assert reasons["my-file.py"] == (
        "not importable as a module ('my-file' is not a Python identifier)"
    )
    assert str(reasons["play.py"]).startswith("a script: line 1 runs when imported")
    assert str(reasons["pkg/__main__.py"]).startswith("a package's __main__.py")
    assert reasons["pkg/setup.py"] is None and reasons["mod.py"] is None
    found, skipped = find_modules([tmp_path], PathFilter())
    assert sorted(found) == ["mod", "pkg", "pkg.setup"]
    assert len(skipped) == 5
    top, unnamable = top_level_names([tmp_path], PathFilter())
    assert sorted(top) == ["mod", "pkg", "play"]  # a script is bound, not run
    assert [s.path.name for s in unnamable] == ["my-file.py"]


def test_a_decomposed_unicode_name_is_the_name_typed(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "café")
    nfc = unicodedata.normalize("NFC", "café")
    assert nfd != nfc
    path = tmp_path / f"{nfd}.py"
    path.write_text("X = 1\n")
    assert module_name(path, tmp_path) == nfc
    assert module_path(nfc, tmp_path) == path
    package = tmp_path / nfd
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / f"{nfd}.py").write_text("")
    assert module_path(f"{nfc}.{nfc}", tmp_path) == package / f"{nfd}.py"
    assert module_path(f"{nfc}.nope", tmp_path) is None


def test_script_rule_reads_the_file_statically(tmp_path: Path) -> None:
    marker = tmp_path / "RAN"
    script = tmp_path / "job.py"
    script.write_text(
        textwrap.dedent(f"""\
            open({str(marker)!r}, "w").close()
            """)
    )
    assert skip_reason(script, tmp_path) is not None
    assert not marker.exists()
