"""Real edits to small apps built on the frameworks people use daily.

Each test imports a module under a temporary root, holds what a running
program holds (an app, a session, a group, instances), edits the file and
calls ``Reloader.reload``; the held objects must keep working with the new
code (DESIGN, reload contract items 2, 4, 11 and 12).
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from fastapi.testclient import TestClient

from hotreload import Reloader, ReloadEvent
from hotreload.errors import RestartNeeded
from tests.conftest import Mods
from tests.django_setup import configure as configure_django


@pytest.fixture(autouse=True)
def _anyio_workers_end() -> Iterator[None]:
    """Wait for the threads of TestClient's event loops, which end as they close.

    A sync endpoint runs in an AnyIO worker thread; the thread is told to
    stop when its loop's main task ends, and may still be on its way out
    when the request has returned.
    """
    yield
    for thread in threading.enumerate():
        if thread.name == "AnyIO worker thread":
            thread.join(timeout=10)


# Sessions the SQLAlchemy scenarios open; closed when the test ends.
_SESSIONS: list[Any] = []


@pytest.fixture(autouse=True)
def _databases_closed(mods: Mods) -> Iterator[None]:
    """Close the SQLite connections a scenario's apps opened, as its test ends.

    Python 3.13 warns of a connection left to the garbage collector, which
    would then fail whichever test happens to collect it.
    """
    yield
    while _SESSIONS:
        _SESSIONS.pop().close()
    for name, module in list(sys.modules.items()):
        if not name.startswith(mods.prefix):
            continue
        for value in list(vars(module).values()):
            if isinstance(value, sa.engine.Engine):
                value.dispose()
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


@pytest.fixture
def rl(mods: Mods) -> Iterator[Reloader]:
    """A reloader whose import hook sees each module's first import."""
    reloader = Reloader(mods.root)
    assert reloader.import_all() == []  # an empty root yet: installs the hook
    yield reloader
    reloader.stop()


def load(mods: Mods, base: str, source: str) -> tuple[str, Any]:
    name = mods.name(base)
    mods.write(name, source)
    return name, importlib.import_module(name)


def edit(mods: Mods, rl: Reloader, name: str, source: str) -> ReloadEvent:
    mods.write(name, source)
    return rl.reload(name)


def ok(event: ReloadEvent) -> ReloadEvent:
    assert event.ok, f"{event.error!r}\n{event.traceback}"
    return event


# -- pydantic v2 ----------------------------------------------------------------

ITEMS = """
from pydantic import BaseModel


class Item(BaseModel):
    name: str

    def label(self):
        return "v1 " + self.name


class Order(BaseModel):
    item: Item


def helper():
    return 1
"""


def test_pydantic_method_edit_keeps_the_model(mods, rl):
    name, m = load(mods, "items", ITEMS)
    item_cls, validator = m.Item, m.Item.__pydantic_validator__
    old = m.Item(name="a")

    ok(edit(mods, rl, name, ITEMS.replace('"v1 "', '"v2 "')))

    assert m.Item is item_cls
    assert m.Item.__pydantic_validator__ is validator  # no rebuild
    assert old.label() == "v2 a"
    new = m.Item.model_validate({"name": "b"})
    assert type(new) is item_cls and new.label() == "v2 b"
    assert m.Item.model_validate(old) is old
    assert type(m.Order.model_validate({"item": {"name": "c"}}).item) is item_cls


def test_pydantic_unrelated_edit_keeps_the_model(mods, rl):
    name, m = load(mods, "items", ITEMS)
    item_cls = m.Item
    old = m.Item(name="a")

    ok(edit(mods, rl, name, ITEMS.replace("return 1", "return 2")))

    assert m.helper() == 2
    assert type(m.Item.model_validate({"name": "b"})) is item_cls
    assert m.Order(item=old).item is old


def test_pydantic_field_added_with_default(mods, rl):
    name, m = load(mods, "items", ITEMS)
    item_cls = m.Item
    old = m.Item(name="a")

    ok(edit(mods, rl, name, ITEMS.replace("name: str", "name: str\n    size: int = 3")))

    assert m.Item is item_cls and isinstance(old, m.Item)
    assert old.size == 3
    assert old.model_dump() == {"name": "a", "size": 3}
    new = m.Item.model_validate({"name": "b", "size": 4})
    assert type(new) is item_cls and new.size == 4
    order = m.Order.model_validate({"item": {"name": "c", "size": 5}})
    assert type(order.item) is item_cls and order.item.size == 5


