"""A project's database code: an Alembic script directory (two revisions) and SQLAlchemy
models, written into the project for the schema gate and migrate tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

ENV_PY = """
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def online():
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


offline() if context.is_offline_mode() else online()
"""

REVISION = '''"""{message}

Revision ID: {rev}
Revises: {down}
"""
import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = {down_repr}
branch_labels = None
depends_on = None


def upgrade():
{body}


def downgrade():
    pass
'''

USERS = """    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
    )"""
EMAIL = '    op.add_column("users", sa.Column("email", sa.String(255), nullable=True))'

MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("email", sa.String(255)),
)
orders = sa.Table(
    "orders", metadata,
    sa.Column("id", sa.BigInteger(), primary_key=True),
    sa.Column("total", sa.Numeric(10, 2)),
)
"""


def write_migrations(root: Path, *, with_email: bool = True) -> Path:
    """``migrations/`` with 0001 (users) and, by default, 0002 (users.email)."""
    folder = root / "migrations"
    (folder / "versions").mkdir(parents=True, exist_ok=True)
    (folder / "env.py").write_text(textwrap.dedent(ENV_PY).lstrip())
    (folder / "script.py.mako").write_text("")
    revisions = [("0001", None, "create users", USERS)]
    if with_email:
        revisions.append(("0002", "0001", "add users.email", EMAIL))
    for rev, down, message, body in revisions:
        (folder / "versions" / f"{rev}.py").write_text(
            REVISION.format(
                rev=rev, down=down or "", down_repr=repr(down), message=message, body=body
            )
        )
    return folder


def write_models(root: Path) -> None:
    (root / "shop_models.py").write_text(textwrap.dedent(MODELS).lstrip())
