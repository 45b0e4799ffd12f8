"""The reload time limit: stuck user code is interrupted, rolled back, reported.

Every test here would hang without the limit, so each carries a
``pytest.mark.timeout`` (a failure bound, far above the expected run time),
and the daemon runs in a subprocess with a hard limit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from hotreload import Reloader, ReloadEvent
from hotreload.errors import ReloadTimeout
from hotreload.timelimit import TimeLimit, user_location
from tests.conftest import Mods

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 10.0  # failure bound of each wait
LIMIT = 0.3  # the reloads' time limit in these tests

# A hanging import that is not a script (import_all leaves scripts alone).
SPIN = "def spin():\n    while True:\n        pass\nX = spin()\n"

GOOD = """\
X = 1
def f():
    return X
"""


@pytest.fixture
def hanging(mods: Mods) -> Iterator[tuple[str, Reloader]]:
    name = mods.name("hang")
    mods.write(name, GOOD)
    with Reloader(mods.root, timeout=LIMIT) as rl:
        rl.import_all()
        yield name, rl


def next_event(rl: Reloader) -> ReloadEvent:
    event = rl.wait(timeout=TIMEOUT)
    assert event is not None, "no reload event before the timeout"
    return event


def _assert_rolled_back(name: str, before: dict[str, object]) -> None:
    module = sys.modules[name]
    assert module.f() == 1
    after = {k: v for k, v in vars(module).items() if k != "__builtins__"}
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] for k in before)


def _snapshot(name: str) -> dict[str, object]:
    return {k: v for k, v in vars(sys.modules[name]).items() if k != "__builtins__"}


@pytest.mark.parametrize(
    ("body", "lines"),
    [
        ("X = 2\nwhile True:\n    pass\n", (2, 3)),
        # `except Exception` does not swallow it
        ("X = 2\ntry:\n    while True:\n        pass\nexcept Exception:\n    pass\n",
         (3, 4)),
        # a bare except swallows the first one: it comes again
        ("X = 2\nwhile True:\n    try:\n        pass\n    except BaseException:\n"
         "        pass\n", (2, 3, 4, 5)),
        # a server started at import (select() with a poll interval)
        ("import socketserver\nX = 2\nwith socketserver.TCPServer(('127.0.0.1', 0),"
         " socketserver.BaseRequestHandler) as s:\n    s.serve_forever()\n", (4,)),
    ],
    ids=["while-true", "except-exception", "bare-except", "serve-forever"],
)  # fmt: skip
def test_a_save_that_never_finishes_is_interrupted_and_rolled_back(
    mods, hanging, body, lines
):
    name, rl = hanging
    before = _snapshot(name)
    mods.write(name, body)
    event = next_event(rl)
    assert not event.ok and isinstance(event.error, ReloadTimeout)
    message = str(event.error)
    assert message.startswith(f"did not finish within {LIMIT:g} s")
    assert any(f"{mods.path(name)}:{line} " in message for line in lines), message
    assert event.traceback is not None and "ReloadTimeout" in event.traceback
    _assert_rolled_back(name, before)
    # Nothing is stuck: the fixed version applies.
    mods.write(name, GOOD.replace("X = 1", "X = 5"))
    event = next_event(rl)
    assert event.ok, event
    assert sys.modules[name].f() == 5


def test_input_at_import_fails_at_once_off_the_main_thread(mods, hanging):
    name, rl = hanging
    before = _snapshot(name)
    mods.write(name, "X = 2\nanswer = input('? ')\n")
    event = next_event(rl)
    assert not event.ok and isinstance(event.error, ReloadTimeout)
    assert "input()" in str(event.error)
    assert f"{mods.path(name)}:2 " in str(event.error)
    _assert_rolled_back(name, before)


def test_a_first_import_that_hangs_fails_and_the_others_load(mods):
    slow, fine = mods.name("slow"), mods.name("fine")
    mods.write(slow, SPIN)
    mods.write(fine, "Y = 1\n")
    rl = Reloader(mods.root, timeout=LIMIT)
    try:
        failures = rl.import_all()
    finally:
        rl.stop()
    assert [f.module for f in failures] == [slow]
    assert isinstance(failures[0].error, ReloadTimeout)
    assert f"{mods.path(slow)}:" in str(failures[0].error)
    assert "(in spin)" in str(failures[0].error)
    assert slow not in sys.modules
    assert sys.modules[fine].Y == 1


def test_stop_returns_soon_while_a_reload_runs_without_limit(mods, monkeypatch):
    name = mods.name("m")
    mods.write(name, GOOD)
    started = threading.Event()
    monkeypatch.setattr(sys, "hr_started", started, raising=False)
    rl = Reloader(mods.root, timeout=None)
    rl.start()
    try:
        rl.import_all()
        before = _snapshot(name)
        mods.write(
            name, "import sys\nX = 2\nsys.hr_started.set()\nwhile True:\n pass\n"
        )
        assert started.wait(TIMEOUT)
    finally:
        t0 = time.monotonic()
        rl.stop()
        stopped_in = time.monotonic() - t0
    assert stopped_in < 3.0  # a failure bound; the figure itself is ~0.01 s
    _assert_rolled_back(name, before)
    assert threading.active_count() == 1 or all(
        not t.name.startswith("hotreload") for t in threading.enumerate()
    )


def test_reload_from_another_thread_waits_for_the_interrupted_one(mods, hanging):
    name, rl = hanging
    mods.write(name, "X = 2\nwhile True:\n    pass\n")
    deadline = time.monotonic() + TIMEOUT
    while not rl._limit.running_threads():  # the watcher's thread runs it
        assert time.monotonic() < deadline
        time.sleep(0.001)
    mods.write(name, GOOD.replace("X = 1", "X = 3"))
    event = rl.reload(name)  # waits for the limit, then applies
    assert event.ok, event
    assert sys.modules[name].f() == 3
    first = next_event(rl)
    assert isinstance(first.error, ReloadTimeout) and first.trigger == "file"
    # Once the stuck reload is rolled back, the watcher may apply the fixed
    # save itself before reload() gets the lock (reload() then finds those
    # bytes live): either way reload()'s event comes next or right after.
    after = next_event(rl)
    if after is not event:
        assert after.ok and after.trigger == "file"
        assert next_event(rl) is event


def test_reload_behind_an_uninterruptible_one_gets_a_failure(mods):
    """A reload blocked in C (a lock wait) cannot be interrupted: others give up."""
    name = mods.name("m")
    mods.write(name, GOOD)
    with Reloader(mods.root, timeout=LIMIT) as rl:
        rl.import_all()
        mods.write(name, "import threading\nthreading.Event().wait(4)\nX = 2\n")
        deadline = time.monotonic() + TIMEOUT
        while not rl._limit.running_threads():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        event = rl.reload(name)
        assert not event.ok and isinstance(event.error, ReloadTimeout)
        assert "another reload did not finish" in str(event.error)
        # When the wait returns, the pending interruption lands: rolled back.
        # On a loaded machine that may be recorded before the give-up above.
        events = [next_event(rl), next_event(rl)]
        assert any(e is event for e in events)
        (stuck,) = [e for e in events if e is not event]
        assert not stuck.ok and isinstance(stuck.error, ReloadTimeout)
        assert stuck.trigger == "file" and sys.modules[name].X == 1


def test_the_exception_never_outlives_its_call():
    limit = TimeLimit(0.05)
    try:
        with limit.running("fast") as armed:
            assert armed is not None
            x = sum(range(100))
        # Well past the deadline: nothing was left pending for this thread.
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            x += 1
    finally:
        limit.close()
    assert x > 0


def _spin(limit: TimeLimit, start: float) -> None:
    with limit.running("spin"):
        while time.monotonic() - start < TIMEOUT:
            pass


def _spin_until_interrupted(limit: TimeLimit) -> float:
    """Spin in an armed call; return how long it ran before ReloadTimeout."""
    start = time.monotonic()
    with pytest.raises(ReloadTimeout):
        _spin(limit, start)
    return time.monotonic() - start


def test_calls_armed_one_after_another_are_each_limited():
    # Arming wakes the monitor only for a deadline sooner than its own: a
    # call armed right after another, and one right after an interrupted one.
    limit = TimeLimit(0.2)
    try:
        with limit.running("quick"):
            pass
        assert _spin_until_interrupted(limit) < TIMEOUT / 2
        assert _spin_until_interrupted(limit) < TIMEOUT / 2
    finally:
        limit.close()


def test_a_nested_call_leaves_the_limit_usable_from_other_threads():
    # A reload that imports a module arms the limit again on its thread:
    # stop() on another thread must still see and interrupt it.
    limit = TimeLimit(None)
    seen: list[list[int]] = []
    try:
        with limit.running("outer"), limit.running("inner"):
            other = threading.Thread(
                target=lambda: seen.append(limit.running_threads())
            )
            other.start()
            other.join(timeout=5)
    finally:
        limit.close()
    assert seen == [[threading.get_ident()]]


def test_a_disabled_limit_never_fires_and_a_bad_one_is_refused():
    limit = TimeLimit(None)
    with limit.running() as armed:
        assert armed.deadline == float("inf")
    assert not limit.interrupt(threading.get_ident(), "why")
    limit.close()
    with pytest.raises(ValueError, match="timeout"):
        TimeLimit(0)
    with pytest.raises(ValueError, match="timeout"):
        Reloader(".", timeout=-1)


def test_interrupt_and_user_location(tmp_path):
    source = tmp_path / "spin.py"
    source.write_text("def spin():\n    while True:\n        pass\n")
    namespace: dict[str, object] = {}
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    limit = TimeLimit(30.0)
    got: list[BaseException] = []

    def run() -> None:
        try:
            with limit.running("spin"):
                namespace["spin"]()  # type: ignore[operator]
        except ReloadTimeout as exc:
            got.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + TIMEOUT
    while not limit.interrupt(thread.ident or 0, "asked to stop"):
        assert time.monotonic() < deadline
        time.sleep(0.001)
    thread.join(TIMEOUT)
    limit.close()
    assert not thread.is_alive() and got
    where = user_location(got[0].__traceback__)
    assert where == f"{source}:2 (in spin)" or where == f"{source}:3 (in spin)"
    assert user_location(None) is None


def test_daemon_stops_on_the_first_sigterm_while_a_reload_hangs(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    mod = root / "stuck_mod.py"
    mod.write_text("X = 1\n")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, "-m", "hotreload", "watch", str(root), "--no-repl",
         "--timeout", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:  # fmt: skip
        try:
            assert proc.stderr is not None and proc.stdout is not None
            assert "watching" in proc.stderr.readline()
            mod.write_text("print('spinning', flush=True)\nwhile True:\n    pass\n")
            assert proc.stdout.readline().strip() == "spinning"
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=5)  # a failure bound; it takes ~0.5 s
        finally:
            if proc.poll() is None:
                proc.kill()
    assert code == 0


def test_timeout_flag(tmp_path, capsys):
    from hotreload.cli import main

    root = tmp_path / "r"
    root.mkdir()
    (root / "spins.py").write_text(SPIN)
    assert main(["check", str(root), "--timeout", "0.2"]) == 1
    out = capsys.readouterr()
    assert "did not finish within 0.2 s" in out.out
    assert main(["check", str(root), "--timeout", "soon"]) == 2
    assert "--timeout" in capsys.readouterr().err
