"""Django configured once per test process: in-memory SQLite, no installed app."""

from __future__ import annotations

from typing import Any


def configure() -> None:
    """Configure Django's settings and app registry, once."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DATABASES={
                "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
            },
            INSTALLED_APPS=[],
            USE_TZ=True,
            DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        )
        django.setup()


def django_model(app_label: str, name: str) -> type[Any]:
    """A new Django model class ``name`` in the app ``app_label``."""
    configure()
    from django.db import models

    meta = type("Meta", (), {"app_label": app_label})
    attrs = {
        "__module__": f"hr_django_{app_label}",
        "Meta": meta,
        "title": models.CharField(max_length=20),
    }
    return type(name, (models.Model,), attrs)
