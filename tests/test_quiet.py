"""The user's ``logging.basicConfig(level=DEBUG)`` does not turn on our chatter."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from hotreload import Reloader
from hotreload.quiet import OWN_LOGGERS, isolate_loggers

REPO = Path(__file__).resolve().parent.parent

PROGRAM = """\
import logging, pathlib, sys
logging.basicConfig(level=logging.DEBUG, format="%(name)s %(levelname)s %(message)s")
from hotreload import Reloader
root = pathlib.Path(sys.argv[1])
with Reloader(root) as reloader:
    import mod
    def subscriber(event):
        raise RuntimeError("subscriber fails")
    reloader.subscribe(subscriber)
    for n in range(3):
        (root / "mod.py").write_text(f"X = {n}\\n")
        event = reloader.wait(timeout=15)
        assert event is not None and event.ok, event
# After stop(), which joins the thread that calls the subscribers: wait()
# returns once an event is recorded, maybe before its subscribers ran.
logging.getLogger("app").debug("the user's own debug line")
print({name: logging.getLogger(name).level for name in ("hotreload", "watchdog")})
"""


def test_basic_config_debug_shows_only_what_matters(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "mod.py").write_text("X = -1\n")
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(root)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # Levels are given back on stop.
    assert done.stdout.strip() == "{'hotreload': 0, 'watchdog': 0}"
    heads = [
        line
        for line in done.stderr.splitlines()
        if line.startswith(("hotreload", "watchdog", "app", "root"))
    ]
    # Three saves: three subscriber errors (warnings still reach the user's
    # handlers), no debug line of ours or watchdog's; the user's own stays.
    errors = [h for h in heads if h.startswith("hotreload.reloader ERROR reload ")]
    assert len(errors) == 3, heads
    assert heads == [*errors, "app DEBUG the user's own debug line"]
    assert not [h for h in heads if " DEBUG " in h and not h.startswith("app ")]


def test_levels_the_user_set_are_kept(tmp_path: Path) -> None:
    watchdog_logger = logging.getLogger("watchdog")
    saved = watchdog_logger.level
    watchdog_logger.setLevel(logging.INFO)
    try:
        with Reloader(tmp_path):
            assert watchdog_logger.level == logging.INFO
            assert logging.getLogger("hotreload").getEffectiveLevel() >= logging.INFO
        assert watchdog_logger.level == logging.INFO
    finally:
        watchdog_logger.setLevel(saved)


def test_nested_isolation_undoes_once(tmp_path: Path) -> None:
    loggers = [logging.getLogger(name) for name in OWN_LOGGERS]
    saved = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.NOTSET)
    try:
        first, second = isolate_loggers(), isolate_loggers()
        assert [lg.level for lg in loggers] == [logging.WARNING] * 2
        first()
        first()  # idempotent
        assert [lg.level for lg in loggers] == [logging.WARNING] * 2
        second()
        assert [lg.level for lg in loggers] == [logging.NOTSET] * 2
    finally:
        for lg, level in zip(loggers, saved, strict=True):
            lg.setLevel(level)
