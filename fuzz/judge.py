"""Compare the live run with the fresh ones and classify each divergence.

Kinds, in the order the table shows them:

- ``stale``: a held reference (or a reference a module kept at import, such
  as a callback list) gives another value than the fresh interpreter, and
  no warning since it was taken names its component;
- ``replaced``: a warning names it, but the edit only grew the class (an
  enum member added or removed, a field with a default added to a class
  without slots), where DESIGN item 4 says identity is kept;
- ``attr``: a module attribute gives another value (never allowed);
- ``alias``: a ``from m import NAME`` binding in a tracked namespace does;
- ``failed``: a reload reported ``ok=False`` for a version that a fresh
  interpreter imports;
- ``crash``: ``Reloader.reload`` raised, the live process died or hung, or
  a failed reload's traceback ends inside hotreload;
- ``rollback``: a version that raises at import or does not compile was
  accepted, its traceback misses the user's line, or the modules were not
  left exactly as they were (DESIGN item 1);
- ``explained``: a stale reference that a warning of the event names
  (allowed: DESIGN item 4);
- ``harness``: the fuzzer's own fault (a version that does not import
  fresh, a divergence before any edit); must stay 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fuzz.gen import KINDS, Probe, Program, bad_line

__all__ = ["KINDS_ORDER", "UNEXPLAINED", "Finding", "judge", "normalize"]

KINDS_ORDER = (
    "stale",
    "replaced",
    "attr",
    "alias",
    "failed",
    "crash",
    "rollback",
    "explained",
    "harness",
)
UNEXPLAINED = tuple(k for k in KINDS_ORDER if k != "explained")
_CLASSES = (
    "class",
    "classreg",
    "dataclass",
    "enum",
    "namedtuple",
    "ntcall",
    "xsub",
    "xinstance",
    "pydantic",
    "attrs",
)
_IDENTITY = re.compile(r"\bis\b|isinstance|==")


@dataclass
class Finding:
    """One divergence (or failure) of one run."""

    kind: str
    step: int
    signature: str
    probe: Probe | None = None
    expected: str = ""
    got: str = ""
    detail: str = ""
    warnings: list[str] = field(default_factory=list)


def normalize(text: str) -> str:
    """Drop the numbers that name components (``a.f3`` -> ``a.fN``)."""
    return re.sub(r"(?<=[A-Za-z_])\d+", "N", text)


def _changed(prog: Program, pos: int, start: int, end: int) -> str:
    """Which parameters of component ``pos`` (and its dependency) changed."""
    out: list[str] = []
    comp = prog.comps[pos]
    for label, p in (("", pos), ("dep.", comp.dep)):
        if p is None:
            continue
        before, after = prog.versions[start][p], prog.versions[end][p]
        if before[0] != after[0]:
            out.append(f"{label}present")
        out += [f"{label}{k}" for k in sorted(after[1]) if after[1][k] != before[1][k]]
    return ",".join(out) or "-"


def _names(prog: Program, pos: int) -> tuple[str, ...]:
    comp = prog.comps[pos]
    dep = prog.dep(0, pos)
    names = KINDS[comp.kind].names(comp.index, dep)
    if comp.dep is not None:
        d = prog.comps[comp.dep]
        names += KINDS[d.kind].names(d.index, prog.dep(0, comp.dep))
    return names


def _explains(warning: str, names: tuple[str, ...], instances: bool) -> bool:
    if "instance(s) keep their old class" in warning:
        return instances
    return any(re.search(rf"(?<![\w.]){re.escape(n)}\b", warning) for n in names)


def _rejected(prog: Program, step: int, rec: dict[str, Any]) -> Finding | None:
    """A bad version must be rejected, with a traceback at the user's line."""
    bad = prog.bad_at(step)
    assert bad is not None
    style = ("raise", "syntax")[bad[2]]
    mine = [ev for ev in rec["events"] if ev["module"] == bad[0]]
    if not mine or all(ev["ok"] for ev in mine):
        return Finding("rollback", step, f"rollback:accepted:{style}")
    where = f'{bad[0]}.py", line {bad_line(prog, step)}'
    if not any(where in ev["traceback"] for ev in mine):
        text = "\n".join(ev["traceback"] for ev in mine)
        detail = f"the traceback should name {where}\n{text}"
        return Finding("rollback", step, f"rollback:traceback:{style}", detail=detail)
    frames = [
        line
        for ev in mine
        for line in ev["traceback"].splitlines()
        if line.lstrip().startswith('File "') and f"{bad[0]}.py" not in line
    ]
    if frames:
        detail = "frames that are not the user's:\n" + "\n".join(frames)
        return Finding(
            "rollback", step, f"rollback:foreign-frames:{style}", detail=detail
        )
    return None


