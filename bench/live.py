"""Rows that go through a tool's file watcher: latency, idle and branch switch.

These run inside a worker process (``bench.worker``), one tool per process.
Each returns a JSON-ready dict of raw measurements; ``bench.table`` turns them
into figures.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench import corpus
from bench.gitwriter import has_git
from bench.saves import Saver
from bench.tools import Tool

#: Seconds between starting a watcher and the first change: inotify watches
#: and jurigged's per-file handlers are in place well before that.
SETTLE = 0.5
#: Seconds between polls of ``f()`` while waiting for a save to land.
POLL = 0.0002
#: A style whose first this-many saves all miss is stopped there: every miss
#: costs the whole deadline, and 200 of them would blow the time budget.
EARLY_STOP = 10


def latency(tool: Tool, root: Path, params: dict[str, Any]) -> dict[str, Any]:
    """Time each save until ``mod.f()`` and a ``from mod import f`` alias agree."""
    style: str = params["style"]
    deadline: float = params["deadline"]
    path = root / f"{corpus.SMALL}.py"
    tool.start(root, watch=True)
    module = tool.import_modules([corpus.SMALL])[corpus.SMALL]
    namespace: dict[str, Any] = {"__name__": "bench_alias"}
    tool.track(namespace)
    exec(f"from {corpus.SMALL} import f", namespace)
    applied: list[float] = []  # when the tool says it applied a save
    tool.on_applied(lambda name, batch: applied.append(time.perf_counter()))
    time.sleep(SETTLE)

    def live(version: int) -> bool:
        try:
            return bool(module.f() == version and namespace["f"]() == version)
        except Exception:  # caught half-way through a reload: not live yet
            return False

    latencies: list[float] = []
    reported: list[float] = []
    missed = tried = 0
    saver = Saver()
    for tried in range(1, params["saves"] + 1):
        version = tried + 1
        source = corpus.small_module(version)
        del applied[:]
        start = saver.save(style, path, source)
        while not live(version):
            if time.perf_counter() - start > deadline:
                missed += 1
                break
            time.sleep(POLL)
        else:
            latencies.append(time.perf_counter() - start)
            if applied:
                reported.append(applied[-1] - start)
        if missed == tried == EARLY_STOP:
            break
        time.sleep(params["gap"])  # let trailing events and timers settle
    saver.close()
    tool.stop()
    return {
        "latencies": latencies,
        "reported": reported,  # save -> the tool's "applied" callback
        "durations": tool.durations,  # the reload alone, as the tool times it
        "missed": missed,
        "tried": tried,
        "saves": params["saves"],
    }


def idle(tool: Tool, root: Path, params: dict[str, Any]) -> dict[str, Any]:
    """CPU the process uses while watching 1,000 files that do not change."""
    import psutil

    tool.start(root, watch=True)
    tool.import_modules(name for name, _ in corpus.idle_files(root))
    time.sleep(params["settle"])
    process = psutil.Process()
    before, cpu_before = process.cpu_times(), time.process_time()
    start = time.perf_counter()
    time.sleep(params["seconds"])  # the main thread sleeps: only the tool works
    wall = time.perf_counter() - start
    after, cpu_after = process.cpu_times(), time.process_time()
    threads = process.num_threads()
    tool.stop()
    used = (after.user - before.user) + (after.system - before.system)
    return {
        "cpu": used,
        "cpu_precise": cpu_after - cpu_before,  # ns clock, for small figures
        "wall": wall,
        "threads": threads,
    }


class _Collector:
    """Record applied modules from the tool's thread; signal when all arrived."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.events: list[tuple[float, str, int | None]] = []
        self.seen: set[str] = set()
        self.done = threading.Event()
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.events, self.seen = [], set()
            self.done.clear()

    def __call__(self, name: str, batch: int | None) -> None:
        with self.lock:
            self.events.append((time.monotonic(), name, batch))
            self.seen.add(name)
            if len(self.seen) >= self.expected:
                self.done.set()


