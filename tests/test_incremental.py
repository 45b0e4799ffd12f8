"""DESIGN item 12: a reload runs only what changed, and keeps what did not.

Each test loads a version, holds what a program would hold, edits the file
and reloads it, then checks what ran (side-effect counters kept in a module
the edit does not touch) and that the module behaves like its new source.
"""

from __future__ import annotations

import functools
import importlib
import sys
import types
from collections.abc import Iterator

import pytest

from hotreload import Reloader
from hotreload.engine import reload_module
from tests.conftest import Mods


@pytest.fixture
def rl(mods: Mods) -> Iterator[Reloader]:
    reloader = Reloader(mods.root)
    reloader.import_all()
    yield reloader
    reloader.stop()


@pytest.fixture
def log(mods: Mods) -> list[str]:
    """A list in a module of its own: what the edited modules did, and when."""
    name = mods.name("log")
    mods.write(name, "CALLS = []\n")
    calls: list[str] = importlib.import_module(name).CALLS
    calls.append(name)  # the first entry is the module to import it from
    return calls


def load(mods: Mods, base: str, source: str) -> tuple[str, types.ModuleType]:
    name = mods.name(base)
    mods.write(name, source)
    return name, importlib.import_module(name)


def edit(mods: Mods, rl: Reloader, name: str, source: str):
    mods.write(name, source)
    return rl.reload(name)


def header(log: list[str]) -> str:
    return f"from {log[0]} import CALLS\n"


def calls(log: list[str]) -> list[str]:
    return log[1:]


def test_a_body_edit_runs_nothing_else(mods, rl, log):
    src = header(log) + (
        "def load():\n"
        "    CALLS.append('load')\n"
        "    return [1, 2, 3]\n"
        "DATA = load()\n"
        "def total():\n"
        "    return sum(DATA)\n"
    )
    name, m = load(mods, "m", src)
    data = m.DATA
    event = edit(mods, rl, name, src.replace("sum(DATA)", "sum(DATA) * 10"))
    assert event.ok and event.ran == 0 and event.updated == ("total",)
    assert calls(log) == ["load"] and m.DATA is data and m.total() == 60


def test_an_unchanged_reload_runs_and_reports_nothing(mods, rl, log):
    src = (
        header(log)
        + "CALLS.append('run')\nclass A:\n    def f(self):\n        return 1\n"
    )
    name, _ = load(mods, "m", src)
    event = rl.reload(name)
    assert event.ok and event.ran == 0
    assert (event.updated, event.added, event.removed) == ((), (), ())
    assert calls(log) == ["run"]


def test_moved_lines_are_no_change_but_tracebacks_follow(mods, rl):
    src = "def f():\n    raise ValueError('x')\n"
    name, m = load(mods, "m", src)
    event = edit(mods, rl, name, "# a comment\n\n\n" + src)
    assert event.ok and event.ran == 0 and event.updated == ()
    with pytest.raises(ValueError, match="x") as info:
        m.f()
    assert info.traceback[-1].lineno + 1 == 5  # pytest counts lines from 0


def test_decorators_do_not_run_again_for_a_body_edit(mods, rl, log):
    deco = mods.name("deco")
    mods.write(
        deco,
        header(log) + "import functools\n"
        "def traced(func):\n"
        "    CALLS.append('decorate ' + func.__name__)\n"
        "    @functools.wraps(func)\n"
        "    def wrapper(*args):\n"
        "        return ('traced', func(*args))\n"
        "    return wrapper\n",
    )
    src = f"from {deco} import traced\n@traced\ndef f(x):\n    return x + 1\n"
    name, m = load(mods, "m", src)
    held = m.f
    callbacks = [m.f, functools.partial(m.f, 1)]
    event = edit(mods, rl, name, src.replace("x + 1", "x + 2"))
    assert event.ok and event.ran == 0 and event.updated == ("f",)
    assert calls(log) == ["decorate f"]
    assert m.f is held and held(1) == ("traced", 3)
    assert callbacks[0](1) == ("traced", 3) and callbacks[1]() == ("traced", 3)


def test_a_changed_decorator_gets_the_kept_function(mods, rl, log):
    src = header(log) + (
        "def register(func):\n"
        "    CALLS.append(func)\n"
        "    return func\n"
        "def f():\n"
        "    return 1\n"
    )
    name, m = load(mods, "m", src)
    held = m.f
    new = src.replace("def f():\n    return 1", "@register\ndef f():\n    return 2")
    event = edit(mods, rl, name, new)
    assert event.ok and event.ran == 1
    assert calls(log) == [held] and m.f is held and held() == 2


