"""The kinds of code a generated module is made of, one small class each.

A kind renders one component of a module from its parameters (small ints),
changes them at random (an edit) and names its *subjects*: expressions that
give an object a program may use or hold (``a.f3``, ``a.C1(2)``, a bound
method, a partial) with the probes that exercise it (``H(3)`` where ``H`` is
the object). Probes return plain values, so that two interpreters can be
compared by ``repr``. Constructor arguments never change between versions:
an instance made earlier and one made now must behave alike.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = [
    "Const",
    "Deco",
    "Dep",
    "Dispatch",
    "Func",
    "Hooks",
    "Kind",
    "Lambda",
    "Params",
    "Subject",
]

Params = dict[str, int]


@dataclass(frozen=True)
class Subject:
    """An object of a module version and the probes that exercise it.

    Attributes:
        key: names the subject across versions of its component.
        expr: evaluated (with ``a``, ``b``, ``functools`` in scope) to get it.
        probes: expressions of ``H``, the object, giving plain values.
        alias: the name ``from MODULE import NAME`` binds to it, if any.
        hold: a program may keep it across reloads (it must follow edits).
        holds: the module attribute itself keeps references taken at import
            (a callback list, a registry): a warning may explain a stale one.
    """

    key: str
    expr: str
    probes: tuple[str, ...]
    alias: str | None = None
    hold: bool = True
    holds: bool = False


@dataclass(frozen=True)
class Dep:
    """The component of module ``a`` a cross-module component builds on."""

    kind: str
    index: int
    params: Params = field(default_factory=dict)


def _flip(p: Params, name: str) -> None:
    p[name] = 1 - p[name]


def _bump(rng: random.Random, p: Params, name: str, low: int, high: int) -> None:
    old = p[name]
    while p[name] == old:
        p[name] = rng.randint(low, high)


class Kind:
    """One kind of component. Subclasses set ``name`` and fill the methods."""

    name = ""
    cross = False  # lives in ``b`` and builds on a component of ``a``
    deps: tuple[str, ...] = ()  # the kinds of ``a`` it can build on
    edits: tuple[str, ...] = ()  # parameter names an edit may change
    flags: tuple[str, ...] = ()  # parameters that are on/off switches
    ranges: dict[str, tuple[int, int]] = {}

    def init(self, rng: random.Random) -> Params:
        """Random parameters for a new component."""
        p = {name: rng.randint(lo, hi) for name, (lo, hi) in self.ranges.items()}
        for name in self.flags:
            p[name] = int(rng.random() < 0.3)
        return p

    def mutate(self, rng: random.Random, p: Params) -> None:
        """Change one parameter: an edit a developer would make."""
        name = rng.choice(self.edits + self.flags)
        if name in self.flags:
            _flip(p, name)
        else:
            _bump(rng, p, name, *self.ranges[name])

    def grows(self, before: Params, after: Params) -> bool:
        """Whether the edit only grew a class, which must then be kept."""
        return False

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        """The component's source in module ``m``."""
        raise NotImplementedError

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        """What a program can use of it, with probes."""
        raise NotImplementedError

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        """Module names it binds (a warning naming one explains its subjects)."""
        raise NotImplementedError

    def imports(self, i: int, p: Params, dep: Dep | None) -> tuple[str, ...]:
        """Names ``b`` imports from ``a`` for it (``from a import ...``)."""
        return ()


