"""``python -m bench``: measure every budget row and print one table.

Options: ``--quick`` (a smoke run, fewer repeats), ``--only ROW`` (repeatable:
latency, busy, heap, session, startup, idle, branch, checkout, slowimport,
models), ``--tools`` (a subset of hotreload, jurigged, ipython, importlib),
``--write-results`` (also write ``bench/RESULTS.md``), ``--keep`` (keep the
scratch directory).
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import report
from bench.runner import ROWS, TOOLS, Runner, Settings
from bench.table import Builder


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--only", action="append", choices=ROWS, metavar="ROW")
    parser.add_argument(
        "--tools", default=",".join(TOOLS), help="comma-separated subset of tools"
    )
    parser.add_argument("--write-results", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep scratch files")
    args = parser.parse_args(argv)
    args.tools = tuple(t for t in args.tools.split(",") if t)
    unknown = set(args.tools) - set(TOOLS)
    if unknown or "hotreload" not in args.tools:
        parser.error(f"--tools: hotreload plus any of {', '.join(TOOLS[1:])}")
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    settings = Settings.make(args.quick, args.tools, log)
    rows = [r for r in ROWS if not args.only or r in args.only]
    workdir = Path(tempfile.mkdtemp(prefix="hotreload-bench-"))
    started = time.perf_counter()
    try:
        results = Runner(settings, workdir).run(rows)
    finally:
        if args.keep:
            log(f"scratch files kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.perf_counter() - started
    table = Builder(results, settings).build()
    command = shlex.join(["python", "-m", "bench", *argv])
    text = report.render(table, command, elapsed)
    print(text)
    if args.write_results:
        log(f"written to {report.write(text)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
