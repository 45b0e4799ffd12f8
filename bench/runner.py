"""Run each row: write the corpus, start one worker per tool, collect results.

Every worker gets a fresh directory holding the same generated files, and
the tools of a row run one after the other (never side by side: on two cores
they would steal each other's time).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import corpus, gitwriter, realcode, startup
from bench.saves import SAVE_STYLES
from bench.worker import RESULT_MARK

REPO = Path(__file__).resolve().parent.parent
ROWS = (
    "latency",
    "busy",
    "heap",
    "session",
    "startup",
    "idle",
    "branch",
    "checkout",
    "slowimport",
    "models",
)
TOOLS = ("hotreload", "jurigged", "ipython", "importlib")
HEAP_SIZES = (0, 1_000_000, 3_000_000)


@dataclass
class Settings:
    """How much work each row does; ``quick`` is a smoke run, not a measurement."""

    quick: bool = False
    tools: tuple[str, ...] = TOOLS
    saves: int = 200
    heap_repeats: int = 7
    cycles: int = 1000
    session_cap: float = 60.0  # seconds per tool; a tool slower than that stops
    idle_seconds: float = 10.0
    branch_repeats: int = 3
    startup_runs: int = 15
    prompt_runs: int = 5
    slow_edits: int = 5  # a tool that imports again spends 2 s on each
    model_repeats: int = 7
    log: Callable[[str], None] = field(default=lambda line: None)

    @classmethod
    def make(cls, quick: bool, tools: Iterable[str], log: Callable[[str], None]):
        if not quick:
            return cls(tools=tuple(tools), log=log)
        return cls(
            quick=True,
            tools=tuple(tools),
            saves=40,
            heap_repeats=3,
            cycles=200,
            session_cap=15.0,
            idle_seconds=3.0,
            branch_repeats=1,
            startup_runs=5,
            prompt_runs=2,
            slow_edits=2,
            model_repeats=3,
            log=log,
        )


class Runner:
    def __init__(self, settings: Settings, workdir: Path) -> None:
        self.settings = settings
        self.workdir = workdir
        self._count = 0

    def worker(
        self,
        row: str,
        tool: str,
        write: Callable[[Path], object],
        params: dict[str, Any],
        timeout: float = 300.0,
    ) -> dict[str, Any]:
        """Write a fresh corpus, run one worker on it, return its result."""
        self._count += 1
        root = self.workdir / f"{self._count:03d}-{row}-{tool}" / "root"
        root.mkdir(parents=True)
        write(root)
        spec = json.dumps(
            {"row": row, "tool": tool, "root": str(root), "params": params}
        )
        env = dict(os.environ)
        # No .pyc files for the generated modules, for every tool: a pyc is
        # validated by a one-second mtime and the size, and fast edits of equal
        # size would make importlib (and so IPython) load stale bytecode.
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPATH", None)
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "bench.worker", spec],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {"crash": f"worker timed out after {timeout:.0f} s"}
        self.settings.log(
            f"  {row:8} {tool:10} {json.dumps(params)[:60]:60} "
            f"{time.perf_counter() - started:6.1f} s"
        )
        for line in reversed(done.stdout.splitlines()):
            if line.startswith(RESULT_MARK):
                return dict(json.loads(line[len(RESULT_MARK) :]))
        return {"crash": (done.stderr or done.stdout)[-2000:]}

    def tools(self, *able: str) -> list[str]:
        return [t for t in self.settings.tools if t in able]

    # -- rows ---------------------------------------------------------------

    def latency(self) -> dict[str, Any]:
        s = self.settings
        return {
            style: {
                tool: self.worker(
                    "latency",
                    tool,
                    corpus.write_small,
                    {"style": style, "saves": s.saves, "deadline": 1.0, "gap": 0.03},
                )
                for tool in self.tools("hotreload", "jurigged")
            }
            for style in SAVE_STYLES
        }

    def busy(self) -> dict[str, Any]:
        s = self.settings
        params = {
            "style": "in-place",
            "threads": 4,
            "saves": s.saves // 2,
            "deadline": 2.0,
            "pause": 0.05,
            "stream": s.saves // 2,
            "gap": 0.05,
        }
        return {
            tool: self.worker("busy", tool, corpus.write_small, params)
            for tool in self.tools("hotreload", "jurigged")
        }

    def heap(self) -> dict[str, Any]:
        return {
            str(size): {
                tool: self.worker(
                    "heap",
                    tool,
                    corpus.write_heap,
                    {"objects": size, "repeats": self.settings.heap_repeats},
                )
                for tool in self.tools(*TOOLS)
            }
            for size in HEAP_SIZES
        }

    def session(self) -> dict[str, Any]:
        s = self.settings
        params = {"cycles": s.cycles, "early": 10, "time_cap": s.session_cap}
        return {
            tool: self.worker("session", tool, corpus.write_one_class, params)
            for tool in self.tools(*TOOLS)
        }

    def startup(self) -> dict[str, Any]:
        started = time.perf_counter()
        where = self.workdir / "startup"
        result = startup.run(
            where, self.settings.startup_runs, self.settings.prompt_runs
        )
        self.settings.log(f"  startup  {time.perf_counter() - started:6.1f} s")
        return result

    def idle(self) -> dict[str, Any]:
        params = {"seconds": self.settings.idle_seconds, "settle": 1.0}
        return {
            tool: self.worker("idle", tool, corpus.write_idle, params)
            for tool in self.tools("hotreload", "jurigged")
        }

    def branch(self) -> dict[str, Any]:
        repeats = self.settings.branch_repeats

        def prepare(root: Path) -> None:
            gitwriter.prepare(root, repeats)

        params = {
            "repeats": repeats,
            "timeout": 10.0,
            "quiet": 0.5,
        }
        return {
            tool: self.worker("branch", tool, prepare, params)
            for tool in self.tools("hotreload", "jurigged", "ipython")
        }

    def checkout(self) -> dict[str, Any]:
        """The branch switch at 3,000 files (``live.branch`` with ``size``)."""
        repeats = self.settings.branch_repeats
        size = corpus.CHECKOUT_SIZE

        def prepare(root: Path) -> None:
            gitwriter.prepare(root, repeats, size)

        # 5 s: ample for the budget's 1.5 s, and a peer that applies file by
        # file (incomplete either way) costs the row less time.
        params = {"repeats": repeats, "timeout": 5.0, "quiet": 0.5, "size": size}
        return {
            tool: self.worker("checkout", tool, prepare, params)
            for tool in self.tools("hotreload", "jurigged", "ipython")
        }

    def slowimport(self) -> dict[str, Any]:
        params = {"edits": self.settings.slow_edits, "deadline": 10.0, "gap": 0.3}
        return {
            tool: self.worker("slowimport", tool, realcode.write_slow, params)
            for tool in self.tools(*TOOLS)
        }

    def models(self) -> dict[str, Any]:
        return {
            framework: {
                tool: self.worker(
                    "models",
                    tool,
                    realcode.write_models(framework),
                    {"framework": framework, "repeats": self.settings.model_repeats},
                )
                for tool in self.tools(*TOOLS)
            }
            for framework in realcode.FRAMEWORKS
        }

    def run(self, rows: Iterable[str]) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for row in rows:
            self.settings.log(f"{row}:")
            results[row] = getattr(self, row)()
        return results
