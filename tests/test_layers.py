"""One-way layers: no module imports a package from a higher layer.

Rank (lower may be imported by higher, never the reverse):
0 diagnostics, errors, expressions, filters   (pure)
1 workflow                                     (pure: model, loader, validation)
2 planner                                      (pure)
3 engine                                       (orchestration, against ports it defines)
4 runners, git, console, store                 (I/O; the store owns every table)
5 results                                      (test results, on the store's tables)
6 reporting, tiers, actions, other features
7 triggers                                     (runs workflows with the actions)
8 cli, web, __main__                           (wiring)
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "conveyor"

RANKS: dict[str, int] = {
    "diagnostics": 0,
    "errors": 0,
    "expressions": 0,
    "filters": 0,
    "workflow": 1,
    "planner": 2,
    "engine": 3,
    "runners": 4,
    "store": 4,
    "git": 4,
    "console": 4,
    "results": 5,
    "reporting": 6,
    "tiers": 6,
    "actions": 6,
    "triggers": 7,
    "cli": 8,
    "web": 8,
    "__main__": 8,
}
# Packages not listed are I/O features (rank 6) unless named here.
DEFAULT_RANK = 6
PURE = {"diagnostics", "errors", "expressions", "filters", "workflow", "planner"}


def _top(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "conveyor" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
    return found


def test_no_module_imports_upward() -> None:
    problems: list[str] = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        own = rel.parts[0].removesuffix(".py") if rel.parts else ""
        if own in ("__init__", "py"):
            continue
        own_rank = RANKS.get(own, DEFAULT_RANK)
        for line, module in _imports(path):
            top = _top(module)
            if top is None or top == own or top == "__version__":
                continue
            if RANKS.get(top, DEFAULT_RANK) > own_rank:
                problems.append(f"{rel}:{line}: {own} (rank {own_rank}) imports {module}")
    assert not problems, "upward imports:\n" + "\n".join(sorted(set(problems)))


def test_pure_layers_do_no_process_or_network_io() -> None:
    banned = {"subprocess", "socket", "sqlalchemy", "httpx", "urllib.request", "shutil"}
    problems: list[str] = []
    for pkg in PURE:
        base = SRC / pkg
        files = list(base.rglob("*.py")) if base.is_dir() else [SRC / f"{pkg}.py"]
        for path in files:
            if not path.exists():
                continue
            for line, module in _imports(path):
                if module.split(".")[0] in banned or module in banned:
                    problems.append(f"{path.relative_to(SRC)}:{line}: imports {module}")
    assert not problems, "\n".join(problems)
