"""Helpers of the provider tests: artifacts of the fixture app, and finding the
processes a state directory's deployments left running."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from conveyor.delivery.ports import ArtifactRef, Target
from conveyor.providers.routing import MARKER_ENV

APP = Path(__file__).resolve().parents[1] / "fixtures" / "deploy_app" / "app.py"


def artifact(
    base: Path,
    version: str,
    *,
    unhealthy: bool = False,
    crash: bool = False,
    error_rate: float = 0.0,
    delay_ms: float = 0.0,
) -> ArtifactRef:
    """The fixture app's files as a build artifact reporting ``version`` (its share of
    500s and its delay: the canary knobs)."""
    folder = base / "artifacts" / version
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(APP, folder / "app.py")
    (folder / "VERSION").write_text(version, encoding="utf-8")
    if unhealthy:
        (folder / "UNHEALTHY").write_text("", encoding="utf-8")
    if crash:
        (folder / "CRASH").write_text("", encoding="utf-8")
    if error_rate:
        (folder / "ERROR_RATE").write_text(str(error_rate), encoding="utf-8")
    if delay_ms:
        (folder / "DELAY_MS").write_text(str(delay_ms), encoding="utf-8")
    return ArtifactRef(
        app="web", version=version, digest=f"sha256:{version}", kind="files", location=str(folder)
    )


def target(environment: str = "dev", **options: Any) -> Target:
    settings: dict[str, Any] = {
        "command": f"{sys.executable} app.py",
        "health": "/healthz",
        "start-timeout": "20s",
        "drain-timeout": "20s",
        "stop-timeout": "5s",
    }
    settings.update(options)
    return Target(app="web", environment=environment, options=settings)


def marked_processes(state_dir: Path) -> list[int]:
    """Processes (not zombies) whose environment says they belong to ``state_dir``."""
    prefix = f"{MARKER_ENV}={state_dir.resolve()}".encode()
    found: list[int] = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_bytes().rsplit(b")", 1)[1].split()
            if stat[0] in b"ZX":
                continue
            environ = Path(entry.path, "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(item.startswith(prefix) for item in environ):
            found.append(int(entry.name))
    return found
