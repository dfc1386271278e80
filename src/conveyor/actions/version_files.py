"""Read a wanted tool version from the files projects keep it in."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conveyor.actions.common import InputError, get_input, resolve_under
from conveyor.engine.ports import ActionContext

_GO_MOD = re.compile(r"^\s*(toolchain\s+go|go\s+)(\d[\w.]*)\s*$", re.MULTILINE)


def read_version_file(path: Path, tool: str) -> str:
    """The version in ``path`` for ``tool`` (``node`` or ``go``): ``.nvmrc``,
    ``.node-version``, ``.go-version``, ``.tool-versions``, ``package.json``, ``go.mod``."""
    if not path.is_file():
        raise InputError(f"version file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    if path.name == "package.json":
        data = json.loads(text)
        for value in (data.get("volta", {}).get("node"), data.get("engines", {}).get("node")):
            if isinstance(value, str) and value.strip():
                return str(value).strip()
        raise InputError(f"{path} has neither volta.node nor engines.node")
    if path.name == "go.mod":
        found = {kind.split()[0]: version for kind, version in _GO_MOD.findall(text)}
        version = found.get("toolchain") or found.get("go")
        if not version:
            raise InputError(f"{path} has no 'go' directive")
        return str(version)
    keys = {"node": ("nodejs", "node"), "go": ("golang", "go")}[tool]
    for line in text.splitlines():
        content = line.split("#", 1)[0].strip()
        if path.name == ".tool-versions":
            parts = content.split()
            content = parts[1] if len(parts) > 1 and parts[0] in keys else ""
        if content:
            return content
    raise InputError(f"{path} names no {tool} version")


def requested_version(context: ActionContext, tool: str) -> str:
    """The version a ``setup-<tool>`` step asks for: ``<tool>-version``, else the file named
    by ``<tool>-version-file`` (relative to the workspace), else ``x`` (any version)."""
    version = get_input(context, f"{tool}-version")
    if version:
        return version
    file_input = get_input(context, f"{tool}-version-file")
    if file_input:
        path = resolve_under(Path(context.workspace), file_input, f"{tool}-version-file")
        return read_version_file(path, tool)
    return "x"
