"""Shrink a failing program to a small reproducer of one failure signature.

Greedy and simple: cut the versions after the failure, drop versions, drop
components, undo edits of each component, as long as the same failure
(its signature without the edit part) still shows. Every try is a real run
(live and fresh), holding every reference at every step.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from fuzz.gen import Program, Version, full_plan
from fuzz.judge import Finding
from fuzz.run import run_program

__all__ = ["family", "minimize"]


def family(signature: str) -> str:
    """A signature without the edit that led to it (for matching shrunk runs)."""
    head = signature.split(":", 1)[0]
    if head in ("failed", "crash", "harness"):
        return signature
    return signature.rsplit(":", 1)[0]


def _probe(want: str) -> Callable[[Program], Finding | None]:
    def hits(prog: Program) -> Finding | None:
        for f in run_program(prog, full_plan(prog)):
            if family(f.signature) == want:
                return f
        return None

    return hits


def _absent(versions: list[Version], pos: int) -> list[Version]:
    out = copy.deepcopy(versions)
    for v in out:
        v[pos] = (False, v[pos][1])
    return out


def minimize(
    prog: Program, signature: str, budget: int = 60
) -> tuple[Program, Finding] | None:
    """The smallest program found that still fails with ``signature``."""
    hits = _probe(family(signature))
    found = hits(prog)
    tries = 1
    if found is None:
        return None
    best = Program(
        prog.comps,
        copy.deepcopy(prog.versions[: found.step + 1]),
        prog.bad[: found.step + 1],
    )
    Bad = list[tuple[str, int, int] | None]

    def attempt(versions: list[Version], bad: Bad | None = None) -> bool:
        nonlocal best, found, tries
        marks = list(best.bad if bad is None else bad)
        if tries >= budget or len(versions) < 2 or marks[0] is not None:
            return False
        tries += 1
        trial = Program(best.comps, versions, marks)
        hit = hits(trial)
        if hit is None:
            return False
        best = Program(best.comps, versions[: hit.step + 1], marks[: hit.step + 1])
        found = hit
        return True

    for _round in range(2):
        i = 0
        while i < len(best.versions) - 1:
            keep = best.bad[:i] + best.bad[i + 1 :]
            if not attempt(best.versions[:i] + best.versions[i + 1 :], keep):
                i += 1
        for pos in reversed(range(len(best.comps))):
            if any(v[pos][0] for v in best.versions):
                attempt(_absent(best.versions, pos))
        for pos in range(len(best.comps)):
            for v in range(1, len(best.versions)):
                if best.versions[v][pos] != best.versions[v - 1][pos]:
                    versions = copy.deepcopy(best.versions)
                    versions[v][pos] = copy.deepcopy(versions[v - 1][pos])
                    attempt(versions)
    return best, found
