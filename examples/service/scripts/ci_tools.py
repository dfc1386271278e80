"""Make pytest, ruff and mypy available to the current CI job, cheaply.

If the job's ``python`` already has all three, nothing happens. Otherwise they are
installed from ``requirements-dev.txt`` into a clean virtualenv shared by every job on this
machine, keyed by the requirements and the Python version: the first job builds it
(under a file lock, so parallel jobs wait instead of racing) and the others reuse it.
Its ``bin`` directory goes on ``$GITHUB_PATH``, so later steps' ``python`` is the
venv's. The service itself is not installed: pytest and mypy find it in ``src/``.

Cache directory: ``$TICKETS_TOOLS_CACHE``, else ``$RUNNER_TOOL_CACHE/tickets-dev``, else
``~/.cache/tickets-dev``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

TOOLS = ("pytest", "ruff", "mypy")
ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements-dev.txt"


def cache_root() -> Path:
    if explicit := os.environ.get("TICKETS_TOOLS_CACHE"):
        return Path(explicit)
    if runner := os.environ.get("RUNNER_TOOL_CACHE"):
        return Path(runner) / "tickets-dev"
    return Path.home() / ".cache" / "tickets-dev"


def venv_dir() -> Path:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(sys.version.encode())
    return cache_root() / f"venv-{digest.hexdigest()[:16]}"


def bin_dir(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def build(venv: Path) -> None:
    done = venv / ".complete"
    if done.exists():
        print(f"reusing {venv}")
        return
    shutil.rmtree(venv, ignore_errors=True)  # a build that died half way
    print(f"building {venv}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(bin_dir(venv) / "python")
    install = [python, "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)]
    subprocess.run(install, check=True)
    done.touch()


def build_locked(venv: Path) -> None:
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        try:
            import fcntl
        except ImportError:  # Windows: no lock, builds may race but each is complete
            build(venv)
            return
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            build(venv)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def main() -> int:
    missing = [tool for tool in TOOLS if importlib.util.find_spec(tool) is None]
    if not missing:
        print(f"{', '.join(TOOLS)} already installed for {sys.executable}")
        return 0
    print(f"{', '.join(missing)} missing for {sys.executable}")
    venv = venv_dir()
    build_locked(venv)
    path_file = os.environ.get("GITHUB_PATH")
    if path_file:
        with Path(path_file).open("a", encoding="utf-8") as out:
            out.write(f"{bin_dir(venv)}\n")
    else:
        print(f"outside CI: put {bin_dir(venv)} first on PATH")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
