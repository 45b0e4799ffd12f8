"""Random programs of two modules (``a`` and ``b``) and their edit sequences.

A :class:`Program` is a list of components (each of a kind of
:mod:`fuzz.kinds`, in module ``a`` or ``b``) and a list of versions: for
each component, whether it is present and its parameters. Version 0 is
imported; each later version is one edit step (one or both modules
change). A :class:`Plan` says which references the program takes and keeps
(at the start and after steps) and which names a tracked namespace imports;
:func:`probes_at` derives, for each step, every probe to compare.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field

from fuzz.classes import (
    Attrs,
    ClassRegistry,
    Cls,
    DataCls,
    EnumCls,
    NTCall,
    NTuple,
    Pydantic,
)
from fuzz.cross import XAlias, XDeco, XFunc, XInstance, XPartial, XSub, XValue
from fuzz.kinds import (
    Closure,
    Compound,
    Const,
    Deco,
    Dep,
    Dispatch,
    Func,
    Hooks,
    Kind,
    Lambda,
    Params,
    State,
    Subject,
)

__all__ = [
    "BAD",
    "HEADER",
    "NAMES",
    "KINDS",
    "Comp",
    "Plan",
    "Probe",
    "Program",
    "Version",
    "bad_line",
    "full_plan",
    "generate",
    "probes_at",
    "source",
    "subjects_at",
]

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Func(),
        Lambda(),
        Closure(),
        Deco(),
        Hooks(),
        Const(),
        Cls(),
        DataCls(),
        EnumCls(),
        NTuple(),
        NTCall(),
        ClassRegistry(),
        Dispatch(),
        State(),
        Compound(),
        Pydantic(),
        Attrs(),
        XDeco(),
        XSub(),
        XInstance(),
        XFunc(),
        XPartial(),
        XValue(),
        XAlias(),
    )
}
_PLAIN = [k.name for k in KINDS.values() if not k.cross]
_CROSS = [k.name for k in KINDS.values() if k.cross]
NAMES = "sorted(n for n in vars(H) if not n.startswith('__'))"
BAD = (
    'raise RuntimeError("a bad version")\n',
    "def broken(:\n    pass\n",
)
HEADER = (
    "import collections\nimport dataclasses\nimport enum\nimport functools\n"
    "import typing\n\nimport attrs\nimport pydantic\n"
)

Version = list[tuple[bool, Params]]


@dataclass(frozen=True)
class Comp:
    """One component: its kind, module, name index and dependency (a position)."""

    kind: str
    module: str
    index: int
    dep: int | None = None


@dataclass
class Program:
    """Components and their versions; ``versions[0]`` is the first import."""

    comps: list[Comp]
    versions: list[Version]
    # Per version: None, or (module, slot, style) of a statement that makes
    # that module fail (style 0: it raises at import; 1: a syntax error). The
    # reload must be rejected and leave everything as the last good version.
    bad: list[tuple[str, int, int] | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bad += [None] * (len(self.versions) - len(self.bad))

    def bad_at(self, v: int) -> tuple[str, int, int] | None:
        """The failing statement of version ``v``, if it is a bad one."""
        return self.bad[v] if v < len(self.bad) else None

    def good(self, v: int) -> int:
        """The last version up to ``v`` that is not a bad one."""
        while self.bad_at(v) is not None:
            v -= 1
        return v

    def present(self, v: int, pos: int) -> bool:
        """Whether component ``pos`` is in version ``v`` (with what it needs)."""
        on, _ = self.versions[v][pos]
        dep = self.comps[pos].dep
        return on and (dep is None or self.present(v, dep))

    def dep(self, v: int, pos: int) -> Dep | None:
        """The dependency of component ``pos`` as seen in version ``v``."""
        d = self.comps[pos].dep
        if d is None:
            return None
        comp = self.comps[d]
        return Dep(comp.kind, comp.index, self.versions[v][d][1])


@dataclass
class Plan:
    """What the program holds: references taken per step, tracked aliases."""

    takes: list[list[tuple[int, str]]]  # per step: (component, subject key)
    aliases: list[tuple[int, str]] = field(default_factory=list)  # at step 0
    # Save files for the watcher (and wait) instead of calling reload().
    saves: bool = False


@dataclass(frozen=True)
class Probe:
    """One probe of one step.

    ``target`` is "attr" (``hexpr`` evaluated now, in both interpreters),
    "alias" (live: the tracked namespace's ``ref``; fresh: ``hexpr``) or
    "held" (live: the reference ``ref`` taken earlier; fresh: ``hexpr``).
    """

    pid: str
    target: str
    ref: str
    hexpr: str
    expr: str
    pos: int
    key: str
    since: int  # the step the reference was taken (0 for attr and alias)
    holds: bool = False


def source(prog: Program, v: int, module: str) -> str:
    """The text of ``module`` in version ``v``."""
    parts = [HEADER]
    if module == "b":
        names: set[str] = set()
        for pos, comp in enumerate(prog.comps):
            if comp.module == "b" and prog.present(v, pos):
                params = prog.versions[v][pos][1]
                names.update(
                    KINDS[comp.kind].imports(comp.index, params, prog.dep(v, pos))
                )
        parts[0] += "\nimport a\n"
        if names:
            parts[0] += f"from a import {', '.join(sorted(names))}\n"
    # "@pos" orders components in their module: an edit may move one.
    order = sorted(
        range(len(prog.comps)), key=lambda i: (prog.versions[v][i][1]["@pos"], i)
    )
    for pos in order:
        comp = prog.comps[pos]
        if comp.module == module and prog.present(v, pos):
            params = prog.versions[v][pos][1]
            text = KINDS[comp.kind].render(module, comp.index, params, prog.dep(v, pos))
            if text:
                parts.append(text)
    bad = prog.bad_at(v)
    if bad is not None and bad[0] == module:
        parts.insert(min(bad[1], len(parts)), BAD[bad[2]])
    return "\n\n".join(parts)


def bad_line(prog: Program, v: int) -> int:
    """The line of the failing statement of bad version ``v``."""
    bad = prog.bad_at(v)
    assert bad is not None
    text = source(prog, v, bad[0])
    return text[: text.index(BAD[bad[2]])].count("\n") + 1


def subjects_at(prog: Program, v: int) -> dict[tuple[int, str], Subject]:
    """Every subject of version ``v``, by (component, key)."""
    out: dict[tuple[int, str], Subject] = {}
    v = prog.good(v)
    for pos, comp in enumerate(prog.comps):
        if not prog.present(v, pos):
            continue
        params = prog.versions[v][pos][1]
        dep = prog.dep(v, pos)
        subjects = KINDS[comp.kind].subjects(comp.module, comp.index, params, dep)
        for s in subjects:
            if comp.kind == "xalias" and comp.dep is not None:
                s = _alias_probes(prog, v, comp.dep, s)
            out[pos, s.key] = s
    return out


def _alias_probes(prog: Program, v: int, dep: int, s: Subject) -> Subject:
    name = s.expr.removeprefix("b.")
    d = prog.comps[dep]
    params = prog.versions[v][dep][1]
    for t in KINDS[d.kind].subjects("a", d.index, params, prog.dep(v, dep)):
        if t.alias == name:
            return Subject(s.key, s.expr, t.probes, hold=False)
    return s


def _alive(
    subs: list[dict[tuple[int, str], Subject]], pos: int, key: str, start: int
) -> bool:
    """Whether subject (pos, key) exists in every version from ``start`` on."""
    return all((pos, key) in s for s in subs[start:])


def probes_at(prog: Program, plan: Plan, step: int) -> list[Probe]:
    """Every probe of ``step``: module attributes, aliases, held references."""
    subs = [subjects_at(prog, v) for v in range(step + 1)]
    now = subs[step]
    # The names each module binds (item 5: names gone from the source go).
    out = [
        Probe(f"names:{m}", "attr", "", m, NAMES, -1, "names", 0) for m in ("a", "b")
    ]
    for (pos, key), s in now.items():
        for n, expr in enumerate(s.probes):
            pid = f"attr:{pos}:{key}:{n}"
            out.append(Probe(pid, "attr", "", s.expr, expr, pos, key, 0, s.holds))
    for pos, key in plan.aliases:
        s0 = subs[0].get((pos, key))
        if s0 is None or s0.alias is None or not _alive(subs, pos, key, 0):
            continue
        s = now[pos, key]
        for n, expr in enumerate(s.probes):
            pid = f"alias:{pos}:{key}:{n}"
            out.append(Probe(pid, "alias", s0.alias, s.expr, expr, pos, key, 0))
    for taken in range(step + 1):
        for pos, key in plan.takes[taken]:
            if not _alive(subs, pos, key, taken):
                continue
            s = now[pos, key]
            ref = f"h{taken}:{pos}:{key}"
            for n, expr in enumerate(s.probes):
                pid = f"held:{taken}:{pos}:{key}:{n}"
                out.append(Probe(pid, "held", ref, s.expr, expr, pos, key, taken))
    return out


def _mutate(rng: random.Random, prog: Program, version: Version, module: str) -> None:
    mine = [pos for pos, c in enumerate(prog.comps) if c.module == module]
    for pos in rng.sample(mine, min(len(mine), rng.choice((1, 1, 2)))):
        on, params = version[pos]
        kind = KINDS[prog.comps[pos].kind]
        if on and rng.random() < 0.1:
            params["@pos"] = rng.randint(0, 10 * len(prog.comps))  # moved
        elif not on or rng.random() < 0.1 or not (kind.edits or kind.flags):
            version[pos] = (not on, params)
        else:
            kind.mutate(rng, params)


def generate(seed: int, without: frozenset[str] = frozenset()) -> tuple[Program, Plan]:
    """A random program, its edit sequence and what it holds, from ``seed``.

    Kinds named in ``without`` are left out (to look past a known failure).
    """
    rng = random.Random(seed)
    plain = [k for k in _PLAIN if k not in without]
    cross = [k for k in _CROSS if k not in without]
    comps: list[Comp] = []
    v0: Version = []
    for _ in range(rng.randint(3, 7)):
        comps.append(Comp(rng.choice(plain), "a", len(comps)))
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(cross + plain[:4]) if rng.random() < 0.8 else plain[0]
        needs = KINDS[kind].deps
        deps = [p for p, c in enumerate(comps) if c.module == "a" and c.kind in needs]
        if KINDS[kind].cross and not deps:
            continue
        dep = rng.choice(deps) if KINDS[kind].cross else None
        comps.append(Comp(kind, "b", len(comps), dep))
    for pos, comp in enumerate(comps):
        params = KINDS[comp.kind].init(rng)
        params["@pos"] = 10 * pos
        v0.append((rng.random() < 0.85, params))
    prog = Program(comps, [v0])
    for _ in range(rng.randint(2, 7)):
        prev = prog.versions[-1]
        for _attempt in range(20):
            version = copy.deepcopy(prev)
            for module in rng.choice((("a",), ("a",), ("b",), ("a", "b"))):
                _mutate(rng, prog, version, module)
            prog.versions.append(version)
            prog.bad.append(None)
            last = len(prog.versions) - 1
            changed = [
                m for m in "ab" if source(prog, last, m) != source(prog, last - 1, m)
            ]
            if len(changed) == 1 and rng.random() < 0.15:
                # First a version of the same edit that fails, then the fix.
                prog.versions.insert(last, copy.deepcopy(version))
                prog.bad.insert(
                    last, (changed[0], rng.randint(1, 12), rng.randint(0, 1))
                )
            if changed:
                break
            prog.versions.pop()
            prog.bad.pop()
    return prog, _random_plan(rng, prog)


def _random_plan(rng: random.Random, prog: Program) -> Plan:
    takes: list[list[tuple[int, str]]] = []
    for v in range(len(prog.versions)):
        now = subjects_at(prog, v)
        odds = 0.5 if v == 0 else 0.2
        takes.append([k for k, s in now.items() if s.hold and rng.random() < odds])
    first = subjects_at(prog, 0)
    aliases = [k for k, s in first.items() if s.alias and rng.random() < 0.4]
    return Plan(takes, aliases, saves=rng.random() < 0.25)


def full_plan(prog: Program) -> Plan:
    """Hold everything that can be held, at every step (for the minimizer)."""
    takes = [
        [k for k, s in subjects_at(prog, v).items() if s.hold]
        for v in range(len(prog.versions))
    ]
    aliases = [k for k, s in subjects_at(prog, 0).items() if s.alias]
    return Plan(takes, aliases)
