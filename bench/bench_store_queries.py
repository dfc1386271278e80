"""The dashboard's queries over a big history, on SQLite and on PostgreSQL.

Fills a database with 100,000 runs x 10 jobs (1,000,000 jobs) over a year in four
repositories (70 % in the one measured), plus a test ingest of 100 results for every
tenth run (1,000,000 results), by bulk insert (executemany on SQLite, COPY on
PostgreSQL; not through the engine). Then times the queries behind

* ``conveyor runs --limit 50`` (the current repository): the repository lookup and the
  listing, as :mod:`conveyor.cli.history_cmd` runs them;
* ``conveyor stats --days 30`` (the current repository): :func:`compute_stats`;

queries only (the database is open, as after process start), median of several runs
after one warm-up. Every statement those commands execute is captured and EXPLAINed:
``full_scans`` lists any that reads a whole big table instead of an index.

PostgreSQL: ``$CONVEYOR_BENCH_POSTGRES_URL`` (a server where the user may CREATE
DATABASE), else postgres@127.0.0.1:5432; skipped when unreachable.
"""

from __future__ import annotations

import io
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from conveyor.results.db import ResultsDb
from conveyor.results.stats import compute_stats
from conveyor.store.models import JobRow, RepositoryRow, RunRow
from conveyor.store.paths import database_url
from conveyor.store.queries import list_runs
from conveyor.store.repositories import find_repository
from conveyor.store.results_models import INGESTS, RESULTS

RUNS = 100_000
JOBS_PER_RUN = 10
TESTS_PER_INGEST = 100
INGEST_EVERY = 10  # runs
SHARE_MEASURED = 0.7  # of the runs, in the repository measured
DAY = 86400.0
SPAN_DAYS = 365
REPEAT = 7
CURRENT = "github.com/acme/app"
OTHERS = ("github.com/acme/lib", "github.com/acme/web", "/srv/git/tools")
WORKFLOWS = ("ci", "pr-validation", "nightly", "deploy", "lint", "docs")
BIG_TABLES = ("runs", "jobs", "test_results", "test_ingests")
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


# ---------------------------------------------------------------- data


