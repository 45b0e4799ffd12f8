"""A process that forks after the reloader started keeps reloading in the child.

Each scenario runs in a subprocess with a hard time limit: a regression that
hangs a child (a lock held across the fork) must fail, not hang CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LIMIT = 60

PRELUDE = """\
import multiprocessing, os, pathlib, sys, warnings
warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads
root = pathlib.Path(sys.argv[1])
from hotreload import Reloader
reloader = Reloader(root)
reloader.start()
import mod

def save(value):
    (root / "mod.py").write_text(f"def f():\\n    return {value}\\n")

def edit_and_wait(value):
    save(value)
    while True:
        event = reloader.wait(timeout=15)
        if event is None:
            return ("no event", reloader.backend)
        if event.module == "mod" and mod.f() == value:
            return (reloader.backend, event.ok, mod.f())
"""

OS_FORK = (
    PRELUDE
    + """
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(read)
    result = edit_and_wait(2)
    os.write(write, repr(result).encode())
    reloader.stop()
    os._exit(0)
os.close(write)
with os.fdopen(read) as pipe:
    child = pipe.read()
_, status = os.waitpid(pid, 0)
print("child", child, os.waitstatus_to_exitcode(status))
# The parent kept its own watches through the child's life and exit.
print("parent", edit_and_wait(3))
reloader.stop()
"""
)

MULTIPROCESSING = (
    PRELUDE
    + """
def work(queue):
    queue.put(edit_and_wait(5))

if __name__ == "__main__":
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    worker = context.Process(target=work, args=(queue,))
    worker.start()
    print("child", queue.get(timeout=30))
    worker.join(30)
    print("exit", worker.exitcode)
    print("parent", edit_and_wait(6))
    reloader.stop()
"""
)


def run(tmp_path: Path, program: str) -> list[str]:
    root = tmp_path / "root"
    root.mkdir()
    (root / "mod.py").write_text("def f():\n    return 1\n")
    script = tmp_path / "program.py"
    script.write_text(program)
    done = subprocess.run(
        [sys.executable, str(script), str(root)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=LIMIT,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout.splitlines()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_an_os_fork_child_reloads_on_its_own(tmp_path: Path) -> None:
    assert run(tmp_path, OS_FORK) == [
        "child ('inotify', True, 2) 0",
        "parent ('inotify', True, 3)",
    ]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_multiprocessing_fork_worker_reloads(tmp_path: Path) -> None:
    assert run(tmp_path, MULTIPROCESSING) == [
        "child ('inotify', True, 5)",
        "exit 0",
        "parent ('inotify', True, 6)",
    ]


def test_a_stopped_reloader_stays_stopped_in_a_child(tmp_path: Path) -> None:
    program = PRELUDE + (
        "reloader.stop()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(0 if reloader.backend == 'stopped' else 3)\n"
        "print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n"
    )
    assert run(tmp_path, program) == ["0"]


LOCK_HELD = (
    PRELUDE
    + """
import threading
held, release = threading.Event(), threading.Event()

def hold():
    with reloader._lock:  # as the applier does during a reload
        held.set()
        release.wait()

holder = threading.Thread(target=hold)
holder.start()
held.wait(15)
pid = os.fork()
if pid == 0:
    result = edit_and_wait(4)
    os._exit(0 if result == ("inotify", True, 4) else 3)
release.set()
holder.join(15)
print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
reloader.stop()
"""
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_lock_held_by_another_thread_at_fork_does_not_block_the_child(
    tmp_path: Path,
) -> None:
    assert run(tmp_path, LOCK_HELD) == ["0"]


FDS = (
    PRELUDE
    + """
def open_fds():
    return len(os.listdir("/proc/self/fd"))

before = open_fds()
pid = os.fork()
if pid == 0:
    ok = edit_and_wait(7) == ("inotify", True, 7)
    # The new watcher's descriptors replace the inherited ones.
    os._exit(0 if ok and open_fds() == before else 3)
print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
print("parent", edit_and_wait(8))
reloader.stop()
"""
)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc")
def test_a_child_does_not_keep_the_parents_descriptors(tmp_path: Path) -> None:
    assert run(tmp_path, FDS) == ["0", "parent ('inotify', True, 8)"]
