"""The framework adapters, called directly on the real frameworks.

Each test does by hand what the engine does around them: run a class
statement again, move the new class's attributes into the kept class, then
call `rebuild`; or evaluate a definition's decorators again and apply them
to the kept function between `before_definition` and `finish`.
"""

from __future__ import annotations

import abc
import dataclasses
import enum
import functools
import subprocess
import sys
import textwrap
import types
from typing import Any

import attrs
import click
import pydantic
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from flask import Blueprint, Flask
from sqlalchemy import orm

from hotreload.frameworks import (
    before_definition,
    field_names,
    open_setup,
    rebuild,
    refuse_rerun,
    takes_plain_methods,
)
from tests.django_setup import django_model

_SKIP = {"__dict__", "__weakref__"}


def _move(kept: type, built: type) -> None:
    """What the engine does before `rebuild`: ``built``'s dict into ``kept``."""
    for name in [n for n in vars(kept) if n not in vars(built) and n not in _SKIP]:
        type.__delattr__(kept, name)
    for name, value in vars(built).items():
        if name not in _SKIP and not isinstance(value, types.MemberDescriptorType):
            type.__setattr__(kept, name, value)


def _fn(func: Any) -> types.FunctionType:
    assert isinstance(func, types.FunctionType)
    return func


def _define(source: str, **names: Any) -> Any:
    namespace: dict[str, Any] = {"__name__": __name__, **names}
    exec(source, namespace)
    cls = namespace["M"]
    assert isinstance(cls, type)
    return cls


def _again(kept: type, source: str, **names: Any) -> list[str]:
    """Run ``source`` again (``M`` bound to the kept class), move, rebuild."""
    built = _define(source, M=kept, **names)
    assert built is not kept
    _move(kept, built)
    return rebuild(kept, built)


# --- takes_plain_methods ------------------------------------------------------


class _Meta(type):
    pass


class _Base(orm.DeclarativeBase):
    pass


def test_plain_metaclasses_take_plain_methods() -> None:
    legacy_base = orm.declarative_base()
    for meta in (
        type,
        abc.ABCMeta,
        type(pydantic.BaseModel),
        type(_Base),
        type(legacy_base),
        type(django_model("plainmeta", "Thing")),
    ):
        assert takes_plain_methods(meta), meta


def test_other_metaclasses_do_not() -> None:
    assert not takes_plain_methods(_Meta)
    assert not takes_plain_methods(enum.EnumType)


def test_a_method_set_on_a_mapped_class_keeps_its_mapper() -> None:
    class Row(_Base):
        __tablename__ = "adapter_rows"
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)

    mapper = sa.inspect(Row)
    assert takes_plain_methods(type(Row))
    setattr(Row, "double", lambda self: self.id * 2)  # noqa: B010
    assert Row(id=4).double() == 8  # type: ignore[attr-defined]
    delattr(Row, "double")
    assert not hasattr(Row, "double")
    assert sa.inspect(Row) is mapper


# --- refuse_rerun -------------------------------------------------------------


def test_a_mapped_class_refuses_to_run_again() -> None:
    class Account(_Base):
        __tablename__ = "adapter_accounts"
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)

    message = refuse_rerun(Account)
    assert message is not None
    assert "Account: a SQLAlchemy mapped class" in message and "restart" in message


def test_a_django_model_refuses_to_run_again() -> None:
    model = django_model("refuse", "Ticket")
    message = refuse_rerun(model)
    assert message is not None
    assert message.startswith("Ticket:") and "migration" in message


def test_other_classes_may_run_again() -> None:
    class Plain:
        pass

    class Model(pydantic.BaseModel):
        x: int

    assert refuse_rerun(Plain) is None
    assert refuse_rerun(Model) is None


def test_a_declarative_base_refuses_once_it_has_mapped_classes() -> None:
    class Base(orm.DeclarativeBase):
        pass

    assert refuse_rerun(Base) is None

    class Item(Base):
        __tablename__ = "adapter_items"
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)

    message = refuse_rerun(Base)
    assert message is not None and "Base: a SQLAlchemy declarative base" in message


# --- rebuild: pydantic ----------------------------------------------------------

_MODEL_V1 = """
class M(BaseModel):
    x: int

    @field_validator("x")
    @classmethod
    def check(cls, v):
        SEEN.append(cls)
        return v

    def label(self):
        return "v1"
"""

