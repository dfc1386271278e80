"""The store tests' SQLite/PostgreSQL fixtures, for the end-to-end tests that check a
whole run against both databases (``db_url``: None for SQLite, else an empty PostgreSQL
database)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if "_store_fixtures" not in sys.modules:
    _path = Path(__file__).resolve().parents[1] / "store" / "conftest.py"
    _spec = importlib.util.spec_from_file_location("_store_fixtures", _path)
    assert _spec is not None and _spec.loader is not None
    sys.modules["_store_fixtures"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["_store_fixtures"])
postgres_admin_url = sys.modules["_store_fixtures"].postgres_admin_url
postgres_url = sys.modules["_store_fixtures"].postgres_url
db_url = sys.modules["_store_fixtures"].db_url