def _rows(now: float, repository_ids: list[int]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, row) for every row, in an order that satisfies the foreign keys."""
    rng = random.Random(20240701)
    numbers: dict[tuple[int, str], int] = {}
    start = now - SPAN_DAYS * DAY
    ingest_id = 0
    for run_id in range(1, RUNS + 1):
        measured = rng.random() < SHARE_MEASURED
        repository_id = repository_ids[0] if measured else rng.choice(repository_ids[1:])
        workflow = rng.choice(WORKFLOWS)
        number = numbers[(repository_id, workflow)] = numbers.get((repository_id, workflow), 0) + 1
        created = start + (run_id / RUNS) * SPAN_DAYS * DAY
        duration = rng.uniform(30, 1800)
        roll = rng.random()
        conclusion = "success" if roll < 0.9 else ("failure" if roll < 0.98 else "cancelled")
        sha = f"{rng.getrandbits(160):040x}"
        yield (
            "runs",
            {
                "id": run_id,
                "repository_id": repository_id,
                "run_number": number,
                "workflow_path": f".github/workflows/{workflow}.yml",
                "workflow_name": workflow.replace("-", " ").title(),
                "event": "push",
                "ref": "refs/heads/main",
                "sha": sha,
                "repository": "acme/app",
                "status": "completed",
                "conclusion": conclusion,
                "created_at": created,
                "started_at": created,
                "ended_at": created + duration,
                "duration": duration,
                "heartbeat_at": created + duration,
                "pid": 1000 + run_id % 30000,
                "host": "ci-1",
                "note": "",
            },
        )
        for j in range(JOBS_PER_RUN):
            job_duration = duration * rng.uniform(0.1, 0.9)
            yield (
                "jobs",
                {
                    "run_id": run_id,
                    "job_key": f"job{j} (3.1{j % 3})",
                    "job_id": f"job{j}",
                    "name": f"Job {j}",
                    "matrix": {"python": f"3.1{j % 3}"},
                    "runs_on": ["ubuntu-latest"],
                    "status": "completed",
                    "conclusion": conclusion,
                    "started_at": created + 1,
                    "ended_at": created + 1 + job_duration,
                    "duration": job_duration,
                    "outputs": {},
                    "note": "",
                    "log_dir": f"logs/{run_id}/job{j}",
                },
            )
        if run_id % INGEST_EVERY:
            continue
        ingest_id += 1
        yield (
            "test_ingests",
            {
                "id": ingest_id,
                "repository_id": repository_id,
                "created_at": created + duration,
                "tier": "unit",
                "run_id": run_id,
                "commit": sha,
                "branch": "main",
                "sources": f"results/{run_id}/unit.xml",
                "total": TESTS_PER_INGEST,
            },
        )
        for k in range(TESTS_PER_INGEST):
            flaky = k < 5 and rng.random() < 0.2
            yield (
                "test_results",
                {
                    "ingest_id": ingest_id,
                    "repository_id": repository_id,
                    "recorded_at": created + duration,
                    "tier": "unit",
                    "run_id": run_id,
                    "commit": sha,
                    "branch": "main",
                    "test_id": f"tests/test_mod{k % 20}.py::test_{k}",
                    "name": f"test_{k}",
                    "classname": f"tests.test_mod{k % 20}",
                    "suite": "pytest",
                    "file": f"tests/test_mod{k % 20}.py",
                    "line": k,
                    "duration": rng.uniform(0.001, 2.0),
                    "status": "failed" if flaky else "passed",
                    "retries": 0,
                    "message": "assert 1 == 2" if flaky else "",
                    "output": "",
                },
            )


def _repositories(db: ResultsDb) -> list[int]:
    return [db.repository_id(key, key.split("/", 1)[-1]) for key in (CURRENT, *OTHERS)]


def _fill_sqlite(db: ResultsDb, now: float) -> None:
    tables = {"runs": RunRow.__table__, "jobs": JobRow.__table__}
    tables.update({"test_ingests": INGESTS, "test_results": RESULTS})
    chunks: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    repository_ids = _repositories(db)

    def flush(connection: Connection) -> None:
        for name, table in tables.items():  # parents first: foreign keys
            if chunks[name]:
                connection.execute(insert(table), chunks[name])
                chunks[name] = []

    with db.writer.begin() as connection:
        for table, row in _rows(now, repository_ids):
            chunk = chunks[table]
            chunk.append(row)
            if len(chunk) >= 20_000:
                flush(connection)
        flush(connection)


def _fill_postgres(db: ResultsDb, now: float) -> None:
    columns: dict[str, list[str]] = {}
    buffers: dict[str, io.StringIO] = {}
    order = ("runs", "jobs", "test_ingests", "test_results")

    def cell(value: Any) -> str:
        if value is None:
            return "\\N"
        if isinstance(value, dict | list):
            value = json.dumps(value)
        return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()

        def flush() -> None:
            for name in order:
                if name in buffers and buffers[name].tell():
                    names = ", ".join(f'"{c}"' for c in columns[name])
                    with cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                        copy.write(buffers[name].getvalue())
                    buffers[name] = io.StringIO()

        rows = _rows(now, _repositories(db))
        for count, (table, row) in enumerate(rows, 1):
            columns.setdefault(table, list(row))
            buffer = buffers.setdefault(table, io.StringIO())
            buffer.write("\t".join(cell(row[c]) for c in columns[table]) + "\n")
            if count % 200_000 == 0:
                flush()
        flush()
        for name in ("runs", "test_ingests"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {RUNS})")
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


# ---------------------------------------------------------------- measuring


@contextmanager
def _captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    found: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_a: Any) -> None:
        found.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _full_scans(engine: Engine, statements: list[tuple[str, Any]]) -> list[str]:
    """Statements whose plan reads a whole big table (no index)."""
    bad: list[str] = []
    postgresql = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        for statement, parameters in statements:
            prefix = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
            rows = connection.exec_driver_sql(prefix + statement, parameters).all()
            plan = "\n".join(str(row[-1]) for row in rows)
            for table in BIG_TABLES:
                scanned = (
                    f"Seq Scan on {table} " in plan + " "
                    if postgresql
                    else any(
                        line.strip().startswith(f"SCAN {table}") and "INDEX" not in line
                        for line in plan.splitlines()
                    )
                )
                if scanned:
                    bad.append(f"{table}: {' '.join(statement.split())[:120]}")
    return bad


def _median_ms(action: Callable[[], object]) -> tuple[float, float]:
    """(first, median of the next REPEAT) in milliseconds."""
    times = []
    for _ in range(REPEAT + 1):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return round(times[0], 1), round(statistics.median(times[1:]), 1)


def _measure(db: ResultsDb, now: float) -> dict[str, Any]:
    sessions = sessionmaker(db.engine, expire_on_commit=False)
    found: dict[str, Any] = {}

    def runs_command() -> object:
        with db.engine.connect() as connection:
            repository_id = find_repository(connection, CURRENT)
        listed = list_runs(sessions, repository_id=repository_id, limit=50)
        assert len(listed) == 50
        return listed

    def stats_command() -> object:
        with db.engine.connect() as connection:
            repository_id = find_repository(connection, CURRENT)
            stats = compute_stats(connection, days=30, now=now, repository_id=repository_id)
        assert stats.workflows and stats.tiers
        return stats

    for name, action in (("runs_limit_50", runs_command), ("stats_days_30", stats_command)):
        first, median = _median_ms(action)
        with _captured(db.engine) as statements:
            action()
        found[f"{name}_ms"] = median
        found[f"{name}_first_ms"] = first
        found[f"{name}_statements"] = len(statements)
        found[f"{name}_full_scans"] = _full_scans(db.engine, statements)
    return found


def _bench(state: Path, url: str | None) -> dict[str, Any]:
    now = time.time()
    with ResultsDb(state, url) as db:
        started = time.perf_counter()
        if db.engine.dialect.name == "postgresql":
            _fill_postgres(db, now)
        else:
            _fill_sqlite(db, now)
            with db.writer.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
        result = {"fill_seconds": round(time.perf_counter() - started, 1)}
        with db.engine.connect() as connection:
            repositories = connection.execute(
                text(f"SELECT COUNT(*) FROM {RepositoryRow.__tablename__}")
            ).scalar()
        result["repositories"] = repositories
        result.update(_measure(db, now))
        return result


@contextmanager
def _postgres_database() -> Iterator[str | None]:
    admin_url = database_url(Path("."), os.environ.get("CONVEYOR_BENCH_POSTGRES_URL") or DEFAULT_PG)
    name = f"conveyor_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server: report and skip
        admin.dispose()
        print(f"PostgreSQL skipped: {str(exc).splitlines()[0]}")
        yield None
        return
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> dict[str, Any]:
    result: dict[str, Any] = {"runs": RUNS, "jobs": RUNS * JOBS_PER_RUN}
    result["test_results"] = RUNS // INGEST_EVERY * TESTS_PER_INGEST
    with tempfile.TemporaryDirectory() as tmp:
        result["sqlite"] = _bench(Path(tmp) / "sqlite", None)
    with tempfile.TemporaryDirectory() as tmp, _postgres_database() as url:
        if url is not None:
            result["postgresql"] = _bench(Path(tmp) / "pg", url)
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