_MODEL_V2 = _MODEL_V1.replace(
    "x: int", "x: int\n    tags: list[str] = []\n    size: int = 7"
).replace('"v1"', '"v2"')


def _pydantic_names(seen: list[type]) -> dict[str, Any]:
    return {
        "BaseModel": pydantic.BaseModel,
        "field_validator": pydantic.field_validator,
        "SEEN": seen,
    }


def test_pydantic_model_validates_into_the_kept_class() -> None:
    seen: list[type] = []
    kept = _define(_MODEL_V1, **_pydantic_names(seen))
    old = kept.model_validate({"x": 1})

    assert _again(kept, _MODEL_V2, **_pydantic_names(seen)) == []

    new = kept.model_validate({"x": 2, "tags": ["a"]})
    assert type(new) is kept
    assert seen[-1] is kept  # the classmethod validator got the kept class
    assert new.model_dump() == {"x": 2, "tags": ["a"], "size": 7}
    assert kept.model_validate(old) is old
    assert old.label() == "v2"
    assert old.model_dump() == {"x": 1, "tags": [], "size": 7}
    assert old.tags is not kept.model_validate({"x": 3}).tags  # copied defaults
    assert "size" in kept.model_json_schema()["properties"]


def test_pydantic_removed_field_leaves_old_instances() -> None:
    names = _pydantic_names([])
    kept = _define(_MODEL_V2, **names)
    old = kept(x=1, size=3)
    assert _again(kept, _MODEL_V1, **names) == []
    assert old.model_dump() == {"x": 1}
    assert old.model_fields_set == {"x"}
    assert kept.model_validate_json('{"x": 5}').model_dump() == {"x": 5}


def test_pydantic_required_field_added_is_a_warning() -> None:
    names = _pydantic_names([])
    kept = _define(_MODEL_V1, **names)
    olds = [kept(x=1), kept(x=2)]
    warnings = _again(kept, _MODEL_V1.replace("x: int", "x: int\n    y: int"), **names)
    assert warnings == [
        "M: 2 instances made before the edit lack the field 'y', which has no default"
    ]
    assert all("y" not in o.__dict__ for o in olds)


def test_pydantic_models_that_reference_it_follow_when_rebuilt() -> None:
    names = _pydantic_names([])
    kept = _define(_MODEL_V1, **names)

    class Outer(pydantic.BaseModel):
        inner: kept  # type: ignore[valid-type]

    _again(kept, _MODEL_V2, **names)
    Outer.model_rebuild(force=True)
    outer = Outer.model_validate({"inner": {"x": 1, "size": 2}})
    assert type(outer.inner) is kept
    assert outer.model_dump() == {"inner": {"x": 1, "size": 2, "tags": []}}


# --- rebuild: dataclasses, attrs, named tuples ---------------------------------


@pytest.mark.parametrize(
    "decorator",
    [
        "dataclasses.dataclass",
        "dataclasses.dataclass(frozen=True)",
        "attrs.define(slots=False)",
        "attrs.frozen(slots=False)",
    ],
)
def test_fields_added_with_defaults_reach_old_instances(decorator: str) -> None:
    factory = (
        "dataclasses.field(default_factory=list)"
        if decorator.startswith("dataclasses")
        else "attrs.field(factory=list)"
    )
    v1 = f"@{decorator}\nclass M:\n    x: int\n"
    v2 = f"{v1}    items: list = {factory}\n    size: int = 7\n"
    names = {"dataclasses": dataclasses, "attrs": attrs}
    kept = _define(v1, **names)
    old = kept(1)
    assert _again(kept, v2, **names) == []
    assert old == kept(1, [], 7)
    assert repr(old) == "M(x=1, items=[], size=7)"
    assert type(kept(2)) is kept
    assert old.items is not kept(3).items
    if "frozen" in decorator:
        with pytest.raises(AttributeError):  # FrozenInstanceError, for kept too
            kept(1).x = 3


def test_dataclass_generated_code_refers_to_the_kept_class() -> None:
    v1 = "@dataclasses.dataclass(frozen=True)\nclass M:\n    x: int\n"
    kept = _define(v1, dataclasses=dataclasses)
    built = _define(v1 + "    y: int = 0\n", dataclasses=dataclasses, M=kept)
    _move(kept, built)
    rebuild(kept, built)
    cells = [
        c.cell_contents
        for value in vars(kept).values()
        if isinstance(value, types.FunctionType)
        for c in value.__closure__ or ()
    ]
    assert kept in cells and built not in cells