def branch(tool: Tool, root: Path, params: dict[str, Any]) -> dict[str, Any]:
    """Switch all modules (500, or ``size``) to a new version; time until all apply."""
    size: int = params.get("size", corpus.BRANCH_SIZE)
    names = [corpus.branch_name(i) for i in range(size)]
    tool.start(root, watch=tool.watches)
    modules = tool.import_modules(names)
    collector = _Collector(len(names))
    tool.on_applied(collector)
    git = subprocess.Popen(
        [sys.executable, "-m", "bench.gitwriter", str(root), str(size)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    pipe_in, pipe_out = git.stdin, git.stdout
    if pipe_in is None or pipe_out is None:  # PIPE gives both; this is for typing
        raise RuntimeError("no pipes to the git writer")
    time.sleep(SETTLE)
    runs = []
    for rep in range(params["repeats"]):
        version = rep + 2
        collector.reset()
        done_at: float | None = None
        pipe_in.write(f"{version}\n")
        pipe_in.flush()
        first, last = map(float, pipe_out.readline().split())
        if tool.watches:
            collector.done.wait(params["timeout"])
        else:  # no watcher: the next prompt applies everything
            tool.reload(names[0], root)
            collector.done.set()
            done_at = time.monotonic()
        time.sleep(params["quiet"])  # late or repeated events still count
        with collector.lock:
            events = list(collector.events)
        if tool.watches and collector.done.is_set():
            done_at = _completion_time(events, len(names))
        applied = None if done_at is None else done_at - last
        runs.append(
            _judge(events, modules, version, size, write=last - first)
            | {"applied": applied}
        )
    pipe_in.close()
    git.wait()
    tool.stop()
    return {
        "runs": runs,
        "timeout": params["timeout"],
        "size": size,
        "writer": "git checkout" if has_git() else "unlink + create, in Python",
    }


def _completion_time(events: list[tuple[float, str, int | None]], n: int) -> float:
    seen: set[str] = set()
    for at, name, _ in events:
        seen.add(name)
        if len(seen) == n:
            return at
    raise AssertionError("collector signalled early")  # pragma: no cover


def _judge(
    events: list[tuple[float, str, int | None]],
    modules: dict[str, Any],
    version: int,
    size: int,
    *,
    write: float,
) -> dict[str, Any]:
    """Check one branch switch: once each, in dependency order, right values."""
    position: dict[str, int] = {}
    for n, (_, name, _) in enumerate(events):
        position.setdefault(name, n)
    out_of_order = 0
    for i in range(size):
        here = position.get(corpus.branch_name(i))
        deps = [
            position.get(corpus.branch_name(d)) for d in corpus.branch_deps(i, size)
        ]
        if here is not None and any(d is not None and d > here for d in deps):
            out_of_order += 1
    stale = sum(
        getattr(modules[corpus.branch_name(i)], "TOTAL", None)
        != corpus.branch_total(i, version, size)
        for i in range(size)
    )
    batches: dict[int, int] = {}  # batch number -> modules, in order
    for _, _, batch in events:
        if batch is not None:
            batches[batch] = batches.get(batch, 0) + 1
    return {
        "events": len(events),
        "distinct": len(position),
        "batches": len(batches) if batches else None,
        "batch_sizes": list(batches.values()),
        "out_of_order": out_of_order,
        "stale": stale,
        "write": write,
    }


def busy(tool: Tool, root: Path, params: dict[str, Any]) -> dict[str, Any]:
    """Save-to-live while threads keep calling into the module, as a server does.

    Two parts: single saves, each timed until live (the latency row's way);
    then a stream of saves ``gap`` seconds apart, each counted as landed if
    it is live before the next one is written, and the last one waited for.
    """
    style: str = params["style"]
    deadline: float = params["deadline"]
    gap: float = params["gap"]
    path = root / f"{corpus.SMALL}.py"
    tool.start(root, watch=True)
    module = tool.import_modules([corpus.SMALL])[corpus.SMALL]
    stop = threading.Event()
    calls = [0] * params["threads"]
    errors = [0] * params["threads"]

    def spin(i: int) -> None:
        while not stop.is_set():
            try:
                module.f()
            except Exception:  # caught half-way through a reload
                errors[i] += 1
            calls[i] += 1

    threads = [
        threading.Thread(target=spin, args=(i,), daemon=True)
        for i in range(params["threads"])
    ]
    for thread in threads:
        thread.start()
    time.sleep(SETTLE)

    def wait_live(version: int, until: float) -> float | None:
        while time.perf_counter() < until:
            try:
                if module.f() == version:
                    return time.perf_counter()
            except Exception:
                pass
            time.sleep(POLL)
        return None

    version = 1
    latencies: list[float] = []
    missed = 0
    saver = Saver()
    for _ in range(params["saves"]):
        version += 1
        start = saver.save(style, path, corpus.small_module(version))
        live_at = wait_live(version, start + deadline)
        if live_at is None:
            missed += 1
        else:
            latencies.append(live_at - start)
        time.sleep(params["pause"])
    landed = 0
    first = version + 1
    begin = time.perf_counter()
    for k in range(params["stream"]):
        version += 1
        due = begin + k * gap
        time.sleep(max(0.0, due - time.perf_counter()))
        saver.save(style, path, corpus.small_module(version))
        if wait_live(version, due + gap) is not None:
            landed += 1
    last_written = time.perf_counter()
    saver.close()
    last_live = wait_live(version, last_written + deadline)
    stop.set()
    for thread in threads:
        thread.join()
    tool.stop()
    return {
        "latencies": latencies,
        "missed": missed,
        "tried": params["saves"],
        "saves": params["saves"],
        "stream": params["stream"],
        "landed": landed,
        "first_stream_version": first,
        "last_live": None if last_live is None else last_live - last_written,
        "calls": sum(calls),
        "caller_errors": sum(errors),
    }