ORDERS = """
from pydantic import BaseModel

from {items} import Item


class Order(BaseModel):
    item: Item
"""


def test_pydantic_model_in_an_importer_follows_with_cascade(mods):
    reloader = Reloader(mods.root, cascade=True)
    try:
        assert reloader.import_all() == []
        items_name, items = load(mods, "items", ITEMS)
        _, orders = load(mods, "orders", ORDERS.format(items=items_name))
        held = orders.Order(item=items.Item(name="a"))
        changed = ITEMS.replace("name: str", "name: str\n    size: int = 3")
        ok(edit(mods, reloader, items_name, changed))
    finally:
        reloader.stop()

    order = orders.Order.model_validate({"item": {"name": "b", "size": 4}})
    assert type(order.item) is items.Item and order.item.size == 4
    assert held.item.size == 3 and isinstance(held, orders.Order)


def test_pydantic_fifty_models_one_method_edit_rebuilds_none(mods, rl):
    source = "from pydantic import BaseModel\n" + "".join(
        f"\n\nclass M{i}(BaseModel):\n    a: int\n    b: str = 'x'\n\n"
        f"    def total(self):\n        return self.a + {i}\n"
        for i in range(50)
    )
    name, m = load(mods, "models50", source)
    before = {i: getattr(m, f"M{i}").__pydantic_validator__ for i in range(50)}
    old = m.M17(a=1)

    event = ok(edit(mods, rl, name, source.replace("self.a + 17", "self.a * 100")))

    assert event.updated and all("M17" in q for q in event.updated)
    assert old.total() == 100
    after = {i: getattr(m, f"M{i}").__pydantic_validator__ for i in range(50)}
    assert all(after[i] is before[i] for i in range(50))


# -- SQLAlchemy 2 declarative -------------------------------------------------------

USERS = """
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))

    def greet(self):
        return "v1 " + self.name


engine = create_engine("sqlite://")
Base.metadata.create_all(engine)
"""


def _session(m: Any) -> Any:
    from sqlalchemy.orm import Session

    session = Session(m.engine)
    _SESSIONS.append(session)
    session.add(m.User(name="ann"))
    session.commit()
    return session


def test_sqlalchemy_method_edit(mods, rl):
    name, m = load(mods, "users", USERS)
    session = _session(m)
    user_cls, mapper, engine = m.User, sa.inspect(m.User), m.engine
    old = session.get(m.User, 1)

    source = USERS.replace('"v1 "', '"v2 "').replace(
        "\n\nengine",
        "\n    def shout(self):\n        return self.name.upper()\n\n\nengine",
    )
    ok(edit(mods, rl, name, source))

    assert m.User is user_cls and sa.inspect(m.User) is mapper
    assert m.engine is engine  # the statement did not run again
    assert old.greet() == "v2 ann" and old.shout() == "ANN"
    session.add(m.User(name="bob"))
    session.commit()
    users = session.scalars(sa.select(m.User).order_by(m.User.id)).all()
    assert [type(u) for u in users] == [user_cls, user_cls]
    assert [u.greet() for u in users] == ["v2 ann", "v2 bob"]


DB = """
from sqlalchemy import create_engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


engine = create_engine("sqlite://")
"""

MODELS = """
from sqlalchemy.orm import Mapped, mapped_column

from {db} import Base


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]

    def greet(self):
        return "v1 " + self.name
"""


def test_sqlalchemy_base_in_another_module(mods, rl):
    db_name, db = load(mods, "db", DB)
    source = MODELS.format(db=db_name)
    name, m = load(mods, "models", source)
    db.Base.metadata.create_all(db.engine)
    session = _session(type("Models", (), {"User": m.User, "engine": db.engine}))
    old = session.get(m.User, 1)

    for version in ("v2", "v3"):
        ok(edit(mods, rl, name, source.replace('"v1 "', f'"{version} "')))
        assert old.greet() == f"{version} ann"
    assert len(db.Base.metadata.tables) == 1
    assert session.get(m.User, 1) is old


def test_sqlalchemy_column_change_fails_clearly(mods, rl):
    name, m = load(mods, "users", USERS)
    session = _session(m)
    user_cls = m.User

    changed = USERS.replace(
        "String(30))", "String(30))\n    email: Mapped[str] = mapped_column(default='')"
    )
    event = edit(mods, rl, name, changed)

    assert not event.ok and isinstance(event.error, RestartNeeded)
    message = str(event.error)
    assert "User" in message and "restart" in message
    assert m.User is user_cls
    session.add(m.User(name="cid"))
    session.commit()
    assert [u.greet() for u in session.scalars(sa.select(m.User))] == [
        "v1 ann",
        "v1 cid",
    ]