def test_dataclass_field_without_default_is_a_warning() -> None:
    v1 = "@dataclasses.dataclass\nclass M:\n    x: int\n"
    kept = _define(v1, dataclasses=dataclasses)
    old = kept(1)
    warnings = _again(kept, v1 + "    y: int\n", dataclasses=dataclasses)
    assert warnings == [
        "M: 1 instance made before the edit lacks the field 'y', which has no default"
    ]
    assert old.x == 1


def test_plain_class_rebuild_is_quiet() -> None:
    kept = _define("class M:\n    a = 1\n")
    assert _again(kept, "class M:\n    a = 2\n") == []
    assert kept.a == 2


# --- before_definition: Flask ---------------------------------------------------


def _view() -> str:
    return "one"


def test_flask_route_defined_again_replaces_its_rule() -> None:
    app = Flask("hr_adapters")
    app.route("/a")(_view)
    client = app.test_client()
    assert client.get("/a").text == "one"  # the first request: setup is finished

    close = open_setup({"app": app})  # around the whole reload
    decorator = app.route("/b")  # Flask checks its setup state already here
    again = before_definition(_fn(_view), [decorator])
    try:
        decorator(_view)
    finally:
        again.finish()
        close()
    assert again
    assert client.get("/b").text == "one"
    assert client.get("/a").status_code == 404
    assert [r.rule for r in app.url_map.iter_rules() if r.endpoint == "_view"] == ["/b"]
    with pytest.raises(AssertionError, match="first request"):
        app.route("/c")(lambda: "")  # Flask's check is back after the reload

    again.undo()
    assert client.get("/a").text == "one"
    assert client.get("/b").status_code == 404


def test_flask_blueprint_not_registered_yet() -> None:
    bp = Blueprint("parts", "hr_adapters")
    bp.route("/x")(_view)
    again = before_definition(_fn(_view), [bp.route("/y")])
    bp.route("/y")(_view)
    again.finish()
    app = Flask("hr_adapters")
    app.register_blueprint(bp)
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint == "parts._view"}
    assert rules == {"/y"}


# --- before_definition: FastAPI -------------------------------------------------


async def _endpoint() -> dict[str, int]:
    return {"v": 1}


def test_fastapi_route_defined_again_takes_the_old_place() -> None:
    app = FastAPI()
    app.get("/first")(_endpoint)

    @app.get("/{anything}")
    async def catch_all(anything: str) -> dict[str, str]:
        return {"caught": anything}

    count = len(app.routes)
    client = TestClient(app)
    schema = client.get("/openapi.json").json()
    assert "/first" in schema["paths"]

    again = before_definition(_fn(_endpoint), [app.get("/first", status_code=201)])
    app.get("/first", status_code=201)(_endpoint)
    again.finish()

    assert len(app.routes) == count
    response = client.get("/first")
    assert (response.status_code, response.json()) == (201, {"v": 1})
    assert "/first" in client.get("/openapi.json").json()["paths"]

    again.undo()
    assert client.get("/first").status_code == 200
    assert len(app.routes) == count


# --- before_definition: click, singledispatch, plain decorators ----------------


def test_click_command_defined_again_replaces_its_namesake() -> None:
    @click.group()
    def cli() -> None:
        pass

    def hello(n: str | None = None) -> None:
        click.echo(f"hello {n}")

    cli.command("hello")(hello)
    again = before_definition(_fn(hello), [cli.command("greet"), click.option("--n")])
    cli.command("greet")(click.option("--n")(hello))
    again.finish()
    assert list(cli.commands) == ["greet"]
    assert CliRunner().invoke(cli, ["greet", "--n", "1"]).output == "hello 1\n"

    again.undo()
    assert list(cli.commands) == ["hello"]


def test_singledispatch_forgets_the_old_type() -> None:
    @functools.singledispatch
    def show(x: object) -> str:
        return "object"

    def _(x: int) -> str:
        return "number"

    show.register(int)(_)
    assert show(1) == "number"
    again = before_definition(_fn(_), [show.register(str)])
    show.register(str)(_)
    again.finish()
    assert (show(1), show("s")) == ("object", "number")
    again.undo()
    assert (show(1), show("s")) == ("number", "object")


def test_decorators_without_registries_give_a_quiet_record() -> None:
    def plain() -> None:
        pass

    again = before_definition(_fn(plain), [functools.lru_cache, staticmethod])
    assert not again
    again.finish()
    again.undo()