def test_several_functions_of_one_name_keep_their_own_code(mods, rl):
    src = (
        "import functools\n"
        "@functools.singledispatch\n"
        "def show(x):\n"
        "    return 'any'\n"
        "@show.register\n"
        "def _(x: int):\n"
        "    return 'int'\n"
        "@show.register\n"
        "def _(x: str):\n"
        "    return 'str'\n"
    )
    name, m = load(mods, "m", src)
    registry = dict(m.show.registry)
    event = edit(
        mods, rl, name, src.replace("'int'", "'INT'").replace("'str'", "'STR'")
    )
    assert event.ok and event.ran == 0
    assert (m.show(1), m.show("a"), m.show(1.5)) == ("INT", "STR", "any")
    assert dict(m.show.registry) == registry  # the same functions, new code


def test_a_method_edit_never_runs_the_class_statement(mods, rl, log):
    src = header(log) + (
        "class Meta(type):\n"
        "    def __new__(mcls, name, bases, ns):\n"
        "        CALLS.append('meta ' + name)\n"
        "        return super().__new__(mcls, name, bases, ns)\n"
        "class Base:\n"
        "    def __init_subclass__(cls):\n"
        "        CALLS.append('subclass ' + cls.__name__)\n"
        "class Model(Base, metaclass=Meta):\n"
        "    size = 1\n"
        "    @property\n"
        "    def double(self):\n"
        "        return self.size * 2\n"
        "    @classmethod\n"
        "    def make(cls):\n"
        "        return cls()\n"
        "    @staticmethod\n"
        "    def unit():\n"
        "        return 'm'\n"
        "    def describe(self):\n"
        "        return 'model'\n"
        "DEFAULT = Model()\n"
    )
    name, m = load(mods, "m", src)
    default, before = m.DEFAULT, calls(log)
    new = (
        src.replace("* 2", "* 20")
        .replace("return cls()", "return [cls()]")
        .replace("'m'", "'cm'")
        .replace("'model'", "'MODEL'")
    )
    event = edit(mods, rl, name, new)
    assert event.ok and event.ran == 0 and calls(log) == before
    assert m.DEFAULT is default and default.describe() == "MODEL"
    assert default.double == 20 and m.Model.unit() == "cm"
    assert isinstance(m.Model.make()[0], m.Model)
    assert set(event.updated) == {
        "Model.double",
        "Model.make",
        "Model.unit",
        "Model.describe",
    }


def test_plain_methods_come_and_go_without_the_class_statement(mods, rl, log):
    src = header(log) + (
        "class Player:\n"
        "    CALLS.append('body')\n"
        "    def name(self):\n"
        "        return 'p'\n"
        "    def old(self):\n"
        "        return 'old'\n"
    )
    name, m = load(mods, "m", src)
    player = m.Player()
    new = src.replace(
        "def old(self):\n        return 'old'",
        "def first(self):\n        return super().__repr__()[0] + self.name()",
    )
    event = edit(mods, rl, name, new)
    assert event.ok and event.ran == 0 and calls(log) == ["body"]
    assert event.added == ("Player.first",) and event.removed == ("Player.old",)
    assert player.first() == "<p" and not hasattr(player, "old")


def test_a_new_field_runs_the_class_once_and_its_readers(mods, rl, log):
    src = header(log) + (
        "import dataclasses\n"
        "@dataclasses.dataclass\n"
        "class Config:\n"
        "    size: int = 1\n"
        "DEFAULT = Config()\n"
        "CALLS.append('call only')\n"
    )
    name, m = load(mods, "m", src)
    cls = m.Config
    event = edit(
        mods,
        rl,
        name,
        src.replace("size: int = 1\n", "size: int = 1\n    mode: str = 'x'\n"),
    )
    assert event.ok and event.ran == 2  # the class, then DEFAULT = Config()
    assert m.Config is cls and m.DEFAULT.mode == "x" and isinstance(m.DEFAULT, cls)
    assert calls(log) == ["call only"]


