"""Find installed tools (Python, Node, Go): list candidate executables, probe each once.

Probing runs the executable with a short command; results are cached per process by
(path, size, mtime) so repeated ``setup-*`` steps cost nothing.
"""

from __future__ import annotations

import glob
import os
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from conveyor.actions.versions import Version, best_match, format_version

_lock = threading.Lock()
_probes: dict[tuple[str, int, int, tuple[str, ...]], str | None] = {}


@dataclass(frozen=True, slots=True)
class Tool:
    """One installed tool: the executable, its version and anything else probed."""

    executable: Path
    version: Version
    kind: str = ""  # e.g. "CPython" / "PyPy"
    home: str = ""  # install prefix (sys.prefix, GOROOT)
    text: str = ""  # the version as the tool prints it (v20.11.0, 3.12.3, go1.22.1)

    @property
    def version_text(self) -> str:
        return self.text or format_version(self.version)


def probe(executable: Path, args: Sequence[str], timeout: float = 15) -> str | None:
    """stdout of ``executable *args`` (cached), or None when it cannot run or fails."""
    try:
        stat = executable.stat()
    except OSError:
        return None
    key = (str(executable), stat.st_size, stat.st_mtime_ns, tuple(args))
    with _lock:
        if key in _probes:
            return _probes[key]
    try:
        proc = subprocess.run(
            [str(executable), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        result = proc.stdout if proc.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        result = None
    with _lock:
        _probes[key] = result
    return result


def path_entries(env: Mapping[str, str]) -> list[Path]:
    raw = env.get("PATH") or os.environ.get("PATH", "")
    return [Path(p) for p in raw.split(os.pathsep) if p]


def expand(patterns: Iterable[str]) -> list[Path]:
    """Glob each pattern (sorted, newest-looking names last) keeping first-seen order."""
    seen: set[str] = set()
    found: list[Path] = []
    for pattern in patterns:
        for match in sorted(glob.glob(pattern)):  # noqa: PTH207 - absolute patterns
            path = Path(match).absolute()
            if str(path) not in seen and "/shims/" not in str(path) and _executable(path):
                seen.add(str(path))
                found.append(path)
    return found


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def discover(candidates: Iterable[Path], identify: Callable[[Path], Tool | None]) -> list[Tool]:
    """Probe each candidate; tools that run and report a version, deduplicated by
    (version, home)."""
    tools: list[Tool] = []
    seen: set[tuple[Version, str, str]] = set()
    for candidate in candidates:
        tool = identify(candidate)
        if tool is None or not tool.version:
            continue
        key = (tool.version, tool.kind, tool.home or str(candidate.resolve()))
        if key not in seen:
            seen.add(key)
            tools.append(tool)
    return tools


def choose(spec: str, tools: Sequence[Tool]) -> Tool | None:
    index = best_match(spec, [t.version for t in tools])
    return None if index is None else tools[index]


SYSTEM_BIN_DIRS = frozenset({"/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"})


def path_additions(bin_dir: Path, env: Mapping[str, str]) -> list[str]:
    """``[bin_dir]``, or nothing for a system directory already on PATH (putting
    ``/usr/bin`` first would shadow everything else)."""
    on_path = {str(p) for p in path_entries(env)}
    return [] if str(bin_dir) in SYSTEM_BIN_DIRS and str(bin_dir) in on_path else [str(bin_dir)]


def describe(tools: Sequence[Tool]) -> str:
    """``3.11.9 (/usr/bin/python3.11), 3.12.3 (...)`` or ``none``."""
    if not tools:
        return "none"
    ordered = sorted(tools, key=lambda t: t.version)
    return ", ".join(f"{t.version_text} ({t.executable})" for t in ordered)
