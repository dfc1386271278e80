"""Temp git repos with workflows, and ways to run ``conveyor`` on them."""

from __future__ import annotations

import base64
import json
import os
import pty
import select
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from urllib.parse import quote, quote_plus

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT

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
        if not k.startswith("CONVEYOR_") or k in ("CONVEYOR_EXECUTOR", NO_AGENT)
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


def secret_forms(secret: str) -> list[str]:
    """The texts that give ``secret`` away: itself, its base64 wherever it starts in an
    encoded text (the characters that encode only its bytes, at byte offsets 0, 1, 2),
    URL-encoded (``%20`` and ``+``), JSON-escaped, and backslash-escaped as pytest shows
    a parametrized test's id (``\\xe9``)."""
    data = secret.encode()
    forms = [secret, quote(secret, safe=""), quote_plus(secret, safe=""), json.dumps(secret)[1:-1]]
    forms.append(secret.encode("unicode_escape").decode("ascii"))
    for offset in range(3):
        encoded = base64.b64encode(b"x" * offset + data).decode()
        forms.append(encoded[4 if offset else 0 : -4])  # groups holding only its bytes
    assert all(len(f) >= 8 for f in forms), "use a longer secret"
    return sorted(set(forms))


def leaks(text: str | bytes, secret: str) -> list[str]:
    """The forms of ``secret`` (see :func:`secret_forms`) found in ``text``."""
    if isinstance(text, bytes):
        return [f for f in secret_forms(secret) if f.encode() in text]
    return [f for f in secret_forms(secret) if f in text]


def state_leaks(state: Path, secret: str) -> list[str]:
    """Every file and file name under ``state`` that gives ``secret`` away, databases
    included (byte by byte: SQLite keeps its pages in the file)."""
    found = []
    for path in sorted(state.rglob("*")):
        name = str(path.relative_to(state))
        if leaks(name, secret):
            found.append(f"name: {name}")
        if path.is_file() and not path.is_symlink() and leaks(path.read_bytes(), secret):
            found.append(f"content: {name} {leaks(path.read_bytes(), secret)}")
    return found


def database_leaks(url: str, secret: str) -> list[str]:
    """The ``table.column`` of every value in the database at ``url`` (SQLite or
    PostgreSQL) that gives ``secret`` away (every column of every table)."""
    from sqlalchemy import create_engine, inspect, text

    from conveyor.store.paths import database_url

    engine = create_engine(database_url(Path("."), url))
    found = []
    try:
        with engine.connect() as conn:
            for name in inspect(conn).get_table_names():
                cursor = conn.execute(text(f'select * from "{name}"'))
                columns = list(cursor.keys())
                for row in cursor:
                    for column, value in zip(columns, row, strict=True):
                        if isinstance(value, bytes | memoryview):
                            texts: list[str | bytes] = [bytes(value)]
                        elif isinstance(value, dict | list):  # jsonb, parsed
                            texts = [json.dumps(value), json.dumps(value, ensure_ascii=False)]
                        else:
                            texts = [str(value)]
                        if any(leaks(t, secret) for t in texts):
                            found.append(f"{name}.{column}")
    finally:
        engine.dispose()
    return sorted(set(found))


def sqlite_leaks(database: Path, secret: str) -> list[str]:
    """:func:`database_leaks` of the SQLite database file ``database``."""
    assert database.is_file(), database
    return database_leaks(f"sqlite:///{database}", secret)


def run_in_terminal(repo: Path, *args: str, timeout: float = 120.0) -> tuple[int, str]:
    """``conveyor ARGS`` on a pseudo-terminal (the live console): exit code and output."""
    env = env_for(repo)
    env.pop("CI", None)
    env.update(TERM="xterm-256color", COLUMNS="160", LINES="50")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [CONVEYOR, *args], cwd=repo, env=env, stdin=slave, stdout=slave, stderr=slave
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the terminal's last writer is gone
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    code = proc.wait(timeout=30)
    return code, b"".join(chunks).decode("utf-8", "replace")