def test_zero_argument_super_in_properties_finds_the_kept_class() -> None:
    source = (
        "class M(Base):\n"
        "    @property\n"
        "    def name(self):\n"
        "        return 'm+' + super().name\n"
        "    @staticmethod\n"
        "    def make():\n"
        "        return M()\n"
    )

    class Base:
        @property
        def name(self) -> str:
            return "base"

    kept = _define(source, Base=Base)
    old = kept()
    assert _again(kept, source.replace("'m+'", "'m2+'"), Base=Base) == []
    assert old.name == "m2+base"  # super() would raise with the built class


def test_defaults_that_need_the_instance_or_fail_are_warnings() -> None:
    v1 = "@attrs.define(slots=False)\nclass M:\n    x: int\n"
    v2 = (
        v1
        + "    y: int = attrs.field(default=attrs.Factory(lambda s: s.x, takes_self=True))\n"
        + "    z: int = attrs.field(factory=lambda: 1 // 0)\n"
    )
    kept = _define(v1, attrs=attrs)
    old = kept(1)
    assert _again(kept, v2, attrs=attrs) == [
        "M: 1 instance made before the edit lacks the field 'y', which has no default",
        "M: 1 instance made before the edit lacks the field 'z', which has no default",
    ]
    assert old.x == 1


def test_pydantic_forward_reference_waits_as_a_fresh_import_would() -> None:
    names = _pydantic_names([])
    kept = _define(_MODEL_V1, **names)
    v2 = _MODEL_V1.replace("x: int", "x: int\n    later: 'Later | None' = None")
    assert _again(kept, v2, **names) == []
    assert not kept.__pydantic_complete__

    class Later(pydantic.BaseModel):
        pass

    kept.model_rebuild(_types_namespace={"Later": Later})
    assert type(kept.model_validate({"x": 1})) is kept


def test_flask_registered_blueprint_takes_routes_during_a_reload() -> None:
    bp = Blueprint("late", "hr_adapters")
    bp.route("/x")(_view)
    app = Flask("hr_adapters")  # held by no module: found on the heap
    app.register_blueprint(bp, url_prefix="/pre")
    client = app.test_client()
    assert client.get("/pre/x").text == "one"
    with pytest.raises(AssertionError, match="registered"):
        bp.route("/y")

    close = open_setup({"bp": bp, "other": 3})
    decorator = bp.route("/y")
    again = before_definition(_fn(_view), [decorator])
    decorator(_view)
    again.finish()
    close()

    assert len(bp.deferred_functions) == 1
    assert client.get("/pre/y").text == "one"
    assert client.get("/pre/x").status_code == 404
    with pytest.raises(AssertionError, match="registered"):
        bp.route("/z")
    with pytest.raises(AssertionError, match="first request"):
        app.route("/z")

    again.undo()
    assert len(bp.deferred_functions) == 1
    assert client.get("/pre/x").text == "one"
    assert client.get("/pre/y").status_code == 404


def test_open_setup_without_a_started_app_does_nothing() -> None:
    close = open_setup({"app": Flask("hr_adapters"), "n": 1})
    close()


def test_singledispatchmethod_forgets_the_old_type() -> None:
    class Shape:
        @functools.singledispatchmethod
        def area(self, x: object) -> str:
            return "object"

    def _(self: Shape, x: int) -> str:
        return "number"

    method = vars(Shape)["area"]
    method.register(int)(_)
    again = before_definition(_fn(_), [method.register(float)])
    method.register(float)(_)
    again.finish()
    assert (Shape().area(1), Shape().area(1.5)) == ("object", "number")


def test_fastapi_request_model_rebuilt_then_route_defined_again() -> None:
    names = {"BaseModel": pydantic.BaseModel}
    v1 = "class M(BaseModel):\n    name: str\n"
    kept = _define(v1, **names)
    app = FastAPI()

    async def create(item: Any) -> Any:
        return item.model_dump()

    create.__annotations__["item"] = kept  # this file's annotations are strings
    app.post("/items")(create)
    client = TestClient(app)
    assert client.post("/items", json={"name": "a"}).json() == {"name": "a"}

    assert _again(kept, v1 + "    qty: int = 1\n", **names) == []
    decorator = app.post("/items")
    again = before_definition(_fn(create), [decorator])
    decorator(create)
    again.finish()

    assert client.post("/items", json={"name": "a"}).json() == {"name": "a", "qty": 1}
    assert [getattr(r, "path", "") for r in app.routes].count("/items") == 1


