"""Turn raw results into the one table: figures, ratios, budget, PASS/MISS.

A ratio is the peer's figure divided by hotreload's (×3.0: the peer takes
three times as long). "±N%" is half the interquartile range over the repeats,
relative to the median. A peer that cannot do a row says why, never blank.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.stats import median, ms, percentile, spread

PEERS = ("jurigged", "ipython", "importlib")
HEADER = (
    "row",
    "measure",
    "hotreload",
    "jurigged",
    "IPython autoreload",
    "importlib.reload",
    "budget",
    "verdict",
)
NO_WATCHER = {
    "ipython": "n/a (no file watcher; reloads at the next prompt)",
    "importlib": "n/a (no file watcher)",
}


@dataclass
class Line:
    row: str
    measure: str
    cells: dict[str, str]  # tool -> text
    budget: str = ""
    verdict: str = ""

    def values(self) -> tuple[str, ...]:
        tools = ("hotreload", *PEERS)
        cells = tuple(self.cells.get(t, "n/a (not run)") for t in tools)
        return (self.row, self.measure, *cells, self.budget, self.verdict or "—")


@dataclass
class Table:
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        rows = [HEADER, *(line.values() for line in self.lines)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
        out = []
        for n, r in enumerate(rows):
            out.append(
                "| "
                + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))
                + " |"
            )
            if n == 0:
                out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        return "\n".join(out)


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else "PASS" if ok else "MISS"


def timed(values: Sequence[float]) -> str:
    """'1.23 ms ±4%': median and half the interquartile range."""
    if not values:
        return "no data"
    mid = median(values)
    low, high = spread(values)
    pct = 100 * (high - low) / 2 / mid if mid else 0.0
    return f"{ms(mid)} ms ±{pct:.0f}%"


def ratio(peer: float | None, ours: float | None) -> str:
    if peer is None or ours is None or not ours or math.isnan(peer + ours):
        return ""
    return f" (×{peer / ours:.1f})"


def problem(result: dict[str, Any] | None) -> str | None:
    """The reason a worker gave no figures, or None if it did."""
    if result is None:
        return "n/a (not run)"
    if "crash" in result:
        return "error (see notes)"
    return None


class Builder:
    """Build the table row by row from ``Runner.run``'s results."""

    def __init__(self, results: dict[str, Any], settings: Any) -> None:
        self.results = results
        self.settings = settings
        self.table = Table()

    def build(self) -> Table:
        from bench import rows

        for name in (
            "latency",
            "busy",
            "heap",
            "session",
            "startup",
            "idle",
            "branch",
        ):
            if name in self.results:
                builder: Callable[[Builder, Any], None] = getattr(rows, name)
                builder(self, self.results[name])
        return self.table

    def add(self, line: Line) -> None:
        self.table.lines.append(line)

    def note(self, text: str) -> None:
        if text not in self.table.notes:
            self.table.notes.append(text)

    def check(self, row: str, tool: str, result: dict[str, Any] | None) -> str | None:
        """Return a cell for a failed worker (and note why), else None."""
        text = problem(result)
        if result is not None and "crash" in result:
            self.note(f"{row}/{tool} crashed:\n{result['crash'].rstrip()}")
        if result is not None and result.get("error_count"):
            errors = "; ".join(result["errors"])
            self.note(
                f"{row}/{tool}: {result['error_count']} reload error(s): {errors}"
            )
        return text


def latency_cell(result: dict[str, Any]) -> tuple[str, float | None]:
    """'p50/p90/p99/max ms, missed/tried' and the p50 (None if nothing landed)."""
    lat = result["latencies"]
    missed, tried, saves = result["missed"], result["tried"], result["saves"]
    stopped = f" (stopped after {tried} of {saves})" if tried < saves else ""
    if not lat:
        return f"all {tried} missed{stopped}", None
    figures = "/".join(ms(percentile(lat, q)) for q in (50, 90, 99, 100))
    return f"{figures} ms, {missed}/{tried} missed{stopped}", median(lat)
