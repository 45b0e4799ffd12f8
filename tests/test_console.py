"""Console: Python's REPL semantics as a plain object (no terminal)."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from hotreload.console import Console, as_main, exec_main, format_exception, main_module
from hotreload.errors import UnknownModuleError


class Session:
    """A console with a namespace and everything it wrote."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"__name__": "__main__"}
        self.out: list[str] = []
        self.console = Console(self.namespace, self.out.append)

    def feed(self, *lines: str) -> list[bool]:
        return [self.console.push(line) for line in lines]

    @property
    def text(self) -> str:
        return "".join(self.out)


@pytest.fixture
def s() -> Session:
    return Session()


def test_expression_is_echoed_and_kept_in_underscore(s: Session) -> None:
    assert s.feed("x = 41", "x + 1") == [False, False]
    assert s.out == ["42\n"]
    assert s.namespace["_"] == 42


def test_none_is_not_echoed_and_keeps_underscore(s: Session) -> None:
    s.feed("7", "None", "print('hi')")
    assert s.out == ["7\n"]
    assert s.namespace["_"] == 7


def test_every_expression_statement_is_echoed(s: Session) -> None:
    s.feed("1; 2")
    s.feed("for i in range(2): i", "")
    s.feed("def f():", "    3", "", "f()")  # not inside a function body
    assert s.out == ["1\n", "2\n", "0\n", "1\n"]
    assert s.namespace["_"] == 1 and sys.displayhook is sys.__displayhook__


def test_an_underscore_the_user_assigned_stays_theirs(s: Session) -> None:
    s.feed("7", "_ = 'mine'", "8", "_")
    assert s.out == ["7\n", "8\n", "'mine'\n"]
    s.feed("del _", "9", "_")
    assert s.out[-2:] == ["9\n", "9\n"]


def test_repr_is_echoed(s: Session) -> None:
    s.feed("'a'")
    assert s.out == ["'a'\n"]


def test_compound_statement_needs_a_blank_line(s: Session) -> None:
    assert s.feed("def f(a):", "    return a * 2", "") == [True, True, False]
    assert s.feed("f(21)") == [False]
    assert s.out == ["42\n"]


def test_a_line_of_spaces_ends_a_block(s: Session) -> None:
    assert s.feed("for i in range(2):", "    last = i", "    ") == [True, True, False]
    assert s.namespace["last"] == 1


def test_open_bracket_continues(s: Session) -> None:
    assert s.feed("x = (1,", "2)") == [True, False]
    assert s.namespace["x"] == (1, 2)


def test_statement_after_a_block_without_blank_line_runs_both(s: Session) -> None:
    # Python's own REPL rejects this; running it as a module is friendlier.
    assert s.feed("def f():", "    return 3", "y = f()") == [True, True, False]
    assert s.namespace["y"] == 3


def test_pasted_block_runs_at_once_and_echoes_the_last_expression(s: Session) -> None:
    block = "class A:\n    def m(self):\n        return 1\n\n    def n(self):\n        return 2\n\nA().m() + A().n()"
    assert s.console.push(block) is False
    assert s.out == ["3\n"]


def test_syntax_error_is_shown_without_traceback_header(s: Session) -> None:
    assert s.feed("x = = 1") == [False]
    assert "SyntaxError" in s.text
    assert "Traceback" not in s.text
    assert s.console.buffer == ""


def test_exception_shows_user_frames_only(s: Session) -> None:
    s.feed("def boom():", "    raise ValueError('bad')", "", "boom()")
    text = s.text
    assert text.startswith("Traceback (most recent call last):")
    assert "ValueError: bad" in text
    assert "raise ValueError('bad')" in text  # the typed source is quoted
    assert "hotreload" not in text  # the console's exec frame is trimmed
    assert text.count('File "<input-') == 2


def test_traceback_points_at_the_users_module_file(s: Session, mods: Any) -> None:
    name = mods.name("broken")
    path = mods.write(name, "def f():\n    return 1 / 0\n")
    s.feed(f"import {name}", f"{name}.f()")
    assert f'File "{path}", line 2, in f' in s.text
    assert "ZeroDivisionError" in s.text


def test_keyboard_interrupt_is_reported_and_the_namespace_kept(s: Session) -> None:
    s.feed("kept = 1", "raise KeyboardInterrupt")
    assert "KeyboardInterrupt" in s.text
    assert s.namespace["kept"] == 1


def test_system_exit_propagates(s: Session) -> None:
    with pytest.raises(SystemExit):
        s.feed("raise SystemExit(3)")


def test_reset_drops_an_unfinished_statement(s: Session) -> None:
    assert s.feed("if True:") == [True]
    s.console.reset()
    assert s.feed("1") == [False]
    assert s.out == ["1\n"]


def test_future_import_sticks(s: Session) -> None:
    s.feed(
        "from __future__ import annotations", "def f(x: Undefined) -> None: pass", ""
    )
    s.feed("f.__annotations__['x']")
    assert s.out == ["'Undefined'\n"]


def test_error_in_repr_is_reported(s: Session) -> None:
    s.feed("class R:", "    def __repr__(self): raise RuntimeError('no repr')", "")
    s.feed("R()")
    assert "RuntimeError: no repr" in s.text


def test_format_exception_trims_chained_frames() -> None:
    def raiser() -> None:
        try:
            raise KeyError("inner")
        except KeyError as exc:
            raise ValueError("outer") from exc

    with pytest.raises(ValueError, match="outer") as info:
        raiser()
    text = format_exception(info.value)
    assert "KeyError: 'inner'" in text
    assert "ValueError: outer" in text


# -- running a program as __main__ -------------------------------------------


def test_script_runs_as_main_with_its_argv(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(
        "import sys\nRESULT = (__name__, sys.argv[:], __file__)\nraise SystemExit(4)\n"
    )
    module, source, filename = main_module(script)
    saved = sys.modules["__main__"], sys.argv
    with as_main(module, [str(script), "a"], str(tmp_path)):
        assert sys.modules["__main__"] is module
        assert sys.path[0] == str(tmp_path)
        status = exec_main(module, source, filename, print)
    assert (sys.modules["__main__"], sys.argv) == saved
    assert str(tmp_path) not in sys.path
    assert status == 4
    assert ("__main__", [str(script), "a"], str(script)) == module.RESULT


def test_script_failure_is_a_trimmed_traceback_and_status_1(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text("def f():\n    raise OSError('disk')\nf()\n")
    module, source, filename = main_module(script)
    out: list[str] = []
    assert exec_main(module, source, filename, out.append) == 1
    assert f'File "{script}", line 3' in out[0]
    assert "hotreload" not in out[0].replace(str(script), "")


def test_exit_with_a_message(tmp_path: Path) -> None:
    module = types.ModuleType("__main__")
    out: list[str] = []
    assert exec_main(module, "raise SystemExit('bye')", "<p>", out.append) == 1
    assert out == ["bye\n"]
    assert exec_main(module, "raise SystemExit", "<p>", out.append) == 0


def test_module_runs_like_python_dash_m(mods: Any) -> None:
    pkg = mods.name("app")
    mods.write(pkg, "", package=True)
    mods.write(f"{pkg}.__main__", "WHO = (__name__, __package__)\n")
    module, source, filename = main_module(module=pkg)
    assert exec_main(module, source, filename, print) == 0
    assert ("__main__", pkg) == module.WHO
    assert filename.endswith("__main__.py")


def test_unknown_module_to_run() -> None:
    with pytest.raises(UnknownModuleError, match="no module to run"):
        main_module(module="hr_no_such_module_anywhere")
