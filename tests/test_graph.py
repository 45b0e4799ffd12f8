"""Import graph ordering and the static import reader, as pure functions."""

from __future__ import annotations

from hotreload.graph import ImportGraph, static_imports


def graph(*edges: str) -> ImportGraph:
    g = ImportGraph()
    for edge in edges:
        importer, imported = edge.split("->")
        g.add(importer, imported)
    return g


def test_order_puts_dependencies_first_even_through_other_modules() -> None:
    g = graph("a->x", "x->b", "c->a")
    assert g.order(["a", "c", "b"]) == ["b", "a", "c"]
    assert g.order(["c", "b"]) == ["b", "c"]


def test_order_keeps_given_order_for_unrelated_modules_and_cycles() -> None:
    g = graph("p->q", "q->p")
    assert g.order(["z", "p", "q", "y"]) == ["z", "q", "p", "y"]
    assert g.order(["y", "y", "z"]) == ["y", "z"]


def test_deep_chain_needs_no_recursion() -> None:
    g = graph(*(f"m{i + 1}->m{i}" for i in range(5000)))
    assert g.order(["m5000", "m0"]) == ["m0", "m5000"]


def test_dependents_begin_restore_and_queries() -> None:
    g = graph("a->b", "c->a", "d->e")
    assert g.dependents(["b"]) == ["a", "c"]
    assert g.importers_of("b") == ["a"] and g.imports_of("c") == ["a"]
    old = g.begin("a")
    assert old == {"b"} and g.imports_of("a") == []
    g.restore("a", old)
    assert g.imports_of("a") == ["b"]
    g.forget("a")
    assert g.dependents(["b"]) == []
    g.add("x", "x")
    assert g.imports_of("x") == []


def test_static_imports_resolves_relative_names() -> None:
    src = (
        b"import os.path\nfrom . import sib\nfrom ..up import thing\nfrom m import n\n"
    )
    found = static_imports(src, "pkg.sub")
    assert {
        "os",
        "os.path",
        "pkg.sub",
        "pkg.sub.sib",
        "pkg.up",
        "pkg.up.thing",
    } <= found
    assert {"m", "m.n"} <= found
    assert static_imports(b"from ... import x\n", "pkg") == set()
    assert static_imports(b"def (:\n", "pkg") == set()
