"""Kinds of component that define classes: plain, dataclass, enum, named tuple."""

from __future__ import annotations

from fuzz.kinds import Dep, Kind, Params, Subject

__all__ = [
    "Attrs",
    "ClassRegistry",
    "Cls",
    "DataCls",
    "EnumCls",
    "NTCall",
    "NTuple",
    "Pydantic",
]


class Cls(Kind):
    """A class with every kind of method, a subclass, an instance made at import."""

    name = "class"
    ranges = {
        "k": (1, 9),
        "ks": (1, 9),
        "kp": (10, 19),
        "ki": (1, 9),
        "ck": (1, 9),
        "ke": (1, 9),
        "kd": (2, 5),
    }
    edits: tuple[str, ...] = ("k", "ks", "kp", "ki", "ck", "ke", "kd")
    flags: tuple[str, ...] = ("extra", "sub", "dflt")

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        out = (
            # The class attribute reads a module constant (item 12).
            f"CK{i} = {p['ck']}\n\n\nclass C{i}:\n    K = CK{i}\n\n"
            "    def __init__(self, x):\n        self.x = x\n\n"
            f"    def m(self, y):\n        return self.x * {p['k']} + y\n\n"
            f"    @staticmethod\n    def s(y):\n        return y + {p['ks']}\n\n"
            "    @classmethod\n    def c(cls, y):\n        return cls.K * y\n\n"
            f"    @property\n    def p(self):\n        return self.x + {p['kp']}\n\n"
            f"    class Inner:\n        def im(self):\n            return {p['ki']}\n"
        )
        if p["extra"]:
            out += f"\n    def extra(self):\n        return self.x - {p['ke']}\n"
        if p["sub"]:
            out += (
                f"\n\nclass D{i}(C{i}):\n    def m(self, y):\n"
                f"        return super().m(y) * {p['kd']}\n"
            )
        if p["dflt"]:
            out += f"\n\nDEFAULT{i} = C{i}(4)\nBM{i} = DEFAULT{i}.m\n"
        return out

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        c = f"{m}.C{i}"
        inst = ["H.m(1)", "H.p", "H.s(1)", "H.c(1)", "H.Inner().im()"]
        inst += [f"isinstance(H, {c})", f"type(H) is {c}"]
        if p["extra"]:
            inst.append("H.extra()")
        out = [
            Subject("inst", f"{c}(2)", tuple(inst)),
            Subject(
                "cls",
                c,
                ("H(3).m(1)", "H.s(2)", "H.c(2)", "H.K", f"isinstance({c}(1), H)"),
                alias=f"C{i}",
            ),
            Subject("bound", f"{c}(2).m", ("H(5)", "H.__code__.co_firstlineno")),
            Subject("sm", f"{c}.s", ("H(5)",)),
            Subject("cm", f"{c}.c", ("H(5)",)),
            Subject("inner", f"{c}.Inner()", ("H.im()", f"isinstance(H, {c}.Inner)")),
        ]
        if p["sub"]:
            d = f"{m}.D{i}"
            probes = (
                "H.m(1)",
                "H.p",
                "H.c(1)",
                f"isinstance(H, {c})",
                f"type(H) is {d}",
            )
            out.append(Subject("sub", f"{d}(2)", probes))
        if p["dflt"]:
            dflt = ("H.m(1)", "H.p", f"isinstance(H, {c})", f"type(H) is {c}")
            out.append(Subject("dflt", f"{m}.DEFAULT{i}", dflt, alias=f"DEFAULT{i}"))
            out.append(Subject("bm", f"{m}.BM{i}", ("H(7)",), holds=True))
        return out

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"C{i}", f"D{i}", f"DEFAULT{i}", f"BM{i}", f"CK{i}")


