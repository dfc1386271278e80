"""Alembic migrations of the history database (run by :func:`conveyor.store.database.migrate`)."""