class Func(Kind):
    """A plain function, maybe cached, with a partial and a callback list."""

    name = "func"
    ranges = {"k": (1, 9), "c": (0, 9), "fd": (1, 9)}
    edits = ("k", "c", "fd")
    flags = ("lru", "sig", "pf", "cb")

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        deco = "@functools.lru_cache(maxsize=None)\n" if p["lru"] else ""
        # The default reads a module constant: editing it re-runs the def.
        args, extra = (f"x, y=FD{i}", " + y") if p["sig"] else ("x", "")
        out = f"FD{i} = {p['fd']}\n\n\n{deco}def f{i}({args}):\n"
        out += f"    return x * {p['k']} + {p['c']}{extra}\n"
        if p["pf"]:
            out += f"\n\npf{i} = functools.partial(f{i}, 2)\n"
        if p["cb"]:
            out += f"\n\nCB{i} = [f{i}]\n"
        return out

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        out = [
            Subject(
                "f", f"{m}.f{i}", ("H(3)", "H.__code__.co_firstlineno"), alias=f"f{i}"
            ),
            Subject("partial", f"functools.partial({m}.f{i}, 5)", ("H()",)),
            Subject("cblist", f"[{m}.f{i}]", ("H[0](4)",)),
        ]
        if p["pf"]:
            out.append(Subject("pf", f"{m}.pf{i}", ("H()",), holds=True))
        if p["cb"]:
            probes = ("H[0](3)", f"H[0] is {m}.f{i}")
            out.append(Subject("cb", f"{m}.CB{i}", probes, holds=True))
        return out

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"f{i}", f"pf{i}", f"CB{i}", f"FD{i}")


class Lambda(Kind):
    """A lambda bound to a name."""

    name = "lambda"
    ranges = {"k": (1, 99)}
    edits = ("k",)

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        return f"lam{i} = lambda x: x + {p['k']}\n"

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        return [Subject("lam", f"{m}.lam{i}", ("H(2)",), alias=f"lam{i}")]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"lam{i}",)


class Closure(Kind):
    """A closure factory and a closure it made at import."""

    name = "closure"
    ranges = {"k": (1, 9), "n": (1, 60)}
    edits = ("k", "n")

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        return (
            f"def make_adder{i}(n):\n    def add(x):\n"
            f"        return x + n * {p['k']}\n\n    return add\n\n\n"
            f"add{i} = make_adder{i}({p['n']})\n"
        )

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        return [
            Subject("make", f"{m}.make_adder{i}", ("H(2)(1)",), alias=f"make_adder{i}"),
            # A closure is a value made by a call: only the module and aliases
            # must follow it, as they follow any re-bound name.
            Subject("add", f"{m}.add{i}", ("H(1)",), alias=f"add{i}", hold=False),
        ]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"make_adder{i}", f"add{i}")


_DECORATORS = {
    # functools.wraps wrapper
    0: (
        "def deco{i}(fn):\n    @functools.wraps(fn)\n"
        "    def wrapper(*args, **kwargs):\n"
        "        return fn(*args, **kwargs) + {d}\n\n    return wrapper\n"
    ),
    # the wrapped function kept in an object
    1: (
        "class Command{i}:\n    def __init__(self, fn):\n        self.fn = fn\n\n"
        "    def __call__(self, *args):\n        return self.fn(*args) + {d}\n\n\n"
        "def deco{i}(fn):\n    return Command{i}(fn)\n"
    ),
    # a registry filled by the decorator
    2: (
        "REG{i} = {{}}\n\n\ndef deco{i}(fn):\n"
        "    REG{i}[fn.__name__] = fn\n    return fn\n"
    ),
}


class Deco(Kind):
    """A decorator and functions (and a method) it decorates in its module."""

    name = "deco"
    ranges = {"style": (0, 2), "d": (100, 900), "k": (1, 9), "k2": (1, 9)}
    edits = ("d", "k", "k2")
    flags = ("meth",)

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        out = _DECORATORS[p["style"]].format(i=i, d=p["d"])
        out += f"\n\n@deco{i}\ndef g{i}(x):\n    return x * {p['k']}\n"
        if p["meth"] and p["style"] != 1:
            out += (
                f"\n\nclass GH{i}:\n    @deco{i}\n    def gm(self, x):\n"
                f"        return x + {p['k2']}\n"
            )
        return out

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        out = [
            Subject("g", f"{m}.g{i}", ("H(3)",), alias=f"g{i}"),
            Subject("gpartial", f"functools.partial({m}.g{i}, 6)", ("H()",)),
        ]
        if p["meth"] and p["style"] != 1:
            out.append(Subject("gm", f"{m}.GH{i}().gm", ("H(3)",)))
            out.append(Subject("gh", f"{m}.GH{i}()", ("H.gm(4)",)))
        if p["style"] == 2:
            probes = (f"H['g{i}'](3)", f"H['g{i}'] is {m}.g{i}")
            out.append(Subject("reg", f"{m}.REG{i}", probes, holds=True))
        return out

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"deco{i}", f"g{i}", f"GH{i}", f"Command{i}", f"REG{i}", "wrapper")


