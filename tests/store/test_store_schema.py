"""The migrated schema serves the dashboard's queries: the indexes they read, foreign keys
between the history's tables, and on PostgreSQL ``jsonb`` and 64-bit keys (issue 8)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from conveyor.store import SqlRunStore
from conveyor.store.paths import database_url

# (table, leading columns of an index that must exist): what each query filters and orders by
INDEXED = [
    ("runs", ("repository_id", "created_at")),  # conveyor runs, the dashboard's run list
    ("runs", ("repository_id", "workflow_path", "created_at")),  # runs of one workflow
    ("runs", ("conclusion",)),  # runs by conclusion
    ("runs", ("created_at",)),  # conveyor runs --all, stats window
    ("jobs", ("run_id",)),
    ("jobs", ("job_id", "started_at")),  # one job's history (durations, trends)
    ("steps", ("job_pk",)),
    ("log_lines", ("run_id", "job_key", "step_index", "seq")),  # conveyor logs (--follow)
    ("test_results", ("run_id",)),
    # conveyor stats --days N and the flaky history: every column they read (0015)
    (
        "test_results",
        (
            "repository_id",
            "recorded_at",
            "tier",
            "test_id",
            "status",
            "duration",
            "run_id",
            "ingest_id",
            "commit",
            "branch",
        ),
    ),
    ("test_ingests", ("run_id",)),
]

FOREIGN_KEYS = {
    ("runs", "repository_id", "repositories"),
    ("jobs", "run_id", "runs"),
    ("steps", "job_pk", "jobs"),
    ("steps", "run_id", "runs"),
    ("annotations", "run_id", "runs"),
    ("log_lines", "run_id", "runs"),
    ("test_ingests", "run_id", "runs"),
    ("test_ingests", "repository_id", "repositories"),
    ("test_results", "run_id", "runs"),
    ("test_results", "ingest_id", "test_ingests"),
    ("schedule_firings", "repository_id", "repositories"),
    ("workflow_counters", "repository_id", "repositories"),
}


def test_indexes_and_foreign_keys_of_the_history(
    make_store: Callable[..., SqlRunStore], state_dir: Path, db_url: str | None
) -> None:
    make_store()
    engine = create_engine(database_url(state_dir, db_url))
    try:
        found = inspect(engine)
        missing = []
        for table, columns in INDEXED:
            indexed = [tuple(i["column_names"]) for i in found.get_indexes(table)]
            indexed += [tuple(u["column_names"]) for u in found.get_unique_constraints(table)]
            if not any(cols[: len(columns)] == columns for cols in indexed):
                missing.append(f"{table}{columns}")
        assert not missing, f"no index starts with: {missing}"
        keys = {
            (table, column, fk["referred_table"])
            for table in {t for t, _c, _r in FOREIGN_KEYS}
            for fk in found.get_foreign_keys(table)
            for column in fk["constrained_columns"]
        }
        assert keys >= FOREIGN_KEYS, f"missing foreign keys: {sorted(FOREIGN_KEYS - keys)}"
    finally:
        engine.dispose()


def test_postgres_stores_jsonb_and_64_bit_keys(state_dir: Path, postgres_url: str) -> None:
    SqlRunStore(state_dir, url=postgres_url).close()  # migrates the empty database to head
    engine = create_engine(database_url(state_dir, postgres_url))
    try:
        with engine.connect() as connection:
            types = {
                (table, column): kind
                for table, column, kind in connection.execute(
                    text(
                        "SELECT table_name, column_name, data_type FROM information_schema.columns"
                        " WHERE table_schema = current_schema()"
                    )
                )
            }
        found = inspect(engine)
        keys = set()
        for table in found.get_table_names():
            keys |= {(table, c) for c in found.get_pk_constraint(table)["constrained_columns"]}
            for fk in found.get_foreign_keys(table):
                keys |= {(table, c) for c in fk["constrained_columns"]}
    finally:
        engine.dispose()
    assert [k for k, kind in types.items() if kind == "json"] == []  # jsonb, never json
    assert types[("jobs", "outputs")] == types[("steps", "outputs")] == "jsonb"
    narrow = sorted(k for k in keys if types[k] in ("integer", "smallint"))
    assert narrow == [], f"32-bit keys: {narrow}"
    assert types[("schedule_firings", "slot")] == "bigint"  # a POSIX second: int32 ends in 2038
