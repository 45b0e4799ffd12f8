"""Rows on code people write: an edit where import is slow, a model method edit.

These run inside a worker process (``bench.worker``), one tool per process,
on the files of ``bench.realcode``. Each returns a JSON-ready dict of raw
measurements; ``bench.costrows`` turns them into table lines.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench import realcode
from bench.live import POLL, SETTLE
from bench.saves import ManualWriter, save_in_place
from bench.tools import Tool


def slowimport(tool: Tool, root: Path, params: dict[str, Any]) -> dict[str, Any]:
    """Edit ``f`` in a module whose import takes 2 s; time it to live.

    A tool with a watcher (hotreload, jurigged) is timed from just before the
    save until ``mod.f()`` returns the new value (a ``from mod import f`` alias
    that still runs old code afterwards is counted apart); one without (IPython, importlib) from just before the save
    until its reload call returns with the new code live, as a user waits at
    the next prompt. After each edit the side channel tells whether ``load()``
    ran again.
    """
    name = realcode.SLOW
    path = root / f"{name}.py"
    watch = tool.watches
    tool.start(root, watch=watch)
    module = tool.import_modules([name])[name]
    namespace: dict[str, Any] = {"__name__": "bench_alias"}
    tool.track(namespace)
    exec(f"from {name} import f", namespace)
    applied: list[float] = []
    if watch:
        tool.on_applied(lambda _name, _batch: applied.append(time.perf_counter()))
    time.sleep(SETTLE)
    writer = ManualWriter()  # moves the mtime on, which IPython reloads by

    def live(version: int) -> bool:
        try:
            return bool(module.f() == version)
        except Exception:  # caught half-way through a reload: not live yet
            return False

    lives: list[float] = []
    reported: list[float] = []
    reran: list[int] = []
    missed = alias_stale = 0
    deadline: float = params["deadline"]
    for k in range(params["edits"]):
        version = k + 2
        before = realcode.load_count(root)
        del applied[:]
        start = time.perf_counter()
        if watch:
            save_in_place(path, realcode.slow_module(version))
        else:
            writer.write(path, realcode.slow_module(version))
            tool.reload(name, path)
        while not live(version):
            if time.perf_counter() - start > deadline:
                missed += 1
                break
            time.sleep(POLL)
        else:
            lives.append(time.perf_counter() - start)
            if applied:
                reported.append(applied[0] - start)
        time.sleep(params["gap"])  # a late or second run of load() shows here
        reran.append(realcode.load_count(root) - before)
        try:
            alias_stale += namespace["f"]() != version
        except Exception:
            alias_stale += 1
    data_kept = module.total() == sum(range(1000))
    tool.stop()
    return {
        "lives": lives,
        "reported": reported,  # save -> the tool's "applied" callback
        "durations": tool.durations,  # the reload alone, as the tool times it
        "ran": tool.ran,  # statements run per reload, where the tool says
        "reran": reran,
        "missed": missed,
        "alias_stale": alias_stale,
        "edits": params["edits"],
        "data_kept": data_kept,
        "watched": watch,
    }


class _Probe:
    """What a program holds across edits of the models module, and its checks."""

    def __init__(self, framework: str, module: Any) -> None:
        self.framework = framework
        self.module = module
        self.edited = realcode.model_name(realcode.EDITED)
        cls = getattr(module, self.edited)
        self.held_class = cls
        self.held = cls(name="held")  # made before any edit
        self.session: Any = None
        if framework == "sqlalchemy":
            from sqlalchemy import create_engine
            from sqlalchemy.orm import Session

            engine = create_engine("sqlite://")
            module.Base.metadata.create_all(engine)
            self.session = Session(engine)
            self.session.add(self.held)
            self.session.commit()

    def snapshot(self) -> dict[str, tuple[object, ...]]:
        """Each model's class and the machinery its framework built for it."""
        if self.framework == "pydantic":
            parts = (
                "__pydantic_validator__",
                "__pydantic_core_schema__",
                "__pydantic_serializer__",
            )
        else:
            parts = ("__table__", "__mapper__")
        shot = {}
        for i in range(realcode.MODEL_COUNT):
            cls = getattr(self.module, realcode.model_name(i))
            shot[cls.__name__] = (cls, *(cls.__dict__.get(p) for p in parts))
        return shot

    def rebuilt(self, before: dict[str, tuple[object, ...]]) -> int:
        """How many models' class or machinery is no longer the same object."""
        after = self.snapshot()
        return sum(
            any(x is not y for x, y in zip(before[n], after[n], strict=True))
            for n in before
        )

    def stale(self, version: int) -> list[str]:
        """What runs old code, or breaks, after the edit to ``version``."""
        want = f":v{version}"
        problems = []
        cls = getattr(self.module, self.edited)
        checks = {
            "held instance's method": lambda: self.held.describe().endswith(want),
            "new instance's method": lambda: cls(name="new").describe().endswith(want),
            "new instance is a held-class instance": lambda: isinstance(
                cls(name="new"), self.held_class
            ),
        }
        if self.framework == "pydantic":
            child = getattr(self.module, realcode.model_name(realcode.EDITED + 1))
            checks["model_validate(held instance)"] = lambda: (
                cls.model_validate(self.held) is self.held
            )
            checks["a model holding the held instance"] = lambda: (
                child(name="child", parent=self.held).parent is self.held
            )
        else:
            from sqlalchemy import select

            def query() -> bool:
                got = self.session.scalars(select(cls)).first()
                return bool(got is self.held and got.describe().endswith(want))

            checks["session query returns the held row"] = query
        for what, check in checks.items():
            try:
                ok = check()
            except Exception as exc:
                text = " ".join(str(exc).split())
                problems.append(f"{what}: {type(exc).__name__}: {text}"[:200])
            else:
                if not ok:
                    problems.append(f"{what}: old code or another class")
        return problems


def models(tool: Tool, root: Path, params: dict[str, Any]) -> dict[str, Any]:
    """Edit one method body in a module of 50 models; time the reload call.

    After each edit: how many models were rebuilt (their class, or the
    validator/schema/serializer or table/mapper the framework made for it, is
    a new object) and whether objects made before run the new code.
    """
    framework: str = params["framework"]
    name = realcode.MODELS
    tool.start(root, watch=False)
    module = tool.import_modules([name])[name]
    probe = _Probe(framework, module)
    path = Path(module.__file__ or "")
    writer = ManualWriter()
    times: list[float] = []
    rebuilt: list[int] = []
    stale = 0
    problems: list[str] = []
    for k in range(params["repeats"] + 1):
        version = k + 2
        before = probe.snapshot()
        writer.write(path, realcode.models_module(framework, version))
        start = time.perf_counter()
        tool.reload(name, path)
        elapsed = time.perf_counter() - start
        if k:  # the first reload warms caches and lazy set-up: not counted
            times.append(elapsed)
        rebuilt.append(probe.rebuilt(before))
        found = probe.stale(version)
        stale += bool(found)
        problems.extend(p for p in found if p not in problems)
    tool.stop()
    return {
        "times": times,
        "rebuilt": rebuilt,
        "stale": stale,
        "edits": params["repeats"] + 1,
        "problems": problems[:4],
        "ran": tool.ran,
    }