class Hooks(Kind):
    """A function appended to a list at import (``HOOKS.append(f)``)."""

    name = "hooks"
    ranges = {"k": (1, 9)}
    edits = ("k",)

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        return (
            f"HOOKS{i} = []\n\n\ndef hook{i}(x):\n    return x * {p['k']}\n\n\n"
            f"HOOKS{i}.append(hook{i})\n"
        )

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        probes = ("H[0](2)", "len(H)", f"H[0] is {m}.hook{i}")
        return [
            Subject("hooks", f"{m}.HOOKS{i}", probes, holds=True),
            Subject("hook", f"{m}.hook{i}", ("H(5)",), alias=f"hook{i}"),
        ]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"HOOKS{i}", f"hook{i}")


class Const(Kind):
    """A constant, a function reading it and a value computed at import."""

    name = "const"
    ranges = {"v": (1, 99), "k": (1, 9)}
    edits = ("v", "k")

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        return (
            f"CONST{i} = {p['v']}\n\n\ndef use_const{i}(x):\n"
            f"    return x + CONST{i} * {p['k']}\n\n\n"
            f"TOTAL{i} = use_const{i}(CONST{i})\n"
        )

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        return [
            Subject("const", f"{m}.CONST{i}", ("H",), alias=f"CONST{i}", hold=False),
            Subject("use", f"{m}.use_const{i}", ("H(1)",), alias=f"use_const{i}"),
            Subject("total", f"{m}.TOTAL{i}", ("H",), alias=f"TOTAL{i}", hold=False),
        ]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"CONST{i}", f"use_const{i}", f"TOTAL{i}")


class Dispatch(Kind):
    """A ``functools.singledispatch`` function with two ``def _`` registered."""

    name = "dispatch"
    ranges = {"k1": (1, 9), "k2": (1, 9)}
    edits = ("k1", "k2")

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        return (
            f"@functools.singledispatch\ndef sd{i}(x):\n    return 'object'\n\n\n"
            f"@sd{i}.register\ndef _(x: int):\n    return x * {p['k1']}\n\n\n"
            f"@sd{i}.register\ndef _(x: str):\n    return x + '{p['k2']}'\n"
        )

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        probes = ("H(3)", "H('s')", "H(2.5)")
        return [Subject("sd", f"{m}.sd{i}", probes, alias=f"sd{i}")]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"sd{i}", "_")


class State(Kind):
    """A value made at import by a statement that never changes (item 12)."""

    name = "state"
    ranges = {"k": (1, 9)}
    edits = ("k",)

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        return (
            f"TOKEN{i} = object()\n\n\n"
            f"def token{i}():\n    return (TOKEN{i}, {p['k']})\n"
        )

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        kept = (f"H is {m}.TOKEN{i}", f"H is {m}.token{i}()[0]")
        return [
            # Held, it shows whether the statement that made it ran again.
            Subject("token", f"{m}.TOKEN{i}", kept, alias=f"TOKEN{i}"),
            Subject("fn", f"{m}.token{i}", ("H()[1]",), alias=f"token{i}"),
        ]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"TOKEN{i}", f"token{i}")


class Compound(Kind):
    """Functions defined inside an ``if`` that reads a module constant."""

    name = "compound"
    ranges = {"mode": (1, 9), "k": (1, 9)}
    edits = ("mode", "k")

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        return (
            f"MODE{i} = {p['mode']}\n\n\nif MODE{i} > 5:\n\n"
            f"    def pick{i}(x):\n        return x * {p['k']}\n\n"
            f"else:\n\n    def pick{i}(x):\n        return x + {p['k']}\n"
        )

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        probes = ("H(3)", "H.__code__.co_firstlineno")
        return [Subject("pick", f"{m}.pick{i}", probes, alias=f"pick{i}")]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"pick{i}", f"MODE{i}")