class DataCls(Kind):
    """A dataclass (frozen, slots, both), gaining and losing a field."""

    name = "dataclass"
    # A field's default is fixed: instances made earlier keep their values,
    # so a changed default would be a difference no reload should hide.
    ranges = {"k": (1, 9), "yd": (1, 9)}
    edits: tuple[str, ...] = ("k",)
    flags: tuple[str, ...] = ("frozen", "slots", "y", "dflt")

    def grows(self, before: Params, after: Params) -> bool:
        # With slots, a new field is a new layout: replacing is allowed then.
        return before["y"] != after["y"] and not (before["slots"] or after["slots"])

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        args = [f"{n}=True" for n in ("frozen", "slots") if p[n]]
        deco = f"@dataclasses.dataclass({', '.join(args)})" if args else ""
        deco = deco or "@dataclasses.dataclass"
        field = f"    y: int = {p['yd']}\n" if p["y"] else ""
        plus = " + self.y" if p["y"] else ""
        out = (
            f"{deco}\nclass DC{i}:\n    x: int\n{field}\n"
            f"    def total(self):\n        return self.x * {p['k']}{plus}\n"
        )
        if p["dflt"]:
            out += f"\n\nDDEF{i} = DC{i}(3)\n"
        return out

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        c = f"{m}.DC{i}"
        probes = ["H.total()", "repr(H)", f"isinstance(H, {c})", f"H == {c}(3)"]
        if p["y"]:
            probes.append("H.y")
        out = [
            Subject("inst", f"{c}(3)", tuple(probes)),
            Subject("cls", c, ("H(4).total()", "repr(H(4))"), alias=f"DC{i}"),
        ]
        if p["dflt"]:
            out.append(Subject("dflt", f"{m}.DDEF{i}", tuple(probes), alias=f"DDEF{i}"))
        return out

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"DC{i}", f"DDEF{i}")


class EnumCls(Kind):
    """An Enum whose members come and go, with a method."""

    name = "enum"
    ranges = {"vr": (1, 9), "vg": (10, 19), "vb": (20, 29), "k": (1, 9)}
    edits: tuple[str, ...] = ("vr", "vg", "vb", "k", "k")
    flags: tuple[str, ...] = ("g", "bl")

    def grows(self, before: Params, after: Params) -> bool:
        return before["g"] != after["g"] or before["bl"] != after["bl"]

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        out = f"class Color{i}(enum.Enum):\n    RED = {p['vr']}\n"
        if p["g"]:
            out += f"    GREEN = {p['vg']}\n"
        if p["bl"]:
            out += f"    BLUE = {p['vb']}\n"
        return (
            out + f"\n    def describe(self):\n        return self.value * {p['k']}\n"
        )

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        c = f"{m}.Color{i}"
        out = []
        for member, on in (("RED", 1), ("GREEN", p["g"])):
            if on:
                probes = (
                    f"H is {c}.{member}",
                    f"H == {c}.{member}",
                    "H.value",
                    "H.name",
                    "H.describe()",
                    f"isinstance(H, {c})",
                )
                out.append(Subject(member.lower(), f"{c}.{member}", probes))
        whole = ("[x.name for x in H]", f"H({p['vr']}).name", f"H.RED is {c}.RED")
        out.append(Subject("cls", c, whole, alias=f"Color{i}"))
        return out

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"Color{i}",)


class NTuple(Kind):
    """A ``typing.NamedTuple`` with a method, gaining and losing a field."""

    name = "namedtuple"
    ranges = {"k": (1, 9), "yd": (1, 9)}
    edits: tuple[str, ...] = ("k",)
    flags: tuple[str, ...] = ("y",)

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        field = f"    y: int = {p['yd']}\n" if p["y"] else ""
        return (
            f"class P{i}(typing.NamedTuple):\n    x: int\n{field}\n"
            f"    def norm(self):\n        return self.x * {p['k']}\n"
        )

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        c = f"{m}.P{i}"
        probes = ("H.norm()", "tuple(H)", f"isinstance(H, {c})", "repr(H)")
        return [
            Subject("inst", f"{c}(3)", probes),
            Subject("cls", c, ("H(2).norm()", "H._fields"), alias=f"P{i}"),
        ]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"P{i}",)


class NTCall(Kind):
    """A ``collections.namedtuple(...)`` class made by a call."""

    name = "ntcall"
    flags: tuple[str, ...] = ("z",)

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        fields = '["x", "y", "z"], defaults=[0]' if p["z"] else '["x", "y"]'
        return f'PT{i} = collections.namedtuple("PT{i}", {fields})\n'

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        c = f"{m}.PT{i}"
        probes = ("tuple(H)", f"isinstance(H, {c})", "H._fields")
        return [
            Subject("inst", f"{c}(1, 2)", probes),
            Subject("cls", c, ("H._fields", "tuple(H(5, 6))"), alias=f"PT{i}"),
        ]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"PT{i}",)