# -- Django ------------------------------------------------------------------------

NOTES = """
from django.db import models


class Note(models.Model):
    title = models.CharField(max_length=40)

    class Meta:
        app_label = "{label}"

    def shout(self):
        return "v1 " + self.title
"""


def test_django_method_edit(mods, rl):
    configure_django()
    from django.db import connection

    label = mods.name("notes")
    source = NOTES.format(label=label)
    name, m = load(mods, "notes", source)
    with connection.schema_editor() as editor:
        editor.create_model(m.Note)
    note_cls = m.Note
    m.Note.objects.create(title="hi")

    source = (
        source.replace('"v1 "', '"v2 "')
        + "\n    def whisper(self):\n        return self.title.lower()\n"
    )
    event = ok(edit(mods, rl, name, source))

    assert event.warnings == ()
    assert m.Note is note_cls
    note = m.Note.objects.get()
    assert type(note) is note_cls
    assert note.shout() == "v2 hi" and note.whisper() == "hi"


def test_django_field_change_fails_clearly(mods, rl):
    configure_django()
    from django.apps import apps
    from django.db import connection

    label = mods.name("notes")
    source = NOTES.format(label=label)
    name, m = load(mods, "notes", source)
    with connection.schema_editor() as editor:
        editor.create_model(m.Note)
    note_cls = m.Note

    changed = source.replace(
        "max_length=40)",
        "max_length=40)\n    done = models.BooleanField(default=False)",
    )
    event = edit(mods, rl, name, changed)

    assert not event.ok and isinstance(event.error, RestartNeeded)
    assert "Note" in str(event.error) and "migration" in str(event.error)
    assert m.Note is note_cls
    assert apps.all_models[label]["note"] is note_cls
    m.Note.objects.create(title="yo")
    assert m.Note.objects.get().shout() == "v1 yo"


# -- click --------------------------------------------------------------------------

GROUP = """
import click


@click.group()
def cli():
    pass
"""

COMMANDS = """
import click

from {group} import cli


@cli.command()
def hello():
    click.echo("v1")
"""


def test_click_group_held_from_before_runs_the_edited_command(mods, rl):
    group_name, g = load(mods, "cli", GROUP)
    source = COMMANDS.format(group=group_name)
    name, _ = load(mods, "commands", source)
    group = g.cli
    runner = CliRunner()
    assert runner.invoke(group, ["hello"]).output == "v1\n"

    ok(edit(mods, rl, name, source.replace('"v1"', '"v2"')))
    assert runner.invoke(group, ["hello"]).output == "v2\n"

    options = source.replace(
        "@cli.command()\n", '@cli.command()\n@click.option("--n", default=3)\n'
    ).replace(
        'def hello():\n    click.echo("v1")', "def hello(n):\n    click.echo(n * 'v3')"
    )
    ok(edit(mods, rl, name, options))
    assert runner.invoke(group, ["hello"]).output == "v3v3v3\n"
    assert runner.invoke(group, ["hello", "--n", "1"]).output == "v3\n"
    assert list(group.commands) == ["hello"]

    added = options + '\n\n@cli.command()\ndef bye():\n    click.echo("bye")\n'
    ok(edit(mods, rl, name, added))
    assert runner.invoke(group, ["bye"]).output == "bye\n"
    assert list(group.commands) == ["hello", "bye"]


# -- Flask --------------------------------------------------------------------------

FLASK_APP = """
from flask import Flask

app = Flask(__name__)
"""

VIEWS = """
from {app} import app


@app.route("/")
def index():
    return "v1"
"""


def _rules(app: Any) -> list[str]:
    return sorted(str(r) for r in app.url_map.iter_rules())


def test_flask_view_edit_on_an_app_from_another_module(mods, rl):
    app_name, a = load(mods, "web", FLASK_APP)
    source = VIEWS.format(app=app_name)
    name, _ = load(mods, "views", source)
    client = a.app.test_client()
    assert client.get("/").text == "v1"
    rules = _rules(a.app)

    ok(edit(mods, rl, name, source.replace('"v1"', '"v2"')))
    assert client.get("/").text == "v2"
    ok(edit(mods, rl, name, source.replace('"v1"', '"v3"')))
    assert client.get("/").text == "v3"
    assert _rules(a.app) == rules