def test_assignments_follow_constants_and_function_bodies(mods, rl, log):
    src = header(log) + (
        "CONST = 2\n"
        "def f(x):\n"
        "    return x * 10\n"
        "TOTAL = f(CONST)\n"
        "def hook():\n"
        "    return 'h1'\n"
        "CALLS.append(hook)\n"
    )
    name, m = load(mods, "m", src)
    event = edit(mods, rl, name, src.replace("CONST = 2", "CONST = 3"))
    assert event.ok and m.TOTAL == 30 and event.ran == 2
    event = edit(
        mods,
        rl,
        name,
        src.replace("CONST = 2", "CONST = 3").replace("x * 10", "x * 100"),
    )
    assert event.ok and m.TOTAL == 300 and event.ran == 1
    event = edit(
        mods,
        rl,
        name,
        src.replace("CONST = 2", "CONST = 3")
        .replace("x * 10", "x * 100")
        .replace("'h1'", "'h2'"),
    )
    assert event.ok and event.ran == 0  # an edited hook is never registered twice
    assert calls(log) == [m.hook] and m.hook() == "h2"


def test_a_rebound_object_reruns_the_definitions_that_use_it(mods, rl, log):
    src = header(log) + (
        "class Registry:\n"
        "    def __init__(self, tag):\n"
        "        self.tag, self.items = tag, []\n"
        "    def add(self, func):\n"
        "        self.items.append(func)\n"
        "        return func\n"
        "REG = Registry('a')\n"
        "@REG.add\n"
        "def one():\n"
        "    return 1\n"
    )
    name, m = load(mods, "m", src)
    reg, one = m.REG, m.one
    grown = src + "@REG.add\ndef two():\n    return 2\n"
    event = edit(mods, rl, name, grown)
    assert event.ok and m.REG is reg and reg.items == [one, m.two]
    event = edit(mods, rl, name, grown.replace("Registry('a')", "Registry('b')"))
    assert event.ok and m.REG is not reg and m.REG.tag == "b"
    assert m.REG.items == [one, m.two] and m.one is one


def test_an_import_that_adds_a_name_changes_nothing_that_reads_the_old(mods, rl, log):
    src = header(log) + "import os\nCALLS.append(os.sep)\nSEP = os.sep\n"
    name, m = load(mods, "m", src)
    event = edit(mods, rl, name, src.replace("import os", "import os, sys"))
    assert event.ok and event.ran == 1 and calls(log) == ["/"]


def test_a_compound_statement_runs_whole(mods, rl, log):
    src = header(log) + ("if True:\n    CALLS.append('a')\n    X = 1\n")
    name, m = load(mods, "m", src)
    event = edit(mods, rl, name, src.replace("X = 1", "X = 2"))
    assert event.ok and event.ran == 1 and calls(log) == ["a", "a"] and m.X == 2


def test_a_removed_statement_leaves_its_effects_and_takes_its_names(mods, rl, log):
    src = header(log) + "CALLS.append('x')\nGONE = 1\nSTAYS = 2\n"
    name, m = load(mods, "m", src)
    event = edit(mods, rl, name, header(log) + "STAYS = 2\n")
    assert event.ok and event.removed == ("GONE",) and event.ran == 0
    assert calls(log) == ["x"] and not hasattr(m, "GONE") and m.STAYS == 2


def test_a_failure_half_way_rolls_everything_back(mods, rl, log):
    src = header(log) + (
        "X = 1\n"
        "def f():\n"
        "    return 'v1'\n"
        "class A:\n"
        "    def g(self):\n"
        "        return 'g1'\n"
        "Y = X + 1\n"
    )
    name, m = load(mods, "m", src)
    f, a = m.f, m.A()
    new = (
        src.replace("X = 1", "X = 5")
        .replace("'v1'", "'v2'")
        .replace("'g1'", "'g2'")
        .replace("Y = X + 1", "Y = X + 1\nZ = 1 / 0")
    )
    event = edit(mods, rl, name, new)
    assert not event.ok and isinstance(event.error, ZeroDivisionError)
    assert f'{name}.py", line 9' in (event.traceback or "")
    assert (m.X, m.Y, f(), a.g()) == (1, 2, "v1", "g1") and not hasattr(m, "Z")
    event = edit(mods, rl, name, new.replace("Z = 1 / 0", "Z = 0"))
    assert event.ok and (m.X, m.Y, f(), a.g(), m.Z) == (5, 6, "v2", "g2", 0)


