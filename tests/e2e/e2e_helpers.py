"""Temp git repos with workflows, and ways to run ``conveyor`` on them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

CONVEYOR = str(Path(sys.executable).parent / "conveyor")


def make_repo(path: Path, workflows: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    for name, text in workflows.items():
        is_workflow = name.endswith((".yml", ".yaml")) and "/" not in name
        target = path / ".github" / "workflows" / name if is_workflow else path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    subprocess.run(["git", "-C", str(path), "add", "."], check=True)
    subprocess.run(
        ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "i"],
        check=True,
    )
    return path


def env_for(repo: Path) -> dict[str, str]:
    # conveyor's own settings are dropped, but for the executor the suite runs under
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CONVEYOR_") or k == "CONVEYOR_EXECUTOR"
    }
    env["CI"] = "true"
    return env


def start(repo: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CONVEYOR, "run", *args],
        cwd=repo,
        env=env_for(repo),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def history(repo: Path) -> str:
    out = subprocess.run(
        [CONVEYOR, "runs"],
        cwd=repo,
        env=env_for(repo),
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout + out.stderr


def wait_for(path: Path, timeout: float = 15.0) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def pid_gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def db_dump(repo: Path) -> str:
    rows: list[str] = []
    db = next((repo / ".conveyor").glob("*.db"), None) or next(
        (repo / ".conveyor").glob("*.sqlite*")
    )
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            rows.extend(repr(r) for r in conn.execute(f"select * from {table}"))
    return "\n".join(rows)


def all_files_text(root: Path) -> str:
    parts = []
    for path in root.rglob("*"):
        if path.is_file() and path.suffix not in (".db", ".sqlite", ".sqlite3"):
            try:
                parts.append(path.read_text(errors="replace"))
            except OSError:
                continue
    return "\n".join(parts)