def test_flask_route_added_after_the_first_request(mods, rl):
    app_name, a = load(mods, "web", FLASK_APP)
    source = VIEWS.format(app=app_name)
    name, _ = load(mods, "views", source)
    client = a.app.test_client()
    assert client.get("/").text == "v1"

    added = source + '\n\n@app.route("/new")\ndef new():\n    return "new"\n'
    ok(edit(mods, rl, name, added))

    assert client.get("/new").text == "new"
    assert client.get("/").text == "v1"
    assert len(_rules(a.app)) == 3  # static, /, /new


KEPT_APP = """
from flask import Flask

__hotreload_keep__ = ("app",)
app = Flask(__name__)


@app.route("/")
def index():
    return "v1"
"""


def test_flask_kept_app_serves_a_route_added_later(mods, rl):
    name, m = load(mods, "kept", KEPT_APP)
    app = m.app
    client = app.test_client()
    assert client.get("/").text == "v1"

    added = KEPT_APP + '\n\n@app.route("/more")\ndef more():\n    return "more"\n'
    ok(edit(mods, rl, name, added))

    assert m.app is app
    assert client.get("/more").text == "more"
    assert client.get("/").text == "v1"


# -- FastAPI ------------------------------------------------------------------------

API = """
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class ItemIn(BaseModel):
    name: str


@app.get("/items")
def list_items():
    return {"v": 1}


@app.post("/items")
def create(item: ItemIn):
    return item.model_dump()
"""


def _route_keys(app: Any) -> list[tuple[str, str]]:
    return sorted(
        (route.path, method)
        for route in app.routes
        for method in getattr(route, "methods", None) or ()
    )


def test_fastapi_route_body_edit(mods, rl):
    name, m = load(mods, "api", API)
    app = m.app
    client = TestClient(app)
    assert client.get("/items").json() == {"v": 1}
    routes = _route_keys(app)

    ok(edit(mods, rl, name, API.replace('{"v": 1}', '{"v": 2}')))

    assert m.app is app
    assert client.get("/items").json() == {"v": 2}
    assert _route_keys(app) == routes


def test_fastapi_request_model_gains_a_field(mods, rl):
    name, m = load(mods, "api", API)
    app = m.app
    client = TestClient(app)
    assert client.post("/items", json={"name": "a"}).json() == {"name": "a"}
    routes = _route_keys(app)

    ok(edit(mods, rl, name, API.replace("name: str", "name: str\n    qty: int = 1")))

    assert client.post("/items", json={"name": "a"}).json() == {"name": "a", "qty": 1}
    assert client.post("/items", json={"name": "b", "qty": 4}).json()["qty"] == 4
    assert _route_keys(app) == routes
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ItemIn"]
    assert "qty" in schema["properties"]


# -- attrs and dataclasses ------------------------------------------------------------

ATTRS = """
import attrs


@attrs.define(slots={slots})
class Point:
    x: int

    def norm(self):
        return abs(self.x)
"""


def test_attrs_field_added_with_default(mods, rl):
    source = ATTRS.format(slots=False)
    name, m = load(mods, "points", source)
    point_cls = m.Point
    old = m.Point(-2)

    ok(edit(mods, rl, name, source.replace("x: int", "x: int\n    y: int = 5")))

    assert m.Point is point_cls and isinstance(old, m.Point)
    assert old.y == 5 and old == m.Point(-2, 5)
    assert repr(old) == "Point(x=-2, y=5)"
    assert old.norm() == 2


def test_attrs_slotted_field_added_reaches_old_instances_or_says_so(mods, rl):
    source = ATTRS.format(slots=True)
    name, m = load(mods, "points", source)
    old = m.Point(-2)

    event = ok(edit(mods, rl, name, source.replace("x: int", "x: int\n    y: int = 5")))

    assert m.Point(1).y == 5
    if getattr(old, "y", None) != 5:
        assert any("Point" in w for w in event.warnings), event.warnings


DATACLASS = """
import dataclasses


@dataclasses.dataclass(frozen=True)
class Config:
    debug: bool = False


DEFAULT = Config()
"""


def test_frozen_dataclass_field_added_with_default(mods, rl):
    name, m = load(mods, "config", DATACLASS)
    config_cls, held = m.Config, m.DEFAULT

    changed = DATACLASS.replace(
        "debug: bool = False",
        "debug: bool = False\n"
        "    level: int = 2\n"
        "    tags: tuple = dataclasses.field(default_factory=tuple)",
    )
    ok(edit(mods, rl, name, changed))

    assert m.Config is config_cls and isinstance(held, m.Config)
    # A factory's default lives on no class attribute: the instance needs it.
    assert dataclasses.asdict(held) == {"debug": False, "level": 2, "tags": ()}
    assert m.DEFAULT.level == 2
    assert m.Config(level=3) == m.Config(False, 3, ())


