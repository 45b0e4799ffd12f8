"""The printed report and ``bench/RESULTS.md``: machine, command, table, notes."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from pathlib import Path

from bench.table import Table

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    # Other processes' load skews every figure: the report says what it was.
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cores or os.cpu_count()} cores ({cpu}, load {load} at the end), "
        f"{platform.system()} "
        f"{platform.release()}, Python {platform.python_version()} "
        f"({sys.implementation.name})"
    )


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("hotreload", "jurigged", "ipython", "watchdog"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def render(table: Table, command: str, elapsed: float) -> str:
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    notes = "\n".join(f"- {n}" for n in table.notes)
    return (
        f"Date: {now}  \n"
        f"Machine: {machine()}  \n"
        f"Versions: {versions()}  \n"
        f"Command: `{command}` ({elapsed:.0f} s)\n\n"
        f"{table.render()}\n\n"
        "Ratios (×N) are the peer's figure over hotreload's; ±N% is half the "
        "interquartile range over the repeats, relative to the median.\n\n"
        f"{notes}\n"
    )


def write(text: str) -> Path:
    RESULTS.write_text(
        "# hotreload benchmark results\n\n"
        "Produced by `python -m bench --write-results` (`make bench` prints the "
        'same table without writing this file). See DESIGN.md, "Performance '
        'budget", for what each row promises.\n\n' + text
    )
    return RESULTS
