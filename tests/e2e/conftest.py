"""The store tests' SQLite/PostgreSQL fixtures, for the end-to-end tests that check a
whole run against both databases (``db_url``: None for SQLite, else an empty PostgreSQL
database)."""

from __future__ import annotations

from store_fixtures import store_fixtures

_store = store_fixtures()
postgres_admin_url = _store.postgres_admin_url
postgres_url = _store.postgres_url
db_url = _store.db_url