class ClassRegistry(Kind):
    """A class decorator filling a registry, over a dataclass (maybe slotted)."""

    name = "classreg"
    ranges = {"k": (1, 9), "yd": (1, 9)}
    edits = ("k",)
    flags = ("slots", "y")

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        slots = "(slots=True)" if p["slots"] else ""
        field = f"    y: int = {p['yd']}\n" if p["y"] else ""
        return (
            f"CREG{i} = {{}}\n\n\ndef creg{i}(cls):\n"
            f"    CREG{i}[cls.__name__] = cls\n    return cls\n\n\n"
            f"@creg{i}\n@dataclasses.dataclass{slots}\nclass RC{i}:\n"
            f"    x: int\n{field}\n"
            f"    def val(self):\n        return self.x * {p['k']}\n"
        )

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        c = f"{m}.RC{i}"
        reg = (f"H['RC{i}'] is {c}", f"H['RC{i}'](2).val()", f"H['RC{i}'](2) == {c}(2)")
        inst = (
            "H.val()",
            f"isinstance(H, {c})",
            f"isinstance(H, {m}.CREG{i}['RC{i}'])",
        )
        return [
            Subject("reg", f"{m}.CREG{i}", reg, holds=True),
            Subject("inst", f"{c}(2)", inst),
            Subject("cls", c, ("H(3).val()",), alias=f"RC{i}"),
        ]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"RC{i}", f"CREG{i}", f"creg{i}")


class Pydantic(Kind):
    """A pydantic model with a method, gaining and losing a field."""

    name = "pydantic"
    ranges = {"k": (1, 9), "yd": (1, 9)}
    edits = ("k",)
    flags = ("y", "dflt")

    def grows(self, before: Params, after: Params) -> bool:
        return before["y"] != after["y"]

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        field = f"    y: int = {p['yd']}\n" if p["y"] else ""
        plus = " + self.y" if p["y"] else ""
        out = (
            f"class PM{i}(pydantic.BaseModel):\n    x: int\n{field}\n"
            f"    def total(self):\n        return self.x * {p['k']}{plus}\n"
        )
        if p["dflt"]:
            out += f"\n\nPDEF{i} = PM{i}(x=3)\n"
        return out

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        c = f"{m}.PM{i}"
        probes = [
            "H.total()",
            f"isinstance(H, {c})",
            "H.model_dump()",
            f"{c}.model_validate(H).total()",
            f"H == {c}(x=3)",
        ]
        if p["y"]:
            probes.append("H.y")
        cls = (
            "H(x=4).total()",
            "isinstance(H.model_validate({'x': 5}), H)",
            "H.model_validate({'x': 5}).total()",
            "sorted(H.model_fields)",
        )
        out = [
            Subject("inst", f"{c}(x=3)", tuple(probes)),
            Subject("cls", c, cls, alias=f"PM{i}"),
        ]
        if p["dflt"]:
            out.append(Subject("dflt", f"{m}.PDEF{i}", tuple(probes), alias=f"PDEF{i}"))
        return out

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"PM{i}", f"PDEF{i}")


class Attrs(Kind):
    """An ``attrs.define`` class (slotted; maybe frozen), gaining a field."""

    name = "attrs"
    ranges = {"k": (1, 9), "yd": (1, 9)}
    edits = ("k",)
    flags = ("frozen", "y")

    def render(self, m: str, i: int, p: Params, dep: Dep | None) -> str:
        deco = "@attrs.frozen" if p["frozen"] else "@attrs.define"
        field = f"    y: int = {p['yd']}\n" if p["y"] else ""
        plus = " + self.y" if p["y"] else ""
        return (
            f"{deco}\nclass AT{i}:\n    x: int\n{field}\n"
            f"    def total(self):\n        return self.x * {p['k']}{plus}\n"
        )

    def subjects(self, m: str, i: int, p: Params, dep: Dep | None) -> list[Subject]:
        c = f"{m}.AT{i}"
        probes = ["H.total()", f"isinstance(H, {c})", "repr(H)", f"H == {c}(3)"]
        if p["y"]:
            probes.append("H.y")
        return [
            Subject("inst", f"{c}(3)", tuple(probes)),
            Subject("cls", c, ("H(4).total()", "repr(H(4))"), alias=f"AT{i}"),
        ]

    def names(self, i: int, dep: Dep | None) -> tuple[str, ...]:
        return (f"AT{i}",)
