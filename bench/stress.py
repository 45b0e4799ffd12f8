"""``python -m bench.stress``: faults, load and bad input against one live process.

One process plays a host program with four threads busy calling into the
watched modules, and goes through four phases:

1. saves: thousands of saves of a few modules, each in one of the editors'
   styles (in place, temp + rename, vim, JetBrains), a few ms apart;
2. checkout: 3,000 modules rewritten at once by another process, as ``git
   checkout`` does;
3. overflow: 27,000 events from another process while this one holds the
   GIL, so that the kernel's inotify queue overflows (Linux only), with a
   module changed among them;
4. bad input: a syntax error, an exception at import, an import that never
   returns, non-UTF-8 bytes, NUL bytes, a FIFO named like a module, an
   unreadable file and a deleted one; after each, a good version must apply.

It prints one table: lost final states, doubled and out-of-order reloads,
exceptions seen by the callers, hangs, crashes, RSS, descriptors and threads
before and after, and the time each phase took to be live. ``--json`` also
prints the figures as one JSON line (the test suite runs a short slice).
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.saves import SAVE_STYLES
from hotreload import Reloader, ReloadEvent

#: Modules the saves phase edits (the busy threads call all of them).
TARGETS = 8
#: The time limit of each reload: the hanging import of phase 4 hits it.
LIMIT = 2.0


@dataclass
class Settings:
    """How much work each phase does."""

    saves: int = 10_000
    checkout: int = 3_000
    seed: int = 1
    gap: float = 0.001  # seconds between two saves, at most
    overflow: bool = True
    threads: int = 4


@dataclass
class Figures:
    """What the run found; every count but the resource ones should be 0."""

    lost: int = 0
    doubled: int = 0
    out_of_order: int = 0
    caller_errors: int = 0
    caller_error_kinds: dict[str, int] = field(default_factory=dict)
    disorder: list[str] = field(default_factory=list)
    calls: int = 0
    hangs: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    bad_input: dict[str, str] = field(default_factory=dict)
    times: dict[str, float | None] = field(default_factory=dict)
    before: dict[str, float] = field(default_factory=dict)
    after: dict[str, float] = field(default_factory=dict)


def _resources() -> dict[str, float]:
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/statm") as fh:
        rss = int(fh.read().split()[1]) * page
    return {
        "rss_mb": rss / 2**20,
        "fds": len(os.listdir("/proc/self/fd")),
        "threads": threading.active_count(),
    }


def _source(version: int, extra: str = "") -> str:
    return f"V = {version}\n{extra}\ndef f():\n    return V\n"


class _Log(logging.Handler):
    """Count error records of hotreload and watchdog: a crash of a thread."""

    def __init__(self, figures: Figures) -> None:
        super().__init__(logging.ERROR)
        self.figures = figures

    def emit(self, record: logging.LogRecord) -> None:
        self.figures.crashes.append(f"{record.name}: {record.getMessage()}")


class Stress:
    """One run: the root, the reloader, the busy threads and the figures."""

    def __init__(self, settings: Settings, workdir: Path) -> None:
        self.s = settings
        self.root = workdir / "root"
        self.root.mkdir()
        self.rng = random.Random(settings.seed)
        self.figures = Figures()
        self.prefix = f"st{os.getpid()}_"
        self.applied: dict[str, list[int]] = {}
        self.lock = threading.Lock()
        self.stop_busy = threading.Event()
        self.failures: list[str] = []
        self.batches: dict[str, list[int]] = {}

    def name(self, base: str) -> str:
        return self.prefix + base

    # -- the process ----------------------------------------------------------

    def run(self) -> Figures:
        targets = [self.name(f"t{i}") for i in range(TARGETS)]
        for name in targets:
            (self.root / f"{name}.py").write_text(_source(0))
        package = self.root / self.name("co")
        package.mkdir()
        (package / "__init__.py").write_text("")
        for i in range(self.s.checkout):
            (package / f"m{i}.py").write_text(_source(0))
        (self.root / "flood").mkdir()  # watched from the start (phase 3)
        for name in ("bad", "other"):
            (self.root / f"{self.name(name)}.py").write_text(_source(0))
        handler = _Log(self.figures)
        for logger in ("hotreload", "watchdog"):
            logging.getLogger(logger).addHandler(handler)
        reloader = Reloader(self.root, timeout=LIMIT)
        reloader.import_all()
        self.figures.before = _resources()
        reloader.start()
        reloader.subscribe(self.on_event)
        modules = [sys.modules[n] for n in targets]
        busy = [
            threading.Thread(target=self.busy, args=(modules,), daemon=True)
            for _ in range(self.s.threads)
        ]
        for thread in busy:
            thread.start()
        try:
            self.saves(targets)
            self.checkout(package)
            if self.s.overflow:
                self.overflow()
            self.bad_input()
        finally:
            self.stop_busy.set()
            for thread in busy:
                thread.join(5)
            reloader.stop()
            for logger in ("hotreload", "watchdog"):
                logging.getLogger(logger).removeHandler(handler)
        self.figures.after = _resources()
        return self.figures

    def on_event(self, event: ReloadEvent) -> None:
        module = sys.modules.get(event.module)
        if not event.ok:
            with self.lock:
                self.failures.append(event.module)
        if not event.ok or module is None or event.trigger == "import":
            return
        with self.lock:
            self.applied.setdefault(event.module, []).append(getattr(module, "V", -1))
            self.batches.setdefault(event.module, []).append(event.batch)

    def busy(self, modules: list[Any]) -> None:
        rng = random.Random()
        calls = errors = 0
        kinds: dict[str, int] = {}
        while not self.stop_busy.is_set():
            try:
                rng.choice(modules).f()
            except Exception as exc:
                errors += 1
                kind = f"{type(exc).__name__}: {exc}"
                kinds[kind] = kinds.get(kind, 0) + 1
            calls += 1
        with self.lock:
            self.figures.calls += calls
            self.figures.caller_errors += errors
            for kind, n in kinds.items():
                known = self.figures.caller_error_kinds
                known[kind] = known.get(kind, 0) + n

    def wait_for(self, what: str, ready: Callable[[], bool], limit: float) -> bool:
        deadline = time.monotonic() + limit
        while not ready():
            if time.monotonic() > deadline:
                self.figures.hangs.append(what)
                return False
            time.sleep(0.002)
        return True

    # -- phases ---------------------------------------------------------------

    def saves(self, targets: list[str]) -> None:
        styles = list(SAVE_STYLES.values())
        final = dict.fromkeys(targets, 0)
        for _ in range(self.s.saves):
            name = self.rng.choice(targets)
            final[name] += 1
            self.rng.choice(styles)(self.root / f"{name}.py", _source(final[name]))
            time.sleep(self.rng.uniform(0, self.s.gap))
        start = time.perf_counter()
        live = self.wait_for(
            "saves",
            lambda: all(v == sys.modules[n].V for n, v in final.items()),
            30.0,
        )
        self.figures.times["saves: last save → all live"] = (
            time.perf_counter() - start if live else None
        )
        self.figures.lost += sum(v != sys.modules[n].V for n, v in final.items())
        with self.lock:
            for name in targets:
                seen = self.applied.get(name, [])
                pairs = list(zip(seen, seen[1:], strict=False))
                self.figures.doubled += sum(a == b for a, b in pairs)
                self.figures.out_of_order += sum(b < a for a, b in pairs)
                batches = self.batches.get(name, [])
                for i, (a, b) in enumerate(pairs):
                    if b <= a:
                        self.figures.disorder.append(
                            f"{name}: V {a} (batch {batches[i]}) then V {b} "
                            f"(batch {batches[i + 1]})"
                        )

    def checkout(self, package: Path) -> None:
        names = [f"{self.name('co')}.m{i}" for i in range(self.s.checkout)]
        script = (
            "import os, sys\n"
            "d = sys.argv[1]\n"
            f"for i in range({self.s.checkout}):\n"
            "    p = os.path.join(d, f'm{i}.py')\n"
            "    os.unlink(p)\n"
            "    with open(p, 'x') as fh:\n"
            f"        fh.write({_source(1)!r})\n"
        )
        subprocess.run([sys.executable, "-c", script, str(package)], check=True)
        start = time.perf_counter()
        live = self.wait_for(
            "checkout",
            lambda: all(sys.modules[n].V == 1 for n in names),
            30.0,
        )
        self.figures.times[f"checkout of {self.s.checkout}: written → all live"] = (
            time.perf_counter() - start if live else None
        )
        self.figures.lost += sum(sys.modules[n].V != 1 for n in names)

    def overflow(self) -> None:
        module = self.root / f"{self.name('other')}.py"
        flood = self.root / "flood"
        script = (
            "import os, sys\n"
            "for i in range(12000):\n"
            "    open(os.path.join(sys.argv[1], f'f{i}.tmp'), 'w').close()\n"
            "open(sys.argv[2], 'w').write(sys.argv[3])\n"
        )
        writer = subprocess.Popen(
            [sys.executable, "-c", script, str(flood), str(module), _source(7)]
        )
        ctypes.PyDLL(None).usleep(3_000_000)  # holds the GIL: the queue fills up
        writer.wait()
        start = time.perf_counter()
        other = sys.modules[self.name("other")]
        live = self.wait_for("overflow", lambda: other.V == 7, 30.0)
        self.figures.times["overflow: flood written → change live"] = (
            time.perf_counter() - start if live else None
        )
        self.figures.lost += other.V != 7
        shutil.rmtree(flood, ignore_errors=True)

    def bad_input(self) -> None:
        name = self.name("bad")
        path = self.root / f"{name}.py"
        module = sys.modules[name]
        good = 100
        cases: list[tuple[str, Callable[[], None]]] = [
            ("syntax error", lambda: path.write_text("def f(:\n")),
            ("exception at import", lambda: path.write_text("V = 1\n1 / 0\n")),
            ("import that never returns", lambda: path.write_text("while True:\n pass\n")),
            ("non-UTF-8", lambda: path.write_bytes(b"V = '\xff\xfe'\n")),
            ("NUL bytes", lambda: path.write_bytes(b"V = 1\x00\n")),
            ("FIFO named x.py", lambda: os.mkfifo(self.root / "fifo.py")),
            ("unreadable file", lambda: path.chmod(0)),
            ("deleted file", path.unlink),
        ]  # fmt: skip
        for label, make_bad in cases:
            before = module.V
            failed = self.failures.count(name)
            make_bad()
            if label.startswith("FIFO"):  # no event: a later save must land
                other = sys.modules[self.name("other")]
                good += 1
                (self.root / f"{self.name('other')}.py").write_text(_source(good))
                self.wait_for(label, lambda v=good, o=other: v == o.V, LIMIT + 10)
            elif label == "deleted file":  # unloaded: it leaves sys.modules
                self.wait_for(label, lambda: name not in sys.modules, LIMIT + 10)
            elif label != "unreadable file" or os.geteuid() != 0:
                self.wait_for(
                    label, lambda n=failed: self.failures.count(name) > n, LIMIT + 10
                )
            alive = module.f() == before
            if label == "unreadable file":
                path.chmod(0o644)
            good += 1
            path.write_text(_source(good))
            if label == "deleted file" and name not in sys.modules:
                importlib.import_module(name)  # a new file loads when imported
            applied = self.wait_for(
                label,
                lambda v=good: getattr(sys.modules.get(name), "V", None) == v,
                LIMIT + 10,
            )
            verdict = "ok" if applied and alive else "FAILED"
            if label == "unreadable file" and os.geteuid() == 0:
                verdict += " (as root: chmod 0 does not stop reads)"
            self.figures.bad_input[label] = verdict


def table(figures: Figures, settings: Settings, elapsed: float) -> str:
    f = figures
    rows = [
        ("lost final states", f.lost, "0"),
        ("doubled reloads", f.doubled, "0"),
        ("out-of-order reloads", f.out_of_order, "0"),
        (
            "exceptions seen by callers",
            f"{f.caller_errors} in {f.calls:,} calls",
            "0",
        ),
        ("hangs", ", ".join(f.hangs) or "0", "0"),
        ("crashes (error records)", len(f.crashes), "0"),
    ]
    for what, seconds in f.times.items():
        rows.append(
            (f"time to live, {what}", "never" if seconds is None else f"{seconds * 1000:.0f} ms", "")
        )  # fmt: skip
    for label, verdict in f.bad_input.items():
        rows.append((f"bad input: {label}", verdict, "ok"))
    for key, unit in (("rss_mb", " MB"), ("fds", ""), ("threads", "")):
        b, a = f.before.get(key, 0), f.after.get(key, 0)
        rows.append((f"{key.split('_')[0].upper()} before → after", f"{b:.0f}{unit} → {a:.0f}{unit}", ""))  # fmt: skip
    lines = [
        f"Stress: {settings.saves:,} mixed-style saves with {settings.threads} "
        f"busy threads, a {settings.checkout:,}-file checkout, "
        f"{'an inotify overflow, ' if settings.overflow else ''}bad input "
        f"(seed {settings.seed}, {elapsed:.0f} s, Python "
        f"{sys.version.split()[0]})",
        "",
        "| what | found | goal |",
        "|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    if f.caller_error_kinds:
        kinds = sorted(f.caller_error_kinds.items(), key=lambda kv: -kv[1])
        lines += ["", "Exceptions seen by callers:"]
        lines += [f"- {n} × {kind[:200]}" for kind, n in kinds[:5]]
    if f.disorder:
        lines += ["", "Doubled or out of order:", *(f"- {d}" for d in f.disorder[:10])]
    if f.crashes:
        lines += ["", "Error records:", *(f"- {c}" for c in f.crashes[:10])]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stress", description=__doc__)
    parser.add_argument("--saves", type=int, default=Settings.saves)
    parser.add_argument("--checkout", type=int, default=Settings.checkout)
    parser.add_argument("--seed", type=int, default=Settings.seed)
    parser.add_argument("--no-overflow", action="store_true")
    parser.add_argument("--json", action="store_true", help="also one JSON line")
    args = parser.parse_args(argv)
    settings = Settings(
        saves=args.saves,
        checkout=args.checkout,
        seed=args.seed,
        overflow=not args.no_overflow and sys.platform == "linux",
    )
    workdir = Path(tempfile.mkdtemp(prefix="hotreload-stress-"))
    started = time.perf_counter()
    try:
        figures = Stress(settings, workdir).run()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(table(figures, settings, time.perf_counter() - started), flush=True)
    if args.json:
        print(json.dumps(figures.__dict__), flush=True)
    failed = (
        figures.lost
        or figures.doubled
        or figures.out_of_order
        or figures.hangs
        or figures.crashes
        or any(not v.startswith("ok") for v in figures.bad_input.values())
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
