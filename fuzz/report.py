"""Text output: the table of counts and one reproducer per failure signature."""

from __future__ import annotations

from collections import Counter

from fuzz.gen import HEADER, Program, source
from fuzz.judge import KINDS_ORDER, UNEXPLAINED, Finding

__all__ = ["reproducer", "table"]

_LABELS = {
    "stale": "held reference silently stale",
    "replaced": "grown class replaced (warned)",
    "attr": "module attribute wrong",
    "alias": "tracked alias wrong",
    "failed": "valid edit failing",
    "crash": "crash in hotreload",
    "rollback": "bad version not cleanly rejected",
    "explained": "divergence a warning explains (allowed)",
    "harness": "fuzzer fault",
}


def table(
    counts: Counter[str], sequences: int, failing: int, signatures: int, elapsed: float
) -> str:
    """The counts of findings per kind, with the totals."""
    rows = [f"{'kind':<42} {'count':>7}"]
    rows += [f"{_LABELS[k] + f' ({k})':<42} {counts.get(k, 0):>7}" for k in KINDS_ORDER]
    rows.append(
        f"sequences: {sequences}, with an unexplained divergence: {failing}, "
        f"distinct failure signatures: {signatures}, time: {elapsed:.1f} s"
    )
    return "\n".join(rows)


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())


def reproducer(prog: Program, finding: Finding, seed: int | None = None) -> str:
    """The versions of ``a`` and ``b`` up to the failure and what went wrong."""
    out = [f"== {finding.signature}" + (f"  (seed {seed})" if seed is not None else "")]
    for v in range(finding.step + 1):
        for m in "ab":
            text = source(prog, v, m)
            if v and text == source(prog, v - 1, m):
                continue
            label = "first version" if v == 0 else f"after edit {v}"
            out.append(f"--- {m}.py, {label} (after the header's imports)")
            out.append(_indent(text.removeprefix(HEADER).strip()))
    p = finding.probe
    if p is not None:
        where = {
            "attr": f"H = {p.hexpr} (evaluated now)",
            "alias": f"H = {p.ref} bound by `from {p.hexpr.split('.')[0]} import "
            f"{p.ref}` in a tracked namespace before the first edit",
            "held": f"H = {p.hexpr}, taken after step {p.since} and held",
        }[p.target]
        out.append(f"probe after edit {finding.step}: {p.expr}   where {where}")
        out.append(f"expected (fresh interpreter): {finding.expected}")
        out.append(f"got (live): {finding.got}")
    if finding.warnings:
        out.append("warnings: " + " | ".join(finding.warnings))
    if finding.detail:
        out.append(_indent(finding.detail.strip()[-1500:]))
    if finding.kind not in UNEXPLAINED:
        out.append("(explained by a warning)")
    return "\n".join(out)
