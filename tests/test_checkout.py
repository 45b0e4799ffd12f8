"""A branch switch: many module files rewritten at once by another process.

``git checkout`` unlinks each tracked file and creates it anew. However the
events of such a flood reach the watcher, every module must be applied once,
in one batch, after the modules it imports, with nothing lost.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from hotreload import Reloader, ReloadEvent
from tests.conftest import Mods

TIMEOUT = 30.0  # failure bound of each wait
SIZE = 300  # modules 0..179: a binary import tree; 180..299: chains of 30
TREE = 180
CHAIN = 30

# The other process: unlink and create each file, as git does, with the
# bytes staged in a directory beside the root.
WRITER = textwrap.dedent(
    """
    import os, sys
    staged, root = sys.argv[1:3]
    for name in sys.argv[3:]:
        data = open(os.path.join(staged, name), "rb").read()
        path = os.path.join(root, name)
        os.unlink(path)
        with open(path, "xb") as fh:
            fh.write(data)
    """
)


def _deps(i: int) -> list[int]:
    if i < TREE:
        return [c for c in (2 * i + 1, 2 * i + 2) if c < TREE]
    return [i + 1] if (i - TREE) % CHAIN != CHAIN - 1 else []


def _total(i: int, version: int) -> int:
    return version + sum(_total(d, version) for d in _deps(i))


def _source(mods: Mods, i: int, version: int) -> str:
    imports = "".join(
        f"from {mods.name(f'm{d:03d}')} import TOTAL as _t{n}\n"
        for n, d in enumerate(_deps(i))
    )
    total = " + ".join(["VERSION", *(f"_t{n}" for n in range(len(_deps(i))))])
    return f"{imports}VERSION = {version}\nTOTAL = {total}\n"


def _next(rl: Reloader) -> ReloadEvent:
    event = rl.wait(timeout=TIMEOUT)
    assert event is not None, "no reload event before the timeout"
    return event


def test_a_checkout_from_another_process_is_one_batch_in_dependency_order(
    mods: Mods,
) -> None:
    names = [mods.name(f"m{i:03d}") for i in range(SIZE)]
    for i, name in enumerate(names):
        mods.write(name, _source(mods, i, 1))
    files = [mods.path(name).name for name in names]
    staged = mods.root.parent / "staged"
    staged.mkdir()
    for i, file in enumerate(files):
        (staged / file).write_text(_source(mods, i, 2))
    # A long quiet period: "written together" must not depend on machine load.
    with Reloader(mods.root, debounce=1.0) as rl:
        rl.import_all()
        assert _total(0, 1) == sys.modules[names[0]].TOTAL
        subprocess.run(
            [sys.executable, "-c", WRITER, str(staged), str(mods.root), *files],
            check=True,
            timeout=60,
        )
        events = [_next(rl) for _ in names]
        # A barrier: one more save, and it is the next event (nothing doubled).
        barrier = mods.name("barrier")
        mods.write(barrier, "B = 1\n")
        __import__(barrier)
        mods.write(barrier, "B = 2\n")
        assert _next(rl).module == barrier
    assert [e.ok for e in events] == [True] * SIZE, [e for e in events if not e.ok]
    order = [e.module for e in events]
    assert sorted(order) == sorted(names)  # each module once
    assert len({e.batch for e in events}) == 1
    position = {name: n for n, name in enumerate(order)}
    for i, name in enumerate(names):
        for d in _deps(i):
            assert position[names[d]] < position[name], (names[d], name)
    stale = [
        name for i, name in enumerate(names) if _total(i, 2) != sys.modules[name].TOTAL
    ]
    assert not stale


DECORATOR = """\
def deco(fn):
    def wrapper():
        return fn() + {step}
    return wrapper
"""


def test_a_batch_moves_the_wrappers_old_decorators_made_in_other_modules(
    mods: Mods,
) -> None:
    # Three decorator modules, each used by another module: one batch edits
    # every decorator's wrapper; each wrapper made before follows its edit.
    pairs = [(mods.name(f"deco{k}"), mods.name(f"user{k}")) for k in range(3)]
    for deco, user in pairs:
        mods.write(deco, DECORATOR.format(step=1))
        mods.write(user, f"from {deco} import deco\n\n@deco\ndef g():\n    return 10\n")
    with Reloader(mods.root, debounce=1.0) as rl:
        rl.import_all()
        assert [sys.modules[user].g() for _, user in pairs] == [11, 11, 11]
        for k, (deco, _) in enumerate(pairs):
            mods.write(deco, DECORATOR.format(step=100 * (k + 1)))
        events = [_next(rl) for _ in pairs]
    assert all(e.ok for e in events)
    assert len({e.batch for e in events}) == 1
    assert [sys.modules[user].g() for _, user in pairs] == [110, 210, 310]
