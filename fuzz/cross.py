"""Kinds of component of module ``b`` that build on a component of ``a``.

Each reaches ``a`` either as ``a.NAME`` or through ``from a import NAME``
(the ``via`` parameter, fixed when the component is made).
"""

from __future__ import annotations

from fuzz.kinds import Dep, Kind, Params, Subject

__all__ = ["XAlias", "XDeco", "XFunc", "XInstance", "XPartial", "XSub", "XValue"]


def _ref(p: Params, name: str) -> str:
    return name if p["via"] else f"a.{name}"


def _imported(p: Params, name: str) -> tuple[str, ...]:
    return (name,) if p["via"] else ()


def _dep(dep: Dep | None) -> Dep:
    if dep is None:
        raise ValueError("a cross-module component needs its component of a")
    return dep


class _Cross(Kind):
    cross = True
    ranges = {"via": (0, 1), "k": (1, 9)}
    edits: tuple[str, ...] = ("k",)
    target = ""  # the name in ``a``, formatted with the dependency's index

    def imports(self, i: int, p: Params, dep: Dep | None) -> tuple[str, ...]:
        return _imported(p, self.target.format(j=_dep(dep).index))

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (self.target.format(j=_dep(dep).index),)


class XDeco(_Cross):
    """Functions of ``b`` decorated by a decorator of ``a``."""

    name = "xdeco"
    deps: tuple[str, ...] = ("deco",)
    target = "deco{j}"

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        deco = _ref(p, f"deco{_dep(dep).index}")
        return f"@{deco}\ndef bg{i}(x):\n    return x - {p['k']}\n"

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        d = _dep(dep)
        out = [
            Subject("bg", f"b.bg{i}", ("H(30)",), alias=f"bg{i}"),
            Subject("bgpartial", f"functools.partial(b.bg{i}, 40)", ("H()",)),
            Subject("bglist", f"[b.bg{i}]", ("H[0](50)",)),
        ]
        if d.params.get("style") == 2:
            probes = (f"H['bg{i}'](3)", f"H['bg{i}'] is b.bg{i}")
            out.append(Subject("reg", f"a.REG{d.index}", probes, holds=True))
        return out

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        j = _dep(dep).index
        return (f"bg{i}", f"deco{j}", f"REG{j}", f"Command{j}", "wrapper")


class XSub(_Cross):
    """A subclass in ``b`` of a class of ``a``, calling ``super()``."""

    name = "xsub"
    deps: tuple[str, ...] = ("class",)
    target = "C{j}"

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        base = _ref(p, f"C{_dep(dep).index}")
        return (
            f"class BC{i}({base}):\n    def m(self, y):\n"
            f"        return super().m(y) + {p['k']}\n"
        )

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        c = f"a.C{_dep(dep).index}"
        probes = ("H.m(1)", "H.p", "H.c(2)", f"isinstance(H, {c})", "H.s(1)")
        return [
            Subject("inst", f"b.BC{i}(2)", probes),
            Subject("cls", f"b.BC{i}", ("H(3).m(2)",), alias=f"BC{i}"),
        ]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"BC{i}", f"C{_dep(dep).index}")


class XInstance(_Cross):
    """An instance of a class of ``a`` made when ``b`` is imported."""

    name = "xinstance"
    deps: tuple[str, ...] = ("class", "dataclass")
    target = "{cls}{j}"
    edits: tuple[
        str, ...
    ] = ()  # its argument is fixed: a held instance keeps its state

    def _cls(self, dep: Dep) -> str:
        return ("C" if dep.kind == "class" else "DC") + str(dep.index)

    def imports(self, i: int, p: Params, dep: Dep | None) -> tuple[str, ...]:
        return _imported(p, self._cls(_dep(dep)))

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        return f"BDEF{i} = {_ref(p, self._cls(_dep(dep)))}({p['k']})\n"

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        d = _dep(dep)
        c = f"a.{self._cls(d)}"
        probe = "H.m(1)" if d.kind == "class" else "H.total()"
        probes = (probe, f"isinstance(H, {c})", f"type(H) is {c}")
        return [Subject("inst", f"b.BDEF{i}", probes, alias=f"BDEF{i}")]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"BDEF{i}", self._cls(_dep(dep)))


class XFunc(_Cross):
    """A function of ``b`` calling a function of ``a`` both ways."""

    name = "xfunc"
    deps: tuple[str, ...] = ("func",)
    target = "f{j}"
    ranges = {"via": (1, 1), "k": (1, 9)}

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        j = _dep(dep).index
        return f"def bf{i}(x):\n    return a.f{j}(x) + f{j}(x) * {p['k']}\n"

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        return [Subject("bf", f"b.bf{i}", ("H(3)",), alias=f"bf{i}")]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"bf{i}", f"f{_dep(dep).index}")


class XPartial(_Cross):
    """A ``functools.partial`` of a function of ``a`` made at import of ``b``."""

    name = "xpartial"
    deps: tuple[str, ...] = ("func", "deco")
    target = "{fn}{j}"
    edits: tuple[str, ...] = ()  # its argument is fixed: a held partial keeps it

    def _fn(self, dep: Dep) -> str:
        return ("f" if dep.kind == "func" else "g") + str(dep.index)

    def imports(self, i: int, p: Params, dep: Dep | None) -> tuple[str, ...]:
        return _imported(p, self._fn(_dep(dep)))

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        fn = _ref(p, self._fn(_dep(dep)))
        return f"bp{i} = functools.partial({fn}, {p['k']})\n"

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        return [Subject("bp", f"b.bp{i}", ("H()",), alias=f"bp{i}", holds=True)]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"bp{i}", self._fn(_dep(dep)))


class XValue(_Cross):
    """A value of ``b`` computed at import from constants of ``a``."""

    name = "xvalue"
    deps: tuple[str, ...] = ("const",)
    target = "CONST{j}"
    ranges = {"via": (1, 1), "k": (1, 9)}

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        j = _dep(dep).index
        return f"BV{i} = a.CONST{j} * 2 + CONST{j} + a.TOTAL{j} + {p['k']}\n"

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        return [Subject("bv", f"b.BV{i}", ("H",), alias=f"BV{i}", hold=False)]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"BV{i}", f"CONST{_dep(dep).index}")


class XAlias(_Cross):
    """``from a import NAME`` in ``b``, used as ``b.NAME``."""

    name = "xalias"
    deps: tuple[str, ...] = (
        "func",
        "lambda",
        "closure",
        "const",
        "class",
        "dataclass",
        "enum",
        "deco",
    )
    ranges = {"via": (1, 1), "k": (0, 0)}
    edits: tuple[str, ...] = ()
    _names = {
        "func": "f{j}",
        "lambda": "lam{j}",
        "closure": "add{j}",
        "const": "TOTAL{j}",
        "class": "C{j}",
        "dataclass": "DC{j}",
        "enum": "Color{j}",
        "deco": "g{j}",
    }

    def _name(self, dep: Dep) -> str:
        return self._names[dep.kind].format(j=dep.index)

    def imports(self, i: int, p: Params, dep: Dep | None) -> tuple[str, ...]:
        return (self._name(_dep(dep)),)

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        return ""

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        # The caller fills the probes in from the component of ``a``.
        return [Subject("alias", f"b.{self._name(_dep(dep))}", (), hold=False)]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (self._name(_dep(dep)),)
