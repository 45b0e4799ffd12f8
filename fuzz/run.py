"""Run one program both ways: live under a ``Reloader``, fresh per version.

Both sides run in child processes forked from the caller, which never
imports the generated modules itself: the *live* child imports version 0,
then writes each later version and calls ``Reloader.reload``, probing after
each step; a *fresh* child per version imports that version's source into
a new interpreter state and evaluates the same probes, with the references
a program would hold replaced by the expressions that made them.
"""

from __future__ import annotations

import functools
import json
import os
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fuzz.gen import Plan, Probe, Program, probes_at, source, subjects_at
from fuzz.judge import Finding, judge

__all__ = ["canon", "evaluate", "fork_call", "run_fresh", "run_live", "run_program"]

TIMEOUT = 60.0


def canon(value: object) -> str:
    """A plain, address-free text for a probe's value."""
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    if isinstance(value, dict):
        items = ", ".join(f"{canon(k)}: {canon(v)}" for k, v in sorted(value.items()))
        return f"{{{items}}}"
    if isinstance(value, list | tuple):
        inner = ", ".join(canon(v) for v in value)
        if isinstance(value, list):
            return f"[{inner}]"
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return f"<{type(value).__name__}>"


def evaluate(env: Mapping[str, object], held: object, expr: str) -> str:
    """The canonical value of probe ``expr`` on ``H`` = ``held``."""
    try:
        return canon(eval(expr, {**env, "H": held}))
    except Exception as exc:
        return f"!{type(exc).__name__}"