def _failure(step: int, rec: dict[str, Any], skip: str = "") -> Finding | None:
    if "crash" in rec:
        last = rec["crash"].strip().splitlines()[-1]
        return Finding(
            "crash", step, f"crash:raised:{normalize(last)}", detail=rec["crash"]
        )
    for ev in rec["events"]:
        if not ev["ok"] and ev["module"] != skip:
            kind = "crash" if ev["internal"] else "failed"
            error = normalize(str(ev["error"]).splitlines()[0][:120])
            text = f"{ev['module']} ({ev['trigger']}): {ev['error']}\n{ev['traceback']}"
            return Finding(kind, step, f"{kind}:{error}", detail=text)
    return None


def judge(
    prog: Program,
    probes: list[list[Probe]],
    live: dict[str, Any],
    fresh: list[dict[str, Any]],
) -> list[Finding]:
    """Every divergence of one run, each (reference, probe) counted once."""
    if not live["ok"]:
        return [Finding("crash", 0, "crash:live process", detail=live["error"])]
    value = live["value"]
    if "import" in value:
        return [Finding("harness", 0, "harness:first import", detail=value["import"])]
    steps = value["steps"]
    out: list[Finding] = []
    seen: set[str] = set()
    warnings: list[list[str]] = []
    for v, rec in enumerate(steps):
        warnings.append([w for ev in rec["events"] for w in ev["warnings"]])
        if not fresh[v]["ok"]:
            out.append(Finding("harness", v, "harness:fresh", detail=fresh[v]["error"]))
            break
        bad = prog.bad_at(v)
        failure = _failure(v, rec, "" if bad is None else bad[0])
        if failure is not None:
            out.append(failure)
            break
        if bad is not None:
            wrong = _rejected(prog, v, rec)
            if wrong is not None:
                out.append(wrong)
        injected = sorted(set(rec.get("ns", ())) - set(steps[0].get("ns", ())))
        if injected and "injected" not in seen:  # item 3: never a new name
            seen.add("injected")
            detail = f"names that appeared: {injected}"
            out.append(Finding("alias", v, "alias:names injected", detail=detail))
        expected = fresh[v]["value"]
        for p in probes[v]:
            got = rec["results"].get(p.pid)
            if got is None or got == expected[p.pid] or p.pid in seen:
                continue
            seen.add(p.pid)
            out.append(_classify(prog, p, v, expected[p.pid], got, warnings))
    return out


def _classify(
    prog: Program, p: Probe, v: int, expected: str, got: str, warnings: list[list[str]]
) -> Finding:
    if p.pos < 0:  # the names a module binds
        kind = "rollback" if prog.bad_at(v) is not None else "attr"
        if v == 0:
            kind = "harness"
        sig = f"{kind}:module.{p.hexpr}:names"
        return Finding(kind, v, sig, p, expected, got)
    comp = prog.comps[p.pos]
    since = p.since if p.target == "held" else 0
    noted = [w for ws in warnings[since + 1 :] for w in ws]
    names = _names(prog, p.pos)
    if v == 0:
        kind = "harness"
    elif prog.bad_at(v) is not None:
        kind = "rollback"  # a rejected version left something changed
    elif p.target == "alias":
        kind = "alias"
    elif p.target == "attr" and not p.holds:
        kind = "attr"
    elif any(_explains(w, names, comp.kind in _CLASSES) for w in noted):
        start = prog.versions[since][p.pos][1]
        grew = KINDS[comp.kind].grows(start, prog.versions[v][p.pos][1])
        kind = "replaced" if grew and _IDENTITY.search(p.expr) else "explained"
    else:
        kind = "stale"
    what = f"{comp.kind}.{p.key}"
    edit = _changed(prog, p.pos, since if p.target == "held" else v - 1, v)
    sig = f"{kind}:{what}:{p.target}:{normalize(p.expr)}:{edit}"
    return Finding(kind, v, sig, p, expected, got, warnings=noted)