def test_pydantic_dataclass_validates_into_the_kept_class() -> None:
    names = {"pydantic": pydantic}
    v1 = "@pydantic.dataclasses.dataclass\nclass M:\n    x: int\n"
    kept = _define(v1, **names)
    old = kept(x=1)
    assert _again(kept, v1 + "    y: int = 4\n", **names) == []
    made = pydantic.TypeAdapter(kept).validate_python({"x": "2"})
    assert type(made) is kept and (made.x, made.y) == (2, 4)
    assert old.y == 4 and old == kept(1, 4)


PLUGINS: list[Any] = []
HOOKS: dict[str, Any] = {}


def plugin(func: Any) -> Any:
    PLUGINS.append(func)
    return func


def hook(name: str) -> Any:
    def register(func: Any) -> Any:
        HOOKS[name] = functools.wraps(func)(lambda *a: func(*a))
        return func

    return register


def test_plugin_lists_and_dicts_hold_the_function_once() -> None:
    def on_save() -> None:
        pass

    plugin(hook("save")(on_save))
    PLUGINS.append(len)
    before = dict(HOOKS)
    again = before_definition(_fn(on_save), [plugin, hook("store")])
    plugin(hook("store")(on_save))
    again.finish()
    assert PLUGINS[-2:] == [len, on_save] and PLUGINS.count(on_save) == 1
    assert "save" not in HOOKS and HOOKS["store"].__wrapped__ is on_save

    again.undo()
    assert PLUGINS[-2:] == [on_save, len]
    assert before == HOOKS


def test_atexit_registers_the_function_once() -> None:
    script = textwrap.dedent(
        """
        import atexit
        from hotreload.frameworks import before_definition

        @atexit.register
        def close():
            print("closed")

        again = before_definition(close, [atexit.register])
        atexit.register(close)
        again.finish()
        """
    )
    # atexit lists nothing: what runs at exit tells a second registration.
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=20
    )
    assert (done.returncode, done.stdout) == (0, "closed\n"), done.stderr


def test_no_field_added_means_no_search_for_instances() -> None:
    v1 = "@dataclasses.dataclass\nclass M:\n    x: int\n    y: list = None\n"
    kept = _define(v1, dataclasses=dataclasses)
    old = kept(1)
    del old.__dict__["y"]  # an instance the search would otherwise fill
    before = field_names(kept)
    assert before == frozenset({"x", "y"}) and field_names(int) is None
    v2 = v1.replace("= None", "= dataclasses.field(default_factory=list)")
    built = _define(v2, dataclasses=dataclasses, M=kept)
    _move(kept, built)
    assert rebuild(kept, built, before) == []
    assert "y" not in old.__dict__  # not looked for
    v3 = v2 + "    z: int = 0\n"
    built = _define(v3, dataclasses=dataclasses, M=kept)
    _move(kept, built)
    assert rebuild(kept, built, before) == []
    assert (old.y, old.z) == ([], 0)


class _Odd:
    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"nobody asks {name}")


def test_rebuild_looks_only_into_what_holds_functions() -> None:
    source = (
        "class M(Base):\n"
        "    odd = ODD\n"
        "    @functools.cached_property\n"
        "    def name(self):\n"
        "        return 'm+' + super().name\n"
    )

    class Base:
        name = "base"

    names = {"Base": Base, "ODD": _Odd(), "functools": functools}
    kept = _define(source, **names)
    assert _again(kept, source.replace("'m+'", "'m2+'"), **names) == []
    assert kept().name == "m2+base"


def test_proxies_that_cannot_answer_are_left_alone() -> None:
    from flask import current_app, request

    def view() -> str:
        return "v"

    def through_proxies(func: Any) -> Any:
        current_app.logger  # noqa: B018 - the global is read, never reached here
        return func

    class Decorator:
        def __init__(self) -> None:
            self.app = current_app

        def __call__(self, func: Any) -> Any:
            return func

    held = current_app  # in a closure cell below
    app = Flask("hr_adapters")

    def outer(func: Any) -> Any:
        assert held is not None
        return func

    close = open_setup({"current_app": current_app, "request": request, "app": app})
    close()
    again = before_definition(
        _fn(view),
        [outer, through_proxies, Decorator(), functools.partial(outer), app.route("/")],
    )
    app.route("/")(view)
    again.finish()
    assert again
    assert app.test_client().get("/").text == "v"
