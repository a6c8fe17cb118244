"""No import circle among the project's modules (import-linter's contracts check the layers; this checks the rest)."""

from __future__ import annotations

import grimp

PACKAGES = ("domain", "workflows", "activities", "adapters", "api", "starter")


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in graph.modules or imported.split(".")[0] not in PACKAGES:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module.split(".")[0] in PACKAGES and module not in index:
            visit(module)
    return sorted(found)


def test_no_module_imports_itself_through_others() -> None:
    graph = grimp.build_graph(*PACKAGES)
    assert len([m for m in graph.modules if m.split(".")[0] in PACKAGES]) > 90
    assert circles(graph) == []


def test_a_circle_is_found() -> None:
    graph = grimp.ImportGraph()
    for module in ("domain", "domain.a", "domain.b", "domain.c"):
        graph.add_module(module)
    graph.add_import(importer="domain.a", imported="domain.b")
    graph.add_import(importer="domain.b", imported="domain.a")
    graph.add_import(importer="domain.b", imported="domain.c")
    assert circles(graph) == [["domain.a", "domain.b"]]
