"""Upgrading a database made at the previous head (0003) keeps its history.

SQLite migrates itself on first use; PostgreSQL refuses with one line until
`conveyor db upgrade`. Runs of the one repository before repositories existed become a
``legacy:<name>`` repository, adopted by the first repository of that name to record.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, select, text
from store_events import new_run

from conveyor.cli.main import main
from conveyor.errors import DatabaseError
from conveyor.store import SqlRunStore
from conveyor.store.database import MIGRATIONS_DIR, create_db_engine, current_revision
from conveyor.store.models import JobRow, RepositoryRow, ScheduleFiringRow, WorkflowCounter
from conveyor.store.paths import database_url
from conveyor.store.results_models import QUARANTINE, RESULTS
from conveyor.store.revisions import HEAD_REVISION, REVISIONS

PREVIOUS_HEAD = "0003"


def _alembic(engine: Engine, revision: str) -> None:
    with engine.connect() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()


def _old_history(engine: Engine) -> None:
    """What conveyor 0003 recorded: two repositories' runs mixed under one numbering."""
    runs = [("acme/app", 1), ("acme/app", 2), ("other/lib", 3)]
    insert_run = text(
        "INSERT INTO runs (run_number, workflow_path, workflow_name, event, ref, sha, "
        "repository, status, conclusion, created_at, pid, host, note) VALUES (:n, "
        "'.github/workflows/ci.yml', 'CI', 'push', 'refs/heads/main', 'abc', :r, "
        "'completed', 'success', :t, 1, 'h', '')"
    )
    with engine.begin() as c:
        for repository, number in runs:
            c.execute(insert_run, {"n": number, "r": repository, "t": time.time() - 100 + number})
        c.execute(
            text(
                "INSERT INTO workflow_counters (workflow_path, last_number) "
                "VALUES ('.github/workflows/ci.yml', 3)"
            )
        )
        c.execute(
            text(
                "INSERT INTO jobs (run_id, job_key, job_id, name, matrix, runs_on, status, "
                "outputs, note, log_dir) VALUES (1, 'test (3.12)', 'test', 'Test', "
                """'{"python": "3.12"}', '["ubuntu-latest"]', 'completed', '{"v": "1"}', '', '')"""
            )
        )
        c.execute(
            text(
                "INSERT INTO schedule_firings (workflow_path, cron, slot, fired_at, status, note) "
                "VALUES ('.github/workflows/ci.yml', '0 18 * * *', 1714586400, 1, 'success', '')"
            )
        )
        for ingest_id, run_id in ((1, 1), (2, 999)):  # 999: a run that was never recorded
            c.execute(
                text(
                    'INSERT INTO test_ingests (id, created_at, tier, run_id, "commit", branch, '
                    "sources, total) VALUES (:i, 1, 'unit', :r, 'c', 'main', '', 1)"
                ),
                {"i": ingest_id, "r": run_id},
            )
            c.execute(
                text(
                    'INSERT INTO test_results (ingest_id, recorded_at, tier, run_id, "commit", '
                    "branch, test_id, name, classname, suite, status, retries, message, output) "
                    "VALUES (:i, 1, 'unit', :r, 'c', 'main', 't::a', 'a', 't', '', 'failed', 0, "
                    "'boom', '')"
                ),
                {"i": ingest_id, "r": run_id},
            )
        c.execute(
            text(
                "INSERT INTO test_quarantine (test_id, reason, added_at, added_by, automatic) "
                "VALUES ('t::a', 'known bug', 1, 'me', false)"
            )
        )


@pytest.fixture
def old_database(state_dir: Path, db_url: str | None) -> str:
    """A database at the previous head holding history; returns its URL."""
    state_dir.mkdir(parents=True)
    url = database_url(state_dir, db_url)
    engine = create_db_engine(url)
    try:
        _alembic(engine, PREVIOUS_HEAD)
        _old_history(engine)
        assert current_revision(engine) == PREVIOUS_HEAD
    finally:
        engine.dispose()
    return url


