"""``python -m fuzz --seed S --sequences N``: the differential reload fuzzer.

Runs N random edit sequences of two modules (sequence k uses the seed
``S * 1_000_000 + k``), each live under a ``Reloader`` and, version by
version, in fresh interpreters; prints one table of counts per kind and,
for each distinct failure signature, the smallest reproducer found. Exit
status 1 when any divergence is unexplained.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from fuzz.gen import KINDS, Program, full_plan, generate
from fuzz.judge import UNEXPLAINED, Finding
from fuzz.minimize import family, minimize
from fuzz.report import reproducer, table
from fuzz.run import run_program

__all__ = ["main", "run_seed"]


WITHOUT: frozenset[str] = frozenset()  # set by main before the workers fork


def run_seed(seed: int) -> tuple[int, list[Finding]]:
    """Generate and run the sequence of ``seed``."""
    prog, plan = generate(seed, WITHOUT)
    return seed, run_program(prog, plan)


def _shrink(
    seed: int, finding: Finding, done: dict[int, list[Program]]
) -> tuple[Program, Finding]:
    """A small program failing like ``finding``; reuses ones shrunk before."""
    want = family(finding.signature)
    for prog in done.get(seed, []):
        for f in run_program(prog, full_plan(prog)):
            if family(f.signature) == want:
                return prog, f
    prog, _ = generate(seed, WITHOUT)
    result = minimize(prog, finding.signature)
    if result is None:
        return prog, finding
    done.setdefault(seed, []).append(result[0])
    return result


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sequences", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument(
        "--minimize",
        type=int,
        default=20,
        metavar="K",
        help="shrink the first K failure signatures (0: show them as found)",
    )
    parser.add_argument("--json", type=Path, help="also write the results there")
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        choices=sorted(KINDS),
        metavar="KIND",
        help="leave a kind of component out (repeatable), to look past a known "
        f"failure; kinds: {', '.join(sorted(KINDS))}",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    global WITHOUT
    WITHOUT = frozenset(args.without)
    started = time.perf_counter()
    seeds = [args.seed * 1_000_000 + k for k in range(args.sequences)]
    if args.jobs > 1:
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            results = pool.map(run_seed, seeds, chunksize=4)
    else:
        results = [run_seed(s) for s in seeds]
    counts: Counter[str] = Counter()
    first: dict[str, tuple[int, Finding]] = {}
    per_sig: Counter[str] = Counter()
    failing = 0
    for seed, findings in results:
        counts.update(f.kind for f in findings)
        failing += any(f.kind in UNEXPLAINED for f in findings)
        sigs = {family(f.signature): f for f in findings if f.kind in UNEXPLAINED}
        for sig, f in sigs.items():
            per_sig[sig] += 1
            first.setdefault(sig, (seed, f))
    elapsed = time.perf_counter() - started
    print(table(counts, len(seeds), failing, len(per_sig), elapsed))
    summary: dict[str, Any] = {
        "counts": dict(counts),
        "sequences": len(seeds),
        "failing": failing,
        "seconds": round(elapsed, 1),
        "signatures": {},
    }
    shrunk: dict[int, list[Program]] = {}
    for n, (sig, hits) in enumerate(per_sig.most_common()):
        seed, finding = first[sig]
        if n >= args.minimize:
            text = f"== {sig}  (seed {seed}; not shrunk)"
        else:
            text = reproducer(*_shrink(seed, finding, shrunk), seed)
        print(f"\n[{hits} sequence(s)] {text}")
        summary["signatures"][sig] = {"count": hits, "seed": seed, "reproducer": text}
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
