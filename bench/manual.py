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


class Record:
    """One unit of the synthetic heap: three GC-tracked objects, as apps hold.

    An instance with a ``__dict__``, a list and a dict that holds the list.
    Containers of atoms alone would not do: a dict of ints and strings, or a
    tuple of them, is untracked by the GC, and ``gc.get_referrers`` (what
    IPython's instance update calls) never visits an untracked object.
    """

    def __init__(self, n: int) -> None:
        self.tags = [n]
        self.meta = {"tags": self.tags, "id": n}


PER_RECORD = 3  # tracked objects per Record: the instance, its list, its dict


def _setup(
    tool: Tool, root: Path, name: str = corpus.ONE_CLASS
) -> tuple[Any, Any, dict[str, Any]]:
    tool.start(root, watch=False)
    module = tool.import_modules([name])[name]
    namespace: dict[str, Any] = {"__name__": "bench_alias"}
    tool.track(namespace)
    exec(f"from {name} import Thing", namespace)
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


#: The two edits of the heap row: the method body alone (IPython's deduperreload
#: patches it in place, walking nothing) and a module-level setting (IPython
#: re-executes the module and updates the instances of its class through
#: ``gc.get_referrers``, a walk of every GC-tracked object in the process).
#: A method edit alone leaves IPython's cost flat whatever the heap holds, so
#: the setting edit is what shows what a big heap costs the peers.
HEAP_EDITS = ("method", "statement")


def heap(tool: Tool, root: Path, params: dict[str, Any]) -> dict[str, Any]:
    """Reload the heap module while ``objects`` GC-tracked objects are alive.

    Both edits run on the same heap, one after the other: ``repeats`` timed
    reloads of each kind, after one warm-up reload of that kind.
    """
    module, live, namespace = _setup(tool, root, corpus.HEAP)
    # Built after the tool's set-up: importing jurigged walks every object
    # (~10 s per million), a one-off cost that is not what this row times.
    # One full collection settles the heap into the oldest generation, where
    # it stays for every timed reload.
    records = [Record(n) for n in range(params["objects"] // PER_RECORD)]
    gc.collect()
    path = Path(module.__file__)
    writer = ManualWriter()
    versions = {"method": 1, "statement": 1}
    times: dict[str, list[float]] = {kind: [] for kind in HEAP_EDITS}
    stale = dict.fromkeys(HEAP_EDITS, 0)
    for kind in HEAP_EDITS:
        for k in range(params["repeats"] + 1):
            versions[kind] += 1
            m, s = versions["method"], versions["statement"]
            writer.write(path, corpus.heap_module(m, s))
            start = time.perf_counter()
            tool.reload(corpus.HEAP, path)
            elapsed = time.perf_counter() - start
            if k:  # the first reload warms caches and lazy set-up: not counted
                times[kind].append(elapsed)
            stale[kind] += not _heap_fresh(live, namespace, m, s)
    tool.stop()
    sample = Record(0)
    tracked = sum(gc.is_tracked(o) for o in (sample, sample.tags, sample.meta))
    return {
        "times": times,
        "stale": stale,
        "objects": len(records) * tracked,
    }


def _heap_fresh(
    live: Any, namespace: dict[str, Any], method: int, setting: int
) -> bool:
    """Whether an instance made before, and a new one, both run the new code."""
    try:
        return all(
            thing.value() == method and thing.timeout() == setting
            for thing in (live, namespace["Thing"]())
        )
    except Exception:
        return False


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
