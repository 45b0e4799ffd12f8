"""The public surface of DESIGN, and the layering of the package."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import pytest

import hotreload
from hotreload import Reloader, ReloadError, ReloadEvent

PACKAGE = Path(hotreload.__file__).parent

# Lower numbers are lower layers; a module imports only from lower layers
# (DESIGN "Layers": cli -> repl and the IPython extension -> reloader ->
# {watcher, engine, registry, graph} -> {roots, filters, events, errors, config}).
LAYERS = {
    "errors": 0,
    "events": 0,
    "bytecode": 0,
    "filters": 0,
    "batcher": 0,
    "switching": 0,
    "observer": 0,
    "graph": 0,
    "forking": 0,
    "quiet": 0,
    "registries": 0,
    "registrations": 0.5,  # finds the registries (0) for frameworks (1)
    "roots": 1,
    "reading": 1.5,
    "terminal": 1,
    "isolation": 1,
    "config": 1,
    "patching": 1,
    "names": 0,
    "plan": 1,
    "lookup": 2,
    "frameworks": 1,
    "enums": 1,
    "registry": 2,
    "incremental": 3,
    "functions": 3,
    "classes": 4,
    "engine": 5,
    "watcher": 2,
    "timelimit": 1,
    "imports": 5,
    "discover": 2,
    "reloader": 6,
    # The REPL's own parts (input editing, colours, results, ``?``, ``!``,
    # ``:timeit``, completion): they import nothing of the engine.
    "editing": 6,
    "palette": 6,
    "pretty": 6,
    "inspect_help": 6,
    "shell": 6,
    "timing": 6,
    "completion": 7,  # uses inspect_help
    "console": 7,
    "commands": 7,
    "lazy": 7,
    "repl": 8,
    "ipython": 8,
    "cli": 9,
    "__init__": 10,
    "__main__": 11,
}
# The REPL talks only to the Reloader (DESIGN: "the REPL only talks to Reloader").
REPL_MAY_USE = {
    "reloader",
    "events",
    "errors",
    "config",
    "console",
    "commands",
    "lazy",
    *("editing", "palette", "pretty", "inspect_help", "shell", "timing"),
    "completion",
}
_REPL_PARTS = {"editing", "palette", "pretty", "inspect_help", "shell", "timing"}


def test_all_is_the_contract() -> None:
    assert sorted(hotreload.__all__) == [
        "ReloadError",
        "ReloadEvent",
        "Reloader",
        "__version__",
    ]
    for name in hotreload.__all__:
        assert getattr(hotreload, name) is not None
    assert hotreload.__version__ == "0.1.0"


def test_public_names_show_the_public_path() -> None:
    for obj in (Reloader, ReloadEvent, ReloadError):
        assert obj.__module__ == "hotreload"


def test_reloader_signature_matches_design() -> None:
    params = inspect.signature(Reloader).parameters
    assert list(params) == [
        "paths",
        "debounce",
        "polling",
        "exclude",
        "cascade",
        "require",
        "apply",
        "follow_symlinks",
        "timeout",
    ]
    assert all(p.kind is p.KEYWORD_ONLY for p in list(params.values())[1:])
    defaults = {k: p.default for k, p in params.items() if k != "paths"}
    assert defaults == {
        "debounce": 0.01,
        "polling": False,
        "exclude": (),
        "cascade": False,
        "require": (),
        "apply": "auto",
        "follow_symlinks": False,
        "timeout": 10.0,
    }
    for method in (
        "start",
        "stop",
        "import_all",
        "reload",
        "track",
        "subscribe",
        "wait",
        "paused",
        "apply_pending",
        "__enter__",
        "__exit__",
    ):
        assert callable(getattr(Reloader, method))
    assert isinstance(vars(Reloader)["modules"], property)
    assert isinstance(vars(Reloader)["history"], property)


def test_reload_event_fields_and_json() -> None:
    names = {f.name for f in dataclasses.fields(ReloadEvent)}
    assert names >= {
        "module",
        "path",
        "ok",
        "trigger",
        "duration",
        "updated",
        "added",
        "removed",
        "rebound",
        "warnings",
        "error",
        "traceback",
    }
    event = ReloadEvent(
        module="m", path=Path("/x/m.py"), ok=False, trigger="file", error=KeyError("k")
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.ok = True  # type: ignore[misc]
    data = event.as_dict()
    import json

    assert json.loads(json.dumps(data))["error"] == "KeyError: 'k'"
    assert "m" in str(event) and "\n" not in str(event)


def _imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("hotreload."):
                found.add(node.module.split(".")[1])
            elif node.module == "hotreload":
                found.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("hotreload."):
                    found.add(alias.name.split(".")[1])
    return found


@pytest.mark.parametrize(
    "module", sorted(p.stem for p in PACKAGE.glob("*.py")), ids=str
)
def test_layering(module: str) -> None:
    assert module in LAYERS, f"{module}.py has no layer in this test"
    imported = _imports_of(PACKAGE / f"{module}.py") & set(LAYERS)
    for other in imported:
        assert LAYERS[other] < LAYERS[module], f"{module} imports {other}"
    if module in {"console", "commands", "repl", "ipython", "completion", *_REPL_PARTS}:
        assert imported <= REPL_MAY_USE, f"{module} reaches past the Reloader"
    if module in _REPL_PARTS:
        assert not imported, f"{module} is a leaf of the REPL"
    if module == "watcher":
        assert "engine" not in imported
    if module == "engine":
        assert "watcher" not in imported
