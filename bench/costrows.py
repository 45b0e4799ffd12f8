"""Table lines for the rows that time a reload on a big heap or on real code.

``heap`` (reload cost against heap size), ``slowimport`` (a one-line edit
where import is slow) and ``models`` (a method edit in a model module); the
other rows are in ``bench.rows``. Budgets are DESIGN.md's "Performance
budget".
"""

from __future__ import annotations

from typing import Any

from bench.stats import median, ms
from bench.table import PEERS, Builder, Line, ratio, timed, verdict

HEAP_EDITS = {
    "method": "method body edited",
    "statement": "module-level setting edited",
}


def heap(b: Builder, results: dict[str, Any]) -> None:
    largest = max(results, key=int)
    for kind, what in HEAP_EDITS.items():
        empty: dict[str, float] = {}
        last: dict[str, float] = {}
        for size, by_tool in results.items():
            cells: dict[str, str] = {}
            figures: dict[str, float] = {}
            for tool, result in by_tool.items():
                cell = b.check("heap", tool, result)
                if cell:
                    cells[tool] = cell
                    continue
                times = result["times"][kind]
                figures[tool] = median(times)
                cells[tool] = timed(times)
                if result["stale"][kind]:
                    cells[tool] += " (instance kept old code)"
                if size == "0":
                    empty[tool] = figures[tool]
                elif size == largest:
                    last[tool] = figures[tool]
            for tool in PEERS:
                if tool in cells and tool in figures:
                    cells[tool] += ratio(figures[tool], figures.get("hotreload"))
            label = "empty heap" if size == "0" else f"{int(size):,} live objects"
            b.add(Line("2 reload vs heap", f"{what}, {label}", cells))
        if empty and last:
            growth = {t: last[t] / empty[t] for t in last if t in empty and empty[t]}
            ok = growth.get("hotreload")
            b.add(
                Line(
                    "2 reload vs heap",
                    f"{what}: largest heap ÷ empty heap",
                    {t: f"×{g:.2f}" for t, g in growth.items()},
                    "≤ 1.5× (3 M objects)",
                    verdict(None if ok is None else ok <= 1.5),
                )
            )
    b.note(
        "reload vs heap: the reload call alone (Reloader.reload; jurigged "
        "CodeFile.refresh; IPython ModuleReloader.check() as %autoreload 2 runs "
        "it; importlib.reload), median of the timed reloads after one warm-up "
        "of each edit. The heap is records of three GC-tracked objects each (an "
        "instance with a __dict__, a list, a dict holding the list), alive "
        "throughout. The module holds one class and `TIMEOUT = "
        "timedelta(seconds=N)`; two edits: a method body, which IPython 9's "
        "deduperreload patches in place without looking at the heap, and the "
        "setting, which it cannot patch (a statement that calls a function), so "
        "IPython re-executes the module and its update_instances calls "
        "gc.get_referrers on every version of the class it has seen: a walk of "
        "every tracked object, once more with each reload. jurigged walks "
        "gc.get_referrers for each changed function's code until one walk "
        "takes over 0.1 s (codefind's MAX_TIME), then trusts its cache: its "
        "method edit can cost less at 3 M objects than at 1 M."
    )


def _ran(result: dict[str, Any]) -> str:
    """'statements run per reload: 1' from ReloadEvent.ran, where it exists."""
    ran = result.get("ran") or []
    if not ran:
        return ""
    low, high = min(ran), max(ran)
    return f"statements run per reload (ReloadEvent.ran): {low}" + (
        f"–{high}" if high != low else ""
    )