# -- functools.singledispatch ---------------------------------------------------------

DISPATCH = """
import functools


@functools.singledispatch
def show(x):
    return "object"


@show.register
def _(x: int):
    return "int v1"


@show.register
def _(x: str):
    return "str v1"
"""


def test_singledispatch_several_underscores(mods, rl):
    name, m = load(mods, "dispatch", DISPATCH)
    show = m.show

    ok(edit(mods, rl, name, DISPATCH.replace(" v1", " v2")))
    assert (show(1), show("a"), show(1.5)) == ("int v2", "str v2", "object")

    ok(edit(mods, rl, name, DISPATCH.replace("x: str", "x: bytes")))
    assert (show(1), show(b"a"), show("a")) == ("int v1", "str v1", "object")


# -- a plugin registry of the user's ---------------------------------------------------

REGISTRY = """
PLUGINS = []


def plugin(func):
    PLUGINS.append(func)
    return func
"""

PLUGINS = """
from {registry} import plugin


@plugin
def on_save(doc):
    return "v1 " + doc
"""


def test_plugin_list_holds_each_function_once(mods, rl):
    registry_name, registry = load(mods, "registry", REGISTRY)
    source = PLUGINS.format(registry=registry_name)
    name, m = load(mods, "plugins", source)
    held = registry.PLUGINS[0]

    ok(edit(mods, rl, name, source.replace('"v1 "', '"v2 "')))
    assert [held] == registry.PLUGINS and held("a") == "v2 a"

    changed = source.replace("(doc)", "(doc, mark='!')").replace(
        '"v1 " + doc', '"v3 " + doc + mark'
    )
    ok(edit(mods, rl, name, changed))
    assert [held] == registry.PLUGINS and m.on_save is held
    assert held("a") == "v3 a!"


# -- Flask blueprints and FastAPI routers registered elsewhere ----------------------------

BLUEPRINT = """
from flask import Blueprint

bp = Blueprint("pages", __name__)


@bp.route("/page")
def page():
    return "v1"
"""

BLUEPRINT_APP = """
from flask import Flask

from {views} import bp

app = Flask(__name__)
app.register_blueprint(bp, url_prefix="/site")
"""


def test_flask_blueprint_registered_elsewhere(mods, rl):
    views_name, _ = load(mods, "pages", BLUEPRINT)
    _, a = load(mods, "site", BLUEPRINT_APP.format(views=views_name))
    client = a.app.test_client()
    assert client.get("/site/page").text == "v1"

    ok(edit(mods, rl, views_name, BLUEPRINT.replace('"v1"', '"v2"')))
    assert client.get("/site/page").text == "v2"

    added = BLUEPRINT + '\n\n@bp.route("/more")\ndef more():\n    return "more"\n'
    ok(edit(mods, rl, views_name, added))
    assert client.get("/site/more").text == "more"

    moved = added.replace('@bp.route("/page")', '@bp.route("/moved")')
    ok(edit(mods, rl, views_name, moved))
    assert client.get("/site/moved").text == "v1"
    assert client.get("/site/page").status_code == 404


ROUTER = """
from fastapi import APIRouter

router = APIRouter()


@router.get("/ping")
def ping():
    return {"v": 1}
"""

ROUTER_APP = """
from fastapi import FastAPI

from {views} import router

app = FastAPI()
app.include_router(router, prefix="/api")
"""


def test_fastapi_router_included_elsewhere(mods, rl):
    views_name, _ = load(mods, "router", ROUTER)
    _, a = load(mods, "service", ROUTER_APP.format(views=views_name))
    client = TestClient(a.app)
    assert client.get("/api/ping").json() == {"v": 1}

    ok(edit(mods, rl, views_name, ROUTER.replace('{"v": 1}', '{"v": 2}')))
    assert client.get("/api/ping").json() == {"v": 2}

    added = ROUTER + '\n\n@router.get("/pong")\ndef pong():\n    return {"pong": 1}\n'
    ok(edit(mods, rl, views_name, added))
    assert client.get("/api/pong").json() == {"pong": 1}

    moved = added.replace('@router.get("/ping")', '@router.get("/pinged")')
    ok(edit(mods, rl, views_name, moved))
    assert client.get("/api/pinged").json() == {"v": 1}
    assert client.get("/api/ping").status_code == 404
