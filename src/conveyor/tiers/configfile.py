"""Finding and loading ``conveyor.toml`` (else ``[tool.conveyor]`` in pyproject.toml).

Errors are :class:`ConfigError` (exit 2) naming ``file:line`` of the bad key: tomllib's
own line/column for syntax errors, else the line found by scanning the TOML text for the
table and key pydantic complains about. The settings of each ``[apps.<name>]`` are
checked here too, by the app's provider (:mod:`conveyor.providers.settings`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from conveyor.errors import ConfigError
from conveyor.providers.settings import option_errors
from conveyor.tiers.config import ConveyorConfig

CONFIG_NAME = "conveyor.toml"
PYPROJECT = "pyproject.toml"
_PYPROJECT_PREFIX = ("tool", "conveyor")
_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_HEADER = re.compile(r"^\s*\[\[?\s*(.+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    config: ConveyorConfig
    path: Path | None  # None: no file, the defaults
    root: Path  # the directory tests run in (the config file's directory)


def _dotted(text: str) -> list[str]:
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([A-Za-z0-9_-]+)', text)
    return [a or b or c for a, b, c in parts]


def find_line(text: str, loc: Sequence[str | int], prefix: Sequence[str] = ()) -> int | None:
    """The 1-based line of the table/key ``prefix + loc`` (or of its nearest parent)."""
    wanted = [*prefix, *(str(p) for p in loc)]
    table: list[str] = []
    best: tuple[int, int] | None = None  # (matched length, line)
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("#"):
            table = _dotted(header.group(1))
            path = table
        else:
            key = _KEY.match(line)
            if not key:
                continue
            path = [*table, *_dotted(key.group(1))]
        matches = len(path) <= len(wanted) and wanted[: len(path)] == path
        if matches and (best is None or len(path) > best[0]):
            best = (len(path), number)
    return best[1] if best else None


def _message(error: Any) -> str:
    kind = error.get("type", "")
    loc = [str(p) for p in error.get("loc", ())]
    if kind == "extra_forbidden":
        return f"unknown key '{loc[-1]}'" if loc else "unknown key"
    if kind == "missing":
        return f"missing required key '{loc[-1]}'" if loc else "missing key"
    text = str(error.get("msg", "invalid value"))
    return text.removeprefix("Value error, ")


def parse_config(text: str, path: Path, prefix: Sequence[str] = ()) -> ConveyorConfig:
    """Validate TOML ``text`` (read from ``path``) into a :class:`ConveyorConfig`."""
    try:
        data: Any = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _AT.search(str(exc))
        where = f"{path}:{found.group(1)}:{found.group(2)}" if found else str(path)
        reason = _AT.sub("", str(exc)).strip()
        raise ConfigError(f"{where}: invalid TOML: {reason}") from exc
    for key in prefix:
        data = data.get(key, {}) if isinstance(data, dict) else {}
    try:
        config = ConveyorConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_located(exc.errors(), text, path, prefix)) from exc
    problems: list[Any] = []
    for name, app in config.apps.items():
        for error in option_errors(app.provider, app.options()):
            problems.append({**error, "loc": ("apps", name, *error["loc"])})
    if problems:
        raise ConfigError(_located(problems, text, path, prefix))
    return config


def _located(errors: Sequence[Any], text: str, path: Path, prefix: Sequence[str]) -> str:
    """One ``file:line: key: message`` line per pydantic error."""
    lines = []
    for error in errors:
        loc = [p for p in error.get("loc", ()) if isinstance(p, str | int)]
        line = find_line(text, loc, prefix)
        where = f"{path}:{line}" if line else str(path)
        dotted = ".".join(str(p) for p in [*prefix, *loc])
        lines.append(f"{where}: {dotted}: {_message(error)}")
    return "\n".join(lines)


def find_config(start: Path) -> tuple[Path, tuple[str, ...]] | None:
    """The nearest ``conveyor.toml``, or pyproject.toml with ``[tool.conveyor]``, at or
    above ``start`` (stopping at the git root)."""
    current = start.resolve()
    for folder in (current, *current.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate, ()
        pyproject = folder / PYPROJECT
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, ValueError):  # unreadable, not UTF-8 or not TOML: not ours
                data = {}
            if isinstance(data.get("tool"), dict) and "conveyor" in data["tool"]:
                return pyproject, _PYPROJECT_PREFIX
        if (folder / ".git").exists():
            break
    return None


def load_config(path: Path | None = None, *, start: Path | None = None) -> LoadedConfig:
    """``path`` (a conveyor.toml or pyproject.toml), else the one found from ``start``
    (default: cwd), else the defaults."""
    base = (start or Path.cwd()).resolve()
    prefix: tuple[str, ...] = ()
    if path is None:
        found = find_config(base)
        if found is None:
            return LoadedConfig(ConveyorConfig(), None, base)
        path, prefix = found
    elif path.name == PYPROJECT:
        prefix = _PYPROJECT_PREFIX
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise ConfigError(
            f"{path}:{line}:{column}: not UTF-8 text (byte {exc.start}: {exc.reason}); "
            "TOML is UTF-8: save the file as UTF-8"
        ) from exc
    config = parse_config(text, path, prefix)
    root = path.resolve().parent
    if config.test.cwd:
        root = (root / config.test.cwd).resolve()
    return LoadedConfig(config, path, root)
