"""What hotreload knows of the frameworks whose classes and registries it meets.

The engine calls these functions, and nothing else of it:

- `takes_plain_methods(meta)`: may a method be added to a class of ``meta``
  with ``setattr`` alone, without running its class statement again?
- `refuse_rerun(cls)`: a class whose statement must not run again in a
  running process (SQLAlchemy mapped classes, Django models).
- `rebuild(kept, built, before)`: after a class statement ran again and
  its result was moved into the kept class, make pydantic (models and
  dataclasses), dataclasses and attrs point their machinery at the kept
  class, and give instances made earlier the defaults of the fields they
  lack; `field_names(cls)`, taken before the move, tells it whether any
  field is new.
- `before_definition(func, decorators)`: before a decorated ``def`` runs
  again, forget the routes and commands its decorators made last time
  (Flask, FastAPI/Starlette, click, ``functools.singledispatch``), so that
  nothing is registered twice; `Reregistration` puts them back on rollback.
- `open_setup(namespace)`: around a reload, let the Flask apps and
  blueprints of the module take routes after their first request.

`before_definition` and `Reregistration` live in `hotreload.registrations`,
`open_setup` in `hotreload.registries`; they are re-exported here.

No framework is imported here: a class is recognised by the modules and
names of the classes in its MRO, and a framework that is not in
``sys.modules`` cannot own any object, so ``import hotreload`` stays light.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import gc
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any, Final

from hotreload.registrations import Reregistration, before_definition
from hotreload.registries import class_names, open_setup

__all__ = [
    "Reregistration",
    "before_definition",
    "field_names",
    "open_setup",
    "rebuild",
    "refuse_rerun",
    "takes_plain_methods",
]

# Metaclasses whose classes accept a plain function set or deleted on them:
# none of them builds anything from a method at class creation.
_PLAIN_METHOD_METAS: Final = frozenset(
    {
        "pydantic._internal._model_construction.ModelMetaclass",
        "sqlalchemy.orm.decl_api.DeclarativeMeta",
        "sqlalchemy.orm.decl_api.DeclarativeAttributeIntercept",
        "sqlalchemy.orm.decl_api.DCTransformDeclarative",
        "django.db.models.base.ModelBase",
    }
)
_PYDANTIC_MODEL: Final = "pydantic.main.BaseModel"
_WRAPPED_DEPTH: Final = 16
_DJANGO_MODEL_META: Final = "django.db.models.base.ModelBase"


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def takes_plain_methods(meta: type) -> bool:
    """Whether classes made by ``meta`` take a plain function as it is.

    True when a function can be added to (``setattr``) or removed from
    (``delattr``) such a class without running its class statement again:
    ``type``, ``abc.ABCMeta``, pydantic v2 models, SQLAlchemy 2 declarative
    classes and Django models. Any other metaclass may build something from
    a class's methods when it makes the class, so the answer is False.
    """
    return meta is type or meta is abc.ABCMeta or _name(meta) in _PLAIN_METHOD_METAS


def refuse_rerun(cls: type) -> str | None:
    """Why the class statement of the live class ``cls`` must not run again.

    Called before the engine runs a changed class statement whose fields
    changed. SQLAlchemy has mapped ``cls`` to a table and Django has
    registered the model with its app and database schema: running the
    statement again in the same process either fails deep inside the
    framework or leaves two mappings of one table.

    Returns:
        A message naming the class and what to do (restart, migrate), or
        None when the statement may run again.
    """
    name = cls.__qualname__
    if "_sa_class_manager" in vars(cls) or "__mapper__" in vars(cls):
        return (
            f"{name}: a SQLAlchemy mapped class cannot be defined again in a "
            "running process (this edit changes more than its method bodies: "
            "columns, table or decorated methods); restart to apply it"
        )
    if "_sa_registry" in vars(cls) and cls.__subclasses__():
        return (
            f"{name}: a SQLAlchemy declarative base with mapped classes cannot "
            "be defined again in a running process; restart to apply this edit"
        )
    if _DJANGO_MODEL_META in class_names(type(cls)) and "_meta" in vars(cls):
        return (
            f"{name}: a Django model cannot be defined again in a running "
            "process (this edit changes more than its method bodies: fields, "
            "Meta or decorated methods); write a migration if its table "
            "changes, and restart to apply it"
        )
    return None


# --------------------------------------------------------------------------
# rebuild: class machinery and instances made earlier
# --------------------------------------------------------------------------


def field_names(cls: type) -> frozenset[str] | None:
    """The fields of a pydantic model, dataclass or attrs class; None for others.

    Taken by the engine before it moves a rebuilt class into ``cls`` and
    handed to `rebuild`, it spares the search for instances when no field
    was added.
    """
    fields = _declared_fields(cls)
    return None if fields is None else frozenset(fields)


def rebuild(kept: type, built: type, before: frozenset[str] | None = None) -> list[str]:
    """Make the framework machinery of ``kept`` as if ``kept`` had been built.

    The engine ran a class statement again (its fields changed), which made
    ``built``, and moved ``built``'s attributes into ``kept``; ``built`` is
    ``kept`` itself when the class statement and its decorators worked on
    the kept class directly (a plain class under ``@dataclass``). Functions the
    framework generated for ``built`` still refer to it, and pydantic's
    validator still makes instances of ``built``: here they are pointed at
    ``kept``. Instances of ``kept`` made before the edit get the default of
    each field they lack (frozen and slotted ones too).

    Args:
        kept: the class objects everywhere hold.
        built: the class the statement made, or ``kept``.
        before: `field_names` of ``kept`` before the move, if known; when no
            field is new, instances are not looked for (a heap walk).

    Returns:
        Warnings for what could not be done: instances left without a field
        that has no default, a pydantic model whose schema failed to build.
    """
    for value in vars(kept).values():
        _point_cells(value, built, kept)
    warnings: list[str] = []
    is_model = _PYDANTIC_MODEL in class_names(kept)
    if is_model or "__pydantic_validator__" in vars(kept):  # pydantic dataclasses too
        warnings += _rebuild_pydantic(kept, is_model)
    fields = _declared_fields(kept)
    if fields is not None and (before is None or not set(fields) <= before):
        warnings += _fill_instances(kept, fields, is_model)
    return warnings


def _functions(value: Any) -> Iterator[types.FunctionType]:
    """The plain functions behind a class attribute (methods, properties...).

    Only types known to hold functions are looked into: any other class
    attribute may answer ``getattr`` in its own way.
    """
    if isinstance(value, staticmethod | classmethod):
        value = value.__func__
    if isinstance(value, property):
        for part in (value.fget, value.fset, value.fdel):
            yield from _functions(part)
    elif isinstance(value, functools.cached_property):
        yield from _functions(value.func)
    elif isinstance(value, types.FunctionType):
        for _ in range(_WRAPPED_DEPTH):  # functools.wraps chains
            yield value
            value = value.__dict__.get("__wrapped__")
            if not isinstance(value, types.FunctionType):
                break


def _point_cells(value: Any, built: type, kept: type) -> None:
    """Closure cells holding ``built`` (``cls`` of generated code, ``super()``)
    now hold ``kept``."""
    for func in _functions(value):
        for cell in func.__closure__ or ():
            with contextlib.suppress(ValueError):  # an empty cell
                if cell.cell_contents is built:
                    cell.cell_contents = kept


def _rebuild_pydantic(kept: Any, is_model: bool) -> list[str]:
    """Regenerate the schema, validator and serializer of a pydantic model
    (or of a pydantic dataclass)."""
    decorators = kept.__dict__.get("__pydantic_decorators__")
    if decorators is not None:
        for group in (
            decorators.validators,
            decorators.field_validators,
            decorators.root_validators,
            decorators.field_serializers,
            decorators.model_serializers,
            decorators.model_validators,
            decorators.computed_fields,
        ):
            for key, decorator in list(group.items()):
                group[key] = _bind_decorator(decorator, kept)
    try:
        # A forward reference that does not resolve yet leaves the model
        # waiting for it, as a fresh import would (raise_errors=False).
        if is_model:
            kept.model_rebuild(force=True, raise_errors=False, _types_namespace={})
        else:
            sys.modules["pydantic.dataclasses"].rebuild_dataclass(
                kept, force=True, raise_errors=False, _types_namespace={}
            )
    except (
        Exception
    ) as exc:  # pragma: no cover - schema errors surface when the class statement runs
        return [f"{kept.__qualname__}: pydantic could not rebuild its schema: {exc}"]
    return []


def _bind_decorator(decorator: Any, kept: type) -> Any:
    """A pydantic validator or serializer taken again from ``kept``
    (a classmethod bound to the built class would make ``cls`` wrong)."""
    try:
        return decorator.bind_to_cls(kept, decorator.cls_ref)
    except TypeError:  # pragma: no cover - pydantic before 2.12: bind_to_cls(cls)
        return decorator.bind_to_cls(kept)


_MISSING: Final = object()


def _declared_fields(kept: type) -> dict[str, Callable[[], Any] | None] | None:
    """Each field of ``kept`` and how to make its default (None: no default).

    None when ``kept`` is none of the classes whose fields are known.
    """
    model_fields = kept.__dict__.get("__pydantic_fields__")
    if model_fields is not None and "__dataclass_fields__" not in kept.__dict__:
        return {name: _pydantic_default(info) for name, info in model_fields.items()}
    dc_fields = kept.__dict__.get("__dataclass_fields__")
    if dc_fields is not None:
        return {
            name: _dataclass_default(f)
            for name, f in dc_fields.items()
            if getattr(f._field_type, "name", "") == "_FIELD"
        }
    attrs = kept.__dict__.get("__attrs_attrs__")
    if attrs is not None:
        return {a.name: _attrs_default(a.default) for a in attrs}
    return None


def _pydantic_default(info: Any) -> Callable[[], Any] | None:
    if info.default_factory is None and info.is_required():
        return None

    def make() -> Any:
        try:
            return info.get_default(call_default_factory=True, validated_data={})
        except TypeError:  # pragma: no cover - pydantic before 2.10
            return info.get_default(call_default_factory=True)

    return make


def _dataclass_default(field: Any) -> Callable[[], Any] | None:
    factory = field.default_factory
    if callable(factory):
        return factory  # type: ignore[no-any-return]
    default = field.default
    if type(default).__name__ == "_MISSING_TYPE":
        return None
    return lambda: default


def _attrs_default(default: Any) -> Callable[[], Any] | None:
    if type(default).__name__ == "_Nothing":
        return None
    factory = getattr(default, "factory", None)
    if callable(factory) and type(default).__name__ == "Factory":
        if getattr(default, "takes_self", False):
            return None  # needs the instance: counted as lacking
        return factory  # type: ignore[no-any-return]
    return lambda: default


def _fill_instances(
    kept: type, fields: dict[str, Callable[[], Any] | None], is_pydantic: bool
) -> list[str]:
    """Give instances of ``kept`` made earlier the fields they lack.

    Instances of a heap type refer to their type, so ``gc.get_referrers``
    finds them; a field change is a layout change, and may scan the heap
    once. Subclasses have fields of their own and are left to their own
    rebuild.
    """
    lacking: dict[str, int] = {}
    for obj in gc.get_referrers(kept):
        if type(obj) is not kept:
            continue
        for name, make in fields.items():
            if _has_field(obj, name, is_pydantic):
                continue
            if make is None:
                lacking[name] = lacking.get(name, 0) + 1
                continue
            try:
                value = make()
                if is_pydantic:
                    obj.__dict__[name] = value
                else:
                    object.__setattr__(obj, name, value)  # frozen ones too
            except Exception:  # a default factory that fails, a full slot layout
                lacking[name] = lacking.get(name, 0) + 1
        if is_pydantic:
            _drop_removed_pydantic(obj, fields)
    return [
        f"{kept.__qualname__}: {count} instance{'s' if count > 1 else ''} made "
        f"before the edit lack{'' if count > 1 else 's'} the field {name!r}, "
        "which has no default"
        for name, count in lacking.items()
    ]


def _has_field(obj: Any, name: str, is_pydantic: bool) -> bool:
    if is_pydantic:
        return name in obj.__dict__
    try:
        data = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        data = None
    if data is not None and name in data:
        return True
    slot = getattr(type(obj), name, None)
    if isinstance(slot, types.MemberDescriptorType):
        try:
            slot.__get__(obj, type(obj))
        except AttributeError:
            return False
        except TypeError:  # a slot of another layout: not this class's to fill
            return True
        return True
    return False


def _drop_removed_pydantic(obj: Any, fields: dict[str, Any]) -> None:
    """A field gone from the model is gone from its instances too."""
    for name in [n for n in obj.__dict__ if n not in fields]:
        del obj.__dict__[name]
    fields_set = getattr(obj, "__pydantic_fields_set__", None)
    if isinstance(fields_set, set):
        fields_set.intersection_update(fields)
