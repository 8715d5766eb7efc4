"""The package's shape (issue 25): every module under 500 lines, and the import graph layered with
no cycle: engine/ imports nothing else of repro, protocol/ nothing of report/, and no module of the
library imports the CLI or the pytest plugin."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "repro"
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    """The repro modules `path` imports (at any depth of the file, functions included)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[:len(base) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names}
    return {m for m in found if m in modules and m != name}


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: imports(path, set(paths)) for name, path in paths.items()}


def test_every_module_is_under_500_lines():
    long = {str(p.relative_to(PACKAGE.parent)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_layers_point_down():
    wrong = []
    for name, targets in graph().items():
        for target in targets:
            if name.startswith("repro.engine") and not target.startswith("repro.engine"):
                wrong.append((name, target))
            if name.startswith("repro.protocol") and target.startswith("repro.report"):
                wrong.append((name, target))
            if target in ("repro.cli", "repro.pytest_plugin") and name not in ("repro.__main__", "repro.cli"):
                wrong.append((name, target))
    assert not wrong, wrong


#: The one allowed back edge: repro/__init__.py exports `load_claims` from repro.claim, and __init__ is
#: hashed into every cache key (repro/engine/fingerprint.py), so that name stays; it delegates to the
#: loader in repro.claimfiles inside the function.
ALLOWED_BACK_EDGES = {("repro.claim", "repro.claimfiles")}


def test_no_import_cycle():
    edges = {m: {t for t in ts if t != "repro" and (m, t) not in ALLOWED_BACK_EDGES}
             for m, ts in graph().items() if m != "repro"}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m: str, path: list[str]) -> bool:
        state[m] = 1
        for t in sorted(edges.get(m, ())):
            if state.get(t) == 1:
                cycle.extend(path[path.index(t):] + [t] if t in path else [m, t])
                return True
            if state.get(t) is None and visit(t, path + [t]):
                return True
        state[m] = 2
        return False

    for m in sorted(edges):
        if state.get(m) is None and visit(m, [m]):
            break
    assert not cycle, " -> ".join(cycle)
