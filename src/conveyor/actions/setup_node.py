"""Built-in ``actions/setup-node``: use an installed Node.js matching ``node-version``.

Searches PATH, nvm (``$NVM_DIR/versions/node``), fnm, volta and the usual system
directories; the highest matching version's ``bin`` goes on PATH.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from conveyor.actions.common import InputError, fail, get_input, home_dir, log
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
    out = (run_probe(path, ["--version"]) or "").strip()
    version = parse_version(out) if out.startswith("v") else ()
    return Tool(executable=path, version=version, text=out) if version else None


def candidates(env: Mapping[str, str]) -> list[Path]:
    home = home_dir(env)
    nvm = env.get("NVM_DIR") or str(home / ".nvm")
    patterns = [f"{entry}/node" for entry in path_entries(env)]
    patterns += [
        f"{nvm}/versions/node/*/bin/node",
        f"{home}/.local/share/fnm/node-versions/*/installation/bin/node",
        f"{home}/.volta/tools/image/node/*/bin/node",
        "/usr/local/bin/node",
        "/usr/bin/node",
        "/opt/homebrew/bin/node",
    ]
    return expand(patterns)


def run(context: ActionContext) -> ActionResult:
    try:
        spec = requested_version(context, "node")
    except (InputError, OSError, ValueError) as exc:
        return fail(context, f"setup-node: {exc}")
    if get_input(context, "cache"):
        log(context, f"Note: cache: {get_input(context, 'cache')} is accepted but not used")
    tools = discover(candidates(context.env), _identify)
    tool = choose(spec, tools)
    if tool is None:
        major = spec.lstrip("v^~>=<").split(".")[0] or "node"
        return fail(
            context,
            f"setup-node: no installed Node.js matches '{spec}'. Found: {describe(tools)}. "
            f"Install it with `nvm install {major}` or `fnm install {major}` (conveyor searches "
            "PATH, ~/.nvm, fnm, volta, /usr/local/bin and /usr/bin)",
        )
    log(context, f"Using Node.js {tool.version_text} at {tool.executable}")
    return ActionResult(
        outputs={"node-version": tool.version_text},
        path=path_additions(tool.executable.parent, context.env),
    )
