"""Built-in ``actions/setup-python``: pick an *installed* interpreter, never download.

Searches PATH, pyenv (``$PYENV_ROOT/versions``), uv-managed Pythons, ``/usr/bin``,
``/usr/local/bin`` and the interpreter running conveyor; the highest version that
matches ``python-version`` wins. Its directory and a shim dir (``python``, ``python3``,
``pip`` wrappers under ``<state_dir>/tools/python``) go on PATH.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path

from conveyor.actions.common import (
    InputError,
    fail,
    get_bool,
    get_input,
    get_lines,
    home_dir,
    log,
    resolve_under,
)
from conveyor.actions.locking import atomic_write_text
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
from conveyor.engine.ports import ActionContext, ActionResult

_PROBE = (
    "import json, platform, sys; print(json.dumps([platform.python_implementation(), "
    "list(sys.version_info[:3]), sys.version_info.releaselevel, sys.prefix, sys.executable]))"
)
_NAME = re.compile(r"^(python|pypy)(3(\.\d+)?)?$")


def _identify(path: Path) -> Tool | None:
    out = run_probe(path, ["-c", _PROBE])
    try:
        impl, numbers, level, prefix, _ = json.loads(out or "")
    except (ValueError, TypeError):
        return None
    version = tuple(int(n) for n in numbers)
    text = ".".join(map(str, version)) + ("" if level == "final" else f"-{level}")
    return Tool(executable=path, version=version, kind=str(impl), home=str(prefix), text=text)


def candidates(env: Mapping[str, str]) -> list[Path]:
    home = home_dir(env)
    pyenv = env.get("PYENV_ROOT") or str(home / ".pyenv")
    data = env.get("XDG_DATA_HOME") or str(home / ".local" / "share")
    uv = env.get("UV_PYTHON_INSTALL_DIR") or f"{data}/uv/python"
    names = ("python3", "python", "python3.*", "pypy3", "pypy3.*")
    patterns = [f"{entry}/{name}" for entry in path_entries(env) for name in names]
    patterns += [f"{pyenv}/versions/*/bin/python", f"{uv}/*/bin/python3"]
    patterns += [f"{d}/python3*" for d in ("/usr/bin", "/usr/local/bin", "/opt/homebrew/bin")]
    patterns.append(sys.executable)
    return [p for p in expand(patterns) if _NAME.match(p.name) or str(p) == sys.executable]


def _spec_from_file(path: Path) -> list[str]:
    if path.name == "pyproject.toml":
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        requires = data.get("project", {}).get("requires-python")
        poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
        spec = requires or poetry
        if not isinstance(spec, str):
            raise InputError(f"{path} has no project.requires-python")
        return [spec]
    specs: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if path.name == ".tool-versions":
            parts = text.split()
            text = parts[1] if len(parts) > 1 and parts[0] == "python" else ""
        if text:
            specs.append(text)
    if not specs:
        raise InputError(f"{path} names no Python version")
    return specs


def _wanted(context: ActionContext) -> list[str]:
    specs = get_lines(context, "python-version")  # one version (or range) per line
    if specs:
        return specs
    workspace = Path(context.workspace)
    file_input = get_input(context, "python-version-file")
    if file_input:
        path = resolve_under(workspace, file_input, "python-version-file")
        if not path.is_file():
            raise InputError(f"python-version-file '{file_input}' does not exist ({path})")
        return _spec_from_file(path)
    default = workspace / ".python-version"
    return _spec_from_file(default) if default.is_file() else ["3"]


def _kind_and_version(spec: str) -> tuple[str, str]:
    lowered = spec.strip().lower()
    for prefix, kind in (("pypy", "PyPy"), ("graalpy", "GraalVM")):
        if lowered.startswith(prefix):
            return kind, lowered.removeprefix(prefix).lstrip("-") or "3"
    return "CPython", lowered


def _shim_dir(state_dir: Path, tool: Tool) -> Path:
    digest = hashlib.sha256(str(tool.executable).encode()).hexdigest()[:12]
    bin_dir = state_dir / "tools" / "python" / f"{tool.version_text}-{digest}" / "bin"
    major, minor = tool.version[0], tool.version[1] if len(tool.version) > 1 else 0
    exe = str(tool.executable).replace("'", "'\\''")
    names = ("python", f"python{major}", f"python{major}.{minor}")
    scripts = dict.fromkeys(names, f"#!/bin/sh\nexec '{exe}' \"$@\"\n")
    for name in ("pip", f"pip{major}", f"pip{major}.{minor}"):
        scripts[name] = f"#!/bin/sh\nexec '{exe}' -m pip \"$@\"\n"
    for name, text in scripts.items():
        target = bin_dir / name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            atomic_write_text(target, text)
            target.chmod(0o755)
    return bin_dir


def run(context: ActionContext) -> ActionResult:
    try:
        specs = _wanted(context)
        update = get_bool(context, "update-environment", True)
    except (InputError, OSError, ValueError) as exc:
        return fail(context, f"setup-python: {exc}")
    if get_input(context, "cache"):
        log(context, f"Note: cache: {get_input(context, 'cache')} is accepted but not used "
                     "(use actions/cache to cache packages)")  # fmt: skip
    tools = discover(candidates(context.env), _identify)
    result = ActionResult()
    for spec in specs:
        kind, version = _kind_and_version(spec)
        matching = [t for t in tools if t.kind == kind]
        tool = choose(version, matching)
        if tool is None:
            return fail(context, _not_found(spec, kind, version, tools))
        log(context, f"Using {kind} {tool.version_text} at {tool.executable}")
        if update:
            result.path += path_additions(tool.executable.parent, context.env)
            result.path.append(str(_shim_dir(Path(context.state_dir), tool)))
            for name in ("pythonLocation", "Python_ROOT_DIR", "Python3_ROOT_DIR"):
                result.env[name] = tool.home
        result.outputs = {"python-version": tool.version_text, "python-path": str(tool.executable)}
    return result


def _not_found(spec: str, kind: str, version: str, tools: list[Tool]) -> str:
    found = describe(tools)
    if kind != "CPython":
        return (
            f"setup-python: {spec} was not found; conveyor does not download interpreters and "
            f"supports {kind} only when one is installed on PATH (e.g. {kind.lower()}3 from your "
            f"package manager). Found: {found}"
        )
    install = re.sub(r"[^0-9.]", "", version).strip(".") or "3"
    return (
        f"setup-python: no installed Python matches '{spec}'. Found: {found}. Install it with "
        f"`pyenv install {install}` or `uv python install {install}` (conveyor searches PATH, "
        "pyenv, uv, /usr/bin and /usr/local/bin)"
    )
