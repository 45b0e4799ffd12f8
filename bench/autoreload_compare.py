"""``python -m bench.autoreload_compare``: ``%hotreload`` against ``%autoreload 2``.

The same edits, made between two cells of a real IPython shell (an
``InteractiveShell`` in this process, the path a Jupyter kernel takes), once
with ``%load_ext hotreload`` + ``%hotreload watch`` and once with
``%load_ext autoreload`` + ``%autoreload 2``. Each row says what the next cell
saw and what was reported; the table is printed as Markdown, and the README's
comparison is a copy of it.

Each edit moves the file's mtime one second on, so that ``%autoreload``
(which compares mtimes) cannot miss it for want of a clock tick.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import re
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config


@dataclass(frozen=True)
class Case:
    """One edit: the module before and after, a setup cell, a check cell."""

    edit: str
    before: str
    after: str
    setup: str
    check: str
    want: object  # what the check cell should give after the edit
    line: int | None = None  # where the new version is broken, if it is


CASES = (
    Case(
        "function body, bound by `from m import f`",
        "def f():\n    return 1\n",
        "def f():\n    return 2\n",
        "from {m} import f",
        "f()",
        2,
    ),
    Case(
        "constant, bound by `from m import CONST`",
        "CONST = 1\n",
        "CONST = 2\n",
        "from {m} import CONST",
        "CONST",
        2,
    ),
    Case(
        "method body, instance made before the edit",
        "class C:\n    def m(self):\n        return 1\n",
        "class C:\n    def m(self):\n        return 2\n",
        "import {m}; obj = {m}.C()",
        "obj.m()",
        2,
    ),
    Case(
        "class gains a method: `isinstance(old, m.C)`",
        "class C:\n    pass\n",
        "class C:\n    def extra(self):\n        return 2\n",
        "import {m}; obj = {m}.C()",
        "isinstance(obj, {m}.C) and obj.extra()",
        2,
    ),
    Case(
        "decorated function (`functools.wraps`), bound by `from m import f`",
        "import functools\n\ndef deco(fn):\n    @functools.wraps(fn)\n"
        "    def inner():\n        return fn()\n    return inner\n\n"
        "@deco\ndef f():\n    return 1\n",
        "import functools\n\ndef deco(fn):\n    @functools.wraps(fn)\n"
        "    def inner():\n        return fn()\n    return inner\n\n"
        "@deco\ndef f():\n    return 2\n",
        "from {m} import f",
        "f()",
        2,
    ),
    Case(
        "function kept in a list of callbacks",
        "def f():\n    return 1\n",
        "def f():\n    return 2\n",
        "import {m}; callbacks = [{m}.f]",
        "callbacks[0]()",
        2,
    ),
    Case(
        "dataclass gains a field with a default, instance made before",
        "from dataclasses import dataclass\n\n@dataclass\nclass P:\n    x: int\n",
        "from dataclasses import dataclass\n\n@dataclass\nclass P:\n"
        "    x: int\n    y: int = 0\n",
        "import {m}; p = {m}.P(1)",
        "(p.y, isinstance(p, {m}.P))",
        (0, True),
    ),
    Case(
        "function deleted from the module",
        "def f():\n    return 1\n\ndef g():\n    return 1\n",
        "def f():\n    return 1\n",
        "import {m}",
        "hasattr({m}, 'g')",
        False,
    ),
    Case(
        "syntax error on line 3",
        "def f():\n    return 1\n",
        "def f():\n    return 2\nx = (\n",
        "import {m}",
        "{m}.f()",
        1,
        line=3,
    ),
    Case(
        "exception at import on line 4, after `f` changed",
        "def f():\n    return 1\n",
        "def f():\n    return 2\n\nraise ValueError('boom')\n",
        "import {m}",
        "{m}.f()",
        1,
        line=4,
    ),
)

TOOLS = {
    "hotreload": ("%load_ext hotreload", "%hotreload watch {root}"),
    "%autoreload 2": ("%load_ext autoreload", "%autoreload 2"),
}
_names = itertools.count()


def _shell(ipython_dir: Path) -> Any:
    os.environ["IPYTHONDIR"] = str(ipython_dir)
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    return InteractiveShell(config=config)  # type: ignore[no-untyped-call]


def _cell(shell: Any, code: str) -> tuple[object, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        result = shell.run_cell(code)
    value = shell.user_ns.get("_cmp_value")
    if result.error_in_exec is not None:
        value = result.error_in_exec
    return value, out.getvalue()


def _save(path: Path, source: str) -> None:
    before = path.stat().st_mtime if path.exists() else None
    path.write_text(source)
    if before is not None:
        os.utime(path, (before + 1, before + 1))


def run_case(tool: str, case: Case, work: Path) -> str:
    """What the check cell gave after the edit, and whether it was reported."""
    root = work / f"root{next(_names)}"
    root.mkdir()
    name = f"cmp{next(_names)}"
    path = root / f"{name}.py"
    _save(path, case.before)
    shell = _shell(work / "ipython")
    load, start = TOOLS[tool]
    sys.path.insert(0, str(root))
    try:
        _cell(shell, load)
        _cell(shell, start.format(root=root))
        _cell(shell, case.setup.format(m=name))
        _save(path, case.after)
        # Assigned, not shown: the cell's output is only what the tool says.
        value, report = _cell(shell, "_cmp_value = " + case.check.format(m=name))
    finally:
        if tool == "hotreload":
            _cell(shell, "%hotreload off")
        sys.path.remove(str(root))
        sys.modules.pop(name, None)
    return _describe(case, value, report, path)


def _describe(case: Case, value: object, report: str, path: Path) -> str:
    right = value == case.want and not isinstance(value, BaseException)
    shown = f"{type(value).__name__}" if isinstance(value, BaseException) else value
    text = f"`{shown!r}` " + ("right" if right else "**stale or wrong**")
    if case.line is None:
        text += ", a report line" if report.strip() else ", silent"
    else:
        names_line = re.search(
            rf"{re.escape(path.name)}(\", line |, line |:){case.line}\b", report
        )
        if not report.strip():
            text += ", nothing reported"
        elif names_line:
            text += f", reported with file and line {case.line}"
        else:
            text += ", reported without the line"
    return text


def main() -> int:
    """Print the comparison table as Markdown."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows = [
            (case, {tool: run_case(tool, case, work) for tool in TOOLS})
            for case in CASES
        ]
    header = "| edit, then the next cell runs | check | " + " | ".join(TOOLS) + " |"
    print(header)
    print("|" + " --- |" * (2 + len(TOOLS)))
    for case, seen in rows:
        check = case.check.format(m="m")
        cells = " | ".join(seen[tool] for tool in TOOLS)
        print(f"| {case.edit} | `{check}` → `{case.want!r}` | {cells} |")
    print(
        textwrap.dedent(f"""
        IPython {__import__("IPython").__version__}, Python {sys.version.split()[0]}.
    """).strip()
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