def slowimport(b: Builder, results: dict[str, Any]) -> None:
    live: dict[str, str] = {}
    loads: dict[str, str] = {}
    figures: dict[str, float] = {}
    ok_live = ok_load = None
    split = ""
    for tool, result in results.items():
        cell = b.check("slowimport", tool, result)
        if cell:
            live[tool] = loads[tool] = cell
            continue
        lives, edits = result["lives"], result["edits"]
        if lives:
            figures[tool] = median(lives)
            live[tool] = f"{ms(median(lives))} ms (max {ms(max(lives))})"
        else:
            live[tool] = "never live"
        if result["missed"]:
            live[tool] += f", {result['missed']}/{edits} not live within 10 s"
        if result["alias_stale"]:
            live[tool] += f", alias old in {result['alias_stale']}/{edits}"
        if not result["watched"]:
            live[tool] += " (the reload call)"
        again = sum(1 for n in result["reran"] if n)
        loads[tool] = f"{again} of {edits} edits"
        if not result["data_kept"]:
            loads[tool] += " (DATA lost)"
        if tool == "hotreload":
            ok_live = bool(lives) and not result["missed"] and median(lives) <= 0.010
            ok_load = again == 0 and result["data_kept"]
            if result["durations"]:
                split = (
                    f"hotreload's own view (median): save → event "
                    f"{ms(median(result['reported']))} ms, the reload itself "
                    f"{ms(median(result['durations']))} ms"
                )
                split += f"; {_ran(result)}. " if _ran(result) else ". "
    for tool in PEERS:
        if tool in figures:
            live[tool] += ratio(figures[tool], figures.get("hotreload"))
    row = "7 slow import"
    b.add(
        Line(row, "f() edited: save → live", live, "≤ 10 ms (median)", verdict(ok_live))
    )
    b.add(Line(row, "load() ran again", loads, "never", verdict(ok_load)))
    b.note(
        "slow import: a module whose import runs `DATA = load()` (load() sleeps "
        "2 s, as a query or a model file would, and logs each call to a file); "
        "each edit changes only f()'s body. Watching tools (hotreload, jurigged) "
        "are timed from just before the save until mod.f() returns the new "
        "value ('alias old': a `from mod import f` alias still ran old code "
        "after it); IPython and importlib from just "
        "before the save until their reload call (check() at the next prompt; "
        "importlib.reload) has made it live. " + split
    )


def models(b: Builder, results: dict[str, Any]) -> None:
    for framework, by_tool in results.items():
        cost: dict[str, str] = {}
        kept: dict[str, str] = {}
        figures: dict[str, float] = {}
        ok_cost = ok_kept = None
        for tool, result in by_tool.items():
            cell = b.check(f"models/{framework}", tool, result)
            if cell:
                cost[tool] = kept[tool] = cell
                continue
            figures[tool] = median(result["times"])
            cost[tool] = timed(result["times"])
            rebuilt = result["rebuilt"]
            low, high = min(rebuilt), max(rebuilt)
            per_edit = f"{low}" if low == high else f"{low}–{high}"
            kept[tool] = f"{per_edit} / {result['stale']} of {result['edits']}"
            if result["problems"]:
                b.note(f"models/{framework}/{tool}: " + "; ".join(result["problems"]))
            if tool == "hotreload":
                if _ran(result):
                    b.note(f"models/{framework}/hotreload: {_ran(result)}.")
                ok_cost = figures[tool] <= 0.005
                ok_kept = high == 0 and result["stale"] == 0
        for tool in PEERS:
            if tool in figures:
                cost[tool] += ratio(figures[tool], figures.get("hotreload"))
        row = "8 model module"
        b.add(
            Line(
                row,
                f"50 {framework} models, one method edited: reload",
                cost,
                "≤ 5 ms",
                verdict(ok_cost),
            )
        )
        b.add(
            Line(
                row,
                f"{framework}: models rebuilt per edit / edits with stale objects",
                kept,
                "0 / 0",
                verdict(ok_kept),
            )
        )
    b.note(
        "model module: the reload call alone (as in reload vs heap), median of "
        "the timed reloads after one warm-up; each edit changes the body of one "
        "model's method. 'Rebuilt': the model class, or what the framework built "
        "for it (pydantic: __pydantic_validator__, __pydantic_core_schema__, "
        "__pydantic_serializer__; SQLAlchemy: __table__, __mapper__), is a new "
        "object after the edit. 'Stale': an instance made before the edit runs "
        "old code, a new instance is not an instance of the class held from "
        "before, or (pydantic) validating the held instance or a model holding "
        "it fails, or (SQLAlchemy) a session query no longer returns the held "
        "row with the new code."
    )
