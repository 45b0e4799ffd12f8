"""The module files of the rows built on code people write: slow imports, models.

Like ``corpus``, everything is deterministic: each tool's worker gets
byte-identical files, and later versions come from the same functions.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

SLOW = "hrb_slow"
MODELS = "hrb_models"
MODEL_COUNT = 50
EDITED = 25  # the model whose method body every edit changes
LOAD_SECONDS = 2.0
#: Where ``load()`` appends one line per call: next to the root, not in it,
#: so that no watcher sees it change.
LOAD_LOG = "hrb_loads.log"
FRAMEWORKS = ("pydantic", "sqlalchemy")


def slow_module(version: int) -> str:
    """A module whose import does 2 s of work; edits change only ``f``'s body."""
    return f'''"""A module whose import loads data for {LOAD_SECONDS:g} s."""

from __future__ import annotations

import time
from pathlib import Path

LOG = Path(__file__).resolve().parent.parent / "{LOAD_LOG}"


def load() -> list[int]:
    with LOG.open("a", encoding="utf-8") as log:
        log.write("load\\n")
    time.sleep({LOAD_SECONDS!r})  # a database query, a model file, a big CSV
    return list(range(1000))


DATA = load()


def total() -> int:
    return sum(DATA)


def f() -> int:
    return {version}
'''


def load_count(root: Path) -> int:
    """How many times ``load()`` ran for the corpus in ``root``."""
    log = root.parent / LOAD_LOG
    return len(log.read_text().splitlines()) if log.exists() else 0


def model_name(index: int) -> str:
    return f"Model{index:02d}"


def _pydantic(version: int) -> str:
    parts = [
        '"""50 pydantic models, as an app\'s schema module is."""\n\n'
        "from __future__ import annotations\n\n"
        "from pydantic import BaseModel, Field\n"
    ]
    for i in range(MODEL_COUNT):
        v = version if i == EDITED else 1
        parent = f"    parent: {model_name(i - 1)} | None = None\n" if i else ""
        parts.append(
            f"\n\nclass {model_name(i)}(BaseModel):\n"
            "    name: str\n"
            "    count: int = 0\n"
            "    tags: list[str] = Field(default_factory=list)\n"
            f"{parent}"
            "\n"
            "    def describe(self) -> str:\n"
            f'        return f"{{self.name}}:{{self.count}}:v{v}"\n'
        )
    return "".join(parts)


def _sqlalchemy(version: int) -> str:
    parts = [
        '"""50 SQLAlchemy 2 declarative models, as an app\'s models module is."""\n\n'
        "from __future__ import annotations\n\n"
        "from sqlalchemy import ForeignKey, String\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
        "class Base(DeclarativeBase):\n"
        "    pass\n"
    ]
    for i in range(MODEL_COUNT):
        v = version if i == EDITED else 1
        parent = (
            f"    parent_id: Mapped[int | None] = mapped_column(\n"
            f'        ForeignKey("{model_name(i - 1).lower()}.id")\n'
            "    )\n"
            if i
            else ""
        )
        parts.append(
            f"\n\nclass {model_name(i)}(Base):\n"
            f'    __tablename__ = "{model_name(i).lower()}"\n\n'
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    name: Mapped[str] = mapped_column(String(50))\n"
            "    count: Mapped[int] = mapped_column(default=0)\n"
            f"{parent}"
            "\n"
            "    def describe(self) -> str:\n"
            f'        return f"{{self.name}}:{{self.count}}:v{v}"\n'
        )
    return "".join(parts)


def models_module(framework: str, version: int) -> str:
    """50 models; edits change the body of one model's method, nothing else."""
    return {"pydantic": _pydantic, "sqlalchemy": _sqlalchemy}[framework](version)


def write_slow(root: Path) -> Path:
    path = root / f"{SLOW}.py"
    path.write_text(slow_module(1))
    return path


def write_models(framework: str) -> Callable[[Path], Path]:
    """A corpus writer for ``Runner.worker``: the models module of ``framework``."""

    def write(root: Path) -> Path:
        path = root / f"{MODELS}.py"
        path.write_text(models_module(framework, 1))
        return path

    return write
