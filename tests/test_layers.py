"""One-way layers: no module imports a package from a higher layer.

Every package has a rank of its own (lower may be imported by higher, never the reverse),
so the order below is the one way imports go. Imports inside functions count too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "conveyor"

ORDER = [
    "diagnostics",  # positioned diagnostics (pure)
    "errors",  # the one exception tree (pure)
    "filters",  # GitHub filter patterns (pure)
    "expressions",  # the expression language (pure)
    "workflow",  # YAML with positions, the model, validation (pure)
    "planner",  # firing, graph, matrix, runs-on, the typed plan (pure)
    "engine",  # orchestration, behind the ports it defines
    "git",  # facts from git
    "runners",  # step processes
    "console",  # terminal output of events
    "store",  # run history: SQLite / PostgreSQL
    "results",  # test results: ingest, flaky, stats, shards
    "reporting",  # reports, notifications, gc
    "delivery",  # environments, approvals, artifacts, deployments (the domain and its ports)
    "providers",  # where deployments go: local processes behind a router, AWS Lambda
    "tiers",  # conveyor.toml tiers and the tier runner
    "actions",  # built-in and remote actions
    "executors",  # job processes
    "launch",  # the engine wired to executors, store, console
    "triggers",  # events from git, schedules
    "dashboard",  # the browser dashboard's pages (mounted by the server)
    "server",  # conveyor serve: webhooks, API, queue (FastAPI on uvicorn)
    "agent",  # the warm per-user agent that forks a worker per command (given the command)
    "cli",  # commands
    "client",  # the console script: hands commands to the agent, or runs them
    "__main__",
]
RANKS: dict[str, int] = {name: rank for rank, name in enumerate(ORDER)}
PURE = {"diagnostics", "errors", "expressions", "filters", "workflow", "planner"}


def _packages() -> set[str]:
    found = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    found |= {p.stem for p in SRC.glob("*.py") if p.stem not in ("__init__", "py")}
    return found


def test_every_package_has_a_rank_of_its_own() -> None:
    unranked = sorted(_packages() - set(RANKS))
    assert not unranked, f"give these packages a rank in ORDER: {unranked}"
    assert len(set(RANKS.values())) == len(RANKS)


def _top(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "conveyor" or len(parts) < 2:
        return None
    return parts[1]


# a module named in a string, as the lazy import tables write it: ``conveyor.pkg.mod[:name]``
_NAMED_MODULE = re.compile(r"conveyor(\.\w+)+(:[\w.]+)?")


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    """The module ``from .x import y`` / ``from ..x import y`` names, spelled from ``conveyor``."""
    if node.level == 0:
        return node.module or ""
    package = ["conveyor", *path.relative_to(SRC).parent.parts]  # the folder (an __init__'s too)
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports: at the top, inside functions, relative ones, and the
    ones it names in a string for ``importlib.import_module``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(path, node)
            found.append((node.lineno, module))
            found.extend((node.lineno, f"{module}.{a.name}") for a in node.names)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _NAMED_MODULE.fullmatch(node.value)
            and _top(node.value.partition(":")[0]) in RANKS  # not e.g. a Celery task name
        ):
            found.append((node.lineno, node.value.partition(":")[0]))
    return found


def test_no_module_imports_upward() -> None:
    problems: list[str] = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        own = rel.parts[0].removesuffix(".py") if rel.parts else ""
        if own in ("__init__", "py"):
            continue
        own_rank = RANKS[own]
        for line, module in _imports(path):
            top = _top(module)
            if top is None or top == own or top == "__version__":
                continue
            if RANKS[top] > own_rank:
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