def test_full_runs_on_request_and_where_names_cannot_be_seen(mods, rl, log):
    src = header(log) + "CALLS.append('run')\ndef f():\n    return 1\n"
    name, m = load(mods, "m", src)
    assert rl.reload(name, full=True).ran == 3 and calls(log) == ["run", "run"]
    opaque = src + "globals()['G'] = 1\n"
    event = edit(mods, rl, name, opaque)
    assert event.ok and event.ran == 4 and m.G == 1
    flagged = src + "__hotreload_full__ = True\n"
    assert edit(mods, rl, name, flagged).ran == 4


def test_a_cascade_reruns_what_reads_a_changed_name(mods, log):
    a = mods.name("a")
    mods.write(a, "CONST = 2\ndef f(x):\n    return x * 10\nclass C:\n    pass\n")
    b = mods.name("b")
    mods.write(
        b,
        header(log) + f"import {a}\n"
        f"from {a} import CONST\n"
        "DOUBLE = CONST * 2\n"
        f"TEN = {a}.f(1)\n"
        f"CALLS.append({a}.C)\n",
    )
    cascading = Reloader(mods.root, cascade=True)  # no watcher: reload() only
    try:
        assert cascading.import_all() == []
        mb = sys.modules[b]
        mods.write(a, "CONST = 3\ndef f(x):\n    return x * 100\nclass C:\n    pass\n")
        cascading.reload(a)
        events = list(cascading.history)
    finally:
        cascading.stop()
    assert [e.module for e in events] == [a, b]
    assert events[1].ran == 3  # the import, DOUBLE and TEN; not the call
    assert (mb.CONST, mb.DOUBLE, mb.TEN) == (3, 6, 100)
    assert len(calls(log)) == 1


def test_a_lambda_that_changes_says_held_references_keep_it(mods, rl):
    name, m = load(mods, "m", "key = lambda x: x\n")
    event = edit(mods, rl, name, "key = lambda x: -x\n")
    assert event.ok and m.key(1) == -1
    assert any("lambda" in w for w in event.warnings)


def test_a_script_follows_definitions_only(mods, rl, log):
    name, m = load(
        mods, "m", header(log) + "CALLS.append('start')\ndef f():\n    return 1\n"
    )
    path = mods.path(name)
    new = header(log) + "CALLS.append('again')\ndef f():\n    return 2\n"
    outcome = reload_module(m, new.encode(), str(path), script=True)
    assert outcome.ok and m.f() == 2 and calls(log) == ["start"]
    assert any("next start" in w for w in outcome.warnings)


def test_only_what_changed_runs_in_a_large_module(mods, rl, log):
    body = "".join(f"def f{i}():\n    return {i}\nV{i} = f{i}()\n" for i in range(200))
    name, m = load(mods, "m", header(log) + body)
    event = edit(
        mods, rl, name, header(log) + body.replace("return 7\n", "return 70\n")
    )
    assert event.ok and event.updated == ("f7", "V7") and event.ran == 1
    assert m.V7 == 70 and m.V8 == 8


def test_sys_modules_entry_and_identity_stay(mods, rl):
    name, m = load(mods, "m", "def f():\n    return 1\n")
    edit(mods, rl, name, "def f():\n    return 2\n")
    assert sys.modules[name] is m


def test_a_class_decorator_registry_gets_the_kept_class(mods, rl, log):
    src = header(log) + (
        "import dataclasses\n"
        "def register(cls):\n"
        "    CALLS.append(cls)\n"
        "    return cls\n"
        "@register\n"
        "@dataclasses.dataclass(frozen=True, slots=True)\n"
        "class D:\n"
        "    x: int = 1\n"
        "DEFAULT = D(3)\n"
    )
    name, m = load(mods, "m", src)
    cls, default = m.D, m.DEFAULT
    event = edit(mods, rl, name, src.replace("x: int = 1", "x: int = 2"))
    assert event.ok and m.D is cls and calls(log) == [cls, cls]
    assert isinstance(m.DEFAULT, m.D) and isinstance(default, m.D)
    assert m.D().x == 2 and m.D(3) == m.DEFAULT