def test_revision_constants_match_alembic() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    assert script.get_current_head() == HEAD_REVISION
    assert tuple(r.revision for r in reversed(list(script.walk_revisions()))) == REVISIONS
    assert PREVIOUS_HEAD in REVISIONS[:-1]


def _upgrade(
    state_dir: Path,
    db_url: str | None,
    monkeypatch: pytest.MonkeyPatch,
    run_cli: Callable[..., tuple[int, str, str]],
) -> None:
    """PostgreSQL: refused until `conveyor db upgrade`; SQLite: upgraded on first use."""
    sd = ("--state-dir", str(state_dir))
    if db_url is None:
        return
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", db_url)
    with pytest.raises(DatabaseError, match="run `conveyor db upgrade`"):
        SqlRunStore(state_dir, url=db_url)
    code, out, err = run_cli("runs", *sd)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "revision 0003" in err and "conveyor db upgrade" in err
    code, out, _ = run_cli("db", "current", *sd)
    assert code == 0 and f"0003 (this conveyor's is {HEAD_REVISION}" in out
    code, out, _ = run_cli("db", "upgrade", *sd)
    assert code == 0 and f"upgraded from revision 0003 to {HEAD_REVISION}" in out
    code, out, _ = run_cli("db", "current", *sd)
    assert code == 0 and out.strip().endswith(f"{HEAD_REVISION} (head)")
    code, out, _ = run_cli("db", "upgrade", *sd)
    assert code == 0 and f"already at revision {HEAD_REVISION}" in out


def test_upgrade_from_the_previous_head_keeps_the_history(
    old_database: str,
    state_dir: Path,
    db_url: str | None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def run_cli(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    _upgrade(state_dir, db_url, monkeypatch, run_cli)
    with SqlRunStore(state_dir, url=db_url, recover=False) as store:
        old = store.list_runs(limit=None)
        assert sorted((r.repository_name, r.run_number) for r in old) == [
            ("acme/app", 1),
            ("acme/app", 2),
            ("other/lib", 3),
        ]
        assert {r.repository_key for r in old} == {"legacy:acme/app", "legacy:other/lib"}
        job = store.get_run(1).jobs[0]  # type: ignore[union-attr]
        assert (job.matrix, job.runs_on, job.outputs) == (
            {"python": "3.12"},
            ["ubuntu-latest"],
            {"v": "1"},
        )
        # the repository named acme/app adopts its legacy history and numbers on from it
        run_id, number = store.begin_run(new_run(repository_key="github.com/acme/app"))
        assert number == 3
        app = store.repository_id("github.com/acme/app")
        assert [r.run_number for r in store.list_runs(repository_id=app)] == [3, 2, 1]
        assert store.list_runs(repository_id=app)[0].id == run_id
        with store.engine.connect() as c:
            keys = set(c.execute(select(RepositoryRow.key)).scalars())
            assert keys == {"github.com/acme/app", "legacy:other/lib"}
            counters = c.execute(
                select(WorkflowCounter.repository_id, WorkflowCounter.last_number)
            ).all()
            assert sorted(n for _r, n in counters) == [3, 3]
            # rows without a run belong to the repository with the most runs
            assert c.execute(select(ScheduleFiringRow.repository_id)).scalar() == app
            assert c.execute(select(QUARANTINE.c.repository_id)).scalar() == app
            # a result of a run that was never recorded loses that link, nothing else
            results = c.execute(
                select(RESULTS.c.ingest_id, RESULTS.c.run_id, RESULTS.c.message).order_by(
                    RESULTS.c.ingest_id
                )
            ).all()
            assert [tuple(r) for r in results] == [(1, 1, "boom"), (2, None, "boom")]
            assert c.execute(select(JobRow.run_id)).scalar() == 1
            if c.dialect.name == "sqlite":  # run ids are never reused after the rebuild
                ddl = c.execute(text("SELECT sql FROM sqlite_master WHERE name = 'runs'")).scalar()
                assert "AUTOINCREMENT" in str(ddl)
                assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
            else:
                kind = c.execute(
                    text("SELECT data_type FROM pg_sequences WHERE sequencename = 'runs_id_seq'")
                ).scalar()
                assert kind == "bigint"
