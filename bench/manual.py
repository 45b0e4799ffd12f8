"""Rows that time the reload call itself: heap size and the long session.

No watcher runs here: the worker writes a new version of the one-class module
(``saves.ManualWriter``) and times the tool's reload call — ``Reloader.reload``
for hotreload, a ``CodeFile.refresh`` for jurigged (what its watcher calls),
``ModuleReloader.check()`` for IPython (what runs before every prompt) and
``importlib.reload``. Runs inside a worker process, one tool per process.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any

from bench import corpus
from bench.saves import ManualWriter
from bench.tools import Tool


class Cell:
    """One small GC-tracked object of the synthetic heap (48 bytes)."""

    __slots__ = ("value",)


def _setup(tool: Tool, root: Path) -> tuple[Any, Any, dict[str, Any]]:
    tool.start(root, watch=False)
    module = tool.import_modules([corpus.ONE_CLASS])[corpus.ONE_CLASS]
    namespace: dict[str, Any] = {"__name__": "bench_alias"}
    tool.track(namespace)
    exec(f"from {corpus.ONE_CLASS} import Thing", namespace)
    return module, module.Thing(), namespace


def _cycle(
    tool: Tool,
    path: Path,
    writer: ManualWriter,
    version: int,
    live: Any,
    namespace: dict[str, Any],
) -> tuple[float, bool]:
    """Write ``version``, reload it; return (seconds, whether all code is new)."""
    writer.write(path, corpus.one_class_module(version))
    start = time.perf_counter()
    tool.reload(corpus.ONE_CLASS, path)
    elapsed = time.perf_counter() - start
    try:
        fresh = live.value() == version and namespace["Thing"]().value() == version
    except Exception:
        fresh = False
    return elapsed, fresh


def heap(tool: Tool, root: Path, params: dict[str, Any]) -> dict[str, Any]:
    """Reload the one-class module while ``objects`` small objects are alive."""
    module, live, namespace = _setup(tool, root)
    # Built after the tool's set-up: importing jurigged walks every object
    # (~10 s per million), a one-off cost that is not what this row times.
    # One full collection settles the heap into the oldest generation, where
    # it stays for every timed reload.
    cells = [Cell() for _ in range(params["objects"])]
    gc.collect()
    path = Path(module.__file__)
    writer = ManualWriter()
    times: list[float] = []
    stale = 0
    for k in range(params["repeats"] + 1):
        elapsed, fresh = _cycle(tool, path, writer, k + 2, live, namespace)
        if k:  # the first reload warms caches and lazy set-up: not counted
            times.append(elapsed)
        stale += not fresh
    tool.stop()
    return {"times": times, "stale": stale, "objects": len(cells)}


def session(tool: Tool, root: Path, params: dict[str, Any]) -> dict[str, Any]:
    """Edit and reload one module ``cycles`` times; cost and RSS as it goes."""
    import psutil

    process = psutil.Process()
    module, live, namespace = _setup(tool, root)
    path = Path(module.__file__)
    writer = ManualWriter()
    cycles: int = params["cycles"]
    times: list[float] = []
    rss: dict[int, int] = {}
    stale = 0
    began = time.perf_counter()
    for k in range(1, cycles + 1):
        elapsed, fresh = _cycle(tool, path, writer, k + 1, live, namespace)
        times.append(elapsed)
        stale += not fresh
        over = time.perf_counter() - began > params["time_cap"]
        if k in (params["early"], cycles) or over:
            # Garbage awaiting collection is not growth: collect, then read.
            gc.collect()
            rss[k] = process.memory_info().rss
        if over:
            break
    tool.stop()
    return {
        "times": times,
        "rss": {str(k): v for k, v in rss.items()},
        "stale": stale,
        "cycles": cycles,
        "time_cap": params["time_cap"],
    }
