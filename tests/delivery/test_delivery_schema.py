"""conveyor/schema-gate@v1 and conveyor/migrate@v1 against a real PostgreSQL database,
with a real Alembic script directory and real SQLAlchemy models."""

from __future__ import annotations

import pytest
from app_schema_helpers import write_migrations, write_models
from delivery_helpers import Project
from sqlalchemy import create_engine, text

from conveyor.actions import schema_actions
from conveyor.store.deliveries import DeliveryStore
from conveyor.store.paths import driver_url


def _sql(url: str, *statements: str) -> None:
    engine = create_engine(driver_url(url))
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(driver_url(url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            return {row[0] for row in rows}
    finally:
        engine.dispose()


def _inputs(url: str, **more: str) -> dict[str, str]:
    return {"database-url": url, "environment": "production", **more}


def _failed_gates(project: Project) -> list[str]:
    with DeliveryStore(project.state_dir) as db:
        return [g.detail for g in db.failed_gates(project.run_id, "production")]


def test_gate_lists_pending_revisions_and_blocks_then_migrate_applies_them(
    project: Project, app_database: str
) -> None:
    write_migrations(project.root)
    gate = schema_actions.gate(project.context(_inputs(app_database, alembic="migrations")))
    assert not gate.ok
    assert "2 pending migration(s)" in gate.message
    assert "pending 0001: create users" in gate.message
    assert "pending 0002: add users.email" in gate.message
    assert gate.outputs["pending"] == "2" and gate.outputs["ok"] == "false"
    assert app_database not in gate.message + project.output.text  # the URL is a secret
    (detail,) = _failed_gates(project)
    assert "pending 0001" in detail

    preview = schema_actions.migrate(
        project.context(_inputs(app_database, alembic="migrations", **{"preview-only": "true"}))
    )
    assert preview.ok, project.output.text
    assert "CREATE TABLE users" in preview.summary
    assert "ALTER TABLE users ADD COLUMN email VARCHAR(255)" in preview.summary
    assert "alembic_version" not in _tables(app_database)  # nothing applied
    assert preview.outputs["applied"] == "0"

    applied = schema_actions.migrate(project.context(_inputs(app_database, alembic="migrations")))
    assert applied.ok, project.output.text
    assert "CREATE TABLE users" in applied.summary
    assert applied.outputs == {"revision": "0002", "previous-revision": "", "applied": "2"}
    assert {"users", "alembic_version"} <= _tables(app_database)
    with DeliveryStore(project.state_dir) as db:
        repo = db.run_repository(project.run_id)
        assert repo is not None
        assert db.schema_revision(repo, "production") == "0002"
        assert db.schema_revision(repo, "staging") == ""

    again = schema_actions.gate(project.context(_inputs(app_database, alembic="migrations")))
    assert again.ok, again.message
    assert again.outputs["current"] == "0002" and again.outputs["pending"] == "0"
    assert _failed_gates(project) == []  # the gate's newest verdict passes


def test_gate_refuses_a_revision_the_code_does_not_know(
    project: Project, app_database: str
) -> None:
    write_migrations(project.root)
    assert schema_actions.migrate(project.context(_inputs(app_database, alembic="migrations"))).ok
    # older code: its scripts stop at 0001, the database is at 0002
    (project.root / "migrations" / "versions" / "0002.py").unlink()
    gate = schema_actions.gate(project.context(_inputs(app_database, alembic="migrations")))
    assert not gate.ok
    assert "the database is at revision 0002, which these migrations do not know" in gate.message


def test_gate_by_metadata_names_missing_tables_columns_and_bad_types(
    project: Project, app_database: str
) -> None:
    write_models(project.root)
    _sql(
        app_database,
        "CREATE TABLE users (id integer PRIMARY KEY, name varchar(20) NOT NULL)",
    )
    gate = schema_actions.gate(
        project.context(_inputs(app_database, metadata="shop_models:metadata"))
    )
    assert not gate.ok
    lines = gate.message.splitlines()[1:]
    assert lines == [  # tables in dependency, then name order
        "missing table orders",
        "table users: column name is VARCHAR(20) in the database, the code expects VARCHAR(50)",
        "table users: missing column email (VARCHAR(255))",
    ]
    _sql(
        app_database,
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(80)",
        "ALTER TABLE users ADD COLUMN email text",
        "CREATE TABLE orders (id integer PRIMARY KEY, total integer)",
    )
    gate = schema_actions.gate(
        project.context(_inputs(app_database, metadata="shop_models:metadata"))
    )
    assert not gate.ok
    assert gate.message.splitlines()[1:] == [
        "table orders: column id is INTEGER in the database, the code expects BIGINT",
        "table orders: column total is INTEGER in the database, the code expects NUMERIC(10, 2)",
    ]
    _sql(
        app_database,
        "ALTER TABLE orders ALTER COLUMN id TYPE bigint",
        "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2)",
    )
    gate = schema_actions.gate(
        project.context(_inputs(app_database, metadata="shop_models:metadata"))
    )
    assert gate.ok, gate.message


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"environment": "production"}, "input 'database-url' is required"),
        ({"database-url": "postgresql://x@127.0.0.1:1/x"}, "give input 'alembic'"),
        ({"database-url": "x", "alembic": "../outside"}, "is not under"),
    ],
)
def test_gate_bad_input(project: Project, inputs: dict[str, str], message: str) -> None:
    result = schema_actions.gate(project.context(inputs))
    assert not result.ok and message in result.message


def test_gate_fails_when_the_database_cannot_be_reached(project: Project) -> None:
    write_migrations(project.root)
    url = "postgresql://nobody:s3cret-pw@127.0.0.1:1/none"
    result = schema_actions.gate(project.context(_inputs(url, alembic="migrations")))
    assert not result.ok
    assert "OperationalError" in result.message
    assert "s3cret-pw" not in result.message + project.output.text
    assert _failed_gates(project)  # the failure is a verdict too
