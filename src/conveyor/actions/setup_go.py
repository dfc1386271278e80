"""Built-in ``actions/setup-go``: use an installed Go toolchain matching ``go-version``.

Searches PATH, ``/usr/local/go``, ``~/go``, ``~/sdk/go*`` (``golang.org/dl``) and
``/usr/lib/go-*``; ``$GOROOT/bin`` of the highest matching version goes on PATH.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from conveyor.actions.common import InputError, fail, home_dir, log
from conveyor.actions.toolsearch import (
    Tool,
    choose,
    describe,
    discover,
    expand,
    path_additions,
    path_entries,
)
from conveyor.actions.toolsearch import probe as run_probe
from conveyor.actions.version_files import requested_version
from conveyor.actions.versions import parse_version
from conveyor.engine.ports import ActionContext, ActionResult


def _identify(path: Path) -> Tool | None:
    lines = (run_probe(path, ["env", "GOVERSION", "GOROOT"]) or "").split()
    if len(lines) < 2 or not lines[0].startswith("go"):
        return None
    version = parse_version(lines[0])
    text = lines[0].removeprefix("go")
    return Tool(executable=path, version=version, home=lines[1], text=text) if version else None


def candidates(env: Mapping[str, str]) -> list[Path]:
    home = home_dir(env)
    patterns = [f"{entry}/go" for entry in path_entries(env)]
    patterns += [
        "/usr/local/go/bin/go",
        f"{home}/go/bin/go",
        f"{home}/go/go*/bin/go",
        f"{home}/sdk/go*/bin/go",
        "/usr/lib/go-*/bin/go",
        "/usr/local/go*/bin/go",
    ]
    return expand(patterns)


def run(context: ActionContext) -> ActionResult:
    try:
        spec = requested_version(context, "go")
    except (InputError, OSError, ValueError) as exc:
        return fail(context, f"setup-go: {exc}")
    tools = discover(candidates(context.env), _identify)
    tool = choose(spec, tools)
    if tool is None:
        wanted = spec.lstrip("v^~>=<").removeprefix("go") or "1.22"
        return fail(
            context,
            f"setup-go: no installed Go matches '{spec}'. Found: {describe(tools)}. Install it "
            f"with `go install golang.org/dl/go{wanted}@latest && go{wanted} download` or from "
            "https://go.dev/dl into /usr/local/go",
        )
    log(context, f"Using Go {tool.version_text} at {tool.home}")
    return ActionResult(
        outputs={"go-version": tool.version_text, "cache-hit": "false"},
        path=path_additions(Path(tool.home) / "bin", context.env),
    )