def fork_call(fn: Callable[[], Any], timeout: float = TIMEOUT) -> dict[str, Any]:
    """Run ``fn`` in a forked child; its JSON result, or what went wrong."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(r)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        try:
            result = {"ok": True, "value": fn()}
        except BaseException:
            result = {"ok": False, "error": traceback.format_exc(limit=12)}
        with os.fdopen(w, "wb") as out:
            out.write(json.dumps(result).encode())
        os._exit(0)
    os.close(w)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([r], [], [], max(left, 0))
        if not ready:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            break
        chunk = os.read(r, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if timed_out:
        return {"ok": False, "error": f"timed out after {timeout:.0f} s"}
    try:
        decoded: dict[str, Any] = json.loads(b"".join(chunks))
    except ValueError:
        return {"ok": False, "error": f"child died (wait status {status})"}
    return decoded


def _write(root: Path, prog: Program, v: int, modules: str = "ab") -> list[str]:
    changed = []
    for m in modules:
        path = root / f"{m}.py"
        text = source(prog, v, m)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            changed.append(m)
    return changed


def _fresh(prog: Program, v: int, items: list[tuple[str, str, str]]) -> dict[str, str]:
    sys.dont_write_bytecode = True
    root = Path(tempfile.mkdtemp(prefix="fuzz-fresh-"))
    try:
        _write(root, prog, v)
        sys.path.insert(0, str(root))
        import a  # type: ignore[import-not-found]
        import b  # type: ignore[import-not-found]

        env = {"a": a, "b": b, "functools": functools}
        made: dict[str, object] = {}
        out = {}
        for pid, hexpr, expr in items:
            if hexpr not in made:
                try:
                    made[hexpr] = eval(hexpr, env)
                except Exception as exc:
                    made[hexpr] = _Failed(exc)
            held = made[hexpr]
            out[pid] = (
                f"!{held.name}"
                if isinstance(held, _Failed)
                else evaluate(env, held, expr)
            )
        return out
    finally:
        shutil.rmtree(root, ignore_errors=True)


class _Failed:
    """A reference whose making raised: its probes give the exception."""

    def __init__(self, exc: BaseException) -> None:
        self.name = type(exc).__name__


def run_fresh(prog: Program, v: int, probes: list[Probe]) -> dict[str, Any]:
    """Import version ``v`` in a fresh child and evaluate ``probes`` there."""
    items = [(p.pid, p.hexpr, p.expr) for p in probes]
    return fork_call(lambda: _fresh(prog, v, items))


def _event(event: Any, package: str) -> dict[str, Any]:
    tb = event.traceback or ""
    files = [ln for ln in tb.splitlines() if ln.lstrip().startswith('File "')]
    return {
        "module": event.module,
        "ok": event.ok,
        "trigger": event.trigger,
        "warnings": list(event.warnings),
        "error": None
        if event.error is None
        else f"{type(event.error).__name__}: {event.error}",
        "traceback": tb[-3000:],
        "internal": bool(files) and package in files[-1],
    }


def _saved(reloader: Any, changed: list[str]) -> list[Any]:
    """The events of saved files, once every changed module has reloaded."""
    got: list[Any] = []
    deadline = time.monotonic() + 20
    while not {m for m in changed} <= {e.module for e in got}:
        event = reloader.wait(timeout=max(deadline - time.monotonic(), 0))
        if event is None:
            raise TimeoutError(f"no reload of {changed} within 20 s of the save")
        got.append(event)
    # The rest of the last batch (its cascades) is already recorded.
    while (event := reloader.wait(timeout=0)) is not None:
        got.append(event)
    return got


def _edit(
    reloader: Any,
    root: Path,
    prog: Program,
    plan: Plan,
    v: int,
    events: list[Any],
    rec: dict[str, Any],
) -> bool:
    """Apply version ``v``; whether the sequence goes on."""
    import hotreload

    # Paused while writing: a reload of ``a`` never reads ``b`` half-edited.
    with reloader.paused():
        changed = _write(root, prog, v)
    events.clear()
    try:
        if plan.saves:
            events[:] = _saved(reloader, changed)
        else:
            for m in changed:
                reloader.reload(m)
    except Exception:
        rec["crash"] = traceback.format_exc(limit=12)
        return False
    package = str(Path(hotreload.__file__).parent)
    rec["events"] = [_event(e, package) for e in events]
    return all(e.ok for e in events) or prog.bad_at(v) is not None


def _live(prog: Program, plan: Plan, probes: list[list[Probe]]) -> dict[str, Any]:
    sys.dont_write_bytecode = True
    from hotreload import Reloader

    root = Path(tempfile.mkdtemp(prefix="fuzz-live-"))
    _write(root, prog, 0)
    reloader = Reloader(root, cascade=True)
    events: list[Any] = []
    if plan.saves:
        reloader.start()  # the watcher sees the saves; wait() gives the events
    else:
        reloader.subscribe(events.append)
    failures = reloader.import_all()
    if failures:
        return {"import": str(failures[0]), "steps": []}
    env = {"a": sys.modules["a"], "b": sys.modules["b"], "functools": functools}
    ns: dict[str, object] = {"__name__": "fuzz_namespace"}
    reloader.track(ns)
    first = subjects_at(prog, 0)
    for pos, key in plan.aliases:
        alias = first[pos, key].alias
        exec(f"from {prog.comps[pos].module} import {alias}", ns)
    held: dict[str, object] = {}
    steps: list[dict[str, Any]] = []
    for v in range(len(prog.versions)):
        rec: dict[str, Any] = {"events": [], "results": {}}
        steps.append(rec)
        if v and not _edit(reloader, root, prog, plan, v, events, rec):
            break
        rec["ns"] = sorted(k for k in ns if not k.startswith("__"))
        for pos, key in plan.takes[v]:
            expr = subjects_at(prog, v)[pos, key].expr
            try:
                held[f"h{v}:{pos}:{key}"] = eval(expr, env)
            except Exception as exc:
                held[f"h{v}:{pos}:{key}"] = _Failed(exc)
        for p in probes[v]:
            if p.target == "attr":
                try:
                    obj = eval(p.hexpr, env)
                except Exception as exc:
                    obj = _Failed(exc)
            else:
                obj = (
                    ns.get(p.ref, _Failed(NameError()))
                    if p.target == "alias"
                    else held[p.ref]
                )
            rec["results"][p.pid] = (
                f"!{obj.name}"
                if isinstance(obj, _Failed)
                else evaluate(env, obj, p.expr)
            )
    reloader.stop()
    return {"steps": steps}


def run_live(prog: Program, plan: Plan, probes: list[list[Probe]]) -> dict[str, Any]:
    """Run the whole edit sequence under a ``Reloader`` in one child."""
    return fork_call(lambda: _live(prog, plan, probes))


def run_program(prog: Program, plan: Plan) -> list[Finding]:
    """Run ``prog`` live and fresh; every divergence found."""
    # Loaded once here, not in each live child: nothing happens on importing
    # hotreload (no hooks, no threads), so fresh children are not affected;
    # the libraries the generated modules import are loaded once too.
    import attrs  # noqa: F401
    import pydantic  # noqa: F401

    import hotreload.reloader  # noqa: F401

    probes = [probes_at(prog, plan, v) for v in range(len(prog.versions))]
    live = run_live(prog, plan, probes)
    done = len(live["value"]["steps"]) if live["ok"] else 0
    fresh = [run_fresh(prog, prog.good(v), probes[v]) for v in range(done)]
    return judge(prog, probes, live, fresh)