def test_a_frozen_instance_never_makes_a_valid_edit_fail(mods, rl):
    src = "import dataclasses\n@dataclasses.dataclass(frozen=True)\nclass P:\n    x: int = 1\n"
    name, m = load(mods, "m", src)
    held = m.P(5)
    event = edit(mods, rl, name, src.replace("frozen=True", "frozen=True, slots=True"))
    assert event.ok and m.P(2).x == 2
    assert held.x == 5  # migrated where its layout allows, or left as it was
    assert any("replaced" in w for w in event.warnings)


def test_an_enum_that_gains_and_loses_members_keeps_its_class(mods, rl):
    import collections
    import pickle

    src = "import enum\nclass Color(enum.Enum):\n    RED = 1\n    GREEN = 2\n    BLUE = 3\n"
    name, m = load(mods, "m", src)
    cls, red, blue = m.Color, m.Color.RED, m.Color.BLUE
    counts = collections.Counter([red, red])
    new = src.replace("    BLUE = 3\n", "    YELLOW = 4\n").replace(
        "GREEN = 2", "GREEN = 20"
    )
    event = edit(mods, rl, name, new)
    assert event.ok and m.Color is cls and m.Color.RED is red
    assert m.Color(1) is red and m.Color["GREEN"].value == 20
    assert m.Color.YELLOW.value == 4 and isinstance(m.Color.YELLOW, cls)
    assert list(m.Color) == [red, m.Color.GREEN, m.Color.YELLOW]
    assert "BLUE" not in m.Color.__members__ and blue.value == 3
    assert counts[m.Color.RED] == 2 and pickle.loads(pickle.dumps(red)) is red


def test_a_flag_that_gains_a_member_keeps_its_masks_right(mods, rl):
    src = "import enum\nclass Perm(enum.Flag):\n    R = 1\n    W = 2\n"
    name, m = load(mods, "m", src)
    r = m.Perm.R
    event = edit(mods, rl, name, src + "    X = 4\n")
    assert event.ok and m.Perm.R is r
    assert (m.Perm.R | m.Perm.X).value == 5 and m.Perm(
        7
    ) == m.Perm.R | m.Perm.W | m.Perm.X


def test_a_decorator_edit_updates_the_wrappers_it_made(mods, rl, log):
    deco = mods.name("deco")
    deco_src = (
        "import functools\n"
        "def traced(func):\n"
        "    @functools.wraps(func)\n"
        "    def wrapper(*args):\n"
        "        return ('v1', func(*args))\n"
        "    return wrapper\n"
    )
    mods.write(deco, deco_src)
    src = f"from {deco} import traced\n@traced\ndef f(x):\n    return x\nclass C:\n    @traced\n    def m(self):\n        return 'm'\n"
    name, m = load(mods, "m", src)
    held, obj = m.f, m.C()
    event = edit(mods, rl, deco, deco_src.replace("'v1'", "'v2'"))
    assert event.ok and event.ran == 0
    assert held(1) == ("v2", 1) and m.f is held and obj.m() == ("v2", "m")


def test_a_cached_function_whose_signature_changes_serves_no_old_result(mods, rl):
    src = "import functools\n@functools.lru_cache(maxsize=None)\ndef f(x):\n    return x\n"
    name, m = load(mods, "m", src)
    held = m.f
    assert held(3) == 3
    event = edit(
        mods,
        rl,
        name,
        src.replace("f(x):\n    return x", "f(x, y=1):\n    return x + y"),
    )
    assert event.ok and m.f(3) == 4 and held(3) == 4
    assert any(w.startswith("f: ") for w in event.warnings)


def test_a_module_too_deep_to_parse_fails_alone(mods, rl):
    name, m = load(mods, "m", "X = 1\n")
    other, mo = load(mods, "o", "Y = 1\n")
    deep = "X = 1" + " + 1" * 200_000 + "\n"
    mods.write(name, deep)
    mods.write(other, "Y = 2\n")
    first = rl.reload(name)
    assert not first.ok and isinstance(first.error, RecursionError | MemoryError)
    assert m.X == 1 and rl.reload(other).ok and mo.Y == 2
    again = rl.reload(name)  # the parse failure, remembered by content
    assert not again.ok and type(again.error) is type(first.error)


def test_a_syntax_error_shows_no_parser_frame(mods, rl):
    name, m = load(mods, "m", "X = 1\n")
    event = edit(mods, rl, name, "X = (\n")
    assert not event.ok and isinstance(event.error, SyntaxError)
    assert "ast.py" not in (event.traceback or "") and m.X == 1
