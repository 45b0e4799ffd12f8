"""``python -m bench.profile SCENARIO``: where hotreload's time goes, by py-spy.

Not part of ``make bench``: a helper for the rows that miss their budget.
It runs one scenario under ``py-spy record --idle --threads`` (install it with
``pip install py-spy``) and prints, for hotreload's own threads, the share of
samples spent inside each function (inclusive), so waiting (debounce, echo
checks) and working (reading, executing, patching) show side by side.

Scenarios:

- ``latency``: 200 in-place saves of the small module, each awaited;
- ``branch``: three ``git checkout`` switches of the 500-module corpus.

For ``import hotreload`` use ``python -X importtime -c "import hotreload"``.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import corpus, gitwriter
from bench.saves import save_in_place

_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^:]+):\d+\)$")


def scenario_latency(root: Path) -> tuple[int, float]:
    from hotreload import Reloader

    path = corpus.write_small(root)
    start = time.monotonic()
    with Reloader(root) as reloader:
        reloader.import_all()
        module = sys.modules[corpus.SMALL]
        time.sleep(0.5)
        for version in range(2, 202):
            save_in_place(path, corpus.small_module(version))
            deadline = time.monotonic() + 1.0
            while module.f() != version and time.monotonic() < deadline:
                time.sleep(0.0002)
            time.sleep(0.03)
    return 200, time.monotonic() - start


def scenario_branch(root: Path) -> tuple[int, float]:
    from hotreload import Reloader

    gitwriter.prepare(root, 3)
    start = time.monotonic()
    with Reloader(root) as reloader:
        reloader.import_all()
        time.sleep(0.5)
        for version in range(2, 5):
            # Run git as its own process, exactly as the benchmark does.
            subprocess.run(
                [sys.executable, "-m", "bench.gitwriter", str(root)],
                input=f"{version}\n",
                text=True,
                capture_output=True,
                check=True,
            )
            for _ in range(corpus.BRANCH_SIZE):
                if reloader.wait(timeout=10) is None:
                    break
            time.sleep(0.3)
    return 3, time.monotonic() - start


SCENARIOS = {"latency": scenario_latency, "branch": scenario_branch}


def summarize(raw: Path, thread: str, top: int, per: float) -> str:
    """Inclusive share of samples per function, in threads named ``thread``.

    ``per`` is the watcher thread's lifetime divided by the iterations (saves
    or switches): share × per estimates the milliseconds each function takes
    per iteration (waits include the idle time between iterations).
    """
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        head, _, rest = stack.partition(";")
        if thread not in head:
            continue
        total += int(count)
        seen = set()
        for frame in rest.split(";"):
            match = _FRAME.match(frame)
            name = f"{match['func']} ({match['file']})" if match else frame
            if name not in seen:
                seen.add(name)
                inclusive[name] += int(count)
    lines = [
        f"{total} samples in threads matching {thread!r}; "
        f"{per * 1000:.1f} ms of the watcher thread's life per iteration",
        "  share  ms/iter  function (inclusive)",
    ]
    for name, count in inclusive.most_common(top):
        share = count / max(total, 1)
        lines.append(f"{100 * share:6.1f}% {share * per * 1000:8.2f}  {name}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("--run", metavar="ROOT", help=argparse.SUPPRESS)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--thread",
        default="hotreload",
        help="profile threads whose name contains this (watchdog's: Thread)",
    )
    args = parser.parse_args(argv)
    if args.run:  # inside py-spy: report the watcher's lifetime per iteration
        iterations, lifetime = SCENARIOS[args.scenario](Path(args.run))
        per = lifetime / iterations
        (Path(args.run).parent / "per-iteration").write_text(str(per))
        return 0
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("py-spy is not installed: pip install py-spy", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="hotreload-profile-") as scratch:
        root = Path(scratch) / "root"
        root.mkdir()
        raw = Path(scratch) / "profile.raw"
        subprocess.run(
            [spy, "record", "--idle", "--threads", "--format", "raw", "-r", "1000"]
            + ["-o", str(raw), "--", sys.executable, "-m", "bench.profile"]
            + [args.scenario, "--run", str(root)],
            check=True,
            capture_output=True,
        )
        per = float((Path(scratch) / "per-iteration").read_text())
        print(summarize(raw, args.thread, args.top, per))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
