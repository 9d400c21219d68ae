"""The layout: the stage folders import toward model/, never in a circle.

Every `import` of the project's own modules counts, wherever it stands: at the top, inside a
function, or under TYPE_CHECKING. A new cycle, or a module of model/ that reaches out of it,
fails here with the modules that close the circle.
"""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "pipeline"
# Imported inside the commands that use them, for start-up time alone: they bring premailer,
# Jinja2, smtplib and requests, which `clinics check` never needs.
DEFERRED = {("pipeline.cli", "pipeline.build."), ("pipeline.cli", "pipeline.deliver.mail"),
            ("pipeline.cli", "pipeline.deliver.wiki"), ("pipeline.cli", "pipeline.serve.")}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, known: set[str]) -> list[tuple[str, bool]]:
    """Return the project modules `path` imports, each with whether the import is at the top level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name.startswith("pipeline") and name != "pipeline":
                found.append((name, id(node) in top))
                break
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: {target for target, _ in imports(path, set(found))} - {name} for name, path in found.items()}


def test_no_import_cycle() -> None:
    edges = graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for target in sorted(edges.get(name, ())):
            if state.get(target) == 1:
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def test_model_imports_nothing_else_of_the_project() -> None:
    outside = {(name, target) for name, targets in graph().items() if name.startswith("pipeline.model")
               for target in targets if not target.startswith("pipeline.model")}
    assert not outside


def test_adapters_import_nothing_else_of_the_project() -> None:
    outside = {(name, target) for name, targets in graph().items() if name.startswith("pipeline.adapters")
               for target in targets if not target.startswith("pipeline.adapters")}
    assert not outside


def test_imports_stand_at_the_top_but_for_the_deferred_stages() -> None:
    found = modules()
    inner = {(name, target) for name, path in found.items() for target, at_top in imports(path, set(found))
             if not at_top}
    deferred = {(name, target) for name, target in inner
                if any(name == a and target.startswith(b) for a, b in DEFERRED)}
    assert inner - deferred == set()


def test_the_checker_sees_the_imports_the_code_makes() -> None:
    """The checker sees a cycle when there is one: it is not blind to the way the code imports."""
    edges = graph()
    assert "pipeline.model.output" in edges["pipeline.render.email.mime"]
    assert "pipeline.check.archive" in edges["pipeline.cli"]
    assert any(target.startswith("pipeline.deliver") for target in edges["pipeline.cli"])
