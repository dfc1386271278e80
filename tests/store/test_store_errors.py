"""Database failures give one line naming the URL (password hidden) and what to do, exit 2.

Real failures only: a closed port, a database that does not exist, a URL that does not
parse, a file that is not a database, and a database dropped while a run is recording.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT

CONVEYOR = str(Path(sys.executable).parent / "conveyor")
PASSWORD = "s3cr3t-Pw"


def _conveyor(
    cwd: Path, url: str | None, *args: str, home: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_") or k == NO_AGENT}
    env["CI"] = "true"
    if url is not None:
        env["CONVEYOR_DATABASE_URL"] = url
    if home is not None:
        env["CONVEYOR_HOME"] = str(home)
    return subprocess.run(
        [CONVEYOR, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one_line(done: subprocess.CompletedProcess[str], *wanted: str) -> str:
    """The failure was exit 2 with one line on stderr holding ``wanted``, no secret."""
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    line = lines[0]
    for part in wanted:
        assert part in line, line
    everything = done.stdout + done.stderr
    assert PASSWORD not in everything and "s3cr3t" not in everything
    assert "Traceback" not in everything and "internal error" not in everything
    return line


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


@pytest.mark.parametrize("command", [["runs"], ["stats"], ["run"], ["db", "upgrade"]])
def test_server_down(tmp_path: Path, command: list[str]) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: 'true'\n"
    )
    port = _closed_port()
    url = f"postgresql://conveyor:{PASSWORD}@127.0.0.1:{port}/history"
    done = _conveyor(tmp_path, url, *command)
    line = _one_line(done, f"conveyor:***@127.0.0.1:{port}/history", "refused")
    assert "start the database server or point CONVEYOR_DATABASE_URL" in line


def test_missing_database(tmp_path: Path, postgres_admin_url: str) -> None:
    name = f"conveyor_missing_{uuid.uuid4().hex[:8]}"
    url = make_url(postgres_admin_url).set(database=name, password=PASSWORD)
    done = _conveyor(tmp_path, url.render_as_string(hide_password=False), "runs")
    line = _one_line(done, name, "does not exist", f"createdb {name}")
    assert ":***@" in line


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql://conveyor:{PASSWORD}@db.example:port/history", "conveyor:***@db.example:"),
        (
            f"postgresql://conveyor:{PASSWORD}@with@at@db.example:5432:5433/history",
            "conveyor:***@db.example:5432:5433/history",
        ),
        ("no-such-scheme-at-all", "no-such-scheme-at-all"),
        # URLs SQLAlchemy cannot parse at all: a space in the scheme, no scheme, no host
        (f"postgres ql://conveyor:{PASSWORD}@@db/x", "postgres ql://conveyor:***@db/x"),
        (f"://conveyor:{PASSWORD}", "://conveyor:***"),
        (f"postgresql://conveyor:{PASSWORD}", "conveyor:***"),
        (f"conveyor:{PASSWORD}@db.example/history", "conveyor:***@db.example/history"),
    ],
)
def test_malformed_url(tmp_path: Path, url: str, shown: str) -> None:
    done = _conveyor(tmp_path, url, "runs")
    _one_line(done, "invalid database URL", shown, "CONVEYOR_DATABASE_URL")


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    home = tmp_path / "state"
    home.mkdir()
    (home / "conveyor.db").write_bytes(b"this is not a database\n" * 200)
    done = _conveyor(tmp_path, None, "runs", home=home)
    _one_line(done, str(home / "conveyor.db"), "not a database")


def test_database_dropped_while_a_run_records(tmp_path: Path, postgres_admin_url: str) -> None:
    name = f"conveyor_dropped_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    admin_url = make_url(postgres_admin_url)
    url = admin_url.set(database=name, password=PASSWORD).render_as_string(hide_password=False)
    drop = (
        f"{sys.executable} -c \"import psycopg; c = psycopg.connect(host='{admin_url.host}', "
        f"port={admin_url.port or 5432}, user='{admin_url.username}', dbname='postgres', "
        f"autocommit=True); c.execute('DROP DATABASE {name} WITH (FORCE)')\""
    )
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - run: {drop}\n"
        "      - run: echo after the drop\n",
        encoding="utf-8",
    )
    done = _conveyor(repo, url, "run")
    _one_line(done, f"{name}", "does not exist", f"createdb {name}")
